/* check_visible.c — tool visibility (runtime/enforce/ep_visible.c): the
 * static query "may some request of TASK with ACTION be granted?" is
 * sound (never false when a request is allowed or asked) and tight on the
 * cases scope-mcp cares about. */
#include "suites.h"

#include "backend.h"
#include "backend_test.h"
#include "diag.h"
#include "ep.h"
#include "resolve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Compiles SRC with a state budget (0: the default; small: tasks split
 * into parts).  NULL if it does not resolve or fit. */
static scope_policy *load(const char *src, uint32_t max_states, unsigned *parts)
{
	sc_diag d;
	FILE *quiet = fopen("/dev/null", "w");
	sc_diag_init(&d, quiet);
	sc_policy *p = sc_resolve_text(&d, "v.scope", src, strlen(src));
	unsigned char *img = NULL;
	size_t len = 0;
	sc_backend_opts o = { false, max_states };
	sc_backend_stats st;
	memset(&st, 0, sizeof st);
	int rc = p ? sc_backend_compile(&d, p, &o, &img, &len, &st) : -1;
	sc_policy_free(p);
	sc_diag_fini(&d);
	fclose(quiet);
	if (rc != 0)
		return NULL;
	if (parts)
		*parts += st.nparts - st.ngroups;
	scope_policy *out;
	ck_assert_int_eq(scope_policy_load(&out, img, len), 0);
	free(img);
	return out;
}

static bool may(const scope_policy *p, const char *task, const char *action)
{
	bool v = false;
	ck_assert_int_eq(ep_may_grant(p, task, strlen(task), action, strlen(action), &v), 0);
	return v;
}

static const char visible_src[] =
	"task base\n  allows inherited /x/**\n"
	"task coder extends base\n"
	"  allows echo, read_file /srv/**\n"
	"  asks   write_file /srv/**\n"
	"  allows big when size < 100\n"
	"  allows flood /x/**\n  denies flood **\n"
	"  allows garbage /a/**\n  denies garbage /a/b\n"
	"  allows cond_denied /a/**\n  denies cond_denied ** when k == \"v\"\n"
	"  allows fs.* /data/**\n"
	"  denies never **\n"
	"task * allows roots, shared.** /s/**\n";

START_TEST(visible_cases)
{
	for (uint32_t states = 0; states <= 40; states += 40) { /* one part, and split into parts */
		unsigned parts = 0;
		scope_policy *p = load(visible_src, states, &parts);
		ck_assert_ptr_nonnull(p);
		ck_assert(states == 0 || parts > 0);
		ck_assert(may(p, "coder", "echo"));
		ck_assert(may(p, "coder", "read_file"));
		ck_assert(may(p, "coder", "write_file"));          /* asks */
		ck_assert(may(p, "coder", "big"));                 /* a condition could hold */
		ck_assert(!may(p, "coder", "flood"));              /* denied outright on every resource */
		ck_assert(may(p, "coder", "garbage"));             /* denied on part of it only */
		ck_assert(may(p, "coder", "cond_denied"));         /* the deny's condition could be false */
		ck_assert(may(p, "coder", "fs.read"));             /* action patterns */
		ck_assert(!may(p, "coder", "fs.a.b"));             /* '*' stops at '.' */
		ck_assert(may(p, "coder", "inherited"));           /* extends */
		ck_assert(may(p, "coder", "roots"));               /* task * */
		ck_assert(may(p, "coder", "shared.x.y"));
		ck_assert(!may(p, "coder", "never"));
		ck_assert(!may(p, "coder", "delete"));             /* nothing mentions it */
		ck_assert(!may(p, "coder", ""));
		ck_assert(!may(p, "base", "echo"));
		ck_assert(may(p, "base", "inherited"));
		ck_assert(!may(p, "nobody", "roots"));             /* undeclared task: all denied */
		bool v = true;
		ck_assert_int_eq(ep_may_grant(NULL, "t", 1, "a", 1, &v), -SCOPE_EINVAL);
		ck_assert_int_eq(ep_may_grant(p, "t", 1, NULL, 1, &v), -SCOPE_EINVAL);
		ck_assert_int_eq(ep_may_grant(p, NULL, 1, "a", 1, &v), -SCOPE_EINVAL);
		ck_assert_int_eq(ep_may_grant(p, "t", 1, "a", 1, NULL), -SCOPE_EINVAL);
		/* the empty task and action: nothing is granted */
		ck_assert_int_eq(ep_may_grant(p, "", 0, "", 0, &v), 0);
		ck_assert(!v);
		scope_policy_destroy(p);
	}
}
END_TEST

/* Soundness on random policies: whenever the runtime allows or asks a
 * request, the query said its tool may be granted. */
START_TEST(visible_sound)
{
	uint64_t seed = sc_bt_seed();
	scope_scratch *s;
	ck_assert_int_eq(scope_scratch_create(&s), 0);
	unsigned granted = 0, hidden = 0, parts = 0;
	for (int i = 0; i < 40; i++) {
		char *src = sc_bt_random_policy(&seed);
		scope_policy *p = load(src, i % 3 == 1 ? 40 : i % 3 == 2 ? 6 : 0, &parts) /* 6: NFA parts */;
		free(src);
		if (!p)
			continue;
		for (int k = 0; k < 3000; k++) {
			sc_bt_req r;
			sc_bt_random_request(&seed, &r);
			static const char *const tasks[] = { "triage", "reader", "oncall", "t0", "t1" };
			const char *task = tasks[sc_bt_rand(&seed) % 5];
			scope_attr at[sizeof r.attrs / sizeof r.attrs[0]];
			for (size_t a = 0; a < r.nattrs; a++)
				at[a] = (scope_attr){ r.attrs[a].key.s, r.attrs[a].key.n, r.attrs[a].value.s,
						      r.attrs[a].value.n };
			scope_request rq = { task, strlen(task), r.action, strlen(r.action), r.resource,
					     strlen(r.resource), at, r.nattrs };
			scope_result res;
			/* (an empty action is malformed: deny) */
			ck_assert_int_eq(scope_decide(p, s, &rq, &res), rq.action_len ? 0 : -SCOPE_EINVAL);
			bool v = may(p, task, r.action);
			if (res.decision != SCOPE_DENY) {
				granted++;
				if (!v)
					ck_abort_msg("hidden but granted: %s %s %s (seed %llu)", task, r.action, r.resource,
						     (unsigned long long)sc_bt_seed());
			} else if (!v) {
				hidden++;
			}
		}
		scope_policy_destroy(p);
	}
	scope_scratch_destroy(s);
	ck_assert_uint_gt(granted, 0);
	fprintf(stderr, "visibility: %u granted requests, all visible; %u denied requests of hidden tools; "
		"%u extra parts\n", granted, hidden, parts);
}
END_TEST

/* Wide states (DENSE records, more than 12 ways out): after `read` the
 * resource starts with any of 16 bytes; only `asks` and `allows` items
 * make a tool visible, and `denies` alone hide it. */
START_TEST(visible_dense)
{
	char src[2048] = "task t\n";
	for (const char *c = "0123456789ABCDEF"; *c; c++)
		snprintf(src + strlen(src), sizeof src - strlen(src), "  %s read %c**\n", *c % 4 ? "allows" : "asks", *c);
	for (const char *c = "0123456789ABCDEF"; *c; c++)
		snprintf(src + strlen(src), sizeof src - strlen(src), "  denies wipe %c**\n", *c);
	scope_policy *p = load(src, 0, NULL);
	ck_assert_ptr_nonnull(p);
	ck_assert(may(p, "t", "read"));
	ck_assert(!may(p, "t", "wipe"));
	ck_assert(!may(p, "t", "other"));
	ck_assert(!may(p, "u", "read"));
	scope_policy_destroy(p);
}
END_TEST


Suite *sc_suite_visible(void)
{
	Suite *s = suite_create("visible");
	TCase *tc = tcase_create("visible");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, visible_cases);
	tcase_add_test(tc, visible_sound);
	tcase_add_test(tc, visible_dense);
	suite_add_tcase(s, tc);
	return s;
}
