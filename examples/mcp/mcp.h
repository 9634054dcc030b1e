/*
 * mcp.h — scope-mcp, the MCP stdio proxy that enforces a scope policy:
 * internal interfaces.
 *
 *   scope_mcp.c  options, start-up (policy, log, the server process), the
 *                watcher thread (SIGHUP, polling, SIGTERM), exit
 *   mcp_loop.c   the event loop: poll() over the two peers, bounded queues
 *   mcp_io.c     reading lines and writing queued bytes (non-blocking)
 *   mcp_map.c    the id tables (integer proxy id -> entry)
 *   mcp_route.c  JSON-RPC routing: which message goes where, id maps
 *   mcp_call.c   tools/call and resources/read: form, decide, log, deny
 *   mcp_ask.c    `ask`: elicitation/create to the client, deadlines
 *   mcp_list.c   the tools/list filter
 *
 * One thread moves every message (no locks on the relay path); a watcher
 * thread takes the signals and reloads policies (ep_policy.c: readers
 * never wait for a reload) and wakes the loop through a pipe.
 *
 * Id maps.  Every request that crosses the proxy gets a fresh id from the
 * proxy, an integer from a counter of its direction, and the table of
 * that direction maps it back:
 *   client -> server requests: id S (1, 2, ...) towards the server;
 *     to_server[S] = the client's id (any JSON) and what the request was;
 *   server -> client requests and the proxy's own elicitation/create:
 *     id C (1, 2, ...) towards the client; to_client[C] = the server's id,
 *     or the waiting call.
 * A response is matched by its id alone in the table of its direction, so
 * order does not matter; an id the proxy did not issue (or issued and
 * already retired) matches nothing and is dropped.  Since each side only
 * ever sees ids minted by the proxy, nothing either peer chooses (a reused
 * id, a string that looks like ours) can make one request's answer pass
 * for another's.
 */
#ifndef MCP_H
#define MCP_H

#include "ep.h"
#include "scope.h"
#include "scope_enforce.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MCP_PROG "scope-mcp"

typedef struct mcp_config {
	const char *policy;      /* --policy */
	const char *task;        /* --task: bound here, never by the agent */
	const char *name;        /* --name SERVER: actions SERVER.T, or NULL */
	const char *log;         /* --log */
	const char *shadow;      /* --shadow */
	const char *scopec;      /* --scopec, $SCOPEC, scopec */
	const char *base;        /* --base DIR: relative paths' base, or NULL: refused */
	const char *trusted[EP_MAX_TRUSTED]; /* --trusted-key PEM files */
	size_t ntrusted;
	unsigned ask_timeout_ms; /* --ask-timeout (seconds on the command line) */
	unsigned poll_ms;        /* --poll-ms: policy file polling, 0 = SIGHUP only */
	size_t max_line;         /* --max-line: longest message in bytes */
	size_t max_pending;      /* requests in flight per direction */
	char **command;          /* the server: argv after "--" */
} mcp_config;

/* ---- bytes and lines (mcp_io.c) ------------------------------------------ */

/* Output waiting for a peer.  The loop stops reading from every peer whose
 * messages could land here while it holds more than MCP_QUEUE_HIGH bytes,
 * so it never holds more than that plus one message (and a few small
 * notices). */
#define MCP_QUEUE_HIGH (1u << 20)

typedef struct mcp_queue {
	char *buf;
	size_t off, len, cap;    /* pending bytes are buf[off, off+len) */
} mcp_queue;

typedef struct mcp_peer {
	const char *name;        /* "client", "server" */
	int rfd, wfd;            /* we read rfd (the peer's output), write wfd */
	char *rbuf;              /* input; lines are cut from [rstart, rlen) */
	size_t rstart, rlen, rcap, max_line;
	bool discard;            /* inside a line that was too long */
	bool eof;                /* rfd reached end of file (or failed) */
	bool gone;               /* wfd failed: nothing more is written */
	mcp_queue out;
} mcp_peer;

int mcp_peer_init(mcp_peer *p, const char *name, int rfd, int wfd, size_t max_line);
void mcp_peer_fini(mcp_peer *p);
/* Reads what is available (one read): the byte count, 0 if nothing was
 * there (EAGAIN), -1 at EOF or on an error (p->eof). */
int mcp_peer_read(mcp_peer *p);
/* The next complete line: 1 with *LINE and *N (without "\n" or "\r\n"), 0 when
 * none is complete, -1 for a line over the limit (reported once, the rest
 * of it discarded).  At EOF a last line without newline counts. */
int mcp_peer_line(mcp_peer *p, char **line, size_t *n);
/* Queues N bytes and a newline for the peer (dropped if it is gone). */
void mcp_peer_send(mcp_peer *p, const char *s, size_t n);
/* Queues a JSON message (compact) for the peer; steals MSG. */
void mcp_peer_send_json(mcp_peer *p, json_t *msg);
/* Writes queued bytes until the pipe is full.  -1 if the peer is gone. */
int mcp_peer_flush(mcp_peer *p);
bool mcp_peer_full(const mcp_peer *p);
int mcp_set_nonblock(int fd, bool on);

/* ---- id tables (mcp_map.c) ----------------------------------------------- */

typedef struct mcp_map {
	uint64_t *keys;          /* 0 = empty slot (ids start at 1) */
	void **vals;
	size_t cap, n;
} mcp_map;

void *mcp_map_get(const mcp_map *m, uint64_t key);
int mcp_map_put(mcp_map *m, uint64_t key, void *val);
/* Removes KEY and returns its value (NULL if absent). */
void *mcp_map_take(mcp_map *m, uint64_t key);
void mcp_map_free(mcp_map *m);
/* Calls FN on every value (the map must not change meanwhile). */
void mcp_map_each(const mcp_map *m, void (*fn)(void *val, void *arg), void *arg);

/* ---- the proxy ------------------------------------------------------------ */

/* What a client request forwarded to the server was. */
typedef enum { MCP_R_PLAIN, MCP_R_INIT, MCP_R_LIST, MCP_R_CALL, MCP_R_READ } mcp_rkind;

typedef struct mcp_pending {     /* to_server[S] */
	uint64_t sid;
	json_t *client_id;
	mcp_rkind kind;
} mcp_pending;

typedef struct mcp_ask mcp_ask;

typedef struct mcp_creq {        /* to_client[C] */
	uint64_t cid;
	json_t *server_id;       /* a server request, or NULL: */
	mcp_ask *ask;            /* the proxy's own elicitation */
} mcp_creq;

/* A call waiting for a human (mcp_ask.c). */
struct mcp_ask {
	uint64_t cid;            /* the elicitation's id towards the client */
	json_t *msg;             /* the call exactly as decided */
	json_t *client_id;
	mcp_rkind kind;
	double deadline_ms;
	char *tool, *action, *resource, *explain;
	mcp_ask *prev, *next;
};

typedef struct mcp_ctx {
	mcp_config cfg;
	ep_env env;
	ep_slot enforced, candidate;
	bool shadow;
	mcp_peer client, server;
	mcp_map to_server, to_client;
	uint64_t next_sid, next_cid;
	mcp_ask *asks;           /* waiting calls, oldest first */
	size_t nasks;
	scope_form *form;
	scope_scratch *scr;
	bool client_elicits;     /* the client's initialize declared form elicitation */
	bool initialized;        /* the server answered initialize */
	pid_t pid;               /* the server */
	int pidfd;               /* readable when it exits, or -1 */
	bool server_exited;
	int server_status;       /* waitpid status */
	int wake[2];             /* the watcher's notes: 'r' reloaded, 's' stop */
	bool stopping;
	atomic_bool watch_stop;  /* tells the watcher thread to end */
	unsigned long calls, denied, asked, forwarded;
} mcp_ctx;

/* mcp_loop.c: relays until the server is gone; returns the exit status. */
int mcp_run(mcp_ctx *m);
double mcp_now_ms(void);

/* mcp_route.c */
void mcp_from_client(mcp_ctx *m, const char *line, size_t n);
void mcp_from_server(mcp_ctx *m, const char *line, size_t n);
/* A line over --max-line from PEER. */
void mcp_oversized(mcp_ctx *m, mcp_peer *from);
/* Every request still waiting for the server (and every waiting call)
 * gets an error response saying WHY. */
void mcp_fail_pending(mcp_ctx *m, const char *why);
/* Sends REQ (a client request object, owned by the caller) to the
 * server under a fresh id; false (and an error to the client) if the
 * table is full. */
bool mcp_forward_request(mcp_ctx *m, json_t *req, json_t *client_id, mcp_rkind kind);
json_t *mcp_error(json_t *id, int code, const char *msg);
json_t *mcp_result(json_t *id, json_t *result);
void mcp_reply(mcp_ctx *m, json_t *msg);

/* mcp_call.c: tools/call and resources/read (REQ owned by the caller). */
void mcp_call(mcp_ctx *m, json_t *req, json_t *id, mcp_rkind kind);
/* The answer to a call that is not forwarded: an isError tool result for
 * tools/call, a JSON-RPC error for resources/read. */
json_t *mcp_refusal(json_t *id, mcp_rkind kind, const char *text, json_t *meta);
/* After a human approved: decides again with the policy now in force and
 * forwards unless it says deny. */
void mcp_call_approved(mcp_ctx *m, mcp_ask *a);

/* mcp_ask.c */
/* Asks the client's human about the call (or refuses at once when the
 * client cannot be asked).  Takes over REQ. */
void mcp_ask_start(mcp_ctx *m, json_t *req, json_t *id, mcp_rkind kind, const char *tool,
		   const scope_request *rq, const ep_outcome *o);
void mcp_ask_answer(mcp_ctx *m, mcp_ask *a, json_t *resp);
/* The client withdrew call ID (notifications/cancelled): true if it was
 * waiting here (then it is dropped). */
bool mcp_ask_withdraw(mcp_ctx *m, json_t *id);
/* Refuses the calls whose time is up; returns ms until the next deadline
 * (-1: none). */
int mcp_ask_expire(mcp_ctx *m);
void mcp_ask_fail_all(mcp_ctx *m, const char *why);
/* An approval record in the log. */
void mcp_ask_log(mcp_ctx *m, const mcp_ask *a, const char *result);

/* mcp_list.c: hides the tools of a tools/list result that the task can
 * never be granted (ep_may_grant). */
void mcp_list_filter(mcp_ctx *m, json_t *result);
/* The action of tool T: "T" or "SERVER.T" into BUF; false if too long. */
bool mcp_action(const mcp_ctx *m, const char *tool, size_t n, char *buf, size_t cap);

#endif
