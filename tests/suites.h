/* suites.h — the Check suites of tests/check_*.c, run by check_main.c. */
#ifndef SC_TEST_SUITES_H
#define SC_TEST_SUITES_H

#include <check.h>

#include "policy.h"
#include "refeval.h"

#define SC_SUITES(X) \
	X(number) X(glob) X(lex) X(parse) X(resolve) X(refeval) X(request) X(lint) X(fmt) X(diff) X(large) \
	X(backend) X(runtime) X(canon) X(form) X(gitsrc) X(visible) X(shell) X(sign) \
	X(regexdfa) X(diag) X(ep)

#define SC_DECLARE(name) Suite *sc_suite_##name(void);
SC_SUITES(SC_DECLARE)
#undef SC_DECLARE

/* Test helpers (check_main.c). */
/* Resolves TEXT as file "t.scope"; diagnostics are captured in *diag_out
 * (malloc'd, caller frees) when it is not NULL. */
sc_policy *sc_test_policy(const char *text, char **diag_out);
/* Resolves TEXT and returns what the lints print (malloc'd). */
char *sc_test_lint(const char *text);
/* Decides "TASK ACTION [RESOURCE] [K=V...]" (eval syntax) against P. */
sc_kind sc_test_decide(const sc_policy *p, const char *request);
/* Same with the full result. */
void sc_test_decide_full(const sc_policy *p, const char *request, sc_result *out);

#endif
