/* check_runtime.c — the runtime library (scope.h) on its own: the API
 * contract, hostile images (every truncation, random byte flips with and
 * without a fixed checksum, structured word rewrites), and hot swap under
 * concurrent readers. */
#include "suites.h"
#include "backend_test.h"
#include "bytecode.h"
#include "image.h"
#include "refeval.h"
#include "resolve.h"
#include "scope.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char spec_src[] =
	"let mutating = delete **, config.*\n"
	"task reader\n  allows read forum.**, read docs.**\n"
	"task triage extends reader\n  allows draft forum.**\n"
	"  asks   post forum.** when channel == \"internal\"\n  denies @mutating\n"
	"task * denies ** secrets.**\n"
	"task oncall extends reader\n"
	"  allows config.set service.* when ticket matches /^INC-[0-9]+$/ and n < 3\n"
	"  allows lk a when k like x*.** or k in [\"p\", \"q\"]\n";

static unsigned char *compile_src(const char *src, bool strip, size_t *len)
{
	sc_diag d;
	sc_diag_init(&d, stderr);
	sc_policy *p = sc_resolve_text(&d, "spec.scope", src, strlen(src));
	ck_assert_ptr_nonnull(p);
	unsigned char *img = sc_bt_compile(p, &d, strip, 0, len);
	sc_policy_free(p);
	sc_diag_fini(&d);
	return img;
}

/* A policy whose automaton has DENSE state records (see dense_states). */
static void dense_source(char *src, size_t cap)
{
	snprintf(src, cap, "task t\n");
	static const char acts[] = "abcdefghijklmnopqrst";
	for (const char *c = acts; *c; c++)
		snprintf(src + strlen(src), cap - strlen(src), "  %s %c%s.*\n", *c % 3 ? "allows" : "denies", *c,
			 *c % 2 ? "x" : "yz");
	static const char res[] = "0123456789ABCDEF";
	for (const char *c = res; *c; c++)
		snprintf(src + strlen(src), cap - strlen(src), "  %s read %c**\n", *c % 4 ? "allows" : "asks", *c);
	snprintf(src + strlen(src), cap - strlen(src), "  denies read 7secret.**\n");
}

static scope_request req(const char *task, const char *action, const char *resource,
			 const scope_attr *attrs, size_t n)
{
	return (scope_request){ task, strlen(task), action, strlen(action), resource, strlen(resource),
				attrs, n };
}

START_TEST(api_contract)
{
	size_t len;
	unsigned char *img = compile_src(spec_src, false, &len);
	ck_assert(scope_is_bytecode(img, len));
	ck_assert(!scope_is_bytecode("task t", 6));
	scope_policy *p = (scope_policy *)1;
	ck_assert_int_eq(scope_policy_load(&p, "task t allows x", 15), -SCOPE_EFORMAT);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(scope_policy_load(NULL, img, len), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_policy_load_file(&p, "/nonexistent/x.scopec"), -SCOPE_EIO);
	ck_assert_int_eq(scope_policy_load(&p, img, len), 0);
	scope_scratch *s;
	ck_assert_int_eq(scope_scratch_create(&s), 0);
	scope_result r;
	scope_request rq = req("triage", "post", "forum.help", NULL, 0);
	ck_assert_int_eq(scope_decide(p, s, &rq, &r), 0);
	ck_assert_int_eq(r.decision, SCOPE_DENY);
	ck_assert_int_eq(r.why, SCOPE_WHY_DEFAULT);
	scope_attr ch = { "channel", 7, "internal", 8 };
	rq = req("triage", "post", "forum.help", &ch, 1);
	ck_assert_int_eq(scope_decide(p, s, &rq, &r), 0);
	ck_assert_int_eq(r.decision, SCOPE_ASK);
	ck_assert_int_eq(r.why, SCOPE_WHY_ITEM);
	scope_item_info info;
	ck_assert_int_eq(scope_policy_item(p, r.item, &info), 0);
	ck_assert(info.has_location);
	ck_assert_str_eq(info.file, "spec.scope");
	ck_assert_uint_eq(info.line, 6);
	ck_assert_str_eq(info.text, "asks post forum.** when channel == \"internal\"");
	char buf[256];
	size_t blen = sizeof buf;
	ck_assert_int_eq(scope_explain(p, &r, buf, &blen), 0);
	ck_assert_str_eq(buf, "spec.scope:6:10: asks post forum.** when channel == \"internal\"");
	blen = 8;
	ck_assert_int_eq(scope_explain(p, &r, buf, &blen), -SCOPE_ENOSPC);
	ck_assert_uint_eq(strlen(buf), 7);
	/* errors decide deny */
	ck_assert_int_eq(scope_decide(p, NULL, &rq, &r), -SCOPE_EINVAL);
	ck_assert_int_eq(r.decision, SCOPE_DENY);
	ck_assert_int_eq(r.why, SCOPE_WHY_ERROR);
	scope_request bad = { NULL, 3, "a", 1, "", 0, NULL, 0 };
	ck_assert_int_eq(scope_decide(p, s, &bad, &r), -SCOPE_EINVAL);
	ck_assert_int_eq(r.decision, SCOPE_DENY);
	ck_assert_int_eq(scope_decide(NULL, s, &rq, &r), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_decide(p, s, &rq, NULL), -SCOPE_EINVAL);
	rq = req("nobody", "read", "x", NULL, 0);
	ck_assert_int_eq(scope_decide(p, s, &rq, &r), 0);
	ck_assert_int_eq(r.why, SCOPE_WHY_NO_TASK);
	ck_assert_int_eq(scope_policy_item(p, 1u << 30, &info), -SCOPE_ERANGE);
	ck_assert_uint_eq(scope_policy_task_count(p), 3);
	/* every error code has a text; unknown codes too */
#define SCOPE_X(name, num, text) ck_assert_str_eq(scope_strerror(-name), text);
	SCOPE_ERRORS(SCOPE_X)
#undef SCOPE_X
	ck_assert_str_eq(scope_strerror(-999), "unknown error");
	ck_assert_str_eq(scope_strerror(5), "unknown error");
	scope_policy_destroy(NULL);
	scope_scratch_destroy(NULL);
	scope_handle_destroy(NULL);
	scope_scratch_destroy(s);
	scope_policy_destroy(p);
	free(img);

	/* stripped: same decisions, no locations */
	img = compile_src(spec_src, true, &len);
	ck_assert_int_eq(scope_policy_load(&p, img, len), 0);
	ck_assert_int_eq(scope_scratch_create(&s), 0);
	rq = req("triage", "post", "forum.help", &ch, 1);
	ck_assert_int_eq(scope_decide(p, s, &rq, &r), 0);
	ck_assert_int_eq(r.decision, SCOPE_ASK);
	ck_assert_int_eq(scope_policy_item(p, r.item, &info), 0);
	ck_assert(!info.has_location);
	blen = sizeof buf;
	ck_assert_int_eq(scope_explain(p, &r, buf, &blen), 0);
	ck_assert_str_eq(buf, "item 3 (stripped)");
	scope_scratch_destroy(s);
	scope_policy_destroy(p);
	free(img);
}
END_TEST

/* ---- hostile images ---------------------------------------------------------- */

static void fix_checksum(unsigned char *img, size_t len)
{
	if (len < SCOPE_BC_HEADER)
		return;
	uint64_t sum = scope_bc_hash64(img + SCOPE_BC_HEADER, len - SCOPE_BC_HEADER);
	memcpy(img + 24, &sum, 8);
}

/* Loads IMG; if accepted, decides a batch of requests (under ASan this is
 * where an out-of-bounds read would show).  Returns 1 if accepted. */
static int try_image(const unsigned char *img, size_t len, uint64_t *seed, scope_scratch *s)
{
	scope_policy *p;
	if (scope_policy_load(&p, img, len) < 0) {
		ck_assert_ptr_null(p);
		return 0;
	}
	for (int i = 0; i < 20; i++) {
		sc_bt_req r;
		sc_bt_random_request(seed, &r);
		static const char *const tasks[] = { "triage", "reader", "oncall", "t0", "t1", "t" };
		const char *task = tasks[sc_bt_rand(seed) % 6];
		scope_attr at[sizeof r.attrs / sizeof r.attrs[0]]; /* as many as the generator makes */
		for (size_t k = 0; k < r.nattrs; k++)
			at[k] = (scope_attr){ r.attrs[k].key.s, r.attrs[k].key.n, r.attrs[k].value.s,
					      r.attrs[k].value.n };
		scope_request rq = req(task, r.action, r.resource, at, r.nattrs);
		scope_result res;
		int rc = scope_decide(p, s, &rq, &res);
		ck_assert_int_eq(rc, rq.action_len ? 0 : -SCOPE_EINVAL); /* empty action: malformed */
		ck_assert_int_le(res.decision, SCOPE_DENY);
		if (res.why == SCOPE_WHY_ITEM) {
			scope_item_info info;
			ck_assert_int_eq(scope_policy_item(p, res.item, &info), 0);
			char buf[128];
			size_t blen = sizeof buf;
			scope_explain(p, &res, buf, &blen);
		}
	}
	scope_policy_destroy(p);
	return 1;
}

static void corrupt_all(const unsigned char *orig, size_t len, uint64_t *seed, unsigned *loaded,
			unsigned *tried)
{
	scope_scratch *s;
	ck_assert_int_eq(scope_scratch_create(&s), 0);
	unsigned char *img = malloc(len);
	ck_assert_ptr_nonnull(img);
	/* every truncation is rejected */
	for (size_t n = 0; n < len; n++) {
		memcpy(img, orig, n);
		ck_assert_int_eq(try_image(img, n, seed, s), 0);
		fix_checksum(img, n);
		ck_assert_int_eq(try_image(img, n, seed, s), 0);
		(*tried) += 2;
	}
	for (int round = 0; round < 3000; round++) {
		memcpy(img, orig, len);
		unsigned flips = 1 + (unsigned)(sc_bt_rand(seed) % 4);
		for (unsigned f = 0; f < flips; f++) {
			size_t at = sc_bt_rand(seed) % len;
			if (round % 3 == 0) {
				img[at] ^= (unsigned char)(1u << (sc_bt_rand(seed) % 8));
			} else {
				/* a plausible small value in a word: reaches deep checks */
				uint32_t v = (uint32_t)(sc_bt_rand(seed) % (len / 2 + 16));
				at &= ~(size_t)3;
				if (at + 4 <= len)
					memcpy(img + at, &v, 4);
			}
		}
		if (round % 2 == 0) {
			bool header = false;
			for (size_t k = 0; k < SCOPE_BC_HEADER; k++)
				header |= img[k] != orig[k];
			bool changed = memcmp(img, orig, len) != 0;
			int ok = try_image(img, len, seed, s);
			if (!header && changed)
				ck_assert_int_eq(ok, 0); /* the checksum catches it */
		} else {
			fix_checksum(img, len);
			*loaded += (unsigned)try_image(img, len, seed, s);
		}
		(*tried)++;
	}
	free(img);
	scope_scratch_destroy(s);
}

START_TEST(hostile_images)
{
	uint64_t seed = sc_bt_seed();
	unsigned loaded = 0, tried = 0;
	size_t len;
	unsigned char *img = compile_src(spec_src, false, &len);
	corrupt_all(img, len, &seed, &loaded, &tried);
	free(img);
	/* NFA parts (bytecode.h): the same policy under a 6-state budget */
	sc_diag d6;
	sc_diag_init(&d6, stderr);
	sc_policy *p6 = sc_resolve_text(&d6, "spec.scope", spec_src, strlen(spec_src));
	ck_assert_ptr_nonnull(p6);
	img = sc_bt_compile(p6, &d6, true, 6, &len);
	ck_assert_ptr_nonnull(img);
	corrupt_all(img, len, &seed, &loaded, &tried);
	free(img);
	sc_policy_free(p6);
	sc_diag_fini(&d6);
	char dense[4096]; /* DENSE records: their own checks */
	dense_source(dense, sizeof dense);
	img = compile_src(dense, false, &len);
	corrupt_all(img, len, &seed, &loaded, &tried);
	free(img);
	for (int i = 0; i < 6; i++) {
		char *src = sc_bt_random_policy(&seed);
		sc_diag d;
		sc_diag_init(&d, stderr);
		sc_policy *p = sc_resolve_text(&d, "r.scope", src, strlen(src));
		if (p) {
			img = sc_bt_compile(p, &d, i % 2, 0, &len);
			corrupt_all(img, len, &seed, &loaded, &tried);
			free(img);
		}
		sc_policy_free(p);
		sc_diag_fini(&d);
		free(src);
	}
	fprintf(stderr, "hostile images: %u tried, %u mutated images passed verification and decided safely\n",
		tried, loaded);
}
END_TEST

/* ---- hot swap ------------------------------------------------------------------ */

typedef struct swap_ctx {
	scope_handle *h;
	atomic_bool stop;
	atomic_ulong decisions, bad;
} swap_ctx;

static void *reader(void *arg)
{
	swap_ctx *c = arg;
	scope_scratch *s;
	if (scope_scratch_create(&s) < 0)
		return NULL;
	scope_request rq = req("t", "read", "x", NULL, 0);
	while (!atomic_load(&c->stop)) {
		scope_result r;
		int rc = scope_handle_decide(c->h, s, &rq, &r);
		/* the two policies answer allow and ask; never anything torn */
		if (rc == 0 && r.decision != SCOPE_ALLOW && r.decision != SCOPE_ASK)
			atomic_fetch_add(&c->bad, 1);
		if (rc < 0 && (rc != -SCOPE_EBUSY || r.decision != SCOPE_DENY))
			atomic_fetch_add(&c->bad, 1);
		atomic_fetch_add(&c->decisions, 1);
	}
	scope_scratch_destroy(s);
	return NULL;
}

/* The task table (taskindex.c) never overrides the task automaton: with
 * the name strings of two tasks swapped in an image (checksum fixed), the
 * walk of each name no longer ends at its entry, so neither enters the
 * table, and every request decides as the automaton says. */
static uint32_t *section_of(unsigned char *img, uint32_t id)
{
	uint32_t nsec;
	memcpy(&nsec, img + 20, 4);
	for (uint32_t i = 0; i < nsec; i++) {
		uint32_t d[2];
		memcpy(d, img + SCOPE_BC_HEADER + (size_t)i * SCOPE_BC_DIRENT, 8);
		if (d[0] == id)
			return (uint32_t *)(void *)(img + d[1]);
	}
	return NULL;
}

START_TEST(task_table_follows_automaton)
{
	size_t len;
	unsigned char *img = compile_src(spec_src, true, &len);
	scope_policy *orig, *swapped;
	scope_scratch *s;
	ck_assert_int_eq(scope_policy_load(&orig, img, len), 0);
	uint32_t *tasks = section_of(img, SCOPE_SEC_TASKS);
	ck_assert_ptr_nonnull(tasks);
	uint32_t name0 = tasks[0];
	tasks[0] = tasks[SCOPE_BC_TASK_WORDS];
	tasks[SCOPE_BC_TASK_WORDS] = name0;
	fix_checksum(img, len);
	ck_assert_int_eq(scope_policy_load(&swapped, img, len), 0);
	ck_assert_int_eq(scope_scratch_create(&s), 0);
	static const char *const names[] = { "oncall", "reader", "triage", "", "oncal", "readers" };
	static const char *const acts[][2] = { { "read", "forum.a" }, { "draft", "forum.b" },
					       { "delete", "x" }, { "read", "secrets.k" } };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		for (size_t k = 0; k < sizeof acts / sizeof acts[0]; k++) {
			scope_request rq = req(names[i], acts[k][0], acts[k][1], NULL, 0);
			scope_result a, b;
			ck_assert_int_eq(scope_decide(orig, s, &rq, &a), 0);
			ck_assert_int_eq(scope_decide(swapped, s, &rq, &b), 0);
			ck_assert_int_eq(a.decision, b.decision);
			ck_assert_int_eq(a.why, b.why);
			ck_assert_int_eq(a.item, b.item);
		}
	/* and the table answers for the names of the unchanged image */
	scope_request rq = req("triage", "draft", "forum.x", NULL, 0);
	scope_result r;
	ck_assert_int_eq(scope_decide(orig, s, &rq, &r), 0);
	ck_assert_int_eq(r.decision, SCOPE_ALLOW);
	scope_scratch_destroy(s);
	scope_policy_destroy(swapped);
	scope_policy_destroy(orig);
	free(img);
}
END_TEST

/* The directory entry of section ID (id, offset, size, 0). */
static uint32_t *dirent_of(unsigned char *img, uint32_t id)
{
	uint32_t nsec;
	memcpy(&nsec, img + 20, 4);
	for (uint32_t i = 0; i < nsec; i++) {
		uint32_t *d = (uint32_t *)(void *)(img + SCOPE_BC_HEADER + (size_t)i * SCOPE_BC_DIRENT);
		if (d[0] == id)
			return d;
	}
	return NULL;
}

/* What the verifier says of IMG (checksum fixed): EVERIFY and the reason. */
static const char *refused_why(unsigned char *img, size_t len)
{
	scope_policy *p = (scope_policy *)1;
	const char *why = NULL;
	fix_checksum(img, len);
	int rc = scope_policy_load_unverified_regex(&p, img, len, &why);
	ck_assert_msg(rc == -SCOPE_EVERIFY, "rc %d (%s)", rc, why ? why : "");
	ck_assert_ptr_null(p);
	ck_assert_ptr_nonnull(why);
	return why;
}

/* A copy of ORIG with section ID cut to SIZE bytes (the directory says so;
 * the bytes stay where they are). */
static unsigned char *with_size(const unsigned char *orig, size_t len, uint32_t id, uint32_t size)
{
	unsigned char *img = malloc(len);
	memcpy(img, orig, len);
	uint32_t *d = dirent_of(img, id);
	ck_assert_ptr_nonnull(d);
	d[2] = size;
	return img;
}

/* One hand-made defect per structural check the random rewrites of
 * hostile_images rarely reach, each refused with its own reason. */
START_TEST(verifier_reasons)
{
	size_t len;
	unsigned char *orig = compile_src(spec_src, true, &len), *img;

	img = with_size(orig, len, SCOPE_SEC_AUTOMATA, 0);
	ck_assert_str_eq(refused_why(img, len), "no automata");
	free(img);
	img = with_size(orig, len, SCOPE_SEC_STATES, 4);
	ck_assert_str_eq(refused_why(img, len), "no automata");
	free(img);
	/* outcome records beyond the empty one (items that overlap): cut to
	 * the first record [0 0 0] and one word of the next */
	static const char overlap_src[] = "task t\n  allows read a.*\n  asks read a.b when c == \"1\"\n"
					  "  denies read a.* when d == \"2\"\n";
	size_t olen;
	unsigned char *overlap = compile_src(overlap_src, true, &olen);
	ck_assert_uint_gt(dirent_of(overlap, SCOPE_SEC_OUTCOMES)[2], 16);
	img = with_size(overlap, olen, SCOPE_SEC_OUTCOMES, 16);
	ck_assert_str_eq(refused_why(img, olen), "outcome record truncated");
	free(img);
	free(overlap);

	img = malloc(len);
	memcpy(img, orig, len);
	section_of(img, SCOPE_SEC_ITEMS)[0] |= 3u << 30;
	ck_assert_str_eq(refused_why(img, len), "item kind");
	memcpy(img, orig, len);
	uint32_t *code = section_of(img, SCOPE_SEC_CODE);
	code[0] = SCOPE_OP_WORD0(SCOPE_OP_NOT, 0); /* pops the empty stack */
	code[1] = 0;
	ck_assert_str_eq(refused_why(img, len), "stack underflow");
	free(img);
	free(orig);

	/* more values pushed in one block than the stack holds: a condition
	 * of 300 comparisons, every instruction rewritten to HAS of its key */
	char src[16384];
	size_t o = (size_t)snprintf(src, sizeof src, "task t\n  allows a b when k == \"v0\"");
	for (int i = 1; i < 300; i++)
		o += (size_t)snprintf(src + o, sizeof src - o, " or k == \"v%d\"", i);
	snprintf(src + o, sizeof src - o, "\n");
	orig = compile_src(src, true, &len);
	code = section_of(orig, SCOPE_SEC_CODE);
	uint32_t ninsn = dirent_of(orig, SCOPE_SEC_CODE)[2] / 8;
	ck_assert_uint_gt(ninsn, SCOPE_BC_MAX_STACK);
	ck_assert_uint_eq(SCOPE_OP_CODE(code[0]), SCOPE_OP_EQ);
	uint32_t key = SCOPE_OP_A(code[0]);
	for (uint32_t i = 0; i < ninsn; i++) {
		code[2 * i] = SCOPE_OP_WORD0(SCOPE_OP_HAS, key);
		code[2 * i + 1] = 0;
	}
	ck_assert_str_eq(refused_why(orig, len), "stack too deep");
	free(orig);

	/* the verifier on its own (the loader tells bad magic first) */
	uint32_t words[8] = { 0 };
	scope_policy fake = { .img = words, .len = sizeof words };
	const char *why = NULL;
	ck_assert_int_eq(scope_verify_image(&fake, &why), -SCOPE_EFORMAT);
	ck_assert_str_eq(why, "bad magic");
}
END_TEST

/* Names of every length class of the table's hash (< 4, 4..7, 8..16, and
 * longer, where it loops): each finds its own task; a name one byte
 * longer or shorter finds none. */
START_TEST(task_table_names)
{
	enum { N = 40 };
	char src[N * 96] = "", name[N + 2];
	for (int k = 1; k <= N; k++) {
		memset(name, 'a' + k % 26, (size_t)k);
		name[k] = '\0';
		snprintf(src + strlen(src), sizeof src - strlen(src), "task %s allows a%d r\n", name, k);
	}
	size_t len;
	unsigned char *img = compile_src(src, true, &len);
	scope_policy *p;
	scope_scratch *s;
	ck_assert_int_eq(scope_policy_load(&p, img, len), 0);
	ck_assert_int_eq(scope_scratch_create(&s), 0);
	for (int k = 1; k <= N; k++) {
		char act[8];
		snprintf(act, sizeof act, "a%d", k);
		memset(name, 'a' + k % 26, (size_t)k + 1);
		for (int d = -1; d <= 1; d++) {
			scope_request rq = { name, (size_t)(k + d), act, strlen(act), "r", 1, NULL, 0 };
			scope_result r;
			ck_assert_int_eq(scope_decide(p, s, &rq, &r), 0);
			if (d == 0)
				ck_assert_int_eq(r.decision, SCOPE_ALLOW);
			else
				ck_assert_int_eq(r.why, SCOPE_WHY_NO_TASK); /* (other lengths: other letters) */
		}
	}
	scope_scratch_destroy(s);
	scope_policy_destroy(p);
	free(img);
}
END_TEST

/* Versions: an image of version 1 (no compact records) still loads; a
 * compact LITERAL is refused in a version-1 image; other versions are
 * refused before anything else is read. */
static int load_as_version(unsigned char *img, size_t len, uint32_t version)
{
	memcpy(img + 8, &version, 4);
	fix_checksum(img, len);
	scope_policy *p;
	int rc = scope_policy_load(&p, img, len);
	scope_policy_destroy(p);
	return rc;
}

START_TEST(image_versions)
{
	size_t len;
	unsigned char *img = compile_src("task a allows * *\ntask b allows * *\n", true, &len);
	ck_assert_int_eq(load_as_version(img, len, 1), 0); /* no LITERAL at all */
	ck_assert_int_eq(load_as_version(img, len, 0), -SCOPE_EVERSION);
	ck_assert_int_eq(load_as_version(img, len, SCOPE_BC_VERSION + 1), -SCOPE_EVERSION);
	free(img);
	img = compile_src("task triage allows read forum.**\n", true, &len);
	ck_assert_int_eq(load_as_version(img, len, SCOPE_BC_VERSION), 0);
	ck_assert_int_eq(load_as_version(img, len, 1), -SCOPE_EVERIFY); /* compact records */
	free(img);
}
END_TEST

/* An empty action is no request (SPEC §2): malformed, deny, whatever the
 * policy (here `*` would match it); the reference evaluator agrees. */
START_TEST(empty_action_is_malformed)
{
	size_t len;
	unsigned char *img = compile_src("task t allows * **\n", true, &len);
	scope_policy *p;
	scope_scratch *s;
	ck_assert_int_eq(scope_policy_load(&p, img, len), 0);
	ck_assert_int_eq(scope_scratch_create(&s), 0);
	scope_request rq = { "t", 1, "", 0, "", 0, NULL, 0 };
	scope_result r;
	ck_assert_int_eq(scope_decide(p, s, &rq, &r), -SCOPE_EINVAL);
	ck_assert_int_eq(r.decision, SCOPE_DENY);
	ck_assert_int_eq(r.why, SCOPE_WHY_ERROR);
	rq.action = "x";
	rq.action_len = 1;
	ck_assert_int_eq(scope_decide(p, s, &rq, &r), 0);
	ck_assert_int_eq(r.decision, SCOPE_ALLOW);
	scope_scratch_destroy(s);
	scope_policy_destroy(p);
	free(img);
}
END_TEST

START_TEST(hot_swap)
{
	size_t la, lb;
	unsigned char *a = compile_src("task t allows read x", true, &la);
	unsigned char *b = compile_src("task t asks read x", true, &lb);
	scope_handle *h;
	ck_assert_int_eq(scope_handle_create(&h, NULL), 0);
	scope_scratch *s;
	ck_assert_int_eq(scope_scratch_create(&s), 0);
	scope_request rq = req("t", "read", "x", NULL, 0);
	scope_result r;
	ck_assert_int_eq(scope_handle_decide(h, s, &rq, &r), -SCOPE_ENOPOLICY);
	ck_assert_int_eq(r.decision, SCOPE_DENY);
	swap_ctx c = { .h = h };
	scope_policy *p;
	ck_assert_int_eq(scope_policy_load(&p, a, la), 0);
	ck_assert_int_eq(scope_handle_swap(h, p), 0);
	pthread_t th[3];
	for (int i = 0; i < 3; i++)
		pthread_create(&th[i], NULL, reader, &c);
	/* On a loaded machine the readers may start late: make sure swaps and
	 * decisions really interleave (the test is about their overlap). */
	while (atomic_load(&c.decisions) < 100)
		sched_yield();
	for (int i = 0; i < 2000; i++) {
		ck_assert_int_eq(scope_policy_load(&p, i % 2 ? a : b, i % 2 ? la : lb), 0);
		ck_assert_int_eq(scope_handle_swap(h, p), 0);
		if (i % 100 == 99) {
			unsigned long d = atomic_load(&c.decisions);
			while (atomic_load(&c.decisions) == d)
				sched_yield();
		}
	}
	atomic_store(&c.stop, true);
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	ck_assert_uint_eq(atomic_load(&c.bad), 0);
	ck_assert_uint_gt(atomic_load(&c.decisions), 0);
	const scope_policy *cur;
	unsigned ticket;
	ck_assert_int_eq(scope_handle_acquire(h, &cur, &ticket), 0);
	ck_assert_int_eq(scope_decide(cur, s, &rq, &r), 0);
	ck_assert_int_eq(r.decision, SCOPE_ALLOW); /* the last swap (i = 1999) installed a */
	scope_handle_release(h, ticket);
	scope_scratch_destroy(s);
	scope_handle_destroy(h);
	free(a);
	free(b);
}
END_TEST

START_TEST(explain_unknown)
{
	size_t len;
	unsigned char *img = compile_src("task t denies r when n > 5 or ch == \"x\" asks w when k matches /^a+$/ allows w",
					 false, &len);
	scope_policy *p;
	ck_assert_int_eq(scope_policy_load(&p, img, len), 0);
	scope_scratch *s;
	ck_assert_int_eq(scope_scratch_create(&s), 0);
	scope_attr bad = { "n", 1, "ten", 3 };
	struct { scope_request rq; const char *want; } cases[] = {
		{ req("t", "r", "", NULL, 0), "(condition unknown because attribute 'n' is missing)" },
		{ req("t", "r", "", &bad, 1), "(condition unknown because attribute 'n' is not a number)" },
		{ req("t", "w", "", NULL, 0), "(condition unknown because attribute 'k' is missing)" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		scope_result r;
		ck_assert_int_eq(scope_decide(p, s, &cases[i].rq, &r), 0);
		ck_assert(r.unknown);
		char buf[256];
		size_t n = sizeof buf;
		ck_assert_int_eq(scope_explain_request(p, s, &cases[i].rq, &r, buf, &n), 0);
		ck_assert_msg(strstr(buf, cases[i].want) && n == strlen(buf), "%s", buf);
		n = 8; /* too small: cut, NUL-terminated */
		ck_assert_int_eq(scope_explain_request(p, s, &cases[i].rq, &r, buf, &n), -SCOPE_ENOSPC);
		ck_assert_uint_eq(strlen(buf), n);
	}
	/* room for the explanation but not for the attribute's name: cut, ENOSPC */
	{
		scope_result r0;
		ck_assert_int_eq(scope_decide(p, s, &cases[0].rq, &r0), 0);
		char base[256], buf[256];
		size_t nb = sizeof base;
		ck_assert_int_eq(scope_explain(p, &r0, base, &nb), 0);
		size_t n = nb + 4;
		ck_assert_int_eq(scope_explain_request(p, s, &cases[0].rq, &r0, buf, &n), -SCOPE_ENOSPC);
		ck_assert_uint_eq(n, nb + 3);
		/* a result that claims unknown where nothing was: the plain explanation */
		scope_attr six = { "n", 1, "6", 1 };
		scope_request known = req("t", "r", "", &six, 1);
		n = sizeof buf;
		ck_assert_int_eq(scope_explain_request(p, s, &known, &r0, buf, &n), 0);
		ck_assert_str_eq(buf, base);
		/* an item without a condition, claimed unknown: the plain explanation */
		scope_attr ka = { "k", 1, "b", 1 };
		scope_request w = req("t", "w", "", &ka, 1);
		scope_result rw;
		ck_assert_int_eq(scope_decide(p, s, &w, &rw), 0);
		ck_assert_int_eq(rw.decision, SCOPE_ALLOW);
		rw.unknown = true;
		char plain[256];
		size_t np = sizeof plain;
		ck_assert_int_eq(scope_explain(p, &rw, plain, &np), 0);
		n = sizeof buf;
		ck_assert_int_eq(scope_explain_request(p, s, &w, &rw, buf, &n), 0);
		ck_assert_str_eq(buf, plain);
	}
	/* not unknown: the plain explanation */
	scope_attr five = { "n", 1, "6", 1 };
	scope_request rq = req("t", "r", "", &five, 1);
	scope_result r;
	ck_assert_int_eq(scope_decide(p, s, &rq, &r), 0);
	char a[256], b[256];
	size_t na = sizeof a, nb = sizeof b;
	ck_assert_int_eq(scope_explain(p, &r, a, &na), 0);
	ck_assert_int_eq(scope_explain_request(p, s, &rq, &r, b, &nb), 0);
	ck_assert_str_eq(a, b);
	scope_scratch_destroy(s);
	scope_policy_destroy(p);
	free(img);
}
END_TEST

/* Every argument check of the API answers EINVAL (and a decision, deny), and
 * the file reader's edge cases: a directory, an empty file, bytes that are
 * not an image.  An embedder's bug must never read as an allow. */
START_TEST(argument_checks)
{
	size_t len;
	unsigned char *img = compile_src(spec_src, false, &len);
	scope_policy *p = (scope_policy *)1;
	ck_assert_int_eq(scope_policy_load(&p, NULL, 5), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_policy_load_file(NULL, "x"), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_policy_load_file(&p, NULL), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_policy_load_file(&p, "/"), -SCOPE_EIO); /* a directory */
	ck_assert_ptr_null(p);
	char tmpl[] = "/tmp/scope-check-XXXXXX";
	int fd = mkstemp(tmpl);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(scope_policy_load_file(&p, tmpl), -SCOPE_EFORMAT); /* empty */
	ck_assert_int_eq(write(fd, img, len), (ssize_t)len);
	close(fd);
	ck_assert_int_eq(scope_policy_load_file(&p, tmpl), 0);
	unlink(tmpl);
	ck_assert_int_eq(scope_scratch_create(NULL), -SCOPE_EINVAL);
	scope_scratch *s;
	ck_assert_int_eq(scope_scratch_create(&s), 0);
	scope_item_info info;
	ck_assert_int_eq(scope_policy_item(NULL, 0, &info), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_policy_item(p, 0, NULL), -SCOPE_EINVAL);
	/* a request whose attribute has a NULL text with a length */
	scope_attr bad_attr = { "k", 1, NULL, 4 };
	scope_request rq = req("triage", "read", "forum.x", &bad_attr, 1);
	scope_result r;
	ck_assert_int_eq(scope_decide(p, s, &rq, &r), -SCOPE_EINVAL);
	ck_assert_int_eq(r.decision, SCOPE_DENY);
	ck_assert_int_eq(r.why, SCOPE_WHY_ERROR);
	/* explanations: bad arguments, an item not in the policy, an error result */
	char buf[128];
	size_t blen = sizeof buf;
	ck_assert_int_eq(scope_explain(p, NULL, buf, &blen), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_explain(p, &r, NULL, &blen), -SCOPE_EINVAL);
	blen = 0;
	ck_assert_int_eq(scope_explain(p, &r, buf, &blen), -SCOPE_EINVAL);
	blen = sizeof buf;
	ck_assert_int_eq(scope_explain(p, &r, buf, &blen), 0);
	ck_assert_str_eq(buf, "error (fail closed: deny)");
	scope_result ghost = { SCOPE_ALLOW, SCOPE_WHY_ITEM, 1u << 20, false };
	blen = sizeof buf;
	ck_assert_int_eq(scope_explain(p, &ghost, buf, &blen), 0);
	ck_assert_str_eq(buf, "item 1048576 (not in this policy)");
	rq = req("triage", "read", "forum.x", NULL, 0);
	ck_assert_int_eq(scope_decide(p, s, &rq, &r), 0);
	blen = sizeof buf;
	ck_assert_int_eq(scope_explain_request(NULL, s, &rq, &r, buf, &blen), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_explain_request(p, s, &rq, NULL, buf, &blen), -SCOPE_EINVAL);
	/* an item without a condition: the plain explanation */
	ck_assert_int_eq(scope_explain_request(p, s, &rq, &r, buf, &blen), 0);
	ck_assert_str_eq(buf, "spec.scope:3:10: allows read forum.**");
	/* handles */
	ck_assert_int_eq(scope_handle_create(NULL, p), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_handle_swap(NULL, NULL), -SCOPE_EINVAL);
	scope_handle *h;
	ck_assert_int_eq(scope_handle_create(&h, NULL), 0);
	const scope_policy *pin;
	unsigned ticket;
	ck_assert_int_eq(scope_handle_acquire(NULL, &pin, &ticket), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_handle_acquire(h, NULL, &ticket), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_handle_acquire(h, &pin, NULL), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_handle_decide(h, s, &rq, &r), -SCOPE_ENOPOLICY);
	ck_assert_int_eq(r.decision, SCOPE_DENY);
	ck_assert_int_eq(scope_handle_decide(h, s, &rq, NULL), -SCOPE_ENOPOLICY);
	/* releases of no ticket change no reader count: the swap below would
	 * wait forever for a reader that is not there */
	scope_handle_release(h, 2);
	scope_handle_release(NULL, 0);
	ck_assert_int_eq(scope_handle_swap(h, p), 0); /* the handle owns P now */
	ck_assert_int_eq(scope_handle_decide(h, s, &rq, &r), 0);
	ck_assert_int_eq(r.decision, SCOPE_ALLOW);
	scope_handle_destroy(h);
	scope_scratch_destroy(s);
	free(img);
}
END_TEST

/* Every malformed request is EINVAL and a deny with reason error: a
 * pointer that is NULL with a length, attributes missing, an attribute's
 * key or value NULL with a length.  A NULL value of length 0 is empty. */
START_TEST(malformed_requests)
{
	size_t len;
	unsigned char *img = compile_src(spec_src, false, &len);
	scope_policy *p;
	ck_assert_int_eq(scope_policy_load(&p, img, len), 0);
	scope_scratch *s;
	ck_assert_int_eq(scope_scratch_create(&s), 0);
	scope_attr nokey = { NULL, 2, "v", 1 }, noval = { "k", 1, NULL, 3 }, empty = { "k", 1, NULL, 0 };
	const scope_request bad[] = {
		{ NULL, 6, "read", 4, "forum.a", 7, NULL, 0 },
		{ "triage", 6, NULL, 4, "forum.a", 7, NULL, 0 },
		{ "triage", 6, "read", 4, NULL, 7, NULL, 0 },
		{ "triage", 6, "read", 4, "forum.a", 7, NULL, 2 },
		{ "triage", 6, "read", 4, "forum.a", 7, &nokey, 1 },
		{ "triage", 6, "read", 4, "forum.a", 7, &noval, 1 },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		scope_result r = { SCOPE_ALLOW, SCOPE_WHY_ITEM, 0, true };
		ck_assert_int_eq(scope_decide(p, s, &bad[i], &r), -SCOPE_EINVAL);
		ck_assert_int_eq(r.decision, SCOPE_DENY);
		ck_assert_int_eq(r.why, SCOPE_WHY_ERROR);
		/* an explanation of a result for it is the plain one */
		r = (scope_result){ SCOPE_DENY, SCOPE_WHY_ITEM, 0, true };
		char buf[256], plain[256];
		size_t n = sizeof buf, np = sizeof plain;
		ck_assert_int_eq(scope_explain(p, &r, plain, &np), 0);
		ck_assert_int_eq(scope_explain_request(p, s, &bad[i], &r, buf, &n), 0);
		ck_assert_str_eq(buf, plain);
	}
	/* (resource "" rather than NULL: NULL with length 0 passes request_ok()
	 * but walk_str() then forms NULL + 0, which UBSan refuses) */
	scope_request ok = { "triage", 6, "read", 4, "", 0, &empty, 1 };
	scope_result r;
	ck_assert_int_eq(scope_decide(p, s, &ok, &r), 0);
	ck_assert_int_eq(r.decision, SCOPE_DENY); /* "" is no resource of forum.** */
	ck_assert_int_eq(r.why, SCOPE_WHY_DEFAULT);
	/* explanations: no buffer, no length, no policy for an item */
	char buf[64];
	size_t n = 0;
	ck_assert_int_eq(scope_explain_request(p, s, &ok, &r, buf, &n), -SCOPE_EINVAL);
	n = sizeof buf;
	ck_assert_int_eq(scope_explain_request(p, s, &ok, &r, NULL, &n), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_explain_request(p, s, &ok, &r, buf, NULL), -SCOPE_EINVAL);
	r = (scope_result){ SCOPE_DENY, SCOPE_WHY_ITEM, 3, false };
	ck_assert_int_eq(scope_explain(NULL, &r, buf, &n), 0);
	ck_assert_str_eq(buf, "item 3 (not in this policy)");
	/* the image calls */
	scope_policy *q = (scope_policy *)1;
	ck_assert_int_eq(scope_policy_load(&q, NULL, 5), -SCOPE_EINVAL);
	ck_assert_ptr_null(q);
	ck_assert_int_eq(scope_policy_load(&q, SCOPE_BC_MAGIC, SCOPE_BC_MAGIC_LEN), -SCOPE_ELENGTH);
	ck_assert(!scope_is_bytecode(NULL, 8));
	ck_assert(!scope_is_bytecode(SCOPE_BC_MAGIC, 4));
	ck_assert_uint_eq(scope_policy_item_count(NULL), 0);
	ck_assert_uint_eq(scope_policy_task_count(NULL), 0);
	ck_assert_uint_eq(scope_policy_image_size(NULL), 0);
	ck_assert_str_eq(scope_strerror(1), "unknown error");
	ck_assert_str_eq(scope_strerror(-1000), "unknown error");
	scope_scratch_destroy(s);
	scope_policy_destroy(p);
	free(img);
}
END_TEST

/* DENSE state records (more than 12 bytes leave a state for somewhere other
 * than its default) are what large policies walk, yet small test policies
 * never make one: this policy has 20 action first bytes at the start and 16
 * resource first bytes after `read`, and every request over that alphabet
 * is decided by the compiled and the reference evaluator alike. */
START_TEST(dense_states)
{
	char src[4096];
	dense_source(src, sizeof src);
	sc_diag d;
	sc_diag_init(&d, stderr);
	sc_policy *sp = sc_resolve_text(&d, "dense.scope", src, strlen(src));
	ck_assert_ptr_nonnull(sp);
	size_t len;
	unsigned char *img = sc_bt_compile(sp, &d, false, 0, &len);
	scope_policy *p;
	ck_assert_int_eq(scope_policy_load(&p, img, len), 0);
	const uint32_t *task = SC_TASKS(p);
	const uint32_t *a = SC_AUTOMATA(p) + (size_t)task[1] * SCOPE_BC_AUTOMATON_WORDS;
	ck_assert_msg(SCOPE_REF_TYPE(a[2]) == SCOPE_ST_DENSE, "the start state is not DENSE: the test tests nothing");
	scope_scratch *s;
	ck_assert_int_eq(scope_scratch_create(&s), 0);
	sc_ref_ctx *ref = sc_ref_new();
	static const char *const actions[] = { "read", "reads", "rea", "", "ax.q", "byz.q", "bx.q", "cx", "t",
					       "tyz.a.b", "u", "zzz", "ex.", "kyz.1", "sx.s.x" };
	static const char *const resources[] = { "", "0", "0a", "7", "7secret", "7secret.x", "7secrets", "9/x",
						 "A", "Fz", "G", "a", "z0", "\xff", "Bq.r.s" };
	unsigned n = 0;
	for (size_t i = 0; i < sizeof actions / sizeof *actions; i++)
		for (size_t j = 0; j < sizeof resources / sizeof *resources; j++) {
			sc_request rq = { { "t", 1 }, { actions[i], strlen(actions[i]) },
					  { resources[j], strlen(resources[j]) }, NULL, 0 };
			sc_result want, got;
			sc_ref_decide(ref, sp, &rq, &want);
			sc_backend_decide(p, s, sp, &rq, &got);
			ck_assert_msg(sc_bt_same(&want, &got), "'%s' '%s': reference %d, compiled %d", actions[i],
				      resources[j], want.decision, got.decision);
			n += want.decision != SC_DENY;
		}
	ck_assert_uint_gt(n, 20); /* not all deny: the walk reached items */
	sc_ref_free(ref);
	scope_scratch_destroy(s);
	scope_policy_destroy(p);
	free(img);
	sc_policy_free(sp);
	sc_diag_fini(&d);
}
END_TEST

Suite *sc_suite_runtime(void)
{
	Suite *s = suite_create("runtime");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, api_contract);
	tcase_add_test(tc, hostile_images);
	tcase_add_test(tc, hot_swap);
	tcase_add_test(tc, task_table_follows_automaton);
	tcase_add_test(tc, task_table_names);
	tcase_add_test(tc, image_versions);
	tcase_add_test(tc, empty_action_is_malformed);
	tcase_add_test(tc, explain_unknown);
	tcase_add_test(tc, dense_states);
	tcase_add_test(tc, argument_checks);
	tcase_add_test(tc, verifier_reasons);
	tcase_add_test(tc, malformed_requests);
	suite_add_tcase(s, tc);
	return s;
}
