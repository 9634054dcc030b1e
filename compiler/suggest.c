/*
 * suggest.c — `scopec suggest LOG`: least privilege learned from use.
 *
 * Input: the decision records of a log whose decision is in --decisions
 * (default allow: what the tasks were actually granted).  Per task, the
 * distinct (action, resource) pairs; actions stay literal (config.get and
 * config.set never become config.*: a verb the task did not use is a new
 * power), resources are generalised by the rules below, which are also
 * printed in the header of every suggestion (rules_text).
 *
 * A resource is split into segments at '.' and '/' (the separators stay),
 * and the distinct resources of one (task, action) form a tree of
 * segments.  At each point of the tree, over the segments found there:
 *   R1  fewer than MIN (2) distinct segments: they stay literal;
 *   R2  MIN or more, and every resource ends with its segment:  PREFIX*
 *       (forum.a.1, forum.a.2 -> forum.a.*);
 *   R3  MIN or more, and the resources below go on for different numbers
 *       of segments:  PREFIX**  (/srv/x/a and /srv/x/b/c: "/srv/x/" then **);
 *   R4  otherwise (same depth): segments whose continuations generalise to
 *       the same patterns merge into one `*` segment when there are MIN or
 *       more of them (forum.a.x, forum.b.x -> forum.*.x); the rest stay;
 *   R5  nothing is generalised before the first non-empty segment: a
 *       wildcard always follows a literal name (a, b stay a, b; never *);
 *   R6  a resource of more than 64 segments stays literal.
 * Conditions are not inferred: attributes do not appear in the output.
 *
 * The suggestion is checked before it is printed: it is resolved and every
 * expect is decided by the reference evaluator (an internal error, exit
 * 2, if one fails).
 */
#include "suggest.h"
#include "declog.h"
#include "map.h"
#include "resolve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { EXIT_USAGE = 2, SG_MAX_SEGMENTS = 64 };

#define SG_RULES                                                                               \
	"# Generalisation (per task and action; actions stay literal).  Resources are\n"           \
	"# split into segments at '.' and '/'; where %u or more distinct segments meet:\n"          \
	"#   all are last segments                  -> PREFIX*    (forum.a.1, forum.a.2)\n"     \
	"#   the resources go on to different depths -> PREFIX**   (/srv/x/a, /srv/x/b/c)\n"   \
	"#   same depth: segments with the same continuation merge into *  (a.x, b.x -> *.x)\n" \
	"# fewer than %u stay literal; nothing is generalised before the first named\n"        \
	"# segment; conditions are not inferred.\n"

const char sc_suggest_usage[] =
	"usage: scopec suggest [--decisions=LIST] [--min=N] LOG\n"
	"  Proposes the tightest scope for each task seen in a scope-gateway decision\n"
	"  log, as a .scope policy on stdout: one `task` per task with an `allows`\n"
	"  item per action and resource pattern, and an `expect allow` line for each\n"
	"  distinct (action, resource) it covers.  Review it: it is a starting point\n"
	"  for least privilege, not a policy to deploy unread.\n"
	"  Actions stay literal.  Resources are split into segments at '.' and '/';\n"
	"  where N (default 2) or more distinct segments meet under the same prefix:\n"
	"    all of them are last segments      -> PREFIX*   forum.a.1 forum.a.2 -> forum.a.*\n"
	"    the resources reach different depths -> PREFIX** /srv/x/a /srv/x/b/c -> /srv/x/**\n"
	"    same depth: segments with the same continuation merge into one `*`\n"
	"                                         forum.a.x forum.b.x -> forum.*.x\n"
	"  Fewer than N stay literal (a resource seen alone is kept as it is), nothing\n"
	"  is generalised before the first named segment (a, b stay a, b), and\n"
	"  conditions (`when`) are not inferred.\n"
	"  --decisions=LIST  which logged decisions count as use: a comma-separated\n"
	"                    subset of allow,ask,deny (default allow; allow,ask,deny\n"
	"                    learns from a log of a permissive or deny-all policy)\n"
	"  --min=N           distinct siblings that make a wildcard (default 2)\n"
	"  LOG may be '-' (stdin).  The output passes `scopec check` and `scopec test`\n"
	"  (suggest checks its expects before printing).\n"
	"  exit: 0, 1 no request in the log to learn from, 2 usage or I/O\n";

/* ---- string lists ------------------------------------------------------ */

typedef struct sg_strs {
	sc_str *v;
	size_t n, cap;
} sg_strs;

static void strs_push(sg_strs *l, sc_str s)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;
		sc_str *v = realloc(l->v, cap * sizeof *v);
		if (!v)
			sc_fatal_oom();
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = s;
}

static int cmp_str(const void *a, const void *b)
{
	return sc_str_cmp(*(const sc_str *)a, *(const sc_str *)b);
}

/* Sorts L and drops duplicates. */
static void strs_unique(sg_strs *l)
{
	if (l->n < 2)
		return;
	qsort(l->v, l->n, sizeof *l->v, cmp_str);
	size_t o = 1;
	for (size_t i = 1; i < l->n; i++)
		if (!sc_str_eq(l->v[i], l->v[o - 1]))
			l->v[o++] = l->v[i];
	l->n = o;
}

static bool strs_equal(const sg_strs *a, const sg_strs *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!sc_str_eq(a->v[i], b->v[i]))
			return false;
	return true;
}

static sc_str cat(sc_arena *a, sc_str x, const char *sep, sc_str y)
{
	size_t ns = strlen(sep), n = x.n + ns + y.n;
	char *s = sc_arena_alloc(a, n + 1);
	memcpy(s, x.s, x.n);
	memcpy(s + x.n, sep, ns);
	memcpy(s + x.n + ns, y.s, y.n);
	return (sc_str){ s, n };
}

/* ---- the generalisation ------------------------------------------------ */

static size_t first_sep(sc_str s)
{
	size_t i = 0;
	while (i < s.n && s.s[i] != '.' && s.s[i] != '/')
		i++;
	return i;
}

static size_t depth(sc_str s)
{
	size_t d = 0;
	for (size_t i = 0; i < s.n; i++)
		d += s.s[i] == '.' || s.s[i] == '/';
	return d;
}

/* The resources below one point of the tree that share a first segment. */
typedef struct sg_branch {
	sc_str seg;
	sg_strs rest;           /* what follows the segment: "" or ".x", "/y"... */
	sg_strs pats;           /* the continuation, generalised */
} sg_branch;

static void gen(sc_arena *a, const sc_str *r, size_t n, bool named, unsigned min, sg_strs *out);

/* The continuation patterns of a branch: "" and separator + patterns. */
static void gen_branch(sc_arena *a, sg_branch *b, bool named, unsigned min)
{
	static const char seps[2] = { '.', '/' };
	for (int k = 0; k < 2; k++) {
		sg_strs sub = { 0 }, pats = { 0 };
		for (size_t i = 0; i < b->rest.n; i++)
			if (b->rest.v[i].n && b->rest.v[i].s[0] == seps[k])
				strs_push(&sub, (sc_str){ b->rest.v[i].s + 1, b->rest.v[i].n - 1 });
		if (sub.n)
			gen(a, sub.v, sub.n, named || b->seg.n > 0, min, &pats);
		char sep[2] = { seps[k], '\0' };
		for (size_t i = 0; i < pats.n; i++)
			strs_push(&b->pats, cat(a, (sc_str){ "", 0 }, sep, pats.v[i]));
		free(sub.v);
		free(pats.v);
	}
	for (size_t i = 0; i < b->rest.n; i++)
		if (!b->rest.v[i].n)
			strs_push(&b->pats, (sc_str){ "", 0 });
	strs_unique(&b->pats);
}

static bool all_leaves(const sg_branch *b, size_t nb)
{
	for (size_t i = 0; i < nb; i++)
		if (b[i].pats.n != 1 || b[i].pats.v[0].n != 0)
			return false;
	return true;
}

static bool depths_differ(const sc_str *r, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (depth(r[i]) != depth(r[0]))
			return true;
	return false;
}

static int cmp_pats(const void *a, const void *b)
{
	const sg_strs *x = &(*(const sg_branch *const *)a)->pats, *y = &(*(const sg_branch *const *)b)->pats;
	for (size_t i = 0; i < x->n && i < y->n; i++) {
		int c = sc_str_cmp(x->v[i], y->v[i]);
		if (c)
			return c;
	}
	return x->n < y->n ? -1 : x->n > y->n;
}

/* R4: branches that share their continuation merge into one `*` segment
 * when there are MIN or more of them (sorted by continuation, so that each
 * such run is found in one pass). */
static void merge_same_continuations(sc_arena *a, sg_branch *b, size_t nb, unsigned min, sg_strs *out)
{
	sg_branch **order = malloc(nb * sizeof *order);
	if (!order)
		sc_fatal_oom();
	for (size_t i = 0; i < nb; i++)
		order[i] = &b[i];
	qsort(order, nb, sizeof *order, cmp_pats);
	for (size_t i = 0, j; i < nb; i = j) {
		for (j = i + 1; j < nb && strs_equal(&order[i]->pats, &order[j]->pats); j++)
			;
		bool merge = j - i >= min;
		for (size_t k = i; k < (merge ? i + 1 : j); k++)
			for (size_t p = 0; p < order[k]->pats.n; p++)
				strs_push(out, cat(a, merge ? (sc_str){ "*", 1 } : order[k]->seg, "",
						   order[k]->pats.v[p]));
	}
	free(order);
}

/* Patterns for the distinct suffixes R (relative to one point of the tree;
 * NAMED: a non-empty segment came before it) into OUT, sorted. */
static void gen(sc_arena *a, const sc_str *r, size_t n, bool named, unsigned min, sg_strs *out)
{
	sc_map index;
	sc_map_init(&index);
	sg_branch *b = calloc(n, sizeof *b);
	size_t nb = 0;
	if (!b)
		sc_fatal_oom();
	for (size_t i = 0; i < n; i++) {
		size_t k = first_sep(r[i]);
		sc_str seg = { r[i].s, k };
		sg_branch *br = sc_map_get(&index, seg);
		if (!br) {
			br = &b[nb++];
			br->seg = seg;
			sc_map_put(&index, seg, br);
		}
		strs_push(&br->rest, (sc_str){ r[i].s + k, r[i].n - k });
	}
	for (size_t i = 0; i < nb; i++)
		gen_branch(a, &b[i], named, min);
	if (named && nb >= min && all_leaves(b, nb)) {
		strs_push(out, (sc_str){ "*", 1 });                    /* R2 */
	} else if (named && nb >= min && depths_differ(r, n)) {
		strs_push(out, (sc_str){ "**", 2 });                   /* R3 */
	} else if (named && nb >= min) {
		merge_same_continuations(a, b, nb, min, out);          /* R4 */
	} else {
		for (size_t i = 0; i < nb; i++)                        /* R1, R5 */
			for (size_t k = 0; k < b[i].pats.n; k++)
				strs_push(out, cat(a, b[i].seg, "", b[i].pats.v[k]));
	}
	strs_unique(out);
	for (size_t i = 0; i < nb; i++) {
		free(b[i].rest.v);
		free(b[i].pats.v);
	}
	free(b);
	sc_map_fini(&index);
}

/* The patterns for the NRES distinct resources of one (task, action),
 * sorted, in ARENA. */
static sc_str *suggest_patterns(sc_arena *arena, const sc_str *res, size_t nres, unsigned min, size_t *nout)
{
	sg_strs in = { 0 }, out = { 0 };
	for (size_t i = 0; i < nres; i++) {
		if (depth(res[i]) >= SG_MAX_SEGMENTS)
			strs_push(&out, res[i]);                       /* R6 */
		else
			strs_push(&in, res[i]);
	}
	if (in.n)
		gen(arena, in.v, in.n, false, min < 2 ? 2 : min, &out);
	strs_unique(&out);
	sc_str *v = sc_arena_array(arena, out.n ? out.n : 1, sizeof *v);
	if (out.n)
		memcpy(v, out.v, out.n * sizeof *v);
	*nout = out.n;
	free(in.v);
	free(out.v);
	return v;
}

/* ---- collecting the log ------------------------------------------------ */

typedef struct sg_action {
	sc_str name;
	sg_strs res;            /* distinct resources */
	sc_map seen;
} sg_action;

typedef struct sg_task {
	sc_str name;
	sc_vec actions;         /* sg_action * */
	sc_map index;
	size_t requests;
} sg_task;

typedef struct sg_state {
	sc_arena *arena;
	sc_vec tasks;           /* sg_task * */
	sc_map index;
	unsigned decisions;     /* bit per sc_kind */
	unsigned min;
	size_t used, other_decision, unusable, patterned;
} sg_state;

static sc_str keep(sc_arena *a, sc_str s)
{
	return (sc_str){ sc_arena_strndup(a, s.s, s.n), s.n };
}

static bool has_control(sc_str s)
{
	for (size_t i = 0; i < s.n; i++)
		if ((unsigned char)s.s[i] < 0x20 || s.s[i] == 0x7f)
			return true;
	return false;
}

static bool has_glob(sc_str s)
{
	return memchr(s.s, '*', s.n) || memchr(s.s, '?', s.n);
}

static void on_record(void *arg, const sc_logrec *r)
{
	sg_state *s = arg;
	if (r->shadow)
		return;
	if (!(s->decisions & (1u << r->decision))) {
		s->other_decision++;
		return;
	}
	const sc_request *rq = &r->rq;
	/* a task name cannot hold a pattern byte; no source text can hold a
	 * newline in a string; other control bytes we do not reproduce */
	if (has_glob(rq->task) || !rq->task.n || has_control(rq->task) || has_control(rq->action) ||
	    has_control(rq->resource)) {
		s->unusable++;
		return;
	}
	s->patterned += has_glob(rq->action) || has_glob(rq->resource);
	s->used++;
	sg_task *t = sc_map_get(&s->index, rq->task);
	if (!t) {
		t = sc_arena_alloc(s->arena, sizeof *t);
		t->name = keep(s->arena, rq->task);
		sc_map_init(&t->index);
		sc_map_put(&s->index, t->name, t);
		sc_vec_push(&s->tasks, t);
	}
	t->requests++;
	sg_action *ac = sc_map_get(&t->index, rq->action);
	if (!ac) {
		ac = sc_arena_alloc(s->arena, sizeof *ac);
		ac->name = keep(s->arena, rq->action);
		sc_map_init(&ac->seen);
		sc_map_put(&t->index, ac->name, ac);
		sc_vec_push(&t->actions, ac);
	}
	if (!sc_map_get(&ac->seen, rq->resource)) {
		sc_str res = keep(s->arena, rq->resource);
		sc_map_put(&ac->seen, res, ac);
		strs_push(&ac->res, res);
	}
}

/* ---- writing the policy ------------------------------------------------ */

static const char *const reserved[] = { "task", "extends", "allows", "asks", "denies", "let",
					"include", "expect", "when", "and", "or", "not",
					"in", "has", "matches", "like" };

static bool bare_word(sc_str s)
{
	if (!s.n)
		return false;
	for (size_t i = 0; i < s.n; i++)
		if (!strchr("_-.*?/:~+%", s.s[i]) && !(s.s[i] >= 'a' && s.s[i] <= 'z') &&
		    !(s.s[i] >= 'A' && s.s[i] <= 'Z') && !(s.s[i] >= '0' && s.s[i] <= '9'))
			return false;
	for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++)
		if (sc_str_eq(s, sc_str_c(reserved[i])))
			return false;
	return true;
}

/* S as a name of the language: a bare word, or a quoted string. */
static void put_name(FILE *f, sc_str s)
{
	if (bare_word(s)) {
		fwrite(s.s, 1, s.n, f);
		return;
	}
	fputc('"', f);
	for (size_t i = 0; i < s.n; i++) {
		if (s.s[i] == '"' || s.s[i] == '\\')
			fputc('\\', f);
		fputc(s.s[i], f);
	}
	fputc('"', f);
}

static int cmp_task(const void *a, const void *b)
{
	return sc_str_cmp((*(const sg_task *const *)a)->name, (*(const sg_task *const *)b)->name);
}

static int cmp_action(const void *a, const void *b)
{
	return sc_str_cmp((*(const sg_action *const *)a)->name, (*(const sg_action *const *)b)->name);
}

static void write_task(FILE *f, sg_state *s, sg_task *t)
{
	if (t->actions.n > 1)
		qsort(t->actions.v, t->actions.n, sizeof(void *), cmp_action);
	size_t nitems = 0, npairs = 0;
	sc_str **pats = sc_arena_array(s->arena, t->actions.n, sizeof *pats);
	size_t *npats = sc_arena_array(s->arena, t->actions.n, sizeof *npats);
	for (size_t i = 0; i < t->actions.n; i++) {
		sg_action *ac = t->actions.v[i];
		pats[i] = suggest_patterns(s->arena, ac->res.v, ac->res.n, s->min, &npats[i]);
		nitems += npats[i];
		npairs += ac->res.n;
	}
	fprintf(f, "\n# %zu requests, %zu distinct (action, resource), %zu items\n", t->requests, npairs,
		nitems);
	fputs("task ", f);
	put_name(f, t->name);
	fputc('\n', f);
	size_t k = 0;
	for (size_t i = 0; i < t->actions.n; i++) {
		sg_action *ac = t->actions.v[i];
		for (size_t j = 0; j < npats[i]; j++, k++) {
			fputs(k ? "         " : "  allows ", f);
			put_name(f, ac->name);
			fputc(' ', f);
			put_name(f, pats[i][j]);
			fputs(k + 1 < nitems ? ",\n" : "\n", f);
		}
	}
}

static void write_expects(FILE *f, sg_task *t)
{
	for (size_t i = 0; i < t->actions.n; i++) {
		sg_action *ac = t->actions.v[i];
		strs_unique(&ac->res);
		for (size_t j = 0; j < ac->res.n; j++) {
			fputs("expect allow ", f);
			put_name(f, t->name);
			fputc(' ', f);
			put_name(f, ac->name);
			if (ac->res.v[j].n) {
				fputc(' ', f);
				put_name(f, ac->res.v[j]);
			}
			fputc('\n', f);
		}
	}
}

static void write_policy(FILE *f, sg_state *s, const char *path, const sc_logstats *st)
{
	char qpath[256]; /* control bytes escaped: a file name cannot end the comment */
	sc_quote(qpath, sizeof qpath, sc_str_c(path));
	fprintf(f, "# Suggested by `scopec suggest %s`: the tightest scope that covers what\n", qpath);
	fputs("# each task was seen to do.  A starting point for least privilege: review it,\n"
	      "# add the `asks`, `denies` and `when` conditions your tasks need.\n", f);
	fprintf(f, "# Log: %zu decision records; %zu requests used (decided", st->decisions, s->used);
	for (int k = 0, first = 1; k < 3; k++)
		if (s->decisions & (1u << k)) {
			fprintf(f, "%s%s", first ? " " : " or ", sc_kind_names[k]);
			first = 0;
		}
	fprintf(f, "), %zu with other decisions skipped, %zu unusable, %zu malformed\n",
		s->other_decision, s->unusable, st->errors);
	fprintf(f, SG_RULES, s->min, s->min);
	if (s->patterned)
		fprintf(f, "# Note: %zu requests name '*' or '?', which are pattern characters here.\n",
			s->patterned);
	if (s->tasks.n > 1)
		qsort(s->tasks.v, s->tasks.n, sizeof(void *), cmp_task);
	for (size_t i = 0; i < s->tasks.n; i++)
		write_task(f, s, s->tasks.v[i]);
	fputc('\n', f);
	for (size_t i = 0; i < s->tasks.n; i++)
		write_expects(f, s->tasks.v[i]);
}

/* Resolves TEXT and decides its expects: 0 if all pass. */
static int self_check(const char *text, size_t len)
{
	sc_diag d;
	sc_diag_init(&d, stderr);
	sc_policy *p = sc_resolve_text(&d, "<suggestion>", text, len);
	int bad = p ? 0 : 1;
	sc_ref_ctx *ref = sc_ref_new();
	for (uint32_t i = 0; p && i < p->nexpects; i++) {
		const sc_expect *e = &p->expects[i];
		sc_request rq = { e->task, e->action, e->resource, NULL, 0 };
		sc_result r;
		sc_ref_decide(ref, p, &rq, &r);
		if (r.decision != e->decision) {
			sc_error(&d, e->span, "the suggestion decides %s here", sc_kind_names[r.decision]);
			bad++;
		}
	}
	sc_ref_free(ref);
	sc_policy_free(p);
	sc_diag_fini(&d);
	return bad ? -1 : 0;
}

static void free_state(sg_state *s)
{
	for (size_t i = 0; i < s->tasks.n; i++) {
		sg_task *t = s->tasks.v[i];
		for (size_t j = 0; j < t->actions.n; j++) {
			sg_action *ac = t->actions.v[j];
			sc_map_fini(&ac->seen);
			free(ac->res.v);
		}
		sc_vec_free(&t->actions);
		sc_map_fini(&t->index);
	}
	sc_vec_free(&s->tasks);
	sc_map_fini(&s->index);
	sc_arena_free(s->arena);
}

static int parse_decisions(const char *list, unsigned *mask)
{
	*mask = 0;
	const char *p = list;
	while (*p) {
		size_t n = strcspn(p, ",");
		int k = -1;
		for (int i = 0; i < 3; i++)
			if (n == strlen(sc_kind_names[i]) && strncmp(p, sc_kind_names[i], n) == 0)
				k = i;
		if (k < 0)
			return -1;
		*mask |= 1u << k;
		p += n + (p[n] == ',');
	}
	return *mask ? 0 : -1;
}

static int usage(const char *msg, const char *arg)
{
	fputs("scopec suggest: ", stderr);
	fprintf(stderr, msg, arg);
	fputs("\nTry 'scopec suggest --help'.\n", stderr);
	return EXIT_USAGE;
}

int sc_cmd_suggest(int argc, char **argv)
{
	const char *path = NULL;
	sg_state s;
	memset(&s, 0, sizeof s);
	s.decisions = 1u << SC_ALLOW;
	s.min = 2;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		char *end;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(sc_suggest_usage, stdout);
			return 0;
		} else if (strncmp(a, "--decisions=", 12) == 0) {
			if (parse_decisions(a + 12, &s.decisions) < 0)
				return usage("bad value in '%s' (a list of allow, ask, deny)", a);
		} else if (strncmp(a, "--min=", 6) == 0) {
			unsigned long v = strtoul(a + 6, &end, 10);
			if (!a[6] || *end || v < 2 || v > 1000000)
				return usage("bad value in '%s' (2 or more)", a);
			s.min = (unsigned)v;
		} else if (a[0] == '-' && a[1]) {
			return usage("unknown option '%s'", a);
		} else if (path) {
			return usage("%s", "exactly one log file");
		} else {
			path = a;
		}
	}
	if (!path)
		return usage("%s", "no log file given");
	s.arena = sc_arena_new();
	sc_map_init(&s.index);
	sc_logstats st;
	if (sc_declog_read("suggest", path, on_record, &s, &st) < 0) {
		free_state(&s);
		return EXIT_USAGE;
	}
	if (!s.used) {
		fprintf(stderr, "scopec suggest: %s: no request to learn from (%zu decision records, "
				"%zu with other decisions; see --decisions)\n", path, st.decisions,
			s.other_decision);
		free_state(&s);
		return 1;
	}
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		sc_fatal_oom();
	write_policy(f, &s, path, &st);
	/* a memstream that could not grow drops what did not fit, and says
	 * so only by ferror or fclose: a cut suggestion is not printed */
	bool cut = ferror(f) != 0;
	if (fclose(f) != 0 || cut || !text)
		sc_fatal_oom();
	int status = 0;
	if (self_check(text, len) < 0) {
		fprintf(stderr, "scopec suggest: internal error: the suggestion fails its own expects\n");
		status = EXIT_USAGE;
	} else {
		fwrite(text, 1, len, stdout);
	}
	free(text);
	free_state(&s);
	return status;
}
