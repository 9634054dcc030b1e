/*
 * _scope.c — the CPython extension module scope._scope over libscope
 * (deciding) and libscope-enforce (forming requests from tool calls),
 * both linked statically.
 *
 * Fail closed: Policy.decide, Handle.decide and decide_tool_call never
 * raise for a request (only for a wrong call: a missing positional
 * argument).  Every request the library cannot take and every library
 * error is a Result that says deny with why == Why.ERROR and the
 * ScopeError in .error; when not even that object can be allocated, a
 * preallocated deny result is returned.
 *
 * Lifetimes: a loaded policy lives in a `core` (a count of references,
 * changed only with the GIL held).  A Policy, a Handle and every Result
 * hold a reference to the core that decided, so a Result's explanation
 * and item_info are always those of the policy that decided it, however
 * often the Handle was swapped since, and closing a Policy never frees
 * memory a Result still needs.
 *
 * The GIL: held around a decision (about 100 ns: releasing and taking it
 * again would cost more than the decision); released while an image is
 * loaded and verified and while a tool call's paths are made canonical
 * (file system calls).  Per-thread memory (PCRE2 match data, the request
 * former) is kept in a pthread key and freed when the thread exits.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scope.h"
#include "scope_enforce.h"

/* ---- module globals (single-phase init: one interpreter) ----------------- */

static PyObject *Decisions[3]; /* scope._types.Decision members, by scope_decision */
static PyObject *Whys[4];      /* scope._types.Why members, by scope_why */
static PyObject *ItemInfoType; /* scope._types.ItemInfo */
static PyObject *ScopeErrorType;
static PyObject *str_error_expl; /* "error (fail closed: deny)" */
static PyObject *oom_result;     /* returned when no Result can be made */
static pthread_key_t tls_key;

#define MAX_JSON_DEPTH 64
#define SMALL_ATTRS 16

/* ---- per-thread memory -------------------------------------------------------- */

typedef struct tls {
	scope_scratch *scratch;
	scope_form *form;
} tls;

static void tls_free(void *p)
{
	tls *t = p;
	scope_scratch_destroy(t->scratch);
	scope_form_destroy(t->form);
	free(t);
}

static tls *tls_get(void)
{
	tls *t = pthread_getspecific(tls_key);
	if (t)
		return t;
	t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	if (scope_scratch_create(&t->scratch) < 0 || pthread_setspecific(tls_key, t) != 0) {
		scope_scratch_destroy(t->scratch);
		free(t);
		return NULL;
	}
	return t;
}

static scope_form *tls_form(tls *t)
{
	if (!t->form && scope_form_create(&t->form) < 0)
		t->form = NULL;
	return t->form;
}

/* ---- cores: a loaded policy and its count of references ------------------ */

typedef struct core {
	Py_ssize_t refs;
	scope_policy *p;
	bool signed_by_key;                       /* loaded with trusted_keys */
	unsigned char key[SCOPE_ED25519_KEY_LEN]; /* the one that verified it */
} core;

static core *core_new(scope_policy *p, const unsigned char *key)
{
	core *c = malloc(sizeof *c);
	if (!c) {
		scope_policy_destroy(p);
		PyErr_NoMemory();
		return NULL;
	}
	c->refs = 1;
	c->p = p;
	c->signed_by_key = key != NULL;
	if (key)
		memcpy(c->key, key, SCOPE_ED25519_KEY_LEN);
	return c;
}

static inline core *core_ref(core *c)
{
	if (c)
		c->refs++;
	return c;
}

static void core_unref(core *c)
{
	if (c && --c->refs == 0) {
		scope_policy_destroy(c->p);
		free(c);
	}
}

/* ---- errors --------------------------------------------------------------------- */

/* A new ScopeError(code, detail); DETAIL is stolen (may be NULL). */
static PyObject *scope_error_new(int rc, PyObject *detail)
{
	if (!detail) {
		PyErr_Clear();
		detail = PyUnicode_FromString("");
		if (!detail)
			return NULL;
	}
	PyObject *e = PyObject_CallFunction(ScopeErrorType, "iO", rc < 0 ? -rc : rc, detail);
	Py_DECREF(detail);
	return e;
}

/* Raises ScopeError(rc, detail); DETAIL stolen.  Returns NULL. */
static PyObject *raise_scope(int rc, PyObject *detail)
{
	PyObject *e = scope_error_new(rc, detail);
	if (e) {
		PyErr_SetObject(ScopeErrorType, e);
		Py_DECREF(e);
	}
	return NULL;
}

#define raise_scopef(rc, ...) raise_scope((rc), PyUnicode_FromFormat(__VA_ARGS__))

/* ---- Result --------------------------------------------------------------------- */

typedef struct {
	PyObject_HEAD
	scope_result r;
	core *core;            /* the policy that decided (NULL for errors) */
	PyObject *explanation; /* computed on first use */
	PyObject *item_info;   /* computed on first use */
	PyObject *error;       /* ScopeError or NULL */
	PyObject *resource;    /* deciding request's resource (tool calls) or NULL */
} ResultObject;

static PyTypeObject ResultType;

static ResultObject *result_alloc(void)
{
	ResultObject *o = PyObject_New(ResultObject, &ResultType);
	if (!o)
		return NULL;
	o->core = NULL;
	o->explanation = o->item_info = o->error = o->resource = NULL;
	return o;
}

static PyObject *fallback_result(void)
{
	PyErr_Clear();
	return Py_NewRef(oom_result);
}

/* A deny result for error RC; DETAIL stolen.  Never raises. */
static PyObject *error_result(int rc, PyObject *detail)
{
	PyObject *e = scope_error_new(rc, detail);
	if (!e)
		return fallback_result();
	ResultObject *o = result_alloc();
	if (!o) {
		Py_DECREF(e);
		return fallback_result();
	}
	o->r = (scope_result){ SCOPE_DENY, SCOPE_WHY_ERROR, SCOPE_NO_ITEM, false };
	o->error = e;
	o->explanation = Py_NewRef(str_error_expl);
	return (PyObject *)o;
}

#define error_resultf(rc, ...) error_result((rc), PyUnicode_FromFormat(__VA_ARGS__))

static void Result_dealloc(ResultObject *o)
{
	core_unref(o->core);
	Py_XDECREF(o->explanation);
	Py_XDECREF(o->item_info);
	Py_XDECREF(o->error);
	Py_XDECREF(o->resource);
	PyObject_Free(o);
}

/* scope_explain / scope_explain_request into a new str (NULL: exception). */
static PyObject *explain_text(const scope_policy *p, scope_scratch *s, const scope_request *rq,
			      const scope_result *r)
{
	char small[512];
	char *buf = small;
	size_t cap = sizeof small;
	for (;;) {
		size_t n = cap;
		int rc = rq ? scope_explain_request(p, s, rq, r, buf, &n) : scope_explain(p, r, buf, &n);
		if (rc == -SCOPE_ENOSPC && cap < ((size_t)1 << 24)) {
			if (buf != small)
				PyMem_Free(buf);
			cap *= 8;
			buf = PyMem_Malloc(cap);
			if (!buf)
				return PyErr_NoMemory();
			continue;
		}
		PyObject *out = rc < 0 && rc != -SCOPE_ENOSPC ? raise_scopef(rc, "scope_explain")
							       : PyUnicode_DecodeUTF8(buf, (Py_ssize_t)n, "replace");
		if (buf != small)
			PyMem_Free(buf);
		return out;
	}
}

static PyObject *Result_get_decision(ResultObject *o, void *c)
{
	(void)c;
	return Py_NewRef(Decisions[o->r.decision]);
}

static PyObject *Result_get_why(ResultObject *o, void *c)
{
	(void)c;
	return Py_NewRef(Whys[o->r.why]);
}

static PyObject *Result_get_item(ResultObject *o, void *c)
{
	(void)c;
	if (o->r.why != SCOPE_WHY_ITEM)
		Py_RETURN_NONE;
	return PyLong_FromUnsignedLong(o->r.item);
}

static PyObject *Result_get_unknown(ResultObject *o, void *c)
{
	(void)c;
	return PyBool_FromLong(o->r.unknown);
}

static PyObject *Result_get_allowed(ResultObject *o, void *c)
{
	(void)c;
	return PyBool_FromLong(o->r.decision == SCOPE_ALLOW);
}

static PyObject *Result_get_explanation(ResultObject *o, void *c)
{
	(void)c;
	if (!o->explanation) {
		if (!o->core)
			return Py_NewRef(str_error_expl);
		o->explanation = explain_text(o->core->p, NULL, NULL, &o->r);
		if (!o->explanation)
			return NULL;
	}
	return Py_NewRef(o->explanation);
}

static PyObject *item_info_new(const scope_policy *p, uint32_t index);

static PyObject *Result_get_item_info(ResultObject *o, void *c)
{
	(void)c;
	if (o->r.why != SCOPE_WHY_ITEM || !o->core)
		Py_RETURN_NONE;
	if (!o->item_info) {
		o->item_info = item_info_new(o->core->p, o->r.item);
		if (!o->item_info)
			return NULL;
	}
	return Py_NewRef(o->item_info);
}

static PyObject *Result_get_error(ResultObject *o, void *c)
{
	(void)c;
	return Py_NewRef(o->error ? o->error : Py_None);
}

static PyObject *Result_get_resource(ResultObject *o, void *c)
{
	(void)c;
	return Py_NewRef(o->resource ? o->resource : Py_None);
}

static PyObject *Result_astuple(ResultObject *o)
{
	PyObject *items[7] = { Result_get_decision(o, NULL), Result_get_why(o, NULL), Result_get_item(o, NULL),
			       Result_get_unknown(o, NULL), Result_get_explanation(o, NULL),
			       Result_get_item_info(o, NULL), Result_get_error(o, NULL) };
	PyObject *t = NULL;
	for (int i = 0; i < 7; i++)
		if (!items[i])
			goto out;
	t = PyTuple_New(7);
	if (t)
		for (int i = 0; i < 7; i++) {
			PyTuple_SET_ITEM(t, i, items[i]);
			items[i] = NULL;
		}
out:
	for (int i = 0; i < 7; i++)
		Py_XDECREF(items[i]);
	return t;
}

static PyObject *Result_richcompare(PyObject *a, PyObject *b, int op)
{
	if ((op != Py_EQ && op != Py_NE) || !PyObject_TypeCheck(b, &ResultType) ||
	    !PyObject_TypeCheck(a, &ResultType))
		Py_RETURN_NOTIMPLEMENTED;
	PyObject *ta = Result_astuple((ResultObject *)a);
	if (!ta)
		return NULL;
	PyObject *tb = Result_astuple((ResultObject *)b);
	if (!tb) {
		Py_DECREF(ta);
		return NULL;
	}
	PyObject *res = PyObject_RichCompare(ta, tb, op);
	Py_DECREF(ta);
	Py_DECREF(tb);
	return res;
}

static Py_hash_t Result_hash(PyObject *o)
{
	PyObject *t = Result_astuple((ResultObject *)o);
	if (!t)
		return -1;
	Py_hash_t h = PyObject_Hash(t);
	Py_DECREF(t);
	return h;
}

static PyObject *Result_repr(ResultObject *o)
{
	PyObject *t = Result_astuple(o);
	if (!t)
		return NULL;
	PyObject *s = o->error
		? PyUnicode_FromFormat("Result(decision=%R, why=%R, item=%R, unknown=%R, explanation=%R, error=%R)",
				       PyTuple_GET_ITEM(t, 0), PyTuple_GET_ITEM(t, 1), PyTuple_GET_ITEM(t, 2),
				       PyTuple_GET_ITEM(t, 3), PyTuple_GET_ITEM(t, 4), o->error)
		: PyUnicode_FromFormat("Result(decision=%R, why=%R, item=%R, unknown=%R, explanation=%R)",
				       PyTuple_GET_ITEM(t, 0), PyTuple_GET_ITEM(t, 1), PyTuple_GET_ITEM(t, 2),
				       PyTuple_GET_ITEM(t, 3), PyTuple_GET_ITEM(t, 4));
	Py_DECREF(t);
	return s;
}

static PyGetSetDef Result_getset[] = {
	{ "decision", (getter)Result_get_decision, NULL, "Decision.ALLOW, ASK or DENY", NULL },
	{ "why", (getter)Result_get_why, NULL, "Why.ITEM, DEFAULT, NO_TASK or ERROR", NULL },
	{ "item", (getter)Result_get_item, NULL, "index of the deciding item, or None", NULL },
	{ "unknown", (getter)Result_get_unknown, NULL, "the deciding item's condition was unknown", NULL },
	{ "explanation", (getter)Result_get_explanation, NULL, "scope_explain()'s audit-log line", NULL },
	{ "item_info", (getter)Result_get_item_info, NULL, "ItemInfo of the deciding item, or None", NULL },
	{ "error", (getter)Result_get_error, NULL, "the ScopeError when why is Why.ERROR, else None", NULL },
	{ "allowed", (getter)Result_get_allowed, NULL, "decision is Decision.ALLOW", NULL },
	{ "resource", (getter)Result_get_resource, NULL,
	  "decide_tool_call: the canonical resource of the deciding request; else None", NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static PyTypeObject ResultType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "scope.Result",
	.tp_basicsize = sizeof(ResultObject),
	.tp_dealloc = (destructor)Result_dealloc,
	.tp_repr = (reprfunc)Result_repr,
	.tp_hash = Result_hash,
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "A decision (immutable).  explanation and item_info are computed on first use, "
		  "from the policy that decided.",
	.tp_richcompare = Result_richcompare,
	.tp_getset = Result_getset,
};

/* ---- ItemInfo ------------------------------------------------------------------- */

static PyObject *item_info_new(const scope_policy *p, uint32_t index)
{
	scope_item_info info;
	int rc = scope_policy_item(p, index, &info);
	if (rc < 0)
		return raise_scopef(rc, "item %lu", (unsigned long)index);
	if ((unsigned)info.kind > SCOPE_DENY)
		return raise_scopef(SCOPE_EINVAL, "item %lu: kind out of range", (unsigned long)index);
	const char *file = info.file ? info.file : "", *text = info.text ? info.text : "";
	PyObject *f = PyUnicode_DecodeUTF8(file, (Py_ssize_t)strlen(file), "replace");
	PyObject *t = f ? PyUnicode_DecodeUTF8(text, (Py_ssize_t)strlen(text), "replace") : NULL;
	PyObject *out = t ? PyObject_CallFunction(ItemInfoType, "kOOOOkkO", (unsigned long)index, Decisions[info.kind],
						  info.has_condition ? Py_True : Py_False,
						  info.has_location ? Py_True : Py_False, f, (unsigned long)info.line,
						  (unsigned long)info.col, t)
			  : NULL;
	Py_XDECREF(f);
	Py_XDECREF(t);
	return out;
}

/* ---- request fields ------------------------------------------------------------- */

/* Why a value cannot be a request field (static text), or NULL if it can:
 * then *S, *N point into O (or into a new bytes object appended to *TEMPS). */
static const char *field_(PyObject *o, const char **s, Py_ssize_t *n, PyObject **temps)
{
	if (PyUnicode_Check(o)) {
		*s = PyUnicode_AsUTF8AndSize(o, n);
		if (!*s) {
			PyErr_Clear();
			return "is not encodable as UTF-8";
		}
	} else if (PyBytes_Check(o)) {
		*s = PyBytes_AS_STRING(o);
		*n = PyBytes_GET_SIZE(o);
	} else if (PyByteArray_Check(o)) {
		*s = PyByteArray_AS_STRING(o);
		*n = PyByteArray_GET_SIZE(o);
	} else if (PyMemoryView_Check(o)) {
		PyObject *b = PyBytes_FromObject(o);
		if (!b) {
			PyErr_Clear();
			return "is an unusable memoryview";
		}
		if (!*temps && !(*temps = PyList_New(0))) {
			PyErr_Clear();
			Py_DECREF(b);
			return "cannot be copied (out of memory)";
		}
		int rc = PyList_Append(*temps, b);
		Py_DECREF(b);
		if (rc < 0) {
			PyErr_Clear();
			return "cannot be copied (out of memory)";
		}
		*s = PyBytes_AS_STRING(b);
		*n = PyBytes_GET_SIZE(b);
	} else {
		return ""; /* a type error: field_error() names the type */
	}
	if (*n && memchr(*s, 0, (size_t)*n))
		return "contains a NUL byte";
	return NULL;
}

/* field_() for text read while the GIL is released: a bytearray, which
 * another thread could resize meanwhile, is copied into *TEMPS first. */
static const char *stable_field(PyObject *o, const char **s, Py_ssize_t *n, PyObject **temps)
{
	if (!PyByteArray_Check(o))
		return field_(o, s, n, temps);
	PyObject *b = PyBytes_FromObject(o);
	if (!b || (!*temps && !(*temps = PyList_New(0))) || PyList_Append(*temps, b) < 0) {
		PyErr_Clear();
		Py_XDECREF(b);
		return "cannot be copied (out of memory)";
	}
	Py_DECREF(b); /* (the list keeps it) */
	return field_(b, s, n, temps);
}

/* The message of field_()'s failure WHY for value O named WHAT. */
static PyObject *field_error(PyObject *what, PyObject *o, const char *why)
{
	if (!*why)
		return PyUnicode_FromFormat("%U must be str or bytes, not %.100s", what, Py_TYPE(o)->tp_name);
	return PyUnicode_FromFormat("%U %s", what, why);
}

static PyObject *what_task, *what_action, *what_resource;

/* ---- deciding ------------------------------------------------------------------- */

/* Attribute K=V into *A; -1 with *DETAIL (malformed). */
static int attr_field(PyObject *k, PyObject *v, scope_attr *a, PyObject **temps, PyObject **detail, bool stable)
{
	const char *(*get)(PyObject *, const char **, Py_ssize_t *, PyObject **) = stable ? stable_field : field_;
	const char *ks, *vs, *why;
	Py_ssize_t kn, vn;
	if ((why = get(k, &ks, &kn, temps))) {
		*detail = PyUnicode_FromFormat("attribute name %R %s", k, *why ? why : "is not str or bytes");
		return -1;
	}
	if (kn == 0) {
		*detail = PyUnicode_FromString("empty attribute name");
		return -1;
	}
	if ((why = get(v, &vs, &vn, temps))) {
		PyObject *what = PyUnicode_FromFormat("attribute %R", k);
		*detail = what ? field_error(what, v, why) : NULL;
		Py_XDECREF(what);
		return -1;
	}
	*a = (scope_attr){ ks, (size_t)kn, vs, (size_t)vn };
	return 0;
}

/* decide(task, action, resource="", attrs=None, /, **attributes): the
 * attributes as keywords or as one dict (not both). */
static PyObject *decide_core(core *c, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames, bool nogil)
{
	Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
	PyObject *dict = nargs == 4 && args[3] != Py_None ? args[3] : NULL;
	if (nargs < 2 || nargs > 4 || (dict && nkw)) {
		PyErr_Format(PyExc_TypeError,
			     "decide() takes 2 to 4 positional arguments (task, action[, resource[, attrs]]) and "
			     "the attributes as keywords or as the dict attrs, not both (%zd positional, %zd "
			     "keywords given)",
			     nargs, nkw);
		return NULL;
	}
	PyObject *temps = NULL, *detail = NULL, *out = NULL;
	const char *why;
	const char *s[3] = { "", "", "" };
	Py_ssize_t n[3] = { 0, 0, 0 };
	PyObject *whats[3] = { what_task, what_action, what_resource };
	for (Py_ssize_t i = 0; i < nargs && i < 3; i++)
		if ((why = (nogil ? stable_field : field_)(args[i], &s[i], &n[i], &temps))) {
			detail = field_error(whats[i], args[i], why);
			goto malformed;
		}
	if (n[1] == 0) {
		detail = PyUnicode_FromString("empty action");
		goto malformed;
	}
	if (dict && !PyDict_Check(dict)) {
		detail = PyUnicode_FromFormat("attrs must be a dict, not %.100s", Py_TYPE(dict)->tp_name);
		goto malformed;
	}
	Py_ssize_t na = dict ? PyDict_GET_SIZE(dict) : nkw;
	scope_attr small[SMALL_ATTRS], *attrs = small;
	if (na > SMALL_ATTRS && !(attrs = PyMem_Malloc((size_t)na * sizeof *attrs))) {
		Py_XDECREF(temps);
		return error_result(SCOPE_ENOMEM, PyUnicode_FromString("attributes"));
	}
	if (dict) {
		/* (nothing below runs Python code: the dict cannot change meanwhile) */
		Py_ssize_t pos = 0, i = 0;
		PyObject *k, *v;
		while (i < na && PyDict_Next(dict, &pos, &k, &v))
			if (attr_field(k, v, &attrs[i++], &temps, &detail, nogil) < 0)
				goto malformed_attrs;
		na = i;
	} else {
		for (Py_ssize_t i = 0; i < na; i++)
			if (attr_field(PyTuple_GET_ITEM(kwnames, i), args[nargs + i], &attrs[i], &temps, &detail,
				       nogil) < 0)
				goto malformed_attrs;
	}
	tls *t = tls_get();
	if (!t) {
		out = error_result(SCOPE_ENOMEM, PyUnicode_FromString("scope_scratch_create"));
		goto done;
	}
	scope_request rq = { s[0], (size_t)n[0], s[1], (size_t)n[1], s[2], (size_t)n[2], na ? attrs : NULL, (size_t)na };
	scope_result r;
	int rc;
	if (nogil) { /* (for the benchmark only: what releasing the GIL costs) */
		core_ref(c); /* (another thread may close the policy meanwhile) */
		Py_BEGIN_ALLOW_THREADS
		rc = scope_decide(c->p, t->scratch, &rq, &r);
		Py_END_ALLOW_THREADS
		core_unref(c);
	} else {
		rc = scope_decide(c->p, t->scratch, &rq, &r);
	}
	if (rc < 0) {
		out = error_result(rc, PyUnicode_FromString("scope_decide"));
		goto done;
	}
	if ((unsigned)r.decision > SCOPE_DENY || (unsigned)r.why > SCOPE_WHY_ERROR) {
		out = error_result(SCOPE_EINVAL, PyUnicode_FromString("scope_decide: result out of range"));
		goto done;
	}
	ResultObject *o = result_alloc();
	if (!o) {
		out = fallback_result();
		goto done;
	}
	o->r = r;
	o->core = core_ref(c);
	if (r.unknown && r.why == SCOPE_WHY_ITEM) {
		/* only now is the request at hand to say which attribute made it unknown */
		o->explanation = explain_text(c->p, t->scratch, &rq, &r);
		if (!o->explanation)
			PyErr_Clear(); /* computed again, without the reason, on use */
	}
	out = (PyObject *)o;
done:
	if (attrs != small)
		PyMem_Free(attrs);
	Py_XDECREF(temps);
	return out;
malformed_attrs:
	if (attrs != small)
		PyMem_Free(attrs);
malformed:
	Py_XDECREF(temps);
	return error_result(SCOPE_EINVAL, detail);
}

/* ---- Python values -> JSON (the arguments of a tool call) ---------------- */

/* A new json_t for O, or NULL with *WHY set to a new str. */
static json_t *to_json(PyObject *o, int depth, PyObject **why)
{
	if (depth > MAX_JSON_DEPTH) {
		*why = PyUnicode_FromFormat("arguments nested deeper than %d levels", MAX_JSON_DEPTH);
		return NULL;
	}
	json_t *j = NULL;
	if (o == Py_None) {
		j = json_null();
	} else if (PyBool_Check(o)) {
		j = json_boolean(o == Py_True);
	} else if (PyLong_Check(o)) {
		int overflow = 0;
		long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
		if (overflow || (v == -1 && PyErr_Occurred())) {
			PyErr_Clear();
			*why = PyUnicode_FromString("an integer argument does not fit in 64 bits");
			return NULL;
		}
		j = json_integer((json_int_t)v);
	} else if (PyFloat_Check(o)) {
		double d = PyFloat_AS_DOUBLE(o);
		if (!isfinite(d)) {
			*why = PyUnicode_FromString("a float argument is not finite");
			return NULL;
		}
		j = json_real(d);
	} else if (PyUnicode_Check(o)) {
		Py_ssize_t n;
		const char *s = PyUnicode_AsUTF8AndSize(o, &n);
		if (!s) {
			PyErr_Clear();
			*why = PyUnicode_FromString("a string argument is not encodable as UTF-8");
			return NULL;
		}
		j = json_stringn(s, (size_t)n);
	} else if (PyList_Check(o) || PyTuple_Check(o)) {
		Py_ssize_t n = PySequence_Fast_GET_SIZE(o);
		PyObject **items = PySequence_Fast_ITEMS(o);
		j = json_array();
		for (Py_ssize_t i = 0; j && i < n; i++) {
			json_t *e = to_json(items[i], depth + 1, why);
			if (!e || json_array_append_new(j, e) < 0) {
				json_decref(j);
				return NULL;
			}
		}
	} else if (PyDict_Check(o)) {
		Py_ssize_t pos = 0;
		PyObject *k, *v;
		j = json_object();
		while (j && PyDict_Next(o, &pos, &k, &v)) {
			Py_ssize_t kn;
			const char *ks = PyUnicode_Check(k) ? PyUnicode_AsUTF8AndSize(k, &kn) : NULL;
			if (!ks || memchr(ks, 0, (size_t)kn) || json_object_get(j, ks)) {
				PyErr_Clear();
				*why = PyUnicode_FromFormat("argument name %.200R is not a str without NUL bytes",
							    k);
				json_decref(j);
				return NULL;
			}
			json_t *e = to_json(v, depth + 1, why);
			if (!e || json_object_set_new(j, ks, e) < 0) {
				json_decref(j);
				return NULL;
			}
		}
	} else {
		*why = PyUnicode_FromFormat("an argument of type %.100s is not representable in JSON "
					    "(str, int, float, bool, None, list, tuple, dict)",
					    Py_TYPE(o)->tp_name);
		return NULL;
	}
	if (!j && !*why)
		*why = PyUnicode_FromString("out of memory");
	return j;
}

/* A C string for a request's task/action (str or bytes, no NUL) or NULL
 * with *WHY set. */
static const char *cstr_field(PyObject *o, PyObject *what, PyObject **temps, PyObject **why)
{
	const char *s;
	Py_ssize_t n;
	const char *w = stable_field(o, &s, &n, temps);
	if (w) {
		*why = field_error(what, o, w);
		return NULL;
	}
	return s; /* str and bytes are NUL-terminated (and have no NUL inside) */
}

/* A file system path as a new bytes object, or NULL with *WHY (malformed)
 * or an exception (neither). */
static PyObject *fs_bytes(PyObject *o, const char *what, PyObject **why)
{
	PyObject *b = NULL;
	if (!PyUnicode_FSConverter(o, &b)) {
		PyObject *et, *ev, *tb;
		PyErr_Fetch(&et, &ev, &tb);
		*why = PyUnicode_FromFormat("%s: %S", what, ev ? ev : Py_None);
		Py_XDECREF(et);
		Py_XDECREF(ev);
		Py_XDECREF(tb);
		return NULL;
	}
	return b;
}

typedef struct call {
	PyObject *temps, *cwd;
	const char *task, *action;
	json_t *root;
} call;

static void call_clear(call *k)
{
	Py_CLEAR(k->temps);
	Py_CLEAR(k->cwd);
	json_decref(k->root);
	k->root = NULL;
}

/* Converts the Python arguments of a tool call; 0, or -1 with *WHY. */
static int call_prepare(call *k, PyObject *task, PyObject *action, PyObject *arguments, PyObject *cwd, PyObject **why)
{
	memset(k, 0, sizeof *k);
	if (!(k->task = cstr_field(task, what_task, &k->temps, why)) ||
	    !(k->action = cstr_field(action, what_action, &k->temps, why)))
		return -1;
	if (!*k->action) {
		*why = PyUnicode_FromString("empty action");
		return -1;
	}
	if (arguments && arguments != Py_None) {
		if (!PyDict_Check(arguments)) {
			*why = PyUnicode_FromFormat("the arguments must be a dict, not %.100s",
						    Py_TYPE(arguments)->tp_name);
			return -1;
		}
		if (!(k->root = to_json(arguments, 0, why)))
			return -1;
	}
	if (cwd && cwd != Py_None && !(k->cwd = fs_bytes(cwd, "cwd", why)))
		return -1;
	return 0;
}

/* Forms the requests of K in F (GIL released). */
static int call_form(call *k, scope_form *f)
{
	const char *cwd = k->cwd ? PyBytes_AS_STRING(k->cwd) : NULL;
	int rc;
	Py_BEGIN_ALLOW_THREADS
	rc = scope_form_begin(f, k->task, cwd);
	if (rc == 0)
		rc = scope_form_attrs_json(f, k->root);
	if (rc == 0)
		rc = scope_form_add_args(f, k->action, k->root, NULL, 0);
	Py_END_ALLOW_THREADS
	return rc;
}

static PyObject *form_error(scope_form *f, int rc)
{
	const char *e = scope_form_error(f);
	return PyUnicode_DecodeUTF8(*e ? e : scope_strerror(rc), (Py_ssize_t)strlen(*e ? e : scope_strerror(rc)),
				    "replace");
}

static char *call_kwlist[] = { "task", "action", "arguments", "cwd", NULL };

static PyObject *tool_call_core(core *c, PyObject *args, PyObject *kw)
{
	PyObject *task, *action, *arguments = NULL, *cwd = NULL, *why = NULL;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|OO:decide_tool_call", call_kwlist, &task, &action, &arguments,
					 &cwd))
		return NULL;
	call k;
	if (call_prepare(&k, task, action, arguments, cwd, &why) < 0) {
		call_clear(&k);
		return error_result(SCOPE_EINVAL, why);
	}
	tls *t = tls_get();
	scope_form *f = t ? tls_form(t) : NULL;
	if (!f) {
		call_clear(&k);
		return error_result(SCOPE_ENOMEM, PyUnicode_FromString("scope_form_create"));
	}
	core_ref(c); /* (kept while the GIL is released) */
	PyObject *out;
	int rc = call_form(&k, f);
	scope_result r;
	size_t which = 0;
	if (rc == 0)
		rc = scope_form_decide(f, c->p, t->scratch, &r, &which);
	if (rc < 0) {
		out = error_result(rc, form_error(f, rc));
	} else if ((unsigned)r.decision > SCOPE_DENY || (unsigned)r.why > SCOPE_WHY_ERROR) {
		out = error_result(SCOPE_EINVAL, PyUnicode_FromString("scope_form_decide: result out of range"));
	} else {
		ResultObject *o = result_alloc();
		if (!o) {
			out = fallback_result();
		} else {
			const scope_request *rq = scope_form_request(f, which);
			o->r = r;
			o->core = core_ref(c);
			if (rq) {
				o->resource = PyUnicode_DecodeUTF8(rq->resource, (Py_ssize_t)rq->resource_len,
								   "surrogateescape");
				if (!o->resource)
					PyErr_Clear();
				if (r.unknown && r.why == SCOPE_WHY_ITEM &&
				    !(o->explanation = explain_text(c->p, t->scratch, rq, &r)))
					PyErr_Clear();
			}
			out = (PyObject *)o;
		}
	}
	core_unref(c);
	call_clear(&k);
	return out;
}

/* ---- Policy --------------------------------------------------------------------- */

typedef struct {
	PyObject_HEAD
	core *core;
	bool owned;       /* false: pinned from a Handle */
	const char *gone; /* why core is NULL */
	PyObject *weakrefs;
} PolicyObject;

static PyTypeObject PolicyType;

/* ---- trusted keys (signed images, `scopec sign`) ------------------------------- */

#define MAX_TRUSTED 16 /* as the services' --trusted-key */

typedef struct keyset {
	size_t n;
	unsigned char k[MAX_TRUSTED][SCOPE_ED25519_KEY_LEN];
} keyset;

/* One key: PEM bytes, or the path of a PEM file.  -1 with an exception. */
static int key_parse(PyObject *o, unsigned char key[SCOPE_ED25519_KEY_LEN])
{
	int rc;
	if (PyBytes_Check(o)) {
		rc = scope_key_parse_public(PyBytes_AS_STRING(o), (size_t)PyBytes_GET_SIZE(o), key);
	} else {
		PyObject *b = NULL;
		PyObject *path = PyOS_FSPath(o);
		if (!path || !PyUnicode_FSConverter(path, &b)) {
			Py_XDECREF(path);
			PyErr_Clear();
			raise_scopef(SCOPE_EKEY, "a trusted key is PEM bytes or a key file path, not %.100s",
				     Py_TYPE(o)->tp_name);
			return -1;
		}
		rc = scope_key_read_public(PyBytes_AS_STRING(b), key);
		Py_DECREF(b);
		Py_DECREF(path);
	}
	if (rc < 0) {
		raise_scopef(rc, "trusted key %R", o);
		return -1;
	}
	return 0;
}

/* KEYS (None, or an iterable of keys) into KS; -1 with an exception.  An
 * empty iterable is an error, not "no check": a list that came out empty
 * from configuration must not silently turn verification off. */
static int keyset_parse(PyObject *keys, keyset *ks)
{
	ks->n = 0;
	if (!keys || keys == Py_None)
		return 0;
	if (PyBytes_Check(keys) || PyUnicode_Check(keys) || PyObject_HasAttrString(keys, "__fspath__")) {
		raise_scopef(SCOPE_EKEY, "trusted_keys is a list of keys, not one key");
		return -1;
	}
	PyObject *it = PyObject_GetIter(keys);
	if (!it)
		return -1;
	PyObject *o;
	int rc = 0;
	while (rc == 0 && (o = PyIter_Next(it))) {
		if (ks->n == MAX_TRUSTED) {
			raise_scopef(SCOPE_EKEY, "at most %d trusted keys", MAX_TRUSTED);
			rc = -1;
		} else if ((rc = key_parse(o, ks->k[ks->n])) == 0) {
			ks->n++;
		}
		Py_DECREF(o);
	}
	Py_DECREF(it);
	if (rc == 0 && PyErr_Occurred())
		rc = -1;
	if (rc == 0 && ks->n == 0) {
		raise_scopef(SCOPE_EKEY, "trusted_keys is empty: give at least one key, or None for no check");
		rc = -1;
	}
	return rc;
}

/* A new core from bytes-like (an image) or a path, with a signature by one
 * of KS's keys if it has any; NULL with an exception. */
static core *load_source(PyObject *src, const keyset *ks)
{
	scope_policy *p = NULL;
	size_t which = 0;
	int rc;
	if (PyBytes_Check(src) || PyByteArray_Check(src) || PyMemoryView_Check(src)) {
		/* bytes are immutable: safe to read while the GIL is released */
		PyObject *b = PyBytes_Check(src) ? Py_NewRef(src) : PyBytes_FromObject(src);
		if (!b)
			return NULL;
		const char *data = PyBytes_AS_STRING(b);
		size_t len = (size_t)PyBytes_GET_SIZE(b);
		Py_BEGIN_ALLOW_THREADS
		rc = ks->n ? scope_policy_load_signed_any(&p, data, len, ks->k, ks->n, &which)
			   : scope_policy_load(&p, data, len);
		Py_END_ALLOW_THREADS
		Py_DECREF(b);
		if (rc < 0) {
			raise_scopef(rc, "%zu-byte image", len);
			return NULL;
		}
		return core_new(p, ks->n ? ks->k[which] : NULL);
	}
	PyObject *path = PyOS_FSPath(src);
	if (!path) {
		PyErr_Format(PyExc_TypeError, "a policy is loaded from bytes or a path, not %.100s",
			     Py_TYPE(src)->tp_name);
		return NULL;
	}
	PyObject *b = NULL;
	if (!PyUnicode_FSConverter(path, &b)) {
		PyErr_Clear();
		raise_scopef(SCOPE_EINVAL, "path %R contains a NUL byte or cannot be encoded", path);
		Py_DECREF(path);
		return NULL;
	}
	const char *cpath = PyBytes_AS_STRING(b);
	Py_BEGIN_ALLOW_THREADS
	rc = ks->n ? scope_policy_load_file_signed_any(&p, cpath, ks->k, ks->n, &which)
		   : scope_policy_load_file(&p, cpath);
	Py_END_ALLOW_THREADS
	if (rc < 0) {
		Py_ssize_t len = PyBytes_GET_SIZE(b);
		bool source = rc == -SCOPE_EFORMAT && len >= 6 && memcmp(cpath + len - 6, ".scope", 6) == 0;
		PyObject *where = PyUnicode_DecodeFSDefaultAndSize(cpath, len);
		if (where && source) {
			PyObject *w = PyUnicode_FromFormat("%U (a policy source: compile it with `scopec compile`)",
							   where);
			Py_DECREF(where);
			where = w;
		}
		raise_scope(rc, where);
	}
	Py_DECREF(b);
	Py_DECREF(path);
	return rc < 0 ? NULL : core_new(p, ks->n ? ks->k[which] : NULL);
}

static PolicyObject *policy_wrap(PyTypeObject *type, core *c, bool owned, const char *gone)
{
	PolicyObject *o = (PolicyObject *)type->tp_alloc(type, 0);
	if (!o) {
		core_unref(c);
		return NULL;
	}
	o->core = c;
	o->owned = owned;
	o->gone = gone;
	return o;
}

static PyObject *Policy_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
	PyObject *src, *keys = Py_None;
	static char *kwlist[] = { "source", "trusted_keys", NULL };
	if (!PyArg_ParseTupleAndKeywords(args, kw, "O|$O:Policy", kwlist, &src, &keys))
		return NULL;
	keyset ks;
	if (keyset_parse(keys, &ks) < 0)
		return NULL;
	core *c = load_source(src, &ks);
	return c ? (PyObject *)policy_wrap(type, c, true, "closed") : NULL;
}

static void Policy_dealloc(PolicyObject *o)
{
	if (o->weakrefs)
		PyObject_ClearWeakRefs((PyObject *)o);
	core_unref(o->core);
	Py_TYPE(o)->tp_free((PyObject *)o);
}

static core *policy_live(PolicyObject *o)
{
	if (!o->core)
		raise_scopef(SCOPE_EINVAL, "policy %s", o->gone);
	return o->core;
}

static PyObject *Policy_decide(PolicyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
	if (!self->core)
		return error_resultf(SCOPE_EINVAL, "policy %s", self->gone);
	return decide_core(self->core, args, nargs, kwnames, false);
}

static PyObject *Policy_decide_nogil(PolicyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
	if (!self->core)
		return error_resultf(SCOPE_EINVAL, "policy %s", self->gone);
	return decide_core(self->core, args, nargs, kwnames, true);
}

/* _c_decide_ns(n, task, action, resource, attrs): nanoseconds for N calls
 * of scope_decide() on one request formed once (the benchmark's baseline:
 * the C library alone). */
static PyObject *Policy_c_decide_ns(PolicyObject *self, PyObject *args)
{
	Py_ssize_t n;
	PyObject *task, *action, *resource, *dict, *temps = NULL, *detail = NULL, *out = NULL;
	if (!PyArg_ParseTuple(args, "nOOOO!:_c_decide_ns", &n, &task, &action, &resource, &PyDict_Type, &dict))
		return NULL;
	core *c = policy_live(self);
	tls *t = c ? tls_get() : NULL;
	if (!t)
		return c ? PyErr_NoMemory() : NULL;
	const char *s[3];
	Py_ssize_t len[3];
	PyObject *f[3] = { task, action, resource };
	scope_attr attrs[SMALL_ATTRS];
	Py_ssize_t na = 0, pos = 0;
	PyObject *k, *v;
	for (int i = 0; i < 3; i++)
		if (field_(f[i], &s[i], &len[i], &temps)) {
			PyErr_SetString(PyExc_ValueError, "task, action and resource must be str or bytes");
			goto done;
		}
	while (PyDict_Next(dict, &pos, &k, &v)) {
		if (na == SMALL_ATTRS || attr_field(k, v, &attrs[na++], &temps, &detail, false) < 0) {
			Py_XDECREF(detail);
			PyErr_SetString(PyExc_ValueError, "at most 16 attributes, str or bytes");
			goto done;
		}
	}
	scope_request rq = { s[0], (size_t)len[0], s[1], (size_t)len[1], s[2], (size_t)len[2], na ? attrs : NULL,
			     (size_t)na };
	scope_result r;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (Py_ssize_t i = 0; i < n; i++)
		(void)scope_decide(c->p, t->scratch, &rq, &r);
	clock_gettime(CLOCK_MONOTONIC, &b);
	out = PyLong_FromLongLong((long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec));
done:
	Py_XDECREF(temps);
	return out;
}

static PyObject *Policy_decide_tool_call(PolicyObject *self, PyObject *args, PyObject *kw)
{
	if (!self->core) {
		PyObject *task, *action, *arguments = NULL, *cwd = NULL;
		if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|OO:decide_tool_call", call_kwlist, &task, &action,
						 &arguments, &cwd))
			return NULL;
		return error_resultf(SCOPE_EINVAL, "policy %s", self->gone);
	}
	return tool_call_core(self->core, args, kw);
}

static PyObject *Policy_explain(PolicyObject *self, PyObject *res)
{
	if (!PyObject_TypeCheck(res, &ResultType)) {
		PyErr_Format(PyExc_TypeError, "explain() takes a scope.Result, not %.100s", Py_TYPE(res)->tp_name);
		return NULL;
	}
	ResultObject *r = (ResultObject *)res;
	if (r->r.why == SCOPE_WHY_ERROR)
		return Py_NewRef(str_error_expl);
	core *c = policy_live(self);
	return c ? explain_text(c->p, NULL, NULL, &r->r) : NULL;
}

static PyObject *Policy_item(PolicyObject *self, PyObject *index)
{
	if (!PyLong_Check(index) || PyBool_Check(index))
		return raise_scopef(SCOPE_ERANGE, "item %R", index);
	int overflow = 0;
	long long i = PyLong_AsLongLongAndOverflow(index, &overflow);
	if (overflow || i < 0 || i > (long long)UINT32_MAX - 1) {
		PyErr_Clear();
		return raise_scopef(SCOPE_ERANGE, "item %R", index);
	}
	core *c = policy_live(self);
	return c ? item_info_new(c->p, (uint32_t)i) : NULL;
}

static PyObject *Policy_items(PolicyObject *self, PyObject *unused)
{
	(void)unused;
	core *c = policy_live(self);
	if (!c)
		return NULL;
	uint32_t n = scope_policy_item_count(c->p);
	PyObject *list = PyList_New(n);
	for (uint32_t i = 0; list && i < n; i++) {
		PyObject *it = item_info_new(c->p, i);
		if (!it) {
			Py_CLEAR(list);
			break;
		}
		PyList_SET_ITEM(list, i, it);
	}
	return list;
}

static PyObject *Policy_close(PolicyObject *self, PyObject *unused)
{
	(void)unused;
	core *c = self->core;
	self->core = NULL;
	core_unref(c);
	Py_RETURN_NONE;
}

static PyObject *Policy_enter(PyObject *self, PyObject *unused)
{
	(void)unused;
	return Py_NewRef(self);
}

static PyObject *Policy_exit(PolicyObject *self, PyObject *args)
{
	(void)args;
	return Policy_close(self, NULL);
}

static PyObject *Policy_from_file(PyObject *cls, PyObject *path)
{
	PyObject *p = PyOS_FSPath(path);
	if (!p)
		return NULL;
	PyObject *o = PyObject_CallOneArg(cls, p);
	Py_DECREF(p);
	return o;
}

static PyObject *Policy_from_bytes(PyObject *cls, PyObject *data)
{
	PyObject *b = PyBytes_FromObject(data);
	if (!b)
		return NULL;
	PyObject *o = PyObject_CallOneArg(cls, b);
	Py_DECREF(b);
	return o;
}

static PyObject *Policy_get_closed(PolicyObject *o, void *c)
{
	(void)c;
	return PyBool_FromLong(!o->core);
}

static PyObject *Policy_get_item_count(PolicyObject *o, void *unused)
{
	(void)unused;
	core *c = policy_live(o);
	return c ? PyLong_FromUnsignedLong(scope_policy_item_count(c->p)) : NULL;
}

static PyObject *Policy_get_task_count(PolicyObject *o, void *unused)
{
	(void)unused;
	core *c = policy_live(o);
	return c ? PyLong_FromUnsignedLong(scope_policy_task_count(c->p)) : NULL;
}

static PyObject *Policy_get_image_size(PolicyObject *o, void *unused)
{
	(void)unused;
	core *c = policy_live(o);
	return c ? PyLong_FromSize_t(scope_policy_image_size(c->p)) : NULL;
}

static PyObject *Policy_repr(PolicyObject *o)
{
	if (!o->core)
		return PyUnicode_FromFormat("<scope.Policy %s>", o->gone);
	return PyUnicode_FromFormat("<scope.Policy %lu tasks, %lu items>",
				    (unsigned long)scope_policy_task_count(o->core->p),
				    (unsigned long)scope_policy_item_count(o->core->p));
}

static PyMethodDef Policy_methods[] = {
	{ "decide", (PyCFunction)(void (*)(void))Policy_decide, METH_FASTCALL | METH_KEYWORDS,
	  "decide(task, action, resource='', attrs=None, /, **attributes) -> Result\n\nDecides one request (attributes as keywords or as one dict); never raises "
	  "for a request (errors are deny, why == Why.ERROR)." },
	{ "_decide_nogil", (PyCFunction)(void (*)(void))Policy_decide_nogil, METH_FASTCALL | METH_KEYWORDS,
	  "decide(), releasing the GIL around the decision (benchmark only)." },
	{ "_c_decide_ns", (PyCFunction)Policy_c_decide_ns, METH_VARARGS,
	  "_c_decide_ns(n, task, action, resource, attrs): ns for N scope_decide() calls (benchmark only)." },
	{ "decide_tool_call", (PyCFunction)(void (*)(void))Policy_decide_tool_call, METH_VARARGS | METH_KEYWORDS,
	  "decide_tool_call(task, action, arguments=None, cwd=None) -> Result\n\nForms the requests of a "
	  "tool call with libscope-enforce (canonical paths and URLs, arg.NAME attributes, one request per "
	  "resource) and decides them: the most restrictive decision wins; errors are deny." },
	{ "explain", (PyCFunction)Policy_explain, METH_O, "scope_explain(): the audit-log line of a Result." },
	{ "item", (PyCFunction)Policy_item, METH_O, "item(index) -> ItemInfo (ScopeError ERANGE beyond)." },
	{ "items", (PyCFunction)Policy_items, METH_NOARGS, "items() -> list of ItemInfo." },
	{ "close", (PyCFunction)Policy_close, METH_NOARGS,
	  "Drops this object's reference to the policy (Results keep theirs)." },
	{ "__enter__", (PyCFunction)Policy_enter, METH_NOARGS, NULL },
	{ "__exit__", (PyCFunction)Policy_exit, METH_VARARGS, NULL },
	{ "from_file", (PyCFunction)Policy_from_file, METH_O | METH_CLASS, "Policy.from_file(path)" },
	{ "from_bytes", (PyCFunction)Policy_from_bytes, METH_O | METH_CLASS, "Policy.from_bytes(data)" },
	{ NULL, NULL, 0, NULL },
};

static PyGetSetDef Policy_getset[] = {
	{ "closed", (getter)Policy_get_closed, NULL, NULL, NULL },
	{ "item_count", (getter)Policy_get_item_count, NULL, NULL, NULL },
	{ "task_count", (getter)Policy_get_task_count, NULL, NULL, NULL },
	{ "image_size", (getter)Policy_get_image_size, NULL, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static PyTypeObject PolicyType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "scope.Policy",
	.tp_basicsize = sizeof(PolicyObject),
	.tp_dealloc = (destructor)Policy_dealloc,
	.tp_repr = (reprfunc)Policy_repr,
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "Policy(source, *, trusted_keys=None): a loaded, verified, immutable policy.  SOURCE is "
		  "the bytecode (bytes) or the path of a compiled policy (`scopec compile`); a bad image "
		  "raises ScopeError.  TRUSTED_KEYS (Ed25519 public keys: PEM bytes or key file paths) "
		  "requires an image signed by one of them (`scopec sign`): else ScopeError EUNSIGNED, "
		  "ESIGNATURE or EKEY.",
	.tp_weaklistoffset = offsetof(PolicyObject, weakrefs),
	.tp_methods = Policy_methods,
	.tp_getset = Policy_getset,
	.tp_new = Policy_new,
};

/* ---- Handle --------------------------------------------------------------------- */

typedef struct {
	PyObject_HEAD
	core *core; /* NULL: empty */
	bool closed;
	PyObject *weakrefs;
	keyset keys; /* trusted_keys: every policy swapped in is signed by one */
} HandleObject;

/* Whether C was verified with one of KS's keys (a Policy given to a handle
 * that requires signatures must have been loaded with one of its keys). */
static bool core_trusted(const core *c, const keyset *ks)
{
	for (size_t k = 0; c->signed_by_key && k < ks->n; k++)
		if (memcmp(c->key, ks->k[k], SCOPE_ED25519_KEY_LEN) == 0)
			return true;
	return false;
}

static PyObject *Handle_swap(HandleObject *self, PyObject *src)
{
	if (self->closed)
		return raise_scopef(SCOPE_EINVAL, "handle closed");
	core *next = NULL;
	if (PyObject_TypeCheck(src, &PolicyType)) {
		PolicyObject *p = (PolicyObject *)src;
		if (!policy_live(p))
			return NULL;
		if (!p->owned)
			return raise_scopef(SCOPE_EINVAL, "a pinned policy belongs to its handle");
		if (self->keys.n && !core_trusted(p->core, &self->keys))
			return raise_scopef(SCOPE_EUNSIGNED, "this handle takes only policies signed by its "
				"trusted keys: load the Policy with trusted_keys= (or swap in the image or path)");
		next = p->core;
		p->core = NULL;
		p->gone = "given to a Handle";
	} else if (src != Py_None && !(next = load_source(src, &self->keys))) {
		return NULL;
	}
	if (self->closed) { /* (closed while the GIL was released) */
		core_unref(next);
		return raise_scopef(SCOPE_EINVAL, "handle closed");
	}
	core *old = self->core;
	self->core = next;
	core_unref(old);
	Py_RETURN_NONE;
}

static PyObject *Handle_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
	PyObject *initial = Py_None, *keys = Py_None;
	static char *kwlist[] = { "initial", "trusted_keys", NULL };
	if (!PyArg_ParseTupleAndKeywords(args, kw, "|O$O:Handle", kwlist, &initial, &keys))
		return NULL;
	HandleObject *o = (HandleObject *)type->tp_alloc(type, 0);
	if (!o)
		return NULL;
	if (keyset_parse(keys, &o->keys) < 0) {
		Py_DECREF(o);
		return NULL;
	}
	if (initial != Py_None) {
		PyObject *r = Handle_swap(o, initial);
		if (!r) {
			Py_DECREF(o);
			return NULL;
		}
		Py_DECREF(r);
	}
	return (PyObject *)o;
}

static void Handle_dealloc(HandleObject *o)
{
	if (o->weakrefs)
		PyObject_ClearWeakRefs((PyObject *)o);
	core_unref(o->core);
	Py_TYPE(o)->tp_free((PyObject *)o);
}

static PyObject *Handle_decide(HandleObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
	if (self->closed)
		return error_resultf(SCOPE_EINVAL, "handle closed");
	if (!self->core)
		return error_resultf(SCOPE_ENOPOLICY, "Handle.decide");
	return decide_core(self->core, args, nargs, kwnames, false);
}

static PyObject *Handle_decide_tool_call(HandleObject *self, PyObject *args, PyObject *kw)
{
	if (self->closed || !self->core) {
		PyObject *task, *action, *arguments = NULL, *cwd = NULL;
		if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|OO:decide_tool_call", call_kwlist, &task, &action,
						 &arguments, &cwd))
			return NULL;
		return self->closed ? error_resultf(SCOPE_EINVAL, "handle closed")
				    : error_resultf(SCOPE_ENOPOLICY, "Handle.decide_tool_call");
	}
	return tool_call_core(self->core, args, kw);
}

static PyObject *Handle_pin(HandleObject *self, PyObject *unused)
{
	(void)unused;
	if (self->closed)
		return raise_scopef(SCOPE_EINVAL, "handle closed");
	if (!self->core)
		return raise_scopef(SCOPE_ENOPOLICY, "Handle.pin");
	return (PyObject *)policy_wrap(&PolicyType, core_ref(self->core), false, "unpinned");
}

static PyObject *Handle_explain(PyObject *self, PyObject *res)
{
	(void)self;
	if (!PyObject_TypeCheck(res, &ResultType)) {
		PyErr_Format(PyExc_TypeError, "explain() takes a scope.Result, not %.100s", Py_TYPE(res)->tp_name);
		return NULL;
	}
	return Result_get_explanation((ResultObject *)res, NULL);
}

static PyObject *Handle_close(HandleObject *self, PyObject *unused)
{
	(void)unused;
	core *c = self->core;
	self->core = NULL;
	self->closed = true;
	core_unref(c);
	Py_RETURN_NONE;
}

static PyObject *Handle_exit(HandleObject *self, PyObject *args)
{
	(void)args;
	return Handle_close(self, NULL);
}

static PyObject *Handle_get_closed(HandleObject *o, void *c)
{
	(void)c;
	return PyBool_FromLong(o->closed);
}

static PyMethodDef Handle_methods[] = {
	{ "decide", (PyCFunction)(void (*)(void))Handle_decide, METH_FASTCALL | METH_KEYWORDS,
	  "decide(task, action, resource='', attrs=None, /, **attributes) -> Result, with the current policy." },
	{ "decide_tool_call", (PyCFunction)(void (*)(void))Handle_decide_tool_call, METH_VARARGS | METH_KEYWORDS,
	  "decide_tool_call(task, action, arguments=None, cwd=None) -> Result, with the current policy." },
	{ "swap", (PyCFunction)Handle_swap, METH_O,
	  "swap(policy): a Policy (taken over), bytes, a path or None.  The new policy is loaded and "
	  "verified first (the GIL released); on failure ScopeError is raised and the current one stays." },
	{ "pin", (PyCFunction)Handle_pin, METH_NOARGS,
	  "`with handle.pin() as policy:` the current policy, closed when the block ends." },
	{ "explain", (PyCFunction)Handle_explain, METH_O, "The explanation a Result was decided with." },
	{ "close", (PyCFunction)Handle_close, METH_NOARGS, "Empties and closes the handle." },
	{ "__enter__", (PyCFunction)Policy_enter, METH_NOARGS, NULL },
	{ "__exit__", (PyCFunction)Handle_exit, METH_VARARGS, NULL },
	{ NULL, NULL, 0, NULL },
};

static PyGetSetDef Handle_getset[] = {
	{ "closed", (getter)Handle_get_closed, NULL, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static PyTypeObject HandleType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "scope.Handle",
	.tp_basicsize = sizeof(HandleObject),
	.tp_dealloc = (destructor)Handle_dealloc,
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "Handle(initial=None): the policy a service enforces, replaceable while other threads "
		  "decide.  INITIAL is a Policy (taken over), bytes, a path or None (then every decision is "
		  "deny with SCOPE_ENOPOLICY until a swap).  With trusted_keys=, every policy swapped in "
		  "must be signed by one of them (a Policy object: loaded with one of them); a refused "
		  "swap raises ScopeError and the old policy stays.",
	.tp_weaklistoffset = offsetof(HandleObject, weakrefs),
	.tp_methods = Handle_methods,
	.tp_getset = Handle_getset,
	.tp_new = Handle_new,
};

/* ---- module functions ----------------------------------------------------------- */

static PyObject *m_strerror(PyObject *m, PyObject *arg)
{
	(void)m;
	int overflow = 0;
	long v = PyLong_AsLongAndOverflow(arg, &overflow);
	if (v == -1 && PyErr_Occurred())
		return NULL;
	if (overflow || v > INT_MAX || v < -INT_MAX)
		v = INT_MIN + 1;
	return PyUnicode_FromString(scope_strerror(v > 0 ? -(int)v : (int)v));
}

static PyObject *m_is_bytecode(PyObject *m, PyObject *arg)
{
	(void)m;
	Py_buffer b;
	if (PyObject_GetBuffer(arg, &b, PyBUF_SIMPLE) < 0)
		return NULL;
	bool r = scope_is_bytecode(b.buf, (size_t)b.len);
	PyBuffer_Release(&b);
	return PyBool_FromLong(r);
}

/* Canonical text of a (path or URL) into a new str (surrogateescape). */
static PyObject *m_canonical_path(PyObject *m, PyObject *args, PyObject *kw)
{
	(void)m;
	static char *kwlist[] = { "path", "cwd", NULL };
	PyObject *path, *cwd = Py_None, *pb = NULL, *cb = NULL, *why = NULL, *out = NULL;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "O|O:canonical_path", kwlist, &path, &cwd))
		return NULL;
	if (!(pb = fs_bytes(path, "path", &why)) || (cwd != Py_None && !(cb = fs_bytes(cwd, "cwd", &why)))) {
		Py_XDECREF(pb);
		return why ? raise_scope(SCOPE_EPATH, why) : NULL;
	}
	size_t cap = PATH_MAX + 1, n;
	char *buf = PyMem_Malloc(cap);
	if (!buf) {
		Py_DECREF(pb);
		Py_XDECREF(cb);
		return PyErr_NoMemory();
	}
	const char *ps = PyBytes_AS_STRING(pb), *cs = cb ? PyBytes_AS_STRING(cb) : NULL;
	size_t pn = (size_t)PyBytes_GET_SIZE(pb);
	int rc;
	Py_BEGIN_ALLOW_THREADS
	n = cap;
	rc = scope_canon_path(ps, pn, cs, buf, &n);
	Py_END_ALLOW_THREADS
	if (rc < 0)
		raise_scopef(rc == -SCOPE_ENOSPC ? -SCOPE_EPATH : rc, "path %R", path);
	else
		out = PyUnicode_DecodeFSDefaultAndSize(buf, (Py_ssize_t)n);
	PyMem_Free(buf);
	Py_DECREF(pb);
	Py_XDECREF(cb);
	return out;
}

static PyObject *m_canonical_url(PyObject *m, PyObject *arg)
{
	(void)m;
	const char *s;
	Py_ssize_t sn;
	PyObject *temps = NULL;
	const char *why = stable_field(arg, &s, &sn, &temps);
	if (why) {
		Py_XDECREF(temps);
		PyObject *what = PyUnicode_FromString("url");
		PyObject *d = what ? field_error(what, arg, why) : NULL;
		Py_XDECREF(what);
		return raise_scope(SCOPE_EURL, d);
	}
	size_t cap = (size_t)sn * 3 + 64;
	for (;;) {
		char *buf = PyMem_Malloc(cap);
		if (!buf) {
			Py_XDECREF(temps);
			return PyErr_NoMemory();
		}
		size_t n = cap;
		int rc;
		Py_BEGIN_ALLOW_THREADS
		rc = scope_canon_url(s, (size_t)sn, buf, &n);
		Py_END_ALLOW_THREADS
		if (rc == -SCOPE_ENOSPC && n + 1 > cap) {
			PyMem_Free(buf);
			cap = n + 1;
			continue;
		}
		PyObject *out = rc < 0 ? raise_scopef(rc, "url %R", arg)
				       : PyUnicode_DecodeUTF8(buf, (Py_ssize_t)n, "surrogateescape");
		PyMem_Free(buf);
		Py_XDECREF(temps);
		return out;
	}
}

/* tool_call_requests(task, action, arguments=None, cwd=None): the requests
 * decide_tool_call would decide, as (task, action, resource, {attrs}). */
static PyObject *m_tool_call_requests(PyObject *m, PyObject *args, PyObject *kw)
{
	(void)m;
	PyObject *task, *action, *arguments = NULL, *cwd = NULL, *why = NULL;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|OO:tool_call_requests", call_kwlist, &task, &action,
					 &arguments, &cwd))
		return NULL;
	call k;
	if (call_prepare(&k, task, action, arguments, cwd, &why) < 0) {
		call_clear(&k);
		return raise_scope(SCOPE_EINVAL, why);
	}
	tls *t = tls_get();
	scope_form *f = t ? tls_form(t) : NULL;
	if (!f) {
		call_clear(&k);
		return PyErr_NoMemory();
	}
	int rc = call_form(&k, f);
	call_clear(&k);
	if (rc < 0)
		return raise_scope(rc, form_error(f, rc));
	size_t n = scope_form_count(f);
	PyObject *list = PyList_New(0);
	for (size_t i = 0; list && i < n; i++) {
		const scope_request *rq = scope_form_request(f, i);
		PyObject *attrs = PyDict_New(), *tup = NULL;
		for (size_t a = 0; attrs && a < rq->nattrs; a++) {
			PyObject *key = PyUnicode_DecodeUTF8(rq->attrs[a].key, (Py_ssize_t)rq->attrs[a].key_len,
							     "surrogateescape");
			PyObject *val = key ? PyUnicode_DecodeUTF8(rq->attrs[a].value,
								    (Py_ssize_t)rq->attrs[a].value_len,
								    "surrogateescape")
					    : NULL;
			if (!val || PyDict_SetItem(attrs, key, val) < 0)
				Py_CLEAR(attrs);
			Py_XDECREF(key);
			Py_XDECREF(val);
		}
		if (attrs)
			tup = Py_BuildValue("(s#s#s#O)", rq->task, (Py_ssize_t)rq->task_len, rq->action,
					    (Py_ssize_t)rq->action_len, rq->resource, (Py_ssize_t)rq->resource_len,
					    attrs);
		Py_XDECREF(attrs);
		if (!tup || PyList_Append(list, tup) < 0)
			Py_CLEAR(list);
		Py_XDECREF(tup);
	}
	return list;
}

static PyObject *m_scratch_id(PyObject *m, PyObject *unused)
{
	(void)m;
	(void)unused;
	tls *t = tls_get();
	if (!t)
		return PyErr_NoMemory();
	return PyLong_FromVoidPtr(t->scratch);
}

static PyMethodDef module_methods[] = {
	{ "strerror", (PyCFunction)m_strerror, METH_O,
	  "strerror(code) -> str: scope_strerror() of a SCOPE_E code (negative or positive) or 0." },
	{ "is_bytecode", (PyCFunction)m_is_bytecode, METH_O,
	  "is_bytecode(data) -> bool: DATA starts with the bytecode magic (source never does)." },
	{ "canonical_path", (PyCFunction)(void (*)(void))m_canonical_path, METH_VARARGS | METH_KEYWORDS,
	  "canonical_path(path, cwd=None) -> str: scope_canon_path() (absolute, symbolic links resolved, "
	  "'.', '..' and '//' removed); ScopeError EPATH if it cannot be made canonical." },
	{ "canonical_url", (PyCFunction)m_canonical_url, METH_O,
	  "canonical_url(url) -> str: scope_canon_url() (RFC 3986 normalised); ScopeError EURL if "
	  "unparsable or relative." },
	{ "tool_call_requests", (PyCFunction)(void (*)(void))m_tool_call_requests, METH_VARARGS | METH_KEYWORDS,
	  "tool_call_requests(task, action, arguments=None, cwd=None) -> list of (task, action, resource, "
	  "attrs): the requests decide_tool_call decides; ScopeError if they cannot be formed." },
	{ "_scratch_id", (PyCFunction)m_scratch_id, METH_NOARGS,
	  "The address of this thread's scratch (tests: one per thread)." },
	{ NULL, NULL, 0, NULL },
};

static struct PyModuleDef module_def = {
	PyModuleDef_HEAD_INIT,
	.m_name = "scope._scope",
	.m_doc = "The scope runtime (libscope) and request forming (libscope-enforce), linked statically.",
	.m_size = -1,
	.m_methods = module_methods,
};

static int add_errors(PyObject *m)
{
	PyObject *errors = PyDict_New();
	if (!errors)
		return -1;
#define SCOPE_X(name, num, text)                                                                      \
	do {                                                                                          \
		PyObject *k = PyLong_FromLong(num), *v = Py_BuildValue("(ss)", #name, text);          \
		int bad = !k || !v || PyDict_SetItem(errors, k, v) < 0 ||                             \
			  PyModule_AddIntConstant(m, &(#name)[sizeof "SCOPE_" - 1], num) < 0;        \
		Py_XDECREF(k);                                                                        \
		Py_XDECREF(v);                                                                        \
		if (bad) {                                                                            \
			Py_DECREF(errors);                                                            \
			return -1;                                                                    \
		}                                                                                     \
	} while (0);
	SCOPE_ERRORS(SCOPE_X)
#undef SCOPE_X
	return PyModule_AddObject(m, "ERRORS", errors) < 0 ? (Py_DECREF(errors), -1) : 0;
}

static int import_types(PyObject *m)
{
	PyObject *t = PyImport_ImportModule("scope._types");
	if (!t)
		return -1;
	if (PyObject_SetAttrString(t, "_scope", m) < 0) {
		Py_DECREF(t);
		return -1;
	}
	PyObject *dec = PyObject_GetAttrString(t, "Decision"), *why = PyObject_GetAttrString(t, "Why");
	ItemInfoType = PyObject_GetAttrString(t, "ItemInfo");
	ScopeErrorType = PyObject_GetAttrString(t, "ScopeError");
	int rc = dec && why && ItemInfoType && ScopeErrorType ? 0 : -1;
	static const char *dnames[] = { "ALLOW", "ASK", "DENY" }, *wnames[] = { "ITEM", "DEFAULT", "NO_TASK", "ERROR" };
	for (int i = 0; rc == 0 && i < 3; i++)
		if (!(Decisions[i] = PyObject_GetAttrString(dec, dnames[i])))
			rc = -1;
	for (int i = 0; rc == 0 && i < 4; i++)
		if (!(Whys[i] = PyObject_GetAttrString(why, wnames[i])))
			rc = -1;
	Py_XDECREF(dec);
	Py_XDECREF(why);
	Py_DECREF(t);
	return rc;
}

PyMODINIT_FUNC PyInit__scope(void);

PyMODINIT_FUNC PyInit__scope(void)
{
	if (pthread_key_create(&tls_key, tls_free) != 0) {
		PyErr_SetString(PyExc_OSError, "pthread_key_create failed");
		return NULL;
	}
	if (PyType_Ready(&ResultType) < 0 || PyType_Ready(&PolicyType) < 0 || PyType_Ready(&HandleType) < 0)
		return NULL;
	PyObject *m = PyModule_Create(&module_def);
	if (!m)
		return NULL;
	if (add_errors(m) < 0 || import_types(m) < 0)
		goto fail;
	if (!(str_error_expl = PyUnicode_InternFromString("error (fail closed: deny)")) ||
	    !(what_task = PyUnicode_InternFromString("task")) ||
	    !(what_action = PyUnicode_InternFromString("action")) ||
	    !(what_resource = PyUnicode_InternFromString("resource")))
		goto fail;
	ResultObject *oom = result_alloc();
	if (!oom)
		goto fail;
	oom->r = (scope_result){ SCOPE_DENY, SCOPE_WHY_ERROR, SCOPE_NO_ITEM, false };
	oom->explanation = Py_NewRef(str_error_expl);
	oom->error = scope_error_new(SCOPE_ENOMEM, PyUnicode_FromString("no memory for a result"));
	oom_result = (PyObject *)oom;
	if (!oom->error)
		goto fail;
	if (PyModule_AddObjectRef(m, "Result", (PyObject *)&ResultType) < 0 ||
	    PyModule_AddObjectRef(m, "Policy", (PyObject *)&PolicyType) < 0 ||
	    PyModule_AddObjectRef(m, "Handle", (PyObject *)&HandleType) < 0 ||
	    PyModule_AddStringConstant(m, "JANSSON_VERSION", JANSSON_VERSION) < 0)
		goto fail;
	return m;
fail:
	Py_DECREF(m);
	return NULL;
}
