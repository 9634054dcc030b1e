/*
 * fuzz_diff.c — structure-aware differential libFuzzer target for the three
 * deciders of the compiler: the compiled path (compiler/backend.c and the
 * runtime), the reference evaluator (compiler/refeval.c) and `scopec diff`
 * (compiler/diff.c, with its attribute cells in compiler/attrset.c).
 *
 * The input drives the generator of tests/policygen.c, so every input is
 * a policy (one byte is one choice of the generator):
 *   bytes 0-1   which choice the mutant policy makes otherwise
 *   byte  2     how (added to that choice)
 *   byte  3     bit 0: strip the images; bit 1: a 40-state DFA budget for
 *               the compiled path (tasks split into parts)
 *   the rest    policy A, then the requests (a PRNG seeded with the input
 *               continues when the bytes run out)
 * Policy B is A with that one choice changed.  Asserted, with abort() and
 * the policies and request on stderr:
 *   (a) on A and on B, the compiled and the reference evaluator decide
 *       every request alike: decision, reason, deciding item, unknown;
 *   (b) diff A A is "equivalent" (0);
 *   (c) every change diff A B reports (JSON) names a request that the
 *       reference and the compiled evaluator decide as diff claims: its
 *       old decision on A, its new one on B; an undetermined change has
 *       its old decision on A and is never diff's internal error;
 *   (d) when diff A B says "equivalent", A and B decide every request
 *       alike;
 *   (e) diff B A says "equivalent" exactly when diff A B does (both are
 *       exact here: nothing is undetermined);
 *   (f) A formatted by `scopec fmt` resolves, and diff says it is
 *       equivalent to A (fmt never changes a decision).
 * Build and run: make fuzz FUZZ_TARGETS=fuzz_diff (mk/fuzz.mk).  With
 * FUZZ_DIFF_SHOW set, each input's policies and diff report go to stderr
 * (build/replay_diff FILE shows what a corpus file tests).
 */
#include "backend.h"
#include "diff.h"
#include "fmt.h"
#include "policygen.h"
#include "request.h"
#include "resolve.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NREQUESTS 32

/* One policy, its source text, and its compiled form. */
typedef struct side {
	char *src;
	sc_policy *p;
	scope_policy *cp;
} side;

typedef struct fuzz {
	sc_diag d;
	side a, b;
	sc_ref_ctx *ref;
	scope_scratch *scr;
	sc_pg_req reqs[NREQUESTS];
} fuzz;

static FILE *devnull(void)
{
	static FILE *f;
	if (!f)
		f = fopen("/dev/null", "w");
	return f;
}

static void show_request(const sc_request *rq)
{
	fprintf(stderr, "request: %.*s '%.*s' '%.*s'", (int)rq->task.n, rq->task.s, (int)rq->action.n,
		rq->action.s, (int)rq->resource.n, rq->resource.s);
	for (size_t i = 0; i < rq->nattrs; i++)
		fprintf(stderr, " %.*s=%.*s", (int)rq->attrs[i].key.n, rq->attrs[i].key.s, (int)rq->attrs[i].value.n,
			rq->attrs[i].value.s);
	fputc('\n', stderr);
}

static long item_of(const sc_result *r)
{
	return r->item ? (long)r->item->index : -1;
}

static void show_result(const char *who, const sc_result *r)
{
	fprintf(stderr, "%s: %s why=%d item=%ld unknown=%d\n", who, sc_kind_names[r->decision], r->why, item_of(r),
		r->unknown);
}

static __attribute__((noreturn)) void fail(const fuzz *z, const char *what, const sc_request *rq)
{
	fprintf(stderr, "fuzz_diff: %s\n--- policy A:\n%s--- policy B:\n%s", what, z->a.src, z->b.src);
	if (rq)
		show_request(rq);
	abort();
}

/* Resolves and compiles S; false if it does not resolve (the generator
 * writes valid policies, but a mutant may be refused: nothing to test). */
static bool side_load(fuzz *z, side *s, const char *name, uint8_t flags)
{
	s->p = sc_resolve_text(&z->d, name, s->src, strlen(s->src));
	if (!s->p)
		return false;
	sc_backend_opts o = { flags & 1, flags & 2 ? 40 : 0 };
	unsigned char *img = NULL;
	size_t len = 0;
	if (sc_backend_compile(&z->d, s->p, &o, &img, &len, NULL) < 0) {
		if (o.max_states)
			return true; /* a tiny budget may refuse a pattern; no compiled path */
		fail(z, "the back end refused a policy that resolves", NULL);
	}
	int rc = scope_policy_load(&s->cp, img, len);
	free(img);
	if (rc != 0) {
		fprintf(stderr, "%s\n", scope_strerror(rc));
		fail(z, "the runtime rejected a compiled image", NULL);
	}
	return true;
}

static bool same(const sc_result *x, const sc_result *y)
{
	return x->decision == y->decision && x->why == y->why && item_of(x) == item_of(y) &&
	       (x->why != SC_WHY_ITEM || x->unknown == y->unknown);
}

/* The reference decision of RQ on S, checked against the compiled one. */
static sc_kind decide(fuzz *z, const side *s, const sc_request *rq)
{
	sc_result r, c;
	sc_ref_decide(z->ref, s->p, rq, &r);
	if (!s->cp)
		return r.decision;
	sc_backend_decide(s->cp, z->scr, s->p, rq, &c);
	if (!same(&r, &c)) {
		show_result("reference", &r);
		show_result("compiled ", &c);
		fprintf(stderr, "on policy %s\n", s == &z->a ? "A" : "B");
		fail(z, "(a) the compiled and the reference evaluator disagree", rq);
	}
	return r.decision;
}

/* diff OLD NEW as JSON into *OUT (malloc'd); returns sc_diff's code. */
static int run_diff(fuzz *z, const sc_policy *old, const sc_policy *new, char **out)
{
	size_t len;
	FILE *mem = open_memstream(out, &len);
	if (!mem)
		abort();
	sc_diff_opts o = { true, 0 };
	int rc = sc_diff(&z->d, old, new, &o, mem);
	fclose(mem);
	return rc;
}

static int kind_named(const char *s)
{
	for (int k = 0; k < 3; k++)
		if (s && strcmp(s, sc_kind_names[k]) == 0)
			return k;
	return -1;
}

/* (c) for one reported change (NEW is NULL for an undetermined one). */
static void check_witness(fuzz *z, json_t *c, bool changed)
{
	const char *task = json_string_value(json_object_get(c, "task"));
	const char *line = json_string_value(json_object_get(c, "request"));
	int ko = kind_named(json_string_value(json_object_get(c, "old")));
	int kn = changed ? kind_named(json_string_value(json_object_get(c, "new"))) : 0;
	const char *reason = json_string_value(json_object_get(c, "reason"));
	if (!task || !line || ko < 0 || kn < 0)
		fail(z, "(c) a change without its task, request or decisions", NULL);
	if (!changed && reason && strstr(reason, "internal error"))
		fail(z, "(c) diff reported its internal error", NULL);
	if (changed && ko == kn)
		fail(z, "(c) a change with the same decision on both sides", NULL);
	sc_reqparse rp;
	sc_reqparse_init(&rp);
	if (sc_request_parse_line(&rp, line, strlen(line)) != 1) {
		fprintf(stderr, "request line: %s (%s)\n", line, rp.err);
		fail(z, "(c) diff printed a request that does not parse", NULL);
	}
	if (!sc_str_eq(rp.rq.task, sc_str_c(task)))
		fail(z, "(c) the request is not of the task it is reported under", &rp.rq);
	if ((int)decide(z, &z->a, &rp.rq) != ko)
		fail(z, "(c) the witness is not decided on A as diff says", &rp.rq);
	if (changed && (int)decide(z, &z->b, &rp.rq) != kn)
		fail(z, "(c) the witness is not decided on B as diff says", &rp.rq);
	sc_reqparse_fini(&rp);
}

static void check_report(fuzz *z, const char *out)
{
	json_error_t je;
	json_t *doc = json_loads(out, 0, &je);
	if (!doc) {
		fprintf(stderr, "%s\n", out);
		fail(z, "(c) diff --json printed something that is not JSON", NULL);
	}
	json_t *changes = json_object_get(doc, "changes"), *undet = json_object_get(doc, "undetermined");
	if (!json_is_array(changes) || !json_is_array(undet))
		fail(z, "(c) diff --json without its changes", NULL);
	size_t i;
	json_t *c;
	json_array_foreach(changes, i, c)
		check_witness(z, c, true);
	json_array_foreach(undet, i, c)
		check_witness(z, c, false);
	json_decref(doc);
}

/* (f): A is file 1 of the diag (resolved first, with no includes). */
static void check_fmt(fuzz *z)
{
	char *text = NULL, *out = NULL;
	size_t n = 0;
	if (sc_fmt(&z->d, 1, &text, &n) != 0)
		fail(z, "(f) fmt refused a policy that resolves", NULL);
	sc_policy *f = sc_resolve_text(&z->d, "fmt.scope", text, n);
	if (!f) {
		fprintf(stderr, "--- formatted:\n%s", text);
		fail(z, "(f) the formatted policy does not resolve", NULL);
	}
	if (run_diff(z, z->a.p, f, &out) != 0) {
		fprintf(stderr, "--- formatted:\n%s%s\n", text, out);
		fail(z, "(f) the formatted policy is not equivalent", NULL);
	}
	free(out);
	sc_policy_free(f);
	free(text);
}

static void check_all(fuzz *z)
{
	/* (a) both policies, every request */
	sc_kind da[NREQUESTS], db[NREQUESTS];
	for (size_t i = 0; i < NREQUESTS; i++) {
		da[i] = decide(z, &z->a, &z->reqs[i].rq);
		db[i] = decide(z, &z->b, &z->reqs[i].rq);
	}
	/* (b) */
	char *out = NULL;
	int rc = run_diff(z, z->a.p, z->a.p, &out);
	if (rc != 0) {
		fprintf(stderr, "%s\n", out);
		fail(z, "(b) diff of a policy with itself is not \"equivalent\"", NULL);
	}
	free(out);
	/* (c) and (d) */
	rc = run_diff(z, z->a.p, z->b.p, &out);
	if (getenv("FUZZ_DIFF_SHOW"))
		fprintf(stderr, "--- A:\n%s--- B:\n%s--- diff A B: %d\n%s\n", z->a.src, z->b.src, rc, out);
	if (rc < 0)
		fail(z, "(c) diff found a task of a small policy too big to compare", NULL);
	check_report(z, out);
	for (size_t i = 0; rc == 0 && i < NREQUESTS; i++)
		if (da[i] != db[i]) {
			fprintf(stderr, "A decides %s, B decides %s\n", sc_kind_names[da[i]], sc_kind_names[db[i]]);
			fail(z, "(d) diff says \"equivalent\", but a request is decided otherwise", &z->reqs[i].rq);
		}
	/* (e) */
	bool undetermined = strstr(out, "\"reason\"") != NULL;
	free(out);
	int back = run_diff(z, z->b.p, z->a.p, &out);
	if (!undetermined && !strstr(out, "\"reason\"") && back != rc) {
		fprintf(stderr, "%s\n", out);
		fail(z, "(e) diff B A and diff A B disagree on equivalence", NULL);
	}
	free(out);
	check_fmt(z);
}

static uint64_t hash(const uint8_t *data, size_t size)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 0x100000001b3ull;
	return h | 1; /* not 0: a PRNG fallback */
}

static void side_free(side *s)
{
	scope_policy_destroy(s->cp);
	sc_policy_free(s->p);
	free(s->src);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	fuzz z;
	memset(&z, 0, sizeof z);
	const uint8_t *body = data + 4;
	size_t n = size - 4;
	sc_pg_bytes ba, bb, br;
	sc_pg_bytes_init(&ba, body, n, 0);
	z.a.src = sc_pg_policy(&ba.src);
	/* B replays the same bytes with one choice made otherwise */
	sc_pg_bytes_init(&bb, body, n, 0);
	sc_pg_mutant m;
	uint64_t at = (uint64_t)(data[0] | data[1] << 8);
	sc_pg_mutant_init(&m, &bb.src, ba.src.picks ? at % ba.src.picks : 0, data[2]);
	z.b.src = sc_pg_policy(&m.src);
	sc_pg_bytes_init(&br, body + ba.pos, n - ba.pos, hash(data, size));
	for (size_t i = 0; i < NREQUESTS; i++)
		sc_pg_request(&br.src, &z.reqs[i]);
	sc_diag_init(&z.d, devnull());
	/* B lives in A's diag, as in `scopec diff` (spans name either file) */
	if (side_load(&z, &z.a, "a.scope", data[3]) && side_load(&z, &z.b, "b.scope", data[3])) {
		z.ref = sc_ref_new();
		if (scope_scratch_create(&z.scr) < 0)
			abort();
		check_all(&z);
		scope_scratch_destroy(z.scr);
		sc_ref_free(z.ref);
	}
	side_free(&z.b);
	side_free(&z.a);
	sc_diag_fini(&z.d);
	return 0;
}
