/*
 * gw_serve.c — one connection: a request per line in, a reply per line out.
 *
 *   {"id":7,"task":"triage","action":"post","resource":"forum.help",
 *    "context":{"channel":"internal"}}
 *   -> {"id":7,"decision":"ask","reason":"item","item":4,
 *       "explain":"triage.scope:11:10: asks post forum.** when ...",
 *       "policy":"sha256:..."}
 *
 * Fields: task (string), action (non-empty string), resource (string,
 * default ""), context (object; values strings, integers or booleans,
 * which are decided as their decimal / true / false text), id (any JSON,
 * echoed).
 *
 * Or a tool call, formed into requests as every enforcement point forms
 * them (libscope-enforce: resources from the arguments, canonical paths
 * and URLs, arg.NAME attributes; several resources are decided each, the
 * most restrictive wins):
 *
 *   {"id":8,"task":"coder","tool":"read_file","arguments":{"path":"a/../b"},
 *    "cwd":"/srv/repo"}
 *   -> {"id":8,"decision":"allow",...,"action":"read_file",
 *       "resource":"/srv/repo/b","requests":1}
 *
 * tool (non-empty string) replaces action, resource and context;
 * arguments (object) and cwd (absolute path: the tool's working directory;
 * without it a relative path is an error) are optional.  Anything else -- invalid JSON, a missing or mistyped field, an
 * unknown field, a line over --max-line, more than GW_MAX_ATTRS attributes --
 * is answered deny with "reason":"error" and an "error" message.  Blank
 * lines are skipped.  Replies come in request order.
 *
 * Per request: pin the enforced policy, decide, explain, unpin; the same
 * for the candidate in shadow mode; write the log records; then reply.
 */
#include "gw.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GW_MAX_ATTRS 256

/* ---- reading lines ------------------------------------------------------ */

typedef struct gw_reader {
	int fd;
	char *buf;
	size_t start, len, cap, max;
	bool discard;            /* inside a line that was too long */
} gw_reader;

/* Waits for input on FD or for shutdown.  False on shutdown. */
static bool wait_input(gw_ctx *g, int fd)
{
	struct pollfd pf[2] = { { fd, POLLIN, 0 }, { g->wake[0], POLLIN, 0 } };
	for (;;) {
		int n = poll(pf, 2, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || pf[1].revents)
			return false;
		return true;
	}
}

/* The next line without its newline: 1, 0 at EOF or shutdown, -1 for a
 * line longer than the limit (skipped; the caller answers an error). */
static int next_line(gw_ctx *g, gw_reader *r, char **line, size_t *n)
{
	for (;;) {
		char *nl = r->len ? memchr(r->buf + r->start, '\n', r->len) : NULL;
		if (nl) {
			size_t k = (size_t)(nl - (r->buf + r->start));
			*line = r->buf + r->start;
			*n = k;
			r->start += k + 1;
			r->len -= k + 1;
			if (r->discard || k > r->max) {
				r->discard = false;
				return -1;
			}
			return 1;
		}
		if (r->discard || r->len > r->max) { /* drop what we have of it */
			r->discard = true;
			r->start = r->len = 0;
		}
		if (r->start && r->len)
			memmove(r->buf, r->buf + r->start, r->len);
		r->start = 0;
		if (r->len == r->cap) {
			size_t cap = r->cap * 2;
			char *b = realloc(r->buf, cap);
			if (!b)
				return 0;
			r->buf = b;
			r->cap = cap;
		}
		if (!wait_input(g, r->fd))
			return 0;
		ssize_t got = read(r->fd, r->buf + r->len, r->cap - r->len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			if (r->len && !r->discard) { /* a last line without newline */
				*line = r->buf;
				*n = r->len;
				r->len = 0;
				return 1;
			}
			return 0;
		}
		r->len += (size_t)got;
	}
}

/* ---- parsing a request --------------------------------------------------- */

typedef struct gw_req {
	json_t *root;            /* owns the strings of rq */
	const char *tool;        /* a tool call: its name, else NULL */
	json_t *args;            /* its arguments (borrowed), or NULL */
	const char *cwd;         /* its working directory, or NULL */
	json_t *id;              /* borrowed, or NULL */
	json_t *attrs;           /* the attributes as decided: an object of strings */
	scope_request rq;
	scope_attr a[GW_MAX_ATTRS];
	char text[GW_MAX_ATTRS][24]; /* integers and booleans as decided */
	char err[300];
} gw_req;

static int bad(gw_req *q, const char *fmt, const char *arg)
{
	snprintf(q->err, sizeof q->err, fmt, arg);
	return -1;
}

static int get_string(json_t *v, const char **s, size_t *n)
{
	if (!json_is_string(v))
		return -1;
	*s = json_string_value(v);
	*n = json_string_length(v);
	return 0;
}

static int parse_context(gw_req *q, json_t *ctx)
{
	if (!json_is_object(ctx))
		return bad(q, "%s", "\"context\" must be an object");
	if (json_object_size(ctx) > GW_MAX_ATTRS)
		return bad(q, "%s", "too many context attributes (at most 256)");
	const char *k;
	json_t *v;
	json_object_foreach(ctx, k, v) {
		size_t i = q->rq.nattrs;
		scope_attr *a = &q->a[i];
		a->key = k;
		a->key_len = strlen(k);
		if (!a->key_len)
			return bad(q, "%s", "empty context attribute name");
		if (json_is_string(v)) {
			a->value = json_string_value(v);
			a->value_len = json_string_length(v);
		} else if (json_is_integer(v) || json_is_boolean(v)) {
			if (json_is_integer(v))
				snprintf(q->text[i], sizeof q->text[i], "%" JSON_INTEGER_FORMAT, json_integer_value(v));
			else
				snprintf(q->text[i], sizeof q->text[i], "%s", json_is_true(v) ? "true" : "false");
			a->value = q->text[i];
			a->value_len = strlen(q->text[i]);
		} else {
			return bad(q, "context attribute '%.100s' must be a string, an integer or a boolean "
				      "(send fractions as strings)", k);
		}
		json_object_set_new(q->attrs, k, json_stringn(a->value, a->value_len));
		q->rq.nattrs++;
	}
	q->rq.attrs = q->a;
	return 0;
}

/* 0, or -1 with q->err (and q->id when the line had one). */
static int parse_request(gw_req *q, const char *line, size_t n)
{
	json_error_t je;
	q->root = json_loadb(line, n, JSON_REJECT_DUPLICATES, &je);
	if (!q->root)
		return bad(q, "invalid JSON: %.200s", je.text);
	if (!json_is_object(q->root))
		return bad(q, "%s", "a request must be a JSON object");
	q->id = json_object_get(q->root, "id");
	const char *k;
	json_t *v;
	bool task = false, action = false;
	json_object_foreach(q->root, k, v) {
		if (strcmp(k, "task") == 0) {
			if (get_string(v, &q->rq.task, &q->rq.task_len) < 0)
				return bad(q, "%s", "\"task\" must be a string");
			task = true;
		} else if (strcmp(k, "action") == 0) {
			if (get_string(v, &q->rq.action, &q->rq.action_len) < 0)
				return bad(q, "%s", "\"action\" must be a string");
			action = true;
		} else if (strcmp(k, "resource") == 0) {
			if (get_string(v, &q->rq.resource, &q->rq.resource_len) < 0)
				return bad(q, "%s", "\"resource\" must be a string");
		} else if (strcmp(k, "context") == 0) {
			if (parse_context(q, v) < 0)
				return -1;
		} else if (strcmp(k, "tool") == 0) {
			if (!json_is_string(v) || !json_string_length(v) ||
			    strlen(json_string_value(v)) != json_string_length(v))
				return bad(q, "%s", "\"tool\" must be a non-empty string");
			q->tool = json_string_value(v);
		} else if (strcmp(k, "arguments") == 0) {
			if (!json_is_object(v))
				return bad(q, "%s", "\"arguments\" must be an object");
			q->args = v;
		} else if (strcmp(k, "cwd") == 0) {
			if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
				return bad(q, "%s", "\"cwd\" must be a string");
			q->cwd = json_string_value(v);
		} else if (strcmp(k, "id") != 0) {
			return bad(q, "unknown request field '%.100s' (expected id, task, action, resource, context; "
				      "or id, task, tool, arguments, cwd)", k);
		}
	}
	if (q->tool || q->args || q->cwd) {
		if (!task || !q->tool)
			return bad(q, "%s", "a tool call needs \"task\" and \"tool\"");
		if (action || q->rq.resource || q->rq.nattrs || json_object_get(q->root, "context"))
			return bad(q, "%s", "a tool call has no \"action\", \"resource\" or \"context\": they are "
				      "formed from \"tool\" and \"arguments\"");
		if (strlen(q->rq.task) != q->rq.task_len)
			return bad(q, "%s", "NUL byte in \"task\"");
		return 0;
	}
	if (!task || !action)
		return bad(q, "%s", "a request needs \"task\" and \"action\"");
	if (!q->rq.action_len)
		return bad(q, "%s", "the action must not be empty");
	if (!q->rq.resource)
		q->rq.resource = "";
	return 0;
}

static void req_reset(gw_req *q)
{
	json_decref(q->root);
	json_decref(q->attrs);
	q->root = NULL;
	q->id = NULL;
	q->tool = q->cwd = NULL;
	q->args = NULL;
	q->attrs = json_object();
	memset(&q->rq, 0, sizeof q->rq);
	q->err[0] = '\0';
}

/* ---- deciding (ep_decide.c) ----------------------------------------------- */

static json_t *error_reply(gw_ctx *g, gw_req *q, const char *line, size_t n)
{
	json_t *rec = ep_error_record(q->id, NULL, "malformed request (fail closed: deny)", q->err);
	json_object_set_new(rec, "raw", ep_json_text(line, n < 512 ? n : 512));
	if (ep_log_records(g->env.log, &rec, 1) < 0)
		atomic_fetch_add(&g->env.log_failures, 1);
	json_t *rep = json_object();
	json_object_set(rep, "id", q->id ? q->id : json_null());
	json_object_set_new(rep, "decision", json_string("deny"));
	json_object_set_new(rep, "reason", json_string("error"));
	json_object_set_new(rep, "error", ep_json_text(q->err, strlen(q->err)));
	json_object_set_new(rep, "explain", json_string("malformed request (fail closed: deny)"));
	return rep;
}

/* Decides one parsed request; returns the reply. */
static json_t *decide_reply(gw_ctx *g, gw_req *q, scope_scratch *scr, ep_outcome *eo, ep_outcome *co)
{
	ep_decide(&g->enforced, scr, &q->rq, eo);
	json_t *recs[2] = { ep_decision_record(q->id, &q->rq, q->attrs, eo), NULL };
	if (g->shadow) {
		ep_decide(&g->candidate, scr, &q->rq, co);
		recs[1] = ep_shadow_record(q->id, &q->rq, q->attrs, eo, co);
	}
	/* ep_log_records skips a NULL record: one that could not be made is
	 * a log failure here (the shadow record is NULL when both agree) */
	bool made = recs[0] || !ep_log_on(g->env.log);
	bool logged = ep_log_records(g->env.log, recs, 2) == 0 && made;
	json_t *rep = json_object();
	json_object_set(rep, "id", q->id ? q->id : json_null());
	if (!logged) { /* no unlogged authority */
		atomic_fetch_add(&g->env.log_failures, 1);
		json_object_set_new(rep, "decision", json_string("deny"));
		json_object_set_new(rep, "reason", json_string("error"));
		json_object_set_new(rep, "error", json_string("decision log write failed (fail closed: deny)"));
		json_object_set_new(rep, "explain", json_string("error (fail closed: deny)"));
		return rep;
	}
	ep_put_outcome(rep, eo, false);
	return rep;
}

/* Forms the requests of a tool call; 0, or -1 with q->err. */
static int form_tool_call(gw_req *q, scope_form *f)
{
	/* no cwd: "" is not absolute, so a relative path cannot be made canonical */
	int rc = scope_form_begin(f, q->rq.task, q->cwd ? q->cwd : "");
	if (rc == 0)
		rc = scope_form_attrs_json(f, q->args);
	if (rc == 0)
		rc = scope_form_add_args(f, q->tool, q->args, NULL, 0);
	if (rc < 0)
		return bad(q, "%.250s", scope_form_error(f)[0] ? scope_form_error(f) : scope_strerror(rc));
	return 0;
}

/* Decides every request of a formed tool call (ep_decide_form); the reply
 * carries the most restrictive decision and the request that decided. */
static json_t *tool_reply(gw_ctx *g, gw_req *q, scope_scratch *scr, scope_form *f)
{
	size_t n = scope_form_count(f), which = 0;
	json_t **recs = calloc(2 * n, sizeof *recs);
	ep_pin pin, cpin;
	ep_outcome best;
	bool pinned = recs && ep_slot_pin(&g->enforced, &pin) == 0;
	bool cand = pinned && g->shadow && ep_slot_pin(&g->candidate, &cpin) == 0;
	int rc = !recs ? -SCOPE_ENOMEM : !pinned ? -SCOPE_ENOPOLICY
		 : ep_decide_form(&pin, cand ? &cpin : NULL, scr, f, q->id, recs, &best, &which);
	if (rc < 0)
		ep_outcome_error(&best, rc == -SCOPE_ENOPOLICY ? "no policy could be pinned" : scope_strerror(rc));
	if (cand)
		ep_slot_unpin(&g->candidate, &cpin);
	if (pinned)
		ep_slot_unpin(&g->enforced, &pin);
	for (size_t i = 0; i < 2 * n; i += 2)
		if (recs && recs[i]) {
			json_object_set_new(recs[i], "tool", ep_json_text(q->tool, strlen(q->tool)));
			json_object_set_new(recs[i], "call_decision", json_string(ep_decision_name(best.r.decision)));
		}
	bool logged = recs && ep_log_records(g->env.log, recs, 2 * n) == 0;
	free(recs);
	json_t *rep = json_object();
	json_object_set(rep, "id", q->id ? q->id : json_null());
	if (!logged) { /* no unlogged authority */
		atomic_fetch_add(&g->env.log_failures, 1);
		ep_outcome_error(&best, "decision log write failed");
	}
	ep_put_outcome(rep, &best, false);
	const scope_request *rq = scope_form_request(f, which);
	json_object_set_new(rep, "action", ep_json_text(q->tool, strlen(q->tool)));
	json_object_set_new(rep, "resource", rq ? ep_json_text(rq->resource, rq->resource_len) : json_null());
	json_object_set_new(rep, "requests", json_integer((json_int_t)n));
	return rep;
}

/* The answer when the reply itself could not be built: a whole line
 * (sizeof, not a counted length, which once dropped the newline and ran
 * this reply into the next). */
static const char fallback_deny[] = "{\"id\":null,\"decision\":\"deny\",\"reason\":\"error\"}\n";

/* True if REP may be sent: it has a decision, and an allow or ask has
 * every field of ep_put_outcome besides. */
static bool reply_whole(json_t *rep)
{
	static const char *const grant[] = { "id", "reason", "item", "explain", "policy" };
	const char *d = json_string_value(json_object_get(rep, "decision"));
	if (!d)
		return false;
	for (size_t i = 0; strcmp(d, "deny") != 0 && i < sizeof grant / sizeof grant[0]; i++)
		if (!json_object_get(rep, grant[i]))
			return false;
	return true;
}

static bool send_reply(int out, json_t *rep)
{
	/* jansson's setters fail silently when memory runs out: a reply that
	 * lost its decision (or is not there at all), or a grant that lost any
	 * field, must not go out as if it were complete; it is a deny */
	char *s = reply_whole(rep) ? ep_json_dumps(rep, JSON_COMPACT) : NULL;
	json_decref(rep);
	if (!s) /* out of memory: still answer, and answer deny */
		return ep_write_all(out, fallback_deny, sizeof fallback_deny - 1);
	size_t n = strlen(s);
	s[n] = '\n'; /* over the NUL: json_dumps' buffer is n+1 bytes */
	bool ok = ep_write_all(out, s, n + 1);
	free(s);
	return ok;
}

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

void gw_serve(gw_ctx *g, int in, int out)
{
	gw_reader rd = { in, malloc(4096), 0, 0, 4096, g->cfg.max_line, false };
	gw_req *q = calloc(1, sizeof *q);
	ep_outcome *o = calloc(2, sizeof *o);
	scope_scratch *scr = NULL;
	scope_form *form = NULL;
	if (!rd.buf || !q || !o || scope_scratch_create(&scr) < 0 || scope_form_create(&form) < 0)
		goto out;
	char *line;
	size_t n;
	int rc;
	while ((rc = next_line(g, &rd, &line, &n)) != 0) {
		req_reset(q);
		json_t *rep;
		if (rc < 0) {
			snprintf(q->err, sizeof q->err, "request line longer than %zu bytes", g->cfg.max_line);
			rep = error_reply(g, q, "", 0);
		} else if (blank(line, n)) {
			continue;
		} else if (parse_request(q, line, n) < 0 || (q->tool && form_tool_call(q, form) < 0)) {
			rep = error_reply(g, q, line, n);
		} else if (q->tool) {
			rep = tool_reply(g, q, scr, form);
		} else {
			rep = decide_reply(g, q, scr, &o[0], &o[1]);
		}
		atomic_fetch_add(&g->requests, 1);
		if (!send_reply(out, rep))
			break;
	}
out:
	if (q) {
		req_reset(q);
		json_decref(q->attrs);
	}
	scope_scratch_destroy(scr);
	scope_form_destroy(form);
	free(o);
	free(q);
	free(rd.buf);
}
