/* regexdfa.c — see regexdfa.h.  Three steps: a bounded recursive-descent
 * parse to a tree, a Thompson NFA emitted back to front, and the subset
 * construction; then the self-check against PCRE2. */
#include "regexdfa.h"
#include "arena.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RE_MAX_DEPTH 100u        /* nested groups (PCRE2's own limit is 250) */
#define RE_MAX_NFA 20000u        /* NFA nodes, after counted repetition */
#define RE_MAX_STATES 4096u      /* DFA states */
#define RE_MAX_CHECKS 4096u      /* PCRE2 matches of the self-check */
#define RE_MAX_CHECK_BYTES (1u << 18) /* and the bytes they read */

typedef struct bset {
	uint64_t w[4];
} bset;

static bool bs_has(const bset *s, unsigned b)
{
	return (s->w[b >> 6] >> (b & 63)) & 1u;
}

static void bs_add(bset *s, unsigned b)
{
	s->w[b >> 6] |= 1ull << (b & 63);
}

/* ---- parse ------------------------------------------------------------- */

enum { T_EMPTY, T_SET, T_BEGIN, T_END, T_ENDZ, T_CAT, T_ALT, T_REP };

#define REP_INF UINT32_MAX

typedef struct rnode {
	uint8_t type;
	uint32_t kid, next;      /* first child, next sibling; 0 = none */
	uint32_t min, max;       /* T_REP */
	uint32_t set;            /* T_SET: index into sets */
} rnode;

typedef struct rparser {
	const char *s;
	size_t n, i;
	bool caseless, lf_newline;
	bool in_quote;           /* inside \Q...\E */
	rnode *node;             /* node 0 is unused (0 = none) */
	uint32_t nn, capn;
	bset *sets;
	uint32_t nsets, capsets;
	pcre2_match_data *md;
	const char *why;         /* the unsupported feature, static text */
	size_t why_at;
} rparser;

static uint32_t fail(rparser *p, const char *why, size_t at)
{
	if (!p->why) {
		p->why = why;
		p->why_at = at;
	}
	return 0;
}

static uint32_t new_node(rparser *p, uint8_t type)
{
	if (p->nn == p->capn) {
		p->capn = p->capn ? 2 * p->capn : 64;
		p->node = sc_xrealloc(p->node, p->capn * sizeof *p->node);
	}
	memset(&p->node[p->nn], 0, sizeof *p->node);
	p->node[p->nn].type = type;
	return p->nn++;
}

static uint32_t set_node(rparser *p, const bset *s)
{
	if (p->nsets == p->capsets) {
		p->capsets = p->capsets ? 2 * p->capsets : 32;
		p->sets = sc_xrealloc(p->sets, p->capsets * sizeof *p->sets);
	}
	p->sets[p->nsets] = *s;
	uint32_t id = new_node(p, T_SET);
	p->node[id].set = p->nsets++;
	return id;
}

/* The bytes the one-byte atom TEXT matches, asked of PCRE2: exact for
 * classes, escapes and case folding whatever the library's tables. */
static bool oracle_set(rparser *p, const char *text, size_t n, bset *out)
{
	int err;
	PCRE2_SIZE off;
	uint32_t opts = PCRE2_ANCHORED | PCRE2_ENDANCHORED | (p->caseless ? PCRE2_CASELESS : 0);
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)text, n, opts, &err, &off, NULL);
	if (!code)
		return false;
	memset(out, 0, sizeof *out);
	for (unsigned b = 0; b < 256; b++) {
		unsigned char c = (unsigned char)b;
		if (pcre2_match(code, &c, 1, 0, 0, p->md, NULL) >= 0)
			bs_add(out, b);
	}
	pcre2_code_free(code);
	return true;
}

/* Byte B as an atom; caseless letters are asked of PCRE2. */
static uint32_t literal(rparser *p, unsigned b, size_t from)
{
	bset s = { { 0 } };
	if (p->caseless && (isalpha((int)b) || b >= 0x80)) {
		if (!oracle_set(p, p->s + from, p->i - from, &s))
			return fail(p, "an escape diff does not read", from);
	} else {
		bs_add(&s, b);
	}
	return set_node(p, &s);
}

static uint32_t oracle_node(rparser *p, size_t from, const char *what)
{
	bset s;
	if (!oracle_set(p, p->s + from, p->i - from, &s))
		return fail(p, what, from);
	return set_node(p, &s);
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Skips "{...}" at p->i (for \x{..}, \o{..}, \p{..}); false if unclosed. */
static bool skip_braced(rparser *p)
{
	if (p->i >= p->n || p->s[p->i] != '{')
		return true;
	const char *close = memchr(p->s + p->i, '}', p->n - p->i);
	if (!close)
		return false;
	p->i = (size_t)(close - p->s) + 1;
	return true;
}

/* An escape that is one literal byte: \xhh \x{..} \0oo \o{..} \cX. */
static uint32_t numeric_escape(rparser *p, size_t from, char e)
{
	if (e == 'x' && p->i < p->n && p->s[p->i] != '{') {
		for (int k = 0; k < 2 && p->i < p->n && hexval(p->s[p->i]) >= 0; k++)
			p->i++;
	} else if (e == '0') {
		for (int k = 0; k < 2 && p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '7'; k++)
			p->i++;
	} else if (e == 'c') {
		if (p->i >= p->n)
			return fail(p, "an escape diff does not read", from);
		p->i++;
	} else if (!skip_braced(p)) {
		return fail(p, "an escape diff does not read", from);
	}
	return oracle_node(p, from, "an escape diff does not read");
}

static bool at_quote_end(const rparser *p)
{
	return p->i + 1 < p->n && p->s[p->i] == '\\' && p->s[p->i + 1] == 'E';
}

/* One byte inside \Q...\E.  A quantifier after the \E applies to the last
 * byte, as in PCRE2, so the \E is consumed with it. */
static uint32_t quoted(rparser *p)
{
	if (p->i >= p->n || at_quote_end(p)) {
		p->i += p->i < p->n ? 2 : 0;
		p->in_quote = false;
		return new_node(p, T_EMPTY);
	}
	size_t from = p->i++;
	uint32_t a = literal(p, (unsigned char)p->s[from], from);
	if (at_quote_end(p)) {
		p->i += 2;
		p->in_quote = false;
	}
	return a;
}

static uint32_t escape(rparser *p)
{
	size_t from = p->i++;
	if (p->i >= p->n)
		return fail(p, "a trailing backslash", from);
	char e = p->s[p->i++];
	switch (e) {
	case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9':
	case 'g': case 'k':
		return fail(p, "a backreference (not a regular language)", from);
	case 'b': case 'B': return fail(p, "a word-boundary assertion (\\b, \\B)", from);
	case 'G': return fail(p, "the \\G assertion", from);
	case 'K': return fail(p, "a match reset (\\K)", from);
	case 'R': return fail(p, "a newline sequence (\\R)", from);
	case 'X': return fail(p, "an extended grapheme (\\X)", from);
	case 'C': return fail(p, "a single code unit (\\C)", from);
	case 'A': return new_node(p, T_BEGIN);
	case 'z': return new_node(p, T_ENDZ);
	case 'Z': return new_node(p, T_END);
	case 'E': return new_node(p, T_EMPTY);
	case 'Q': p->in_quote = true; return quoted(p);
	case 'x': case '0': case 'o': case 'c': return numeric_escape(p, from, e);
	case 'N':
		if (!p->lf_newline)
			return fail(p, "\\N with a newline convention other than LF", from);
		return oracle_node(p, from, "an escape diff does not read");
	case 'd': case 'D': case 's': case 'S': case 'w': case 'W': case 'h': case 'H': case 'v': case 'V':
	case 't': case 'n': case 'r': case 'f': case 'e': case 'a':
		return oracle_node(p, from, "an escape diff does not read");
	case 'p': case 'P':
		if (!skip_braced(p))
			return fail(p, "an escape diff does not read", from);
		if (p->s[p->i - 1] != '}' && p->i < p->n)
			p->i++; /* \pL: one letter */
		return oracle_node(p, from, "an escape diff does not read");
	default:
		if (isalnum((unsigned char)e))
			return fail(p, "an escape diff does not read", from);
		return literal(p, (unsigned char)e, from);
	}
}

/* [...]: the extent is found here, the members are PCRE2's. */
static uint32_t char_class(rparser *p)
{
	size_t from = p->i++;
	if (p->i < p->n && p->s[p->i] == '^')
		p->i++;
	if (p->i < p->n && p->s[p->i] == ']')
		p->i++;
	while (p->i < p->n && p->s[p->i] != ']') {
		char c = p->s[p->i];
		if (c == '\\' && p->i + 1 < p->n) {
			if (p->s[p->i + 1] == 'Q' || p->s[p->i + 1] == 'E')
				return fail(p, "\\Q...\\E inside a character class", p->i);
			p->i += p->s[p->i + 1] == 'c' ? 3 : 2;
		} else if (c == '[' && p->i + 1 < p->n && strchr(":.=", p->s[p->i + 1])) {
			char k = p->s[p->i + 1];
			size_t j = p->i + 2;
			while (j + 1 < p->n && !(p->s[j] == k && p->s[j + 1] == ']'))
				j++;
			p->i = j + 2;
		} else {
			p->i++;
		}
	}
	if (p->i >= p->n)
		return fail(p, "a character class diff does not read", from);
	p->i++;
	return oracle_node(p, from, "a character class diff does not read");
}

static uint32_t parse_alt(rparser *p, unsigned depth);

/* (?...) and ( ): which groups are regular, and the names of those that
 * are not. */
static uint32_t group(rparser *p, unsigned depth)
{
	size_t from = p->i++;
	if (depth >= RE_MAX_DEPTH)
		return fail(p, "groups nested too deeply", from);
	if (p->i < p->n && p->s[p->i] == '*')
		return fail(p, "a (*VERB) or start-of-pattern option", from);
	if (p->i < p->n && p->s[p->i] == '?') {
		char c = p->i + 1 < p->n ? p->s[p->i + 1] : 0, c2 = p->i + 2 < p->n ? p->s[p->i + 2] : 0;
		if (c == ':' || c == '|') {
			p->i += 2;
		} else if (c == '#') {
			const char *close = memchr(p->s + p->i, ')', p->n - p->i);
			p->i = close ? (size_t)(close - p->s) + 1 : p->n;
			return new_node(p, T_EMPTY);
		} else if (c == '=' || c == '!' || c == '*') {
			return fail(p, "a lookahead assertion", from);
		} else if (c == '<' && (c2 == '=' || c2 == '!')) {
			return fail(p, "a lookbehind assertion", from);
		} else if (c == '>') {
			return fail(p, "an atomic group", from);
		} else if (c == '(') {
			return fail(p, "a conditional group", from);
		} else if (c == '<' || c == '\'' || (c == 'P' && c2 == '<')) {
			char close = c == '\'' ? '\'' : '>';
			const char *end = memchr(p->s + p->i + 2, close, p->n - p->i - 2);
			if (!end)
				return fail(p, "a group name diff does not read", from);
			p->i = (size_t)(end - p->s) + 1; /* a named group matches as a plain one */
		} else if (c == 'P' && c2 == '=') {
			return fail(p, "a backreference (not a regular language)", from);
		} else if (c == 'R' || c == '&' || c == '+' || (c >= '0' && c <= '9') || c == 'P') {
			return fail(p, "a recursion or subroutine call", from);
		} else if (c == 'C') {
			return fail(p, "a callout", from);
		} else {
			return fail(p, "an inline option setting (?...)", from);
		}
	}
	uint32_t body = parse_alt(p, depth + 1);
	if (!body)
		return 0;
	if (p->i >= p->n || p->s[p->i] != ')')
		return fail(p, "an unclosed group", from);
	p->i++;
	return body;
}

static uint32_t atom(rparser *p, unsigned depth)
{
	if (p->in_quote)
		return quoted(p);
	size_t from = p->i;
	unsigned char c = (unsigned char)p->s[p->i];
	switch (c) {
	case '(': return group(p, depth);
	case '[': return char_class(p);
	case '\\': return escape(p);
	case '^': p->i++; return new_node(p, T_BEGIN);
	case '$':
		p->i++;
		if (!p->lf_newline)
			return fail(p, "'$' with a newline convention other than LF", from);
		return new_node(p, T_END);
	case '.':
		p->i++;
		if (!p->lf_newline)
			return fail(p, "'.' with a newline convention other than LF", from);
		return oracle_node(p, from, "'.'");
	case '*': case '+': case '?': case '{':
		return fail(p, "a quantifier diff does not read", from);
	default:
		p->i++;
		return literal(p, c, from);
	}
}

/* Reads "{m}", "{m,}" or "{m,n}" at p->i; false (and p->i unchanged) for
 * any other '{', which PCRE2 versions read differently. */
static bool counted(rparser *p, uint32_t *min, uint32_t *max)
{
	size_t j = p->i + 1;
	unsigned long a = 0, b;
	size_t d0 = j;
	while (j < p->n && isdigit((unsigned char)p->s[j]) && a <= 65535)
		a = a * 10 + (unsigned long)(p->s[j++] - '0');
	if (j == d0 || j >= p->n || a > 65535)
		return false;
	b = a;
	if (p->s[j] == ',') {
		size_t d1 = ++j;
		b = 0;
		while (j < p->n && isdigit((unsigned char)p->s[j]) && b <= 65535)
			b = b * 10 + (unsigned long)(p->s[j++] - '0');
		if (j == d1)
			b = REP_INF;
		else if (b > 65535 || b < a)
			return false;
	}
	if (j >= p->n || p->s[j] != '}')
		return false;
	p->i = j + 1;
	*min = (uint32_t)a;
	*max = (uint32_t)b;
	return true;
}

static uint32_t quantified(rparser *p, unsigned depth)
{
	uint32_t a = atom(p, depth);
	if (!a || p->i >= p->n || p->in_quote)
		return a;
	size_t at = p->i;
	uint32_t min, max;
	char c = p->s[p->i];
	if (c == '*' || c == '+' || c == '?') {
		min = c == '+';
		max = c == '?' ? 1 : REP_INF;
		p->i++;
	} else if (c == '{') {
		if (!counted(p, &min, &max))
			return fail(p, "a '{' that is not a quantifier", at);
	} else {
		return a;
	}
	uint8_t t = p->node[a].type;
	if (t == T_BEGIN || t == T_END || t == T_ENDZ)
		return fail(p, "a quantified anchor", at);
	if (t == T_EMPTY)
		return fail(p, "a quantifier after an empty item (\\E, a comment)", at);
	if (p->i < p->n && p->s[p->i] == '+')
		return fail(p, "a possessive quantifier", p->i);
	if (p->i < p->n && p->s[p->i] == '?')
		p->i++; /* lazy: the same strings match in full */
	if (p->i < p->n && strchr("*+?{", p->s[p->i]))
		return fail(p, "a repeated quantifier", p->i);
	uint32_t r = new_node(p, T_REP);
	p->node[r].kid = a;
	p->node[r].min = min;
	p->node[r].max = max;
	return r;
}

static uint32_t parse_cat(rparser *p, unsigned depth)
{
	uint32_t cat = new_node(p, T_CAT), last = 0;
	while (p->i < p->n && (p->in_quote || (p->s[p->i] != '|' && p->s[p->i] != ')'))) {
		uint32_t a = quantified(p, depth);
		if (!a)
			return 0;
		if (last)
			p->node[last].next = a;
		else
			p->node[cat].kid = a;
		last = a;
	}
	return cat;
}

static uint32_t parse_alt(rparser *p, unsigned depth)
{
	uint32_t alt = new_node(p, T_ALT), last = 0;
	for (;;) {
		uint32_t c = parse_cat(p, depth);
		if (!c)
			return 0;
		if (last)
			p->node[last].next = c;
		else
			p->node[alt].kid = c;
		last = c;
		if (p->i >= p->n || p->s[p->i] != '|')
			return alt;
		p->i++;
	}
}

/* ---- NFA ----------------------------------------------------------------- */

enum { N_SET, N_SPLIT, N_EPS, N_BEGIN, N_END, N_ENDZ, N_MATCH };

typedef struct nnode {
	uint8_t type;
	uint32_t out1, out2;
	uint32_t set;
} nnode;

typedef struct nfa {
	nnode *v;
	uint32_t n, cap;
	bool too_big;
} nfa;

static uint32_t nfa_add(nfa *a, uint8_t type, uint32_t out1, uint32_t out2)
{
	if (a->n >= RE_MAX_NFA) {
		a->too_big = true;
		return 0;
	}
	if (a->n == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 256;
		a->v = sc_xrealloc(a->v, a->cap * sizeof *a->v);
	}
	a->v[a->n] = (nnode){ type, out1, out2, 0 };
	return a->n++;
}

static uint32_t emit(const rparser *p, nfa *a, uint32_t t, uint32_t next);

static uint32_t emit_seq(const rparser *p, nfa *a, uint32_t first, uint32_t next)
{
	uint32_t n = 0;
	for (uint32_t k = first; k; k = p->node[k].next)
		n++;
	if (!n)
		return next;
	uint32_t *kids = sc_xcalloc(n, sizeof *kids), i = 0;
	for (uint32_t k = first; k; k = p->node[k].next)
		kids[i++] = k;
	while (i-- && !a->too_big)
		next = emit(p, a, kids[i], next);
	free(kids);
	return next;
}

static uint32_t emit_rep(const rparser *p, nfa *a, const rnode *r, uint32_t next)
{
	uint32_t t = next;
	if (r->max == REP_INF) {
		uint32_t s = nfa_add(a, N_SPLIT, 0, next);
		uint32_t body = emit(p, a, r->kid, s);
		if (a->too_big)
			return 0;
		a->v[s].out1 = body;
		t = s;
	} else {
		/* x{0,k} as x(x(x)?)?)? read back to front */
		for (uint32_t i = r->min; i < r->max && !a->too_big; i++)
			t = nfa_add(a, N_SPLIT, emit(p, a, r->kid, t), next);
	}
	for (uint32_t i = 0; i < r->min && !a->too_big; i++)
		t = emit(p, a, r->kid, t);
	return t;
}

/* The start of T's automaton, continuing at NEXT.  Depth is bounded by
 * the tree's, which RE_MAX_DEPTH bounds. */
static uint32_t emit(const rparser *p, nfa *a, uint32_t t, uint32_t next)
{
	const rnode *r = &p->node[t];
	switch (r->type) {
	case T_SET: {
		uint32_t s = nfa_add(a, N_SET, next, 0);
		if (!a->too_big)
			a->v[s].set = r->set;
		return s;
	}
	case T_BEGIN: return nfa_add(a, N_BEGIN, next, 0);
	case T_END: return nfa_add(a, N_END, next, 0);
	case T_ENDZ: return nfa_add(a, N_ENDZ, next, 0);
	case T_CAT: return emit_seq(p, a, r->kid, next);
	case T_ALT: {
		uint32_t n = 0;
		for (uint32_t k = r->kid; k; k = p->node[k].next)
			n++;
		uint32_t *kids = sc_xcalloc(n, sizeof *kids), i = 0;
		for (uint32_t k = r->kid; k; k = p->node[k].next)
			kids[i++] = k;
		uint32_t s = emit(p, a, kids[n - 1], next);
		for (i = n - 1; i-- && !a->too_big;)
			s = nfa_add(a, N_SPLIT, emit(p, a, kids[i], next), s);
		free(kids);
		return s;
	}
	case T_REP: return emit_rep(p, a, r, next);
	default: return next;
	}
}

/* ---- subset construction ---------------------------------------------- */

typedef struct sbuild {
	const nfa *a;
	const bset *sets;
	uint32_t *mark, gen;
	uint32_t *stack;
	uint32_t *tmp, ntmp;
	bool accept;
	/* states */
	uint32_t **members, *nmembers;
	uint8_t *acc;
	uint32_t *parent;        /* for the self-check: shortest strings */
	uint8_t *via;            /* class that led here */
	uint32_t nstates, cap;
	uint32_t *trans;
	uint32_t ncls;
	uint8_t rep[256];        /* a byte of each class */
	uint32_t *htab;          /* state + 1, open addressing by members */
	size_t hcap;
} sbuild;

/* Closure modes.  '$' (and \Z) matches at the end or before a final
 * newline: past it, only the end or one last '\n' may follow (M_NL); past
 * \z only the end (M_END). */
enum { M_NORMAL, M_NL, M_END };

/* Sets b->tmp to the N_SET nodes of the epsilon closure of SEEDS (each
 * node << 2 | mode), as node << 1 | 1 for those that may only take the
 * final '\n', and b->accept to whether N_MATCH is reached (the string may
 * end here).  '^' passes only at the start. */
static void closure(sbuild *b, const uint32_t *seeds, uint32_t nseeds, bool at_start)
{
	b->gen++;
	b->ntmp = 0;
	b->accept = false;
	uint32_t sp = 0;
	for (uint32_t i = 0; i < nseeds; i++)
		b->stack[sp++] = seeds[i];
	while (sp) {
		uint32_t e = b->stack[--sp], q = e >> 2, mode = e & 3;
		if (b->mark[e] == b->gen)
			continue;
		b->mark[e] = b->gen;
		const nnode *nd = &b->a->v[q];
		switch (nd->type) {
		case N_SET:
			if (mode == M_NORMAL)
				b->tmp[b->ntmp++] = q << 1;
			else if (mode == M_NL && bs_has(&b->sets[nd->set], '\n'))
				b->tmp[b->ntmp++] = q << 1 | 1;
			break;
		case N_MATCH: b->accept = true; break;
		case N_SPLIT:
			b->stack[sp++] = nd->out1 << 2 | mode;
			b->stack[sp++] = nd->out2 << 2 | mode;
			break;
		case N_EPS: b->stack[sp++] = nd->out1 << 2 | mode; break;
		case N_BEGIN:
			if (at_start)
				b->stack[sp++] = nd->out1 << 2 | mode;
			break;
		case N_END: b->stack[sp++] = nd->out1 << 2 | (mode == M_END ? M_END : M_NL); break;
		default: b->stack[sp++] = nd->out1 << 2 | M_END; break; /* N_ENDZ */
		}
	}
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return a < b ? -1 : a > b;
}

static uint32_t sb_new_state(sbuild *b)
{
	if (b->nstates == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 64;
		b->members = sc_xrealloc(b->members, b->cap * sizeof *b->members);
		b->nmembers = sc_xrealloc(b->nmembers, b->cap * sizeof *b->nmembers);
		b->acc = sc_xrealloc(b->acc, b->cap);
		b->parent = sc_xrealloc(b->parent, b->cap * sizeof *b->parent);
		b->via = sc_xrealloc(b->via, b->cap);
		b->trans = sc_xrealloc(b->trans, (size_t)b->cap * b->ncls * sizeof *b->trans);
	}
	uint32_t s = b->nstates++;
	b->members[s] = NULL;
	b->nmembers[s] = 0;
	b->acc[s] = 0;
	b->parent[s] = s;
	b->via[s] = 0;
	memset(b->trans + (size_t)s * b->ncls, 0, b->ncls * sizeof *b->trans);
	return s;
}

static uint64_t members_hash(const uint32_t *m, uint32_t n, bool acc)
{
	uint64_t h = 0xcbf29ce484222325ull ^ acc;
	for (uint32_t i = 0; i < n; i++) {
		h ^= m[i];
		h *= 0x100000001b3ull;
		h ^= h >> 31;
	}
	return h;
}

static void sb_rehash(sbuild *b)
{
	free(b->htab);
	b->hcap = b->hcap ? 2 * b->hcap : 256;
	b->htab = sc_xcalloc(b->hcap, sizeof *b->htab);
	for (uint32_t s = 1; s < b->nstates; s++) {
		size_t i = members_hash(b->members[s], b->nmembers[s], b->acc[s]) & (b->hcap - 1);
		while (b->htab[i])
			i = (i + 1) & (b->hcap - 1);
		b->htab[i] = s + 1;
	}
}

/* The state of b->tmp / b->accept.  Equal members, equal futures (only
 * the start closure passes '^'). */
static uint32_t sb_intern(sbuild *b, uint32_t parent, uint8_t via, bool *too_big)
{
	if (!b->ntmp && !b->accept)
		return 0;
	qsort(b->tmp, b->ntmp, sizeof *b->tmp, cmp_u32);
	if (2 * ((size_t)b->nstates + 1) > b->hcap)
		sb_rehash(b);
	size_t i = members_hash(b->tmp, b->ntmp, b->accept) & (b->hcap - 1);
	for (uint32_t t; (t = b->htab[i]) != 0; i = (i + 1) & (b->hcap - 1)) {
		uint32_t s = t - 1;
		if (b->acc[s] == b->accept && b->nmembers[s] == b->ntmp &&
		    memcmp(b->members[s], b->tmp, b->ntmp * sizeof *b->tmp) == 0)
			return s;
	}
	if (b->nstates >= RE_MAX_STATES) {
		*too_big = true;
		return 0;
	}
	uint32_t s = sb_new_state(b);
	b->members[s] = sc_xcalloc(b->ntmp ? b->ntmp : 1, sizeof **b->members);
	memcpy(b->members[s], b->tmp, b->ntmp * sizeof *b->tmp);
	b->nmembers[s] = b->ntmp;
	b->acc[s] = b->accept;
	b->parent[s] = parent;
	b->via[s] = via;
	b->htab[i] = s + 1;
	return s;
}

/* Byte classes: bytes in the same class are in the same sets. */
static void make_classes(sbuild *b, uint8_t cmap[256], uint32_t nsets)
{
	/* '\n' is a class of its own: after '$' only it may follow */
	for (unsigned c = 0; c < 256; c++)
		cmap[c] = c == '\n';
	uint32_t ncls = 2;
	for (uint32_t k = 0; k < nsets && ncls < 256; k++) {
		int16_t remap[512];
		memset(remap, -1, sizeof remap);
		uint32_t n = 0;
		for (unsigned c = 0; c < 256; c++) {
			unsigned key = cmap[c] * 2u + bs_has(&b->sets[k], c);
			if (remap[key] < 0)
				remap[key] = (int16_t)n++;
			cmap[c] = (uint8_t)remap[key];
		}
		ncls = n;
	}
	b->ncls = ncls;
	bool seen[256] = { false };
	for (unsigned c = 0; c < 256; c++)
		if (!seen[cmap[c]]) {
			seen[cmap[c]] = true;
			b->rep[cmap[c]] = (uint8_t)c;
		}
}

static void expand_state(sbuild *b, uint32_t s, uint32_t *seeds, bool *too_big)
{
	for (uint32_t c = 0; c < b->ncls && !*too_big; c++) {
		uint32_t ns = 0;
		unsigned byte = b->rep[c];
		for (uint32_t k = 0; k < b->nmembers[s]; k++) {
			uint32_t m = b->members[s][k];
			const nnode *nd = &b->a->v[m >> 1];
			if (!bs_has(&b->sets[nd->set], byte))
				continue;
			if (!(m & 1))
				seeds[ns++] = nd->out1 << 2 | M_NORMAL;
			else if (byte == '\n') /* the final newline: the end must follow */
				seeds[ns++] = nd->out1 << 2 | M_END;
		}
		closure(b, seeds, ns, false);
		uint32_t t = sb_intern(b, s, (uint8_t)c, too_big);
		b->trans[(size_t)s * b->ncls + c] = t;
	}
}

/* ---- self-check ----------------------------------------------------------- */

static size_t path_of(const sbuild *b, uint32_t s, unsigned char *buf, size_t cap)
{
	size_t n = 0;
	for (uint32_t k = s; k != b->parent[k] && n < cap; k = b->parent[k])
		n++;
	if (n >= cap)
		return SIZE_MAX;
	size_t j = n;
	for (uint32_t k = s; k != b->parent[k]; k = b->parent[k])
		buf[--j] = b->rep[b->via[k]];
	return n;
}

/* Every state, and every transition out of it, agrees with PCRE2 on the
 * shortest string that reaches it.  False on a disagreement. */
static bool self_check(const sbuild *b, const pcre2_code *code, pcre2_match_data *md)
{
	enum { CAP = 4096 };
	unsigned char *buf = sc_xcalloc(CAP + 1, 1);
	uint32_t checks = 0;
	size_t bytes = 0;
	bool ok = true;
	for (uint32_t s = 1; s < b->nstates && ok && checks < RE_MAX_CHECKS && bytes < RE_MAX_CHECK_BYTES; s++) {
		size_t n = path_of(b, s, buf, CAP);
		if (n == SIZE_MAX)
			continue;
		bytes += (n + 1) * (b->ncls + 2);
		for (uint32_t c = 0; c <= b->ncls && ok && checks < RE_MAX_CHECKS; c++, checks++) {
			size_t len = n;
			uint32_t want = s;
			if (c < b->ncls) {
				buf[len++] = b->rep[c];
				want = b->trans[(size_t)s * b->ncls + c];
			}
			int rc = pcre2_match(code, buf, len, 0, 0, md, NULL);
			if (rc < 0 && rc != PCRE2_ERROR_NOMATCH)
				continue; /* the library gave up: nothing to compare */
			ok = (rc >= 0) == (want && b->acc[want]);
		}
	}
	free(buf);
	return ok;
}

/* ---- driver ----------------------------------------------------------------- */

static bool lf_newline(void)
{
	uint32_t nl = 0;
	pcre2_config(PCRE2_CONFIG_NEWLINE, &nl);
	return nl == PCRE2_NEWLINE_LF;
}

static void sbuild_free(sbuild *b)
{
	for (uint32_t s = 1; s < b->nstates; s++)
		free(b->members[s]);
	free(b->members);
	free(b->nmembers);
	free(b->parent);
	free(b->via);
	free(b->mark);
	free(b->stack);
	free(b->tmp);
	free(b->htab);
}

/* NFA to DFA into OUT; returns false when it has too many states. */
static bool determinize(const nfa *a, const bset *sets, uint32_t nsets, uint32_t start, sc_redfa *out,
			const pcre2_code *code, pcre2_match_data *md, bool *checked)
{
	sbuild b;
	memset(&b, 0, sizeof b);
	b.a = a;
	b.sets = sets;
	b.mark = sc_xcalloc(4 * (size_t)a->n + 4, sizeof *b.mark);
	b.stack = sc_xcalloc(12 * (size_t)a->n + 8, sizeof *b.stack);
	b.tmp = sc_xcalloc(2 * (size_t)a->n + 2, sizeof *b.tmp);
	uint32_t *seeds = sc_xcalloc(2 * (size_t)a->n + 2, sizeof *seeds);
	make_classes(&b, out->cmap, nsets);
	bool too_big = false;
	sb_new_state(&b); /* 0: dead */
	uint32_t seed = start << 2 | M_NORMAL;
	closure(&b, &seed, 1, true);
	uint32_t s0 = sb_intern(&b, 0, 0, &too_big);
	if (s0)
		b.parent[s0] = s0;
	for (uint32_t s = 1; s < b.nstates && !too_big; s++)
		expand_state(&b, s, seeds, &too_big);
	free(seeds);
	if (!too_big)
		*checked = self_check(&b, code, md);
	out->nstates = b.nstates;
	out->nclasses = b.ncls;
	out->trans = b.trans;
	out->accept = b.acc;
	out->start = s0;
	sbuild_free(&b);
	return !too_big;
}

int sc_redfa_build(sc_redfa *out, const char *re, size_t n, bool caseless, const void *code, char *why,
		   size_t whysz)
{
	memset(out, 0, sizeof *out);
	rparser p;
	memset(&p, 0, sizeof p);
	p.s = re;
	p.n = n;
	p.caseless = caseless;
	p.lf_newline = lf_newline();
	p.md = pcre2_match_data_create(1, NULL);
	if (!p.md)
		sc_fatal_oom();
	new_node(&p, T_EMPTY); /* node 0: "none" */
	uint32_t root = parse_alt(&p, 0);
	if (root && p.i < p.n)
		fail(&p, "an unbalanced ')'", p.i);
	nfa a = { 0 };
	int rc = 0;
	if (!p.why) {
		uint32_t match = nfa_add(&a, N_MATCH, 0, 0);
		uint32_t start = emit(&p, &a, root, match);
		bool checked = false;
		if (a.too_big)
			fail(&p, "a repetition too large for diff", 0);
		else if (!determinize(&a, p.sets, p.nsets, start, out, code, p.md, &checked))
			fail(&p, "more automaton states than diff allows", 0);
		else if (!checked)
			fail(&p, "a construct diff reads differently from PCRE2", 0);
	}
	if (p.why) {
		snprintf(why, whysz, "%s at offset %zu", p.why, p.why_at);
		sc_redfa_free(out);
		rc = -1;
	}
	free(a.v);
	free(p.node);
	free(p.sets);
	pcre2_match_data_free(p.md);
	return rc;
}

void sc_redfa_free(sc_redfa *d)
{
	free(d->trans);
	free(d->accept);
	memset(d, 0, sizeof *d);
}
