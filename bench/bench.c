/*
 * bench.c — `make bench`: generated agent policies of 10 .. 100 000 items,
 * compiled and decided through the C API (scope.h), against two baselines
 * measured in the same run: the reference evaluator (refeval.h) and a naive
 * linear scan of the task's items with fnmatch(3).
 *
 * Per size it prints: ns/decision median and p99 (each decision timed on
 * its own with the TSC, the timer's own cost subtracted), decisions/s on one
 * core (a tight loop), image bytes per item (with and without debug info),
 * compile time, load+verify time, verify-only time, peak compiler memory,
 * the two speed-up ratios, and heap allocations per decision (counted by
 * the malloc wrappers below; it must be 0).
 *
 * Then, on the 10 000-item policy: `scopec eval` lines/s on its bytecode
 * image (the compiled ./scopec, or $SCOPEC, run on a generated request
 * file), and ns/decision with 1 and 2 threads deciding on one loaded
 * policy, and through one scope_handle while a third thread swaps it.
 *
 *   bench [--quick]     --quick: sizes up to 10 000 only
 */
#include "arena.h"
#include "backend.h"
#include "image.h"
#include "refeval.h"
#include "resolve.h"
#include "scope.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <malloc.h>
#include <pthread.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define HAVE_TSC 1
#endif

/* ---- counting allocator ---------------------------------------------------- */

/* The bench interposes malloc & co. to count calls and track live bytes.
 * The counters are plain: only the single-threaded sizes table reads them
 * (the contention threads allocate their scratch and images racily). */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
void *malloc(size_t n);
void *calloc(size_t n, size_t m);
void *realloc(void *p, size_t n);
void free(void *p);

static unsigned long long n_allocs;
static size_t live_bytes, peak_bytes;

static void track_add(void *p)
{
	if (p) {
		live_bytes += malloc_usable_size(p);
		if (live_bytes > peak_bytes)
			peak_bytes = live_bytes;
	}
}

void *malloc(size_t n)
{
	n_allocs++;
	void *p = __libc_malloc(n);
	track_add(p);
	return p;
}

void *calloc(size_t n, size_t m)
{
	n_allocs++;
	void *p = __libc_calloc(n, m);
	track_add(p);
	return p;
}

void *realloc(void *p, size_t n)
{
	n_allocs++;
	if (p)
		live_bytes -= malloc_usable_size(p);
	void *q = __libc_realloc(p, n);
	if (q)
		track_add(q);
	else if (p)
		live_bytes += malloc_usable_size(p);
	return q;
}

void free(void *p)
{
	if (p)
		live_bytes -= malloc_usable_size(p);
	__libc_free(p);
}

/* ---- time ---------------------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline uint64_t ticks(void)
{
#ifdef HAVE_TSC
	unsigned aux;
	return __rdtscp(&aux);
#else
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
#endif
}

static double ns_per_tick;

static void calibrate(void)
{
	double t0 = now_s();
	uint64_t k0 = ticks();
	while (now_s() - t0 < 0.2)
		;
	ns_per_tick = (now_s() - t0) * 1e9 / (double)(ticks() - k0);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* ---- policy generator ---------------------------------------------------------- */

static uint64_t rng = 42;
static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static const char *const words[] = { "general", "help", "news", "billing", "infra", "docs",
	"api", "support", "ops", "data", "search", "team", "eng", "sales", "legal", "hr" };
#define NWORDS (sizeof words / sizeof words[0])

/* One generated item: its action and resource pattern, and a concrete
 * request that it matches (for request generation). */
typedef struct gen_item {
	char action[32], resource[96];
	char req_action[32], req_resource[96];
	unsigned task;
} gen_item;

static void gen_item_text(gen_item *g, unsigned id)
{
	unsigned w = rnd(NWORDS), w2 = rnd(NWORDS);
	switch (rnd(6)) {
	case 0: /* forum threads */
		snprintf(g->action, sizeof g->action, "%s", rnd(2) ? "read" : "post");
		snprintf(g->resource, sizeof g->resource, "forum.%s%u.**", words[w], id);
		snprintf(g->req_resource, sizeof g->req_resource, "forum.%s%u.thread.%u", words[w], id, rnd(1000));
		break;
	case 1: /* URLs */
		snprintf(g->action, sizeof g->action, "http.%s", rnd(3) ? "get" : "post");
		snprintf(g->resource, sizeof g->resource, "https://%s%u.example.com/%s/**", words[w], id, words[w2]);
		snprintf(g->req_resource, sizeof g->req_resource, "https://%s%u.example.com/%s/v1/x", words[w], id,
			 words[w2]);
		break;
	case 2: /* files */
		snprintf(g->action, sizeof g->action, "file.%s", rnd(2) ? "read" : "write");
		snprintf(g->resource, sizeof g->resource, "/srv/%s/p%u/*.csv", words[w], id);
		snprintf(g->req_resource, sizeof g->req_resource, "/srv/%s/p%u/report-%u.csv", words[w], id, rnd(99));
		break;
	case 3: /* configuration */
		snprintf(g->action, sizeof g->action, "config.set");
		snprintf(g->resource, sizeof g->resource, "service.%s%u.*", words[w], id);
		snprintf(g->req_resource, sizeof g->req_resource, "service.%s%u.replicas", words[w], id);
		break;
	case 4: /* tickets */
		snprintf(g->action, sizeof g->action, "%s", rnd(2) ? "ticket.update" : "ticket.read");
		snprintf(g->resource, sizeof g->resource, "tickets.%s.q%u.*", words[w], id);
		snprintf(g->req_resource, sizeof g->req_resource, "tickets.%s.q%u.T-%u", words[w], id, rnd(9999));
		break;
	default: /* documents */
		snprintf(g->action, sizeof g->action, "docs.%s", rnd(2) ? "read" : "edit");
		snprintf(g->resource, sizeof g->resource, "docs.%s.space%u.**", words[w], id);
		snprintf(g->req_resource, sizeof g->req_resource, "docs.%s.space%u.page.%u", words[w], id, rnd(500));
		break;
	}
	snprintf(g->req_action, sizeof g->req_action, "%s", g->action);
}

static const char *const conds[] = {
	" when channel == \"internal\"", " when amount < 500", " when ticket matches /^INC-[0-9]+$/",
	" when env in [\"dev\", \"staging\"]", " when not has override and region like eu-*",
};

/* N items over T tasks; 80% allows, 10% asks, 10% denies; ~10% with a
 * condition; a `task *` block of denies applies to every task. */
static char *gen_policy(unsigned n, unsigned ntasks, gen_item **items_out)
{
	sc_buf b = { 0 };
	gen_item *items = calloc(n, sizeof *items);
	sc_buf_printf(&b, "# generated: %u items, %u tasks\n", n, ntasks);
	sc_buf_printf(&b, "task * denies ** secrets.**, ** \"/etc/**\", config.set service.prod*.**\n");
	unsigned k = 3;
	for (unsigned t = 0; t < ntasks && k < n; t++) {
		unsigned quota = (n - 3) / ntasks + (t < (n - 3) % ntasks);
		sc_buf_printf(&b, "task agent%u", t);
		for (unsigned i = 0; i < quota && k < n; i++, k++) {
			gen_item *g = &items[k];
			gen_item_text(g, k);
			g->task = t;
			unsigned r = rnd(10);
			sc_buf_printf(&b, "\n  %s %s %s%s", r < 8 ? "allows" : r == 8 ? "asks" : "denies", g->action, g->resource,
			    rnd(10) == 0 ? conds[rnd(5)] : "");
		}
		sc_buf_printf(&b, "\n");
	}
	*items_out = items;
	return b.s;
}

typedef struct breq {
	char task[16], action[32], resource[96];
	sc_attr attrs[2];
	scope_attr sattrs[2];
	sc_request rq;
	scope_request srq;
} breq;

static void gen_requests(breq *r, unsigned nreq, const gen_item *items, unsigned n, unsigned ntasks)
{
	static const char *const vals[] = { "internal", "250", "INC-42", "dev", "eu-west" };
	static const char *const keys[] = { "channel", "amount", "ticket", "env", "region" };
	for (unsigned i = 0; i < nreq; i++) {
		const gen_item *g = &items[3 + rnd(n > 3 ? n - 3 : 1)];
		unsigned c = rnd(10);
		snprintf(r[i].task, sizeof r[i].task, "agent%u", c < 8 ? g->task : rnd(ntasks));
		snprintf(r[i].action, sizeof r[i].action, "%s", g->req_action);
		if (c == 9)
			snprintf(r[i].resource, sizeof r[i].resource, "forum.%s.unknown.%u", words[rnd(NWORDS)], rnd(1000));
		else
			snprintf(r[i].resource, sizeof r[i].resource, "%s", g->req_resource);
		unsigned na = rnd(3);
		for (unsigned a = 0; a < na; a++) {
			unsigned w = rnd(5);
			r[i].attrs[a] = (sc_attr){ sc_str_c(keys[w]), sc_str_c(vals[w]) };
			r[i].sattrs[a] = (scope_attr){ keys[w], strlen(keys[w]), vals[w], strlen(vals[w]) };
		}
		if (na == 2 && r[i].attrs[0].key.s == r[i].attrs[1].key.s)
			na = 1;
		r[i].rq = (sc_request){ sc_str_c(r[i].task), sc_str_c(r[i].action), sc_str_c(r[i].resource),
					r[i].attrs, na };
		r[i].srq = (scope_request){ r[i].task, strlen(r[i].task), r[i].action, strlen(r[i].action),
					    r[i].resource, strlen(r[i].resource), r[i].sattrs, na };
	}
}

/* ---- the naive baseline ------------------------------------------------------- */

typedef struct naive_item {
	char *action, *resource; /* NUL-terminated, `**` folded into `*` */
	sc_kind kind;
} naive_item;

static char *fold(sc_str s)
{
	char *o = malloc(s.n + 1);
	size_t k = 0;
	for (size_t i = 0; i < s.n; i++)
		if (!(s.s[i] == '*' && k && o[k - 1] == '*'))
			o[k++] = s.s[i];
	o[k] = 0;
	return o;
}

/* The naive evaluator of the issue: every rule of the policy, a (task,
 * action, resource) triple, tried in turn with fnmatch(3). */
typedef struct naive_rule {
	const char *task;
	const naive_item *it;
} naive_rule;

static sc_kind naive_decide_all(const naive_rule *rules, size_t n, const breq *r)
{
	int best = -1;
	for (size_t i = 0; i < n; i++) {
		const naive_item *it = rules[i].it;
		if (strcmp(rules[i].task, r->task) == 0 && fnmatch(it->action, r->action, 0) == 0 &&
		    fnmatch(it->resource, r->resource, 0) == 0 && (int)it->kind > best)
			best = (int)it->kind;
	}
	return best < 0 ? SC_DENY : (sc_kind)best;
}

/* A less naive one: only the items of the request's task. */
static sc_kind naive_decide(const sc_policy *p, naive_item *ni, const breq *r)
{
	const sc_task *t = sc_policy_find_task(p, r->rq.task);
	if (!t)
		return SC_DENY;
	int best = -1;
	for (uint32_t i = 0; i < t->nitems; i++) {
		const naive_item *it = &ni[t->items[i]->index];
		if (fnmatch(it->action, r->action, 0) == 0 && fnmatch(it->resource, r->resource, 0) == 0 &&
		    (int)it->kind > best)
			best = (int)it->kind;
	}
	return best < 0 ? SC_DENY : (sc_kind)best;
}

/* ---- one size ------------------------------------------------------------------- */

typedef struct row {
	unsigned items;
	double med_ns, p99_ns, dps, bytes_item, bytes_item_strip, compile_s, load_ms, verify_ms;
	double peak_mb, ref_ns, naive_ns, naive_task_ns, allocs;
	size_t image;
	uint32_t parts;
} row;

static volatile unsigned sink;

static void bench_size(unsigned n, row *out)
{
	unsigned ntasks = n < 50 ? 2 : 8;
	gen_item *items;
	rng = 0x9e3779b97f4a7c15ull ^ n;
	char *src = gen_policy(n, ntasks, &items);
	if (getenv("BENCH_DUMP")) {
		FILE *f = fopen(getenv("BENCH_DUMP"), "w");
		if (f) {
			fputs(src, f);
			fclose(f);
		}
	}
	sc_diag d;
	sc_diag_init(&d, stderr);
	sc_policy *p = sc_resolve_text(&d, "bench.scope", src, strlen(src));
	if (!p) {
		fprintf(stderr, "bench: generated policy rejected\n");
		exit(1);
	}
	out->items = p->nitems;
	/* compile: time and peak memory above what the resolved policy holds */
	size_t base = live_bytes;
	peak_bytes = live_bytes;
	unsigned char *img;
	size_t len;
	sc_backend_stats st;
	double t0 = now_s();
	if (sc_backend_compile(&d, p, NULL, &img, &len, &st) < 0)
		exit(1);
	out->compile_s = now_s() - t0;
	out->peak_mb = (double)(peak_bytes - base) / 1e6;
	out->image = len;
	out->parts = st.nparts;
	out->bytes_item = (double)len / p->nitems;
	unsigned char *simg;
	size_t slen;
	sc_backend_opts so = { true, 0 };
	sc_backend_compile(&d, p, &so, &simg, &slen, NULL);
	out->bytes_item_strip = (double)slen / p->nitems;
	free(simg);
	/* load (copy + verify + regex compile), and verify alone */
	scope_policy *cp = NULL;
	int reps = n <= 1000 ? 200 : n <= 10000 ? 20 : 3;
	t0 = now_s();
	for (int i = 0; i < reps; i++) {
		scope_policy_destroy(cp);
		scope_policy_load(&cp, img, len);
	}
	out->load_ms = (now_s() - t0) * 1e3 / reps;
	scope_policy tmp = *cp;
	t0 = now_s();
	for (int i = 0; i < reps; i++)
		scope_verify_image(&tmp, NULL);
	out->verify_ms = (now_s() - t0) * 1e3 / reps;
	free(img);

	enum { NREQ = 4096, NTIMED = 200000 };
	breq *rq = calloc(NREQ, sizeof *rq);
	gen_requests(rq, NREQ, items, n, ntasks);
	scope_scratch *s;
	scope_scratch_create(&s);
	scope_result r;
	for (unsigned i = 0; i < NREQ; i++) /* warm up */
		scope_decide(cp, s, &rq[i].srq, &r);
	/* per-decision latency */
	uint64_t *lat = malloc(NTIMED * sizeof *lat), overhead = UINT64_MAX;
	for (int i = 0; i < 1000; i++) {
		uint64_t a = ticks(), b2 = ticks();
		if (b2 - a < overhead)
			overhead = b2 - a;
	}
	unsigned long long allocs0 = n_allocs;
	for (unsigned i = 0; i < NTIMED; i++) {
		const scope_request *q = &rq[i % NREQ].srq;
		uint64_t a = ticks();
		scope_decide(cp, s, q, &r);
		uint64_t b2 = ticks();
		lat[i] = b2 - a > overhead ? b2 - a - overhead : 0;
		sink += r.decision;
	}
	out->allocs = (double)(n_allocs - allocs0) / NTIMED;
	qsort(lat, NTIMED, sizeof *lat, cmp_u64);
	out->med_ns = (double)lat[NTIMED / 2] * ns_per_tick;
	out->p99_ns = (double)lat[NTIMED * 99 / 100] * ns_per_tick;
	/* throughput */
	unsigned loops = 2000000;
	t0 = now_s();
	for (unsigned i = 0; i < loops; i++) {
		scope_decide(cp, s, &rq[i % NREQ].srq, &r);
		sink += r.decision;
	}
	out->dps = loops / (now_s() - t0);
	/* reference evaluator, median over a time-bounded sample */
	sc_ref_ctx *ref = sc_ref_new();
	unsigned nref = 0;
	t0 = now_s();
	while (nref < 2000 && (nref < 20 || now_s() - t0 < 1.0)) {
		uint64_t a = ticks();
		sc_result rr;
		sc_ref_decide(ref, p, &rq[nref % NREQ].rq, &rr);
		lat[nref++] = ticks() - a;
		sink += rr.decision;
	}
	qsort(lat, nref, sizeof *lat, cmp_u64);
	out->ref_ns = (double)lat[nref / 2] * ns_per_tick;
	sc_ref_free(ref);
	/* naive fnmatch scan */
	naive_item *ni = calloc(p->nitems, sizeof *ni);
	for (uint32_t i = 0; i < p->nitems; i++) {
		ni[i].action = fold(p->items[i].action);
		ni[i].resource = p->items[i].has_resource ? fold(p->items[i].resource) : fold(sc_str_c("*"));
		ni[i].kind = p->items[i].kind;
	}
	unsigned nnaive = 0;
	t0 = now_s();
	while (nnaive < 2000 && (nnaive < 20 || now_s() - t0 < 1.0)) {
		uint64_t a = ticks();
		sink += naive_decide(p, ni, &rq[nnaive % NREQ]);
		lat[nnaive++] = ticks() - a;
	}
	qsort(lat, nnaive, sizeof *lat, cmp_u64);
	out->naive_task_ns = (double)lat[nnaive / 2] * ns_per_tick;
	size_t nrules = 0;
	for (uint32_t t = 0; t < p->ntasks; t++)
		nrules += p->tasks[t].nitems;
	naive_rule *rules = calloc(nrules ? nrules : 1, sizeof *rules);
	char **names = calloc(p->ntasks ? p->ntasks : 1, sizeof *names);
	nrules = 0;
	for (uint32_t t = 0; t < p->ntasks; t++) {
		names[t] = fold(p->tasks[t].name);
		for (uint32_t i = 0; i < p->tasks[t].nitems; i++)
			rules[nrules++] = (naive_rule){ names[t], &ni[p->tasks[t].items[i]->index] };
	}
	nnaive = 0;
	t0 = now_s();
	while (nnaive < 2000 && (nnaive < 20 || now_s() - t0 < 1.0)) {
		uint64_t a = ticks();
		sink += naive_decide_all(rules, nrules, &rq[nnaive % NREQ]);
		lat[nnaive++] = ticks() - a;
	}
	qsort(lat, nnaive, sizeof *lat, cmp_u64);
	out->naive_ns = (double)lat[nnaive / 2] * ns_per_tick;
	for (uint32_t t = 0; t < p->ntasks; t++)
		free(names[t]);
	free(names);
	free(rules);
	for (uint32_t i = 0; i < p->nitems; i++) {
		free(ni[i].action);
		free(ni[i].resource);
	}
	free(ni);
	free(lat);
	free(rq);
	scope_scratch_destroy(s);
	scope_policy_destroy(cp);
	sc_policy_free(p);
	sc_diag_fini(&d);
	free(items);
	free(src);
}

/* ---- serving: `scopec eval` throughput, threads sharing one policy --------- */

enum { SERVE_ROUNDS = 5, EVAL_LINES = 1000000, CONT_DECISIONS = 200000 };

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median_of(double *v, unsigned n)
{
	qsort(v, n, sizeof *v, cmp_double);
	return v[n / 2];
}

/* One request as `scopec eval` reads it: a line, or a JSON object. */
static void print_request(FILE *f, const breq *r, bool json)
{
	const sc_request *q = &r->rq;
	if (!json) {
		fprintf(f, "%s %s %s", r->task, r->action, r->resource);
		for (size_t a = 0; a < q->nattrs; a++)
			fprintf(f, " %.*s=%.*s", (int)q->attrs[a].key.n, q->attrs[a].key.s, (int)q->attrs[a].value.n,
				q->attrs[a].value.s);
		fputc('\n', f);
		return;
	}
	fprintf(f, "{\"task\":\"%s\",\"action\":\"%s\",\"resource\":\"%s\",\"context\":{", r->task, r->action,
		r->resource);
	for (size_t a = 0; a < q->nattrs; a++)
		fprintf(f, "%s\"%.*s\":\"%.*s\"", a ? "," : "", (int)q->attrs[a].key.n, q->attrs[a].key.s,
			(int)q->attrs[a].value.n, q->attrs[a].value.s);
	fputs("}}\n", f);
}

static void write_file(const char *path, const void *data, size_t len, const breq *rq, unsigned nreq,
		       unsigned nlines, bool json)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	if (data)
		fwrite(data, 1, len, f);
	for (unsigned i = 0; i < nlines; i++)
		print_request(f, &rq[i % nreq], json);
	if (fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* Wall seconds of `SCOPEC eval [FLAG] IMG < IN > /dev/null`, or -1 if it
 * could not run or did not exit 0. */
static double run_eval(const char *scopec, const char *flag, const char *img, const char *in)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, in, O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	char *argv[] = { (char *)scopec, (char *)"eval", (char *)img, NULL, NULL };
	if (flag) {
		argv[2] = (char *)flag;
		argv[3] = (char *)img;
	}
	double t0 = now_s();
	pid_t pid;
	int st = -1;
	if (posix_spawn(&pid, scopec, &fa, NULL, argv, environ) != 0 || waitpid(pid, &st, 0) < 0)
		st = -1;
	double t = now_s() - t0;
	posix_spawn_file_actions_destroy(&fa);
	return st == 0 ? t : -1;
}

/* Decisions/s of scope_decide alone in a tight loop on the same requests:
 * what eval would reach if reading, parsing and printing cost nothing. */
static double decide_loop_dps(const unsigned char *img, size_t len, const breq *rq, unsigned nreq)
{
	scope_policy *cp;
	scope_scratch *s;
	if (scope_policy_load(&cp, img, len) < 0 || scope_scratch_create(&s) < 0)
		exit(1);
	scope_result r;
	double t0 = now_s();
	for (unsigned i = 0; i < EVAL_LINES; i++) {
		scope_decide(cp, s, &rq[i % nreq].srq, &r);
		sink += r.decision;
	}
	double dps = EVAL_LINES / (now_s() - t0);
	scope_scratch_destroy(s);
	scope_policy_destroy(cp);
	return dps;
}

/* `scopec eval` on a bytecode image, the way users run it: the compiled
 * binary on a request file, output to /dev/null.  The modes are interleaved
 * round by round so that a slow moment of the machine hits all of them. */
static void bench_eval(const char *scopec, const char *dir, const unsigned char *img, size_t len,
		       const breq *rq, unsigned nreq)
{
	static const struct { const char *name, *flag, *input; } modes[] = {
		{ "text", NULL, "req.txt" },
		{ "text --explain", "--explain", "req.txt" },
		{ "JSON Lines (--json)", "--json", "req.jsonl" },
		{ "start-up only (empty input)", NULL, "empty" },
	};
	enum { NMODES = sizeof modes / sizeof modes[0] };
	char ipath[4096], path[4096];
	snprintf(ipath, sizeof ipath, "%s/policy.img", dir);
	write_file(ipath, img, len, rq, 0, 0, false);
	snprintf(path, sizeof path, "%s/req.txt", dir);
	write_file(path, NULL, 0, rq, nreq, EVAL_LINES, false);
	snprintf(path, sizeof path, "%s/req.jsonl", dir);
	write_file(path, NULL, 0, rq, nreq, EVAL_LINES, true);
	snprintf(path, sizeof path, "%s/empty", dir);
	write_file(path, NULL, 0, rq, 0, 0, false);
	double t[NMODES][SERVE_ROUNDS], loop[SERVE_ROUNDS];
	for (unsigned r = 0; r < SERVE_ROUNDS; r++) {
		loop[r] = decide_loop_dps(img, len, rq, nreq);
		for (unsigned m = 0; m < NMODES; m++) {
			snprintf(path, sizeof path, "%s/%s", dir, modes[m].input);
			if ((t[m][r] = run_eval(scopec, modes[m].flag, ipath, path)) < 0) {
				printf("\n`scopec eval` throughput: not measured (%s eval did not run)\n", scopec);
				return;
			}
		}
	}
	double dps = median_of(loop, SERVE_ROUNDS);
	double startup = median_of(t[NMODES - 1], SERVE_ROUNDS);
	printf("\n`scopec eval` on a bytecode image (%s, %u lines, stdout /dev/null, median of %d interleaved runs):\n\n",
	       scopec, EVAL_LINES, SERVE_ROUNDS);
	printf("| input | wall median | lines/s | lines/s after start-up | vs scope_decide loop (%.2fM/s) |\n"
	       "|---|---:|---:|---:|---:|\n", dps / 1e6);
	for (unsigned m = 0; m + 1 < NMODES; m++) {
		double w = median_of(t[m], SERVE_ROUNDS);
		printf("| %s | %.3f s | %.2fM | %.2fM | %.2f |\n", modes[m].name, w, EVAL_LINES / w / 1e6,
		       EVAL_LINES / (w - startup) / 1e6, EVAL_LINES / w / dps);
	}
	printf("| %s | %.1f ms | | | |\n", modes[NMODES - 1].name, startup * 1e3);
}

/* ---- contention ---- */

typedef struct cont_shared {
	const scope_policy *cp;         /* decide on it directly, or */
	scope_handle *h;                /* through this handle */
	const breq *rq;
	unsigned nreq;
	pthread_barrier_t start;
	atomic_bool stop;               /* the swapper's */
	const unsigned char *img;       /* what the swapper loads */
	size_t len;
} cont_shared;

typedef struct cont_thread {
	cont_shared *sh;
	unsigned first;                 /* offset into the requests */
	uint64_t *lat;
	unsigned long busy, swaps;
	pthread_t tid;
} cont_thread;

static void *decide_thread(void *arg)
{
	cont_thread *t = arg;
	cont_shared *sh = t->sh;
	scope_scratch *s;
	if (scope_scratch_create(&s) < 0)
		exit(1);
	scope_result r;
	for (unsigned i = 0; i < sh->nreq; i++) /* warm up, the way it is timed */
		if (sh->h)
			scope_handle_decide(sh->h, s, &sh->rq[i].srq, &r);
		else
			scope_decide(sh->cp, s, &sh->rq[i].srq, &r);
	pthread_barrier_wait(&sh->start);
	unsigned sum = 0;
	for (unsigned i = 0; i < CONT_DECISIONS; i++) {
		const scope_request *q = &sh->rq[(t->first + i) % sh->nreq].srq;
		uint64_t a = ticks();
		int rc = sh->h ? scope_handle_decide(sh->h, s, q, &r) : scope_decide(sh->cp, s, q, &r);
		t->lat[i] = ticks() - a;
		t->busy += rc == -SCOPE_EBUSY;
		sum += r.decision;
	}
	sink += sum;
	scope_scratch_destroy(s);
	return NULL;
}

/* Loads the image again and again and swaps it in, until told to stop. */
static void *swap_thread(void *arg)
{
	cont_thread *t = arg;
	cont_shared *sh = t->sh;
	pthread_barrier_wait(&sh->start);
	while (!atomic_load(&sh->stop)) {
		scope_policy *np;
		if (scope_policy_load(&np, sh->img, sh->len) < 0 || scope_handle_swap(sh->h, np) < 0)
			exit(1);
		t->swaps++;
	}
	return NULL;
}

typedef struct cont_run {
	double med_ns, p99_ns, dps, swaps_s;
	unsigned long busy;
} cont_run;

/* NDEC threads deciding the same requests (each from its own offset), and
 * a swapper when SWAP; the latencies of all deciders are pooled. */
static cont_run contend(cont_shared *sh, unsigned ndec, bool swap)
{
	cont_thread t[3] = { 0 };
	unsigned nthreads = ndec + swap;
	pthread_barrier_init(&sh->start, NULL, nthreads + 1);
	atomic_store(&sh->stop, false);
	uint64_t *lat = malloc((size_t)ndec * CONT_DECISIONS * sizeof *lat);
	for (unsigned i = 0; i < nthreads; i++) {
		t[i].sh = sh;
		t[i].first = i * (sh->nreq / 2);
		t[i].lat = lat + (size_t)i * CONT_DECISIONS;
		pthread_create(&t[i].tid, NULL, i < ndec ? decide_thread : swap_thread, &t[i]);
	}
	pthread_barrier_wait(&sh->start);
	double t0 = now_s();
	for (unsigned i = 0; i < ndec; i++)
		pthread_join(t[i].tid, NULL);
	double wall = now_s() - t0;
	atomic_store(&sh->stop, true);
	cont_run out = { 0 };
	if (swap) {
		pthread_join(t[ndec].tid, NULL);
		out.swaps_s = (double)t[ndec].swaps / wall;
	}
	pthread_barrier_destroy(&sh->start);
	size_t n = (size_t)ndec * CONT_DECISIONS;
	qsort(lat, n, sizeof *lat, cmp_u64);
	out.med_ns = (double)lat[n / 2] * ns_per_tick;
	out.p99_ns = (double)lat[n * 99 / 100] * ns_per_tick;
	out.dps = (double)n / wall;
	for (unsigned i = 0; i < ndec; i++)
		out.busy += t[i].busy;
	free(lat);
	return out;
}

/* One loaded policy decided by 1 and 2 threads at once (a scratch each),
 * and one scope_handle decided through by 1 thread, and by 2 while a third
 * swaps policies; the four setups interleaved round by round. */
static void bench_contention(const unsigned char *img, size_t len, const breq *rq, unsigned nreq, unsigned items)
{
	static const struct { const char *name; unsigned ndec; bool handle, swap; } setups[] = {
		{ "scope_decide, one policy", 1, false, false },
		{ "scope_decide, one policy", 2, false, false },
		{ "scope_handle_decide, one handle", 1, true, false },
		{ "scope_handle_decide, one handle, a 3rd thread swapping", 2, true, true },
	};
	enum { NSETUPS = sizeof setups / sizeof setups[0] };
	scope_policy *cp;
	scope_handle *h;
	if (scope_policy_load(&cp, img, len) < 0 || scope_handle_create(&h, NULL) < 0)
		exit(1);
	scope_policy *hp;
	if (scope_policy_load(&hp, img, len) < 0 || scope_handle_swap(h, hp) < 0)
		exit(1);
	cont_shared sh = { .cp = cp, .rq = rq, .nreq = nreq, .img = img, .len = len };
	double med[NSETUPS][SERVE_ROUNDS], p99[NSETUPS][SERVE_ROUNDS], dps[NSETUPS][SERVE_ROUNDS];
	double swaps[SERVE_ROUNDS];
	unsigned long busy = 0;
	for (unsigned r = 0; r < SERVE_ROUNDS; r++)
		for (unsigned k = 0; k < NSETUPS; k++) {
			sh.h = setups[k].handle ? h : NULL;
			cont_run c = contend(&sh, setups[k].ndec, setups[k].swap);
			med[k][r] = c.med_ns;
			p99[k][r] = c.p99_ns;
			dps[k][r] = c.dps;
			busy += c.busy;
			if (setups[k].swap)
				swaps[r] = c.swaps_s;
		}
	printf("\nDecisions under contention (%u items, the same %u requests, %u decisions per thread, "
	       "median of %d interleaved runs):\n\n", items, nreq, CONT_DECISIONS, SERVE_ROUNDS);
	printf("| setup | deciding threads | ns/decision median | p99 | decisions/s (all threads) | "
	       "median vs 1 thread |\n|---|---:|---:|---:|---:|---:|\n");
	double base = 0;
	for (unsigned k = 0; k < NSETUPS; k++) {
		double m = median_of(med[k], SERVE_ROUNDS);
		if (setups[k].ndec == 1)
			base = m;
		printf("| %s | %u | %.0f | %.0f | %.2fM | %.2f |\n", setups[k].name, setups[k].ndec, m,
		       median_of(p99[k], SERVE_ROUNDS), median_of(dps[k], SERVE_ROUNDS) / 1e6, m / base);
	}
	printf("\nswaps/s while deciding: %.0f (each loads and verifies the image); decisions that gave up "
	       "(-SCOPE_EBUSY): %lu\n", median_of(swaps, SERVE_ROUNDS), busy);
	scope_handle_destroy(h);
	scope_policy_destroy(cp);
}

/* The serving figures on the 10 000-item policy of the table above. */
static void bench_serving(const char *scopec)
{
	unsigned n = 10000, ntasks = 8;
	gen_item *items;
	rng = 0x9e3779b97f4a7c15ull ^ n;
	char *src = gen_policy(n, ntasks, &items);
	sc_diag d;
	sc_diag_init(&d, stderr);
	sc_policy *p = sc_resolve_text(&d, "bench.scope", src, strlen(src));
	unsigned char *img;
	size_t len;
	if (!p || sc_backend_compile(&d, p, NULL, &img, &len, NULL) < 0)
		exit(1);
	enum { NREQ = 4096 };
	breq *rq = calloc(NREQ, sizeof *rq);
	gen_requests(rq, NREQ, items, n, ntasks);
	char dir[] = "/tmp/scope-bench-XXXXXX";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(1);
	}
	double la[3] = { 0 };
	getloadavg(la, 3);
	printf("\nload average before the serving figures: %.2f %.2f %.2f\n", la[0], la[1], la[2]);
	bench_eval(scopec, dir, img, len, rq, NREQ);
	fprintf(stderr, "bench: eval throughput done\n");
	bench_contention(img, len, rq, NREQ, p->nitems);
	getloadavg(la, 3);
	printf("load average after: %.2f %.2f %.2f\n", la[0], la[1], la[2]);
	static const char *const files[] = { "policy.img", "req.txt", "req.jsonl", "empty" };
	for (unsigned i = 0; i < 4; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
	free(rq);
	free(img);
	sc_policy_free(p);
	sc_diag_fini(&d);
	free(items);
	free(src);
}

int main(int argc, char **argv)
{
	bool quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
	calibrate();
	static const unsigned sizes[] = { 10, 100, 1000, 10000, 100000 };
	row rows[5];
	unsigned nsizes = quick ? 4 : 5;
	const char *only = getenv("BENCH_ONLY"); /* profiling one size */
	for (unsigned i = 0; i < nsizes; i++) {
		if (only && (unsigned)atoi(only) != sizes[i]) {
			memset(&rows[i], 0, sizeof rows[i]);
			continue;
		}
		bench_size(sizes[i], &rows[i]);
		fprintf(stderr, "bench: %u items done\n", sizes[i]);
	}
	printf("| items | ns/decision median | p99 | decisions/s | bytes/item (stripped) | compile | "
	       "load+verify | verify | peak compiler mem | vs reference | vs fnmatch scan (all items) | "
	       "vs fnmatch scan (task's items) | allocs/decision |\n");
	printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	for (unsigned i = 0; i < nsizes; i++) {
		const row *r = &rows[i];
		if (!r->items)
			continue;
		printf("| %u | %.0f | %.0f | %.2fM | %.0f (%.0f) | %.3f s | %.3f ms | %.3f ms | %.1f MB | %.0fx | %.0fx | %.0fx | %.0f |\n",
		       r->items, r->med_ns, r->p99_ns, r->dps / 1e6, r->bytes_item, r->bytes_item_strip,
		       r->compile_s, r->load_ms, r->verify_ms, r->peak_mb, r->ref_ns / r->med_ns,
		       r->naive_ns / r->med_ns, r->naive_task_ns / r->med_ns, r->allocs);
	}
	printf("\nimage sizes:");
	for (unsigned i = 0; i < nsizes; i++)
		printf(" %u items %zu bytes (%u parts);", rows[i].items, rows[i].image, rows[i].parts);
	printf("\nflatness: median(10 000 items) / median(10 items) = %.2f\n",
	       nsizes > 3 ? rows[3].med_ns / rows[0].med_ns : 0.0);
	fflush(stdout);
	bench_serving(getenv("SCOPEC") ? getenv("SCOPEC") : "./scopec");
	return (int)(sink & 0);
}
