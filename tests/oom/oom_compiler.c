/*
 * oom_compiler.c — sites of scopec: `compile` of every policy in
 * policies/, `fmt`, `diff` (text and JSON), `suggest` and `shadow-report`
 * over a decision log, `hook claude-code` (a Bash line and a Read).  Each runs scopec's own main (compiler/scopec.c
 * built with main renamed) in a child process: the compiler's answer to
 * an allocation failure inside its tables is sc_fatal_oom(), "scopec: out
 * of memory" and exit 2, which is a clean error for a command but would
 * end the driver.
 *
 * Rule: the exit status and output (stdout, and the file written) are
 * exactly the reference's, or the status says error (at least MIN_ERR: a
 * `diff` that says "equivalent" or a `suggest` that says "no decisions"
 * because memory ran out would be a wrong answer, not an error) with a
 * message on stderr; and nothing leaked when the command returned.
 */
#include "oom_sites.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int scopec_main(int argc, char **argv);

#define CMD_MAX_ARGS 8
#define MAX_CMDS 24

typedef struct cmd_site {
	char name[96];
	char args[CMD_MAX_ARGS][512];
	int argc;
	char outfile[512];       /* a file the command writes, or "" */
	char input[512];         /* its stdin, or "" */
	int min_err;             /* a failing run exits with at least this */
	int ref_rc;
	oom_buf ref_out, ref_file;
} cmd_site;

static cmd_site cmds[MAX_CMDS];
static size_t ncmds;
OOM_BUF(file_buf, 1 << 20);

/* The child: runs the command armed; the result line is "RC FIRED COUNT
 * LEAKED".  An exit inside (sc_fatal_oom) leaves no result file. */
static void child(cmd_site *c, long n, bool persistent)
{
	char *argv[CMD_MAX_ARGS + 1];
	for (int i = 0; i < c->argc; i++)
		argv[i] = c->args[i];
	argv[c->argc] = NULL;
	int in = c->input[0] ? open(c->input, O_RDONLY | O_CLOEXEC) : -1;
	if (in >= 0)
		dup2(in, 0);
	long live = oom_live();
	/* An exit inside (sc_fatal_oom) runs the atexit handlers: this one,
	 * registered after those of the runtime (gcov's dump of a coverage
	 * build), runs before them and disarms the shim, so that they are not
	 * failed in turn (gcov crashed on it in persistent mode). */
	atexit(oom_disarm);
	oom_begin(n, persistent);
	int rc = scopec_main(c->argc, argv);
	oom_end();
	char res[128];
	int k = snprintf(res, sizeof res, "%d %d %ld %ld\n", rc, oom_fired(), oom_count(), oom_live() - live);
	oom_write_file(oom_path("result"), res, (size_t)k);
	_exit(0);
}

static bool check(cmd_site *c, long n, int rc, long leaked, bool fatal, int status)
{
	oom_buf *out = oom_out(), *err = oom_err();
	oom_read(oom_path("stdout"), out);
	oom_read(oom_path("stderr"), err);
	if (c->outfile[0] && oom_read(c->outfile, &file_buf) < 0)
		file_buf.len = 0;
	if (!fatal && !WIFEXITED(status))
		return oom_say("oom: %s: the command died (status %#x)\n", c->name, status), false;
	if (fatal) {
		if (!WIFEXITED(status) || WEXITSTATUS(status) < c->min_err || n <= 0 ||
		    !strstr(err->s, "out of memory"))
			return oom_say("oom: %s: exit %d without a result (stderr: %.300s)\n", c->name,
				       WIFEXITED(status) ? WEXITSTATUS(status) : -1, err->s), false;
		return true;
	}
	if (leaked)
		return oom_say("oom: %s: %ld blocks leaked\n", c->name, leaked), false;
	if (n == 0) {
		c->ref_rc = rc;
		return oom_keep(&c->ref_out, out) && oom_keep(&c->ref_file, &file_buf);
	}
	if (rc == c->ref_rc && oom_same(out, &c->ref_out) && oom_same(&file_buf, &c->ref_file))
		return true;
	if (n > 0 && oom_run_fired && rc >= c->min_err && err->len)
		return true;
	oom_say("oom: %s: exit %d (reference %d), stdout %s the reference, file %s; stderr: %.300s\n", c->name,
		rc, c->ref_rc, oom_same(out, &c->ref_out) ? "as" : "NOT as",
		oom_same(&file_buf, &c->ref_file) ? "as reference" : "DIFFERENT", err->s);
	return false;
}

static bool run_cmd(void *arg, long n, bool persistent)
{
	cmd_site *c = arg;
	if (c->outfile[0])
		unlink(c->outfile);
	unlink(oom_path("result"));
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		return oom_say("oom: fork: failed\n"), false;
	if (pid == 0)
		child(c, n, persistent);
	int status;
	if (waitpid(pid, &status, 0) < 0)
		return false;
	OOM_BUF(res, 256);
	int rc = 0, fired = 0;
	long count = 0, leaked = 0;
	bool fatal = oom_read(oom_path("result"), &res) < 0 ||
		     sscanf(res.s, "%d %d %ld %ld", &rc, &fired, &count, &leaked) != 4;
	oom_run_fired = fatal || fired;
	oom_run_count = count;
	return check(c, n, rc, leaked, fatal, status);
}

static cmd_site *add(const char *name, int min_err, const char *outfile)
{
	cmd_site *c = &cmds[ncmds++];
	snprintf(c->name, sizeof c->name, "%s", name);
	c->min_err = min_err;
	snprintf(c->outfile, sizeof c->outfile, "%s", outfile ? outfile : "");
	c->ref_out = (oom_buf){ malloc(1 << 20), 0, 1 << 20 };
	c->ref_file = (oom_buf){ malloc(1 << 20), 0, 1 << 20 };
	return c;
}

static void arg(cmd_site *c, const char *a)
{
	snprintf(c->args[c->argc++], sizeof c->args[0], "%s", a);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* compile: every policy of policies/ (sorted, for the same order each run). */
static void compile_sites(void)
{
	struct dirent **ents;
	int k = scandir("policies", &ents, NULL, by_name);
	for (int i = 0; i < k; i++) {
		const char *f = ents[i]->d_name;
		size_t len = strlen(f);
		if (len > 6 && strcmp(f + len - 6, ".scope") == 0 && ncmds < MAX_CMDS - 6) {
			char name[96], path[512];
			snprintf(name, sizeof name, "scopec compile %.60s", f);
			snprintf(path, sizeof path, "policies/%s", f);
			cmd_site *c = add(name, 1, oom_path("compiled.scopec"));
			arg(c, "scopec");
			arg(c, "compile");
			arg(c, path);
			arg(c, "-o");
			arg(c, oom_path("compiled.scopec"));
		}
		free(ents[i]);
	}
	free(ents);
}

void oom_compiler_sites(oom_site *out, size_t *n)
{
	ncmds = 0;
	compile_sites();
	size_t ncompile = ncmds;
	cmd_site *c = add("scopec fmt", 1, NULL);
	arg(c, "scopec");
	arg(c, "fmt");
	arg(c, "policies/forum-triage.scope");
	arg(c, "examples/review/after.scope");
	c = add("scopec diff", 2, NULL);
	arg(c, "scopec");
	arg(c, "diff");
	arg(c, "examples/review/before.scope");
	arg(c, "examples/review/after.scope");
	c = add("scopec diff --format=json", 2, NULL);
	arg(c, "scopec");
	arg(c, "diff");
	arg(c, "--format=json");
	arg(c, "examples/gateway/agent.scope");
	arg(c, "examples/gateway/candidate.scope");
	c = add("scopec suggest", 2, NULL);
	arg(c, "scopec");
	arg(c, "suggest");
	arg(c, "--decisions=allow,ask,deny");
	arg(c, oom_gateway_log());
	c = add("scopec shadow-report", 2, NULL);
	arg(c, "scopec");
	arg(c, "shadow-report");
	arg(c, oom_gateway_log());
	/* the Claude Code hook: a shell line (libscope-enforce's splitter) and
	 * a file read, decided and logged; exit 2 is its "blocked" */
	static const char *const events[2] = { "hook-bash.json", "hook-read.json" };
	for (int i = 0; i < 2; i++) {
		c = add(i ? "scopec hook (Read)" : "scopec hook (Bash)", 2, NULL);
		snprintf(c->input, sizeof c->input, "%s", oom_path(events[i]));
		arg(c, "scopec");
		arg(c, "hook");
		arg(c, "claude-code");
		arg(c, oom_path("claude.scopec"));
		arg(c, "--task");
		arg(c, "claude-coder");
		arg(c, "--log");
		arg(c, oom_path("hook.log"));
	}
	/* a compile makes 70 000 to 210 000 allocations, and a run that fails
	 * late costs up to 0.5 s: 6 + 1 points each (the shared front end is
	 * failed densely by every policy, and fmt, diff and check share it);
	 * the others (a fork and a few ms per run) 60 + 25 */
	for (size_t i = 0; i < ncmds; i++)
		out[i] = (oom_site){ cmds[i].name, run_cmd, &cmds[i], i < ncompile ? 6 : 60, i < ncompile ? 1 : 25,
				     true, i < ncompile };
	*n = ncmds;
}
