/* check_main.c — runs every Check suite; shared helpers for the suites. */
#include "suites.h"
#include "request.h"
#include "resolve.h"
#include "lint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The sc_diag must outlive the policy (spans point into its sources), so
 * helpers keep them in a small ring freed at exit. */
static sc_diag diags[64];
static int ndiags;

sc_policy *sc_test_policy(const char *text, char **diag_out)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(mem);
	if (ndiags == 64) {
		for (int i = 0; i < 64; i++)
			sc_diag_fini(&diags[i]);
		ndiags = 0;
	}
	sc_diag *d = &diags[ndiags++];
	sc_diag_init(d, mem);
	sc_policy *p = sc_resolve_text(d, "t.scope", text, strlen(text));
	fclose(mem);
	d->out = stderr;
	if (diag_out)
		*diag_out = buf;
	else
		free(buf);
	return p;
}

char *sc_test_lint(const char *text)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(mem);
	sc_diag d;
	sc_diag_init(&d, mem);
	sc_policy *p = sc_resolve_text(&d, "t.scope", text, strlen(text));
	ck_assert_msg(p != NULL, "policy rejected");
	sc_lint(&d, p);
	sc_policy_free(p);
	sc_diag_fini(&d);
	fclose(mem);
	return buf;
}

void sc_test_decide_full(const sc_policy *p, const char *request, sc_result *out)
{
	sc_reqparse rp;
	sc_reqparse_init(&rp);
	size_t n = strlen(request);
	int rc = sc_request_parse_line(&rp, request, n);
	ck_assert_msg(rc == 1, "bad test request '%s': %s", request, rp.err);
	sc_ref_ctx *c = sc_ref_new();
	sc_ref_decide(c, p, &rp.rq, out);
	sc_ref_free(c);
	sc_reqparse_fini(&rp);
}

sc_kind sc_test_decide(const sc_policy *p, const char *request)
{
	sc_result r;
	sc_test_decide_full(p, request, &r);
	return r.decision;
}

int main(void)
{
	SRunner *sr = srunner_create(NULL);
#define SC_ADD(name) srunner_add_suite(sr, sc_suite_##name());
	SC_SUITES(SC_ADD)
#undef SC_ADD
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	for (int i = 0; i < ndiags; i++)
		sc_diag_fini(&diags[i]);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
