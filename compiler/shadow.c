/*
 * shadow.c — `scopec shadow-report LOG`.
 *
 * Groups the shadow records by (task, enforced decision, candidate
 * decision), counts them, and keeps the first few distinct requests of
 * each group as examples in `scopec eval` syntax.  A group widens when the
 * candidate is less restrictive (deny -> ask, deny -> allow, ask -> allow),
 * else it narrows.  Change lines start with "+ " (widens) or "- " (narrows)
 * as in `scopec diff`; no other line does.
 */
#include "shadow.h"
#include "declog.h"
#include "explain.h"
#include "map.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { EXIT_USAGE = 2, SH_REQ_MAX = 4096 };

const char sc_shadow_report_usage[] =
	"usage: scopec shadow-report [--examples=N] [--format=json] LOG\n"
	"  Summarises the shadow records of a scope-gateway decision log (--shadow):\n"
	"  every request where the candidate policy would have decided otherwise than\n"
	"  the enforced one.  Prints the totals, the count per (task, enforced ->\n"
	"  candidate decision) and, for each such group, up to N distinct requests\n"
	"  in `scopec eval` syntax with the deciding item of both sides:\n"
	"    + deny -> allow: triage write tmp.a        (the candidate widens)\n"
	"    - allow -> deny: triage read docs.x        (the candidate narrows)\n"
	"  Feed the requests to `scopec eval --explain CANDIDATE` to check them.\n"
	"  LOG may be '-' (stdin).  Invalid lines are skipped with a warning.\n"
	"  --examples=N   distinct requests shown per group (default 3, 0: none)\n"
	"  --format=json  the same as one JSON document\n"
	"  exit: 0 no disagreement, 1 disagreements found, 2 usage or I/O\n";

typedef struct sh_example {
	char *request;          /* eval syntax */
	char *explain, *cexplain;
	size_t count;
} sh_example;

typedef struct sh_group {
	sc_str task;
	sc_kind enforced, candidate;
	size_t count, distinct_dropped;
	sh_example *ex;
	size_t nex;
} sh_group;

typedef struct sh_pair {
	char *policy, *cpolicy;
	size_t count;
} sh_pair;

typedef struct sh_state {
	sc_arena *arena;
	sc_map groups, pairs;
	sc_vec group_list, pair_list;
	size_t max_examples, widen, narrow;
} sh_state;

/* A copy of S for display: control bytes become '?' so that a request
 * cannot forge lines of the report (eval syntax has no escape for them). */
static char *dup_c(sc_arena *a, const char *s)
{
	char *c = sc_arena_strndup(a, s, strlen(s));
	for (char *p = c; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return c;
}

static sh_group *find_group(sh_state *s, const sc_logrec *r)
{
	/* key: task, then the two decisions as two bytes; kept in the arena
	 * only for a new group */
	size_t n = r->rq.task.n;
	char small[256];
	char *key = n + 2 <= sizeof small ? small : sc_arena_alloc(s->arena, n + 2);
	memcpy(key, r->rq.task.s, n);
	key[n] = (char)('0' + r->decision);
	key[n + 1] = (char)('0' + r->candidate);
	sc_str k = { key, n + 2 };
	sh_group *g = sc_map_get(&s->groups, k);
	if (g)
		return g;
	if (key == small) {
		key = sc_arena_strndup(s->arena, small, n + 2);
		k.s = key;
	}
	g = sc_arena_alloc(s->arena, sizeof *g);
	g->task = (sc_str){ key, n };
	g->enforced = r->decision;
	g->candidate = r->candidate;
	g->ex = sc_arena_array(s->arena, s->max_examples ? s->max_examples : 1, sizeof *g->ex);
	sc_map_put(&s->groups, k, g);
	sc_vec_push(&s->group_list, g);
	return g;
}

static void count_pair(sh_state *s, const sc_logrec *r)
{
	size_t a = strlen(r->policy), b = strlen(r->cpolicy);
	char small[256];
	char *key = a + b + 2 <= sizeof small ? small : sc_arena_alloc(s->arena, a + b + 2);
	memcpy(key, r->policy, a + 1);
	memcpy(key + a + 1, r->cpolicy, b + 1);
	sc_str k = { key, a + b + 1 };
	sh_pair *p = sc_map_get(&s->pairs, k);
	if (!p) {
		if (key == small)
			k.s = key = sc_arena_strndup(s->arena, small, a + b + 1);
		p = sc_arena_alloc(s->arena, sizeof *p);
		p->policy = key;
		p->cpolicy = key + a + 1;
		sc_map_put(&s->pairs, k, p);
		sc_vec_push(&s->pair_list, p);
	}
	p->count++;
}

static void on_record(void *arg, const sc_logrec *r)
{
	sh_state *s = arg;
	if (!r->shadow || r->decision == r->candidate)
		return;
	sh_group *g = find_group(s, r);
	g->count++;
	if (r->candidate < r->decision)
		s->widen++;
	else
		s->narrow++;
	count_pair(s, r);
	char req[SH_REQ_MAX];
	sc_request_format(&r->rq, req, sizeof req);
	for (size_t i = 0; i < g->nex; i++)
		if (strcmp(g->ex[i].request, req) == 0) {
			g->ex[i].count++;
			return;
		}
	if (g->nex == s->max_examples) {
		g->distinct_dropped++;
		return;
	}
	g->ex[g->nex++] = (sh_example){ dup_c(s->arena, req), dup_c(s->arena, r->explain),
					dup_c(s->arena, r->cexplain), 1 };
}

static int by_count(const void *a, const void *b)
{
	const sh_group *x = *(const sh_group *const *)a, *y = *(const sh_group *const *)b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	int c = sc_str_cmp(x->task, y->task);
	if (c)
		return c;
	if (x->enforced != y->enforced)
		return (int)x->enforced - (int)y->enforced;
	return (int)x->candidate - (int)y->candidate;
}

static bool widens(const sh_group *g)
{
	return g->candidate < g->enforced;
}

static void print_text(const sh_state *s, const char *path, const sc_logstats *st)
{
	size_t total = s->widen + s->narrow;
	sh_group **gs = (sh_group **)s->group_list.v;
	char qpath[256];
	sc_quote(qpath, sizeof qpath, sc_str_c(path));
	printf("shadow report for %s\n", qpath);
	printf("  %zu requests decided; %zu disagree with the candidate: %zu widen, %zu narrow\n",
	       st->decisions, total, s->widen, s->narrow);
	for (size_t i = 0; i < s->pair_list.n; i++) {
		const sh_pair *p = s->pair_list.v[i];
		printf("  enforced %s, candidate %s: %zu\n", *p->policy ? p->policy : "(no digest)",
		       *p->cpolicy ? p->cpolicy : "(no digest)", p->count);
	}
	if (!total)
		return;
	printf("\n  %7s  %-20s %s\n", "count", "task", "enforced -> candidate");
	for (size_t i = 0; i < s->group_list.n; i++) {
		char t[128];
		sc_quote(t, sizeof t, gs[i]->task);
		printf("  %7zu  %-20s %s -> %s (%s)\n", gs[i]->count, t, sc_kind_names[gs[i]->enforced],
		       sc_kind_names[gs[i]->candidate], widens(gs[i]) ? "widens" : "narrows");
	}
	for (size_t i = 0; i < s->group_list.n; i++) {
		const sh_group *g = gs[i];
		if (g->nex)
			putchar('\n');
		for (size_t j = 0; j < g->nex; j++) {
			const sh_example *e = &g->ex[j];
			printf("%c %s -> %s: %s", widens(g) ? '+' : '-', sc_kind_names[g->enforced],
			       sc_kind_names[g->candidate], e->request);
			if (e->count > 1)
				printf("    (%zu times)", e->count);
			printf("\n    enforced:  %s\n    candidate: %s\n", *e->explain ? e->explain : "?",
			       *e->cexplain ? e->cexplain : "?");
		}
		if (g->distinct_dropped)
			printf("    ... and %zu more distinct requests like these\n", g->distinct_dropped);
	}
}

static void print_json(const sh_state *s, const char *path, const sc_logstats *st)
{
	json_t *root = json_object(), *groups = json_array(), *pairs = json_array();
	json_object_set_new(root, "log", json_string(path));
	json_object_set_new(root, "requests", json_integer((json_int_t)st->decisions));
	json_object_set_new(root, "shadow_records", json_integer((json_int_t)st->shadows));
	json_object_set_new(root, "disagreements", json_integer((json_int_t)(s->widen + s->narrow)));
	json_object_set_new(root, "widen", json_integer((json_int_t)s->widen));
	json_object_set_new(root, "narrow", json_integer((json_int_t)s->narrow));
	json_object_set_new(root, "invalid_lines", json_integer((json_int_t)st->bad));
	for (size_t i = 0; i < s->pair_list.n; i++) {
		const sh_pair *p = s->pair_list.v[i];
		json_array_append_new(pairs, json_pack("{s:s,s:s,s:I}", "enforced", p->policy, "candidate",
						       p->cpolicy, "count", (json_int_t)p->count));
	}
	for (size_t i = 0; i < s->group_list.n; i++) {
		const sh_group *g = s->group_list.v[i];
		json_t *ex = json_array();
		for (size_t j = 0; j < g->nex; j++)
			json_array_append_new(ex, json_pack("{s:s,s:I,s:s,s:s}", "request", g->ex[j].request,
							    "count", (json_int_t)g->ex[j].count, "enforced",
							    g->ex[j].explain, "candidate", g->ex[j].cexplain));
		json_array_append_new(groups, json_pack("{s:s%,s:s,s:s,s:s,s:I,s:o}", "task", g->task.s,
							g->task.n, "enforced", sc_kind_names[g->enforced],
							"candidate", sc_kind_names[g->candidate], "change",
							widens(g) ? "widen" : "narrow", "count",
							(json_int_t)g->count, "examples", ex));
	}
	json_object_set_new(root, "policies", pairs);
	json_object_set_new(root, "groups", groups);
	char *out = json_dumps(root, JSON_INDENT(2));
	if (out)
		puts(out);
	free(out);
	json_decref(root);
}

int sc_cmd_shadow_report(int argc, char **argv)
{
	const char *path = NULL;
	bool json = false;
	unsigned long examples = 3;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		char *end;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(sc_shadow_report_usage, stdout);
			return 0;
		} else if (strcmp(a, "--format=json") == 0) {
			json = true;
		} else if (strcmp(a, "--format=text") == 0) {
			json = false;
		} else if (strncmp(a, "--examples=", 11) == 0) {
			examples = strtoul(a + 11, &end, 10);
			if (!a[11] || *end || examples > 1000) {
				fprintf(stderr, "scopec shadow-report: bad value in '%s' (0..1000)\n", a);
				return EXIT_USAGE;
			}
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "scopec shadow-report: unknown option '%s'\nTry 'scopec shadow-report --help'.\n", a);
			return EXIT_USAGE;
		} else if (path) {
			fprintf(stderr, "scopec shadow-report: exactly one log file\n");
			return EXIT_USAGE;
		} else {
			path = a;
		}
	}
	if (!path) {
		fprintf(stderr, "scopec shadow-report: no log file given\nTry 'scopec shadow-report --help'.\n");
		return EXIT_USAGE;
	}
	sh_state s;
	memset(&s, 0, sizeof s);
	s.arena = sc_arena_new();
	s.max_examples = examples;
	sc_map_init(&s.groups);
	sc_map_init(&s.pairs);
	sc_logstats st;
	int rc = sc_declog_read("shadow-report", path, on_record, &s, &st);
	if (rc == 0) {
		if (s.group_list.n > 1)
			qsort(s.group_list.v, s.group_list.n, sizeof(void *), by_count);
		if (json)
			print_json(&s, path, &st);
		else
			print_text(&s, path, &st);
	}
	size_t total = s.widen + s.narrow;
	sc_vec_free(&s.group_list);
	sc_vec_free(&s.pair_list);
	sc_map_fini(&s.groups);
	sc_map_fini(&s.pairs);
	sc_arena_free(s.arena);
	return rc < 0 ? EXIT_USAGE : total ? 1 : 0;
}
