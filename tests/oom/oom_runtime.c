/*
 * oom_runtime.c — sites of libscope: loading and verifying images (from
 * memory, from a file, signed), scope_scratch_create.
 *
 * Rule: a load either succeeds, and the policy decides as the reference
 * did, or fails with -SCOPE_ENOMEM (a caller that is told "corrupt image"
 * or "cannot read the file" for an allocation failure looks in the wrong
 * place, and may refuse a good policy for good).
 */
#include "oom_sites.h"

#include "scope.h"
#include "scope_enforce.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { LOAD_MEM, LOAD_FILE, LOAD_SIGNED } load_kind;

typedef struct load_site {
	load_kind kind;
	char image[768];         /* file */
	scope_decision ref[4];
} load_site;

OOM_BUF(img_buf, 1 << 20);
static unsigned char pubkey[SCOPE_ED25519_KEY_LEN];
static const scope_request probes[4] = {
	{ "agent", 5, "read", 4, "docs.a", 6, NULL, 0 },
	{ "agent", 5, "post", 4, "forum.general.x", 15, NULL, 0 },
	{ "agent", 5, "comment", 7, "forum.x", 7, &(scope_attr){ "channel", 7, "internal", 8 }, 1 },
	{ "agent", 5, "read", 4, "secrets.k", 9, NULL, 0 },
};

static int load(load_site *l, scope_policy **p)
{
	switch (l->kind) {
	case LOAD_MEM:
		return scope_policy_load(p, img_buf.s, img_buf.len);
	case LOAD_FILE:
		return scope_policy_load_file(p, l->image);
	default:
		return scope_policy_load_file_signed(p, l->image, pubkey, sizeof pubkey);
	}
}

static bool run_load(void *arg, long n, bool persistent)
{
	load_site *l = arg;
	scope_policy *p = NULL;
	oom_begin(n, persistent);
	int rc = load(l, &p);
	oom_end();
	bool fired = n > 0 && oom_fired(), ok = true;
	if (rc < 0 && (!fired || rc != -SCOPE_ENOMEM || p)) {
		oom_say("oom: load: %s (%d)%s\n", scope_strerror(rc), rc,
			fired ? ": an allocation failure must be -SCOPE_ENOMEM" : " in a clean run");
		ok = false;
	}
	scope_scratch *s = NULL;
	if (rc == 0 && scope_scratch_create(&s) == 0) {
		for (int i = 0; i < 4; i++) {
			scope_result r;
			if (scope_decide(p, s, &probes[i], &r) < 0)
				r.decision = (scope_decision)-1;
			if (n == 0)
				l->ref[i] = r.decision;
			else if (r.decision != l->ref[i])
				ok = false, oom_say("oom: load: probe %d decided %d, reference %d\n", i,
						   (int)r.decision, (int)l->ref[i]);
		}
	}
	scope_scratch_destroy(s);
	scope_policy_destroy(p);
	return ok;
}

static bool run_scratch(void *arg, long n, bool persistent)
{
	(void)arg;
	scope_scratch *s = NULL;
	oom_begin(n, persistent);
	int rc = scope_scratch_create(&s);
	oom_end();
	bool ok = rc == 0 ? s != NULL : rc == -SCOPE_ENOMEM && !s && n > 0 && oom_fired();
	if (!ok)
		oom_say("oom: scratch: %s (%d)\n", scope_strerror(rc), rc);
	scope_scratch_destroy(s);
	return ok;
}

static load_site loads[4] = { { .kind = LOAD_MEM }, { .kind = LOAD_FILE }, { .kind = LOAD_SIGNED }, { .kind = LOAD_FILE } };

void oom_runtime_sites(oom_site *out, size_t *n)
{
	snprintf(loads[0].image, sizeof loads[0].image, "%s", oom_path("agent.scopec"));
	snprintf(loads[1].image, sizeof loads[1].image, "%s", oom_path("agent.scopec"));
	snprintf(loads[2].image, sizeof loads[2].image, "%s", oom_path("agent.signed"));
	/* examples/review/after.scope has a regex: pcre2_compile at load */
	snprintf(loads[3].image, sizeof loads[3].image, "%s", oom_path("regex.scopec"));
	if (oom_read(loads[0].image, &img_buf) < 0 || scope_key_read_public(oom_path("key.pub.pem"), pubkey) < 0)
		oom_say("oom: the images of the load sites are missing\n");
	out[0] = (oom_site){ .name = "load (memory)", .run = run_load, .arg = &loads[0], .dense = OOM_EVERY_N };
	out[1] = (oom_site){ .name = "load (file)", .run = run_load, .arg = &loads[1], .dense = OOM_EVERY_N };
	out[2] = (oom_site){ .name = "load (signed file)", .run = run_load, .arg = &loads[2], .dense = OOM_EVERY_N };
	out[3] = (oom_site){ .name = "load (file, a regex)", .run = run_load, .arg = &loads[3], .dense = OOM_EVERY_N };
	out[4] = (oom_site){ .name = "scope_scratch_create", .run = run_scratch, .arg = NULL, .dense = OOM_EVERY_N };
	*n = 5;
}
