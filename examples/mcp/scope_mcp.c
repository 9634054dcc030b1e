/*
 * scope_mcp.c — scope-mcp: an MCP stdio proxy that decides every tool call
 * with a scope policy before the server sees it.  See README.md and
 * scope-mcp(1).
 *
 *   scope-mcp --policy FILE --task NAME [--name SERVER] [--log FILE]
 *             [--shadow FILE] [--ask-timeout SECONDS] -- COMMAND [ARG...]
 *
 * This file: options, start-up (log, policies, the server process), the
 * watcher thread (SIGHUP and file polling reload the policies; SIGTERM
 * and SIGINT stop), and the exit.  Exit status: the server's (128+N if a
 * signal N ended it); 2 for usage or start-up errors (no policy that
 * verifies: the proxy never runs without one); 127 if COMMAND cannot be
 * started.
 */
#include "mcp.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static const char usage_text[] =
	"usage: scope-mcp --policy FILE --task NAME [options] -- COMMAND [ARG...]\n"
	"  Starts COMMAND (an MCP server speaking stdio) and relays JSON-RPC between it\n"
	"  and the MCP client on stdin/stdout; every tools/call and resources/read is\n"
	"  decided with the policy first: allow is forwarded, ask needs a human's approval\n"
	"  (elicitation), deny is answered with the reason and never reaches the server.\n"
	"  --policy FILE        .scope source (compiled with scopec) or bytecode\n"
	"  --task NAME          the task every call is decided for (the agent cannot change it)\n"
	"  --name SERVER        decide tool T as action SERVER.T (resources.read as\n"
	"                       SERVER.resources.read)\n"
	"  --log FILE           append the decision log (JSON Lines) to FILE\n"
	"  --shadow FILE        also decide with this candidate policy, never enforce it,\n"
	"                       log a \"shadow\" record wherever the decisions differ\n"
	"  --ask-timeout SECS   how long a human may take to approve (default 120)\n"
	"  --base DIR           the directory the server resolves relative paths against\n"
	"                       (default: none known, so calls with relative paths are denied)\n"
	"  --scopec PATH        compiler for source policies (default: $SCOPEC, else the\n"
	"                       scopec beside scope-mcp or one directory up, else PATH)\n"
	"  --trusted-key FILE   an Ed25519 public key (PEM, from `scopec keygen`), up to 16\n"
	"                       times: then every policy loaded (--policy, --shadow, at start\n"
	"                       and each reload) must be bytecode signed by one of them\n"
	"                       (`scopec sign`); source and unsigned images are refused\n"
	"  --poll-ms N          check the policy files for changes every N ms (default 200;\n"
	"                       0: reload on SIGHUP only)\n"
	"  --max-line BYTES     longest message (default 4194304)\n"
	"  --max-pending N      requests in flight per direction (default 4096)\n"
	"  SIGHUP reloads the policies and reopens the log; SIGTERM/SIGINT stop the server.\n";

static int usage(const char *msg, const char *arg)
{
	fputs(MCP_PROG ": ", stderr);
	fprintf(stderr, msg, arg);
	fputs("\nTry 'scope-mcp --help'.\n", stderr);
	return 2;
}

static bool number_arg(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *s == '-' || *end || errno || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static bool seconds_arg(const char *s, unsigned *ms)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (!*s || *end || errno || !(v > 0) || v > 86400)
		return false;
	*ms = (unsigned)(v * 1000 + 0.5);
	return *ms > 0;
}

static int set_option(mcp_config *c, const char *opt, size_t nlen, char *val, const char *a)
{
#define OPT(name) (nlen == strlen(name) && strncmp(opt, name, nlen) == 0)
	unsigned long v = 0;
	if (OPT("--policy"))
		c->policy = val;
	else if (OPT("--task"))
		c->task = val;
	else if (OPT("--name"))
		c->name = val;
	else if (OPT("--log"))
		c->log = val;
	else if (OPT("--shadow"))
		c->shadow = val;
	else if (OPT("--scopec"))
		c->scopec = val;
	else if (OPT("--trusted-key")) {
		if (c->ntrusted == EP_MAX_TRUSTED)
			return usage("too many trusted keys at '%s' (at most 16)", a);
		c->trusted[c->ntrusted++] = val;
	}
	else if (OPT("--base")) {
		if (val[0] != '/')
			return usage("--base needs an absolute directory, not '%s'", val);
		c->base = val;
	}
	else if (OPT("--ask-timeout")) {
		if (!seconds_arg(val, &c->ask_timeout_ms))
			return usage("bad value in '%s' (seconds, more than 0, at most 86400)", a);
	} else if (OPT("--poll-ms") && number_arg(val, 0, 3600000, &v))
		c->poll_ms = (unsigned)v;
	else if (OPT("--max-line") && number_arg(val, 1024, 1ul << 30, &v))
		c->max_line = v;
	else if (OPT("--max-pending") && number_arg(val, 1, 1000000, &v))
		c->max_pending = v;
	else
		return usage("bad value in '%s'", a);
	return 0;
#undef OPT
}

static bool known_option(const char *a, size_t nlen)
{
	static const char *const names[] = { "--policy", "--task", "--name", "--log", "--shadow", "--scopec", "--base",
					     "--ask-timeout", "--poll-ms", "--max-line", "--max-pending",
					     "--trusted-key" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (nlen == strlen(names[i]) && strncmp(a, names[i], nlen) == 0)
			return true;
	return false;
}

/* Options as "--name VALUE" or "--name=VALUE", then "--" and the command.
 * Returns 0, or an exit status (help printed: 0 with *done). */
static int parse_args(mcp_config *c, int argc, char **argv, bool *done)
{
	*done = false;
	int i = 1;
	for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
		char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage_text, stdout);
			*done = true;
			return 0;
		}
		char *eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
		size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
		char *val = eq ? eq + 1 : i + 1 < argc ? argv[i + 1] : NULL;
		if (!known_option(a, nlen))
			return usage(a[0] == '-' ? "unknown option '%s'" : "unexpected argument '%s' (the server command goes after '--')", a);
		if (!val)
			return usage("'%s' needs a value", a);
		if (!eq)
			i++;
		int rc = set_option(c, a, nlen, val, a);
		if (rc)
			return rc;
	}
	if (!c->policy)
		return usage("%s", "no policy given (--policy FILE)");
	if (!c->task || !*c->task)
		return usage("%s", "no task given (--task NAME): the operator binds the task");
	if (c->name && !*c->name)
		return usage("%s", "--name must not be empty");
	if (i + 1 >= argc)
		return usage("%s", "no server command given (-- COMMAND [ARG...])");
	c->command = argv + i + 1;
	return 0;
}

/* The compiler when neither --scopec nor $SCOPEC names one: beside our
 * own executable (an installation: BINDIR/scopec), or one directory up
 * (the build tree: build/scope-mcp and ./scopec), else scopec on PATH.
 * MCP hosts start servers with a minimal environment, so $SCOPEC is
 * often not passed on. */
static const char *default_scopec(void)
{
	static char buf[4096];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 16);
	if (n <= 0 || (size_t)n >= sizeof buf - 16)
		return "scopec";
	buf[n] = '\0';
	char *slash = strrchr(buf, '/');
	if (!slash)
		return "scopec";
	strcpy(slash + 1, "scopec");
	if (access(buf, X_OK) == 0)
		return buf;
	*slash = '\0';
	slash = strrchr(buf, '/');
	if (slash) {
		strcpy(slash + 1, "scopec");
		if (access(buf, X_OK) == 0)
			return buf;
	}
	return "scopec";
}

/* ---- the watcher thread ---------------------------------------------------- */

static void watched_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGUSR1);
}

static void note(mcp_ctx *m, char what)
{
	(void)!write(m->wake[1], &what, 1); /* a full pipe already holds a note */
}

static void reload_all(mcp_ctx *m, bool poll)
{
	int r = poll ? ep_slot_poll(&m->env, &m->enforced) : ep_slot_reload(&m->env, &m->enforced, "sighup");
	if (m->shadow)
		(void)(poll ? ep_slot_poll(&m->env, &m->candidate)
			    : ep_slot_reload(&m->env, &m->candidate, "sighup"));
	if (r == EP_RELOAD_LOADED)
		note(m, 'r');
}

/* SIGHUP: reload both policies and reopen the log; SIGTERM/SIGINT: tell
 * the loop to stop; SIGUSR1 (from main at exit): end; else poll. */
static void *watcher(void *arg)
{
	mcp_ctx *m = arg;
	sigset_t set;
	watched_signals(&set);
	struct timespec every = { m->cfg.poll_ms / 1000, (long)(m->cfg.poll_ms % 1000) * 1000000 };
	while (!atomic_load(&m->watch_stop)) {
		int sig = m->cfg.poll_ms ? sigtimedwait(&set, NULL, &every) : sigwaitinfo(&set, NULL);
		if (sig == SIGHUP) {
			if (ep_log_reopen(m->env.log) < 0)
				fprintf(stderr, MCP_PROG ": cannot reopen the log: %s\n", strerror(errno));
			reload_all(m, false);
		} else if (sig == SIGINT || sig == SIGTERM) {
			note(m, 's');
		} else if (sig < 0 && errno == EAGAIN && !atomic_load(&m->watch_stop)) {
			reload_all(m, true);
		}
	}
	return NULL;
}

/* ---- the server process ------------------------------------------------------ */

/* Starts the server with pipes for its stdin and stdout (stderr is ours). */
static int spawn_server(mcp_ctx *m)
{
	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC) != 0)
		return -1;
	if (pipe2(out, O_CLOEXEC) != 0) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawnattr_init(&at);
	sigset_t none, dfl;
	sigemptyset(&none);
	watched_signals(&dfl);
	sigaddset(&dfl, SIGPIPE);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dfl);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	int rc = posix_spawnp(&m->pid, m->cfg.command[0], &fa, &at, m->cfg.command, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(in[0]);
	close(out[1]);
	if (rc != 0) {
		close(in[1]);
		close(out[0]);
		errno = rc;
		return -1;
	}
	m->pidfd = (int)syscall(SYS_pidfd_open, m->pid, 0); /* -1: EOF tells instead */
	if (mcp_peer_init(&m->server, "server", out[0], in[1], m->cfg.max_line) < 0)
		return -1;
	mcp_set_nonblock(out[0], true);
	mcp_set_nonblock(in[1], true);
	return 0;
}

/* ---- start and stop ------------------------------------------------------------ */

static void log_event(mcp_ctx *m, const char *type, int status)
{
	json_t *r = ep_log_record(type);
	json_object_set_new(r, "pid", json_integer(getpid()));
	json_object_set_new(r, "policy_path", ep_json_text(m->cfg.policy, strlen(m->cfg.policy)));
	if (m->shadow)
		json_object_set_new(r, "shadow_path", ep_json_text(m->cfg.shadow, strlen(m->cfg.shadow)));
	json_object_set_new(r, "task", ep_json_text(m->cfg.task, strlen(m->cfg.task)));
	json_object_set_new(r, "server", m->cfg.name ? ep_json_text(m->cfg.name, strlen(m->cfg.name)) : json_null());
	json_t *cmd = json_array();
	for (char **a = m->cfg.command; *a; a++)
		json_array_append_new(cmd, ep_json_text(*a, strlen(*a)));
	json_object_set_new(r, "command", cmd);
	if (strcmp(type, "stop") == 0) {
		json_object_set_new(r, "calls", json_integer((json_int_t)m->calls));
		json_object_set_new(r, "forwarded", json_integer((json_int_t)m->forwarded));
		json_object_set_new(r, "asked", json_integer((json_int_t)m->asked));
		json_object_set_new(r, "denied", json_integer((json_int_t)m->denied));
		json_object_set_new(r, "log_failures", json_integer((json_int_t)atomic_load(&m->env.log_failures)));
		json_object_set_new(r, "server_status", json_integer(status));
	}
	(void)ep_log_records(m->env.log, &r, 1);
}

/* An undeclared task denies everything: worth a word at start. */
static void check_task(mcp_ctx *m)
{
	ep_pin pin;
	if (ep_slot_pin(&m->enforced, &pin) < 0)
		return;
	scope_request rq = { m->cfg.task, strlen(m->cfg.task), "-", 1, "", 0, NULL, 0 };
	scope_result r;
	if (scope_decide(pin.p, m->scr, &rq, &r) == 0 && r.why == SCOPE_WHY_NO_TASK)
		fprintf(stderr, MCP_PROG ": warning: task '%s' is not declared in %s: every call will be denied\n",
			m->cfg.task, m->cfg.policy);
	ep_slot_unpin(&m->enforced, &pin);
}

static int start(mcp_ctx *m)
{
	if (pipe2(m->wake, O_CLOEXEC | O_NONBLOCK) != 0 || ep_log_open(&m->env.log, m->cfg.log) < 0) {
		fprintf(stderr, MCP_PROG ": cannot open the log '%s': %s\n", m->cfg.log ? m->cfg.log : "",
			strerror(errno));
		return 2;
	}
	if (scope_form_create(&m->form) < 0 || scope_scratch_create(&m->scr) < 0) {
		fprintf(stderr, MCP_PROG ": out of memory\n");
		return 2;
	}
	log_event(m, "start", 0);
	if (ep_slot_init(&m->env, &m->enforced, "enforced", m->cfg.policy) < 0 ||
	    (m->shadow && ep_slot_init(&m->env, &m->candidate, "candidate", m->cfg.shadow) < 0))
		return 2;
	check_task(m);
	if (mcp_peer_init(&m->client, "client", 0, 1, m->cfg.max_line) < 0)
		return 2;
	if (spawn_server(m) < 0) {
		fprintf(stderr, MCP_PROG ": cannot start '%s': %s\n", m->cfg.command[0], strerror(errno));
		return 127;
	}
	return 0;
}

static void cleanup(mcp_ctx *m)
{
	mcp_fail_pending(m, MCP_PROG ": stopping"); /* nothing is left by now; frees the tables */
	mcp_peer_fini(&m->client);
	if (m->server.rfd > 0)
		close(m->server.rfd);
	if (m->server.wfd > 0)
		close(m->server.wfd);
	mcp_peer_fini(&m->server);
	if (m->pidfd >= 0)
		close(m->pidfd);
	ep_slot_fini(&m->enforced);
	ep_slot_fini(&m->candidate);
	scope_form_destroy(m->form);
	scope_scratch_destroy(m->scr);
	ep_log_close(m->env.log);
}

int main(int argc, char **argv)
{
	static mcp_ctx ctx;
	mcp_ctx *m = &ctx;
	const char *env = getenv("SCOPEC");
	m->cfg = (mcp_config){ .scopec = env && *env ? env : default_scopec(), .ask_timeout_ms = 120000,
			       .poll_ms = 200, .max_line = 4u << 20, .max_pending = 4096 };
	bool done;
	int rc = parse_args(&m->cfg, argc, argv, &done);
	if (rc || done)
		return rc;
	m->shadow = m->cfg.shadow != NULL;
	m->env.prog = MCP_PROG;
	m->env.scopec = m->cfg.scopec;
	for (size_t k = 0; k < m->cfg.ntrusted; k++) {
		char err[1200];
		if (ep_env_trust(&m->env, m->cfg.trusted[k], err, sizeof err) < 0) {
			fprintf(stderr, MCP_PROG ": %s\n", err);
			return 2;
		}
	}
	m->pidfd = -1;
	atomic_init(&m->watch_stop, false);
	/* SIGPIPE ignored (a peer that hangs up is an EPIPE); the others are
	 * taken by the watcher thread, blocked everywhere else */
	signal(SIGPIPE, SIG_IGN);
	sigset_t set;
	watched_signals(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	rc = start(m);
	if (rc) {
		cleanup(m);
		return rc;
	}
	int fl0 = fcntl(0, F_GETFL), fl1 = fcntl(1, F_GETFL);
	mcp_set_nonblock(0, true);
	mcp_set_nonblock(1, true);
	pthread_t w;
	bool watching = pthread_create(&w, NULL, watcher, m) == 0;
	if (!watching)
		fprintf(stderr, MCP_PROG ": cannot start the watcher thread: no reloads, signals stop the proxy\n");
	rc = mcp_run(m);
	if (watching) {
		atomic_store(&m->watch_stop, true);
		pthread_kill(w, SIGUSR1);
		pthread_join(w, NULL);
	}
	log_event(m, "stop", rc);
	if (fl0 >= 0)
		fcntl(0, F_SETFL, fl0); /* stdin/stdout may be shared with the client */
	if (fl1 >= 0)
		fcntl(1, F_SETFL, fl1);
	cleanup(m);
	return rc;
}
