/*
 * oom_runtime.c — sites of libscope: loading and verifying images (from
 * memory, from a file, signed), scope_scratch_create; and of
 * libscope-enforce's shell splitter (scope_shell_split: the whole result,
 * or -SCOPE_ENOMEM and nothing: a command line cut short by a failed
 * allocation must never read as fewer, seen-through commands).
 *
 * Rule: a load either succeeds, and the policy decides as the reference
 * did, or fails with -SCOPE_ENOMEM (a caller that is told "corrupt image"
 * or "cannot read the file" for an allocation failure looks in the wrong
 * place, and may refuse a good policy for good).
 */
#include "oom_sites.h"

#include "scope.h"
#include "scope_enforce.h"
#include "shell.h"

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

/* A line with most constructs: lists, pipes, subshells, groups, $( ),
 * backquotes, sh -c, redirections, a here-document, if/for/case, a
 * function, assignments and quoting. */
static const char shell_line[] =
	"cd /srv/repo && { git status; git diff > /tmp/d.txt 2>&1; } | tee -a log.txt; "
	"for f in $(ls src/*.py); do python3 -m py_compile \"$f\" || echo bad; done; "
	"if test -f x; then sh -c 'rm -rf build && make -j2'; elif true; then :; else exit 1; fi; "
	"case $1 in a|b) echo `date +%s` >> out;; *) X=1 Y=\"two words\" env;; esac; "
	"f() { cat <<EOF\nbody $(id)\nEOF\n}; (cd sub; ls -la) < in.txt & wait";

OOM_BUF(shell_ref, 1 << 16);
OOM_BUF(shell_now, 1 << 16);

/* The split as text (static buffer: nothing allocated). */
static void shell_text(const scope_shell *sh, oom_buf *b)
{
	b->len = 0;
	for (size_t i = 0; i < scope_shell_count(sh); i++) {
		const scope_shell_cmd *c = scope_shell_command(sh, i);
		int k = snprintf(b->s + b->len, b->cap - b->len, "cmd %zu [%s] %s\n", c->nwords, c->text,
				 c->opaque ? c->why : "");
		b->len += k > 0 && (size_t)k < b->cap - b->len ? (size_t)k : 0;
	}
	for (size_t i = 0; i < scope_shell_redir_count(sh); i++) {
		const scope_shell_redir *r = scope_shell_redirect(sh, i);
		int k = snprintf(b->s + b->len, b->cap - b->len, "redir %d %zu %s\n", r->write, r->cmd, r->target);
		b->len += k > 0 && (size_t)k < b->cap - b->len ? (size_t)k : 0;
	}
	const char *o = scope_shell_opaque(sh);
	int k = snprintf(b->s + b->len, b->cap - b->len, "opaque %s\n", o ? o : "-");
	b->len += k > 0 && (size_t)k < b->cap - b->len ? (size_t)k : 0;
}

static bool run_shell(void *arg, long n, bool persistent)
{
	(void)arg;
	scope_shell *sh = NULL;
	oom_begin(n, persistent);
	int rc = scope_shell_split(&sh, shell_line, sizeof shell_line - 1);
	oom_end();
	bool fired = n > 0 && oom_fired();
	if (rc == -SCOPE_ENOMEM && fired && !sh)
		return true;
	if (rc < 0 || !sh) {
		oom_say("oom: scope_shell_split: %s (%d)%s\n", scope_strerror(rc), rc,
			fired ? ": an allocation failure must be -SCOPE_ENOMEM and no result" : " in a clean run");
		scope_shell_destroy(sh);
		return false;
	}
	shell_text(sh, n == 0 ? &shell_ref : &shell_now);
	scope_shell_destroy(sh);
	if (n == 0)
		return shell_ref.len > 0;
	if (!oom_same(&shell_now, &shell_ref)) {
		oom_say("oom: scope_shell_split answered 0 with another split:\n%.*s", (int)shell_now.len, shell_now.s);
		return false;
	}
	return true;
}

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
	out[5] = (oom_site){ .name = "scope_shell_split", .run = run_shell, .arg = NULL, .dense = OOM_EVERY_N };
	*n = 6;
}
