/* request.c — see request.h. */
#include "request.h"
#include "arena.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sc_reqparse_init(sc_reqparse *rp)
{
	memset(rp, 0, sizeof *rp);
}

void sc_reqparse_fini(sc_reqparse *rp)
{
	free(rp->buf);
	free(rp->toks);
	free(rp->attrs);
	json_decref(rp->json);
	memset(rp, 0, sizeof *rp);
}

static int fail(sc_reqparse *rp, size_t col, const char *msg)
{
	snprintf(rp->err, sizeof rp->err, "%.200s", msg);
	rp->errcol = col;
	return -1;
}

static void push_attr(sc_reqparse *rp, sc_str key, sc_str value)
{
	if (rp->rq.nattrs == rp->capattrs) {
		size_t cap = rp->capattrs ? 2 * rp->capattrs : 8;
		sc_attr *a = realloc(rp->attrs, cap * sizeof *a);
		if (!a)
			sc_fatal_oom();
		rp->attrs = a;
		rp->capattrs = cap;
	}
	rp->attrs[rp->rq.nattrs++] = (sc_attr){ key, value };
	rp->rq.attrs = rp->attrs;
}

static bool duplicate_key(const sc_reqparse *rp, sc_str key)
{
	for (size_t i = 0; i < rp->rq.nattrs; i++)
		if (sc_str_eq(rp->attrs[i].key, key))
			return true;
	return false;
}


/* Reads the next token into rp->buf at *out_off.  Returns 1, 0 at end of
 * line, -1 on error. */
static int next_token(sc_reqparse *rp, const char *line, const char **cur, const char *lim,
		      size_t *out_off, sc_rtoken *tok)
{
	const char *start, *msg = NULL;
	int seg;
	while ((seg = sc_request_segment(cur, lim, &start, &msg)) == SC_SEG_BLANK)
		;
	if (seg == SC_SEG_END)
		return 0;
	tok->col = (size_t)(start - line) + 1;
	tok->eq = -1;
	size_t begin = *out_off;
	for (;;) {
		if (seg == SC_SEG_ERROR)
			return fail(rp, (size_t)(start - line) + 1, msg);
		if (seg == SC_SEG_BARE) {
			const char *eq = memchr(start, '=', (size_t)(*cur - start));
			if (eq && tok->eq < 0)
				tok->eq = (long)(*out_off - begin + (size_t)(eq - start));
			memcpy(rp->buf + *out_off, start, (size_t)(*cur - start));
			*out_off += (size_t)(*cur - start);
		} else { /* quoted: drop the quotes, undo the escapes */
			for (const char *p = start + 1; p < *cur - 1; p++) {
				if (*p == '\\')
					p++;
				rp->buf[(*out_off)++] = *p;
			}
		}
		seg = sc_request_segment(cur, lim, &start, &msg);
		if (seg == SC_SEG_BLANK || seg == SC_SEG_END)
			break;
	}
	tok->text = (sc_str){ rp->buf + begin, *out_off - begin };
	return 1;
}

/* Interprets the tokens of a line: TASK ACTION [RESOURCE] [KEY=VALUE...]. */
static int build_request(sc_reqparse *rp, const sc_rtoken *tok, size_t ntok, size_t n)
{
	if (ntok < 2)
		return fail(rp, ntok ? tok[0].col : n + 1, "a request needs a task and an action");
	if (tok[1].text.n == 0)
		return fail(rp, tok[1].col, "the action must not be empty");
	rp->rq.task = tok[0].text;
	rp->rq.action = tok[1].text;
	rp->rq.resource = (sc_str){ "", 0 };
	size_t i = 2;
	if (i < ntok && tok[i].eq < 0)
		rp->rq.resource = tok[i++].text;
	for (; i < ntok; i++) {
		if (tok[i].eq < 0)
			return fail(rp, tok[i].col, "expected KEY=VALUE (quote a resource that contains '=')");
		sc_str key = { tok[i].text.s, (size_t)tok[i].eq };
		sc_str value = { tok[i].text.s + tok[i].eq + 1, tok[i].text.n - (size_t)tok[i].eq - 1 };
		if (key.n == 0)
			return fail(rp, tok[i].col, "empty attribute name");
		if (rp->rq.nattrs == SC_MAX_ATTRS)
			return fail(rp, tok[i].col, "too many attributes");
		if (duplicate_key(rp, key))
			return fail(rp, tok[i].col, "attribute given twice");
		push_attr(rp, key, value);
	}
	return 1;
}

int sc_request_parse_line(sc_reqparse *rp, const char *line, size_t n)
{
	memset(&rp->rq, 0, sizeof rp->rq);
	rp->err[0] = '\0';
	/* Unescaped bytes never outnumber the line; nor do tokens. */
	if (rp->cap < n + 1) {
		free(rp->buf);
		free(rp->toks);
		rp->cap = n + 1;
		rp->buf = malloc(rp->cap);
		rp->toks = malloc(rp->cap * sizeof(sc_rtoken));
		if (!rp->buf || !rp->toks)
			sc_fatal_oom();
	}
	sc_rtoken *tok = rp->toks;
	const char *cur = line, *lim = line + n;
	size_t off = 0, ntok = 0;
	int rc;
	while ((rc = next_token(rp, line, &cur, lim, &off, &tok[ntok])) == 1)
		ntok++;
	if (rc < 0)
		return -1;
	if (ntok == 0)
		return 0;
	return build_request(rp, tok, ntok, n);
}

/* JSON strings are copied as they are (jansson rejects \u0000 by default). */
static int json_str(json_t *v, sc_str *out)
{
	if (!json_is_string(v))
		return -1;
	out->s = json_string_value(v);
	out->n = json_string_length(v);
	return 0;
}

int sc_request_parse_json(sc_reqparse *rp, const char *line, size_t n)
{
	memset(&rp->rq, 0, sizeof rp->rq);
	rp->err[0] = '\0';
	json_decref(rp->json);
	rp->json = NULL;
	size_t i = 0;
	while (i < n && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
		i++;
	if (i == n)
		return 0;
	json_error_t je;
	json_t *root = json_loadb(line, n, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		char msg[200];
		snprintf(msg, sizeof msg, "invalid JSON: %s", je.text);
		return fail(rp, 1, msg); /* jansson's column is its token's end */
	}
	rp->json = root;
	if (!json_is_object(root))
		return fail(rp, 1, "a request must be a JSON object");
	const char *k;
	json_t *v;
	bool have_task = false, have_action = false;
	json_object_foreach(root, k, v) {
		if (strcmp(k, "task") == 0) {
			if (json_str(v, &rp->rq.task) < 0)
				return fail(rp, 1, "\"task\" must be a string");
			have_task = true;
		} else if (strcmp(k, "action") == 0) {
			if (json_str(v, &rp->rq.action) < 0)
				return fail(rp, 1, "\"action\" must be a string");
			have_action = true;
		} else if (strcmp(k, "resource") == 0) {
			if (json_str(v, &rp->rq.resource) < 0)
				return fail(rp, 1, "\"resource\" must be a string");
		} else if (strcmp(k, "context") == 0) {
			if (!json_is_object(v))
				return fail(rp, 1, "\"context\" must be an object of strings");
		} else {
			return fail(rp, 1, "unknown request field (expected task, action, resource, context)");
		}
	}
	if (!have_task || !have_action)
		return fail(rp, 1, "a request needs \"task\" and \"action\"");
	if (rp->rq.action.n == 0)
		return fail(rp, 1, "the action must not be empty");
	if (!rp->rq.resource.s)
		rp->rq.resource = (sc_str){ "", 0 };
	json_t *ctx = json_object_get(root, "context");
	if (ctx) {
		json_object_foreach(ctx, k, v) {
			sc_str key = { k, strlen(k) }, value;
			if (json_str(v, &value) < 0)
				return fail(rp, 1, "context values must be strings (quote numbers: \"amount\": \"250\")");
			if (key.n == 0)
				return fail(rp, 1, "empty attribute name");
			if (rp->rq.nattrs == SC_MAX_ATTRS)
				return fail(rp, 1, "too many attributes");
			push_attr(rp, key, value);
		}
	}
	return 1;
}

int sc_request_stream(FILE *in, bool json, const sc_request_sink *sink)
{
	sc_reqparse rp;
	sc_reqparse_init(&rp);
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t got;
	int status = 0;
	while ((got = getline(&line, &cap, in)) >= 0) {
		size_t n = (size_t)got;
		lineno++;
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			n--;
		line[n] = '\0'; /* the request lexer's sentinel */
		int rc = json ? sc_request_parse_json(&rp, line, n) : sc_request_parse_line(&rp, line, n);
		if (rc == 0)
			continue;
		if (rc < 0) {
			fprintf(stderr, "<stdin>:%zu:%zu: error: malformed request: %s\n", lineno, rp.errcol, rp.err);
			sink->malformed(sink->ctx, &rp);
			status = 1;
			continue;
		}
		sink->decide(sink->ctx, &rp.rq);
	}
	free(line);
	sc_reqparse_fini(&rp);
	return status;
}

void sc_request_print_malformed(const sc_reqparse *rp, bool json, bool explain)
{
	if (!json) {
		puts(explain ? "deny malformed request" : "deny");
		return;
	}
	sc_json_put_line(json_pack("{s:s,s:s}", "decision", "deny", "error", rp->err));
}

void sc_json_put_line(void *value)
{
	json_t *out = value;
	char *s = out ? json_dumps(out, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	puts(s ? s : "{\"decision\":\"deny\"}"); /* a reply is never lost */
	free(s);
	json_decref(out);
}
