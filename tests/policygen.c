/* policygen.c — the random policy and request generator (policygen.h). */
#include "policygen.h"
#include "arena.h"

#include <stdio.h>
#include <string.h>

unsigned sc_pg_pick(sc_pg_src *s, unsigned n)
{
	if (n <= 1)
		return 0; /* not a choice: not counted, so a mutant's AT always is one */
	s->picks++;
	unsigned r = s->pick(s, n);
	return r < n ? r : r % n;
}

/* ---- sources ------------------------------------------------------------ */

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned bytes_pick(sc_pg_src *s, unsigned n)
{
	sc_pg_bytes *b = (sc_pg_bytes *)s;
	unsigned width = n > 256 ? 2 : 1, v = 0;
	if (b->pos + width > b->size)
		return b->fallback ? (unsigned)(splitmix(&b->fallback) % n) : 0;
	for (unsigned i = 0; i < width; i++)
		v = v << 8 | b->data[b->pos++];
	return v % n;
}

void sc_pg_bytes_init(sc_pg_bytes *b, const uint8_t *data, size_t size, uint64_t fallback)
{
	*b = (sc_pg_bytes){ { bytes_pick, 0 }, data, size, 0, fallback };
}

static unsigned mutant_pick(sc_pg_src *s, unsigned n)
{
	sc_pg_mutant *m = (sc_pg_mutant *)s;
	/* the inner source counts from 0 too: its count before this choice */
	uint64_t index = m->inner->picks;
	unsigned v = sc_pg_pick(m->inner, n);
	if (index == m->at)
		v = (unsigned)((v + 1u + m->delta % (n - 1)) % n); /* never the same answer */
	return v;
}

void sc_pg_mutant_init(sc_pg_mutant *m, sc_pg_src *inner, uint64_t at, unsigned delta)
{
	*m = (sc_pg_mutant){ { mutant_pick, 0 }, inner, at, delta };
}

#define PICK(s, n) sc_pg_pick((s), (n))
#define PICK_OF(s, a) (a)[PICK((s), sizeof(a) / sizeof(a)[0])]

/* ---- policies ------------------------------------------------------------ */

static const char *const segs[] = { "a", "b", "ab", ".", "/", "*", "**", "?", "a.", "b/", ".a" };

static void gen_pattern(sc_buf *b, sc_pg_src *s)
{
	unsigned n = 1 + PICK(s, 4);
	for (unsigned i = 0; i < n; i++)
		sc_buf_printf(b, "%s", PICK_OF(s, segs));
}

/* A pattern, bare or (one time in six) quoted, which also lets it hold a
 * blank or an escaped quote that no bare word can.  (Here and below the
 * rarer spelling is the last choice: choice 0, all that an input that ran
 * out of bytes makes, is the plain one.) */
static void gen_name(sc_buf *b, sc_pg_src *s)
{
	static const char *const odd[] = { " ", "\\\"", "\\\\", "a b", "-", "~:%+" };
	if (PICK(s, 6) != 5) {
		gen_pattern(b, s);
		return;
	}
	sc_buf_puts(b, "\"");
	gen_pattern(b, s);
	if (PICK(s, 2))
		sc_buf_puts(b, PICK_OF(s, odd));
	sc_buf_puts(b, "\"");
}

/* the last one only quoted: a request writes it "k=v w\""=... */
static const char *const keys[] = { "k", "j", "n", "k=v w\"" };
/* condition values as policy text: the last two are a"b and a\b */
static const char *const vals[] = { "a", "b", "ab", "1", "5", "10", "-2.5", "x.y", "", "A", "a b", "a\\\"b",
				    "a\\\\b", "+1", "0" };

/* A key, bare or quoted (the same name either way). */
static void gen_key(sc_buf *b, sc_pg_src *s)
{
	unsigned i = PICK(s, 4);
	if (i == 3)
		sc_buf_puts(b, "\"k=v w\\\"\"");
	else
		sc_buf_printf(b, PICK(s, 8) != 7 ? "%s" : "\"%s\"", keys[i]);
}

static void gen_cond(sc_buf *b, sc_pg_src *s, int depth);

static void gen_test(sc_buf *b, sc_pg_src *s, unsigned r)
{
	static const char *const cmp[] = { "<", "<=", ">", ">=" };
	static const char *const nums[] = { "5", "1", "-3", "2.5", "10", "-0", "2.50", "007", "0", "-0.0", "+1",
					    "99999999999999999999.5" };
	static const char *const res[] = { "a.*", "[0-9]+", "(a|b)b?", "x\\.y", "", "A+", "\\d{1,2}",
					   "[^.]*\\.?", "(?:ab)*", "-?[0-9]+(\\.5)?", "a|\\/", "a\"b", "\\s|=",
					   "[a-c]{2,}", "(a|)b", "\\x41.", "^a$", "a\\\\b", "[+-]?0*1(\\.0*)?",
					   "a\\x00?", "[\\x00-\\x02]" };
	gen_key(b, s);
	switch (r) {
	case 0: case 7: sc_buf_printf(b, " == \"%s\"", PICK_OF(s, vals)); break;
	case 1: sc_buf_printf(b, " != \"%s\"", PICK_OF(s, vals)); break;
	case 2: sc_buf_printf(b, " %s %s", PICK_OF(s, cmp), PICK_OF(s, nums)); break;
	case 3: {
		unsigned n = 1 + PICK(s, 3);
		sc_buf_puts(b, " in [");
		for (unsigned i = 0; i < n; i++)
			sc_buf_printf(b, "%s\"%s\"", i ? ", " : "", PICK_OF(s, vals));
		sc_buf_puts(b, "]");
		break;
	}
	case 4: sc_buf_puts(b, " like "); gen_name(b, s); break;
	default: sc_buf_printf(b, " matches /%s/%s", PICK_OF(s, res), PICK(s, 3) ? "" : "i"); break;
	}
}

static void gen_cond(sc_buf *b, sc_pg_src *s, int depth)
{
	/* past depth 2 only leaves: the recursion always ends */
	unsigned r = PICK(s, depth > 2 ? 8 : 11);
	switch (r) {
	case 6: sc_buf_puts(b, "has "); gen_key(b, s); break;
	case 8: sc_buf_puts(b, "not ("); gen_cond(b, s, depth + 1); sc_buf_puts(b, ")"); break;
	case 9: case 10: {
		const char *op = r == 9 ? "and" : "or";
		unsigned n = 2 + PICK(s, 2);
		sc_buf_puts(b, "(");
		for (unsigned i = 0; i < n; i++) {
			if (i)
				sc_buf_printf(b, " %s ", op);
			gen_cond(b, s, depth + 1);
		}
		sc_buf_puts(b, ")");
		break;
	}
	default: gen_test(b, s, r); break;
	}
}

static void gen_items(sc_buf *b, sc_pg_src *s, unsigned nsets)
{
	unsigned n = 1 + PICK(s, 3);
	for (unsigned i = 0; i < n; i++) {
		if (i)
			sc_buf_puts(b, ", ");
		if (nsets && PICK(s, 6) == 0) {
			unsigned k = PICK(s, nsets);
			sc_buf_printf(b, PICK(s, 4) != 3 ? "@s%u" : "@\"s%u\"", k);
		} else {
			gen_name(b, s);
			if (PICK(s, 3)) {
				sc_buf_puts(b, " ");
				gen_name(b, s);
			}
		}
		if (PICK(s, 3) == 0) {
			sc_buf_puts(b, " when ");
			gen_cond(b, s, 0);
		}
	}
}

static void gen_clauses(sc_buf *b, sc_pg_src *s, unsigned nsets)
{
	static const char *const kinds[] = { "allows", "asks", "denies", "allows" };
	unsigned n = PICK(s, 4);
	for (unsigned i = 0; i < n; i++) {
		sc_buf_printf(b, "\n  %s ", PICK_OF(s, kinds));
		gen_items(b, s, nsets);
	}
}

/* `extends` one or two earlier tasks (acyclic). */
static void gen_extends(sc_buf *b, sc_pg_src *s, unsigned t)
{
	if (!t || !PICK(s, 2))
		return;
	unsigned a = PICK(s, t);
	sc_buf_printf(b, " extends t%u", a);
	if (t > 1 && PICK(s, 4) == 0) {
		unsigned c = PICK(s, t);
		if (c != a)
			sc_buf_printf(b, ", t%u", c);
	}
}

char *sc_pg_policy(sc_pg_src *s)
{
	sc_buf b = { 0 };
	unsigned nsets = PICK(s, 3);
	for (unsigned i = 0; i < nsets; i++) {
		/* `let s0 = ...` or `let s0=...` (a KEYEQ token) */
		sc_buf_printf(&b, PICK(s, 4) != 3 ? "let s%u = " : "let s%u=", i);
		gen_items(&b, s, i); /* only earlier sets: acyclic */
		sc_buf_puts(&b, PICK(s, 8) != 7 ? "\n" : "  # a comment\n");
	}
	unsigned ntasks = 1 + PICK(s, 4);
	for (unsigned t = 0; t < ntasks; t++) {
		sc_buf_printf(&b, "task t%u", t);
		gen_extends(&b, s, t);
		gen_clauses(&b, s, nsets);
		sc_buf_puts(&b, "\n");
	}
	for (unsigned i = PICK(s, 3); i > 0; i--) {
		sc_buf_puts(&b, "task *");
		gen_clauses(&b, s, nsets);
		sc_buf_puts(&b, "\n");
	}
	return b.s;
}

/* ---- requests -------------------------------------------------------------- */

static const char *const rsegs[] = { "a", "b", "ab", ".", "/", "x", "aa", "", "A", " ", "=", "\"", "\\", "-" };
/* the values of the conditions, numbers spelled otherwise, and case */
static const char *const rvals[] = { "a", "b", "ab", "1", "5", "10", "-2.5", "x.y", "2.50", "-0", "AB", "",
				     "a b", "a\"b", "a\\b", "+1", "1.", ".5", "-", "00", "-0.0", "1.000", "1e3",
				     " 1", "0x10", "99999999999999999999.50" };

static void gen_string(sc_pg_src *s, char *buf)
{
	unsigned n = PICK(s, 6);
	buf[0] = 0;
	for (unsigned i = 0; i < n; i++)
		strcat(buf, PICK_OF(s, rsegs));
}

void sc_pg_request(sc_pg_src *s, sc_pg_req *r)
{
	snprintf(r->task, sizeof r->task, "t%u", PICK(s, 5));
	gen_string(s, r->action);
	gen_string(s, r->resource);
	r->nattrs = 0;
	for (unsigned k = 0; k < 4; k++)
		if (PICK(s, 2)) {
			r->attrs[r->nattrs].key = sc_str_c(keys[k]);
			r->attrs[r->nattrs].value = sc_str_c(PICK_OF(s, rvals));
			r->nattrs++;
		}
	r->rq = (sc_request){ sc_str_c(r->task), sc_str_c(r->action), sc_str_c(r->resource),
			      r->attrs, r->nattrs };
}
