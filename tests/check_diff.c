/* check_diff.c — `scopec diff` (compiler/diff.c) against brute force.
 *
 * Random small policies are compared three ways:
 *   - every example diff prints is re-decided by the reference evaluator
 *     and must be decided as printed (old and new);
 *   - every request over a small alphabet (actions and resources up to 3
 *     bytes, a few attribute sets) is decided by both policies: if any
 *     differs, diff must not answer "equivalent";
 *   - a policy against itself with clauses and items shuffled, and against
 *     its fmt output, is equivalent.
 */
#include "suites.h"
#include "attrset.h"
#include "diff.h"
#include "regexdfa.h"
#include "fmt.h"
#include "request.h"
#include "resolve.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <jansson.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* A random pattern over a, b, '.', '/' and the wildcards. */
static void pattern(char *out)
{
	static const char *const atoms[] = { "a", "b", ".", "/", "*", "**", "?", "a" };
	size_t n = 1 + rnd(3), o = 0;
	for (size_t i = 0; i < n; i++) {
		const char *a = atoms[rnd(8)];
		memcpy(out + o, a, strlen(a));
		o += strlen(a);
	}
	out[o] = '\0';
}

/* Conditions: equality, numbers, has, and the regular like/matches tests
 * (globs, classes, alternation, counted repetition, caseless, anchors) that
 * diff decides exactly. */
static const char *const conds[] = {
	"", "", "", " when k == \"1\"", " when n > 2", " when has k", " when not k == \"2\"",
	" when k in [\"1\", \"3\"] or n <= 1", " when k like \"1*\"", " when k like \"?\" and not k == \"a\"",
	" when k matches /[0-9]+/", " when k matches /^(1|a)b?$/i", " when n matches /-?[0-3](\\.5)?/",
	" when n like \"*.*\" or n >= 2.5", " when k matches /a{0,2}|3/ or has n", " when not k like \"**\"",
};
#define NCONDS (sizeof conds / sizeof *conds)

typedef struct gitem {
	char text[96];
} gitem;

typedef struct gpolicy {
	gitem items[3][3][4]; /* task, clause kind, item */
	unsigned nitems[3][3];
	int extends[3];       /* -1 or a lower task */
	gitem star[2];
	unsigned nstar;
} gpolicy;

static void gen_item(gitem *g)
{
	char a[16], r[16];
	pattern(a);
	if (rnd(4) == 0)
		snprintf(g->text, sizeof g->text, "\"%s\"%s", a, conds[rnd(NCONDS)]);
	else {
		pattern(r);
		snprintf(g->text, sizeof g->text, "\"%s\" \"%s\"%s", a, r, conds[rnd(NCONDS)]);
	}
}

static void gen(gpolicy *p)
{
	memset(p, 0, sizeof *p);
	for (int t = 0; t < 3; t++) {
		p->extends[t] = t > 0 && rnd(3) == 0 ? (int)rnd((unsigned)t) : -1;
		for (int k = 0; k < 3; k++) {
			p->nitems[t][k] = rnd(k == 0 ? 4 : 3);
			for (unsigned i = 0; i < p->nitems[t][k]; i++)
				gen_item(&p->items[t][k][i]);
		}
	}
	p->nstar = rnd(3);
	for (unsigned i = 0; i < p->nstar; i++)
		gen_item(&p->star[i]);
}

/* Writes P as text; SHUFFLE reverses clause and item order (meaning-preserving). */
static void render(const gpolicy *p, bool shuffle, char *out, size_t cap)
{
	static const char *const kw[] = { "allows", "asks", "denies" };
	size_t o = 0;
	for (int t = 0; t < 3; t++) {
		int tt = shuffle ? 2 - t : t;
		o += (size_t)snprintf(out + o, cap - o, "task t%d", tt);
		if (p->extends[tt] >= 0)
			o += (size_t)snprintf(out + o, cap - o, " extends t%d", p->extends[tt]);
		for (int k = 0; k < 3; k++) {
			int kk = shuffle ? 2 - k : k;
			unsigned n = p->nitems[tt][kk];
			for (unsigned i = 0; i < n; i++) {
				unsigned ii = shuffle ? n - 1 - i : i;
				o += (size_t)snprintf(out + o, cap - o, "\n  %s %s", kw[kk], p->items[tt][kk][ii].text);
			}
		}
		o += (size_t)snprintf(out + o, cap - o, "\n");
	}
	for (unsigned i = 0; i < p->nstar; i++)
		o += (size_t)snprintf(out + o, cap - o, "task * denies %s\n", p->star[i].text);
}

/* One policy of a comparison; both share the sc_diag of the old side, as
 * in `scopec diff`, so that spans of either name their own file. */
typedef struct side {
	sc_diag d;
	sc_policy *p;
} side;

static int run_diff(const char *a, const char *b, char **out, side *sa, side *sb)
{
	FILE *devnull = getenv("SC_DIFF_DEBUG") ? stderr : fopen("/dev/null", "w");
	sc_diag_init(&sa->d, devnull);
	sc_diag_init(&sb->d, devnull);
	sa->p = sc_resolve_text(&sa->d, "old.scope", a, strlen(a));
	sb->p = sc_resolve_text(&sa->d, "new.scope", b, strlen(b));
	ck_assert_ptr_nonnull(sa->p);
	ck_assert_ptr_nonnull(sb->p);
	size_t len;
	FILE *mem = open_memstream(out, &len);
	sc_diff_opts o = { false, 0 };
	int rc = sc_diff(&sa->d, sa->p, sb->p, &o, mem);
	fclose(mem);
	if (devnull != stderr)
		fclose(devnull);
	sa->d.out = sb->d.out = stderr;
	return rc;
}

/* Frees A and B (B's policy lives in A's diag: free it first). */
static void sides_free(side *a, side *b)
{
	sc_policy_free(b->p);
	sc_policy_free(a->p);
	sc_diag_fini(&b->d);
	sc_diag_fini(&a->d);
}

static sc_kind decide(sc_ref_ctx *c, const sc_policy *p, const char *line)
{
	sc_reqparse rp;
	sc_reqparse_init(&rp);
	int rc = sc_request_parse_line(&rp, line, strlen(line));
	ck_assert_msg(rc == 1, "diff printed an unparsable request: '%s' (%s)", line, rp.err);
	sc_result r;
	sc_ref_decide(c, p, &rp.rq, &r);
	sc_reqparse_fini(&rp);
	return r.decision;
}

static int kind_of(const char *w, size_t n)
{
	for (int k = 0; k < 3; k++)
		if (strlen(sc_kind_names[k]) == n && memcmp(w, sc_kind_names[k], n) == 0)
			return k;
	return -1;
}

/* Every "+ X -> Y: REQUEST" line is re-decided on both policies. */
static unsigned check_examples(const char *out, const side *sa, const side *sb, sc_ref_ctx *c)
{
	unsigned n = 0;
	for (const char *l = out; *l; l = strchr(l, '\n') + 1) {
		const char *nl = strchr(l, '\n');
		ck_assert_ptr_nonnull(nl);
		if ((l[0] == '+' || l[0] == '-') && l[1] == ' ') {
			const char *arrow = strstr(l, " -> "), *colon = strstr(l, ": ");
			ck_assert(arrow && colon && colon < nl);
			int ko = kind_of(l + 2, (size_t)(arrow - l - 2)), kn = kind_of(arrow + 4, (size_t)(colon - arrow - 4));
			ck_assert(ko >= 0 && kn >= 0 && ko != kn);
			ck_assert_int_eq(l[0] == '+', kn < ko); /* + widens */
			char req[512];
			snprintf(req, sizeof req, "%.*s", (int)(nl - colon - 2), colon + 2);
			ck_assert_msg((int)decide(c, sa->p, req) == ko && (int)decide(c, sb->p, req) == kn,
				      "example not decided as printed: %.*s", (int)(nl - l), l);
			n++;
		}
	}
	return n;
}

/* Is there a request over the small alphabet that the two decide apart? */
static bool brute_force_differs(const side *sa, const side *sb, sc_ref_ctx *c, char *witness)
{
	static const char alpha[] = "ab./";
	static const char *const attrs[] = { "", " k=1", " k=2", " n=3", " n=1", " k=1 n=3", " k=3 n=0",
					     " k=a", " k=ab", " k=12", " k=A n=2.5", " n=x", " k=aa n=-1.5" };
	char s[8][4];
	int ns = 0;
	/* strings of length 0..2 over the alphabet, plus a few of length 3 */
	s[ns][0] = 0, ns++;
	for (int i = 0; i < 4 && ns < 8; i++)
		s[ns][0] = alpha[i], s[ns][1] = 0, ns++;
	strcpy(s[ns++], "a.b");
	strcpy(s[ns++], "a/a");
	strcpy(s[ns++], "ab");
	char more[64][4];
	int nm = 0;
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++) {
			more[nm][0] = alpha[i], more[nm][1] = alpha[j], more[nm][2] = 0;
			nm++;
		}
	for (int t = 0; t < 3; t++)
		for (int a = 0; a < nm + ns; a++) {
			const char *act = a < ns ? s[a] : more[a - ns];
			if (!*act)
				continue;
			for (int r = 0; r < nm + ns; r++) {
				const char *res = r < ns ? s[r] : more[r - ns];
				for (size_t k = 0; k < sizeof attrs / sizeof *attrs; k++) {
					char line[128];
					snprintf(line, sizeof line, "t%d \"%s\" \"%s\"%s", t, act, res, attrs[k]);
					if (decide(c, sa->p, line) != decide(c, sb->p, line)) {
						strcpy(witness, line);
						return true;
					}
				}
			}
		}
	return false;
}

START_TEST(against_brute_force)
{
	rng = 0x5eed0001u + (uint64_t)_i;
	sc_ref_ctx *c = sc_ref_new();
	unsigned examples = 0, differing = 0, undetermined = 0, rounds = 60;
	for (unsigned round = 0; round < rounds; round++) {
		gpolicy ga, gb;
		gen(&ga);
		gb = ga;
		/* a small change: one item replaced, or a different policy */
		if (rnd(4) == 0) {
			gen(&gb);
		} else {
			int t = (int)rnd(3), k = (int)rnd(3);
			unsigned n = gb.nitems[t][k];
			if ((n == 0 || rnd(3) == 0) && n < 3)
				gen_item(&gb.items[t][k][gb.nitems[t][k]++]); /* one more item */
			else
				gen_item(&gb.items[t][k][rnd(n)]);          /* one item replaced */
		}
		char a[8192], b[8192], *out = NULL, witness[128];
		render(&ga, false, a, sizeof a);
		render(&gb, false, b, sizeof b);
		side sa, sb;
		int rc = run_diff(a, b, &out, &sa, &sb);
		ck_assert_int_ge(rc, 0);
		examples += check_examples(out, &sa, &sb, c);
		bool undet = strstr(out, "undetermined:") != NULL;
		undetermined += undet;
		if (undet && getenv("SC_DIFF_DEBUG"))
			fprintf(stderr, "undetermined:\nOLD:\n%s\nNEW:\n%s\n%s\n", a, b, out);
		if (brute_force_differs(&sa, &sb, c, witness)) {
			differing++;
			ck_assert_msg(rc == 1, "diff says equivalent, but '%s' is decided differently:\nOLD:\n%s\nNEW:\n%s",
				      witness, a, b);
		}
		free(out);
		sides_free(&sa, &sb);
	}
	sc_ref_free(c);
	/* the rate the issue measured: pairs with an undetermined change */
	fprintf(stderr, "diff brute force #%d: %u of %u pairs undetermined\n", _i, undetermined, rounds);
	ck_assert_uint_gt(differing, 0);
	ck_assert_uint_gt(examples, 0);
	ck_assert_uint_eq(undetermined, 0); /* every feature used here is regular */
}
END_TEST

START_TEST(reordered_and_formatted_are_equivalent)
{
	rng = 0xabcdefu + (uint64_t)_i;
	for (int round = 0; round < 40; round++) {
		gpolicy g;
		gen(&g);
		char a[8192], b[8192], *out = NULL;
		render(&g, false, a, sizeof a);
		render(&g, true, b, sizeof b);
		side sa, sb;
		ck_assert_msg(run_diff(a, b, &out, &sa, &sb) == 0, "reordering changed decisions?\n%s\n%s\n%s", a, b, out);
		free(out);
		sides_free(&sa, &sb);
		/* fmt output */
		sc_diag d;
		sc_diag_init(&d, stderr);
		uint32_t f = sc_diag_add(&d, "a.scope", a, strlen(a));
		char *formatted = NULL;
		size_t n;
		ck_assert_int_eq(sc_fmt(&d, f, &formatted, &n), 0);
		sc_diag_fini(&d);
		ck_assert_msg(run_diff(a, formatted, &out, &sa, &sb) == 0, "fmt changed decisions?\n%s", out);
		free(out);
		free(formatted);
		sides_free(&sa, &sb);
	}
}
END_TEST

START_TEST(report_lines)
{
	side sa, sb;
	char *out = NULL;
	int rc = run_diff("task triage allows read forum.* denies post, config.*",
			  "task triage allows read forum.* asks post forum.** when channel == \"internal\" denies config.*\n"
			  "task gone",
			  &out, &sa, &sb);
	ck_assert_int_eq(rc, 1);
	ck_assert_msg(strstr(out, "task 'triage':\n+ deny -> ask: triage post forum.a channel=internal\n"), "%s", out);
	ck_assert_msg(strstr(out, "    old: old.scope:1:40: denies post\n"), "%s", out);
	ck_assert_msg(strstr(out, "diff: 1 change in 1 task (1 widen authority, 0 narrow it)"), "%s", out);
	free(out);
	sides_free(&sa, &sb);
	/* narrowing, and a regex condition with a constructed example */
	rc = run_diff("task t allows read **", "task t allows read ** when ticket matches /^INC-[0-9]{2}$/", &out, &sa,
		      &sb);
	ck_assert_int_eq(rc, 1);
	ck_assert_msg(strstr(out, "- allow -> deny: t read\n"), "%s", out);
	free(out);
	sides_free(&sa, &sb);
	rc = run_diff("task t allows read ** when ticket matches /^INC-[0-9]{2}$/",
		      "task t allows read ** when ticket matches /^INC-[0-9]{2}$/ or ticket == \"INC-00\"", &out, &sa, &sb);
	ck_assert_msg(rc == 0, "%s", out); /* equal in truth: the regex is decided exactly */
	free(out);
	sides_free(&sa, &sb);
	/* a backreference is not regular: undetermined, and the feature named */
	rc = run_diff("task t allows read ** when ticket matches /(a)\\1/",
		      "task t allows read ** when ticket matches /(a)\\1/ or ticket == \"aa\"", &out, &sa, &sb);
	ck_assert_msg(rc == 1 && strstr(out, "undetermined: regex /(a)\\1/ on 'ticket' uses a backreference"), "%s", out);
	free(out);
	sides_free(&sa, &sb);
	/* past the combination budget: undetermined, said so, never equivalent */
	/* (MORE is larger than BIG plus the item: gcc at -O0 cannot see that
	 * BIG is short and warns about truncation otherwise) */
	char big[2048] = "task t allows r when k0 like \"a*\"", more[sizeof big + 64];
	for (int i = 1; i < 8; i++)
		snprintf(big + strlen(big), sizeof big - strlen(big), " and (k%d like \"a*\" or k%d matches /b+/)", i, i);
	snprintf(more, sizeof more, "%s\n  allows r when k0 == \"x\" and k0 == \"y\"", big);
	rc = run_diff(big, more, &out, &sa, &sb);
	ck_assert_msg(rc == 1 && strstr(out, "undetermined: too many attribute combinations"), "%s", out);
	free(out);
	sides_free(&sa, &sb);
	/* only a value with a NUL byte, which no request holds, tells these
	 * apart: equivalent (diff printed the witness cut at the NUL, k=") */
	rc = run_diff("task t allows r when not k matches /\\x00/", "task t allows r when has k", &out, &sa, &sb);
	ck_assert_msg(rc == 0, "%s", out);
	free(out);
	sides_free(&sa, &sb);
	rc = run_diff("task t allows r when k matches /a\\x00?/", "task t allows r when k == \"a\"", &out, &sa, &sb);
	ck_assert_msg(rc == 0, "%s", out);
	free(out);
	sides_free(&sa, &sb);
	/* a witness takes a newline only when it must: a request line cannot
	 * hold one (\v matches \x0b too) */
	rc = run_diff("task t allows r when not k matches /\\v/", "task t allows r when has k", &out, &sa, &sb);
	ck_assert_msg(rc == 1 && strstr(out, "+ deny -> allow: t r \"\" k=\"\v\"\n"), "%s", out);
	free(out);
	sides_free(&sa, &sb);
	/* a number equal to a bound but spelled differently from a constant */
	rc = run_diff("task t allows r when n == \"2.5\"", "task t allows r when n == \"2.5\" or (n <= 2.5 and n >= 2.5)",
		      &out, &sa, &sb);
	ck_assert_msg(rc == 1 && strstr(out, "+ deny -> allow: t r \"\" n=02.5\n"), "%s", out);
	free(out);
	sides_free(&sa, &sb);
}
END_TEST

START_TEST(json_format)
{
	FILE *devnull = fopen("/dev/null", "w");
	sc_diag d;
	sc_diag_init(&d, devnull);
	const char *a = "task t allows read x.*", *b = "task t allows read x.** asks post y";
	sc_policy *pa = sc_resolve_text(&d, "a.scope", a, strlen(a));
	sc_policy *pb = sc_resolve_text(&d, "b.scope", b, strlen(b));
	char *buf = NULL;
	size_t len;
	FILE *mem = open_memstream(&buf, &len);
	sc_diff_opts o = { true, 0 };
	ck_assert_int_eq(sc_diff(&d, pa, pb, &o, mem), 1);
	fclose(mem);
	json_error_t je;
	json_t *doc = json_loads(buf, 0, &je);
	ck_assert_msg(doc != NULL, "%s", buf);
	json_t *changes = json_object_get(doc, "changes");
	ck_assert_int_eq(json_array_size(changes), 2);
	json_t *c0 = json_array_get(changes, 0);
	ck_assert_str_eq(json_string_value(json_object_get(c0, "direction")), "widen");
	ck_assert_str_eq(json_string_value(json_object_get(c0, "task")), "t");
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(doc, "summary"), "widen")), 2);
	json_decref(doc);
	free(buf);
	sc_policy_free(pb);
	sc_policy_free(pa);
	sc_diag_fini(&d);
	fclose(devnull);
}
END_TEST

/* Every string of length <= MAXLEN over ALPHA, in order; returns false
 * after the last.  BUF holds the current one (LEN bytes). */
static bool next_string(char *buf, size_t *len, const char *alpha, size_t maxlen)
{
	size_t na = strlen(alpha);
	for (size_t i = *len; i-- > 0;) {
		const char *p = strchr(alpha, buf[i]);
		if ((size_t)(p - alpha) + 1 < na) {
			buf[i] = p[1];
			for (size_t j = i + 1; j < *len; j++)
				buf[j] = alpha[0];
			return true;
		}
	}
	if (*len == maxlen)
		return false;
	(*len)++;
	for (size_t j = 0; j < *len; j++)
		buf[j] = alpha[0];
	return true;
}

/* A random regex over a small alphabet, every supported construct. */
static void random_regex(char *out, size_t cap, int depth)
{
	static const char *const atoms[] = { "a", "b", ".", "[ab]", "[^a]", "\\n", "\\d", "1", "A", "\\.", "[[:alpha:]]",
					     "\\x41", "\\Qa.\\E", "\\w" };
	size_t n = strlen(out);
	unsigned parts = 1 + rnd(3);
	for (unsigned i = 0; i < parts && n + 24 < cap; i++) {
		unsigned r = rnd(10);
		if (r < 2 && depth < 3) {
			strcat(out, rnd(2) ? "(" : "(?:");
			random_regex(out, cap, depth + 1);
			if (rnd(2)) {
				strcat(out, "|");
				random_regex(out, cap, depth + 1);
			}
			strcat(out, ")");
		} else if (r == 2) {
			strcat(out, i == 0 ? "^" : "$");
		} else {
			strcat(out, atoms[rnd(sizeof atoms / sizeof *atoms)]);
		}
		static const char *const quant[] = { "", "", "", "*", "+", "?", "{2}", "{1,2}", "{0,}", "*?" };
		size_t m = strlen(out);
		char last = m ? out[m - 1] : 0;
		if (last != '^' && last != '$')
			strcat(out, quant[rnd(sizeof quant / sizeof *quant)]);
		n = strlen(out);
	}
	if (depth == 0 && rnd(4) == 0)
		strcat(out, "|b");
}

static bool dfa_accepts(const sc_redfa *d, const char *s, size_t n)
{
	uint32_t q = d->start;
	for (size_t i = 0; i < n && q; i++)
		q = d->trans[(size_t)q * d->nclasses + d->cmap[(unsigned char)s[i]]];
	return q && d->accept[q];
}

/* The regex automata against PCRE2 on every short string. */
START_TEST(regex_automata_match_pcre2)
{
	rng = 0x7e9e0001u + (uint64_t)_i;
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	unsigned built = 0;
	for (int round = 0; round < 150; round++) {
		char re[256] = "";
		random_regex(re, sizeof re, 0);
		bool caseless = rnd(3) == 0;
		int err;
		PCRE2_SIZE off;
		uint32_t opts = PCRE2_ANCHORED | PCRE2_ENDANCHORED | (caseless ? PCRE2_CASELESS : 0);
		pcre2_code *code = pcre2_compile((PCRE2_SPTR)re, strlen(re), opts, &err, &off, NULL);
		if (!code)
			continue;
		sc_redfa d;
		char why[200];
		int rc = sc_redfa_build(&d, re, strlen(re), caseless, code, why, sizeof why);
		ck_assert_msg(rc == 0, "/%s/: %s", re, why);
		built++;
		char s[8];
		size_t len = 0;
		do {
			bool want = pcre2_match(code, (PCRE2_SPTR)s, len, 0, 0, md, NULL) >= 0;
			ck_assert_msg(dfa_accepts(&d, s, len) == want, "/%s/%s on '%.*s': pcre2 %d", re, caseless ? "i" : "",
				      (int)len, s, want);
		} while (next_string(s, &len, "abA1.\n", 4));
		sc_redfa_free(&d);
		pcre2_code_free(code);
	}
	pcre2_match_data_free(md);
	ck_assert_uint_gt(built, 100);
	/* what is not regular is refused, by name */
	static const char *const bad[][2] = {
		{ "(a)\\1", "backreference" }, { "a(?=b)", "lookahead" }, { "(?<!a)b", "lookbehind" },
		{ "(?>a)", "atomic group" }, { "a*+", "possessive" }, { "\\ba", "word-boundary" },
		{ "(?i)a", "inline option" }, { "a{,2}", "not a quantifier" }, { "(?1)(a)", "recursion" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		sc_redfa d;
		char why[200];
		int err;
		PCRE2_SIZE off;
		pcre2_code *code = pcre2_compile((PCRE2_SPTR)bad[i][0], PCRE2_ZERO_TERMINATED,
						 PCRE2_ANCHORED | PCRE2_ENDANCHORED, &err, &off, NULL);
		ck_assert_ptr_nonnull(code);
		ck_assert_int_eq(sc_redfa_build(&d, bad[i][0], strlen(bad[i][0]), false, code, why, sizeof why), -1);
		ck_assert_msg(strstr(why, bad[i][1]), "/%s/: %s", bad[i][0], why);
		pcre2_code_free(code);
	}
}
END_TEST

static void collect(const sc_cond *c, const sc_cond **out, uint32_t *n)
{
	if (c->op == SC_C_AND || c->op == SC_C_OR || c->op == SC_C_NOT) {
		for (uint32_t i = 0; i < c->nkids; i++)
			collect(c->kids[i], out, n);
		return;
	}
	out[(*n)++] = c;
}

/* The outcome vector of value V (NULL: absent) under TESTS, by the oracle. */
static void outcomes(sc_ref_ctx *c, const sc_cond *const *tests, uint32_t n, const char *v, size_t vn, char *vec)
{
	sc_attr a = { sc_str_c("k"), { v, vn } };
	sc_request rq = { sc_str_c("t"), sc_str_c("r"), { "", 0 }, &a, v ? 1 : 0 };
	for (uint32_t i = 0; i < n; i++)
		vec[i] = (char)('0' + sc_ref_cond(c, tests[i], &rq));
	vec[n] = '\0';
}

/* Cells against brute force: every short value's outcomes are those of
 * some witness, and no two witnesses share a cell. */
START_TEST(cells_cover_every_value)
{
	static const char *const pool[] = {
		"k == \"a\"", "k != \"1\"", "k in [\"a1\", \"-0\", \"1.\"]", "k like \"a*\"", "k like \"*.*\"", "k like \"?\"",
		"k like \"**1\"", "k matches /[a-c]+/", "k matches /^-?[0-9]+(\\.[0-9]*)?$/", "k matches /a|1\\n?/",
		"k matches /(?:a.){1,2}/i", "k matches /\\d\\.?/", "k < 0", "k <= -0.50", "k > 1", "k >= 10", "k > 1.0",
		"k matches /a$/", "k matches /A\\z/i", "k matches /[^a]/", "k matches /./", "k matches /.*\\n/", "k < 0.05",
		"k >= -1", "has k", "not k like \"1*\"",
	};
	rng = 0xce11u + (uint64_t)_i;
	sc_ref_ctx *c = sc_ref_new();
	sc_recache *rc = sc_recache_new(); /* keyed by source: may outlive a policy */
	for (int round = 0; round < 40; round++) {
		char text[1024] = "task t allows r when ";
		unsigned n = 1 + rnd(5);
		for (unsigned i = 0; i < n; i++) {
			if (i)
				strcat(text, " or ");
			strcat(text, pool[rnd(sizeof pool / sizeof *pool)]);
		}
		sc_policy *p = sc_test_policy(text, NULL);
		ck_assert_msg(p != NULL, "%s", text);
		const sc_cond *tests[16];
		uint32_t nt = 0;
		collect(p->items[0].cond, tests, &nt);
		sc_arena *a = sc_arena_new();
		sc_cells cells;
		sc_cells_build(&cells, tests, nt, rc, a);
		ck_assert_msg(cells.exact, "%s: %s", text, cells.why);
		char (*wv)[20] = calloc(cells.n + 1, sizeof *wv);
		for (uint32_t i = 0; i < cells.n; i++) {
			outcomes(c, tests, nt, cells.vals[i].s, cells.vals[i].n, wv[i]);
			for (uint32_t j = 0; j < i; j++)
				ck_assert_msg(strcmp(wv[i], wv[j]) != 0, "%s: two witnesses of one cell: '%.*s' '%.*s' (%s)", text,
					      (int)cells.vals[i].n, cells.vals[i].s, (int)cells.vals[j].n, cells.vals[j].s, wv[i]);
		}
		char s[8], vec[20];
		size_t len = 0;
		do {
			outcomes(c, tests, nt, s, len, vec);
			bool found = false;
			for (uint32_t i = 0; i < cells.n && !found; i++)
				found = strcmp(vec, wv[i]) == 0;
			ck_assert_msg(found, "%s: no witness for '%.*s' (%s)", text, (int)len, s, vec);
		} while (next_string(s, &len, "a1.-05+\n", 4));
		free(wv);
		sc_cells_free(&cells);
		sc_arena_free(a);
		sc_policy_free(p);
	}
	sc_recache_free(rc);
	sc_ref_free(c);
}
END_TEST

Suite *sc_suite_diff(void)
{
	Suite *s = suite_create("diff");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, against_brute_force, 0, 4);
	tcase_add_loop_test(tc, reordered_and_formatted_are_equivalent, 0, 2);
	tcase_add_loop_test(tc, regex_automata_match_pcre2, 0, 4);
	tcase_add_loop_test(tc, cells_cover_every_value, 0, 4);
	tcase_add_test(tc, report_lines);
	tcase_add_test(tc, json_format);
	suite_add_tcase(s, tc);
	return s;
}
