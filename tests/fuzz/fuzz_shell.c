/*
 * fuzz_shell.c — libFuzzer target for the shell command splitter
 * (runtime/enforce/shell.h).  Besides no crash, leak or undefined
 * behaviour, it asserts the invariants of the result:
 *   - at most SCOPE_SHELL_MAX_COMMANDS commands; every text and word is
 *     NUL-terminated where its length says, and the text is the words
 *     joined by single spaces; opaque exactly when there is a reason;
 *   - an opaque command or redirection, or a NUL byte in the input, makes
 *     the line opaque; every redirection names an existing command;
 *   - the same input splits the same way twice;
 *   - wrapped in more than SCOPE_SHELL_MAX_DEPTH levels of $( ), any input
 *     is opaque (the depth limit always holds);
 *   - a command of a clear line, its words single-quoted, splits back into
 *     exactly those words, clear (quote removal loses nothing).
 */
#include "shell.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                        \
	do {                                                                            \
		if (!(c)) {                                                             \
			fprintf(stderr, "fuzz_shell: %s:%d: %s\n", __FILE__, __LINE__, #c); \
			abort();                                                        \
		}                                                                       \
	} while (0)

static scope_shell *split(const void *s, size_t n)
{
	scope_shell *sh = NULL;
	int rc = scope_shell_split(&sh, s, n);
	if (rc == -SCOPE_ENOMEM)
		return NULL;
	CHECK(rc == 0 && sh);
	return sh;
}

static void check_shape(const scope_shell *sh, bool has_nul)
{
	size_t n = scope_shell_count(sh);
	bool any_opaque = has_nul;
	CHECK(n <= SCOPE_SHELL_MAX_COMMANDS);
	CHECK(scope_shell_command(sh, n) == NULL);
	for (size_t i = 0; i < n; i++) {
		const scope_shell_cmd *c = scope_shell_command(sh, i);
		CHECK(c && c->text && c->words);
		CHECK(c->text[c->len] == '\0' && strlen(c->text) == c->len);
		CHECK(c->words[c->nwords] == NULL);
		CHECK(c->opaque == (c->why != NULL));
		any_opaque |= c->opaque;
		size_t off = 0;
		for (size_t j = 0; j < c->nwords; j++) {
			size_t wl = strlen(c->words[j]);
			if (j > 0)
				CHECK(c->text[off++] == ' ');
			CHECK(off + wl <= c->len && memcmp(c->text + off, c->words[j], wl) == 0);
			off += wl;
		}
		CHECK(off == c->len);
	}
	for (size_t i = 0; i < scope_shell_redir_count(sh); i++) {
		const scope_shell_redir *r = scope_shell_redirect(sh, i);
		CHECK(r && r->target && r->target[r->len] == '\0' && strlen(r->target) == r->len);
		CHECK(r->cmd < n);
		any_opaque |= r->opaque;
	}
	CHECK(scope_shell_redirect(sh, scope_shell_redir_count(sh)) == NULL);
	if (any_opaque)
		CHECK(scope_shell_opaque(sh) != NULL);
}

static bool same(const scope_shell *a, const scope_shell *b)
{
	if (scope_shell_count(a) != scope_shell_count(b) || scope_shell_redir_count(a) != scope_shell_redir_count(b))
		return false;
	for (size_t i = 0; i < scope_shell_count(a); i++) {
		const scope_shell_cmd *x = scope_shell_command(a, i), *y = scope_shell_command(b, i);
		if (x->nwords != y->nwords || strcmp(x->text, y->text) || x->opaque != y->opaque)
			return false;
	}
	return (scope_shell_opaque(a) == NULL) == (scope_shell_opaque(b) == NULL);
}

static void check_depth(const uint8_t *data, size_t size)
{
	size_t levels = SCOPE_SHELL_MAX_DEPTH + 2;
	char *s = malloc(size + 4 * levels + 6);
	if (!s)
		return;
	size_t o = 0;
	memcpy(s, "echo ", 5);
	o = 5;
	for (size_t i = 0; i < levels; i++) {
		s[o++] = '$';
		s[o++] = '(';
	}
	memcpy(s + o, data, size);
	o += size;
	for (size_t i = 0; i < levels; i++)
		s[o++] = ')';
	scope_shell *sh = split(s, o);
	if (sh) {
		CHECK(scope_shell_opaque(sh) != NULL);
		scope_shell_destroy(sh);
	}
	free(s);
}

/* Words that make a command run another one (it would be split again). */
static bool runs_more(const scope_shell_cmd *c)
{
	static const char *const w[] = { "exec", "command", "builtin", "sh", "bash", "dash", "ash",
					 "ksh", "mksh", "posh", "rbash", "env", "nohup", "nice",
					 "timeout", "time", "stdbuf", "setsid", "sudo", "doas",
					 "xargs", "find" };
	for (size_t i = 0; i < c->nwords; i++) {
		const char *b = strrchr(c->words[i], '/');
		b = b ? b + 1 : c->words[i];
		for (size_t k = 0; k < sizeof w / sizeof w[0]; k++)
			if (strcmp(b, w[k]) == 0)
				return true;
	}
	return false;
}

static void check_requote(const scope_shell_cmd *c)
{
	if (c->nwords == 0 || runs_more(c))
		return;
	size_t cap = 8;
	for (size_t i = 0; i < c->nwords; i++)
		cap += 4 * strlen(c->words[i]) + 3;
	char *s = malloc(cap), *o = s;
	if (!s)
		return;
	for (size_t i = 0; i < c->nwords; i++) {
		if (i)
			*o++ = ' ';
		*o++ = '\'';
		for (const char *p = c->words[i]; *p; p++) {
			if (*p == '\'') {
				memcpy(o, "'\\''", 4);
				o += 4;
			} else {
				*o++ = *p;
			}
		}
		*o++ = '\'';
	}
	scope_shell *sh = split(s, (size_t)(o - s));
	if (sh) {
		CHECK(scope_shell_opaque(sh) == NULL);
		CHECK(scope_shell_count(sh) == 1);
		const scope_shell_cmd *d = scope_shell_command(sh, 0);
		CHECK(d->nwords == c->nwords);
		for (size_t i = 0; i < c->nwords; i++)
			CHECK(strcmp(d->words[i], c->words[i]) == 0);
		scope_shell_destroy(sh);
	}
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool has_nul = size > 0 && memchr(data, 0, size) != NULL;
	scope_shell *sh = split(data, size);
	if (!sh)
		return 0;
	check_shape(sh, has_nul);
	scope_shell *again = split(data, size);
	if (again) {
		CHECK(same(sh, again));
		scope_shell_destroy(again);
	}
	if (!scope_shell_opaque(sh))
		for (size_t i = 0; i < scope_shell_count(sh) && i < 16; i++)
			check_requote(scope_shell_command(sh, i));
	scope_shell_destroy(sh);
	check_depth(data, size);
	return 0;
}
