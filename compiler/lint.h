/*
 * lint.h — warnings of `scopec check` over a resolved policy.
 *
 * Each lint is exact or errs on the side of silence: a warning names a
 * real problem (no false alarms in code review), and what a lint cannot
 * decide cheaply it does not report.  Exact coverage over whole pattern
 * languages needs the automata of the back end.
 */
#ifndef SC_LINT_H
#define SC_LINT_H

#include "policy.h"

/* The lints, defined once: X(enum suffix, rule id, short description).
 * The rule id ends every warning ("... [scope.grants-everything]") and names
 * the rule in SARIF output. */
#define SC_LINTS(X)                                                                        \
	X(GRANTS_EVERYTHING, "scope.grants-everything", "an allows/asks item grants every action") \
	X(SHADOWED, "scope.shadowed", "an allows/asks item that denies always override")        \
	X(REDUNDANT, "scope.redundant", "an item another item of its kind always covers")        \
	X(BROAD_ROOT, "scope.broad-root", "an action granted on every resource under a root")    \
	X(ALWAYS_TRUE, "scope.always-true", "a condition that is always true")                   \
	X(GRANTS_NOTHING, "scope.grants-nothing", "a task with clauses that grants nothing")     \
	X(UNUSED_SET, "scope.unused-set", "a let set that no task uses")                         \
	X(NEVER_TRUE, "scope.never-true", "a condition that can never be true")                  \
	X(EMPTY_REGEX, "scope.regex-matches-empty", "a regex that matches the empty string")     \
	X(EMPTY_ACTION, "scope.empty-action", "an action pattern that never matches")            \
	X(INVISIBLE, "scope.invisible-character", "invisible or bidirectional control characters") \
	X(CONFUSABLE, "scope.confusable-name", "a task name mixing ASCII and look-alike letters")  \
	X(MISSING_COMMA, "scope.missing-comma", "a resource that looks like an action: two items without a comma") \
	X(SHALLOW_DENY, "scope.shallow-deny", "a denies pattern ending in '*' that leaves deeper names allowed") \
	X(EXPECT_UNKNOWN_TASK, "scope.expect-unknown-task", "an expect naming an undeclared task close to a declared one") \
	X(UNKNOWN_DENIES, "scope.unknown-denies", "a denies condition that a missing attribute makes apply, untested") \
	X(SHELL_WILDCARD, "scope.shell-wildcard", "'**' in an allowed command pattern also matches ';', '&&', '|'") \
	X(DOTDOT, "scope.dotdot-pattern", "a path pattern with '..' after a name: never matches a canonical path") \
	X(RELATIVE_PATH, "scope.relative-path", "a relative path pattern for a file action: never matches")

enum {
#define SC_X(e, id, desc) SC_LINT_##e,
	SC_LINTS(SC_X)
#undef SC_X
	SC_LINT_COUNT
};

extern const char *const sc_lint_ids[SC_LINT_COUNT];
extern const char *const sc_lint_descriptions[SC_LINT_COUNT];

void sc_lint(sc_diag *d, const sc_policy *p);

/* True when every string matched by pattern X is matched by pattern D.
 * Sound but incomplete: false means "not proven". */
bool sc_glob_covers(sc_str d, sc_str x);

#endif
