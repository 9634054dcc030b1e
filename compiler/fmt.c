/* fmt.c — see fmt.h. */
#include "fmt.h"
#include "arena.h"
#include "lex.h"
#include "parse.h"
#include "scope_parse.h"

#include <stdlib.h>
#include <string.h>

/* A grammar token with the comments around it. */
typedef struct ftok {
	sc_token t;
	sc_str text;
	uint32_t pre, npre;      /* own-line comments before it (range in comments) */
	int32_t post;            /* trailing comment after it, or -1 */
	bool blank_before;       /* a blank line before it (or its first pre comment) */
	bool blank_after_pre;    /* a blank line between its pre comments and it */
} ftok;

typedef struct fcomment {
	sc_str text;
	bool blank_before;
} fcomment;

static void spaces(sc_buf *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sc_buf_put(b, " ", 1);
}

typedef struct fstate {
	sc_diag *d;
	ftok *tok;
	size_t ntok;
	fcomment *com;
	size_t ncom;
	sc_buf out;
	sc_buf carry;              /* extra trailing comments, for the next line */
	bool at_start;           /* nothing written yet */
} fstate;

/* Counts newlines in the source between two offsets. */
static unsigned newlines(const char *text, size_t from, size_t to)
{
	unsigned n = 0;
	for (size_t i = from; i < to; i++)
		n += text[i] == '\n';
	return n;
}

static void add_comment(fstate *st, sc_str text, bool blank)
{
	if (!(st->ncom & (st->ncom + 1)) || st->ncom == 0) {
		size_t cap = st->ncom ? 2 * (st->ncom + 1) : 16;
		fcomment *c = realloc(st->com, cap * sizeof *c);
		if (!c)
			sc_fatal_oom();
		st->com = c;
	}
	st->com[st->ncom++] = (fcomment){ text, blank };
}

/* Lexes FILE with comments and attaches each comment to a token. */
static int collect(fstate *st, uint32_t file)
{
	const sc_source *src = sc_diag_source(st->d, file);
	sc_lexer lx;
	sc_lex_init(&lx, src, file);
	lx.keep_comments = true;
	size_t cap = 256, prev_end = 0;
	uint32_t pending = 0, npending = 0; /* own-line comments waiting for a token */
	bool pending_blank = false;
	st->tok = malloc(cap * sizeof *st->tok);
	if (!st->tok)
		sc_fatal_oom();
	for (;;) {
		sc_token t;
		const char *msg;
		int type = sc_lex_next(&lx, &t, &msg);
		if (type < 0)
			return -1; /* sc_parse_file already reported it */
		t.type = type;
		bool blank = st->ntok + st->ncom > 0 && newlines(src->text, prev_end, t.span.off) >= 2;
		bool own_line = st->ntok == 0 || newlines(src->text, prev_end, t.span.off) >= 1;
		if (type == SC_TK_COMMENT) {
			sc_str text = sc_span_text(st->d, t.span);
			while (text.n && (text.s[text.n - 1] == ' ' || text.s[text.n - 1] == '\t' ||
					  text.s[text.n - 1] == '\r'))
				text.n--;
			if (!own_line && st->ntok && st->tok[st->ntok - 1].post < 0 && npending == 0) {
				add_comment(st, text, false);
				st->tok[st->ntok - 1].post = (int32_t)(st->ncom - 1);
			} else {
				if (!npending) {
					pending = (uint32_t)st->ncom;
					pending_blank = blank;
				}
				add_comment(st, text, blank);
				npending++;
			}
			prev_end = t.span.off + t.span.len;
			continue;
		}
		if (st->ntok == cap) {
			cap *= 2;
			ftok *v = realloc(st->tok, cap * sizeof *v);
			if (!v)
				sc_fatal_oom();
			st->tok = v;
		}
		ftok *f = &st->tok[st->ntok++];
		f->t = t;
		f->text = sc_span_text(st->d, t.span);
		f->pre = pending;
		f->npre = npending;
		f->post = -1;
		f->blank_before = npending ? pending_blank : blank;
		f->blank_after_pre = npending && blank;
		npending = 0;
		if (type == 0)
			break;
		prev_end = t.span.off + t.span.len;
	}
	return 0;
}

/* ---- one output line ------------------------------------------------- */

typedef struct fline {
	sc_buf text;
	sc_buf trailing;           /* the first trailing comment of the line */
	sc_buf more;               /* further ones, each on a line of its own */
	size_t first;            /* index of its first token */
	bool has_first;
	int last;                /* type of the last token written */
} fline;

static bool tight_before(int type)
{
	return type == TK_COMMA || type == TK_RPAREN || type == TK_RBRACKET;
}

/* TK_AT is the '@' of a quoted set reference, @"name": the lexer reads it
 * only when the quote follows at once ("@ \"name\"" is an error), so no
 * space may go between them.  (fmt wrote one, its self-check then refused
 * every file with a quoted set reference; found by fuzz_diff.) */
static bool tight_after(int type)
{
	return type == TK_LPAREN || type == TK_LBRACKET || type == TK_KEYEQ || type == TK_AT;
}

/* The trailing comment of token F ends line L.  One comment per line: a
 * second one moves below (merging two would change the comments, and the
 * self-check would refuse the output). */
static void add_trailing(fstate *st, fline *l, const ftok *f)
{
	if (f->post < 0)
		return;
	sc_buf *dst = l->trailing.n ? &l->more : &l->trailing;
	sc_buf_put(dst, st->com[f->post].text.s, st->com[f->post].text.n);
	sc_buf_put(dst, "\n", 1);
}

/* Appends token I to the line, with the spacing rules of the layout. */
static void line_add(fstate *st, fline *l, size_t i)
{
	ftok *f = &st->tok[i];
	if (!l->has_first) {
		l->first = i;
		l->has_first = true;
	} else if (!tight_before(f->t.type) && !tight_after(l->last)) {
		sc_buf_put(&l->text, " ", 1);
	}
	l->last = f->t.type;
	sc_buf_put(&l->text, f->text.s, f->text.n);
	if (f->t.type == TK_KEYEQ)
		sc_buf_put(&l->text, "=", 1);
	add_trailing(st, l, f);
}

static void flush_carry(fstate *st, size_t indent)
{
	for (size_t o = 0; o < st->carry.n;) {
		const char *nl = memchr(st->carry.s + o, '\n', st->carry.n - o);
		size_t len = (size_t)(nl - (st->carry.s + o)) + 1;
		spaces(&st->out, indent);
		sc_buf_put(&st->out, st->carry.s + o, len);
		o += len;
	}
	st->carry.n = 0;
}

/* Writes the own-line comments of the line's tokens, then the line. */
static void line_emit(fstate *st, fline *l, size_t indent, size_t from, size_t to)
{
	bool blank = l->has_first && st->tok[l->first].blank_before;
	if (blank && !st->at_start)
		sc_buf_puts(&st->out, "\n");
	flush_carry(st, indent);
	/* the first comment's blank line is the line's own (blank_before) */
	bool first = true;
	for (size_t i = from; i < to; i++)
		for (uint32_t c = 0; c < st->tok[i].npre; c++) {
			const fcomment *cm = &st->com[st->tok[i].pre + c];
			if (!first && cm->blank_before)
				sc_buf_puts(&st->out, "\n");
			first = false;
			spaces(&st->out, indent);
			sc_buf_put(&st->out, cm->text.s, cm->text.n);
			sc_buf_puts(&st->out, "\n");
			st->at_start = false;
		}
	if (!first && l->has_first && st->tok[l->first].blank_after_pre)
		sc_buf_puts(&st->out, "\n"); /* "# header", blank line, then the statement */
	spaces(&st->out, indent);
	sc_buf_put(&st->out, l->text.s, l->text.n);
	if (l->trailing.n) {
		sc_buf_puts(&st->out, "  ");
		sc_buf_put(&st->out, l->trailing.s, l->trailing.n); /* ends in \n */
	} else {
		sc_buf_puts(&st->out, "\n");
	}
	/* Further trailing comments become own-line comments before the next
	 * line, at its indentation: where a second run would put them too. */
	if (l->more.n)
		sc_buf_put(&st->carry, l->more.s, l->more.n);
	st->at_start = false;
	free(l->text.s);
	free(l->trailing.s);
	free(l->more.s);
	memset(l, 0, sizeof *l);
}

/* Emits tokens [from, to) as one line. */
static void emit_range(fstate *st, size_t indent, size_t from, size_t to)
{
	fline l;
	memset(&l, 0, sizeof l);
	for (size_t i = from; i < to; i++)
		line_add(st, &l, i);
	line_emit(st, &l, indent, from, to);
}

/* ---- statements ------------------------------------------------------ */

static bool is_stmt_start(int type)
{
	return type == TK_TASK || type == TK_LET || type == TK_INCLUDE || type == TK_EXPECT || type == 0;
}

static bool is_clause(int type)
{
	return type == TK_ALLOWS || type == TK_ASKS || type == TK_DENIES;
}

/* Emits the items in [from, to): one per line, the first after PREFIX
 * (already in a line of its own), the rest aligned at column INDENT. */
static void emit_items(fstate *st, fline *head, size_t head_from, size_t indent_first, size_t align,
		       size_t from, size_t to)
{
	int depth = 0;
	size_t start = from;
	bool first = true;
	for (size_t i = from; i <= to; i++) {
		int type = i < to ? st->tok[i].t.type : TK_COMMA;
		if (type == TK_LPAREN || type == TK_LBRACKET)
			depth++;
		if (type == TK_RPAREN || type == TK_RBRACKET)
			depth--;
		if (type != TK_COMMA || depth > 0)
			continue;
		size_t end = i < to ? i + 1 : to; /* the comma stays with its item */
		if (first) {
			for (size_t k = start; k < end; k++)
				line_add(st, head, k);
			line_emit(st, head, indent_first, head_from, end);
			first = false;
		} else {
			fline l;
			memset(&l, 0, sizeof l);
			for (size_t k = start; k < end; k++)
				line_add(st, &l, k);
			line_emit(st, &l, align, start, end);
		}
		start = i + 1;
	}
}

static size_t emit_task(fstate *st, size_t i)
{
	size_t h = i;
	while (!is_stmt_start(st->tok[h + 1].t.type) && !is_clause(st->tok[h + 1].t.type))
		h++;
	emit_range(st, 0, i, h + 1);
	size_t c = h + 1;
	while (is_clause(st->tok[c].t.type)) {
		size_t e = c + 1;
		while (!is_stmt_start(st->tok[e].t.type) && !is_clause(st->tok[e].t.type))
			e++;
		fline head;
		memset(&head, 0, sizeof head);
		line_add(st, &head, c);
		spaces(&head.text, 6 - st->tok[c].text.n); /* "allows", "asks  ", "denies" */
		emit_items(st, &head, c, 2, 2 + 7, c + 1, e);
		c = e;
	}
	return c;
}

static size_t emit_let(fstate *st, size_t i)
{
	size_t e = i + 1;
	while (!is_stmt_start(st->tok[e].t.type))
		e++;
	/* let NAME = or let NAME= (KEYEQ): both become "let NAME = " */
	fline head;
	memset(&head, 0, sizeof head);
	size_t items = i + 1;
	line_add(st, &head, i);
	if (items < e) {
		ftok *name = &st->tok[items];
		sc_buf_put(&head.text, " ", 1);
		sc_buf_put(&head.text, name->text.s, name->text.n);
		add_trailing(st, &head, name);
		items++;
		if (name->t.type != TK_KEYEQ && items < e && st->tok[items].t.type == TK_ASSIGN)
			add_trailing(st, &head, &st->tok[items++]);
		sc_buf_put(&head.text, " =", 2);
	}
	/* line_add puts the space between "=" and the first item */
	size_t align = head.text.n + 1;
	head.has_first = true;
	head.first = i;
	head.last = TK_ASSIGN;
	emit_items(st, &head, i, 0, align, items, e);
	return e;
}

/* include and expect: one line; expect decisions are padded ("ask  ") so
 * that a block of expects reads as a table. */
static size_t emit_simple(fstate *st, size_t i)
{
	size_t e = i + 1;
	while (!is_stmt_start(st->tok[e].t.type))
		e++;
	fline l;
	memset(&l, 0, sizeof l);
	for (size_t k = i; k < e; k++) {
		line_add(st, &l, k);
		if (st->tok[i].t.type == TK_EXPECT && k == i + 1 && k + 1 < e && st->tok[k].text.n < 5)
			spaces(&l.text, 5 - st->tok[k].text.n);
	}
	line_emit(st, &l, 0, i, e);
	return e;
}

/* Next token of the self-check's stream: grammar tokens only, or comments
 * only (comments may move relative to tokens, never get lost or reorder). */
static int next_of(sc_lexer *lx, sc_token *t, bool comments)
{
	const char *msg;
	int type;
	do
		type = sc_lex_next(lx, t, &msg);
	while (type > 0 && (type == SC_TK_COMMENT) != comments);
	return type;
}

static sc_str trimmed(sc_diag *d, sc_token t, int type)
{
	sc_str s = sc_span_text(d, t.span);
	if (type == SC_TK_COMMENT)
		while (s.n && (s.s[s.n - 1] == ' ' || s.s[s.n - 1] == '\t' || s.s[s.n - 1] == '\r'))
			s.n--;
	return s;
}

/* KEYEQ is compared as NAME then '=' so that `let x=` and `let x =` agree. */
static bool same_stream(sc_diag *d, uint32_t a, uint32_t b, bool comments)
{
	sc_lexer la, lb;
	sc_lex_init(&la, sc_diag_source(d, a), a);
	sc_lex_init(&lb, sc_diag_source(d, b), b);
	la.keep_comments = lb.keep_comments = true;
	for (;;) {
		sc_token ta, tb;
		int x = next_of(&la, &ta, comments), y = next_of(&lb, &tb, comments);
		if (x < 0 || y < 0)
			return false;
		sc_str sa = trimmed(d, ta, x), sb = trimmed(d, tb, y);
		if ((x == TK_KEYEQ) != (y == TK_KEYEQ)) {
			bool kx = x == TK_KEYEQ;
			int other = kx ? y : x;
			int z = next_of(kx ? &lb : &la, kx ? &tb : &ta, false);
			if ((other != TK_WORD && other != TK_STRING) || z != TK_ASSIGN || !sc_str_eq(sa, sb))
				return false;
			continue;
		}
		if (x != y || !sc_str_eq(sa, sb))
			return false;
		if (x == 0)
			return true;
	}
}

static bool same_tokens(sc_diag *d, uint32_t a, uint32_t b)
{
	return same_stream(d, a, b, false) && same_stream(d, a, b, true);
}

int sc_fmt(sc_diag *d, uint32_t file, char **out, size_t *outlen)
{
	sc_arena *a = sc_arena_new();
	unsigned errors = d->errors;
	sc_parse_file(a, d, file);
	sc_arena_free(a);
	if (d->errors != errors)
		return -1;
	fstate st;
	memset(&st, 0, sizeof st);
	st.d = d;
	st.at_start = true;
	if (collect(&st, file) < 0) {
		free(st.tok);
		free(st.com);
		return -1;
	}
	size_t i = 0;
	while (st.tok[i].t.type != 0) {
		switch (st.tok[i].t.type) {
		case TK_TASK: i = emit_task(&st, i); break;
		case TK_LET: i = emit_let(&st, i); break;
		default: i = emit_simple(&st, i); break;
		}
	}
	/* comments after the last token */
	flush_carry(&st, 0);
	free(st.carry.s);
	ftok *eof = &st.tok[i];
	for (uint32_t c = 0; c < eof->npre; c++) {
		if ((c == 0 && eof->blank_before && !st.at_start) ||
		    (c > 0 && st.com[eof->pre + c].blank_before))
			sc_buf_puts(&st.out, "\n");
		sc_buf_put(&st.out, st.com[eof->pre + c].text.s, st.com[eof->pre + c].text.n);
		sc_buf_puts(&st.out, "\n");
		st.at_start = false;
	}
	if (!st.out.s)
		sc_buf_put(&st.out, "", 0);
	free(st.tok);
	free(st.com);
	uint32_t check = sc_diag_add(d, sc_diag_source(d, file)->path, st.out.s, st.out.n);
	if (!same_tokens(d, file, check)) {
		sc_span whole = { file, 0, 0 };
		sc_error(d, whole, "internal error: formatting would change this file's "
			 "tokens; the file is left as it is (please report this)");
		free(st.out.s);
		return -1;
	}
	*out = st.out.s;
	*outlen = st.out.n;
	return 0;
}
