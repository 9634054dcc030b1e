/* lint_util.c — see lint_util.h. */
#include "lint_util.h"
#include "explain.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Item visits all witness decisions of one run may spend: enough for every
 * warning of a real policy, and linear work on a hostile one. */
#define WITNESS_BUDGET 4000000u

/* Marks items whose ast an earlier item already has (open addressing on
 * the pointer; linear in the number of items). */
static void mark_duplicates(sc_lint_ctx *lc)
{
	const sc_policy *p = lc->p;
	size_t cap = 16;
	while (cap < 2 * (size_t)p->nitems)
		cap *= 2;
	const sc_ast_item **slot = sc_xcalloc(cap, sizeof *slot);
	for (uint32_t i = 0; i < p->nitems; i++) {
		const sc_ast_item *a = p->items[i].ast;
		if (!a)
			continue;
		size_t h = ((uintptr_t)a >> 4) * 0x9E3779B97F4A7C15ull & (cap - 1);
		while (slot[h] && slot[h] != a)
			h = (h + 1) & (cap - 1);
		lc->dup[i] = slot[h] == a;
		slot[h] = a;
	}
	free(slot);
}

void sc_lint_ctx_init(sc_lint_ctx *lc, sc_diag *d, const sc_policy *p)
{
	lc->d = d;
	lc->p = p;
	lc->task_of = sc_xcalloc(p->nitems ? p->nitems : 1, sizeof *lc->task_of);
	lc->dup = sc_xcalloc(p->nitems ? p->nitems : 1, 1);
	for (uint32_t t = 0; t < p->ntasks; t++)
		for (uint32_t i = 0; i < p->tasks[t].nitems; i++) {
			uint32_t k = p->tasks[t].items[i]->index;
			if (!lc->task_of[k])
				lc->task_of[k] = &p->tasks[t];
		}
	mark_duplicates(lc);
	lc->ref = sc_ref_new();
	lc->budget = WITNESS_BUDGET;
}

void sc_lint_ctx_fini(sc_lint_ctx *lc)
{
	free(lc->task_of);
	free(lc->dup);
	sc_ref_free(lc->ref);
}

size_t sc_lint_fill(sc_str pat, char *out, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < pat.n; i++) {
		if (pat.s[i] == '*' && i > 0 && pat.s[i - 1] == '*')
			continue;
		if (n + 1 >= cap)
			return SIZE_MAX;
		out[n++] = pat.s[i] == '*' || pat.s[i] == '?' ? 'a' : pat.s[i];
	}
	if (cap)
		out[n] = '\0';
	return n;
}

bool sc_lint_quoted(sc_diag *d, sc_span sp)
{
	sc_str t = sc_span_text(d, sp);
	return t.n && t.s[0] == '"';
}

bool sc_lint_witness(sc_lint_ctx *lc, const sc_task *task, sc_str action, sc_str resource,
		     const sc_attr *attrs, size_t nattrs, char *buf, size_t cap, sc_result *res)
{
	char a[256];
	size_t na = sc_lint_fill(action, a, sizeof a);
	if (na == SIZE_MAX || task->nitems > lc->budget)
		return false;
	lc->budget -= task->nitems + 1;
	sc_request rq = { task->name, { a, na }, resource, attrs, nattrs };
	sc_ref_decide(lc->ref, lc->p, &rq, res);
	sc_request_format(&rq, buf, cap);
	return true;
}

const char *sc_lint_decided(sc_kind k)
{
	return k == SC_ALLOW ? "allowed" : k == SC_ASK ? "asked for" : "denied";
}

void sc_lint_note_decider(sc_lint_ctx *lc, const sc_result *res)
{
	if (res->why == SC_WHY_ITEM && res->item)
		sc_note(lc->d, res->item->span, "%s by this item", sc_lint_decided(res->decision));
}

void sc_lint_note_via(sc_lint_ctx *lc, const sc_item *it)
{
	if (!it->via.file)
		return;
	sc_str s = sc_span_text(lc->d, it->via);
	char q[128];
	sc_quote(q, sizeof q, s);
	sc_note(lc->d, it->via, "the item comes from '%s' here", q);
}

static bool is_word_byte(unsigned char c)
{
	return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9') ||
	       (c && strchr("_-.*?/:~+%", c));
}

/* A bare word that the lexer would read as a keyword must be quoted. */
static bool is_reserved(sc_str s)
{
	static const char *const words[] = { "task", "extends", "allows", "asks", "denies", "let", "include",
					     "expect", "when", "and", "or", "not", "in", "has", "matches", "like" };
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (sc_str_eq(s, sc_str_c(words[i])))
			return true;
	return false;
}

void sc_lint_fixit_str(sc_diag *d, sc_span sp, sc_str text)
{
	bool quote = sc_lint_quoted(d, sp) || !text.n || is_reserved(text);
	for (size_t i = 0; i < text.n && !quote; i++)
		quote = !is_word_byte((unsigned char)text.s[i]) || (text.s[i] == '=');
	char buf[1100];
	size_t o = 0;
	if (quote)
		buf[o++] = '"';
	for (size_t i = 0; i < text.n && o + 4 < sizeof buf; i++) {
		if (quote && (text.s[i] == '"' || text.s[i] == '\\'))
			buf[o++] = '\\';
		buf[o++] = text.s[i];
	}
	if (quote)
		buf[o++] = '"';
	buf[o] = '\0';
	sc_fixit(d, sp, buf);
}
