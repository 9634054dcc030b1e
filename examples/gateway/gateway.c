/*
 * gateway.c — scope-gateway: an agent runtime sends each tool call here
 * before executing it and gets allow / ask / deny back.  See README.md.
 *
 *   scope-gateway --policy P.scope (--socket PATH | --stdio)
 *                 [--log FILE] [--shadow CANDIDATE.scope] [--scopec PATH]
 *                 [--trusted-key PUBLIC.pem]...
 *                 [--poll-ms N] [--max-conns N] [--max-line N] [--socket-mode OCTAL]
 *
 * This file: options, start-up, the watcher thread (signals and polling),
 * the accept loop with one thread per connection, and an orderly stop.
 * Exit status: 0 after SIGTERM/SIGINT or end of stdin, 2 usage or start-up
 * failure (no policy that verifies: the gateway never runs without one).
 */
#include "gw.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: scope-gateway --policy FILE (--socket PATH | --stdio) [options]\n"
	"  Decides agent tool calls, one JSON request per line:\n"
	"    {\"id\":1,\"task\":\"triage\",\"action\":\"post\",\"resource\":\"forum.help\",\"context\":{}}\n"
	"  and answers one JSON line each: {\"id\":1,\"decision\":\"allow|ask|deny\",...}.\n"
	"  --policy FILE       the enforced policy: .scope source (compiled with scopec)\n"
	"                      or bytecode from `scopec compile` (told by its magic bytes)\n"
	"  --socket PATH       listen on a Unix socket (one thread per connection)\n"
	"  --stdio             serve stdin/stdout instead\n"
	"  --log FILE          append the decision log (JSON Lines) to FILE\n"
	"  --shadow FILE       also decide with this candidate policy, never enforce it,\n"
	"                      log a \"shadow\" record wherever the decisions differ\n"
	"  --scopec PATH       compiler for source policies (default: $SCOPEC or scopec)\n"
	"  --trusted-key FILE  an Ed25519 public key (PEM, from `scopec keygen`); may be\n"
	"                      given up to 16 times.  Then every policy (--policy and\n"
	"                      --shadow, at start and at every reload) must be a bytecode\n"
	"                      image signed by one of these keys (`scopec sign`); source,\n"
	"                      unsigned and otherwise signed images are refused\n"
	"  --poll-ms N         check the policy files for changes every N ms (default 200;\n"
	"                      0: reload on SIGHUP only)\n"
	"  --max-conns N       concurrent connections (default 256)\n"
	"  --max-line N        longest request line in bytes (default 65536)\n"
	"  --socket-mode MODE  permissions of the socket file (default 0600)\n"
	"  SIGHUP reloads both policies and reopens the log; SIGTERM/SIGINT stop.\n";

static int usage(const char *msg, const char *arg)
{
	fputs("scope-gateway: ", stderr);
	fprintf(stderr, msg, arg);
	fputs("\nTry 'scope-gateway --help'.\n", stderr);
	return 2;
}

static bool number_arg(const char *s, unsigned long max, int base, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, base);
	if (!*s || *end || errno || v > max)
		return false;
	*out = v;
	return true;
}

/* Options as "--name VALUE" or "--name=VALUE".  Returns 0, or an exit
 * status (help printed: 0 via *done). */
static int parse_args(gw_config *c, int argc, char **argv, bool *done)
{
	*done = false;
	for (int i = 1; i < argc; i++) {
		char *a = argv[i], *val = NULL;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage_text, stdout);
			*done = true;
			return 0;
		}
		if (strcmp(a, "--stdio") == 0) {
			c->stdio = true;
			continue;
		}
		char *eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
		size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
		if (eq)
			val = eq + 1;
		else if (i + 1 < argc)
			val = argv[i + 1];
#define OPT(name) (nlen == strlen(name) && strncmp(a, name, nlen) == 0)
		if (!OPT("--policy") && !OPT("--shadow") && !OPT("--socket") && !OPT("--log") &&
		    !OPT("--scopec") && !OPT("--poll-ms") && !OPT("--max-conns") && !OPT("--max-line") &&
		    !OPT("--socket-mode") && !OPT("--trusted-key"))
			return usage(a[0] == '-' ? "unknown option '%s'" : "unexpected argument '%s'", a);
		if (!val)
			return usage("'%s' needs a value", a);
		if (!eq)
			i++;
		unsigned long v = 0;
		if (OPT("--policy"))
			c->policy = val;
		else if (OPT("--shadow"))
			c->shadow = val;
		else if (OPT("--socket"))
			c->socket = val;
		else if (OPT("--log"))
			c->log = val;
		else if (OPT("--scopec"))
			c->scopec = val;
		else if (OPT("--trusted-key") && c->ntrusted < EP_MAX_TRUSTED)
			c->trusted[c->ntrusted++] = val;
		else if (OPT("--poll-ms") && number_arg(val, 3600000, 10, &v))
			c->poll_ms = (unsigned)v;
		else if (OPT("--max-conns") && number_arg(val, 100000, 10, &v) && v)
			c->max_conns = (unsigned)v;
		else if (OPT("--max-line") && number_arg(val, 64ul << 20, 10, &v) && v >= 64)
			c->max_line = v;
		else if (OPT("--socket-mode") && number_arg(val, 0777, 8, &v))
			c->socket_mode = (unsigned)v;
		else
			return usage("bad value in '%s'", a);
#undef OPT
	}
	if (!c->policy)
		return usage("%s", "no policy given (--policy FILE)");
	if (!c->stdio == !c->socket)
		return usage("%s", "give exactly one of --socket PATH and --stdio");
	return 0;
}

/* ---- the watcher thread ---------------------------------------------- */

static void request_stop(gw_ctx *g)
{
	if (!atomic_exchange(&g->stopping, true))
		(void)!write(g->wake[1], "x", 1); /* never read: stays readable */
}

/* The signals the watcher thread takes (blocked in every other thread). */
static void watched_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGUSR1);
}

/* SIGHUP: reload both policies and reopen the log.  SIGTERM/SIGINT (or
 * SIGUSR1 from main at the end of --stdio): stop.  Otherwise poll. */
static void *watcher(void *arg)
{
	gw_ctx *g = arg;
	sigset_t set;
	watched_signals(&set);
	struct timespec every = { g->cfg.poll_ms / 1000, (long)(g->cfg.poll_ms % 1000) * 1000000 };
	while (!atomic_load(&g->stopping)) {
		int sig = g->cfg.poll_ms ? sigtimedwait(&set, NULL, &every) : sigwaitinfo(&set, NULL);
		if (sig == SIGHUP) {
			if (ep_log_reopen(g->env.log) < 0)
				fprintf(stderr, "scope-gateway: cannot reopen the log: %s\n", strerror(errno));
			(void)ep_slot_reload(&g->env, &g->enforced, "sighup");
			if (g->shadow)
				(void)ep_slot_reload(&g->env, &g->candidate, "sighup");
		} else if (sig == SIGINT || sig == SIGTERM || sig == SIGUSR1) {
			request_stop(g);
		} else if (sig < 0 && errno == EAGAIN) {
			(void)ep_slot_poll(&g->env, &g->enforced);
			if (g->shadow)
				(void)ep_slot_poll(&g->env, &g->candidate);
		}
	}
	return NULL;
}

/* ---- connections ------------------------------------------------------- */

typedef struct gw_conn {
	gw_ctx *g;
	int fd;
} gw_conn;

static void *conn_main(void *arg)
{
	gw_conn *c = arg;
	gw_ctx *g = c->g;
	gw_serve(g, c->fd, c->fd);
	close(c->fd);
	free(c);
	pthread_mutex_lock(&g->conns_mu);
	g->conns--;
	pthread_cond_broadcast(&g->conns_cv);
	pthread_mutex_unlock(&g->conns_mu);
	return NULL;
}

static void refuse(int fd, const char *why)
{
	char line[200];
	int n = snprintf(line, sizeof line,
			 "{\"id\":null,\"decision\":\"deny\",\"reason\":\"error\",\"error\":\"%s\"}\n", why);
	(void)ep_write_all(fd, line, (size_t)n);
	close(fd);
}

static void start_conn(gw_ctx *g, int fd)
{
	pthread_mutex_lock(&g->conns_mu);
	bool full = g->conns >= g->cfg.max_conns;
	if (!full)
		g->conns++;
	pthread_mutex_unlock(&g->conns_mu);
	if (full) {
		refuse(fd, "too many connections");
		return;
	}
	gw_conn *c = malloc(sizeof *c);
	pthread_t t;
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	if (c) {
		*c = (gw_conn){ g, fd };
		if (pthread_create(&t, &at, conn_main, c) == 0) {
			pthread_attr_destroy(&at);
			return;
		}
	}
	pthread_attr_destroy(&at);
	free(c);
	refuse(fd, "out of resources");
	pthread_mutex_lock(&g->conns_mu);
	g->conns--;
	pthread_cond_broadcast(&g->conns_cv);
	pthread_mutex_unlock(&g->conns_mu);
}

/* A listening socket at PATH; a stale socket file (nobody accepting) is
 * replaced, a live one or any other file is an error. */
static int listen_socket(const gw_config *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(c->socket) >= sizeof sa.sun_path) {
		fprintf(stderr, "scope-gateway: socket path too long: %s\n", c->socket);
		return -1;
	}
	strcpy(sa.sun_path, c->socket);
	struct stat st;
	if (lstat(c->socket, &st) == 0) {
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		bool live = S_ISSOCK(st.st_mode) && probe >= 0 &&
			    connect(probe, (struct sockaddr *)&sa, sizeof sa) == 0;
		if (probe >= 0)
			close(probe);
		if (!S_ISSOCK(st.st_mode) || live) {
			fprintf(stderr, "scope-gateway: %s: %s\n", c->socket,
				live ? "another gateway is listening there" : "exists and is not a socket");
			return -1;
		}
		unlink(c->socket);
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	mode_t old = umask(0077);
	int rc = fd < 0 ? -1 : bind(fd, (struct sockaddr *)&sa, sizeof sa);
	umask(old);
	if (rc == 0)
		rc = chmod(c->socket, c->socket_mode);
	if (rc == 0)
		rc = listen(fd, 128);
	if (rc != 0) {
		fprintf(stderr, "scope-gateway: cannot listen on %s: %s\n", c->socket, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void accept_loop(gw_ctx *g, int lfd)
{
	struct pollfd pf[2] = { { lfd, POLLIN, 0 }, { g->wake[0], POLLIN, 0 } };
	while (!atomic_load(&g->stopping)) {
		int n = poll(pf, 2, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || pf[1].revents)
			break;
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			start_conn(g, fd);
		else if (errno == EMFILE || errno == ENFILE || errno == ENOMEM)
			poll(NULL, 0, 10); /* out of descriptors: back off, do not spin */
	}
}

/* Waits (up to 5 s) for the connections to finish their current request. */
static void drain(gw_ctx *g)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	pthread_mutex_lock(&g->conns_mu);
	while (g->conns && pthread_cond_timedwait(&g->conns_cv, &g->conns_mu, &until) == 0)
		;
	pthread_mutex_unlock(&g->conns_mu);
}

static void log_event(gw_ctx *g, const char *type)
{
	json_t *r = ep_log_record(type);
	json_object_set_new(r, "pid", json_integer(getpid()));
	json_object_set_new(r, "policy_path", ep_json_text(g->cfg.policy, strlen(g->cfg.policy)));
	if (g->shadow)
		json_object_set_new(r, "shadow_path", ep_json_text(g->cfg.shadow, strlen(g->cfg.shadow)));
	if (g->cfg.socket)
		json_object_set_new(r, "socket", ep_json_text(g->cfg.socket, strlen(g->cfg.socket)));
	if (strcmp(type, "stop") == 0) {
		json_object_set_new(r, "requests", json_integer((json_int_t)atomic_load(&g->requests)));
		json_object_set_new(r, "log_failures", json_integer((json_int_t)atomic_load(&g->env.log_failures)));
	}
	(void)ep_log_records(g->env.log, &r, 1);
}

int main(int argc, char **argv)
{
	static gw_ctx ctx;
	gw_ctx *g = &ctx;
	const char *env = getenv("SCOPEC");
	g->cfg = (gw_config){ .scopec = env && *env ? env : "scopec", .socket_mode = 0600,
			      .poll_ms = 200, .max_conns = 256, .max_line = 65536 };
	bool done;
	int rc = parse_args(&g->cfg, argc, argv, &done);
	if (rc || done)
		return rc;
	g->shadow = g->cfg.shadow != NULL;
	g->env.prog = "scope-gateway";
	g->env.scopec = g->cfg.scopec;
	for (size_t k = 0; k < g->cfg.ntrusted; k++) {
		char err[1200];
		if (ep_env_trust(&g->env, g->cfg.trusted[k], err, sizeof err) < 0) {
			fprintf(stderr, "scope-gateway: %s\n", err);
			return 2;
		}
	}
	/* Signals: SIGPIPE ignored (a client that hangs up is an EPIPE);
	 * the others blocked in every thread and taken by the watcher. */
	signal(SIGPIPE, SIG_IGN);
	sigset_t set;
	watched_signals(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pthread_mutex_init(&g->conns_mu, NULL);
	pthread_cond_init(&g->conns_cv, NULL);
	if (pipe2(g->wake, O_CLOEXEC) != 0 || ep_log_open(&g->env.log, g->cfg.log) < 0) {
		fprintf(stderr, "scope-gateway: cannot open the log '%s': %s\n",
			g->cfg.log ? g->cfg.log : "", strerror(errno));
		return 2;
	}
	log_event(g, "start");
	if (ep_slot_init(&g->env, &g->enforced, "enforced", g->cfg.policy) < 0 ||
	    (g->shadow && ep_slot_init(&g->env, &g->candidate, "candidate", g->cfg.shadow) < 0)) {
		ep_slot_fini(&g->enforced);
		ep_slot_fini(&g->candidate);
		ep_log_close(g->env.log);
		return 2;
	}
	int lfd = g->cfg.socket ? listen_socket(&g->cfg) : -1;
	pthread_t w;
	if ((g->cfg.socket && lfd < 0) || pthread_create(&w, NULL, watcher, g) != 0) {
		ep_slot_fini(&g->enforced);
		ep_slot_fini(&g->candidate);
		ep_log_close(g->env.log);
		return 2;
	}
	if (g->cfg.stdio) {
		gw_serve(g, 0, 1);
	} else {
		fprintf(stderr, "scope-gateway: listening on %s\n", g->cfg.socket);
		accept_loop(g, lfd);
		close(lfd);
		unlink(g->cfg.socket);
	}
	request_stop(g);
	pthread_kill(w, SIGUSR1);
	pthread_join(w, NULL);
	drain(g);
	log_event(g, "stop");
	pthread_mutex_lock(&g->conns_mu);
	unsigned open_conns = g->conns;
	pthread_mutex_unlock(&g->conns_mu);
	if (open_conns) { /* a client that does not read: leave the rest to exit() */
		fprintf(stderr, "scope-gateway: %u connections still open at exit\n", open_conns);
		return 0;
	}
	ep_slot_fini(&g->enforced);
	ep_slot_fini(&g->candidate);
	ep_log_close(g->env.log);
	close(g->wake[0]);
	close(g->wake[1]);
	return 0;
}
