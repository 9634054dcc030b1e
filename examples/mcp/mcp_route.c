/*
 * mcp_route.c — every message through the proxy, by kind and direction:
 *
 *   client request   tools/call, resources/read: decided (mcp_call.c);
 *                    anything else: forwarded under a fresh id
 *                    (initialize also tells whether the client can be asked)
 *   client response  to a server request: its id mapped back, forwarded;
 *                    to our elicitation/create: the human's answer (mcp_ask.c)
 *   client notice    notifications/cancelled: its requestId mapped (or the
 *                    waiting call dropped); others relayed byte for byte
 *   server request   forwarded to the client under a fresh id
 *   server response  its id mapped back to the client's; tools/list
 *                    results filtered (mcp_list.c)
 *   server notice    notifications/cancelled mapped; others byte for byte
 *
 * Messages whose id changes are re-serialised from the parsed value, so a
 * forwarded call is exactly the value that was decided (no parser of the
 * server can read another tool name out of duplicate keys: the client's
 * lines are parsed with duplicates rejected).
 *
 * Bad input from the client is answered and never forwarded: a line that
 * is not JSON (-32700), a value that is not a JSON-RPC 2.0 message or a
 * malformed call (-32600 / -32602).  Batches (arrays) are refused element
 * by element (-32600): MCP no longer has them, and refusing keeps every
 * call decided one at a time.  Bad input from the server (not JSON, not
 * JSON-RPC) may have been the answer to any request, so every request
 * waiting for the server gets an error.
 */
#include "mcp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MCP_MAX_BATCH 1024

json_t *mcp_error(json_t *id, int code, const char *msg)
{
	json_t *e = json_object(), *r = json_object();
	json_object_set_new(e, "code", json_integer(code));
	json_object_set_new(e, "message", ep_json_text(msg, strlen(msg)));
	json_object_set_new(r, "jsonrpc", json_string("2.0"));
	json_object_set(r, "id", id ? id : json_null());
	json_object_set_new(r, "error", e);
	return r;
}

json_t *mcp_result(json_t *id, json_t *result)
{
	json_t *r = json_object();
	json_object_set_new(r, "jsonrpc", json_string("2.0"));
	json_object_set(r, "id", id ? id : json_null());
	json_object_set_new(r, "result", result);
	return r;
}

/* An error response for ID as text, built without jansson's setters. */
static void send_oom_error(mcp_peer *p, const json_t *id)
{
	char *ids = id ? ep_json_dumps(id, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	char buf[512];
	int k = snprintf(buf, sizeof buf,
			 "{\"jsonrpc\":\"2.0\",\"id\":%s,\"error\":{\"code\":-32603,\"message\":\"" MCP_PROG
			 ": out of memory\"}}", ids && strlen(ids) < 256 ? ids : "null");
	free(ids);
	mcp_peer_send(p, buf, (size_t)k);
}

void mcp_reply(mcp_ctx *m, json_t *msg)
{
	/* jansson's setters fail silently for want of memory: a response that
	 * lost both its result and its error is no answer at all (a client
	 * may read it as success); it goes out as an error for its id */
	if (json_object_get(msg, "id") && !json_object_get(msg, "method") && !json_object_get(msg, "result") &&
	    !json_object_get(msg, "error")) {
		send_oom_error(&m->client, json_object_get(msg, "id"));
		json_decref(msg);
		return;
	}
	mcp_peer_send_json(&m->client, msg);
}

static bool valid_id(const json_t *id)
{
	return json_is_string(id) || json_is_integer(id);
}

/* Our id in a peer's response: a positive integer, else 0 (matches nothing). */
static uint64_t proxy_id(const json_t *id)
{
	json_int_t v = json_is_integer(id) ? json_integer_value(id) : 0;
	return v > 0 ? (uint64_t)v : 0;
}

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

/* ---- towards the server ----------------------------------------------------- */

static void free_pending(mcp_pending *p);

bool mcp_forward_request(mcp_ctx *m, json_t *req, json_t *client_id, mcp_rkind kind)
{
	if (m->server.gone || m->server_exited) {
		mcp_reply(m, mcp_error(client_id, -32603, MCP_PROG ": the MCP server is gone"));
		return false;
	}
	mcp_pending *p = m->to_server.n < m->cfg.max_pending ? calloc(1, sizeof *p) : NULL;
	uint64_t sid = ++m->next_sid;
	if (!p || mcp_map_put(&m->to_server, sid, p) < 0) {
		free(p);
		mcp_reply(m, mcp_error(client_id, -32603, MCP_PROG ": too many requests in flight"));
		return false;
	}
	p->sid = sid;
	p->client_id = json_incref(client_id);
	p->kind = kind;
	/* unchecked, a failure here forwarded the request under the client's
	 * own id, which the server's answer could then be matched against
	 * nothing (or, reused, against another request) */
	if (json_object_set_new(req, "id", json_integer((json_int_t)sid)) < 0) {
		free_pending(mcp_map_take(&m->to_server, sid));
		mcp_reply(m, mcp_error(client_id, -32603, MCP_PROG ": out of memory"));
		return false;
	}
	mcp_peer_send_json(&m->server, json_incref(req));
	return true;
}

static void free_pending(mcp_pending *p)
{
	json_decref(p->client_id);
	free(p);
}

/* Every request waiting for the server gets an error response. */
static void fail_server_pending(mcp_ctx *m, const char *why)
{
	mcp_map *t = &m->to_server;
	for (size_t i = 0; i < t->cap; i++) {
		mcp_pending *p = t->keys[i] ? t->vals[i] : NULL;
		if (!p)
			continue;
		mcp_reply(m, mcp_error(p->client_id, -32603, why));
		free_pending(p);
	}
	mcp_map_free(t);
}

static void free_creq(void *v, void *arg)
{
	mcp_creq *c = v;
	(void)arg;
	json_decref(c->server_id);
	free(c);
}

void mcp_fail_pending(mcp_ctx *m, const char *why)
{
	fail_server_pending(m, why);
	mcp_ask_fail_all(m, why);
	mcp_map_each(&m->to_client, free_creq, NULL);
	mcp_map_free(&m->to_client);
}

/* ---- from the client ---------------------------------------------------------- */

/* initialize: can this client be asked (form-mode elicitation)?  An empty
 * "elicitation" object means form (MCP 2025-11-25, for older clients). */
static void note_capabilities(mcp_ctx *m, json_t *req)
{
	json_t *el = json_object_get(json_object_get(json_object_get(req, "params"), "capabilities"),
				     "elicitation");
	m->client_elicits = json_is_object(el) &&
			    (json_object_get(el, "form") || !json_object_get(el, "url"));
}

static void client_request(mcp_ctx *m, json_t *req, json_t *id, const char *method)
{
	if (strcmp(method, "tools/call") == 0)
		mcp_call(m, req, id, MCP_R_CALL);
	else if (strcmp(method, "resources/read") == 0)
		mcp_call(m, req, id, MCP_R_READ);
	else if (strcmp(method, "initialize") == 0) {
		note_capabilities(m, req);
		mcp_forward_request(m, req, id, MCP_R_INIT);
	} else
		mcp_forward_request(m, req, id, strcmp(method, "tools/list") == 0 ? MCP_R_LIST : MCP_R_PLAIN);
}

/* notifications/cancelled from the client: withdraw a waiting call, or
 * tell the server under the id it knows the request by. */
static void client_cancel(mcp_ctx *m, json_t *msg)
{
	json_t *params = json_object_get(msg, "params");
	json_t *rid = json_object_get(params, "requestId");
	if (!rid || mcp_ask_withdraw(m, rid))
		return;
	mcp_map *t = &m->to_server;
	for (size_t i = 0; i < t->cap; i++) {
		mcp_pending *p = t->keys[i] ? t->vals[i] : NULL;
		if (!p || !json_equal(p->client_id, rid))
			continue;
		json_t *c = json_deep_copy(msg);
		/* unchecked, a failed set sent the client's requestId on, which
		 * names another of the server's requests (ids are the proxy's) */
		if (json_object_set_new(json_object_get(c, "params"), "requestId", json_integer((json_int_t)p->sid)) == 0)
			mcp_peer_send_json(&m->server, c);
		else
			json_decref(c); /* out of memory: the cancel is dropped */
	}
	/* no match: it names nothing the server knows by that id; dropped */
}

static void client_notification(mcp_ctx *m, json_t *msg, const char *method, const char *raw, size_t n)
{
	if (strcmp(method, "notifications/cancelled") == 0) {
		client_cancel(m, msg);
	} else if (strcmp(method, "tools/call") == 0 || strcmp(method, "resources/read") == 0) {
		/* a call without an id cannot be answered, so it cannot be refused
		 * either: never forwarded */
		fprintf(stderr, MCP_PROG ": a %s without an id (a notification) was dropped\n", method);
	} else {
		mcp_peer_send(&m->server, raw, n);
	}
}

static void client_response(mcp_ctx *m, json_t *msg, json_t *id)
{
	mcp_creq *c = mcp_map_take(&m->to_client, proxy_id(id));
	if (!c) {
		fprintf(stderr, MCP_PROG ": dropped a response from the client to an id it was not sent\n");
		return;
	}
	if (c->ask) {
		mcp_ask_answer(m, c->ask, msg);
	} else {
		json_object_set(msg, "id", c->server_id);
		mcp_peer_send_json(&m->server, json_incref(msg));
	}
	free_creq(c, NULL);
}

/* One message (not a batch).  RAW/N: its text, for notifications. */
static void client_message(mcp_ctx *m, json_t *msg, const char *raw, size_t n)
{
	json_t *id = json_object_get(msg, "id");
	json_t *echo = valid_id(id) ? id : NULL;
	const char *version = json_string_value(json_object_get(msg, "jsonrpc"));
	if (!json_is_object(msg) || !version || strcmp(version, "2.0") != 0) {
		mcp_reply(m, mcp_error(echo, -32600, "invalid request: not a JSON-RPC 2.0 message"));
		return;
	}
	json_t *method = json_object_get(msg, "method");
	if (method && !json_is_string(method)) {
		mcp_reply(m, mcp_error(echo, -32600, "invalid request: \"method\" must be a string"));
	} else if (method && id) {
		if (!echo)
			mcp_reply(m, mcp_error(NULL, -32600, "invalid request: \"id\" must be a string or an integer"));
		else
			client_request(m, msg, id, json_string_value(method));
	} else if (method) {
		client_notification(m, msg, json_string_value(method), raw, n);
	} else if (echo && (json_object_get(msg, "result") || json_object_get(msg, "error"))) {
		client_response(m, msg, id);
	} else {
		mcp_reply(m, mcp_error(echo, -32600, "invalid request: neither a request, a notification nor a response"));
	}
}

/* A batch: no element is forwarded.  Requests get an error each (in one
 * array, as JSON-RPC answers batches); responses to the server's requests
 * and notifications have no one to tell and are dropped. */
static void client_batch(mcp_ctx *m, json_t *arr)
{
	size_t n = json_array_size(arr);
	if (n == 0 || n > MCP_MAX_BATCH) {
		mcp_reply(m, mcp_error(NULL, -32600, n ? "invalid request: batch too large"
						     : "invalid request: empty batch"));
		return;
	}
	json_t *out = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(arr, i), *id = json_object_get(e, "id");
		bool request = json_object_get(e, "method") && id;
		if (request || !json_is_object(e))
			json_array_append_new(out, mcp_error(valid_id(id) ? id : NULL, -32600,
				"invalid request: scope-mcp does not accept JSON-RPC batches; "
				"send each message on its own line"));
	}
	if (json_array_size(out))
		mcp_peer_send_json(&m->client, out);
	else
		json_decref(out);
	fprintf(stderr, MCP_PROG ": refused a JSON-RPC batch of %zu messages\n", n);
}

void mcp_from_client(mcp_ctx *m, const char *line, size_t n)
{
	if (blank(line, n))
		return;
	json_error_t je;
	json_t *v = json_loadb(line, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
	if (!v) {
		char msg[300];
		snprintf(msg, sizeof msg, "parse error: %.200s", je.text);
		mcp_reply(m, mcp_error(NULL, -32700, msg));
	} else if (json_is_array(v)) {
		client_batch(m, v);
	} else {
		client_message(m, v, line, n);
	}
	json_decref(v);
}

void mcp_oversized(mcp_ctx *m, mcp_peer *from)
{
	char msg[200];
	snprintf(msg, sizeof msg, "parse error: message longer than %zu bytes (--max-line); discarded",
		 from->max_line);
	if (from == &m->client) {
		mcp_reply(m, mcp_error(NULL, -32700, msg));
		return;
	}
	fprintf(stderr, MCP_PROG ": the server wrote a %s\n", msg + 13);
	fail_server_pending(m, MCP_PROG ": the MCP server wrote a message longer than --max-line");
}

/* ---- from the server ------------------------------------------------------------ */

static void server_garbage(mcp_ctx *m, const char *why)
{
	fprintf(stderr, MCP_PROG ": the server wrote a line that is not JSON-RPC (%s); %zu pending requests fail\n",
		why, m->to_server.n);
	fail_server_pending(m, MCP_PROG ": the MCP server wrote a line that is not JSON-RPC");
}

static void server_request(mcp_ctx *m, json_t *msg, json_t *id)
{
	mcp_creq *c = m->to_client.n < m->cfg.max_pending ? calloc(1, sizeof *c) : NULL;
	uint64_t cid = ++m->next_cid;
	if (!c || mcp_map_put(&m->to_client, cid, c) < 0) {
		free(c);
		mcp_peer_send_json(&m->server, mcp_error(id, -32603, MCP_PROG ": too many requests in flight"));
		return;
	}
	c->cid = cid;
	c->server_id = json_incref(id);
	/* as in mcp_forward_request: never the server's own id to the client */
	if (json_object_set_new(msg, "id", json_integer((json_int_t)cid)) < 0) {
		free_creq(mcp_map_take(&m->to_client, cid), NULL);
		mcp_peer_send_json(&m->server, mcp_error(id, -32603, MCP_PROG ": out of memory"));
		return;
	}
	mcp_reply(m, json_incref(msg));
}

static void server_cancel(mcp_ctx *m, json_t *msg)
{
	json_t *rid = json_object_get(json_object_get(msg, "params"), "requestId");
	mcp_map *t = &m->to_client;
	for (size_t i = 0; rid && i < t->cap; i++) {
		mcp_creq *c = t->keys[i] ? t->vals[i] : NULL;
		if (!c || c->ask || !json_equal(c->server_id, rid))
			continue;
		json_t *copy = json_deep_copy(msg);
		/* as in client_cancel: never the server's requestId to the client */
		if (json_object_set_new(json_object_get(copy, "params"), "requestId", json_integer((json_int_t)c->cid)) == 0)
			mcp_reply(m, copy);
		else
			json_decref(copy);
	}
}

static void server_response(mcp_ctx *m, json_t *msg, json_t *id)
{
	mcp_pending *p = mcp_map_take(&m->to_server, proxy_id(id));
	if (!p) {
		fprintf(stderr, MCP_PROG ": dropped a response from the server to an id it was not sent\n");
		return;
	}
	json_t *result = json_object_get(msg, "result");
	if (p->kind == MCP_R_LIST && json_is_object(result))
		mcp_list_filter(m, result);
	if (p->kind == MCP_R_INIT && result)
		m->initialized = true;
	json_object_set(msg, "id", p->client_id);
	mcp_reply(m, json_incref(msg));
	free_pending(p);
}

/* One message from the server; false if it is not JSON-RPC. */
static bool server_message(mcp_ctx *m, json_t *msg, const char *raw, size_t n)
{
	if (!json_is_object(msg))
		return false;
	json_t *method = json_object_get(msg, "method"), *id = json_object_get(msg, "id");
	if (json_is_string(method) && id) {
		if (!valid_id(id))
			mcp_peer_send_json(&m->server, mcp_error(NULL, -32600, "invalid request: bad id"));
		else
			server_request(m, msg, id);
	} else if (json_is_string(method)) {
		if (strcmp(json_string_value(method), "notifications/cancelled") == 0)
			server_cancel(m, msg);
		else if (raw)
			mcp_peer_send(&m->client, raw, n);
		else
			mcp_reply(m, json_incref(msg));
	} else if (!method && id && (json_object_get(msg, "result") || json_object_get(msg, "error"))) {
		server_response(m, msg, id);
	} else {
		return false;
	}
	return true;
}

void mcp_from_server(mcp_ctx *m, const char *line, size_t n)
{
	if (blank(line, n))
		return;
	json_error_t je;
	json_t *v = json_loadb(line, n, JSON_ALLOW_NUL, &je);
	bool ok = v != NULL;
	if (json_is_array(v)) { /* each element on its own; the client sees single messages */
		for (size_t i = 0; ok && i < json_array_size(v); i++)
			ok = server_message(m, json_array_get(v, i), NULL, 0);
	} else if (v) {
		ok = server_message(m, v, line, n);
	}
	if (!ok)
		server_garbage(m, v ? "not a JSON-RPC message" : je.text);
	json_decref(v);
}
