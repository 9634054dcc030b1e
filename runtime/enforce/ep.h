/*
 * ep.h — what scope's enforcement points share (internal to
 * libscope-enforce; not installed).  scope-gateway (examples/gateway) and
 * scope-mcp (examples/mcp) both link these, so that the decision log, the
 * policy loading and reloading, and the way a decision is explained and
 * recorded exist exactly once:
 *
 *   ep_log.c     the decision log (JSON Lines, one write(2) per batch of records)
 *   ep_policy.c  policies: read/compile, verify, digest, hot reload, pinning
 *   ep_decide.c  decide with a pinned policy, explain, the log records
 *   ep_sha256.c  the policy digest (SHA-256, FIPS 180-4)
 *
 * Nothing here knows about sockets, MCP or threads of its caller; the
 * caller owns an ep_env (program name, compiler, log) and its ep_slots.
 */
#ifndef SCOPE_EP_H
#define SCOPE_EP_H

#include "scope.h"
#include "scope_enforce.h"
#include "sig.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- the policy digest (ep_sha256.c) ------------------------------------ */

#define EP_SHA256_LEN 32
/* "sha256:" + 64 hex digits + NUL */
#define EP_DIGEST_STR 72

void ep_sha256(const void *data, size_t len, uint8_t out[EP_SHA256_LEN]);
/* "sha256:<hex>" of DATA into BUF (EP_DIGEST_STR bytes). */
void ep_sha256_str(const void *data, size_t len, char buf[EP_DIGEST_STR]);

/* ---- the decision log (ep_log.c) ----------------------------------------- */

typedef struct ep_log ep_log;

/* Opens PATH for appending (NULL: a log that drops everything). */
int ep_log_open(ep_log **out, const char *path);
void ep_log_close(ep_log *l);
/* Reopens the file (after rotation); on failure the old fd stays. */
int ep_log_reopen(ep_log *l);
/* True if a file was given (records are kept). */
bool ep_log_on(const ep_log *l);
/* Writes the records (each a JSON object; NULL entries are skipped) as
 * one line each, in one write(2) under the log mutex; steals the
 * references.  -1 if anything failed (the caller fails closed). */
int ep_log_records(ep_log *l, json_t *const *recs, size_t n);
/* A record with "type" and "time" filled in. */
json_t *ep_log_record(const char *type);
/* RFC 3339 UTC with milliseconds: 2024-05-01T12:00:00.123Z (25 bytes). */
void ep_log_time(char buf[32]);
/* A JSON string of N bytes; invalid UTF-8 bytes become '?'. */
json_t *ep_json_text(const char *s, size_t n);
/* json_dumps(V, FLAGS), or NULL if an allocation failed on the way:
 * jansson 2.14 can return a text with a key or a quote left out then
 * (seen in the decision log under allocation-failure injection), and
 * malloc's ENOMEM is the only sign of it. */
char *ep_json_dumps(const json_t *v, size_t flags);
/* Writes all of BUF to a blocking FD; false if the peer went away. */
bool ep_write_all(int fd, const char *buf, size_t n);

/* ---- policies and hot reload (ep_policy.c) -------------------------------- */

#define EP_MAX_TRUSTED 16

/* The enforcement point: its name (stderr messages, temporary files), the
 * compiler for source policies, its log, and the keys it trusts.  With no
 * trusted key any valid policy loads (a signature is not checked); with one
 * or more, every policy of every slot must be a bytecode image signed by
 * one of them (`scopec sign`): source and unsigned images are refused. */
typedef struct ep_env {
	const char *prog;        /* "scope-gateway", "scope-mcp" */
	const char *scopec;
	ep_log *log;
	atomic_ulong log_failures;
	unsigned char trusted[EP_MAX_TRUSTED][SCOPE_ED25519_KEY_LEN];
	size_t ntrusted;
} ep_env;

/* Adds the public key of the PEM file PATH (`--trusted-key`) to E's
 * trusted keys.  0, or -1 with ERR filled in. */
int ep_env_trust(ep_env *e, const char *path, char *err, size_t errsz);

/* Loads the policy image IMG (LEN bytes, read from PATH: messages name it)
 * under ENV's trust rule: with trusted keys only a bytecode image signed by
 * one of them (source is refused, not compiled), else any image the
 * verifier accepts.  0 with *OUT, DIGEST (sha256 of the image without a
 * signature trailer; not computed if DIGEST is NULL) and SIGNER (the key
 * id, "" when no key is trusted); -1 with ERR filled in.  The one place the
 * rule lives: the gateway, scope-mcp and `scopec hook` all load through it. */
int ep_load_image(const ep_env *env, const char *path, const unsigned char *img, size_t len,
		  scope_policy **out, char digest[EP_DIGEST_STR], char signer[SIG_KEYID_STR], char *err,
		  size_t errsz);

/* The file state that tells a change: all of stat's identity fields. */
typedef struct ep_fileid {
	int err;                 /* stat's errno, 0 if it succeeded */
	dev_t dev;
	ino_t ino;
	off_t size;
	long long mtime_ns, ctime_ns;
} ep_fileid;

/* One role: the enforced policy, or the shadow candidate.  The digest of
 * each loaded policy lives beside the handle, found by the pinned policy's
 * address (see ep_policy.c for why that is race-free). */
typedef struct ep_slot {
	const char *role;        /* "enforced" or "candidate" */
	const char *path;
	scope_handle *h;
	struct {
		_Atomic(const scope_policy *) p;
		char digest[EP_DIGEST_STR];
	} meta[2];
	/* the reloader's own state (one thread at a time) */
	unsigned meta_cur;
	ep_fileid seen, pending;
	bool has_pending;
	char digest[EP_DIGEST_STR];
} ep_slot;

/* A policy pinned for one request: decide, explain, then unpin. */
typedef struct ep_pin {
	const scope_policy *p;
	const char *digest;
	unsigned ticket;
} ep_pin;

/* What a reload did. */
enum { EP_RELOAD_REFUSED = -1, EP_RELOAD_NONE = 0, EP_RELOAD_UNCHANGED = 1, EP_RELOAD_LOADED = 2 };

/* Loads the first policy of SLOT; on failure prints why and returns -1. */
int ep_slot_init(ep_env *e, ep_slot *s, const char *role, const char *path);
void ep_slot_fini(ep_slot *s);
/* Loads PATH again and swaps it in if it verified; logs a "reload" or an
 * "error" record.  TRIGGER: "sighup", "change".  Reloads of one slot must
 * not run concurrently.  Returns EP_RELOAD_*. */
int ep_slot_reload(ep_env *e, ep_slot *s, const char *trigger);
/* Called every poll interval: reloads once the file changed and then
 * stayed the same for one interval (a writer that is not atomic is not
 * read half-way, unless it pauses longer than the interval).  EP_RELOAD_*
 * (NONE when nothing was due). */
int ep_slot_poll(ep_env *e, ep_slot *s);
int ep_slot_pin(ep_slot *s, ep_pin *out);
void ep_slot_unpin(ep_slot *s, ep_pin *pin);

/* ---- deciding and recording (ep_decide.c) ------------------------------- */

typedef struct ep_outcome {
	scope_result r;
	char explain[1024];
	char location[600];      /* "FILE:LINE:COL", or "" */
	char digest[EP_DIGEST_STR];
} ep_outcome;

/* Decides RQ with the pinned policy and explains the result.  Never
 * fails: an error is a deny whose explanation says why. */
void ep_decide_pinned(const ep_pin *pin, scope_scratch *scr, const scope_request *rq, ep_outcome *o);
/* Pins S, decides, unpins (a pin failure is a deny with reason error). */
void ep_decide(ep_slot *s, scope_scratch *scr, const scope_request *rq, ep_outcome *o);
/* The outcome O when the policy could not be pinned (or the call not
 * decided at all): deny, reason error, explanation WHY. */
void ep_outcome_error(ep_outcome *o, const char *why);

const char *ep_decision_name(scope_decision d);
const char *ep_why_name(scope_why w);

/* The decision of a whole tool call: every request of F decided with PIN
 * (and with the shadow candidate CPIN when it is not NULL), the most
 * restrictive wins.  *OUT is the outcome of the first request with the
 * call's decision and *WHICH its index.  RECS, when not NULL, has room for
 * 2 records per request and receives each one's "decision" record and,
 * where the candidate decides otherwise, its "shadow" record (else NULL);
 * the caller adds its own fields and logs them.  -SCOPE_EINVAL when F
 * holds no request, -SCOPE_ENOMEM when a decision record could not be
 * made; *OUT is then a deny. */
int ep_decide_form(const ep_pin *pin, const ep_pin *cpin, scope_scratch *scr, const scope_form *f,
		   json_t *id, json_t **recs, ep_outcome *out, size_t *which);

/* decision, reason, item, [location], explain, policy into OBJ. */
void ep_put_outcome(json_t *obj, const ep_outcome *o, bool location);
/* A record of TYPE with id, task, action, resource and attributes: ATTRS
 * (borrowed) when not NULL, else RQ's attributes as an object of strings. */
json_t *ep_request_record(const char *type, json_t *id, const scope_request *rq, json_t *attrs);
/* The "decision" record of RQ decided as EO; NULL (out of memory) rather
 * than a record that lacks a field. */
json_t *ep_decision_record(json_t *id, const scope_request *rq, json_t *attrs, const ep_outcome *eo);
/* The "decision" record of a call that could not be decided (malformed,
 * unformable): every field of a decision record, null where there was
 * none, decision deny, reason error, with EXPLAIN and ERROR.  TASK may be
 * NULL. */
json_t *ep_error_record(json_t *id, const char *task, const char *explain, const char *error);
/* The "shadow" record when the candidate's CO differs from EO, else NULL. */
json_t *ep_shadow_record(json_t *id, const scope_request *rq, json_t *attrs, const ep_outcome *eo,
			 const ep_outcome *co);

/* ---- tool visibility (ep_visible.c) -------------------------------------- */

/* May some request of TASK with action ACTION (any resource, any
 * attributes) be decided allow or ask by P?  An over-approximation from
 * the automata: false only when no such request exists (see
 * ep_visible.c), so hiding on false never hides what could be granted.
 * -SCOPE_EINVAL on bad arguments, -SCOPE_ENOMEM; never on the decision path. */
int ep_may_grant(const scope_policy *p, const char *task, size_t task_len, const char *action,
		 size_t action_len, bool *out);

#endif
