/*
 * scope.h — the scope runtime: load a compiled policy, decide requests.
 *
 *   scope_policy *p;
 *   if (scope_policy_load_file(&p, "triage.scopec") < 0) ... // verified here
 *   scope_scratch *s;                       // one per thread
 *   scope_scratch_create(&s);
 *   scope_request rq = { "triage", 6, "post", 4, "forum.help", 10, attrs, 1 };
 *   scope_result r;
 *   scope_decide(p, s, &rq, &r);            // r.decision: allow / ask / deny
 *   scope_scratch_destroy(s);
 *   scope_policy_destroy(p);
 *
 * Contracts, for every function here:
 *   - returns 0 or a negative SCOPE_E* code listed below, nothing else;
 *   - every create has a destroy, and destroy accepts NULL;
 *   - outputs go into memory the caller owns;
 *   - a decision never allocates, never locks, touches no global state and
 *     takes time linear in the request (times the number of conditions it
 *     must evaluate); any failure leaves the decision `deny`.
 *
 * A loaded policy is immutable and may be shared by any number of threads.
 * A scratch (PCRE2 match data) belongs to one thread at a time.  Use a
 * scope_handle to replace a policy while other threads keep deciding.
 */
#ifndef SCOPE_H
#define SCOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes, defined once.  Functions return -SCOPE_E... */
#define SCOPE_ERRORS(X)                                                      \
	X(SCOPE_EINVAL, 1, "invalid argument")                               \
	X(SCOPE_ENOMEM, 2, "out of memory")                                  \
	X(SCOPE_EIO, 3, "cannot read the policy file")                       \
	X(SCOPE_EFORMAT, 4, "not a scope bytecode image")                    \
	X(SCOPE_EVERSION, 5, "unsupported bytecode version")                 \
	X(SCOPE_ELENGTH, 6, "image truncated or length mismatch")            \
	X(SCOPE_ECHECKSUM, 7, "image checksum mismatch (corrupted)")         \
	X(SCOPE_EVERIFY, 8, "image failed verification")                     \
	X(SCOPE_EREGEX, 9, "a regex of the image does not compile")          \
	X(SCOPE_ERANGE, 10, "index out of range")                            \
	X(SCOPE_ENOSPC, 11, "output buffer too small")                       \
	X(SCOPE_EBUSY, 12, "policy handle is being replaced; try again")     \
	X(SCOPE_ENOPOLICY, 13, "policy handle holds no policy")             \
	X(SCOPE_EPATH, 14, "path cannot be made canonical")                  \
	X(SCOPE_EURL, 15, "URL cannot be parsed")                            \
	X(SCOPE_EUNSIGNED, 16, "image is not signed")                       \
	X(SCOPE_ESIGNATURE, 17, "signature does not verify")                \
	X(SCOPE_EKEY, 18, "not an Ed25519 key")

enum {
#define SCOPE_X(name, num, text) name = num,
	SCOPE_ERRORS(SCOPE_X)
#undef SCOPE_X
};

/* "invalid argument" etc. for -SCOPE_E... (or 0); never NULL. */
const char *scope_strerror(int err);

typedef enum { SCOPE_ALLOW = 0, SCOPE_ASK = 1, SCOPE_DENY = 2 } scope_decision;

typedef enum {
	SCOPE_WHY_ITEM = 0,    /* an item decided: see item */
	SCOPE_WHY_DEFAULT = 1, /* nothing allows this: default deny */
	SCOPE_WHY_NO_TASK = 2, /* the task is not declared */
	SCOPE_WHY_ERROR = 3,   /* the call failed (its return value says why) */
} scope_why;

#define SCOPE_NO_ITEM UINT32_MAX

typedef struct scope_attr {
	const char *key;
	size_t key_len;
	const char *value;
	size_t value_len;
} scope_attr;

/* Strings are byte ranges, not NUL-terminated; a NULL pointer is allowed
 * only with length 0.  Attribute keys should be distinct; when they are not,
 * the first occurrence counts. */
typedef struct scope_request {
	const char *task;
	size_t task_len;
	const char *action;
	size_t action_len;
	const char *resource;   /* "" = no resource */
	size_t resource_len;
	const scope_attr *attrs;
	size_t nattrs;
} scope_request;

typedef struct scope_result {
	scope_decision decision;
	scope_why why;
	uint32_t item;          /* deciding item (source order), or SCOPE_NO_ITEM */
	bool unknown;           /* its condition was unknown (most restrictive reading) */
} scope_result;

typedef struct scope_policy scope_policy;
typedef struct scope_scratch scope_scratch;
typedef struct scope_handle scope_handle;

/* ---- policies ----------------------------------------------------------- */

/* Loads and verifies an image.  The image is copied: the caller may free it
 * on return.  On failure *out is NULL.  A signed image (`scopec sign`)
 * loads too, but its signature is NOT checked here: to require one, use
 * scope_policy_load_signed() of libscope-enforce (scope_enforce.h), which
 * has the cryptography this library does not link. */
int scope_policy_load(scope_policy **out, const void *image, size_t len);
int scope_policy_load_file(scope_policy **out, const char *path);
void scope_policy_destroy(scope_policy *p);

/* True if DATA starts with the bytecode magic (source files never do). */
bool scope_is_bytecode(const void *data, size_t len);

uint32_t scope_policy_item_count(const scope_policy *p);
uint32_t scope_policy_task_count(const scope_policy *p);
size_t scope_policy_image_size(const scope_policy *p);

typedef struct scope_item_info {
	scope_decision kind;    /* the clause: allows, asks or denies */
	bool has_condition;
	bool has_location;      /* false when the image was stripped */
	const char *file;       /* NUL-terminated, valid while the policy lives */
	uint32_t line, col;
	const char *text;       /* the item as written, e.g. "denies post forum.**" */
} scope_item_info;

int scope_policy_item(const scope_policy *p, uint32_t item, scope_item_info *out);

/* One line for an audit log into BUF (always NUL-terminated when
 * *len > 0): "FILE:LINE:COL: denies post forum.**", "item 12 (stripped)",
 * "no item allows this (default deny)" or "undeclared task".  *len is the
 * buffer size on entry and the length written (without NUL) on return;
 * -SCOPE_ENOSPC if it was cut. */
int scope_explain(const scope_policy *p, const scope_result *r, char *buf, size_t *len);

/* scope_explain, and when the deciding item's condition was unknown, why:
 * "... (condition unknown because attribute 'channel' is missing)" (or
 * "is not a number", "hit the regex match limit").  RQ must be the request
 * R was decided for; S a scratch of this thread.  Not for the decision
 * path: it evaluates the item's condition again. */
int scope_explain_request(const scope_policy *p, scope_scratch *s, const scope_request *rq,
			  const scope_result *r, char *buf, size_t *len);

/* ---- deciding ----------------------------------------------------------- */

/* Per-thread evaluation memory, created up front so that decisions never
 * allocate.  Works with any policy. */
int scope_scratch_create(scope_scratch **out);
void scope_scratch_destroy(scope_scratch *s);

/* Decides RQ.  OUT is always written: on any error it says deny with
 * why = SCOPE_WHY_ERROR.  No allocation, no lock; at most ~12 KB of stack.  A request with an empty action is malformed
 * (an action is never empty): -SCOPE_EINVAL, deny. */
int scope_decide(const scope_policy *p, scope_scratch *s, const scope_request *rq,
		 scope_result *out);

/* ---- hot swap ----------------------------------------------------------- */

/* A handle owns its current policy.  Readers (scope_handle_decide, acquire)
 * never lock: they announce themselves with one atomic increment on one of
 * two reader counters; scope_handle_swap publishes the new policy and frees
 * the old one once its counter drains (writers serialize on a mutex and may
 * sleep; readers never wait for them).  See handle.c for the proof sketch. */
int scope_handle_create(scope_handle **out, scope_policy *initial /* may be NULL */);
void scope_handle_destroy(scope_handle *h);  /* no reader may be inside */

/* Replaces the policy (the handle takes ownership of NEXT, which may be
 * NULL) and frees the previous one after the readers using it are done. */
int scope_handle_swap(scope_handle *h, scope_policy *next);

int scope_handle_decide(scope_handle *h, scope_scratch *s, const scope_request *rq,
			scope_result *out);

/* Pins the current policy (e.g. to explain a result); *out stays valid
 * until the matching scope_handle_release().  -SCOPE_ENOPOLICY if none. */
int scope_handle_acquire(scope_handle *h, const scope_policy **out, unsigned *ticket);
void scope_handle_release(scope_handle *h, unsigned ticket);

#ifdef __cplusplus
}
#endif

#endif
