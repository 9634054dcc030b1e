/*
 * gw.h — scope-gateway, the tool-call gateway: internal interfaces.
 *
 *   gateway.c   options, start-up, the accept loop, shutdown
 *   gw_policy.c policies: read/compile, digest, hot reload, pinning
 *   gw_serve.c  one connection: JSON Lines in, decisions out, log records
 *   gw_log.c    the decision log (JSON Lines, one write per record)
 *   sha256.c    the policy digest
 *
 * Threads: the main thread accepts (or serves --stdio); one thread per
 * connection decides; one watcher thread takes SIGHUP/SIGTERM/SIGINT
 * (blocked everywhere else) and polls the policy files.  Deciding threads
 * share nothing mutable except the two scope_handles (lock-free readers)
 * and the log (a mutex around one write(2) of a finished record).
 */
#ifndef GW_H
#define GW_H

#include "scope.h"
#include "sha256.h"

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
	unsigned socket_mode;    /* permission bits of the socket file */
	unsigned poll_ms;        /* 0: reload on SIGHUP only */
	unsigned max_conns;
	size_t max_line;
	bool stdio;
} gw_config;

/* ---- the decision log (gw_log.c) ---------------------------------------- */

typedef struct gw_log gw_log;

/* Opens PATH for appending (NULL: a log that drops everything). */
int gw_log_open(gw_log **out, const char *path);
void gw_log_close(gw_log *l);
/* Reopens the file (after rotation); on failure the old fd stays. */
int gw_log_reopen(gw_log *l);
/* Writes the records (each a JSON object) as one line each, in one
 * write(2) under the log mutex; steals the references.  -1 if the write
 * failed (the caller fails closed). */
int gw_log_records(gw_log *l, json_t *const *recs, size_t n);
/* A record with "type" and "time" filled in. */
json_t *gw_log_record(const char *type);
/* RFC 3339 UTC with milliseconds: 2024-05-01T12:00:00.123Z (25 bytes). */
void gw_log_time(char buf[32]);
/* A JSON string of N bytes; invalid UTF-8 bytes become '?'. */
json_t *gw_json_text(const char *s, size_t n);

/* ---- policies and hot reload (gw_policy.c) ------------------------------ */

/* The file state that tells a change: all of stat's identity fields. */
typedef struct gw_fileid {
	int err;                 /* stat's errno, 0 if it succeeded */
	dev_t dev;
	ino_t ino;
	off_t size;
	long long mtime_ns, ctime_ns;
} gw_fileid;

/* One role: the enforced policy, or the shadow candidate.  The digest of
 * each loaded policy lives beside the handle, found by the pinned policy's
 * address (see gw_policy.c for why that is race-free). */
typedef struct gw_slot {
	const char *role;        /* "enforced" or "candidate" */
	const char *path;
	scope_handle *h;
	struct {
		_Atomic(const scope_policy *) p;
		char digest[GW_DIGEST_STR];
	} meta[2];
	/* the reloader's own state (the watcher thread, or start-up) */
	unsigned meta_cur;
	gw_fileid seen, pending;
	bool has_pending;
	char digest[GW_DIGEST_STR];
} gw_slot;

/* A policy pinned for one request: decide, explain, then unpin. */
typedef struct gw_pin {
	const scope_policy *p;
	const char *digest;
	unsigned ticket;
} gw_pin;

typedef struct gw_ctx gw_ctx;

/* Loads the first policy of SLOT; on failure prints why and returns -1. */
int gw_slot_init(gw_ctx *g, gw_slot *s, const char *role, const char *path);
void gw_slot_fini(gw_slot *s);
/* Loads PATH again and swaps it in if it verified; logs a "reload" or an
 * "error" record.  TRIGGER: "sighup", "change".  Watcher thread only. */
void gw_slot_reload(gw_ctx *g, gw_slot *s, const char *trigger);
/* Called every poll interval: reloads once the file changed and then
 * stayed the same for one interval (a writer that is not atomic is not
 * read half-way, unless it pauses longer than the interval). */
void gw_slot_poll(gw_ctx *g, gw_slot *s);
int gw_slot_pin(gw_slot *s, gw_pin *out);
void gw_slot_unpin(gw_slot *s, gw_pin *pin);

/* ---- the gateway ------------------------------------------------------- */

struct gw_ctx {
	gw_config cfg;
	gw_slot enforced, candidate;
	bool shadow;
	gw_log *log;
	int wake[2];             /* a pipe; readable once the gateway stops */
	atomic_bool stopping;
	pthread_mutex_t conns_mu;
	pthread_cond_t conns_cv;
	unsigned conns;
	atomic_ulong requests, log_failures;
};

/* Serves one connection (or stdin/stdout) until EOF or shutdown. */
void gw_serve(gw_ctx *g, int in, int out);
/* Writes all of BUF; false if the peer went away. */
bool gw_write_all(int fd, const char *buf, size_t n);

#endif
