/*
 * scope_enforce.h — forming requests where agents act (libscope-enforce).
 *
 * The evaluator is only as good as the requests it is asked.  Every
 * enforcement point of scope (scope-mcp, `scopec hook`, the gateway, the
 * Python binding) turns a tool call into scope_requests with this one
 * module, and so can a service that embeds libscope:
 *
 *   scope_form *f;
 *   scope_form_create(&f);
 *   scope_form_begin(f, "coder", "/srv/repo");         // task, working directory
 *   scope_form_attrs_json(f, args);                    // arg.NAME attributes
 *   scope_form_add(f, "fs.read", "src/../x.c", 10, SCOPE_RES_PATH);
 *   scope_result r; size_t which;
 *   scope_form_decide(f, policy, scratch, &r, &which); // most restrictive wins
 *   scope_form_destroy(f);
 *
 * Canonical resources (the policy sees and the log records these forms):
 *   path: absolute against the working directory the tool will use; a
 *         leading "~" or "~/" is the home directory ($HOME); ".", ".." and
 *         repeated "/" removed; symbolic links resolved for the longest
 *         prefix that exists (realpath semantics), the rest kept lexically
 *         normalised.  A NUL byte, an unusable base, a symlink loop or a
 *         result longer than PATH_MAX is -SCOPE_EPATH (deny).
 *   URL:  RFC 3986 with uriparser: scheme and host lower-cased, the
 *         default port of http, https, ws, wss, ftp dropped, dot segments
 *         removed, percent-encoded unreserved characters decoded (other
 *         escapes upper-cased), fragment dropped.  A relative reference or
 *         anything unparsable is -SCOPE_EURL (deny).  The path of a
 *         file: URL is also canonicalized as a path.
 *
 * Contracts as in scope.h: 0 or a negative SCOPE_E* code; outputs in
 * caller-owned memory (or in the scope_form, valid until its next begin);
 * destroy accepts NULL.  Forming allocates (it is not on the decision
 * path); scope_form_decide does not.
 */
#ifndef SCOPE_ENFORCE_H
#define SCOPE_ENFORCE_H

#include "scope.h"
#include "shell.h" /* the shell command splitter, part of this library */

#ifdef __cplusplus
extern "C" {
#endif

struct json_t; /* jansson's value type, for the *_json entry points */

/* ---- canonical resources ------------------------------------------------ */

/* Canonical form of PATH (LEN bytes) into BUF; *buflen is BUF's size on
 * entry and the length written (without the NUL) on return.  CWD is the
 * base of a relative path; NULL means the process's working directory. */
int scope_canon_path(const char *path, size_t len, const char *cwd, char *buf, size_t *buflen);

/* Canonical form of URL (LEN bytes) into BUF, as scope_canon_path. */
int scope_canon_url(const char *url, size_t len, char *buf, size_t *buflen);

/* ---- requests from a tool call ------------------------------------------ */

typedef enum {
	SCOPE_RES_TEXT = 0,  /* taken as it is (a subagent type, a shell command) */
	SCOPE_RES_PATH = 1,  /* a file path; a value containing "://" is a URL */
	SCOPE_RES_URL = 2,   /* a URL */
} scope_res_kind;

/* An argument that names what a tool acts on. */
typedef struct scope_res_arg {
	const char *name;
	scope_res_kind kind;
} scope_res_arg;

/* The resource arguments of SPEC 6.1, used when a caller passes none:
 * path, paths (each element), source, destination, file_path (paths),
 * uri, url (URLs). */
extern const scope_res_arg scope_default_res_args[];
extern const size_t scope_default_res_nargs;

typedef struct scope_form scope_form;

int scope_form_create(scope_form **out);
void scope_form_destroy(scope_form *f);

/* Starts a new tool call of TASK: forgets the previous requests and
 * attributes.  CWD: base of relative paths (NULL: the process's). */
int scope_form_begin(scope_form *f, const char *task, const char *cwd);

/* Every top-level scalar member of ARGS (a JSON object) becomes attribute
 * arg.NAME: strings as they are, integers and reals as jansson prints
 * them, true/false; null, arrays and objects are skipped.  ARGS NULL adds
 * nothing.  -SCOPE_EINVAL if ARGS is not an object or has more than 1024
 * members. */
int scope_form_attrs_json(scope_form *f, const struct json_t *args);

/* Adds one request: ACTION on resource RES (LEN bytes) of kind KIND,
 * canonicalized first; it carries the attributes added so far.
 * -SCOPE_EPATH / -SCOPE_EURL / -SCOPE_EINVAL with scope_form_error(). */
int scope_form_add(scope_form *f, const char *action, const char *res, size_t len,
		   scope_res_kind kind);

/* Adds the requests of ACTION whose resources are the members of ARGS
 * named in NAMES (NULL: scope_default_res_args): one request per string,
 * or per element of an array of strings; none present = one request with
 * the empty resource.  A named member of another type is -SCOPE_EINVAL. */
int scope_form_add_args(scope_form *f, const char *action, const struct json_t *args,
			const scope_res_arg *names, size_t nnames);

/* The whole tool call from JSON text (for embedders without jansson):
 * begin + attrs + add_args with the default names.  ARGS may be NULL. */
int scope_form_tool_call(scope_form *f, const char *task, const char *action, const char *args,
			 size_t len, const char *cwd);

size_t scope_form_count(const scope_form *f);
/* The I-th request (NULL when out of range); valid until the next begin. */
const scope_request *scope_form_request(const scope_form *f, size_t i);
/* Why the last call failed ("argument 'path': ..."), or "". */
const char *scope_form_error(const scope_form *f);

/* Decides every request; the most restrictive decision wins, the first
 * request with it is *WHICH (may be NULL).  No requests = deny (error).
 * Never allocates.  OUT is always written. */
int scope_form_decide(const scope_form *f, const scope_policy *p, scope_scratch *s,
		      scope_result *out, size_t *which);

/* ---- signed policies (`scopec sign`) ------------------------------------ */

/* A signed image is the image of `scopec compile`, unchanged, followed by
 * an 88-byte trailer with an Ed25519 signature over everything before the
 * signature (see bytecode.h).  scope_policy_load() of libscope loads a
 * signed image without checking the signature; these require it. */
#define SCOPE_ED25519_KEY_LEN 32

/* Loads IMAGE (LEN bytes) as scope_policy_load() does, but only if it is a
 * signed image whose signature verifies with the Ed25519 public key PUBKEY
 * (KEYLEN must be SCOPE_ED25519_KEY_LEN, else -SCOPE_EKEY).  The signature
 * is checked before anything of the image is parsed.  -SCOPE_EFORMAT if it
 * is not bytecode (a source policy is never signed), -SCOPE_EUNSIGNED if it
 * carries no signature, -SCOPE_ESIGNATURE if the signature is malformed,
 * does not verify, or is another key's; then the loader's own errors.  On
 * failure *out is NULL. */
int scope_policy_load_signed(scope_policy **out, const void *image, size_t len, const void *pubkey,
			     size_t keylen);
/* The same for the file at PATH (-SCOPE_EIO if it cannot be read). */
int scope_policy_load_file_signed(scope_policy **out, const char *path, const void *pubkey,
				  size_t keylen);

/* The same with a set of trusted keys (rotation: up to any number): the
 * image must be signed by one of the NKEYS keys of KEYS, tried in turn
 * while the answer is "another key's signature"; *WHICH (may be NULL) is
 * the index of the key that verified it.  -SCOPE_EKEY if NKEYS is 0 (an
 * empty key set never means "no check").  The one implementation of the
 * rule for every enforcement point and binding. */
int scope_policy_load_signed_any(scope_policy **out, const void *image, size_t len,
				 const unsigned char (*keys)[SCOPE_ED25519_KEY_LEN], size_t nkeys, size_t *which);
int scope_policy_load_file_signed_any(scope_policy **out, const char *path,
				      const unsigned char (*keys)[SCOPE_ED25519_KEY_LEN], size_t nkeys,
				      size_t *which);

/* The Ed25519 public key of a PEM "PUBLIC KEY" block (SubjectPublicKeyInfo,
 * as `scopec keygen` and `openssl pkey -pubout` write it) in PEM (LEN
 * bytes), or in the file at PATH (at most 4 KiB), into KEY.  -SCOPE_EKEY if
 * it is not exactly one such key, -SCOPE_EIO if the file cannot be read. */
int scope_key_parse_public(const char *pem, size_t len, unsigned char key[SCOPE_ED25519_KEY_LEN]);
int scope_key_read_public(const char *path, unsigned char key[SCOPE_ED25519_KEY_LEN]);

#ifdef __cplusplus
}
#endif

#endif
