/* resolve.c — see resolve.h.
 *
 * Passes, in order:
 *   1. load    — parse the root file and, depth first, its includes;
 *                the statements of all files form one list in textual order
 *   2. declare — symbol tables of tasks and sets; duplicates; names
 *   3. check   — extends and @SET references exist and are acyclic; regexes
 *                compile; conditions are well formed
 *   4. expand  — sets (in dependency order) and task clauses into items
 *   5. flatten — per task: own + inherited + `task *` items
 * Each pass reports every error it can; a later pass runs only if the
 * earlier ones were clean, so that one mistake does not cascade.
 */
#include "resolve.h"
#include "refeval.h"
#include "map.h"
#include "parse.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* A set, after expansion: its items with conditions already combined. */
typedef struct sc_proto {
	sc_str action, resource;
	bool has_resource;
	const sc_cond *cond;
	sc_span span, via;
	const sc_ast_item *ast;
} sc_proto;

typedef struct sc_setdecl {
	sc_stmt *stmt;
	uint32_t id;
	bool used;
	sc_proto *protos;
	uint32_t nprotos;
} sc_setdecl;

typedef struct sc_taskdecl {
	sc_stmt *stmt;
	uint32_t id;
	uint32_t own_start, own_end;  /* range in the items array */
} sc_taskdecl;

/* A directed graph in compressed rows, for extends and set references. */
typedef struct sc_graph {
	uint32_t n;
	uint32_t *row;    /* n + 1 offsets into to/span */
	uint32_t *to;
	sc_span *span;    /* where each edge is written */
} sc_graph;

typedef struct sc_resolver {
	sc_diag *d;
	sc_arena *a;
	sc_vec stmts;                 /* every statement, textual order */
	const sc_fileops *ops;        /* where included files are read from */
	sc_vec files;                 /* loaded file ids (included once) */
	uint32_t stack[SC_MAX_INCLUDE_DEPTH];
	uint32_t depth;
	sc_map task_names, set_names;
	sc_map broken;                /* names of statements lost to syntax errors */
	sc_vec tasks;                 /* sc_taskdecl *, declaration order */
	sc_vec sets;                  /* sc_setdecl * */
	sc_vec stars;                 /* sc_stmt * of `task *` */
	sc_vec star_ranges;           /* (start, end) pairs as uintptr_t */
	sc_vec regexes;               /* sc_cond * with a compiled regex */
	sc_vec expects;               /* sc_stmt * */
	sc_item *items;
	uint32_t nitems, capitems;
	bool too_many;
	bool too_deep;
} sc_resolver;

/* ---- 1. load --------------------------------------------------------- */

static void load_statements(sc_resolver *r, uint32_t file);

static char *join_path(const char *from, sc_str rel)
{
	const char *slash = strrchr(from, '/');
	size_t dirlen = (rel.n && rel.s[0] == '/') || !slash ? 0 : (size_t)(slash - from + 1);
	char *p = malloc(dirlen + rel.n + 1);
	if (!p)
		sc_fatal_oom();
	memcpy(p, from, dirlen);
	memcpy(p + dirlen, rel.s, rel.n);
	p[dirlen + rel.n] = '\0';
	return p;
}

/* ---- the file system as an sc_fileops -------------------------------- */

static char *fs_join(void *ctx, const char *from, sc_str rel, char *why, size_t whysz)
{
	(void)ctx, (void)why, (void)whysz;
	return join_path(from, rel);
}

static char *fs_identify(void *ctx, const char *name, char *why, size_t whysz)
{
	(void)ctx;
	char *real = realpath(name, NULL);
	if (!real)
		snprintf(why, whysz, "%s", strerror(errno));
	return real;
}

static uint32_t fs_load(void *ctx, sc_diag *d, const char *name, char *why, size_t whysz)
{
	(void)ctx;
	uint32_t id = sc_diag_load(d, name);
	if (!id)
		snprintf(why, whysz, "%s", sc_diag_load_strerror(errno));
	return id;
}

static const sc_fileops fs_ops = { fs_join, fs_identify, fs_load, NULL };

static void report_include_cycle(sc_resolver *r, sc_stmt *s, uint32_t from_depth)
{
	char chain[1024];
	size_t o = 0;
	chain[0] = '\0';
	for (uint32_t i = from_depth; i < r->depth && o < sizeof chain - 8; i++)
		o += (size_t)snprintf(chain + o, sizeof chain - o, "%s -> ",
				      sc_diag_source(r->d, r->stack[i])->path);
	if (o >= sizeof chain)
		o = sizeof chain - 1;
	snprintf(chain + o, sizeof chain - o, "%s", sc_diag_source(r->d, r->stack[from_depth])->path);
	sc_error(r->d, s->name.span, "include cycle: %s", chain);
}

static void include_file(sc_resolver *r, uint32_t from, sc_stmt *s)
{
	if (memchr(s->name.name.s, '\0', s->name.name.n) || s->name.name.n == 0) {
		sc_error(r->d, s->name.span, "invalid include path");
		return;
	}
	const sc_fileops *ops = r->ops;
	char why[512];
	char *path = ops->join(ops->ctx, sc_diag_source(r->d, from)->path, s->name.name, why, sizeof why);
	if (!path) {
		char q[256];
		sc_quote(q, sizeof q, s->name.name);
		sc_error(r->d, s->name.span, "cannot open included file '%s': %s", q, why);
		return;
	}
	char *real = ops->identify(ops->ctx, path, why, sizeof why);
	if (!real) {
		sc_error(r->d, s->name.span, "cannot open included file '%s': %s", path, why);
		free(path);
		return;
	}
	for (uint32_t i = 0; i < r->depth; i++)
		if (strcmp(sc_diag_source(r->d, r->stack[i])->real, real) == 0) {
			report_include_cycle(r, s, i);
			goto out;
		}
	for (size_t i = 0; i < r->files.n; i++)
		if (strcmp(sc_diag_source(r->d, (uint32_t)(uintptr_t)r->files.v[i])->real, real) == 0)
			goto out; /* each file is included once */
	if (r->depth == SC_MAX_INCLUDE_DEPTH) {
		sc_error(r->d, s->name.span, "includes nested deeper than %d files", SC_MAX_INCLUDE_DEPTH);
		goto out;
	}
	uint32_t id = ops->load(ops->ctx, r->d, path, why, sizeof why);
	if (!id) {
		sc_error(r->d, s->name.span, "cannot read included file '%s': %s", path, why);
		goto out;
	}
	load_statements(r, id);
out:
	free(real);
	free(path);
}

static void load_statements(sc_resolver *r, uint32_t file)
{
	sc_vec_push(&r->files, (void *)(uintptr_t)file);
	r->stack[r->depth++] = file;
	sc_ast_file *f = sc_parse_file(r->a, r->d, file);
	for (uint32_t i = 0; i < f->nbroken; i++)
		sc_map_put(&r->broken, f->broken[i], r);
	for (uint32_t i = 0; i < f->nstmts; i++) {
		if (f->stmts[i]->kind == SC_S_INCLUDE)
			include_file(r, file, f->stmts[i]);
		else
			sc_vec_push(&r->stmts, f->stmts[i]);
	}
	r->depth--;
}

/* ---- 2. declare ------------------------------------------------------ */

static bool has_wildcard(sc_str s)
{
	return memchr(s.s, '*', s.n) || memchr(s.s, '?', s.n);
}

static void declare_task(sc_resolver *r, sc_stmt *s)
{
	if (s->star) {
		if (s->nextends)
			sc_error(r->d, s->extends[0].span, "'task *' applies to every task and cannot extend one");
		sc_vec_push(&r->stars, s);
		return;
	}
	if (s->name.name.n == 0) {
		sc_error(r->d, s->name.span, "empty task name");
		return;
	}
	if (has_wildcard(s->name.name)) {
		char q[128];
		sc_quote(q, sizeof q, s->name.name);
		sc_error(r->d, s->name.span, "task name '%s' is a pattern; a task is declared by its plain name", q);
		return;
	}
	sc_taskdecl *t = sc_arena_alloc(r->a, sizeof *t);
	t->stmt = s;
	t->id = (uint32_t)r->tasks.n;
	sc_taskdecl *old = sc_map_put(&r->task_names, s->name.name, t);
	if (old) {
		char q[128];
		sc_quote(q, sizeof q, s->name.name);
		sc_error(r->d, s->name.span, "duplicate declaration of task '%s'", q);
		sc_note(r->d, old->stmt->name.span, "task '%s' was first declared here", q);
		return;
	}
	sc_vec_push(&r->tasks, t);
}

static void declare_set(sc_resolver *r, sc_stmt *s)
{
	sc_setdecl *set = sc_arena_alloc(r->a, sizeof *set);
	set->stmt = s;
	set->id = (uint32_t)r->sets.n;
	char q[128];
	sc_quote(q, sizeof q, s->name.name);
	if (s->name.name.n == 0) {
		sc_error(r->d, s->name.span, "empty set name");
		return;
	}
	sc_setdecl *old = sc_map_put(&r->set_names, s->name.name, set);
	if (old) {
		sc_error(r->d, s->name.span, "duplicate definition of set '@%s'", q);
		sc_note(r->d, old->stmt->name.span, "set '@%s' was first defined here", q);
		return;
	}
	sc_vec_push(&r->sets, set);
}

static void check_expect(sc_resolver *r, sc_stmt *s)
{
	if (s->action.name.n == 0)
		sc_error(r->d, s->action.span, "the action of a request must not be empty");
	if (s->nattrs > SC_MAX_ATTRS) {
		sc_error(r->d, s->span, "expect with more than %d attributes", SC_MAX_ATTRS);
		return;
	}
	for (uint32_t i = 0; i < s->nattrs; i++) {
		if (s->attrs[i].key.n == 0)
			sc_error(r->d, s->attrs[i].span, "empty attribute name");
		for (uint32_t j = 0; j < i; j++)
			if (sc_str_eq(s->attrs[i].key, s->attrs[j].key)) {
				char q[128];
				sc_quote(q, sizeof q, s->attrs[i].key);
				sc_error(r->d, s->attrs[i].span, "attribute '%s' given twice", q);
				break;
			}
	}
	sc_vec_push(&r->expects, s);
}

static void declare_all(sc_resolver *r)
{
	for (size_t i = 0; i < r->stmts.n; i++) {
		sc_stmt *s = r->stmts.v[i];
		switch (s->kind) {
		case SC_S_TASK: declare_task(r, s); break;
		case SC_S_LET: declare_set(r, s); break;
		case SC_S_EXPECT: check_expect(r, s); break;
		case SC_S_INCLUDE: break;
		}
	}
}

/* ---- 3. check -------------------------------------------------------- */

/* Finds cycles by an iterative depth-first search (no recursion on user
 * input: a chain of 100k sets must not overflow the stack).  Reports each
 * back edge as a cycle.  Returns the nodes in post-order (dependencies
 * first), an array of g->n entries owned by the arena. */
static uint32_t *graph_postorder(sc_resolver *r, const sc_graph *g, const char *what,
				 sc_str (*name)(sc_resolver *, uint32_t), const char *prefix)
{
	uint32_t *order = sc_arena_array(r->a, g->n ? g->n : 1, sizeof *order);
	unsigned char *color = calloc(g->n ? g->n : 1, 1); /* 0 white, 1 grey, 2 black */
	uint32_t *stack = malloc((g->n ? g->n : 1) * sizeof *stack);
	uint32_t *next = malloc((g->n ? g->n : 1) * sizeof *next);
	if (!color || !stack || !next)
		sc_fatal_oom();
	uint32_t norder = 0;
	for (uint32_t root = 0; root < g->n; root++) {
		if (color[root])
			continue;
		uint32_t top = 0;
		stack[top++] = root;
		next[root] = g->row[root];
		color[root] = 1;
		while (top) {
			uint32_t v = stack[top - 1];
			if (next[v] == g->row[v + 1]) {
				color[v] = 2;
				order[norder++] = v;
				top--;
				continue;
			}
			uint32_t e = next[v]++;
			uint32_t w = g->to[e];
			if (color[w] == 0) {
				color[w] = 1;
				next[w] = g->row[w];
				stack[top++] = w;
			} else if (color[w] == 1) {
				char chain[1024];
				size_t o = 0;
				uint32_t from = top;
				while (from > 0 && stack[from - 1] != w)
					from--;
				for (uint32_t i = from ? from - 1 : 0; i < top && o < sizeof chain - 200; i++) {
					char q[128];
					sc_quote(q, sizeof q, name(r, stack[i]));
					o += (size_t)snprintf(chain + o, sizeof chain - o, "%s%s -> ", prefix, q);
				}
				char q[128];
				sc_quote(q, sizeof q, name(r, w));
				if (o < sizeof chain)
					snprintf(chain + o, sizeof chain - o, "%s%s", prefix, q);
				sc_error(r->d, g->span[e], "%s cycle: %s", what, chain);
			}
		}
	}
	free(color);
	free(stack);
	free(next);
	return order;
}

static sc_str task_name(sc_resolver *r, uint32_t id)
{
	return ((sc_taskdecl *)r->tasks.v[id])->stmt->name.name;
}

static sc_str set_name(sc_resolver *r, uint32_t id)
{
	return ((sc_setdecl *)r->sets.v[id])->stmt->name.name;
}

static void graph_alloc(sc_resolver *r, sc_graph *g, uint32_t n, uint32_t edges)
{
	g->n = n;
	g->row = sc_arena_array(r->a, n + 1, sizeof *g->row);
	g->to = sc_arena_array(r->a, edges ? edges : 1, sizeof *g->to);
	g->span = sc_arena_array(r->a, edges ? edges : 1, sizeof *g->span);
}

static void build_extends_graph(sc_resolver *r, sc_graph *g)
{
	uint32_t n = (uint32_t)r->tasks.n, edges = 0;
	for (uint32_t i = 0; i < n; i++)
		edges += ((sc_taskdecl *)r->tasks.v[i])->stmt->nextends;
	graph_alloc(r, g, n, edges);
	uint32_t e = 0;
	for (uint32_t i = 0; i < n; i++) {
		sc_stmt *s = ((sc_taskdecl *)r->tasks.v[i])->stmt;
		g->row[i] = e;
		for (uint32_t k = 0; k < s->nextends; k++) {
			sc_taskdecl *p = sc_map_get(&r->task_names, s->extends[k].name);
			if (!p && sc_map_get(&r->broken, s->extends[k].name))
				continue; /* its declaration had a syntax error */
			if (!p) {
				char q[128];
				sc_quote(q, sizeof q, s->extends[k].name);
				sc_error(r->d, s->extends[k].span, "unknown task '%s' in extends", q);
				continue;
			}
			g->to[e] = p->id;
			g->span[e++] = s->extends[k].span;
		}
	}
	g->row[n] = e;
}

/* Checks a set reference; returns the set or NULL (error reported). */
static sc_setdecl *lookup_set(sc_resolver *r, const sc_ast_item *it)
{
	sc_setdecl *s = sc_map_get(&r->set_names, it->set);
	if (!s && !sc_map_get(&r->broken, it->set)) {
		char q[128];
		sc_quote(q, sizeof q, it->set);
		sc_error(r->d, it->span, "unknown set '@%s'", q);
	}
	return s;
}

static void build_set_graph(sc_resolver *r, sc_graph *g)
{
	uint32_t n = (uint32_t)r->sets.n, edges = 0;
	for (uint32_t i = 0; i < n; i++)
		edges += ((sc_setdecl *)r->sets.v[i])->stmt->nitems;
	graph_alloc(r, g, n, edges);
	uint32_t e = 0;
	for (uint32_t i = 0; i < n; i++) {
		sc_stmt *s = ((sc_setdecl *)r->sets.v[i])->stmt;
		g->row[i] = e;
		for (uint32_t k = 0; k < s->nitems; k++) {
			if (!s->items[k]->is_set)
				continue;
			sc_setdecl *ref = lookup_set(r, s->items[k]);
			if (!ref)
				continue;
			g->to[e] = ref->id;
			g->span[e++] = s->items[k]->span;
		}
	}
	g->row[n] = e;
}

/* Compiles every regex of a condition tree.  Conditions are at most
 * SC_MAX_COND_DEPTH deep (checked by the parser), so recursion is bounded. */
static void compile_regexes(sc_resolver *r, sc_cond *c)
{
	c->depth = 1;
	for (uint32_t i = 0; i < c->nkids; i++) {
		compile_regexes(r, c->kids[i]);
		if (c->kids[i]->depth + 1 > c->depth)
			c->depth = c->kids[i]->depth + 1;
	}
	if (c->op != SC_C_MATCHES || c->regex)
		return;
	int err;
	PCRE2_SIZE erroff;
	uint32_t opts = PCRE2_ANCHORED | PCRE2_ENDANCHORED | (c->caseless ? PCRE2_CASELESS : 0);
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)c->value.s, c->value.n, opts, &err, &erroff, NULL);
	if (!code) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(err, msg, sizeof msg);
		sc_span at = c->value_span;
		at.off += 1 + (uint32_t)(erroff < c->value.n ? erroff : c->value.n);
		at.len = 1;
		sc_error(r->d, at, "invalid regex: %s (at offset %zu)", (const char *)msg, (size_t)erroff);
		return;
	}
	(void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE); /* interpreter if no JIT */
	c->regex = code;
	sc_vec_push(&r->regexes, c);
}

static void check_items(sc_resolver *r, sc_ast_item **items, uint32_t n, bool refs_checked)
{
	for (uint32_t i = 0; i < n; i++) {
		if (items[i]->is_set && !refs_checked)
			lookup_set(r, items[i]);
		if (items[i]->cond)
			compile_regexes(r, items[i]->cond);
	}
}

static void check_all(sc_resolver *r, uint32_t **set_order)
{
	sc_graph tg, sg;
	build_extends_graph(r, &tg);
	graph_postorder(r, &tg, "extends", task_name, "");
	build_set_graph(r, &sg);
	*set_order = graph_postorder(r, &sg, "set", set_name, "@");
	for (size_t i = 0; i < r->sets.n; i++) {
		sc_stmt *s = ((sc_setdecl *)r->sets.v[i])->stmt;
		check_items(r, s->items, s->nitems, true);
	}
	for (size_t i = 0; i < r->stmts.n; i++) {
		sc_stmt *s = r->stmts.v[i];
		if (s->kind != SC_S_TASK)
			continue;
		for (uint32_t k = 0; k < s->nclauses; k++)
			check_items(r, s->clauses[k]->items, s->clauses[k]->nitems, false);
	}
}

/* ---- 4. expand ------------------------------------------------------- */

/* The condition of an item reached through `@SET when OUTER`.  Nesting
 * sets nests ANDs, so the depth bound of conditions (everything that walks
 * them may recurse that deep) is enforced here too. */
static const sc_cond *cond_and(sc_resolver *r, const sc_cond *outer, const sc_cond *inner, sc_span where)
{
	if (!outer)
		return inner;
	if (!inner)
		return outer;
	uint32_t depth = 1 + (outer->depth > inner->depth ? outer->depth : inner->depth);
	if (depth > SC_MAX_COND_DEPTH) {
		if (!r->too_deep)
			sc_error(r->d, where, "conditions nest deeper than %d levels through set references",
				 SC_MAX_COND_DEPTH);
		r->too_deep = true;
		return outer;
	}
	sc_cond *c = sc_arena_alloc(r->a, sizeof *c);
	c->op = SC_C_AND;
	c->span = outer->span;
	c->kids = sc_arena_array(r->a, 2, sizeof *c->kids);
	c->kids[0] = (sc_cond *)outer;
	c->kids[1] = (sc_cond *)inner;
	c->nkids = 2;
	c->depth = depth;
	return c;
}

static void too_many_items(sc_resolver *r, sc_span where)
{
	if (!r->too_many)
		sc_error(r->d, where, "policy expands to more than %u items (sets referenced too often?)",
			 SC_MAX_ITEMS);
	r->too_many = true;
}

/* Expands one set; the sets it references are already expanded. */
static void expand_set(sc_resolver *r, sc_setdecl *set)
{
	sc_stmt *s = set->stmt;
	uint64_t total = 0;
	for (uint32_t k = 0; k < s->nitems; k++) {
		sc_ast_item *it = s->items[k];
		total += it->is_set ? ((sc_setdecl *)sc_map_get(&r->set_names, it->set))->nprotos : 1;
	}
	if (total > SC_MAX_ITEMS) {
		too_many_items(r, s->name.span);
		return;
	}
	set->protos = sc_arena_array(r->a, total ? total : 1, sizeof *set->protos);
	uint32_t n = 0;
	for (uint32_t k = 0; k < s->nitems; k++) {
		sc_ast_item *it = s->items[k];
		if (!it->is_set) {
			set->protos[n++] = (sc_proto){ it->action, it->resource, it->has_resource,
						       it->cond, it->span, { 0, 0, 0 }, it };
			continue;
		}
		sc_setdecl *ref = sc_map_get(&r->set_names, it->set);
		for (uint32_t j = 0; j < ref->nprotos; j++) {
			sc_proto p = ref->protos[j];
			p.cond = cond_and(r, it->cond, p.cond, it->span);
			p.via = it->span; /* the outermost reference wins */
			set->protos[n++] = p;
		}
	}
	set->nprotos = n;
}

static sc_item *new_item(sc_resolver *r, sc_kind kind, sc_span where)
{
	if (r->nitems == SC_MAX_ITEMS) {
		too_many_items(r, where);
		return NULL;
	}
	if (r->nitems == r->capitems) {
		uint32_t cap = r->capitems ? r->capitems * 2 : 64;
		sc_item *v = realloc(r->items, (size_t)cap * sizeof *v);
		if (!v)
			sc_fatal_oom();
		r->items = v;
		r->capitems = cap;
	}
	sc_item *it = &r->items[r->nitems];
	memset(it, 0, sizeof *it);
	it->kind = kind;
	it->index = r->nitems++;
	return it;
}

static void expand_clause(sc_resolver *r, const sc_ast_clause *cl)
{
	for (uint32_t k = 0; k < cl->nitems && !r->too_many; k++) {
		const sc_ast_item *a = cl->items[k];
		if (!a->is_set) {
			sc_item *it = new_item(r, cl->kind, a->span);
			if (!it)
				return;
			it->action = a->action;
			it->resource = a->resource;
			it->has_resource = a->has_resource;
			it->cond = a->cond;
			it->span = a->span;
			it->ast = a;
			continue;
		}
		const sc_setdecl *set = sc_map_get(&r->set_names, a->set);
		for (uint32_t j = 0; j < set->nprotos; j++) {
			sc_item *it = new_item(r, cl->kind, a->span);
			if (!it)
				return;
			const sc_proto *p = &set->protos[j];
			it->action = p->action;
			it->resource = p->resource;
			it->has_resource = p->has_resource;
			it->cond = cond_and(r, a->cond, p->cond, a->span);
			it->span = p->span;
			it->via = a->span;
			it->ast = p->ast;
		}
	}
}

static void expand_all(sc_resolver *r, const uint32_t *set_order)
{
	for (size_t i = 0; i < r->sets.n && !r->too_many; i++)
		expand_set(r, r->sets.v[set_order[i]]);
	for (size_t i = 0; i < r->stmts.n && !r->too_many; i++) {
		sc_stmt *s = r->stmts.v[i];
		if (s->kind != SC_S_TASK)
			continue;
		uint32_t start = r->nitems;
		for (uint32_t k = 0; k < s->nclauses; k++)
			expand_clause(r, s->clauses[k]);
		if (s->star) {
			sc_vec_push(&r->star_ranges, (void *)(uintptr_t)start);
			sc_vec_push(&r->star_ranges, (void *)(uintptr_t)r->nitems);
		} else {
			sc_taskdecl *t = sc_map_get(&r->task_names, s->name.name);
			if (t && t->stmt == s) {
				t->own_start = start;
				t->own_end = r->nitems;
			}
		}
	}
}

/* Marks the sets reachable from task clauses (worklist, no recursion). */
static void mark_used_sets(sc_resolver *r)
{
	sc_vec work = { 0 };
	for (size_t i = 0; i < r->stmts.n; i++) {
		sc_stmt *s = r->stmts.v[i];
		if (s->kind != SC_S_TASK)
			continue;
		for (uint32_t k = 0; k < s->nclauses; k++)
			for (uint32_t j = 0; j < s->clauses[k]->nitems; j++)
				if (s->clauses[k]->items[j]->is_set)
					sc_vec_push(&work, sc_map_get(&r->set_names, s->clauses[k]->items[j]->set));
	}
	while (work.n) {
		sc_setdecl *set = work.v[--work.n];
		if (!set || set->used)
			continue;
		set->used = true;
		for (uint32_t j = 0; j < set->stmt->nitems; j++)
			if (set->stmt->items[j]->is_set)
				sc_vec_push(&work, sc_map_get(&r->set_names, set->stmt->items[j]->set));
	}
	sc_vec_free(&work);
}

/* ---- 5. flatten ------------------------------------------------------ */

typedef struct { uint32_t start, end; } sc_range;

static int range_cmp(const void *a, const void *b)
{
	const sc_range *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

static int task_cmp(const void *a, const void *b)
{
	return sc_str_cmp(((const sc_task *)a)->name, ((const sc_task *)b)->name);
}

/* The ranges of task T: its own, its ancestors' (each once) and `task *`'s.
 * MARK is a per-task scratch array of visit stamps. */
static uint32_t collect_ranges(sc_resolver *r, uint32_t t, uint32_t *mark, uint32_t stamp,
			       uint32_t *stack, sc_range *out)
{
	uint32_t n = 0, top = 0;
	stack[top++] = t;
	mark[t] = stamp;
	while (top) {
		sc_taskdecl *d = r->tasks.v[stack[--top]];
		out[n++] = (sc_range){ d->own_start, d->own_end };
		for (uint32_t k = 0; k < d->stmt->nextends; k++) {
			sc_taskdecl *p = sc_map_get(&r->task_names, d->stmt->extends[k].name);
			if (mark[p->id] != stamp) {
				mark[p->id] = stamp;
				stack[top++] = p->id;
			}
		}
	}
	for (size_t i = 0; i + 1 < r->star_ranges.n; i += 2)
		out[n++] = (sc_range){ (uint32_t)(uintptr_t)r->star_ranges.v[i],
				       (uint32_t)(uintptr_t)r->star_ranges.v[i + 1] };
	qsort(out, n, sizeof *out, range_cmp);
	return n;
}

static sc_policy *flatten(sc_resolver *r)
{
	sc_policy *p = sc_arena_alloc(r->a, sizeof *p);
	p->arena = r->a;
	p->nitems = r->nitems;
	p->items = sc_arena_array(r->a, r->nitems ? r->nitems : 1, sizeof *p->items);
	if (r->nitems)
		memcpy(p->items, r->items, (size_t)r->nitems * sizeof *p->items);
	uint32_t nt = (uint32_t)r->tasks.n;
	p->ntasks = nt;
	p->tasks = sc_arena_array(r->a, nt ? nt : 1, sizeof *p->tasks);
	size_t nranges_max = nt + r->star_ranges.n / 2 + 1;
	uint32_t *mark = calloc(nt ? nt : 1, sizeof *mark);
	uint32_t *stack = malloc((nt ? nt : 1) * sizeof *stack);
	sc_range *ranges = malloc(nranges_max * sizeof *ranges);
	if (!mark || !stack || !ranges)
		sc_fatal_oom();
	uint64_t total = 0;
	for (uint32_t t = 0; t < nt && !r->too_many; t++) {
		uint32_t n = collect_ranges(r, t, mark, t + 1, stack, ranges);
		uint64_t count = 0;
		for (uint32_t i = 0; i < n; i++)
			count += ranges[i].end - ranges[i].start;
		total += count;
		if (total > SC_MAX_TASK_ITEMS) {
			sc_taskdecl *d = r->tasks.v[t];
			sc_error(r->d, d->stmt->name.span,
				 "tasks inherit more than %u items in all (deep extends of large tasks?)",
				 SC_MAX_TASK_ITEMS);
			r->too_many = true;
			break;
		}
		sc_task *task = &p->tasks[t];
		sc_taskdecl *d = r->tasks.v[t];
		task->name = d->stmt->name.name;
		task->span = d->stmt->name.span;
		task->nitems = (uint32_t)count;
		task->bare = d->stmt->nclauses == 0 && d->stmt->nextends == 0;
		task->items = sc_arena_array(r->a, count ? count : 1, sizeof *task->items);
		uint32_t o = 0;
		for (uint32_t i = 0; i < n; i++)
			for (uint32_t k = ranges[i].start; k < ranges[i].end; k++)
				task->items[o++] = &p->items[k];
	}
	free(mark);
	free(stack);
	free(ranges);
	qsort(p->tasks, nt, sizeof *p->tasks, task_cmp);
	p->nexpects = (uint32_t)r->expects.n;
	p->expects = sc_arena_array(r->a, r->expects.n ? r->expects.n : 1, sizeof *p->expects);
	for (size_t i = 0; i < r->expects.n; i++) {
		sc_stmt *s = r->expects.v[i];
		sc_expect *e = &p->expects[i];
		e->span = s->span;
		e->decision = s->expect;
		e->task = s->task.name;
		e->task_span = s->task.span;
		e->action = s->action.name;
		e->resource = s->has_resource ? s->resource.name : (sc_str){ "", 0 };
		e->attrs = s->attrs;
		e->nattrs = s->nattrs;
	}
	p->nregex = (uint32_t)r->regexes.n;
	p->regex_conds = (sc_cond **)sc_vec_seal(&r->regexes, r->a);
	mark_used_sets(r);
	p->root_file = (uint32_t)(uintptr_t)r->files.v[0];
	p->nsets = (uint32_t)r->sets.n;
	p->sets = sc_arena_array(r->a, r->sets.n ? r->sets.n : 1, sizeof *p->sets);
	for (size_t i = 0; i < r->sets.n; i++) {
		sc_setdecl *set = r->sets.v[i];
		p->sets[i] = (sc_setinfo){ set->stmt->name.name, set->stmt->name.span, set->used };
	}
	return p;
}

/* ---- driver ---------------------------------------------------------- */

static void resolver_fini(sc_resolver *r)
{
	sc_vec_free(&r->stmts);
	sc_vec_free(&r->files);
	sc_vec_free(&r->tasks);
	sc_vec_free(&r->sets);
	sc_vec_free(&r->stars);
	sc_vec_free(&r->star_ranges);
	sc_vec_free(&r->expects);
	sc_map_fini(&r->task_names);
	sc_map_fini(&r->set_names);
	sc_map_fini(&r->broken);
	free(r->items);
}

static void free_regexes(sc_cond **conds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		pcre2_code_free(conds[i]->regex);
		conds[i]->regex = NULL;
	}
}

static sc_policy *resolve_root(sc_diag *d, uint32_t root, const sc_fileops *ops)
{
	sc_resolver r;
	memset(&r, 0, sizeof r);
	r.d = d;
	r.ops = ops ? ops : &fs_ops;
	r.a = sc_arena_new();
	sc_map_init(&r.task_names);
	sc_map_init(&r.set_names);
	sc_map_init(&r.broken);
	unsigned errors = d->errors;
	sc_policy *p = NULL;
	bool deferred = d->defer;
	sc_diag_defer(d);
	load_statements(&r, root);
	/* Declarations and references are checked even after syntax errors
	 * (the names of dropped statements are known, see parse.c), so that
	 * one run reports every independent error. */
	uint32_t *set_order = NULL;
	declare_all(&r);
	check_all(&r, &set_order);
	if (d->errors == errors) {
		expand_all(&r, set_order);
		if (d->errors == errors)
			p = flatten(&r);
	}
	if (!deferred)
		sc_diag_flush(d);
	if (!p) {
		free_regexes((sc_cond **)r.regexes.v, r.regexes.n);
		sc_vec_free(&r.regexes);
		resolver_fini(&r);
		sc_arena_free(r.a);
		return NULL;
	}
	resolver_fini(&r);
	if (d->errors != errors) {
		sc_policy_free(p);
		return NULL;
	}
	return p;
}

sc_policy *sc_resolve_files(sc_diag *d, const char *const *paths, size_t npaths)
{
	if (npaths != 1) {
		sc_error(d, SC_NOWHERE, "a policy has exactly one root file");
		return NULL;
	}
	uint32_t id = sc_diag_load(d, paths[0]);
	if (!id) {
		sc_error(d, SC_NOWHERE, "cannot read '%s': %s", paths[0], sc_diag_load_strerror(errno));
		return NULL;
	}
	return resolve_root(d, id, NULL);
}

sc_policy *sc_resolve_loaded(sc_diag *d, uint32_t root, const sc_fileops *ops)
{
	return resolve_root(d, root, ops);
}

sc_policy *sc_resolve_text(sc_diag *d, const char *name, const char *text, size_t len)
{
	uint32_t id = sc_diag_add(d, name, text, len);
	d->src[id].real = strdup(name);
	if (!d->src[id].real)
		sc_fatal_oom();
	return resolve_root(d, id, NULL);
}

/* ---- policy helpers -------------------------------------------------- */

const char *const sc_kind_names[3] = { "allow", "ask", "deny" };
const char *const sc_clause_names[3] = { "allows", "asks", "denies" };

const sc_task *sc_policy_find_task(const sc_policy *p, sc_str name)
{
	size_t lo = 0, hi = p->ntasks;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = sc_str_cmp(p->tasks[mid].name, name);
		if (c == 0)
			return &p->tasks[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void sc_policy_free(sc_policy *p)
{
	if (!p)
		return;
	free_regexes(p->regex_conds, p->nregex);
	sc_arena_free(p->arena);
}
