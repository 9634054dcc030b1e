/*
 * shell_cases.c — runs the case files of the shell splitter
 * (tests/cases/shell/NAME.case), or prints how it splits a line.
 *
 *   shell-cases FILE...        checks every case; one line per failure
 *   shell-cases -p [LINE]      prints the split of LINE (or of stdin) in
 *                              the case format, to write new cases with
 *   shell-cases -z             for tests/shell_vs_bash.py: reads command
 *                              lines ending in NUL bytes, writes each split
 *                              as records (see raw()) ending in a NUL byte
 *
 * Case format (one file holds many cases):
 *
 *   # a comment (and blank lines) between cases
 *   $ echo "a b" > out; eval x        the command line
 *   + second line                     continues it after a newline
 *   cmd echo "a b"                    each simple command, in order: its
 *   cmd eval x ! eval runs ...        words; " ! WHY" when it is opaque
 *   redir write out cmd=0             each redirection: write|read TARGET
 *                                     cmd=N [opaque] [tilde]
 *   opaque eval runs ...              the line: "opaque WHY" or "clear"
 *
 * A word is printed bare when it is non-empty printable ASCII without
 * space, " or \; otherwise in double quotes with \" \\ \n \t \xHH.
 * The expected lines must be exactly what the splitter gives.
 */
#include "shell.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct buf {
	char *p;
	size_t n, cap;
} buf;

static void add(buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->n + n + 1)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (!b->p) {
			perror("shell-cases");
			exit(2);
		}
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void adds(buf *b, const char *s)
{
	add(b, s, strlen(s));
}

static void add_word(buf *b, const char *w, size_t n)
{
	bool bare = n > 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)w[i];
		if (c <= ' ' || c >= 0x7f || c == '"' || c == '\\')
			bare = false;
	}
	if (bare) {
		add(b, w, n);
		return;
	}
	adds(b, "\"");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)w[i];
		char esc[8];
		if (c == '"' || c == '\\')
			snprintf(esc, sizeof esc, "\\%c", c);
		else if (c == '\n')
			snprintf(esc, sizeof esc, "\\n");
		else if (c == '\t')
			snprintf(esc, sizeof esc, "\\t");
		else if (c < ' ' || c >= 0x7f)
			snprintf(esc, sizeof esc, "\\x%02x", c);
		else
			snprintf(esc, sizeof esc, "%c", c);
		adds(b, esc);
	}
	adds(b, "\"");
}

/* The split of LINE in the case format. */
static void describe(buf *b, const char *line, size_t len)
{
	scope_shell *sh;
	int rc = scope_shell_split(&sh, line, len);
	if (rc < 0) {
		char e[32];
		snprintf(e, sizeof e, "error %d\n", rc);
		adds(b, e);
		return;
	}
	for (size_t i = 0; i < scope_shell_count(sh); i++) {
		const scope_shell_cmd *c = scope_shell_command(sh, i);
		adds(b, "cmd");
		for (size_t j = 0; j < c->nwords; j++) {
			adds(b, " ");
			add_word(b, c->words[j], strlen(c->words[j]));
		}
		if (c->opaque) {
			adds(b, " ! ");
			adds(b, c->why);
		}
		adds(b, "\n");
	}
	for (size_t i = 0; i < scope_shell_redir_count(sh); i++) {
		const scope_shell_redir *r = scope_shell_redirect(sh, i);
		char tail[64];
		adds(b, r->write ? "redir write " : "redir read ");
		add_word(b, r->target, r->len);
		snprintf(tail, sizeof tail, " cmd=%zu%s%s\n", r->cmd, r->opaque ? " opaque" : "",
			 r->tilde ? " tilde" : "");
		adds(b, tail);
	}
	const char *why = scope_shell_opaque(sh);
	if (why) {
		adds(b, "opaque ");
		adds(b, why);
		adds(b, "\n");
	} else {
		adds(b, "clear\n");
	}
	scope_shell_destroy(sh);
}

/* Records separated by \x1e, fields by \x1f (bytes the differential test
 * never puts in a line): c OPAQUE WORD...; r WRITE OPAQUE TILDE CMD TARGET;
 * o WHY (empty when clear). */
static void raw(buf *b, const char *line, size_t len)
{
	scope_shell *sh;
	char num[64];
	if (scope_shell_split(&sh, line, len) < 0) {
		adds(b, "o\x1fsplit failed\x1e");
		return;
	}
	for (size_t i = 0; i < scope_shell_count(sh); i++) {
		const scope_shell_cmd *c = scope_shell_command(sh, i);
		adds(b, c->opaque ? "c\x1f" "1" : "c\x1f" "0");
		for (size_t j = 0; j < c->nwords; j++) {
			adds(b, "\x1f");
			adds(b, c->words[j]);
		}
		adds(b, "\x1e");
	}
	for (size_t i = 0; i < scope_shell_redir_count(sh); i++) {
		const scope_shell_redir *r = scope_shell_redirect(sh, i);
		snprintf(num, sizeof num, "r\x1f%d\x1f%d\x1f%d\x1f%zu\x1f", r->write, r->opaque, r->tilde, r->cmd);
		adds(b, num);
		add(b, r->target, r->len);
		adds(b, "\x1e");
	}
	adds(b, "o\x1f");
	adds(b, scope_shell_opaque(sh) ? scope_shell_opaque(sh) : "");
	adds(b, "\x1e");
	scope_shell_destroy(sh);
}

static int run_file(const char *path, int *pass, int *fail)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		perror(path);
		return -1;
	}
	buf line = { 0 }, want = { 0 }, got = { 0 };
	int lineno = 0, caseline = 0;
	bool in_case = false;
	char *l = NULL;
	size_t cap = 0;
	ssize_t n;
	for (;;) {
		n = getline(&l, &cap, f);
		lineno++;
		bool end = n < 0 || (n > 0 && l[0] == '$');
		if (n > 0 && l[n - 1] == '\n')
			l[--n] = '\0';
		if (end && in_case) {
			got.n = 0;
			describe(&got, line.p, line.n);
			if (want.n == got.n && memcmp(want.p, got.p, got.n) == 0) {
				(*pass)++;
			} else {
				(*fail)++;
				printf("FAIL: %s:%d: %s\n  expected:\n%s  got:\n%s", path, caseline, line.p,
				       want.p ? want.p : "", got.p);
			}
			in_case = false;
		}
		if (n < 0)
			break;
		if (l[0] == '$') {
			line.n = 0;
			want.n = 0;
			add(&line, "", 0);
			add(&want, "", 0);
			add(&line, l + (n > 1 && l[1] == ' ' ? 2 : 1), (size_t)n - (n > 1 && l[1] == ' ' ? 2 : 1));
			in_case = true;
			caseline = lineno;
		} else if (in_case && l[0] == '+') {
			add(&line, "\n", 1);
			add(&line, l + (n > 1 && l[1] == ' ' ? 2 : 1), (size_t)n - (n > 1 && l[1] == ' ' ? 2 : 1));
		} else if (in_case && n > 0 && l[0] != '#') {
			add(&want, l, (size_t)n);
			add(&want, "\n", 1);
		}
	}
	free(l);
	free(line.p);
	free(want.p);
	free(got.p);
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "-p") == 0) {
		buf in = { 0 }, out = { 0 };
		add(&in, "", 0);
		if (argc >= 3) {
			adds(&in, argv[2]);
		} else {
			char chunk[4096];
			size_t n;
			while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0)
				add(&in, chunk, n);
			if (in.n > 0 && in.p[in.n - 1] == '\n')
				in.n--;
		}
		describe(&out, in.p, in.n);
		fputs(out.p, stdout);
		free(in.p);
		free(out.p);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "-z") == 0) {
		char *l = NULL;
		size_t cap = 0;
		ssize_t n;
		buf out = { 0 };
		while ((n = getdelim(&l, &cap, '\0', stdin)) > 0) {
			if (l[n - 1] == '\0')
				n--;
			out.n = 0;
			raw(&out, l, (size_t)n);
			fwrite(out.p, 1, out.n, stdout);
			fputc('\0', stdout);
		}
		free(l);
		free(out.p);
		return 0;
	}
	int pass = 0, fail = 0;
	for (int i = 1; i < argc; i++)
		if (run_file(argv[i], &pass, &fail) < 0)
			return 2;
	printf("shell cases: %d passed, %d failed\n", pass, fail);
	return fail ? 1 : 0;
}
