/*
 * minimal.c — the smallest service that embeds libscope.
 *
 *   scopec compile minimal.scope -o minimal.scopec
 *   cc minimal.c $(pkg-config --cflags --libs scope) -o minimal
 *   ./minimal minimal.scopec
 *
 * Loads (and so verifies) a compiled policy, decides a few requests with one
 * scratch, prints each decision with the item that decided it, and checks
 * them against what minimal.scope says.  Exit status: 0 all as expected,
 * 1 a decision differs, 2 the policy cannot be used.
 */
#include <scope.h>

#include <stdio.h>
#include <string.h>

struct example {
	const char *task, *action, *resource;
	const char *key, *value; /* one attribute, or NULL */
	scope_decision want;
};

static const struct example examples[] = {
	{ "triage", "read", "forum.general.42", NULL, NULL, SCOPE_ALLOW },
	{ "triage", "post", "forum.help", "channel", "internal", SCOPE_ASK },
	{ "triage", "post", "forum.help", NULL, NULL, SCOPE_DENY },
	{ "triage", "config.set", "service.api", NULL, NULL, SCOPE_DENY },
	{ "intruder", "read", "forum.general.42", NULL, NULL, SCOPE_DENY },
};

static const char *const decision_name[] = { "allow", "ask", "deny" };

/* Decides one example; returns 1 if the decision is not the expected one. */
static int run(const scope_policy *p, scope_scratch *s, const struct example *e)
{
	scope_attr attr = { e->key, e->key ? strlen(e->key) : 0, e->value, e->value ? strlen(e->value) : 0 };
	scope_request rq = {
		e->task, strlen(e->task), e->action, strlen(e->action),
		e->resource, strlen(e->resource), e->key ? &attr : NULL, e->key ? 1 : 0,
	};
	scope_result r;
	int rc = scope_decide(p, s, &rq, &r); /* r says deny on any error */
	char why[256];
	size_t len = sizeof why;
	(void)scope_explain(p, &r, why, &len); /* cut but NUL-terminated if too long */
	printf("%-5s %s %s %s%s%s%s%s  # %s\n", decision_name[r.decision], e->task, e->action,
	       e->resource, e->key ? " " : "", e->key ? e->key : "", e->key ? "=" : "",
	       e->key ? e->value : "", why);
	if (rc < 0)
		fprintf(stderr, "minimal: scope_decide: %s\n", scope_strerror(rc));
	if (rc < 0 || r.decision != e->want) {
		fprintf(stderr, "minimal: %s %s %s: expected %s, got %s\n", e->task, e->action,
			e->resource, decision_name[e->want], decision_name[r.decision]);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: minimal POLICY.scopec\n");
		return 2;
	}
	scope_policy *p;
	int rc = scope_policy_load_file(&p, argv[1]);
	if (rc < 0) {
		fprintf(stderr, "minimal: %s: %s\n", argv[1], scope_strerror(rc));
		return 2;
	}
	scope_scratch *s;
	rc = scope_scratch_create(&s);
	if (rc < 0) {
		fprintf(stderr, "minimal: %s\n", scope_strerror(rc));
		scope_policy_destroy(p);
		return 2;
	}
	int failed = 0;
	for (size_t i = 0; i < sizeof examples / sizeof examples[0]; i++)
		failed += run(p, s, &examples[i]);
	scope_scratch_destroy(s);
	scope_policy_destroy(p);
	return failed ? 1 : 0;
}
