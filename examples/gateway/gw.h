/*
 * gw.h — scope-gateway, the tool-call gateway: internal interfaces.
 *
 *   gateway.c   options, start-up, the accept loop, shutdown
 *   gw_serve.c  one connection: JSON Lines in, decisions out, log records
 *
 * Shared with scope-mcp, in libscope-enforce (runtime/enforce/ep.h): the
 * decision log, policies (read/compile, digest, hot reload, pinning) and
 * the decision with its explanation and log records.
 *
 * Threads: the main thread accepts (or serves --stdio); one thread per
 * connection decides; one watcher thread takes SIGHUP/SIGTERM/SIGINT
 * (blocked everywhere else) and polls the policy files.  Deciding threads
 * share nothing mutable except the two scope_handles (lock-free readers)
 * and the log (a mutex around one write(2) of a finished record).
 */
#ifndef GW_H
#define GW_H

#include "ep.h"
#include "scope.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct gw_config {
	const char *policy;      /* --policy: .scope source or bytecode */
	const char *shadow;      /* --shadow: candidate, or NULL */
	const char *socket;      /* --socket PATH, or NULL with --stdio */
	const char *log;         /* --log FILE, or NULL */
	const char *scopec;      /* compiler for source policies */
	const char *trusted[EP_MAX_TRUSTED]; /* --trusted-key PEM files */
	size_t ntrusted;
	unsigned socket_mode;    /* permission bits of the socket file */
	unsigned poll_ms;        /* 0: reload on SIGHUP only */
	unsigned max_conns;
	size_t max_line;
	bool stdio;
} gw_config;

/* ---- the gateway ------------------------------------------------------- */

typedef struct gw_ctx gw_ctx;

struct gw_ctx {
	gw_config cfg;
	ep_env env;              /* program name, compiler, log, log failures */
	ep_slot enforced, candidate;
	bool shadow;
	int wake[2];             /* a pipe; readable once the gateway stops */
	atomic_bool stopping;
	pthread_mutex_t conns_mu;
	pthread_cond_t conns_cv;
	unsigned conns;
	atomic_ulong requests;
};

/* Serves one connection (or stdin/stdout) until EOF or shutdown. */
void gw_serve(gw_ctx *g, int in, int out);

#endif
