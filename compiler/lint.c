/* lint.c — see lint.h.  One function per lint. */
#include "lint.h"
#include "lint_util.h"
#include "explain.h"
#include "glob.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>

const char *const sc_lint_ids[SC_LINT_COUNT] = {
#define SC_X(e, id, desc) id,
	SC_LINTS(SC_X)
#undef SC_X
};

const char *const sc_lint_descriptions[SC_LINT_COUNT] = {
#define SC_X(e, id, desc) desc,
	SC_LINTS(SC_X)
#undef SC_X
};

static bool has_wildcard(sc_str s)
{
	return memchr(s.s, '*', s.n) || memchr(s.s, '?', s.n);
}

static bool all_double_star(sc_str s)
{
	if (s.n < 2)
		return false;
	for (size_t i = 0; i < s.n; i++)
		if (s.s[i] != '*')
			return false;
	return true;
}

bool sc_glob_covers(sc_str d, sc_str x)
{
	if (!has_wildcard(x))
		return sc_glob_match(d.s, d.n, x.s, x.n);
	if (all_double_star(d))
		return true;
	/* D = literal P followed by **: covers every X that starts with P. */
	if (d.n >= 2 && d.s[d.n - 1] == '*' && d.s[d.n - 2] == '*') {
		sc_str p = { d.s, d.n };
		while (p.n && p.s[p.n - 1] == '*')
			p.n--;
		if (!has_wildcard(p) && x.n >= p.n && memcmp(x.s, p.s, p.n) == 0 &&
		    !has_wildcard((sc_str){ x.s, p.n }))
			return true;
	}
	return sc_str_eq(d, x);
}

/* An item with no resource pattern matches every resource. */
static bool resource_covers(const sc_item *d, const sc_item *x)
{
	if (!d->has_resource)
		return true;
	if (!x->has_resource)
		return all_double_star(d->resource);
	return sc_glob_covers(d->resource, x->resource);
}

static void lint_grants_everything(sc_diag *d, const sc_item *it)
{
	if (it->kind == SC_DENY || it->cond || !all_double_star(it->action))
		return;
	if (!it->has_resource || all_double_star(it->resource))
		sc_warning(d, sc_lint_ids[SC_LINT_GRANTS_EVERYTHING], it->span, "'%s **' grants every action on every resource; "
			   "name the actions this task needs", sc_clause_names[it->kind]);
	else
		sc_warning(d, sc_lint_ids[SC_LINT_GRANTS_EVERYTHING], it->span, "'%s **' grants every action (delete, config changes, ...) "
			   "on these resources; name the actions this task needs", sc_clause_names[it->kind]);
}

static void lint_empty_action(sc_diag *d, const sc_item *it)
{
	if (it->action.n == 0)
		sc_warning(d, sc_lint_ids[SC_LINT_EMPTY_ACTION], it->span, "the action pattern \"\" never matches: actions are never empty");
}

/* Conditions of a set are shared by every item expanded from it: each is
 * reported once, by its span. */
typedef struct sc_seen {
	sc_span span[256];
	size_t n;
} sc_seen;

static bool already_reported(sc_seen *seen, sc_span sp)
{
	for (size_t i = 0; i < seen->n; i++)
		if (seen->span[i].file == sp.file && seen->span[i].off == sp.off && seen->span[i].len == sp.len)
			return true;
	if (seen->n < sizeof seen->span / sizeof seen->span[0])
		seen->span[seen->n++] = sp;
	return false;
}

/* k == "a" and k == "b" (or k == "a" and k != "a") inside one `and`. */
static void lint_cond(sc_diag *d, sc_seen *seen, const sc_cond *c)
{
	for (uint32_t i = 0; i < c->nkids; i++)
		lint_cond(d, seen, c->kids[i]);
	if (c->op == SC_C_OR) {
		for (uint32_t i = 0; i < c->nkids; i++)
			for (uint32_t j = 0; j < c->nkids; j++) {
				const sc_cond *a = c->kids[i], *b = c->kids[j];
				if (a->op == SC_C_HAS && b->op == SC_C_NOT && b->kids[0]->op == SC_C_HAS &&
				    sc_str_eq(a->key, b->kids[0]->key) && !already_reported(seen, c->span)) {
					sc_warning(d, sc_lint_ids[SC_LINT_ALWAYS_TRUE], c->span,
						   "this condition is always true (has k or not has k); "
						   "the item applies unconditionally");
					return;
				}
			}
		return;
	}
	if (c->op != SC_C_AND)
		return;
	for (uint32_t i = 0; i < c->nkids; i++) {
		const sc_cond *a = c->kids[i];
		if (a->op != SC_C_EQ)
			continue;
		for (uint32_t j = 0; j < c->nkids; j++) {
			const sc_cond *b = c->kids[j];
			if (j == i || !sc_str_eq(a->key, b->key))
				continue;
			bool never = (b->op == SC_C_EQ && j > i && !sc_str_eq(a->value, b->value)) ||
				     (b->op == SC_C_NE && sc_str_eq(a->value, b->value));
			if (never) {
				if (!already_reported(seen, c->span))
					sc_warning(d, sc_lint_ids[SC_LINT_NEVER_TRUE], c->span,
						   "this condition is never true (an attribute has one value); "
						   "it is false or, when the attribute is missing, unknown");
				return;
			}
		}
	}
}

static void lint_regex(sc_diag *d, const sc_cond *c, pcre2_match_data *md)
{
	if (pcre2_match(c->regex, (PCRE2_SPTR) "", 0, 0, 0, md, NULL) >= 0)
		sc_warning(d, sc_lint_ids[SC_LINT_EMPTY_REGEX], c->span, "regex /%.*s/ matches the empty string: an empty value passes this test",
			   (int)(c->value.n > 60 ? 60 : c->value.n), c->value.s);
}

static void lint_tasks(sc_diag *d, const sc_policy *p)
{
	for (uint32_t t = 0; t < p->ntasks; t++) {
		const sc_task *task = &p->tasks[t];
		bool grants = task->bare; /* "task x" alone: deliberately no authority */
		for (uint32_t i = 0; i < task->nitems && !grants; i++)
			grants = task->items[i]->kind != SC_DENY;
		if (!grants) {
			char q[128];
			sc_quote(q, sizeof q, task->name);
			sc_warning(d, sc_lint_ids[SC_LINT_GRANTS_NOTHING], task->span, "task '%s' grants nothing: every request is denied", q);
		}
	}
}

static void lint_sets(sc_diag *d, const sc_policy *p)
{
	/* a library file may define sets for other policies: only the root's */
	for (uint32_t i = 0; i < p->nsets; i++)
		if (!p->sets[i].used && p->sets[i].span.file == p->root_file) {
			char q[128];
			sc_quote(q, sizeof q, p->sets[i].name);
			sc_warning(d, sc_lint_ids[SC_LINT_UNUSED_SET], p->sets[i].span, "set '@%s' is never used by a task", q);
		}
}

/* Work bound for the pairwise shadow lint; beyond it, silence. */
#define SC_SHADOW_BUDGET 4000000u

/* The unconditional deny of TASK covering X (X is then never effective). */
static const sc_item *covering_deny(const sc_task *task, const sc_item *x)
{
	if (x->kind == SC_DENY)
		return NULL;
	for (uint32_t i = 0; i < task->nitems; i++) {
		const sc_item *dn = task->items[i];
		if (dn->kind == SC_DENY && !dn->cond && sc_glob_covers(dn->action, x->action) &&
		    resource_covers(dn, x))
			return dn;
	}
	return NULL;
}

static bool covers(const sc_item *y, const sc_item *x)
{
	return sc_glob_covers(y->action, x->action) && resource_covers(y, x);
}

/* An unconditional item of X's kind in TASK covering X (X adds nothing).
 * Of two items covering each other, the later one is the redundant one. */
static const sc_item *covering_same(const sc_task *task, const sc_item *x)
{
	for (uint32_t i = 0; i < task->nitems; i++) {
		const sc_item *y = task->items[i];
		if (y != x && y->kind == x->kind && !y->cond && covers(y, x) &&
		    (y->index < x->index || x->cond || !covers(x, y)))
			return y;
	}
	return NULL;
}

/* A string a pattern matches: each run of stars and each ? becomes 'a'. */
static size_t fill_wildcards(sc_str pat, char *out, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < pat.n && n < cap - 1; i++) {
		if (pat.s[i] == '*' && i > 0 && pat.s[i - 1] == '*')
			continue;
		out[n++] = pat.s[i] == '*' || pat.s[i] == '?' ? 'a' : pat.s[i];
	}
	return n;
}

/* A request matched by X's patterns (wildcards filled minimally), in the
 * eval syntax, into BUF; "" if none could be built. */
static void witness(const sc_task *task, const sc_item *x, const sc_item *cover, char *buf, size_t cap)
{
	char a[256], r[256];
	buf[0] = '\0';
	size_t na = fill_wildcards(x->action, a, sizeof a);
	size_t nr = x->has_resource ? fill_wildcards(x->resource, r, sizeof r) : 0;
	sc_request rq = { task->name, { a, na }, { r, nr }, NULL, 0 };
	bool ok = sc_glob_match(x->action.s, x->action.n, a, na) && sc_glob_match(cover->action.s, cover->action.n, a, na) &&
		  (!x->has_resource || sc_glob_match(x->resource.s, x->resource.n, r, nr)) &&
		  (!cover->has_resource || sc_glob_match(cover->resource.s, cover->resource.n, r, nr));
	if (ok)
		sc_request_format(&rq, buf, cap);
}

/* Items that never matter: an allows/asks item that denies always override
 * (shadowed), or an item that another of its kind always covers
 * (redundant) -- in every task that contains it. */
static void lint_covered(sc_diag *d, const sc_policy *p)
{
	uint64_t work = 0;
	for (uint32_t t = 0; t < p->ntasks; t++)
		work += (uint64_t)p->tasks[t].nitems * p->tasks[t].nitems;
	if (work > SC_SHADOW_BUDGET)
		return;
	enum { UNSEEN, COVERED, EFFECTIVE };
	const sc_item **deny_by = sc_xcalloc(p->nitems, sizeof *deny_by);
	const sc_item **same_by = sc_xcalloc(p->nitems, sizeof *same_by);
	const sc_task **in_task = sc_xcalloc(p->nitems, sizeof *in_task);
	unsigned char *shadow = sc_xcalloc(p->nitems, 1), *redundant = sc_xcalloc(p->nitems, 1);
	for (uint32_t t = 0; t < p->ntasks; t++) {
		const sc_task *task = &p->tasks[t];
		for (uint32_t i = 0; i < task->nitems; i++) {
			const sc_item *x = task->items[i];
			uint32_t k = x->index;
			in_task[k] = in_task[k] ? in_task[k] : task;
			if (shadow[k] != EFFECTIVE) {
				const sc_item *dn = covering_deny(task, x);
				shadow[k] = dn ? COVERED : EFFECTIVE;
				deny_by[k] = deny_by[k] ? deny_by[k] : dn;
			}
			if (redundant[k] != EFFECTIVE) {
				const sc_item *y = covering_same(task, x);
				redundant[k] = y ? COVERED : EFFECTIVE;
				same_by[k] = same_by[k] ? same_by[k] : y;
			}
		}
	}
	for (uint32_t i = 0; i < p->nitems; i++) {
		const sc_item *x = &p->items[i];
		char w[512];
		if (shadow[i] == COVERED) {
			witness(in_task[i], x, deny_by[i], w, sizeof w);
			sc_warning(d, sc_lint_ids[SC_LINT_SHADOWED], x->span,
				   "this %s item never takes effect: every request it matches is denied%s%s%s",
				   sc_clause_names[x->kind], *w ? " (e.g. " : "", w, *w ? ")" : "");
			sc_note(d, deny_by[i]->span, "denied by this item");
		} else if (redundant[i] == COVERED) {
			witness(in_task[i], x, same_by[i], w, sizeof w);
			sc_warning(d, sc_lint_ids[SC_LINT_REDUNDANT], x->span,
				   "this %s item is redundant: another %s item matches every request it does%s%s%s",
				   sc_clause_names[x->kind], sc_clause_names[x->kind], *w ? " (e.g. " : "", w,
				   *w ? ")" : "");
			sc_note(d, same_by[i]->span, "covered by this item");
		}
	}
	free(deny_by);
	free(same_by);
	free(in_task);
	free(shadow);
	free(redundant);
}

/* `allows delete **`: one action on every resource there is. */
static void lint_broad_root(sc_diag *d, const sc_item *it)
{
	if (it->kind == SC_DENY || it->cond || !it->has_resource || all_double_star(it->action))
		return;
	sc_str r = it->resource;
	size_t n = r.n;
	while (n && r.s[n - 1] == '*')
		n--;
	bool broad = r.n - n >= 2 && (n == 0 || (n == 1 && r.s[0] == '/') ||
				      (n >= 3 && memcmp(r.s + n - 3, "://", 3) == 0 && !memchr(r.s, '.', n)));
	if (broad)
		sc_warning(d, sc_lint_ids[SC_LINT_BROAD_ROOT], it->span,
			   "'%.*s' grants this action on every resource under a root; name the part it needs",
			   (int)(r.n > 40 ? 40 : r.n), r.s);
}

/* Invisible and bidirectional control characters can make a policy read
 * differently from what it says (the "Trojan Source" trick). */
static void lint_invisible(sc_diag *d, uint32_t file)
{
	const sc_source *src = sc_diag_source(d, file);
	const unsigned char *s = (const unsigned char *)src->text;
	for (size_t i = 0; i + 2 < src->len + 1 && i + 2 <= src->len; i++) {
		unsigned cp = 0;
		if (s[i] == 0xE2 && i + 2 < src->len + 1 && (s[i + 1] & 0xC0) == 0x80 && (s[i + 2] & 0xC0) == 0x80)
			cp = 0x2000u | ((unsigned)(s[i + 1] & 0x3F) << 6) | (s[i + 2] & 0x3F);
		else if (s[i] == 0xEF && s[i + 1] == 0xBB && s[i + 2] == 0xBF)
			cp = 0xFEFF;
		bool bad = (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E) ||
			   (cp >= 0x2060 && cp <= 0x2069) || cp == 0xFEFF;
		if (bad) {
			sc_span at = { file, (uint32_t)i, 3 };
			sc_warning(d, sc_lint_ids[SC_LINT_INVISIBLE], at, "invisible or bidirectional control character U+%04X: it can hide "
				   "what this line really says", cp);
		}
	}
}

static void lint_confusable(sc_diag *d, const sc_policy *p)
{
	for (uint32_t t = 0; t < p->ntasks; t++) {
		sc_str n = p->tasks[t].name;
		bool ascii_letter = false, high = false;
		for (size_t i = 0; i < n.n; i++) {
			unsigned char c = (unsigned char)n.s[i];
			ascii_letter |= (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
			high |= c >= 0x80;
		}
		if (ascii_letter && high)
			sc_warning(d, sc_lint_ids[SC_LINT_CONFUSABLE], p->tasks[t].span, "task name mixes ASCII letters with non-ASCII characters; "
				   "a look-alike letter would make it a different task");
	}
}

void sc_lint(sc_diag *d, const sc_policy *p)
{
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	if (!md)
		sc_fatal_oom();
	for (uint32_t f = 1; f < d->nsrc; f++)
		lint_invisible(d, f);
	for (uint32_t i = 0; i < p->nitems; i++) {
		const sc_item *it = &p->items[i];
		lint_grants_everything(d, it);
		lint_broad_root(d, it);
		lint_empty_action(d, it);
	}
	sc_seen seen = { .n = 0 };
	for (uint32_t i = 0; i < p->nitems; i++)
		if (p->items[i].cond && (i == 0 || p->items[i].cond != p->items[i - 1].cond))
			lint_cond(d, &seen, p->items[i].cond);
	for (uint32_t i = 0; i < p->nregex; i++)
		lint_regex(d, p->regex_conds[i], md);
	lint_tasks(d, p);
	lint_sets(d, p);
	lint_covered(d, p);
	lint_confusable(d, p);
	sc_lint_ctx lc;
	sc_lint_ctx_init(&lc, d, p);
	sc_lint_conditions(&lc);
	sc_lint_traps(&lc);
	sc_lint_ctx_fini(&lc);
	pcre2_match_data_free(md);
}
