/*
 * mcp_ask.c — `ask`: a call that only a human may let through.
 *
 * If the client declared form-mode elicitation in its initialize request,
 * the proxy sends it elicitation/create (under a fresh id towards the
 * client, mapped in to_client) with a message naming the task, the call,
 * the resource and the deciding asks item, and a schema of one boolean
 * "approve".  The call is kept exactly as it was decided and forwarded
 * only on {"action":"accept","content":{"approve":true}} — and only if the
 * policy in force by then does not deny it (mcp_call_approved).  Anything
 * else is a deny: decline, cancel, an error response, a malformed answer,
 * no answer within --ask-timeout, a client without the capability, the
 * client withdrawing the call (notifications/cancelled: then nothing at
 * all is answered), or the server going away.
 *
 * Waiting calls are a list in arrival order with deadlines; the loop's
 * poll() timeout is the nearest deadline, so a human thinking never holds
 * up other messages.  On a timeout or a withdrawal the client is told
 * with notifications/cancelled for our elicitation request, so that its
 * dialog can close; an answer that comes later matches nothing.
 */
#include "mcp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static void ask_free(mcp_ask *a)
{
	json_decref(a->msg);
	json_decref(a->client_id);
	free(a->tool);
	free(a->action);
	free(a->resource);
	free(a->explain);
	free(a);
}

static void unlink_ask(mcp_ctx *m, mcp_ask *a)
{
	if (a->prev)
		a->prev->next = a->next;
	else
		m->asks = a->next;
	if (a->next)
		a->next->prev = a->prev;
	a->prev = a->next = NULL;
	m->nasks--;
}

void mcp_ask_log(mcp_ctx *m, const mcp_ask *a, const char *result)
{
	json_t *rec = ep_log_record("approval");
	json_object_set(rec, "id", a->client_id);
	json_object_set_new(rec, "task", json_string(m->cfg.task));
	json_object_set_new(rec, "action", ep_json_text(a->action, strlen(a->action)));
	json_object_set_new(rec, "resource", ep_json_text(a->resource, strlen(a->resource)));
	json_object_set_new(rec, "result", json_string(result));
	json_object_set_new(rec, "explain", ep_json_text(a->explain, strlen(a->explain)));
	json_object_set_new(rec, "method", json_string(a->kind == MCP_R_CALL ? "tools/call" : "resources/read"));
	json_object_set_new(rec, "tool", a->kind == MCP_R_CALL ? ep_json_text(a->tool, strlen(a->tool)) : json_null());
	json_object_set_new(rec, "server", m->cfg.name ? json_string(m->cfg.name) : json_null());
	json_object_set(rec, "jsonrpc_id", a->client_id);
	if (ep_log_records(m->env.log, &rec, 1) < 0)
		atomic_fetch_add(&m->env.log_failures, 1);
}

/* The refusal of a call that needed approval. */
static void refuse(mcp_ctx *m, json_t *id, mcp_rkind kind, const char *what, const char *explain, const char *why)
{
	char text[2400];
	snprintf(text, sizeof text, "denied by scope: %s needs a human's approval (%s), which was not given: %s",
		 what, explain, why);
	m->denied++;
	json_t *meta = json_pack("{s:s,s:s,s:o}", "decision", "deny", "reason", "approval", "explain",
				 ep_json_text(explain, strlen(explain)));
	mcp_reply(m, mcp_refusal(id, kind, text, meta));
}

static void what_text(const mcp_ask *a, char *buf, size_t cap)
{
	if (a->kind == MCP_R_CALL)
		snprintf(buf, cap, "the call of tool '%.300s' (action '%.300s', resource '%.600s')", a->tool, a->action,
			 a->resource);
	else
		snprintf(buf, cap, "reading resource '%.600s' (action '%.300s')", a->resource, a->action);
}

static json_t *elicitation(const mcp_ctx *m, const mcp_ask *a)
{
	char *args = json_dumps(json_object_get(json_object_get(a->msg, "params"), "arguments"),
				JSON_COMPACT | JSON_ENCODE_ANY);
	char what[1400], msg[4096];
	what_text(a, what, sizeof what);
	snprintf(msg, sizeof msg,
		 "scope: task '%s' asks to make %s with arguments %.1500s%s. The policy requires a human's "
		 "approval for this: %s. Approve this exact call?",
		 m->cfg.task, what, args ? args : "{}", args && strlen(args) > 1500 ? "..." : "", a->explain);
	free(args);
	json_t *approve = json_pack("{s:s,s:s,s:s,s:b}", "type", "boolean", "title", "Approve",
				    "description", "Let this exact call through", "default", 0);
	json_t *schema = json_pack("{s:s,s:{s:o},s:[s]}", "type", "object", "properties", "approve", approve,
				   "required", "approve");
	/* (ep_json_text: the cuts above may split a UTF-8 sequence) */
	return json_pack("{s:s,s:I,s:s,s:{s:s,s:o,s:o}}", "jsonrpc", "2.0", "id", (json_int_t)a->cid, "method",
			 "elicitation/create", "params", "mode", "form", "message", ep_json_text(msg, strlen(msg)),
			 "requestedSchema", schema);
}

void mcp_ask_start(mcp_ctx *m, json_t *req, json_t *id, mcp_rkind kind, const char *tool,
		   const scope_request *rq, const ep_outcome *o)
{
	mcp_ask *a = calloc(1, sizeof *a);
	mcp_creq *c = calloc(1, sizeof *c);
	if (a) {
		a->msg = json_incref(req);
		a->client_id = json_incref(id);
		a->kind = kind;
		a->tool = strdup(tool);
		a->action = dup_n(rq->action, rq->action_len);
		a->resource = dup_n(rq->resource, rq->resource_len);
		a->explain = strdup(o->explain);
	}
	if (!a || !c || !a->tool || !a->action || !a->resource || !a->explain) {
		free(c);
		refuse(m, id, kind, "this call", o->explain, "out of memory");
		if (a)
			ask_free(a);
		return;
	}
	const char *why = !m->client_elicits ? "the client cannot be asked (no elicitation capability)"
			  : m->nasks >= m->cfg.max_pending ? "too many calls are waiting for approval"
							   : NULL;
	a->cid = ++m->next_cid;
	c->cid = a->cid;
	c->ask = a;
	if (!why && mcp_map_put(&m->to_client, a->cid, c) < 0)
		why = "out of memory";
	if (why) {
		char what[1400];
		what_text(a, what, sizeof what);
		mcp_ask_log(m, a, "unavailable");
		refuse(m, id, kind, what, o->explain, why);
		free(c);
		ask_free(a);
		return;
	}
	a->deadline_ms = mcp_now_ms() + m->cfg.ask_timeout_ms;
	mcp_ask **tail = &m->asks; /* append: the list stays in deadline order */
	mcp_ask *prev = NULL;
	while (*tail) {
		prev = *tail;
		tail = &(*tail)->next;
	}
	a->prev = prev;
	*tail = a;
	m->nasks++;
	mcp_ask_log(m, a, "asked");
	mcp_reply(m, elicitation(m, a));
}

/* Tells the client our elicitation is void (it need not answer). */
static void cancel_elicitation(mcp_ctx *m, const mcp_ask *a, const char *reason)
{
	mcp_reply(m, json_pack("{s:s,s:s,s:{s:I,s:s}}", "jsonrpc", "2.0", "method", "notifications/cancelled",
			       "params", "requestId", (json_int_t)a->cid, "reason", reason));
}

void mcp_ask_answer(mcp_ctx *m, mcp_ask *a, json_t *resp)
{
	unlink_ask(m, a);
	json_t *res = json_object_get(resp, "result");
	const char *action = json_string_value(json_object_get(res, "action"));
	json_t *approve = json_object_get(json_object_get(res, "content"), "approve");
	if (action && strcmp(action, "accept") == 0 && json_is_true(approve)) {
		mcp_call_approved(m, a);
		ask_free(a);
		return;
	}
	const char *why = !res ? "the client answered the elicitation with an error"
			  : !action ? "the client's answer was malformed"
			  : strcmp(action, "decline") == 0 ? "the user declined"
			  : strcmp(action, "cancel") == 0 ? "the user dismissed the question"
			  : strcmp(action, "accept") == 0 ? "the user did not approve"
							  : "the client's answer was malformed";
	char what[1400];
	what_text(a, what, sizeof what);
	mcp_ask_log(m, a, !res ? "error" : action && strcmp(action, "decline") == 0 ? "declined"
				: action && strcmp(action, "cancel") == 0 ? "cancelled" : "refused");
	refuse(m, a->client_id, a->kind, what, a->explain, why);
	ask_free(a);
}

bool mcp_ask_withdraw(mcp_ctx *m, json_t *id)
{
	bool found = false;
	for (mcp_ask *a = m->asks, *next; a; a = next) {
		next = a->next;
		if (!json_equal(a->client_id, id))
			continue;
		found = true;
		free(mcp_map_take(&m->to_client, a->cid));
		unlink_ask(m, a);
		cancel_elicitation(m, a, "the call was cancelled by the client");
		mcp_ask_log(m, a, "withdrawn");
		ask_free(a);
	}
	return found;
}

int mcp_ask_expire(mcp_ctx *m)
{
	double now = mcp_now_ms();
	while (m->asks && m->asks->deadline_ms <= now) {
		mcp_ask *a = m->asks;
		free(mcp_map_take(&m->to_client, a->cid));
		unlink_ask(m, a);
		cancel_elicitation(m, a, "no answer in time");
		char what[1400], why[100];
		what_text(a, what, sizeof what);
		snprintf(why, sizeof why, "no answer within %u s (--ask-timeout)", m->cfg.ask_timeout_ms / 1000);
		mcp_ask_log(m, a, "timeout");
		refuse(m, a->client_id, a->kind, what, a->explain, why);
		ask_free(a);
	}
	if (!m->asks)
		return -1;
	double left = m->asks->deadline_ms - now;
	return left > 1e9 ? 1000000000 : (int)left + 1;
}

void mcp_ask_fail_all(mcp_ctx *m, const char *why)
{
	while (m->asks) {
		mcp_ask *a = m->asks;
		free(mcp_map_take(&m->to_client, a->cid));
		unlink_ask(m, a);
		mcp_ask_log(m, a, "abandoned");
		mcp_reply(m, mcp_error(a->client_id, -32603, why));
		ask_free(a);
	}
}
