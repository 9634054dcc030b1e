/* declog.c — see declog.h. */
#include "declog.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SC_DECLOG_MAX_ATTRS 1024
#define SC_DECLOG_WARNINGS 5

int sc_decision_parse(const char *s)
{
	for (int k = 0; k < 3; k++)
		if (s && strcmp(s, sc_kind_names[k]) == 0)
			return k;
	return -1;
}

static const char *opt_text(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? s : "";
}

static int get_str(json_t *obj, const char *key, sc_str *out)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_string(v))
		return -1;
	*out = (sc_str){ json_string_value(v), json_string_length(v) };
	return 0;
}

/* The request fields of REC into R (attributes into ATTRS).  NULL or a
 * message saying what is wrong. */
static const char *get_request(json_t *rec, sc_logrec *r, sc_attr *attrs)
{
	if (get_str(rec, "task", &r->rq.task) < 0 || get_str(rec, "action", &r->rq.action) < 0)
		return "no string \"task\" and \"action\"";
	if (!r->rq.action.n)
		return "empty action";
	if (get_str(rec, "resource", &r->rq.resource) < 0)
		r->rq.resource = (sc_str){ "", 0 };
	json_t *a = json_object_get(rec, "attributes");
	if (a && !json_is_object(a) && !json_is_null(a))
		return "\"attributes\" is not an object";
	if (json_object_size(a) > SC_DECLOG_MAX_ATTRS)
		return "too many attributes";
	const char *k;
	json_t *v;
	json_object_foreach(a, k, v) {
		if (!json_is_string(v))
			return "an attribute value is not a string";
		attrs[r->rq.nattrs++] = (sc_attr){ { k, strlen(k) }, { json_string_value(v), json_string_length(v) } };
	}
	r->rq.attrs = attrs;
	return NULL;
}

/* Fills R from a decision or shadow record and sets *USE; records of other
 * types and of malformed requests are only counted.  NULL, or a message
 * saying why the record is invalid. */
static const char *parse_record(json_t *rec, sc_logrec *r, sc_attr *attrs, sc_logstats *st, int *use)
{
	*use = 0;
	if (!json_is_object(rec))
		return "not a JSON object";
	const char *type = json_string_value(json_object_get(rec, "type"));
	if (!type && json_object_get(rec, "decision"))
		type = "decision";
	if (!type || (strcmp(type, "decision") != 0 && strcmp(type, "shadow") != 0)) {
		st->other++;
		return NULL;
	}
	r->shadow = strcmp(type, "shadow") == 0;
	json_t *e = r->shadow ? json_object_get(rec, "enforced") : rec;
	json_t *c = r->shadow ? json_object_get(rec, "candidate") : NULL;
	if (!r->shadow && json_object_get(rec, "error")) {
		st->errors++; /* a malformed request: nothing to learn from it */
		return NULL;
	}
	if (r->shadow && (!json_is_object(e) || !json_is_object(c)))
		return "a shadow record needs \"enforced\" and \"candidate\" objects";
	int d = sc_decision_parse(json_string_value(json_object_get(e, "decision")));
	int cd = r->shadow ? sc_decision_parse(json_string_value(json_object_get(c, "decision"))) : 0;
	if (d < 0 || cd < 0)
		return "no valid \"decision\" (allow, ask or deny)";
	const char *why = get_request(rec, r, attrs);
	if (why)
		return why;
	r->decision = (sc_kind)d;
	r->candidate = (sc_kind)cd;
	r->explain = opt_text(e, "explain");
	r->policy = opt_text(e, "policy");
	r->cexplain = c ? opt_text(c, "explain") : "";
	r->cpolicy = c ? opt_text(c, "policy") : "";
	if (r->shadow)
		st->shadows++;
	else
		st->decisions++;
	*use = 1;
	return NULL;
}

static void warn(const char *path, size_t line, const char *msg, sc_logstats *st)
{
	if (++st->bad <= SC_DECLOG_WARNINGS)
		fprintf(stderr, "%s:%zu: warning: not a valid log record (%s); skipped\n", path, line, msg);
}

int sc_declog_read(const char *cmd, const char *path, sc_logrec_fn fn, void *arg, sc_logstats *st)
{
	memset(st, 0, sizeof *st);
	bool std = strcmp(path, "-") == 0;
	FILE *f = std ? stdin : fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "scopec %s: cannot open '%s': %s\n", cmd, path, strerror(errno));
		return -1;
	}
	sc_attr *attrs = malloc(SC_DECLOG_MAX_ATTRS * sizeof *attrs);
	if (!attrs)
		sc_fatal_oom();
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t got;
	errno = 0;
	while ((got = getline(&line, &cap, f)) >= 0) {
		lineno++;
		size_t n = (size_t)got;
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
			n--;
		if (!n)
			continue;
		st->lines++;
		json_error_t je;
		errno = 0;
		json_t *rec = json_loadb(line, n, JSON_REJECT_DUPLICATES, &je);
		/* out of memory is not a bad line: skipping it would learn from
		 * (or report on) part of the log as if it were all of it.  (Where
		 * an allocation failed jansson may leave the error unset: every
		 * syntax error has a text.) */
		if (!rec && (json_error_code(&je) == json_error_out_of_memory || errno == ENOMEM))
			sc_fatal_oom();
		if (!rec) {
			warn(path, lineno, je.text, st);
			continue;
		}
		sc_logrec r;
		memset(&r, 0, sizeof r);
		r.line = lineno;
		int use;
		const char *why = parse_record(rec, &r, attrs, st, &use);
		if (why)
			warn(path, lineno, why, st);
		else if (use)
			fn(arg, &r);
		json_decref(rec);
		errno = 0;
	}
	/* getline's -1 is EOF, or ENOMEM for a line it could not hold: that
	 * is not the end of the log */
	if (errno == ENOMEM)
		sc_fatal_oom();
	bool ioerr = ferror(f);
	free(line);
	free(attrs);
	if (!std)
		fclose(f);
	if (ioerr) {
		fprintf(stderr, "scopec %s: error reading '%s'\n", cmd, path);
		return -1;
	}
	if (st->bad > SC_DECLOG_WARNINGS)
		fprintf(stderr, "%s: %zu invalid lines in all\n", path, st->bad);
	return 0;
}
