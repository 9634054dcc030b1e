/* glob.c — see glob.h. */
#include "glob.h"
#include "arena.h"

#include <stdlib.h>
#include <string.h>

enum { G_LIT, G_STAR, G_DSTAR, G_QMARK };

typedef struct {
	unsigned char op, byte;
} gtok;

static bool is_sep(unsigned char c)
{
	return c == '.' || c == '/';
}

/* Splits a pattern into tokens; returns their count. */
static size_t tokenize(const char *pat, size_t n, gtok *out)
{
	size_t k = 0;
	for (size_t i = 0; i < n;) {
		if (pat[i] == '*') {
			size_t j = i;
			while (j < n && pat[j] == '*')
				j++;
			out[k++] = (gtok){ j - i >= 2 ? G_DSTAR : G_STAR, 0 };
			i = j;
		} else if (pat[i] == '?') {
			out[k++] = (gtok){ G_QMARK, 0 };
			i++;
		} else {
			out[k++] = (gtok){ G_LIT, (unsigned char)pat[i] };
			i++;
		}
	}
	return k;
}

/* Adds position P and everything reachable from it by skipping stars. */
static void add_closure(const gtok *t, size_t k, unsigned char *set, size_t p)
{
	while (p <= k && !set[p]) {
		set[p] = 1;
		if (p == k || (t[p].op != G_STAR && t[p].op != G_DSTAR))
			break;
		p++;
	}
}

bool sc_glob_match(const char *pat, size_t patlen, const char *text, size_t textlen)
{
	gtok small[64];
	unsigned char sets_small[2 * 65];
	gtok *t = patlen <= 64 ? small : malloc(patlen * sizeof *t);
	unsigned char *base = patlen <= 64 ? sets_small : malloc(2 * (patlen + 1));
	unsigned char *cur = base;
	if (!t || !base)
		sc_fatal_oom();
	size_t k = tokenize(pat, patlen, t);
	unsigned char *next = cur + (k + 1);
	memset(cur, 0, k + 1);
	add_closure(t, k, cur, 0);
	for (size_t i = 0; i < textlen; i++) {
		unsigned char c = (unsigned char)text[i];
		bool any = false;
		memset(next, 0, k + 1);
		for (size_t p = 0; p < k; p++) {
			if (!cur[p])
				continue;
			switch (t[p].op) {
			case G_LIT:
				if (t[p].byte == c) {
					add_closure(t, k, next, p + 1);
					any = true;
				}
				break;
			case G_QMARK:
				if (!is_sep(c)) {
					add_closure(t, k, next, p + 1);
					any = true;
				}
				break;
			case G_STAR:
				if (!is_sep(c)) {
					add_closure(t, k, next, p);
					any = true;
				}
				break;
			case G_DSTAR:
				add_closure(t, k, next, p);
				any = true;
				break;
			}
		}
		unsigned char *tmp = cur;
		cur = next;
		next = tmp;
		if (!any)
			break;
	}
	/* If the live set died early, cur is empty and this is false. */
	bool ok = cur[k] != 0;
	if (t != small)
		free(t);
	if (base != sets_small)
		free(base);
	return ok;
}
