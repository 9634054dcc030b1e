/* request.c — see request.h. */
#include "request.h"
#include "arena.h"
#include "request_lex.h" /* sc_request_segment, from grammar/request.re */

#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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


/* Reads the next token.  A token of one bare segment (most are) is used
 * where it is in the line; any other is unescaped into rp->buf at
 * *out_off.  Returns 1, 0 at end of line, -1 on error. */
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
	char *out = rp->buf + *out_off;
	const char *bare = NULL; /* the token so far, if one bare segment not copied */
	size_t len = 0;
	for (bool first = true;; first = false) {
		if (seg == SC_SEG_ERROR)
			return fail(rp, (size_t)(start - line) + 1, msg);
		if (bare) { /* a second segment: the token is built in rp->buf */
			memcpy(out, bare, len);
			bare = NULL;
		}
		if (seg == SC_SEG_BARE) {
			size_t k = (size_t)(*cur - start);
			const char *eq = memchr(start, '=', k);
			if (eq && tok->eq < 0)
				tok->eq = (long)(len + (size_t)(eq - start));
			if (first)
				bare = start;
			else
				memcpy(out + len, start, k);
			len += k;
		} else { /* quoted: drop the quotes, undo the escapes */
			for (const char *p = start + 1; p < *cur - 1; p++) {
				if (*p == '\\')
					p++;
				out[len++] = *p;
			}
		}
		seg = sc_request_segment(cur, lim, &start, &msg);
		if (seg == SC_SEG_BLANK || seg == SC_SEG_END)
			break;
	}
	tok->text = (sc_str){ bare ? bare : out, len };
	if (!bare)
		*out_off += len;
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

/* ---- the stream --------------------------------------------------------- */

/* Requests are read with read(2) in blocks of at least this size, not with
 * one getline per line: at millions of lines a second the per-line stdio
 * calls cost more than deciding. */
enum { SC_READ_BLOCK = 1 << 16 };

typedef struct sc_instream {
	int fd;
	char *buf;              /* cap bytes, one more kept for the sentinel */
	size_t cap, start, end; /* unread lines are buf[start, end) */
	size_t scanned;         /* buf[start, scanned) has no newline */
	bool eof;
	int err;                /* errno of a failed read, or 0 */
} sc_instream;

/* After a failed read: whether to read again.  A descriptor left
 * non-blocking by whoever started scopec (EAGAIN) is waited on, not taken
 * for the end of the requests. */
static bool retry_read(int fd)
{
	if (errno == EINTR)
		return true;
	if (errno != EAGAIN && errno != EWOULDBLOCK)
		return false;
	struct pollfd pfd = { fd, POLLIN, 0 };
	return poll(&pfd, 1, -1) >= 0 || errno == EINTR;
}

/* Moves the partial line to the front and reads more after it, growing the
 * buffer for a line longer than it.  Answers already printed are flushed
 * first: a service talking through a pipe gets each answer before scopec
 * waits for its next request. */
static void refill(sc_instream *s)
{
	size_t have = s->end - s->start;
	memmove(s->buf, s->buf + s->start, have);
	s->scanned -= s->start;
	s->start = 0;
	s->end = have;
	if (s->cap - have < SC_READ_BLOCK / 2) {
		s->cap *= 2;
		s->buf = realloc(s->buf, s->cap + 1);
		if (!s->buf)
			sc_fatal_oom();
	}
	fflush(stdout);
	ssize_t got;
	while ((got = read(s->fd, s->buf + s->end, s->cap - s->end)) < 0 && retry_read(s->fd))
		;
	if (got <= 0) {
		s->eof = true;
		s->err = got < 0 ? errno : 0;
		return;
	}
	s->end += (size_t)got;
}

/* The next line without its newline, NUL-terminated in place (the request
 * lexer's sentinel); *N is its length.  The last line may lack a newline;
 * *CUT says a read error ended it, so it may be a prefix of the request.
 * NULL at the end of the input. */
static char *next_line(sc_instream *s, size_t *n, bool *cut)
{
	for (;;) {
		char *nl = memchr(s->buf + s->scanned, '\n', s->end - s->scanned);
		if (nl || (s->eof && s->end > s->start)) {
			char *line = s->buf + s->start;
			char *stop = nl ? nl : s->buf + s->end;
			*n = (size_t)(stop - line);
			*cut = !nl && s->err;
			s->start = s->scanned = nl ? (size_t)(nl - s->buf) + 1 : s->end;
			return line;
		}
		s->scanned = s->end;
		if (s->eof)
			return NULL;
		refill(s);
	}
}

/* One line: blank, a request, or malformed (a deny and a diagnostic).  A
 * line a read error cut is malformed whatever it says: "read /srv/a" may
 * be the start of "read /srv/a/secret". */
static int stream_line(sc_reqparse *rp, bool json, const sc_request_sink *sink, char *line, size_t n,
		       bool cut, size_t lineno)
{
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	line[n] = '\0';
	int rc = cut ? fail(rp, n + 1, "request cut by a read error")
		     : json ? sc_request_parse_json(rp, line, n) : sc_request_parse_line(rp, line, n);
	if (rc > 0)
		sink->decide(sink->ctx, &rp->rq);
	if (rc >= 0)
		return 0;
	fflush(stdout); /* answers and diagnostics stay in order on one terminal */
	fprintf(stderr, "<stdin>:%zu:%zu: error: malformed request: %s\n", lineno, rp->errcol, rp->err);
	sink->malformed(sink->ctx, rp);
	return 1;
}

int sc_request_stream(int fd, bool json, const sc_request_sink *sink)
{
	sc_reqparse rp;
	sc_reqparse_init(&rp);
	sc_instream s = { fd, malloc(SC_READ_BLOCK + 1), SC_READ_BLOCK, 0, 0, 0, false, 0 };
	if (!s.buf)
		sc_fatal_oom();
	size_t lineno = 0, n;
	int status = 0;
	bool cut;
	char *line;
	while ((line = next_line(&s, &n, &cut)) != NULL)
		status |= stream_line(&rp, json, sink, line, n, cut, ++lineno);
	if (s.err) { /* what was read is answered; the rest is not, so say so */
		fflush(stdout);
		fprintf(stderr, "<stdin>:%zu: error: cannot read requests: %s\n", lineno + 1, strerror(s.err));
		status = 1;
	}
	free(s.buf);
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
