/* check_backend.c — the compiled path (compiler/backend.c + runtime/) against
 * the reference evaluator: fixed cases, a differential test over random
 * policies and requests, and the DFA splitting under a small state budget. */
#include "suites.h"
#include "backend.h"
#include "backend_test.h"
#include "policygen.h"
#include "dfa.h"
#include "request.h"
#include "resolve.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers shared with check_runtime.c ------------------------------------ */

uint64_t sc_bt_rand(uint64_t *s)
{
	/* splitmix64: reproducible from the printed seed */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned rnd(uint64_t *s, unsigned n)
{
	return (unsigned)(sc_bt_rand(s) % n);
}

uint64_t sc_bt_seed(void)
{
	const char *e = getenv("SCOPE_SEED");
	return e ? strtoull(e, NULL, 0) : 0x5c09e5eedull;
}

unsigned char *sc_bt_compile(sc_policy *p, sc_diag *d, bool strip, uint32_t max_states, size_t *len)
{
	sc_backend_opts o = { strip, max_states };
	unsigned char *img = NULL;
	int rc = sc_backend_compile(d, p, &o, &img, len, NULL);
	ck_assert_int_eq(rc, 0);
	return img;
}

/* ---- random policies (tests/policygen.c, driven by the seeded PRNG) ------ */

typedef struct prng_src {
	sc_pg_src src;
	uint64_t *seed;
} prng_src;

static unsigned prng_pick(sc_pg_src *s, unsigned n)
{
	return rnd(((prng_src *)s)->seed, n);
}

char *sc_bt_random_policy(uint64_t *s)
{
	prng_src p = { { prng_pick, 0 }, s };
	return sc_pg_policy(&p.src);
}

void sc_bt_random_request(uint64_t *s, sc_bt_req *r)
{
	prng_src p = { { prng_pick, 0 }, s };
	sc_pg_request(&p.src, r);
}

/* ---- comparing ---------------------------------------------------------------- */

static long item_index(const sc_result *r)
{
	return r->item ? (long)r->item->index : -1;
}

bool sc_bt_same(const sc_result *a, const sc_result *b)
{
	return a->decision == b->decision && a->why == b->why && item_index(a) == item_index(b) &&
	       (a->why != SC_WHY_ITEM || a->unknown == b->unknown);
}

static void show_diff(const char *src, const sc_request *rq, const sc_result *ref, const sc_result *got)
{
	fprintf(stderr, "policy:\n%s\nrequest: %.*s %.*s '%.*s'", src, (int)rq->task.n, rq->task.s,
		(int)rq->action.n, rq->action.s, (int)rq->resource.n, rq->resource.s);
	for (size_t i = 0; i < rq->nattrs; i++)
		fprintf(stderr, " %.*s=%.*s", (int)rq->attrs[i].key.n, rq->attrs[i].key.s,
			(int)rq->attrs[i].value.n, rq->attrs[i].value.s);
	fprintf(stderr, "\nreference: %s why=%d item=%ld unknown=%d\ncompiled:  %s why=%d item=%ld unknown=%d\n",
		sc_kind_names[ref->decision], ref->why, item_index(ref), ref->unknown,
		sc_kind_names[got->decision], got->why, item_index(got), got->unknown);
}

static unsigned split_parts; /* parts beyond one a task, over a run */
static unsigned nfa_parts;   /* of them, bit-parallel NFA parts (nfa.c) */

/* Runs NREQ random requests on SRC through both evaluators; returns the
 * number of requests decided (all must agree). */
static unsigned differential(const char *src, uint64_t *s, unsigned nreq, uint32_t max_states, bool *skipped)
{
	sc_diag d;
	char *diag = NULL;
	size_t dlen = 0;
	FILE *mem = open_memstream(&diag, &dlen);
	sc_diag_init(&d, mem);
	sc_policy *p = sc_resolve_text(&d, "t.scope", src, strlen(src));
	fflush(mem);
	*skipped = p == NULL;
	unsigned done = 0;
	size_t len;
	unsigned char *img = NULL;
	sc_backend_opts o = { rnd(s, 2), max_states };
	sc_backend_stats st;
	if (p && sc_backend_compile(&d, p, &o, &img, &len, &st) < 0) {
		/* only a tiny test budget may refuse a pattern */
		ck_assert_msg(max_states != 0, "compile failed:\n%s", src);
		*skipped = true;
	} else if (p) {
		split_parts += st.nparts - st.ngroups;
		nfa_parts += st.nnfa;
	}
	if (p && img) {
		scope_policy *cp = NULL;
		int rc = scope_policy_load(&cp, img, len);
		ck_assert_msg(rc == 0, "compiled image rejected: %s", scope_strerror(rc));
		free(img);
		scope_scratch *scr;
		ck_assert_int_eq(scope_scratch_create(&scr), 0);
		sc_ref_ctx *ref = sc_ref_new();
		for (unsigned i = 0; i < nreq; i++) {
			sc_bt_req r;
			sc_bt_random_request(s, &r);
			sc_result a, b;
			sc_ref_decide(ref, p, &r.rq, &a);
			sc_backend_decide(cp, scr, p, &r.rq, &b);
			if (!sc_bt_same(&a, &b)) {
				show_diff(src, &r.rq, &a, &b);
				ck_abort_msg("compiled and reference evaluators disagree");
			}
			done++;
		}
		sc_ref_free(ref);
		scope_scratch_destroy(scr);
		scope_policy_destroy(cp);
	}
	sc_policy_free(p);
	sc_diag_fini(&d);
	fclose(mem);
	free(diag);
	return done;
}

START_TEST(differential_random)
{
	uint64_t s = sc_bt_seed();
	unsigned pairs = 0, policies = 0, rejected = 0;
	for (int i = 0; i < 400; i++) {
		char *src = sc_bt_random_policy(&s);
		bool skipped;
		pairs += differential(src, &s, 40, 0, &skipped);
		policies += !skipped;
		rejected += skipped;
		free(src);
	}
	fprintf(stderr, "differential: %u policies (%u rejected by the front end), %u request pairs, 0 disagreements\n",
		policies, rejected, pairs);
	ck_assert_int_ge(pairs, 5000);
}
END_TEST

/* The same with tiny state budgets: most tasks are split into parts (40
 * states), or go to an NFA part (6 states: hardly one item fits a DFA). */
START_TEST(differential_split)
{
	uint64_t s = sc_bt_seed() ^ 0xabcdefull;
	unsigned pairs = 0;
	split_parts = 0;
	nfa_parts = 0;
	for (int i = 0; i < 200; i++) {
		char *src = sc_bt_random_policy(&s);
		bool skipped;
		pairs += differential(src, &s, 25, i % 2 ? 40 : 6, &skipped);
		free(src);
	}
	fprintf(stderr, "differential with 40- and 6-state budgets: %u pairs, %u extra parts, %u NFA parts\n", pairs,
		split_parts, nfa_parts);
	ck_assert_int_ge(pairs, 2000);
	ck_assert_int_ge(split_parts, 100);
	ck_assert_int_ge(nfa_parts, 20); /* the NFA path is exercised, not only the DFA splits */
}
END_TEST

/* ---- fixed cases --------------------------------------------------------------- */

static void agree(const char *src, const char *const *reqs)
{
	sc_policy *p = sc_test_policy(src, NULL);
	ck_assert_ptr_nonnull(p);
	sc_diag d;
	sc_diag_init(&d, stderr);
	size_t len;
	unsigned char *img = sc_bt_compile(p, &d, false, 0, &len);
	scope_policy *cp;
	ck_assert_int_eq(scope_policy_load(&cp, img, len), 0);
	free(img);
	scope_scratch *scr;
	ck_assert_int_eq(scope_scratch_create(&scr), 0);
	sc_ref_ctx *ref = sc_ref_new();
	sc_reqparse rp;
	sc_reqparse_init(&rp);
	for (const char *const *r = reqs; *r; r++) {
		ck_assert_int_eq(sc_request_parse_line(&rp, *r, strlen(*r)), 1);
		sc_result a, b;
		sc_ref_decide(ref, p, &rp.rq, &a);
		sc_backend_decide(cp, scr, p, &rp.rq, &b);
		if (!sc_bt_same(&a, &b))
			show_diff(src, &rp.rq, &a, &b);
		ck_assert_msg(sc_bt_same(&a, &b), "disagree on '%s'", *r);
	}
	sc_reqparse_fini(&rp);
	sc_ref_free(ref);
	scope_scratch_destroy(scr);
	scope_policy_destroy(cp);
	sc_diag_fini(&d);
	sc_policy_free(p);
}

START_TEST(spec_example)
{
	static const char src[] =
		"let mutating = delete **, config.*\n"
		"task reader\n  allows read forum.**, read docs.**\n"
		"task triage extends reader\n  allows draft forum.**\n"
		"  asks   post forum.** when channel == \"internal\"\n  denies @mutating\n"
		"task * denies ** secrets.**\n"
		"task oncall extends reader\n"
		"  allows config.set service.* when ticket matches /^INC-[0-9]+$/\n";
	static const char *const reqs[] = {
		"triage read forum.general.42", "triage post forum.help channel=internal",
		"triage post forum.help", "oncall config.set service.api ticket=none",
		"oncall config.set service.api ticket=INC-12", "oncall read secrets.db",
		"reader read docs.x", "nobody read x", "triage delete anything", "triage config.x",
		"triage read \"\"", NULL };
	agree(src, reqs);
}
END_TEST

START_TEST(unknown_rules)
{
	static const char src[] =
		"task a allows r x when k == \"1\"\n"
		"task d allows r x denies r x when k == \"1\"\n"
		"task s allows r x asks r x when k == \"1\"\n"
		"task n asks r x when k == \"1\"\n"
		"task c allows r x when k == \"1\" asks r x when j == \"2\"\n"
		"task m allows r x when n > 10\n"
		"task o denies r ** when k == \"1\", r x when not has j allows r **\n";
	static const char *const reqs[] = {
		"a r x", "a r x k=1", "d r x", "d r x k=2", "s r x", "s r x k=1", "n r x", "n r x k=1",
		"c r x k=1", "c r x", "c r x k=1 j=2", "c r x k=1 j=3", "m r x n=11", "m r x n=abc",
		"m r x", "o r x", "o r x j=1", "o r x k=1 j=1", "o r y", NULL };
	agree(src, reqs);
}
END_TEST

START_TEST(patterns)
{
	static const char src[] =
		"task t allows read forum.*, read docs.**, get \"https://x.com/a/**\", "
		"r?d a?c, \"\" \"\", w \"\", ** **.secret, a.**.b c\n"
		"  denies read forum.secret*, w x*y**z\n";
	static const char *const reqs[] = {
		"t read forum.general", "t read forum.general.42", "t read forum.", "t read forum",
		"t read docs.", "t read docs.a.b/c", "t get https://x.com/a/b/c", "t get https://x.com/b",
		"t rad abc", "t r.d abc", "t rad a.c", "t w \"\"", "t w x", "t w xyz", "t w xaybz",
		"t q a.secret", "t q .secret", "t a.b c", "t a.x.y.b c", "t a.b d",
		"t read forum.secretive", "t read forum.secret", NULL };
	agree(src, reqs);
}
END_TEST

START_TEST(conditions)
{
	static const char src[] =
		"task t allows a when k in [\"x\", \"y\", \"\"], b when k like ab*.**, "
		"c when n >= 2.5 and n < 10, d when k matches /A+/i or j == \"1\", "
		"e when not (has k or has j), f when k != \"v\"\n";
	static const char *const reqs[] = {
		"t a k=x", "t a k=z", "t a k=", "t a", "t b k=abc.d", "t b k=ab", "t b k=a",
		"t c n=2.5", "t c n=2.49", "t c n=10", "t c n=x", "t d k=aaa", "t d k=b j=1",
		"t d k=b", "t d", "t d j=1", "t e", "t e k=1", "t f k=v", "t f k=w", "t f", NULL };
	agree(src, reqs);
}
END_TEST

/* A policy compiled, loaded and ready to be decided both ways (the blow-up
 * tests below). */
typedef struct both {
	sc_buf src;
	sc_policy *p;
	sc_diag d;
	sc_backend_stats st;
	scope_policy *cp;
	scope_scratch *scr;
	sc_ref_ctx *ref;
} both;

static void both_init(both *t, uint32_t max_states)
{
	t->p = sc_test_policy(t->src.s, NULL);
	ck_assert_ptr_nonnull(t->p);
	sc_diag_init(&t->d, stderr);
	unsigned char *img;
	size_t len;
	ck_assert_int_eq(sc_backend_compile(&t->d, t->p, &(sc_backend_opts){ false, max_states }, &img, &len, &t->st), 0);
	ck_assert_int_eq(scope_policy_load(&t->cp, img, len), 0);
	free(img);
	ck_assert_int_eq(scope_scratch_create(&t->scr), 0);
	t->ref = sc_ref_new();
}

/* Decides RQ with both evaluators, which must agree; the decision. */
static sc_kind both_decide(both *t, const sc_request *rq)
{
	sc_result x, y;
	sc_ref_decide(t->ref, t->p, rq, &x);
	sc_backend_decide(t->cp, t->scr, t->p, rq, &y);
	if (!sc_bt_same(&x, &y))
		show_diff(t->src.s, rq, &x, &y);
	ck_assert(sc_bt_same(&x, &y));
	return x.decision;
}

static void both_fini(both *t)
{
	sc_ref_free(t->ref);
	scope_scratch_destroy(t->scr);
	scope_policy_destroy(t->cp);
	sc_diag_fini(&t->d);
	sc_policy_free(t->p);
	free(t->src.s);
}

/* Globs with two `**` each blow up a union DFA; a budget splits them into
 * parts or sends them to an NFA part (SC_SPLIT_DEPTH), and the decisions
 * stay exact. */
START_TEST(blowup_is_split)
{
	both t = { 0 };
	sc_buf_printf(&t.src, "task t allows ");
	for (int i = 0; i < 40; i++)
		sc_buf_printf(&t.src, "%s** **.a%d.**.b%d", i ? ", " : "", i % 7, i);
	sc_buf_printf(&t.src, "\n  denies x **.z.**.z when k == \"1\"\n");
	both_init(&t, 2000);
	ck_assert(t.st.nparts > 1 || t.st.nnfa > 0); /* split into DFA parts, or an NFA part */
	uint64_t s = sc_bt_seed();
	static const char *const parts[] = { "a1", "b1", "a2", "b2", ".", "x", "z", "b39", "a4", "b11" };
	for (int i = 0; i < 3000; i++) {
		char res[256] = "";
		for (unsigned k = rnd(&s, 8); k > 0; k--)
			strcat(res, parts[rnd(&s, 10)]);
		sc_attr at = { sc_str_c("k"), sc_str_c("1") };
		sc_request rq = { sc_str_c("t"), sc_str_c(rnd(&s, 2) ? "x" : "y"), sc_str_c(res), &at, rnd(&s, 2) };
		both_decide(&t, &rq);
	}
	both_fini(&t);
}
END_TEST

/* The hostile shape of issue 12 (`** **a1*b8**c**`, 400 items, mixed
 * kinds and conditions): the task is never split into more than
 * 2^SC_SPLIT_DEPTH DFA parts; what does not fit is one NFA part, and the
 * decisions stay exact. */
START_TEST(blowup_goes_to_nfa)
{
	both t = { 0 };
	uint64_t s = sc_bt_seed();
	sc_buf_printf(&t.src, "task t\n");
	static const char *const kinds[] = { "allows", "allows", "allows", "allows", "allows",
					     "allows", "asks", "asks", "asks", "denies" };
	for (int i = 0; i < 400; i++)
		sc_buf_printf(&t.src, "  %s %s **a%u*b%u**c**%s\n", kinds[rnd(&s, 10)], rnd(&s, 3) ? "**" : "r?ad",
			      (unsigned)rnd(&s, 10), (unsigned)rnd(&s, 10), rnd(&s, 5) ? "" : " when k == \"1\"");
	both_init(&t, 0);
	ck_assert_uint_le(t.st.nparts, 9);
	ck_assert_uint_eq(t.st.nnfa, 1);
	static const char *const bits[] = { "a1", "b8", "c", "a", "b", ".", "/", "x", "a7", "b3", "cc" };
	unsigned decided[3] = { 0, 0, 0 };
	for (int i = 0; i < 20000; i++) {
		char res[256] = "";
		for (unsigned k = rnd(&s, 10); k > 0; k--)
			strcat(res, bits[rnd(&s, 11)]);
		if (rnd(&s, 2)) /* one a/b pair, then c: the requests that single items out */
			snprintf(res, sizeof res, "x/a%ux.b%u%sc", (unsigned)rnd(&s, 10), (unsigned)rnd(&s, 10),
				 rnd(&s, 2) ? "" : "/y");
		sc_attr at = { sc_str_c("k"), sc_str_c(rnd(&s, 2) ? "1" : "2") };
		static const char *const acts[] = { "read", "rxad", "r.ad", "write" };
		sc_request rq = { sc_str_c("t"), sc_str_c(acts[rnd(&s, 4)]), sc_str_c(res), &at, rnd(&s, 2) };
		decided[both_decide(&t, &rq)]++;
	}
	/* every kind decided some requests: the test reaches the NFA's lists */
	fprintf(stderr, "NFA part: %u allow, %u ask, %u deny of 20000 requests\n", decided[SC_ALLOW], decided[SC_ASK],
		decided[SC_DENY]);
	ck_assert(decided[SC_ALLOW] && decided[SC_ASK] && decided[SC_DENY]);
	both_fini(&t);
}
END_TEST

/* A single DFA: minimization merges equivalent states. */
START_TEST(dfa_minimal)
{
	uint16_t a1[8], a2[8];
	uint32_t n1 = sc_dfa_glob_atoms("ab*", 3, a1), n2 = sc_dfa_glob_atoms("ab**", 4, a2);
	sc_dfa_pattern pats[2] = { { a1, n1, 0 }, { a2, n2, 1 } };
	sc_dfa d;
	sc_dfa_limits lim = { 1000, 100000 };
	/* both labelled alike: the union is ab** */
	ck_assert_int_eq(sc_dfa_build(&d, pats, 2, sc_bt_label_one, NULL, &lim), SC_DFA_OK);
	ck_assert_uint_eq(d.nstates, 4); /* dead, start, after a, after ab (loop) */
	sc_dfa_free(&d);
	ck_assert_int_eq(sc_dfa_build(&d, pats, 1, sc_bt_label_one, NULL, &(sc_dfa_limits){ 2, 100 }),
			 SC_DFA_TOO_BIG);
}
END_TEST

/* The policy library: every expect, and variations of it (attributes
 * dropped one by one, resource and action cut short), through both paths. */
START_TEST(policy_library)
{
	/* (compiler/glob.h shadows <glob.h> on the include path: readdir) */
	char *files[256];
	size_t nfiles = 0;
	DIR *dir = opendir("policies");
	if (!dir) {
		fprintf(stderr, "policy_library: no policies/ here, skipped\n");
		return;
	}
	for (struct dirent *de; (de = readdir(dir)) != NULL && nfiles < 256;) {
		size_t n = strlen(de->d_name);
		/* (a dot file is no policy of the library: tests/run_cases.sh
		 * writes and removes policies/.fmt-NAME.scope while this runs
		 * beside it under make -j2) */
		if (de->d_name[0] != '.' && n > 6 && strcmp(de->d_name + n - 6, ".scope") == 0) {
			files[nfiles] = malloc(n + 10);
			snprintf(files[nfiles++], n + 10, "policies/%s", de->d_name);
		}
	}
	closedir(dir);
	unsigned pairs = 0;
	scope_scratch *scr;
	ck_assert_int_eq(scope_scratch_create(&scr), 0);
	sc_ref_ctx *ref = sc_ref_new();
	for (size_t f = 0; f < nfiles; f++) {
		sc_diag d;
		sc_diag_init(&d, stderr);
		const char *paths[1] = { files[f] };
		sc_policy *p = sc_resolve_files(&d, paths, 1);
		ck_assert_msg(p != NULL, "%s does not resolve", files[f]);
		scope_policy *cp = sc_backend_load(&d, p);
		ck_assert_ptr_nonnull(cp);
		for (uint32_t i = 0; i < p->nexpects; i++) {
			const sc_expect *e = &p->expects[i];
			sc_attr attrs[32];
			uint32_t na = e->nattrs < 32 ? e->nattrs : 32;
			for (uint32_t k = 0; k < na; k++)
				attrs[k] = (sc_attr){ e->attrs[k].key, e->attrs[k].value };
			for (uint32_t drop = 0; drop <= na; drop++) {
				sc_attr some[32];
				uint32_t ns = 0;
				for (uint32_t k = 0; k < na; k++)
					if (k != drop)
						some[ns++] = attrs[k];
				for (int cut = 0; cut < 3; cut++) {
					sc_str res = e->resource, act = e->action;
					if (cut == 1 && res.n)
						res.n--;
					if (cut == 2 && act.n > 1)
						act.n--;
					sc_request rq = { e->task, act, res, some, ns };
					sc_result a, b;
					sc_ref_decide(ref, p, &rq, &a);
					sc_backend_decide(cp, scr, p, &rq, &b);
					if (!sc_bt_same(&a, &b))
						show_diff(files[f], &rq, &a, &b);
					ck_assert(sc_bt_same(&a, &b));
					if (drop == na && cut == 0)
						ck_assert_int_eq(b.decision, e->decision);
					pairs++;
				}
			}
		}
		scope_policy_destroy(cp);
		sc_policy_free(p);
		sc_diag_fini(&d);
	}
	sc_ref_free(ref);
	scope_scratch_destroy(scr);
	for (size_t f = 0; f < nfiles; f++)
		free(files[f]);
	fprintf(stderr, "policy library: %u request pairs agree\n", pairs);
}
END_TEST

uint32_t sc_bt_label_one(void *ctx, const uint32_t *ids, uint32_t n)
{
	(void)ctx;
	(void)ids;
	(void)n;
	return 1;
}

Suite *sc_suite_backend(void)
{
	Suite *s = suite_create("backend");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, dfa_minimal);
	tcase_add_test(tc, spec_example);
	tcase_add_test(tc, unknown_rules);
	tcase_add_test(tc, patterns);
	tcase_add_test(tc, conditions);
	tcase_add_test(tc, blowup_is_split);
	tcase_add_test(tc, blowup_goes_to_nfa);
	tcase_add_test(tc, policy_library);
	tcase_add_test(tc, differential_random);
	tcase_add_test(tc, differential_split);
	suite_add_tcase(s, tc);
	return s;
}
