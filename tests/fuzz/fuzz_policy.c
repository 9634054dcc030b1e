/*
 * fuzz_policy.c — libFuzzer target for the whole front end: lexer, grammar,
 * error recovery, diagnostics, resolver and, when the policy resolves, the
 * reference evaluator on requests derived from the input, and the lints
 * of `scopec check` (with their witnesses and fix-its).
 * Build and run: make fuzz
 */
#include "fmt.h"
#include "lint.h"
#include "refeval.h"
#include "request.h"
#include "resolve.h"

#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* includes would read the fuzzing machine's files */
	if (memmem(data, size, "include", 7))
		return 0;
	static FILE *devnull;
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	sc_diag d;
	sc_diag_init(&d, devnull);
	sc_policy *p = sc_resolve_text(&d, "fuzz.scope", (const char *)data, size);
	if (p) {
		sc_lint(&d, p);
		sc_ref_ctx *c = sc_ref_new();
		sc_reqparse rp;
		sc_reqparse_init(&rp);
		/* every expect of the policy, and the policy's own lines as requests */
		for (uint32_t i = 0; i < p->nexpects; i++) {
			sc_request rq = { p->expects[i].task, p->expects[i].action, p->expects[i].resource, NULL, 0 };
			sc_result r;
			sc_ref_decide(c, p, &rq, &r);
		}
		const sc_source *src = sc_diag_source(&d, 1);
		char *line = src->text;
		for (int k = 0; k < 16 && line && *line; k++) {
			char *nl = strchr(line, '\n');
			size_t n = nl ? (size_t)(nl - line) : strlen(line);
			char saved = line[n];
			line[n] = '\0';
			if (sc_request_parse_line(&rp, line, n) == 1) {
				sc_result r;
				sc_ref_decide(c, p, &rp.rq, &r);
			}
			line[n] = saved;
			line = nl ? nl + 1 : NULL;
		}
		sc_reqparse_fini(&rp);
		sc_ref_free(c);
	}
	sc_policy_free(p);
	/* fmt: whatever it accepts, it formats idempotently (its own token
	 * check already refuses output that would change the policy) */
	char *once = NULL, *twice = NULL;
	size_t n1 = 0, n2 = 0;
	if (sc_fmt(&d, 1, &once, &n1) == 0) {
		uint32_t f = sc_diag_add(&d, "fmt.scope", once, n1);
		if (sc_fmt(&d, f, &twice, &n2) != 0 || n1 != n2 || memcmp(once, twice, n1) != 0)
			abort();
	}
	free(once);
	free(twice);
	sc_diag_fini(&d);
	return 0;
}
