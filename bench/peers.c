/*
 * peers.c — `make bench-peers`: scope against three peers, in one process,
 * on the same requests:
 *
 *   scope      the policy text compiled in-process (resolve + back end, as
 *              bench.c does), decided with scope_decide (no allocation);
 *   naive      a loop over the task's items: glob match of action and
 *              resource per item, deny-first (stops at the first deny);
 *   hyperscan  one block-mode database per task, each glob translated to an
 *              anchored regex over `action\x1fresource`, the pattern id being
 *              the item's kind (0 allow, 1 ask, 2 deny, HS_FLAG_SINGLEMATCH);
 *              the callback stops the scan at the first deny; one scratch
 *              allocated up front;
 *   re2        one RE2::Set per task (anchored both ends) on the same string.
 *
 * The three peers find the task by the same small open-addressing hash table
 * (inside the timed loop); scope does its own lookup.
 *
 * Before timing, every request is decided by all four and the decisions
 * compared: any difference aborts with the request and the four answers.
 *
 * Timing: ROUNDS rounds; in each round every peer in turn (the order
 * rotates) decides the whole batch of requests once untimed (its caches
 * warm again after the other peers' data evicted them), then again,
 * repeated so that it lasts >= ~2 ms, timed with clock_gettime around it.
 * Reported: the median over rounds of ns per decision (warm caches: a
 * service deciding all the time).
 *
 * Workloads (no conditions, so that all four decide the same language):
 *   agent  many tasks of ~20 items: literal prefixes with `**` (paths, URLs,
 *          dotted tool names), some `*`, some literals; 75 % allows, asks and
 *          denies nested under allows; 2 000 requests, ~70 % hits;
 *   bench  the generator of bench.c without conditions: 2 or 8 tasks of many
 *          items and a `task *` deny block; 2 000 requests;
 *   hostile one task of 100, 400, 1 000 items `** **a1*b8**c**` (the DFA
 *          blow-up: scope decides them with one bit-parallel NFA part).
 *
 *   bench-peers [--quick]       --quick: sizes up to 10 000 only
 *   PEERS_ROUNDS=n              rounds (default 11)
 *   PEERS_ONLY=agent|bench|hostile   one workload
 *   PEERS_HS_MAX=n              skip Hyperscan when a task has more items (5000)
 *   PEERS_SIZES=10,1000         only these sizes
 *   PEERS_SPIN=s                decide with scope alone for s seconds, print
 *                               the median, skip the peers (perf record/stat)
 */
#include "backend.h"
#include "diag.h"
#include "policy.h"
#include "resolve.h"
#include "scope.h"

#include "peers_re2.h"

#include <hs.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- utilities ------------------------------------------------------------ */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("bench-peers: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die("out of memory");
	return p;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die("out of memory");
	return p;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(xmalloc(n), s, n);
}

/* snprintf that aborts on truncation (the generator's buffers are sized for
 * its output). */
__attribute__((format(printf, 3, 4))) static void fmt_into(char *dst, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(dst, n, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= n)
		die("generated string too long: %s", dst);
}

typedef struct buf {
	char *s;
	size_t n, cap;
} buf;

static void buf_printf(buf *b, const char *fmt, ...)
{
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		size_t room = b->cap - b->n;
		int k = vsnprintf(b->s ? b->s + b->n : NULL, room, fmt, ap);
		va_end(ap);
		if (k < 0)
			die("vsnprintf failed");
		if ((size_t)k < room) {
			b->n += (size_t)k;
			return;
		}
		b->cap = (b->cap + (size_t)k + 1) * 2;
		b->s = xrealloc(b->s, b->cap);
	}
}

static uint64_t rng;
static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* ---- the model: tasks of items, shared by the peers ------------------------- */

enum { ALLOW = 0, ASK = 1, DENY = 2 };
static const char *const kind_clause[3] = { "allows", "asks", "denies" };
static const char *const kind_name[3] = { "allow", "ask", "deny" };

typedef struct item {
	char *action, *resource; /* patterns; resource NULL = any resource */
	unsigned char kind;
} item;

typedef struct task {
	char *name;
	item *items;
	unsigned n, cap;
	hs_database_t *hs;
	peers_re2 *re2;
} task;

typedef struct model {
	task *tasks;
	unsigned ntasks;
	item *global; /* `task *` items: part of every task (appended at the end) */
	unsigned nglobal;
	unsigned *slots; /* task hash table: index + 1, 0 = empty */
	unsigned nslots;
	size_t nitems;   /* items as written in the policy */
} model;

static void task_add(task *t, const char *action, const char *resource, unsigned kind)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 8;
		t->items = xrealloc(t->items, t->cap * sizeof *t->items);
	}
	t->items[t->n++] = (item){ xstrdup(action), resource ? xstrdup(resource) : NULL, (unsigned char)kind };
}

static uint32_t hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static void model_index(model *m)
{
	m->nslots = 16;
	while (m->nslots < m->ntasks * 2)
		m->nslots *= 2;
	m->slots = calloc(m->nslots, sizeof *m->slots);
	if (!m->slots)
		die("out of memory");
	for (unsigned i = 0; i < m->ntasks; i++) {
		uint32_t h = hash(m->tasks[i].name, strlen(m->tasks[i].name)) & (m->nslots - 1);
		while (m->slots[h])
			h = (h + 1) & (m->nslots - 1);
		m->slots[h] = i + 1;
	}
}

static const task *model_find(const model *m, const char *name, size_t n)
{
	uint32_t h = hash(name, n) & (m->nslots - 1);
	for (unsigned s; (s = m->slots[h]) != 0; h = (h + 1) & (m->nslots - 1)) {
		const task *t = &m->tasks[s - 1];
		if (strncmp(t->name, name, n) == 0 && t->name[n] == 0)
			return t;
	}
	return NULL;
}

/* The policy text of the model: every pattern quoted (a quoted pattern is
 * still a pattern; the generated ones hold no `"` or `\`). */
static char *model_source(const model *m)
{
	buf b = { 0 };
	buf_printf(&b, "# generated by bench/peers.c: %zu items, %u tasks\n", m->nitems, m->ntasks);
	for (unsigned i = 0; i < m->nglobal; i++) {
		const item *it = &m->global[i];
		buf_printf(&b, "task * %s \"%s\"", kind_clause[it->kind], it->action);
		if (it->resource)
			buf_printf(&b, " \"%s\"", it->resource);
		buf_printf(&b, "\n");
	}
	for (unsigned t = 0; t < m->ntasks; t++) {
		const task *tk = &m->tasks[t];
		buf_printf(&b, "task %s", tk->name);
		for (unsigned i = 0; i < tk->n - m->nglobal; i++) {
			const item *it = &tk->items[i];
			buf_printf(&b, "\n  %s \"%s\"", kind_clause[it->kind], it->action);
			if (it->resource)
				buf_printf(&b, " \"%s\"", it->resource);
		}
		buf_printf(&b, "\n");
	}
	return b.s;
}

/* Bytes the naive loop reads: task records, item records, pattern strings,
 * the hash table. */
static size_t model_bytes(const model *m)
{
	size_t n = m->ntasks * sizeof(task) + m->nslots * sizeof(unsigned);
	for (unsigned t = 0; t < m->ntasks; t++) {
		const task *tk = &m->tasks[t];
		n += strlen(tk->name) + 1 + tk->n * sizeof(item);
		for (unsigned i = 0; i < tk->n; i++)
			n += strlen(tk->items[i].action) + 1 +
			     (tk->items[i].resource ? strlen(tk->items[i].resource) + 1 : 0);
	}
	return n;
}

static void model_free(model *m)
{
	for (unsigned t = 0; t < m->ntasks; t++) {
		task *tk = &m->tasks[t];
		for (unsigned i = 0; i < tk->n; i++) {
			free(tk->items[i].action);
			free(tk->items[i].resource);
		}
		free(tk->items);
		free(tk->name);
		hs_free_database(tk->hs);
		peers_re2_free(tk->re2);
	}
	for (unsigned i = 0; i < m->nglobal; i++) {
		free(m->global[i].action);
		free(m->global[i].resource);
	}
	free(m->global);
	free(m->tasks);
	free(m->slots);
}

/* ---- requests ----------------------------------------------------------------- */

typedef struct req {
	char task[24], action[32], resource[128];
	size_t tl, al, rl;
	char joined[32 + 1 + 128]; /* action \x1f resource, for the regex peers */
	size_t jl;
	scope_request srq;
} req;

static void req_set(req *r, const char *taskname, const char *action, const char *resource)
{
	fmt_into(r->task, sizeof r->task, "%s", taskname);
	fmt_into(r->action, sizeof r->action, "%s", action);
	fmt_into(r->resource, sizeof r->resource, "%s", resource);
	r->tl = strlen(r->task);
	r->al = strlen(r->action);
	r->rl = strlen(r->resource);
	memcpy(r->joined, r->action, r->al);
	r->joined[r->al] = '\x1f';
	memcpy(r->joined + r->al + 1, r->resource, r->rl);
	r->jl = r->al + 1 + r->rl;
	r->srq = (scope_request){ r->task, r->tl, r->action, r->al, r->resource, r->rl, NULL, 0 };
}

/* ---- workload (a): agent-like ------------------------------------------------ */

static const char *const words[] = { "general", "help", "news", "billing", "infra", "docs",
	"api", "support", "ops", "data", "search", "team", "eng", "sales", "legal", "hr" };
#define NWORDS (sizeof words / sizeof words[0])

/* An allow item: a literal prefix P + `**` (or `*`, or a literal), and a
 * request under it.  Nested asks and denies reuse P. */
typedef struct proto {
	char action[32], prefix[96], sep; /* sep: the byte between P's segments, 0 = no nesting */
	char req[128];
} proto;

static void agent_proto(proto *p, unsigned k)
{
	const char *w = words[rnd(NWORDS)], *w2 = words[rnd(NWORDS)];
	switch (rnd(8)) {
	case 0:
	case 1:
		fmt_into(p->action, sizeof p->action, "read");
		fmt_into(p->prefix, sizeof p->prefix, "/srv/app%u/%s/", k, w);
		fmt_into(p->req, sizeof p->req, "%s%s/%s-%u.md", p->prefix, w2, w, rnd(100));
		p->sep = '/';
		break;
	case 2:
		fmt_into(p->action, sizeof p->action, "write");
		fmt_into(p->prefix, sizeof p->prefix, "/srv/app%u/out/", k);
		fmt_into(p->req, sizeof p->req, "%srun-%u.log", p->prefix, rnd(1000));
		p->sep = '/';
		break;
	case 3:
	case 4:
		fmt_into(p->action, sizeof p->action, "http.get");
		fmt_into(p->prefix, sizeof p->prefix, "https://api%u.example.com/", k);
		fmt_into(p->req, sizeof p->req, "%sv1/%s?page=%u", p->prefix, w, rnd(10));
		p->sep = '/';
		break;
	case 5:
		fmt_into(p->action, sizeof p->action, "http.post");
		fmt_into(p->prefix, sizeof p->prefix, "https://hooks%u.example.com/%s/", k, w);
		fmt_into(p->req, sizeof p->req, "%sv2/notify", p->prefix);
		p->sep = '/';
		break;
	case 6:
		fmt_into(p->action, sizeof p->action, "tool.call");
		fmt_into(p->prefix, sizeof p->prefix, "mcp.%s%u.", w, k);
		fmt_into(p->req, sizeof p->req, "%sissues.create", p->prefix);
		p->sep = '.';
		break;
	default: /* a literal, and a one-segment `*` */
		if (rnd(2)) {
			fmt_into(p->action, sizeof p->action, "exec");
			fmt_into(p->prefix, sizeof p->prefix, "/usr/bin/tool%u", k);
			fmt_into(p->req, sizeof p->req, "%s", p->prefix);
		} else {
			fmt_into(p->action, sizeof p->action, "config.get");
			fmt_into(p->prefix, sizeof p->prefix, "service.%s%u.*", w, k);
			fmt_into(p->req, sizeof p->req, "service.%s%u.replicas", w, k);
		}
		p->sep = 0;
		break;
	}
}

/* The item of P (allow); `private` (deny) and `drafts` (ask) nested under it. */
static void agent_pattern(const proto *p, char *out, size_t n)
{
	if (p->sep)
		fmt_into(out, n, "%s**", p->prefix);
	else
		fmt_into(out, n, "%s", p->prefix);
}

static void gen_agent(model *m, unsigned n, req *rq, unsigned nreq)
{
	unsigned ntasks = n / 20 ? n / 20 : 1;
	memset(m, 0, sizeof *m);
	m->tasks = calloc(ntasks, sizeof *m->tasks);
	proto *protos = xmalloc(n * sizeof *protos);
	unsigned *owner = xmalloc(n * sizeof *owner), *pkind = xmalloc(n * sizeof *pkind);
	m->ntasks = ntasks;
	unsigned k = 0;
	for (unsigned t = 0; t < ntasks; t++) {
		task *tk = &m->tasks[t];
		char name[24];
		fmt_into(name, sizeof name, "agent%u", t);
		tk->name = xstrdup(name);
		unsigned quota = n / ntasks + (t < n % ntasks), first = k;
		for (unsigned i = 0; i < quota; i++, k++) {
			unsigned r = rnd(100);
			char pat[128];
			owner[k] = t;
			if (i > 0 && r >= 75) { /* nested under an earlier allow of this task */
				unsigned j = first + rnd(k - first);
				while (j > first && (!protos[j].sep || pkind[j] != ALLOW))
					j--;
				if (protos[j].sep && pkind[j] == ALLOW) {
					unsigned kind = r >= 85 ? DENY : ASK;
					const char *sub = kind == DENY ? "private" : "drafts";
					protos[k] = protos[j];
					fmt_into(protos[k].prefix, sizeof protos[k].prefix, "%s%s%c", protos[j].prefix, sub,
						 protos[j].sep);
					fmt_into(protos[k].req, sizeof protos[k].req, "%s%s", protos[k].prefix,
						 kind == DENY ? "key.pem" : "v3");
					pkind[k] = kind;
					agent_pattern(&protos[k], pat, sizeof pat);
					task_add(tk, protos[k].action, pat, kind);
					continue;
				}
			}
			agent_proto(&protos[k], k);
			pkind[k] = r >= 95 ? DENY : r >= 90 ? ASK : ALLOW;
			agent_pattern(&protos[k], pat, sizeof pat);
			task_add(tk, protos[k].action, pat, pkind[k]);
		}
	}
	m->nitems = n;
	/* requests: 70 % an item's own request in its task, 10 % another item's
	 * resource (not of this task, usually), 10 % an unknown action, 5 %
	 * `private` under an allow, 5 % an undeclared task */
	for (unsigned i = 0; i < nreq; i++) {
		unsigned j = rnd(n), c = rnd(100);
		const proto *p = &protos[j];
		char tname[24];
		fmt_into(tname, sizeof tname, "agent%u", owner[j]);
		if (c < 70)
			req_set(&rq[i], tname, p->action, p->req);
		else if (c < 80)
			req_set(&rq[i], tname, p->action, protos[rnd(n)].req);
		else if (c < 90)
			req_set(&rq[i], tname, rnd(2) ? "delete" : "http.put", p->req);
		else if (c < 95) {
			char res[128];
			fmt_into(res, sizeof res, "%sprivate%cid_rsa", p->sep ? p->prefix : "/srv/", p->sep ? p->sep : '/');
			req_set(&rq[i], tname, p->action, res);
		} else
			req_set(&rq[i], "intruder", p->action, p->req);
	}
	free(protos);
	free(owner);
	free(pkind);
}

/* ---- workload (b): bench.c's generator, without conditions ------------------- */

typedef struct gen_item {
	char action[32], resource[96], req_resource[96];
	unsigned task;
} gen_item;

static void gen_item_text(gen_item *g, unsigned id)
{
	unsigned w = rnd(NWORDS), w2 = rnd(NWORDS);
	switch (rnd(6)) {
	case 0:
		fmt_into(g->action, sizeof g->action, "%s", rnd(2) ? "read" : "post");
		fmt_into(g->resource, sizeof g->resource, "forum.%s%u.**", words[w], id);
		fmt_into(g->req_resource, sizeof g->req_resource, "forum.%s%u.thread.%u", words[w], id, rnd(1000));
		break;
	case 1:
		fmt_into(g->action, sizeof g->action, "http.%s", rnd(3) ? "get" : "post");
		fmt_into(g->resource, sizeof g->resource, "https://%s%u.example.com/%s/**", words[w], id, words[w2]);
		fmt_into(g->req_resource, sizeof g->req_resource, "https://%s%u.example.com/%s/v1/x", words[w], id,
			 words[w2]);
		break;
	case 2:
		fmt_into(g->action, sizeof g->action, "file.%s", rnd(2) ? "read" : "write");
		fmt_into(g->resource, sizeof g->resource, "/srv/%s/p%u/*.csv", words[w], id);
		fmt_into(g->req_resource, sizeof g->req_resource, "/srv/%s/p%u/report-%u.csv", words[w], id, rnd(99));
		break;
	case 3:
		fmt_into(g->action, sizeof g->action, "config.set");
		fmt_into(g->resource, sizeof g->resource, "service.%s%u.*", words[w], id);
		fmt_into(g->req_resource, sizeof g->req_resource, "service.%s%u.replicas", words[w], id);
		break;
	case 4:
		fmt_into(g->action, sizeof g->action, "%s", rnd(2) ? "ticket.update" : "ticket.read");
		fmt_into(g->resource, sizeof g->resource, "tickets.%s.q%u.*", words[w], id);
		fmt_into(g->req_resource, sizeof g->req_resource, "tickets.%s.q%u.T-%u", words[w], id, rnd(9999));
		break;
	default:
		fmt_into(g->action, sizeof g->action, "docs.%s", rnd(2) ? "read" : "edit");
		fmt_into(g->resource, sizeof g->resource, "docs.%s.space%u.**", words[w], id);
		fmt_into(g->req_resource, sizeof g->req_resource, "docs.%s.space%u.page.%u", words[w], id, rnd(500));
		break;
	}
}

static void gen_bench(model *m, unsigned n, req *rq, unsigned nreq)
{
	unsigned ntasks = n < 50 ? 2 : 8;
	memset(m, 0, sizeof *m);
	static const char *const g[3][2] = { { "**", "secrets.**" }, { "**", "/etc/**" },
					     { "config.set", "service.prod*.**" } };
	m->nglobal = 3;
	m->global = xmalloc(3 * sizeof *m->global);
	for (unsigned i = 0; i < 3; i++)
		m->global[i] = (item){ xstrdup(g[i][0]), xstrdup(g[i][1]), DENY };
	m->ntasks = ntasks;
	m->tasks = calloc(ntasks, sizeof *m->tasks);
	gen_item *items = calloc(n, sizeof *items);
	unsigned k = 3;
	for (unsigned t = 0; t < ntasks; t++) {
		char name[24];
		fmt_into(name, sizeof name, "agent%u", t);
		m->tasks[t].name = xstrdup(name);
		unsigned quota = (n - 3) / ntasks + (t < (n - 3) % ntasks);
		for (unsigned i = 0; i < quota && k < n; i++, k++) {
			gen_item_text(&items[k], k);
			items[k].task = t;
			unsigned r = rnd(10);
			task_add(&m->tasks[t], items[k].action, items[k].resource, r < 8 ? ALLOW : r == 8 ? ASK : DENY);
		}
		for (unsigned i = 0; i < 3; i++)
			task_add(&m->tasks[t], g[i][0], g[i][1], DENY);
	}
	m->nitems = n;
	for (unsigned i = 0; i < nreq; i++) {
		const gen_item *gi = &items[3 + rnd(n > 3 ? n - 3 : 1)];
		unsigned c = rnd(10);
		char tname[24], res[96];
		fmt_into(tname, sizeof tname, "agent%u", c < 8 ? gi->task : rnd(ntasks));
		if (c == 9)
			fmt_into(res, sizeof res, "forum.%s.unknown.%u", words[rnd(NWORDS)], rnd(1000));
		else if (rnd(50) == 0)
			fmt_into(res, sizeof res, "secrets.%s", words[rnd(NWORDS)]);
		else
			fmt_into(res, sizeof res, "%s", gi->req_resource);
		req_set(&rq[i], tname, gi->action, res);
	}
	free(items);
}

/* ---- workload (c): hostile, the DFA blow-up ------------------------------------- */

/* One task of N items shaped like `** **a1*b8**c**` (what a hostile policy
 * author writes to make a DFA explode): 60 % allows, 30 % asks, 10 %
 * denies; requests with one a/b pair (which single out a few items) and
 * random runs of the pattern's bytes. */
static void gen_hostile(model *m, unsigned n, req *rq, unsigned nreq)
{
	memset(m, 0, sizeof *m);
	m->ntasks = 1;
	m->tasks = calloc(1, sizeof *m->tasks);
	m->tasks[0].name = xstrdup("agent0");
	for (unsigned i = 0; i < n; i++) {
		char pat[64];
		unsigned r = rnd(10);
		fmt_into(pat, sizeof pat, "**a%u*b%u**c**", rnd(10), rnd(10));
		task_add(&m->tasks[0], "**", pat, r < 6 ? ALLOW : r < 9 ? ASK : DENY);
	}
	m->nitems = n;
	static const char *const bits[] = { "a1", "b8", "c", "a", "b", ".", "/", "x", "a7", "b3" };
	for (unsigned i = 0; i < nreq; i++) {
		char res[96] = "";
		if (rnd(2)) {
			fmt_into(res, sizeof res, "/srv/a%ux.b%u/c/%u", rnd(10), rnd(10), rnd(100));
		} else {
			for (unsigned k = 3 + rnd(8); k > 0; k--)
				fmt_into(res + strlen(res), sizeof res - strlen(res), "%s", bits[rnd(10)]);
		}
		req_set(&rq[i], "agent0", rnd(2) ? "read" : "http.get", res);
	}
}

/* ---- peer 1: the naive loop ---------------------------------------------------- */

/* Whole-string glob match: `*` a run without `.` `/`, `**` any run, `?` one
 * byte that is not `.` `/`. */
static bool glob(const char *p, const char *s, const char *e)
{
	for (;;) {
		if (*p == 0)
			return s == e;
		if (*p == '*') {
			if (p[1] == '*') {
				while (*p == '*')
					p++;
				if (*p == 0)
					return true;
				for (; s <= e; s++)
					if (glob(p, s, e))
						return true;
				return false;
			}
			p++;
			for (;; s++) {
				if (glob(p, s, e))
					return true;
				if (s == e || *s == '.' || *s == '/')
					return false;
			}
		}
		if (s == e)
			return false;
		if (*p == '?') {
			if (*s == '.' || *s == '/')
				return false;
		} else if (*p != *s)
			return false;
		p++;
		s++;
	}
}

static int naive_decide(const model *m, const req *r)
{
	const task *t = model_find(m, r->task, r->tl);
	if (!t)
		return DENY;
	int best = -1;
	for (unsigned i = 0; i < t->n; i++) {
		const item *it = &t->items[i];
		if ((int)it->kind <= best && it->kind != DENY)
			continue;
		if (glob(it->action, r->action, r->action + r->al) &&
		    (!it->resource || glob(it->resource, r->resource, r->resource + r->rl))) {
			if (it->kind == DENY)
				return DENY;
			best = it->kind;
		}
	}
	return best < 0 ? DENY : best;
}

/* ---- peers 2 and 3: regexes ---------------------------------------------------- */

/* The anchored regex of an item over `action\x1fresource` (anchors added by
 * the caller: Hyperscan `^...\z`, RE2 ANCHOR_BOTH).  The subject has one
 * \x1f and so does the regex, so the split is exact. */
static void regex_of(buf *b, const char *pat)
{
	for (const char *p = pat; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '*') {
			if (p[1] == '*') {
				while (p[1] == '*')
					p++;
				buf_printf(b, ".*");
			} else
				buf_printf(b, "[^./]*");
		} else if (c == '?')
			buf_printf(b, "[^./]");
		else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
			buf_printf(b, "%c", c);
		else
			buf_printf(b, "\\x%02x", c);
	}
}

static char *item_regex(const item *it, bool hs)
{
	buf b = { 0 };
	buf_printf(&b, "%s", hs ? "^" : "");
	regex_of(&b, it->action);
	buf_printf(&b, "\\x1f");
	if (it->resource)
		regex_of(&b, it->resource);
	else
		buf_printf(&b, ".*");
	buf_printf(&b, "%s", hs ? "\\z" : "");
	return b.s;
}

static hs_scratch_t *hs_scratch;
/* Hyperscan is skipped for a policy whose largest task exceeds this many
 * items: one 12 500-pattern database (bench workload, 100 000 items) did not
 * compile within 15 minutes on the 2-core machine. */
static unsigned hs_max = 5000;

static bool build_regex_peers(model *m, double *hs_s, double *re2_s, size_t *hs_bytes)
{
	*hs_s = *re2_s = 0;
	*hs_bytes = 0;
	bool use_hs = true;
	for (unsigned t = 0; t < m->ntasks; t++)
		if (m->tasks[t].n > hs_max)
			use_hs = false;
	for (unsigned t = 0; t < m->ntasks; t++) {
		task *tk = &m->tasks[t];
		char **hx = xmalloc(tk->n * sizeof *hx), **rx = xmalloc(tk->n * sizeof *rx);
		unsigned *flags = xmalloc(tk->n * sizeof *flags), *ids = xmalloc(tk->n * sizeof *ids);
		unsigned char *kinds = xmalloc(tk->n);
		for (unsigned i = 0; i < tk->n; i++) {
			hx[i] = item_regex(&tk->items[i], true);
			rx[i] = item_regex(&tk->items[i], false);
			flags[i] = HS_FLAG_DOTALL | HS_FLAG_SINGLEMATCH;
			ids[i] = kinds[i] = tk->items[i].kind;
		}
		double t0 = now_s();
		hs_compile_error_t *ce = NULL;
		if (use_hs && hs_compile_multi((const char *const *)hx, flags, ids, tk->n, HS_MODE_BLOCK, NULL, &tk->hs, &ce) !=
		    HS_SUCCESS)
			die("hyperscan: task %s, expression %d: %s", tk->name, ce ? ce->expression : -1,
			    ce ? ce->message : "?");
		if (use_hs && hs_alloc_scratch(tk->hs, &hs_scratch) != HS_SUCCESS)
			die("hyperscan: hs_alloc_scratch failed");
		*hs_s += now_s() - t0;
		size_t sz = 0;
		if (use_hs)
			hs_database_size(tk->hs, &sz);
		*hs_bytes += sz;
		char err[512];
		t0 = now_s();
		tk->re2 = peers_re2_new((const char *const *)rx, kinds, tk->n, err, sizeof err);
		if (!tk->re2)
			die("re2: task %s: %s", tk->name, err);
		*re2_s += now_s() - t0;
		for (unsigned i = 0; i < tk->n; i++) {
			free(hx[i]);
			free(rx[i]);
		}
		free(hx);
		free(rx);
		free(flags);
		free(ids);
		free(kinds);
	}
	return use_hs;
}

static int hs_on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned fl, void *ctx)
{
	(void)from;
	(void)to;
	(void)fl;
	*(unsigned *)ctx |= 1u << id;
	return id == DENY; /* nonzero: stop scanning */
}

static int hs_decide(const model *m, const req *r)
{
	const task *t = model_find(m, r->task, r->tl);
	if (!t)
		return DENY;
	unsigned seen = 0;
	hs_error_t e = hs_scan(t->hs, r->joined, (unsigned)r->jl, 0, hs_scratch, hs_on_match, &seen);
	if (e != HS_SUCCESS && e != HS_SCAN_TERMINATED)
		die("hyperscan: hs_scan failed (%d)", e);
	return seen & (1u << DENY) ? DENY : seen & (1u << ASK) ? ASK : seen & (1u << ALLOW) ? ALLOW : DENY;
}

static int re2_decide(const model *m, const req *r)
{
	const task *t = model_find(m, r->task, r->tl);
	if (!t)
		return DENY;
	int d = peers_re2_decide(t->re2, r->joined, r->jl);
	if (d < 0)
		die("re2: RE2::Set::Match failed (DFA out of memory?) on task %s", t->name);
	return d;
}

/* ---- scope --------------------------------------------------------------------- */

static scope_policy *scope_build(const char *src, double *compile_s)
{
	sc_diag d;
	sc_diag_init(&d, stderr);
	double t0 = now_s();
	sc_policy *p = sc_resolve_text(&d, "peers.scope", src, strlen(src));
	if (!p)
		die("scope: the generated policy was rejected");
	unsigned char *img;
	size_t len;
	/* stripped, as a service deploys it: the debug sections (FILE:LINE:COL)
	 * are never read by a decision */
	sc_backend_opts opts = { .strip = true };
	if (sc_backend_compile(&d, p, &opts, &img, &len, NULL) < 0)
		die("scope: the back end failed");
	*compile_s = now_s() - t0;
	scope_policy *cp;
	int e = scope_policy_load(&cp, img, len);
	if (e < 0)
		die("scope: load: %s", scope_strerror(e));
	free(img);
	sc_policy_free(p);
	sc_diag_fini(&d);
	return cp;
}

static scope_scratch *scratch;

static int scope_dec(const scope_policy *p, const req *r)
{
	scope_result res;
	scope_decide(p, scratch, &r->srq, &res);
	return (int)res.decision;
}

/* ---- one size of one workload -------------------------------------------------- */

enum { NREQ = 2000, NPEERS = 4 };
enum { P_SCOPE, P_NAIVE, P_HS, P_RE2 };
static const char *const peer_name[NPEERS] = { "scope", "naive", "hyperscan", "re2" };

typedef struct row {
	const char *workload;
	unsigned items, tasks;
	double ns[NPEERS];
	double compile_s, hs_s, re2_s;
	size_t image, naive_bytes, hs_bytes;
	unsigned hits[3]; /* decisions of the requests */
	bool hs;          /* Hyperscan ran */
} row;

static volatile unsigned sink;
static int rounds = 11;

static double run_batch(int peer, const scope_policy *sp, const model *m, const req *rq, unsigned reps)
{
	unsigned acc = 0;
	double t0 = now_s();
	for (unsigned k = 0; k < reps; k++)
		for (unsigned i = 0; i < NREQ; i++) {
			switch (peer) {
			case P_SCOPE:
				acc += (unsigned)scope_dec(sp, &rq[i]);
				break;
			case P_NAIVE:
				acc += (unsigned)naive_decide(m, &rq[i]);
				break;
			case P_HS:
				acc += (unsigned)hs_decide(m, &rq[i]);
				break;
			default:
				acc += (unsigned)re2_decide(m, &rq[i]);
				break;
			}
		}
	double dt = now_s() - t0;
	sink += acc;
	return dt;
}

/* PEERS_SPIN: scope alone, batches of 2 000 requests for S seconds; the
 * median batch goes to OUT (the peers' columns stay 0). */
static void scope_spin(const scope_policy *sp, const req *rq, double s, row *out)
{
	enum { MAXB = 100000 };
	static double ns[MAXB];
	unsigned nb = 0;
	for (double until = now_s() + s; now_s() < until && nb < MAXB;)
		ns[nb++] = run_batch(P_SCOPE, sp, NULL, rq, 1) * 1e9 / NREQ;
	qsort(ns, nb, sizeof *ns, cmp_double);
	out->ns[P_SCOPE] = nb ? ns[nb / 2] : 0;
	fprintf(stderr, "bench-peers: scope alone, %u batches, median %.1f ns, min %.1f ns\n", nb,
		out->ns[P_SCOPE], nb ? ns[0] : 0);
}

static void bench_one(const char *workload, unsigned n, row *out)
{
	model m;
	req *rq = calloc(NREQ, sizeof *rq);
	if (!rq)
		die("out of memory");
	rng = 0x9e3779b97f4a7c15ull ^ n ^ (workload[0] == 'a' ? 0x5bd1e995u : 0);
	if (workload[0] == 'a')
		gen_agent(&m, n, rq, NREQ);
	else if (workload[0] == 'h')
		gen_hostile(&m, n, rq, NREQ);
	else
		gen_bench(&m, n, rq, NREQ);
	model_index(&m);
	char *src = model_source(&m);
	if (getenv("PEERS_DUMP")) {
		char path[256];
		fmt_into(path, sizeof path, "%s.%s.%u.scope", getenv("PEERS_DUMP"), workload, n);
		FILE *f = fopen(path, "w");
		if (f) {
			fputs(src, f);
			fclose(f);
		}
	}
	memset(out, 0, sizeof *out);
	out->workload = workload;
	out->tasks = m.ntasks;
	scope_policy *sp = scope_build(src, &out->compile_s);
	out->items = scope_policy_item_count(sp);
	if (out->items != m.nitems)
		die("scope counts %u items, the generator %zu", out->items, m.nitems);
	out->image = scope_policy_image_size(sp);
	out->naive_bytes = model_bytes(&m);
	if (getenv("PEERS_SPIN")) {
		scope_spin(sp, rq, atof(getenv("PEERS_SPIN")), out);
		goto done;
	}
	out->hs = build_regex_peers(&m, &out->hs_s, &out->re2_s, &out->hs_bytes);

	/* equality: every request, all four */
	for (unsigned i = 0; i < NREQ; i++) {
		const req *r = &rq[i];
		int d[NPEERS] = { scope_dec(sp, r), naive_decide(&m, r), out->hs ? hs_decide(&m, r) : -1,
				  re2_decide(&m, r) };
		if (!out->hs)
			d[P_HS] = d[0];
		if (d[0] != d[1] || d[0] != d[2] || d[0] != d[3]) {
			fprintf(stderr,
				"bench-peers: DISAGREEMENT (%s workload, %u items), request %u: task %s action %s "
				"resource %s\n  scope %s, naive %s, hyperscan %s, re2 %s\n",
				workload, n, i, r->task, r->action, r->resource, kind_name[d[0]], kind_name[d[1]],
				kind_name[d[2]], kind_name[d[3]]);
			abort();
		}
		out->hits[d[0]]++;
	}

	/* repetitions per batch: each peer's batch lasts >= ~2 ms */
	unsigned reps[NPEERS];
	for (int p = 0; p < NPEERS; p++) {
		if (p == P_HS && !out->hs)
			continue;
		run_batch(p, sp, &m, rq, 1); /* the warm-up: REPS from a warm pass */
		double dt = run_batch(p, sp, &m, rq, 1);
		reps[p] = dt >= 2e-3 ? 1 : (unsigned)(2e-3 / (dt > 1e-7 ? dt : 1e-7)) + 1;
	}
	double *samples = xmalloc((size_t)rounds * NPEERS * sizeof *samples);
	for (int k = 0; k < rounds; k++)
		for (int j = 0; j < NPEERS; j++) {
			int p = (j + k) % NPEERS;
			if (p == P_HS && !out->hs) {
				samples[p * rounds + k] = 0;
				continue;
			}
			/* the peer before this one evicted this one's data (Hyperscan's
			 * databases are 16-160 MB): one untimed pass warms it again, as
			 * a service deciding all the time keeps it warm */
			run_batch(p, sp, &m, rq, 1);
			samples[p * rounds + k] = run_batch(p, sp, &m, rq, reps[p]) * 1e9 / ((double)reps[p] * NREQ);
		}
	for (int p = 0; p < NPEERS; p++) {
		qsort(samples + p * rounds, (size_t)rounds, sizeof *samples, cmp_double);
		out->ns[p] = samples[p * rounds + rounds / 2];
	}
	free(samples);
done:
	scope_policy_destroy(sp);
	model_free(&m);
	free(src);
	free(rq);
}

/* Is N in the comma-separated LIST? */
static bool size_listed(const char *list, unsigned n)
{
	for (const char *p = list; *p; p += strcspn(p, ","), p += *p == ',')
		if (strtoul(p, NULL, 10) == n)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	bool quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
	if (getenv("PEERS_ROUNDS"))
		rounds = atoi(getenv("PEERS_ROUNDS")) > 0 ? atoi(getenv("PEERS_ROUNDS")) : 11;
	const char *only = getenv("PEERS_ONLY");
	if (getenv("PEERS_HS_MAX"))
		hs_max = (unsigned)atoi(getenv("PEERS_HS_MAX"));
	if (scope_scratch_create(&scratch) < 0)
		die("scope_scratch_create failed");
	static const unsigned sizes[3][5] = { { 10, 100, 1000, 10000, 100000 },
					      { 10, 100, 1000, 10000, 100000 },
					      { 100, 400, 1000 } };
	static const char *const workloads[] = { "agent", "bench", "hostile" };
	const unsigned nsizes[3] = { quick ? 4 : 5, quick ? 4 : 5, 3 };
	const char *sizes_only = getenv("PEERS_SIZES");
	row rows[16];
	unsigned nrows = 0;
	for (unsigned w = 0; w < 3; w++) {
		if (only && strcmp(only, workloads[w]) != 0)
			continue;
		for (unsigned i = 0; i < nsizes[w]; i++) {
			if (sizes_only && !size_listed(sizes_only, sizes[w][i]))
				continue;
			double t0 = now_s();
			bench_one(workloads[w], sizes[w][i], &rows[nrows++]);
			fprintf(stderr, "bench-peers: %s %u items done (%.1f s)\n", workloads[w], sizes[w][i],
				now_s() - t0);
		}
	}
	printf("%d rounds, median ns per decision over %u requests (ratio: peer / scope); decisions "
	       "identical on every request\n\n",
	       rounds, NREQ);
	printf("| workload | items | tasks | allow/ask/deny | scope ns | naive ns (x) | Hyperscan ns (x) | "
	       "RE2::Set ns (x) | scope compile |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	for (unsigned i = 0; i < nrows; i++) {
		const row *r = &rows[i];
		char hs[64];
		if (r->hs)
			fmt_into(hs, sizeof hs, "%.0f (%.1fx)", r->ns[P_HS], r->ns[P_HS] / r->ns[P_SCOPE]);
		else
			fmt_into(hs, sizeof hs, "not run (task > %u items)", hs_max);
		printf("| %s | %u | %u | %u/%u/%u | %.0f | %.0f (%.1fx) | %s | %.0f (%.1fx) | %.3f s |\n",
		       r->workload, r->items, r->tasks, r->hits[0], r->hits[1], r->hits[2], r->ns[P_SCOPE],
		       r->ns[P_NAIVE], r->ns[P_NAIVE] / r->ns[P_SCOPE], hs, r->ns[P_RE2],
		       r->ns[P_RE2] / r->ns[P_SCOPE], r->compile_s);
	}
	printf("\n| workload | items | scope image (stripped) | naive data | Hyperscan databases | scope compile | "
	       "Hyperscan compile | RE2::Set compile |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
	for (unsigned i = 0; i < nrows; i++) {
		const row *r = &rows[i];
		printf("| %s | %u | %zu B | %zu B | %zu B | %.3f s | %.3f s | %.3f s |\n", r->workload, r->items,
		       r->image, r->naive_bytes, r->hs_bytes, r->compile_s, r->hs_s, r->re2_s);
	}
	hs_free_scratch(hs_scratch);
	scope_scratch_destroy(scratch);
	(void)peer_name;
	return (int)(sink & 0);
}
