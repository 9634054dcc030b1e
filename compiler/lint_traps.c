/*
 * lint_traps.c — lints for mistakes that fail open: text that parses and
 * reads as intended but grants more than the author meant (a missing
 * comma, a deny ending in `/` `*`, a shell `**`, ...).  See lint.h for the rule ids.
 *
 * Every lint here is confirmed with the reference evaluator where it can
 * be: the warning quotes a request the policy really decides the surprising
 * way (the witness).  Witness decisions are linear in a task's items, so
 * their total work is bounded (WITNESS_BUDGET); past the budget a lint stays
 * silent rather than make `check` quadratic on huge policies.
 */
#include "lint.h"
#include "lint_util.h"
#include "explain.h"
#include "glob.h"
#include "map.h"
#include "parse.h"

#include <stdlib.h>
#include <string.h>

/* ---- the missing comma: `denies git.push git.reset` -------------------- */

/* The first dot-segment of S (all of S without a dot). */
static sc_str first_segment(sc_str s)
{
	const char *dot = memchr(s.s, '.', s.n);
	return (sc_str){ s.s, dot ? (size_t)(dot - s.s) : s.n };
}

static size_t count_segments(sc_str s)
{
	size_t n = 1;
	for (size_t i = 0; i < s.n; i++)
		n += s.s[i] == '.';
	return n;
}

static bool is_wild(sc_str s)
{
	return memchr(s.s, '*', s.n) || memchr(s.s, '?', s.n);
}

/* Could S be written as an action?  Actions are dotted names (`git.push`,
 * `post`): a letter first, then letters, digits, `_`, `-`, `.` and
 * wildcards.  Paths, URLs, `~`, `user@host` and `key:value` are not. */
static bool looks_like_action(sc_str s)
{
	if (!s.n || !((s.s[0] | 0x20) >= 'a' && (s.s[0] | 0x20) <= 'z'))
		return false;
	for (size_t i = 0; i < s.n; i++) {
		unsigned char c = (unsigned char)s.s[i];
		bool ok = ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
			  c == '-' || c == '.' || c == '*' || c == '?';
		if (!ok)
			return false;
	}
	return true;
}

/* The distinct action patterns of the policy (literal ones by text, those
 * with wildcards by literal first segment) and the expect actions: what
 * "looks like an action of this policy" means. */
typedef struct action_index {
	sc_map by_segment;     /* first segment -> sc_vec * of sc_str *, wildcards only */
	sc_map seen;           /* action pattern -> non-NULL (dedup, and literal lookup) */
	sc_map expect_actions; /* expect action -> non-NULL */
	sc_vec buckets;        /* every sc_vec * above, to free */
} action_index;

/* Wildcard patterns checked per lookup: thousands of `git.x*.y*` are not
 * evidence of anything more than their first entries are. */
#define BUCKET_PROBES 64

static void index_actions(action_index *ix, const sc_policy *p)
{
	memset(ix, 0, sizeof *ix);
	sc_map_init(&ix->by_segment);
	sc_map_init(&ix->seen);
	sc_map_init(&ix->expect_actions);
	for (uint32_t i = 0; i < p->nitems; i++) {
		const sc_item *it = &p->items[i];
		sc_str seg = first_segment(it->action);
		if (!seg.n || is_wild(seg) || sc_map_put(&ix->seen, it->action, (void *)it) || !is_wild(it->action))
			continue;
		sc_vec *b = sc_map_get(&ix->by_segment, seg);
		if (!b) {
			b = sc_xcalloc(1, sizeof *b);
			sc_map_put(&ix->by_segment, seg, b);
			sc_vec_push(&ix->buckets, b);
		}
		if (b->n < BUCKET_PROBES)
			sc_vec_push(b, (void *)&it->action);
	}
	for (uint32_t i = 0; i < p->nexpects; i++)
		sc_map_put(&ix->expect_actions, p->expects[i].action, (void *)&p->expects[i]);
}

static void index_free(action_index *ix)
{
	for (size_t i = 0; i < ix->buckets.n; i++) {
		sc_vec_free(ix->buckets.v[i]);
		free(ix->buckets.v[i]);
	}
	sc_vec_free(&ix->buckets);
	sc_map_fini(&ix->by_segment);
	sc_map_fini(&ix->seen);
	sc_map_fini(&ix->expect_actions);
}

/* Is resource R of IT the second half of two items run together?  Yes if
 * R (wildcards filled) is matched by an action pattern of the policy, is
 * literally an action some expect uses, or -- in a denies clause, where the
 * mistake fails open -- is a literal dotted name in the action's own
 * family (`git.push git.reset`). */
static bool resource_is_action(const action_index *ix, const sc_item *it)
{
	sc_str r = it->resource;
	if (!looks_like_action(r))
		return false;
	char buf[256];
	size_t n = sc_lint_fill(r, buf, sizeof buf);
	if (n == SIZE_MAX)
		return false;
	if (sc_map_get(&ix->seen, (sc_str){ buf, n }))
		return true; /* an action of some item, literally */
	sc_vec *b = sc_map_get(&ix->by_segment, first_segment(r));
	for (size_t i = 0; b && i < b->n; i++) {
		const sc_str *a = b->v[i];
		if (sc_glob_match(a->s, a->n, buf, n))
			return true;
	}
	if (!is_wild(r) && sc_map_get(&ix->expect_actions, r))
		return true;
	return it->kind == SC_DENY && !is_wild(r) && !is_wild(first_segment(it->action)) &&
	       memchr(r.s, '.', r.n) && sc_str_eq(first_segment(r), first_segment(it->action)) &&
	       count_segments(r) == count_segments(it->action);
}

static void lint_missing_comma(sc_lint_ctx *lc)
{
	action_index ix;
	index_actions(&ix, lc->p);
	for (uint32_t i = 0; i < lc->p->nitems; i++) {
		const sc_item *it = &lc->p->items[i];
		const sc_ast_item *a = it->ast;
		if (!a || !it->has_resource || lc->dup[i] || sc_lint_quoted(lc->d, a->resource_span) ||
		    !resource_is_action(&ix, it))
			continue;
		sc_str at = sc_span_text(lc->d, a->action_span), rt = sc_span_text(lc->d, a->resource_span);
		char qa[128], qr[128], w[600] = "";
		sc_quote(qa, sizeof qa, at);
		sc_quote(qr, sizeof qr, rt);
		sc_result res;
		const sc_task *task = lc->task_of[i];
		bool have = task && sc_lint_witness(lc, task, it->action, (sc_str){ "", 0 }, NULL, 0, w, sizeof w, &res);
		char tail[700] = "";
		if (have)
			snprintf(tail, sizeof tail, "; as written, `%s` is %s", w, sc_lint_decided(res.decision));
		sc_span both = sc_span_join(a->action_span, a->resource_span);
		sc_warning(lc->d, sc_lint_ids[SC_LINT_MISSING_COMMA], both,
			   "'%s' is read as the resource of '%s', but it looks like an action: did you mean two "
			   "items? `%s, %s`%s", qr, qa, qa, qr, tail);
		sc_buf fix = { NULL, 0, 0 };
		sc_buf_printf(&fix, "%.*s, %.*s", (int)at.n, at.s, (int)rt.n, rt.s);
		sc_fixit(lc->d, both, fix.s);
		free(fix.s);
		if (have)
			sc_lint_note_decider(lc, &res);
		sc_lint_note_via(lc, it);
	}
	index_free(&ix);
}

/* ---- expects of undeclared tasks ---------------------------------------- */

/* Work bound for comparing expect task names with declared ones. */
#define NAME_BUDGET 2000000u

/* The declared task closest to NAME (one or two edits, and at most a third
 * of the name: `a` is not a typo of `b`), or NULL. */
static const sc_task *closest_task(const sc_policy *p, sc_str name)
{
	const sc_task *best = NULL;
	unsigned bestd = 3;
	for (uint32_t t = 0; t < p->ntasks; t++) {
		unsigned dist = sc_edit_distance(name, p->tasks[t].name, bestd - 1);
		if (dist < bestd && dist * 3 <= name.n) {
			best = &p->tasks[t];
			bestd = dist;
		}
	}
	return best;
}

/* An `expect deny` of an undeclared task passes whatever the policy says:
 * every request of an undeclared task is denied.  A name one or two edits
 * from a declared task is a typo that makes the test vacuous.  Names far
 * from every task are taken as deliberate tests of the default deny. */
static void lint_expect_tasks(sc_lint_ctx *lc)
{
	const sc_policy *p = lc->p;
	if ((uint64_t)p->nexpects * p->ntasks > NAME_BUDGET)
		return;
	for (uint32_t i = 0; i < p->nexpects; i++) {
		const sc_expect *e = &p->expects[i];
		if (sc_policy_find_task(p, e->task))
			continue;
		const sc_task *near = closest_task(p, e->task);
		if (!near)
			continue;
		char qe[128], qt[128];
		sc_quote(qe, sizeof qe, e->task);
		sc_quote(qt, sizeof qt, near->name);
		sc_warning(lc->d, sc_lint_ids[SC_LINT_EXPECT_UNKNOWN_TASK], e->task_span,
			   "task '%s' is not declared, so this expect tests only the default deny of undeclared "
			   "tasks; did you mean '%s'?", qe, qt);
		sc_lint_fixit_str(lc->d, e->task_span, near->name);
		sc_note(lc->d, near->span, "task '%s' is declared here", qt);
	}
}

/* ---- shallow denies: `denies fs.read /home/me/.ssh/` then `*` ----------- */

/* Offset of the single `*` in the last segment of R (after its last `/`,
 * or last `.` for a dotted name), or SIZE_MAX: a deny whose last segment
 * is matched by one `*` stops at that segment. */
static size_t last_segment_star(sc_str r)
{
	size_t cut = 0;
	bool path = memchr(r.s, '/', r.n) != NULL;
	for (size_t i = 0; i < r.n; i++)
		if (r.s[i] == '/' || (!path && r.s[i] == '.'))
			cut = i + 1;
	size_t star = SIZE_MAX;
	for (size_t i = cut; i < r.n; i++) {
		if (r.s[i] != '*')
			continue;
		if ((i + 1 < r.n && r.s[i + 1] == '*') || (i > cut && r.s[i - 1] == '*'))
			return SIZE_MAX; /* `**` already reaches deeper */
		star = star == SIZE_MAX ? i : star;
	}
	return cut == 0 ? SIZE_MAX : star;
}

/* R with the star at STAR replaced by DEEPER and the other wildcards
 * filled, into BUF; SIZE_MAX if it does not fit. */
static size_t deeper_name(sc_str r, size_t star, const char *deeper, char *buf, size_t cap)
{
	char head[256], tail[256];
	size_t nh = sc_lint_fill((sc_str){ r.s, star }, head, sizeof head);
	size_t nt = sc_lint_fill((sc_str){ r.s + star + 1, r.n - star - 1 }, tail, sizeof tail);
	size_t nd = strlen(deeper);
	if (nh == SIZE_MAX || nt == SIZE_MAX || nh + nd + nt + 1 > cap)
		return SIZE_MAX;
	memcpy(buf, head, nh);
	memcpy(buf + nh, deeper, nd);
	memcpy(buf + nh + nd, tail, nt);
	buf[nh + nd + nt] = '\0';
	return nh + nd + nt;
}

/* Reports DN if a name one level deeper than its `*` is not denied in TASK.
 * Returns true when it reported. */
static bool shallow_deny(sc_lint_ctx *lc, const sc_task *task, const sc_item *dn, size_t star)
{
	static const char *const deeper[] = { "x/y", "x.y" };
	bool path = memchr(dn->resource.s, '/', dn->resource.n) != NULL;
	for (int k = path ? 0 : 1; k < 2; k++) {
		char r[600], w[800];
		size_t n = deeper_name(dn->resource, star, deeper[k], r, sizeof r);
		if (n == SIZE_MAX || sc_glob_match(dn->resource.s, dn->resource.n, r, n))
			continue;
		sc_result res;
		if (!sc_lint_witness(lc, task, dn->action, (sc_str){ r, n }, NULL, 0, w, sizeof w, &res) ||
		    res.decision == SC_DENY)
			continue;
		sc_str rs = sc_span_text(lc->d, dn->ast->resource_span);
		char q[256];
		sc_quote(q, sizeof q, dn->resource);
		sc_warning(lc->d, sc_lint_ids[SC_LINT_SHALLOW_DENY], dn->ast->resource_span,
			   "'*' stops at '%c', so '%s' denies one level only: `%s` is %s; write '**' to deny "
			   "everything below", k == 0 ? '/' : '.', q, w, sc_lint_decided(res.decision));
		/* the fix doubles the star in the source text (quotes kept) */
		size_t at = star + (rs.n && rs.s[0] == '"');
		char fix[600];
		if (rs.n < sizeof fix - 2) {
			snprintf(fix, sizeof fix, "%.*s*%.*s", (int)at, rs.s, (int)(rs.n - at), rs.s + at);
			sc_fixit(lc->d, dn->ast->resource_span, fix);
		}
		sc_lint_note_decider(lc, &res);
		sc_lint_note_via(lc, dn);
		return true;
	}
	return false;
}

static void lint_shallow_denies(sc_lint_ctx *lc)
{
	unsigned char *done = sc_xcalloc(lc->p->nitems ? lc->p->nitems : 1, 1);
	for (uint32_t t = 0; t < lc->p->ntasks; t++) {
		const sc_task *task = &lc->p->tasks[t];
		for (uint32_t i = 0; i < task->nitems; i++) {
			const sc_item *dn = task->items[i];
			uint32_t k = dn->index;
			if (dn->kind != SC_DENY || !dn->has_resource || !dn->ast || done[k] || lc->dup[k])
				continue;
			size_t star = last_segment_star(dn->resource);
			if (star != SIZE_MAX && shallow_deny(lc, task, dn, star))
				done[k] = 1;
		}
	}
	free(done);
}

/* ---- `**` in command patterns ------------------------------------------- */

/* Actions that run a command line, as agent harnesses name them. */
static bool is_command_action(sc_str a)
{
	static const char *const names[] = { "bash", "sh", "zsh", "dash", "ksh", "fish", "shell", "exec",
					     "cmd", "powershell", "pwsh", "terminal", "command", "run_command",
					     "execute_command", "proc.run", "proc.exec", "process.run",
					     "shell.run", "shell.exec" };
	static const char *const suffixes[] = { ".exec", ".shell", ".bash", ".sh", ".run_command" };
	char low[64];
	if (a.n >= sizeof low)
		return false;
	for (size_t i = 0; i < a.n; i++)
		low[i] = (char)((a.s[i] >= 'A' && a.s[i] <= 'Z') ? a.s[i] | 0x20 : a.s[i]);
	sc_str l = { low, a.n };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (sc_str_eq(l, sc_str_c(names[i])))
			return true;
	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		size_t n = strlen(suffixes[i]);
		if (l.n > n && memcmp(l.s + l.n - n, suffixes[i], n) == 0)
			return true;
	}
	return false;
}

/* What a wildcard lets through when the command line is decided whole:
 * `**` anything, `*` anything without '.' and '/'. */
static const char *const smuggled[] = { "x; reboot", "x && reboot", "x | sh", "$(reboot)", "`reboot`" };

/* Tries each smuggled command in place of the wildcard run at [AT, END) of
 * IT's resource; reports the first one TASK allows.  True if reported. */
static bool shell_wildcard(sc_lint_ctx *lc, const sc_task *task, const sc_item *it, size_t at, size_t end)
{
	sc_str r = it->resource;
	char head[256], tail[256];
	size_t nh = sc_lint_fill((sc_str){ r.s, at }, head, sizeof head);
	size_t nt = sc_lint_fill((sc_str){ r.s + end, r.n - end }, tail, sizeof tail);
	if (nh == SIZE_MAX || nt == SIZE_MAX)
		return false;
	for (size_t s = 0; s < sizeof smuggled / sizeof smuggled[0]; s++) {
		char req[600], w[800];
		int n = snprintf(req, sizeof req, "%.*s%s%.*s", (int)nh, head, smuggled[s], (int)nt, tail);
		sc_result res;
		if (n < 0 || (size_t)n >= sizeof req || !sc_glob_match(r.s, r.n, req, (size_t)n) ||
		    !sc_lint_witness(lc, task, it->action, (sc_str){ req, (size_t)n }, NULL, 0, w, sizeof w, &res) ||
		    res.decision != SC_ALLOW)
			continue;
		/* the caret goes under the wildcard when the token spells it as is */
		sc_span sp = it->ast->resource_span;
		size_t off = at + sc_lint_quoted(lc->d, sp);
		sc_str raw = sc_span_text(lc->d, sp);
		if (off + (end - at) <= raw.n && memcmp(raw.s + off, r.s + at, end - at) == 0)
			sp = (sc_span){ sp.file, sp.off + (uint32_t)off, (uint32_t)(end - at) };
		sc_warning(lc->d, sc_lint_ids[SC_LINT_SHELL_WILDCARD], sp,
			   "'%s' in a command pattern also matches shell separators: `%s` is allowed; unless each "
			   "simple command is decided on its own (scopec hook claude-code splits `;`, `&&`, `||`, "
			   "`|` and `$(...)`), name the arguments instead", end - at >= 2 ? "**" : "*", w);
		sc_lint_note_via(lc, it);
		return true;
	}
	return false;
}

/* An allowed command pattern with a wildcard: a request that is not split
 * into simple commands can append a second command to the first.  Noise
 * control: the witness must really be allowed, so a policy that denies the
 * separators (`denies bash **;**, ...`) is not reported. */
static void lint_shell_wildcard(sc_lint_ctx *lc)
{
	for (uint32_t i = 0; i < lc->p->nitems; i++) {
		const sc_item *it = &lc->p->items[i];
		const sc_task *task = lc->task_of[i];
		if (it->kind != SC_ALLOW || !it->has_resource || !it->ast || lc->dup[i] || !task ||
		    !is_command_action(it->action))
			continue;
		sc_str r = it->resource;
		for (size_t at = 0; at < r.n; at++) {
			if (r.s[at] != '*')
				continue;
			size_t end = at;
			while (end < r.n && r.s[end] == '*')
				end++;
			if (shell_wildcard(lc, task, it, at, end))
				break;
			at = end;
		}
	}
}

/* ---- `..` and relative paths --------------------------------------------- */

/* Offset of a `..` path segment that follows a literal segment
 * (`/a/../b`), or SIZE_MAX.  `**` /.. (a deny of every `..` path, as
 * common.scope writes it) is deliberate and not reported. */
static size_t dotdot_after_literal(sc_str r)
{
	for (size_t i = 1; i + 2 <= r.n; i++) {
		if (r.s[i - 1] != '/' || r.s[i] != '.' || r.s[i + 1] != '.' || (i + 2 < r.n && r.s[i + 2] != '/'))
			continue;
		size_t j = i - 1; /* the previous segment is r[k..j) */
		size_t k = j;
		while (k > 0 && r.s[k - 1] != '/')
			k--;
		if (j > k && !is_wild((sc_str){ r.s + k, j - k }) &&
		    !sc_str_eq((sc_str){ r.s + k, j - k }, sc_str_c("..")))
			return k;
	}
	return SIZE_MAX;
}

/* R with every `SEG/..` folded away (lexically), into BUF. */
static size_t fold_dotdot(sc_str r, char *buf, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < r.n;) {
		size_t j = i;
		while (j < r.n && r.s[j] != '/')
			j++;
		bool up = j - i == 2 && r.s[i] == '.' && r.s[i + 1] == '.';
		if (up && o > 0) {
			size_t k = o - 1; /* drop the last segment written, and its slash */
			while (k > 0 && buf[k - 1] != '/')
				k--;
			o = k;
			i = j + (j < r.n);
			continue;
		}
		if (o + (j - i) + 1 >= cap)
			return SIZE_MAX;
		memcpy(buf + o, r.s + i, j - i);
		o += j - i;
		if (j < r.n)
			buf[o++] = '/';
		i = j + (j < r.n);
	}
	buf[o] = '\0';
	return o;
}

/* For a denies item: what the canonical path it was meant to deny gets,
 * as "; `REQ` is allowed" into BUF (empty if it is denied anyway). */
static void dotdot_witness(sc_lint_ctx *lc, const sc_item *it, sc_str folded, char *buf, size_t cap)
{
	buf[0] = '\0';
	const sc_task *task = lc->task_of[it->index];
	char r[600], w[800];
	size_t n = sc_lint_fill(folded, r, sizeof r);
	sc_result res;
	if (it->kind != SC_DENY || !task || n == SIZE_MAX ||
	    !sc_lint_witness(lc, task, it->action, (sc_str){ r, n }, NULL, 0, w, sizeof w, &res) ||
	    res.decision == SC_DENY)
		return;
	snprintf(buf, cap, "; `%s` is %s", w, sc_lint_decided(res.decision));
}

static void lint_dotdot(sc_lint_ctx *lc, const sc_item *it)
{
	if (!it->has_resource || dotdot_after_literal(it->resource) == SIZE_MAX)
		return;
	char fixed[600], tail[900] = "";
	size_t n = fold_dotdot(it->resource, fixed, sizeof fixed);
	if (n != SIZE_MAX)
		dotdot_witness(lc, it, (sc_str){ fixed, n }, tail, sizeof tail);
	char q[256];
	sc_quote(q, sizeof q, it->resource);
	sc_warning(lc->d, sc_lint_ids[SC_LINT_DOTDOT], it->ast->resource_span,
		   "requests carry canonical paths, without '..', so '%s' never matches one%s%s%s%s", q,
		   it->kind == SC_DENY ? " and denies nothing" : "", tail, n != SIZE_MAX ? "; write " : "",
		   n != SIZE_MAX ? fixed : "");
	if (n != SIZE_MAX)
		sc_lint_fixit_str(lc->d, it->ast->resource_span, (sc_str){ fixed, n });
	sc_lint_note_via(lc, it);
}

/* File actions, by the names agent harnesses use. */
static bool is_file_action(sc_str a)
{
	sc_str seg = first_segment(a);
	return a.n > seg.n && (sc_str_eq(seg, sc_str_c("fs")) || sc_str_eq(seg, sc_str_c("file")) ||
			       sc_str_eq(seg, sc_str_c("files")));
}

/* `src/` `**`: a path that is neither absolute nor starts with `~` or a
 * wildcard, and no URL. */
static bool is_relative_path(sc_str r)
{
	if (!r.n || !memchr(r.s, '/', r.n) || r.s[0] == '/' || r.s[0] == '~' || r.s[0] == '*' || r.s[0] == '?')
		return false;
	for (size_t i = 0; i < r.n && r.s[i] != '/'; i++)
		if (r.s[i] == ':')
			return false;
	return true;
}

static void lint_relative_path(sc_lint_ctx *lc, const sc_item *it)
{
	if (!it->has_resource || !is_file_action(it->action) || !is_relative_path(it->resource))
		return;
	sc_str r = it->resource;
	if (r.n > 2 && r.s[0] == '.' && r.s[1] == '/')
		r = (sc_str){ r.s + 2, r.n - 2 };
	char q[256], fix[600];
	sc_quote(q, sizeof q, it->resource);
	bool deny = it->kind == SC_DENY;
	snprintf(fix, sizeof fix, "**/%.*s", (int)(r.n < 500 ? r.n : 500), r.s);
	sc_warning(lc->d, sc_lint_ids[SC_LINT_RELATIVE_PATH], it->ast->resource_span,
		   "file requests carry canonical absolute paths, so the relative '%s' never matches one%s; "
		   "write the absolute path%s%s%s", q, deny ? " and denies nothing" : "",
		   deny ? ", or '" : "", deny ? fix : "", deny ? "' for every directory of that name" : "");
	if (deny && !memchr(fix, '"', strlen(fix)))
		sc_lint_fixit_str(lc->d, it->ast->resource_span, sc_str_c(fix));
	sc_lint_note_via(lc, it);
}

static void lint_paths(sc_lint_ctx *lc)
{
	for (uint32_t i = 0; i < lc->p->nitems; i++) {
		const sc_item *it = &lc->p->items[i];
		if (!it->ast || lc->dup[i])
			continue;
		lint_dotdot(lc, it);
		lint_relative_path(lc, it);
	}
}

void sc_lint_traps(sc_lint_ctx *lc)
{
	lint_missing_comma(lc);
	lint_shallow_denies(lc);
	lint_shell_wildcard(lc);
	lint_paths(lc);
	lint_expect_tasks(lc);
}
