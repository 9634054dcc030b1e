/*
 * mcp_call.c — the calls that are decided before they may reach the
 * server: tools/call (action T, or SERVER.T with --name) and
 * resources/read (action resources.read, or SERVER.resources.read).
 *
 *   1. check the request's shape: a malformed call is answered -32602 and
 *      never forwarded;
 *   2. form the requests with libscope-enforce (scope_form_*): the task is
 *      the operator's (--task), the resources the canonical forms of the
 *      arguments that name what the tool acts on, the top-level scalar
 *      arguments attributes arg.NAME;
 *   3. decide every request with one pinned policy (so a reload cannot
 *      split a call between two policies); the most restrictive decision
 *      wins (ep_decide_form, the one implementation every enforcement
 *      point decides a call with);
 *   4. log one decision record per request (and shadow records), before
 *      anything is forwarded; a log write that fails is a deny;
 *   5. allow: forward; ask: ask a human (mcp_ask.c); deny: answer with the
 *      reason and forward nothing.
 * Any failure on the way (forming, pinning, deciding, logging) is a deny.
 */
#include "mcp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MCP_E_DENIED (-32001)     /* resources/read refused by scope */
#define MCP_MAX_NAME 1024

bool mcp_action(const mcp_ctx *m, const char *tool, size_t n, char *buf, size_t cap)
{
	int k = m->cfg.name ? snprintf(buf, cap, "%s.%.*s", m->cfg.name, (int)n, tool)
			    : snprintf(buf, cap, "%.*s", (int)n, tool);
	return k > 0 && (size_t)k < cap;
}

json_t *mcp_refusal(json_t *id, mcp_rkind kind, const char *text, json_t *meta)
{
	if (kind == MCP_R_READ) {
		json_t *e = mcp_error(id, MCP_E_DENIED, text);
		if (meta)
			json_object_set_new(json_object_get(e, "error"), "data", json_pack("{s:o}", "scope", meta));
		return e;
	}
	json_t *content = json_array(), *item = json_object(), *res = json_object();
	json_object_set_new(item, "type", json_string("text"));
	json_object_set_new(item, "text", ep_json_text(text, strlen(text)));
	json_array_append_new(content, item);
	json_object_set_new(res, "content", content);
	/* without isError a refusal reads as the tool's own success: then no
	 * result at all, which mcp_reply turns into an error response */
	if (json_object_set_new(res, "isError", json_true()) < 0) {
		json_decref(res);
		json_decref(meta);
		return mcp_result(id, NULL);
	}
	if (meta)
		json_object_set_new(res, "_meta", json_pack("{s:o}", "scope", meta));
	return mcp_result(id, res);
}

/* Is S (N bytes) a path whose meaning depends on a base directory?  The
 * proxy cannot know the base a server resolves relative paths against
 * (server-filesystem uses its first allowed directory, others their
 * working directory), so without --base such a path is not decided at
 * all: it is refused.  "~" and "~/..." are the home directory, which the
 * server, started with the proxy's environment, shares; "://" is a URL. */
static bool relative_path(const char *s, size_t n)
{
	if (n && s[0] == '/')
		return false;
	if (n && s[0] == '~' && (n == 1 || s[1] == '/'))
		return false;
	return !memmem(s, n, "://", 3);
}

/* The first relative path among the resource arguments of ARGS, or NULL. */
static const json_t *find_relative(const json_t *args)
{
	for (size_t i = 0; args && i < scope_default_res_nargs; i++) {
		if (scope_default_res_args[i].kind != SCOPE_RES_PATH)
			continue;
		const json_t *v = json_object_get(args, scope_default_res_args[i].name);
		for (size_t k = 0; k < (json_is_array(v) ? json_array_size(v) : 1); k++) {
			const json_t *e = json_is_array(v) ? json_array_get(v, k) : v;
			if (json_is_string(e) && relative_path(json_string_value(e), json_string_length(e)))
				return e;
		}
	}
	return NULL;
}

/* Could the canonical path P (N bytes) name an existing file under another
 * Unicode spelling?  Servers and file systems that normalise names (the
 * reference filesystem server maps a missing name onto an existing entry
 * with the same NFC form; macOS does it in the file system) would act on
 * that file, which the policy never saw.  Only a name that does not exist
 * byte for byte can be mapped, and only at the first such component (the
 * rest below a missing name stays literal), so: the first component that
 * does not exist must be ASCII.  ASCII-only paths (the usual case) cost
 * nothing; otherwise one lstat per component. */
static bool unicode_ambiguous(const char *p, size_t n)
{
	size_t i = 0;
	while (i < n && (unsigned char)p[i] < 0x80)
		i++;
	if (i == n || p[0] != '/' || n >= 4096)
		return false;
	char buf[4096];
	memcpy(buf, p, n);
	buf[n] = '\0';
	for (size_t start = 1; start < n;) {
		size_t end = start;
		while (end < n && buf[end] != '/')
			end++;
		char keep = buf[end];
		buf[end] = '\0';
		struct stat st;
		bool exists = lstat(buf, &st) == 0;
		buf[end] = keep;
		if (!exists) {
			for (size_t k = start; k < end; k++)
				if ((unsigned char)buf[k] >= 0x80)
					return true;
			return false;
		}
		start = end + 1;
	}
	return false;
}

/* The call in REQ, checked and formed into m->form.  NULL, or why the
 * call is refused (*CODE: -32602 for a malformed call, 0 when forming
 * failed: that is a deny).  TOOL/TLEN: the tool name (or the URI). */
static const char *form_call(mcp_ctx *m, json_t *req, mcp_rkind kind, const char **tool, size_t *tlen,
			     int *code, char *err, size_t errsz)
{
	json_t *params = json_object_get(req, "params");
	const char *key = kind == MCP_R_CALL ? "name" : "uri";
	json_t *name = json_object_get(params, key);
	json_t *args = kind == MCP_R_CALL ? json_object_get(params, "arguments") : NULL;
	*code = -32602;
	if (!json_is_object(params))
		return "invalid params: \"params\" must be an object";
	if (!json_is_string(name) || !json_string_length(name) || json_string_length(name) > MCP_MAX_NAME ||
	    strlen(json_string_value(name)) != json_string_length(name)) {
		snprintf(err, errsz, "invalid params: \"params.%s\" must be a non-empty string of at most %d "
			 "bytes without NUL", key, MCP_MAX_NAME);
		return err;
	}
	if (json_is_null(args))
		args = NULL;
	if (args && !json_is_object(args))
		return "invalid params: \"params.arguments\" must be an object";
	*tool = json_string_value(name);
	*tlen = json_string_length(name);
	char action[MCP_MAX_NAME + 300];
	if (!mcp_action(m, kind == MCP_R_CALL ? *tool : "resources.read", kind == MCP_R_CALL ? *tlen : 14,
			action, sizeof action))
		return "invalid params: the tool name is too long";
	*code = 0;
	const json_t *rel = m->cfg.base ? NULL : find_relative(args);
	if (rel) {
		snprintf(err, errsz, "the relative path '%.300s' is not decided: the directory the server resolves it "
			 "against is unknown (use an absolute path, or start scope-mcp with --base DIR)",
			 json_string_value(rel));
		return err;
	}
	int rc = scope_form_begin(m->form, m->cfg.task, m->cfg.base);
	if (rc == 0 && kind == MCP_R_CALL && (rc = scope_form_attrs_json(m->form, args)) == 0)
		rc = scope_form_add_args(m->form, action, args, NULL, 0);
	else if (rc == 0 && kind == MCP_R_READ)
		rc = scope_form_add(m->form, action, *tool, *tlen, SCOPE_RES_URL);
	if (rc < 0 || scope_form_count(m->form) == 0) {
		const char *fe = scope_form_error(m->form);
		snprintf(err, errsz, "the call cannot be formed into a request: %s%s%s", scope_strerror(rc),
			 fe && *fe ? ": " : "", fe ? fe : "");
		return err;
	}
	for (size_t i = 0; i < scope_form_count(m->form); i++) {
		const scope_request *rq = scope_form_request(m->form, i);
		if (unicode_ambiguous(rq->resource, rq->resource_len)) {
			snprintf(err, errsz, "the path '%.*s' is not decided: a name in it that does not exist is not "
				 "ASCII, and a server or file system may take it for an existing file with a "
				 "Unicode-equivalent name", (int)(rq->resource_len > 600 ? 600 : rq->resource_len),
				 rq->resource);
			return err;
		}
	}
	return NULL;
}

/* The MCP fields of a log record. */
static void put_mcp_fields(mcp_ctx *m, json_t *rec, json_t *id, mcp_rkind kind, const char *tool,
			   size_t tlen)
{
	json_object_set_new(rec, "method", json_string(kind == MCP_R_CALL ? "tools/call" : "resources/read"));
	json_object_set_new(rec, "tool", kind == MCP_R_CALL ? ep_json_text(tool, tlen) : json_null());
	json_object_set_new(rec, "server", m->cfg.name ? json_string(m->cfg.name) : json_null());
	json_object_set(rec, "jsonrpc_id", id ? id : json_null());
}

/* A call that was refused before it could be decided: logged like the
 * gateway's malformed requests (declog skips records with "error"). */
static void log_error(mcp_ctx *m, json_t *id, mcp_rkind kind, const char *tool, size_t tlen, const char *why)
{
	json_t *rec = ep_error_record(id, m->cfg.task, "error (fail closed: deny)", why);
	put_mcp_fields(m, rec, id, kind, tool, tool ? tlen : 0);
	if (ep_log_records(m->env.log, &rec, 1) < 0)
		atomic_fetch_add(&m->env.log_failures, 1);
}

typedef struct verdict {
	ep_outcome o;            /* of the deciding request */
	size_t which;
} verdict;

/* Decides the formed requests (ep_decide_form: the most restrictive
 * wins), logs them, fills V.  Deny on any failure. */
static void decide_all(mcp_ctx *m, json_t *id, mcp_rkind kind, const char *tool, size_t tlen, verdict *v)
{
	size_t n = scope_form_count(m->form);
	json_t **recs = calloc(2 * n, sizeof *recs);
	ep_pin pin, cpin;
	v->which = 0;
	if (!recs || ep_slot_pin(&m->enforced, &pin) < 0) {
		ep_outcome_error(&v->o, !recs ? "out of memory" : "no policy could be pinned");
		free(recs);
		log_error(m, id, kind, tool, tlen, v->o.explain);
		return;
	}
	bool cand = m->shadow && ep_slot_pin(&m->candidate, &cpin) == 0;
	int rc = ep_decide_form(&pin, cand ? &cpin : NULL, m->scr, m->form, id, recs, &v->o, &v->which);
	if (cand)
		ep_slot_unpin(&m->candidate, &cpin);
	ep_slot_unpin(&m->enforced, &pin);
	if (rc < 0)
		ep_outcome_error(&v->o, scope_strerror(rc));
	for (size_t i = 0; i < 2 * n; i++) {
		if (!recs[i])
			continue;
		put_mcp_fields(m, recs[i], id, kind, tool, tlen);
		if (i % 2 == 0)
			json_object_set_new(recs[i], "call_decision", json_string(ep_decision_name(v->o.r.decision)));
	}
	if (ep_log_records(m->env.log, recs, 2 * n) < 0) { /* no unlogged authority */
		atomic_fetch_add(&m->env.log_failures, 1);
		ep_outcome_error(&v->o, "decision log write failed");
	}
	free(recs);
}

/* decision, reason, item, location, explain, policy. */
static json_t *outcome_meta(const ep_outcome *o)
{
	json_t *meta = json_object();
	ep_put_outcome(meta, o, true);
	return meta;
}

static void deny(mcp_ctx *m, json_t *id, mcp_rkind kind, const char *tool, size_t tlen,
		 const scope_request *rq, const ep_outcome *o)
{
	char text[4096], what[1400] = "";
	const char *why = o->r.why == SCOPE_WHY_ITEM ? "denied by" : "nothing allows it:";
	if (o->r.why == SCOPE_WHY_ERROR)
		why = "it could not be decided:";
	if (rq)
		snprintf(what, sizeof what, " (action '%.*s', resource '%.*s')",
			 (int)(rq->action_len > 300 ? 300 : rq->action_len), rq->action,
			 (int)(rq->resource_len > 600 ? 600 : rq->resource_len), rq->resource);
	snprintf(text, sizeof text, "denied by scope: task '%.200s' may not %s '%.*s'%s; %s %s", m->cfg.task,
		 kind == MCP_R_CALL ? "call tool" : "read resource", (int)(tlen > 300 ? 300 : tlen),
		 tool ? tool : "", what, why, o->explain);
	m->denied++;
	mcp_reply(m, mcp_refusal(id, kind, text, outcome_meta(o)));
}

void mcp_call(mcp_ctx *m, json_t *req, json_t *id, mcp_rkind kind)
{
	const char *tool = NULL;
	size_t tlen = 0;
	int code;
	char err[600];
	m->calls++;
	const char *bad = form_call(m, req, kind, &tool, &tlen, &code, err, sizeof err);
	if (bad && code) {
		mcp_reply(m, mcp_error(id, code, bad));
		return;
	}
	verdict v;
	if (bad) {
		log_error(m, id, kind, tool, tlen, bad);
		ep_outcome_error(&v.o, bad);
		deny(m, id, kind, tool, tlen, NULL, &v.o);
		return;
	}
	decide_all(m, id, kind, tool, tlen, &v);
	const scope_request *rq = scope_form_request(m->form, v.which);
	switch (v.o.r.decision) {
	case SCOPE_ALLOW:
		m->forwarded++;
		mcp_forward_request(m, req, id, kind);
		break;
	case SCOPE_ASK:
		m->asked++;
		mcp_ask_start(m, req, id, kind, tool, rq, &v.o);
		break;
	default:
		deny(m, id, kind, tool, tlen, rq, &v.o);
		break;
	}
}

void mcp_call_approved(mcp_ctx *m, mcp_ask *a)
{
	const char *tool = NULL;
	size_t tlen = 0;
	int code;
	char err[600];
	ep_outcome o;
	ep_pin pin;
	/* a reload while the human thought may have withdrawn the authority */
	const char *bad = form_call(m, a->msg, a->kind, &tool, &tlen, &code, err, sizeof err);
	if (!bad && ep_slot_pin(&m->enforced, &pin) == 0) {
		size_t which;
		if (ep_decide_form(&pin, NULL, m->scr, m->form, NULL, NULL, &o, &which) < 0)
			ep_outcome_error(&o, "no request was formed");
		ep_slot_unpin(&m->enforced, &pin);
	} else {
		ep_outcome_error(&o, bad ? bad : "no policy could be pinned");
	}
	if (o.r.decision == SCOPE_DENY) {
		mcp_ask_log(m, a, "approved-but-denied-now");
		deny(m, a->client_id, a->kind, tool ? tool : a->tool, tool ? tlen : strlen(a->tool), NULL, &o);
		return;
	}
	mcp_ask_log(m, a, "approved");
	m->forwarded++;
	mcp_forward_request(m, a->msg, a->client_id, a->kind);
}
