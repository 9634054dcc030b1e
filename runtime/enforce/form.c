/*
 * form.c — the requests of one tool call (SPEC §6), see scope_enforce.h.
 *
 * A scope_form owns every string its requests point to; begin() frees
 * them all.  Attributes are shared: request i carries the first
 * nattrs_at[i] attributes of one array, so adding an attribute after a
 * request never changes that request.
 */
#include "canon.h"
#include "scope_enforce.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FORM_MAX_ATTRS 1024     /* as the gateway and `scopec eval` */
#define FORM_MAX_REQUESTS 4096  /* resources of one call */

const scope_res_arg scope_default_res_args[] = {
	{ "path", SCOPE_RES_PATH },        { "paths", SCOPE_RES_PATH },
	{ "source", SCOPE_RES_PATH },      { "destination", SCOPE_RES_PATH },
	{ "file_path", SCOPE_RES_PATH },   { "uri", SCOPE_RES_URL },
	{ "url", SCOPE_RES_URL },
};
const size_t scope_default_res_nargs = sizeof scope_default_res_args / sizeof scope_default_res_args[0];

struct scope_form {
	char *task, *cwd;
	scope_attr *attrs;
	size_t nattrs, capattrs;
	scope_request *rqs;
	size_t nrqs, caprqs;
	char **strs;             /* every string the above point to */
	size_t nstrs, capstrs;
	char err[512];
};

static int grow(void **arr, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap * 2 : 16;
	while (n < need)
		n *= 2;
	void *p = realloc(*arr, n * size);
	if (!p)
		return -SCOPE_ENOMEM;
	*arr = p;
	*cap = n;
	return 0;
}

/* Takes ownership of S (which may be NULL: out of memory). */
static char *keep(scope_form *f, char *s)
{
	if (!s || grow((void **)&f->strs, &f->capstrs, f->nstrs + 1, sizeof *f->strs) < 0) {
		free(s);
		return NULL;
	}
	f->strs[f->nstrs++] = s;
	return s;
}

static char *keep_copy(scope_form *f, const char *s, size_t n)
{
	char *c = malloc(n + 1);
	if (c) {
		memcpy(c, s, n);
		c[n] = '\0';
	}
	return keep(f, c);
}

static int fail(scope_form *f, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(scope_form *f, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->err, sizeof f->err, fmt, ap);
	va_end(ap);
	return rc;
}

int scope_form_create(scope_form **out)
{
	if (!out)
		return -SCOPE_EINVAL;
	*out = calloc(1, sizeof **out);
	return *out ? 0 : -SCOPE_ENOMEM;
}

static void forget(scope_form *f)
{
	for (size_t i = 0; i < f->nstrs; i++)
		free(f->strs[i]);
	f->nstrs = f->nattrs = f->nrqs = 0;
	f->task = f->cwd = NULL;
	f->err[0] = '\0';
}

void scope_form_destroy(scope_form *f)
{
	if (!f)
		return;
	forget(f);
	free(f->strs);
	free(f->attrs);
	free(f->rqs);
	free(f);
}

int scope_form_begin(scope_form *f, const char *task, const char *cwd)
{
	if (!f || !task)
		return -SCOPE_EINVAL;
	forget(f);
	f->task = keep_copy(f, task, strlen(task));
	f->cwd = cwd ? keep_copy(f, cwd, strlen(cwd)) : NULL;
	return f->task && (!cwd || f->cwd) ? 0 : -SCOPE_ENOMEM;
}

/* Shortest text that reads back as D: 0.1 is "0.1", not %.17g's
 * "0.10000000000000001". */
static void real_text(double d, char *buf, size_t n)
{
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, n, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			return;
	}
}

/* The attribute text of a scalar V into BUF, or NULL if V is not one. */
static const char *scalar_text(const json_t *v, char *buf, size_t n, size_t *len)
{
	if (json_is_string(v)) {
		*len = json_string_length(v);
		return json_string_value(v);
	}
	if (json_is_integer(v))
		snprintf(buf, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v) && isfinite(json_real_value(v)))
		real_text(json_real_value(v), buf, n);
	else if (json_is_boolean(v))
		snprintf(buf, n, "%s", json_is_true(v) ? "true" : "false");
	else
		return NULL;
	*len = strlen(buf);
	return buf;
}

/* Requests point into ATTRS: after it moves, so must they. */
static void repoint(scope_form *f)
{
	for (size_t i = 0; i < f->nrqs; i++)
		f->rqs[i].attrs = f->nattrs ? f->attrs : NULL;
}

int scope_form_attrs_json(scope_form *f, const json_t *args)
{
	if (!f || !f->task)
		return -SCOPE_EINVAL;
	if (!args)
		return 0;
	if (!json_is_object(args))
		return fail(f, -SCOPE_EINVAL, "the arguments are not a JSON object");
	if (f->nattrs + json_object_size(args) > FORM_MAX_ATTRS)
		return fail(f, -SCOPE_EINVAL, "more than %d arguments", FORM_MAX_ATTRS);
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)args, k, v) {
		char num[64];
		size_t vn;
		const char *vs = scalar_text(v, num, sizeof num, &vn);
		if (!vs)
			continue;
		size_t kn = strlen(k);
		char *key = malloc(kn + 5);
		if (key) {
			memcpy(key, "arg.", 4);
			memcpy(key + 4, k, kn + 1);
		}
		if (!keep(f, key))
			return -SCOPE_ENOMEM;
		char *val = keep_copy(f, vs, vn);
		if (!val || grow((void **)&f->attrs, &f->capattrs, f->nattrs + 1, sizeof *f->attrs) < 0)
			return -SCOPE_ENOMEM;
		f->attrs[f->nattrs++] = (scope_attr){ key, kn + 4, val, vn };
	}
	repoint(f);
	return 0;
}

/* Appends the request ACTION on RES (already canonical, owned by F). */
static int push(scope_form *f, const char *action, const char *res, size_t n)
{
	if (f->nrqs >= FORM_MAX_REQUESTS)
		return fail(f, -SCOPE_EINVAL, "more than %d resources in one call", FORM_MAX_REQUESTS);
	if (grow((void **)&f->rqs, &f->caprqs, f->nrqs + 1, sizeof *f->rqs) < 0)
		return -SCOPE_ENOMEM;
	f->rqs[f->nrqs++] = (scope_request){ f->task, strlen(f->task), action, strlen(action), res, n,
					      f->nattrs ? f->attrs : NULL, f->nattrs };
	return 0;
}

/* The canonical path(s) of RES: as the kernel resolves it and, when ".."
 * follows a link, also as a tool that normalises first would: a tool
 * may do either, so both are decided (most restrictive wins). */
static int add_path(scope_form *f, const char *action, const char *res, size_t len)
{
	char *kern, *lex;
	int rc = canon_path_alloc(res, len, f->cwd, &kern);
	if (rc < 0)
		return rc;
	if (!keep(f, kern))
		return -SCOPE_ENOMEM;
	rc = push(f, action, kern, strlen(kern));
	if (rc < 0 || (rc = canon_path_lexical_first(res, len, f->cwd, &lex)) < 0)
		return rc;
	if (strcmp(lex, kern) == 0) {
		free(lex);
		return 0;
	}
	return keep(f, lex) ? push(f, action, lex, strlen(lex)) : -SCOPE_ENOMEM;
}

static bool looks_like_url(const char *s, size_t n)
{
	for (size_t i = 0; i + 2 < n; i++)
		if (s[i] == ':' && s[i + 1] == '/' && s[i + 2] == '/')
			return i > 0;
	return false;
}

static int add_one(scope_form *f, const char *action, const char *res, size_t len, scope_res_kind kind)
{
	if (kind == SCOPE_RES_PATH && looks_like_url(res, len))
		kind = SCOPE_RES_URL;
	if (kind == SCOPE_RES_PATH)
		return add_path(f, action, res, len);
	char *c = NULL;
	int rc = kind == SCOPE_RES_URL ? canon_url_alloc(res, len, &c) : 0;
	if (kind != SCOPE_RES_URL)
		c = keep_copy(f, res, len);
	else if (rc == 0 && !keep(f, c))
		c = NULL;
	if (rc < 0)
		return rc;
	return c ? push(f, action, c, kind == SCOPE_RES_URL ? strlen(c) : len) : -SCOPE_ENOMEM;
}

int scope_form_add(scope_form *f, const char *action, const char *res, size_t len, scope_res_kind kind)
{
	if (!f || !f->task || !action || !*action || (!res && len))
		return f ? fail(f, -SCOPE_EINVAL, "no task or no action") : -SCOPE_EINVAL;
	char *a = keep_copy(f, action, strlen(action));
	if (!a)
		return -SCOPE_ENOMEM;
	int rc = add_one(f, a, res ? res : "", len, kind);
	if (rc == -SCOPE_EPATH || rc == -SCOPE_EURL)
		fail(f, rc, "resource \"%.*s\": %s", (int)(len < 200 ? len : 200), res, scope_strerror(rc));
	return rc;
}

/* The requests of one resource argument V named NAME. */
static int add_member(scope_form *f, const char *action, const scope_res_arg *arg, const json_t *v,
		      bool *any)
{
	size_t n = json_is_array(v) ? json_array_size(v) : 1;
	for (size_t i = 0; i < n; i++) {
		const json_t *e = json_is_array(v) ? json_array_get(v, i) : v;
		if (!json_is_string(e))
			return fail(f, -SCOPE_EINVAL, "argument '%.100s' is not a string or a list of strings",
				    arg->name);
		int rc = add_one(f, action, json_string_value(e), json_string_length(e), arg->kind);
		if (rc == -SCOPE_EPATH || rc == -SCOPE_EURL)
			return fail(f, rc, "argument '%.100s': \"%.200s\": %s", arg->name,
				    json_string_value(e), scope_strerror(rc));
		if (rc < 0)
			return rc;
		*any = true;
	}
	return 0;
}

int scope_form_add_args(scope_form *f, const char *action, const json_t *args, const scope_res_arg *names,
			size_t nnames)
{
	if (!f || !f->task || !action || !*action)
		return f ? fail(f, -SCOPE_EINVAL, "no task or no action") : -SCOPE_EINVAL;
	if (args && !json_is_object(args))
		return fail(f, -SCOPE_EINVAL, "the arguments are not a JSON object");
	if (!names) {
		names = scope_default_res_args;
		nnames = scope_default_res_nargs;
	}
	char *a = keep_copy(f, action, strlen(action));
	if (!a)
		return -SCOPE_ENOMEM;
	bool any = false;
	for (size_t i = 0; i < nnames; i++) {
		const json_t *v = args ? json_object_get(args, names[i].name) : NULL;
		int rc = v && !json_is_null(v) ? add_member(f, a, &names[i], v, &any) : 0;
		if (rc < 0)
			return rc;
	}
	return any ? 0 : push(f, a, "", 0);
}

int scope_form_tool_call(scope_form *f, const char *task, const char *action, const char *args, size_t len,
			 const char *cwd)
{
	int rc = scope_form_begin(f, task, cwd);
	if (rc < 0)
		return rc;
	json_t *root = NULL;
	if (args && len) {
		json_error_t je;
		root = json_loadb(args, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
		if (!root)
			return fail(f, -SCOPE_EINVAL, "arguments: %s", je.text);
	}
	rc = scope_form_attrs_json(f, root);
	if (rc == 0)
		rc = scope_form_add_args(f, action, root, NULL, 0);
	json_decref(root);
	return rc;
}

size_t scope_form_count(const scope_form *f)
{
	return f ? f->nrqs : 0;
}

const scope_request *scope_form_request(const scope_form *f, size_t i)
{
	return f && i < f->nrqs ? &f->rqs[i] : NULL;
}

const char *scope_form_error(const scope_form *f)
{
	return f ? f->err : "";
}

int scope_form_decide(const scope_form *f, const scope_policy *p, scope_scratch *s, scope_result *out,
		      size_t *which)
{
	scope_result deny = { SCOPE_DENY, SCOPE_WHY_ERROR, SCOPE_NO_ITEM, false };
	if (which)
		*which = 0;
	if (!out)
		return -SCOPE_EINVAL;
	*out = deny;
	if (!f || !f->nrqs)
		return -SCOPE_EINVAL;
	bool first = true;
	for (size_t i = 0; i < f->nrqs; i++) {
		scope_result r;
		int rc = scope_decide(p, s, &f->rqs[i], &r);
		if (rc < 0) {
			*out = deny;
			if (which)
				*which = i;
			return rc;
		}
		if (first || r.decision > out->decision) {
			*out = r;
			if (which)
				*which = i;
		}
		first = false;
	}
	return 0;
}
