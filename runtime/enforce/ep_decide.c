/*
 * ep_decide.c — one decision as every enforcement point makes it: with a
 * pinned policy (so decision, explanation and digest come from the same
 * policy even while a reload swaps it), explained with the attribute that
 * made a condition unknown, and recorded in the decision log format that
 * `scopec shadow-report` and `scopec suggest` read (compiler/declog.c).
 */
#include "ep.h"

#include <stdio.h>
#include <string.h>

static const char *const decision_names[] = { "allow", "ask", "deny" };
static const char *const why_names[] = { "item", "default-deny", "undeclared-task", "error" };

const char *ep_decision_name(scope_decision d)
{
	return (unsigned)d < 3 ? decision_names[d] : "deny";
}

const char *ep_why_name(scope_why w)
{
	return (unsigned)w < 4 ? why_names[w] : "error";
}

void ep_outcome_error(ep_outcome *o, const char *why)
{
	o->r = (scope_result){ SCOPE_DENY, SCOPE_WHY_ERROR, SCOPE_NO_ITEM, false };
	o->location[0] = '\0';
	snprintf(o->explain, sizeof o->explain, "error (fail closed: deny): %s", why);
	snprintf(o->digest, sizeof o->digest, "none");
}

void ep_decide_pinned(const ep_pin *pin, scope_scratch *scr, const scope_request *rq, ep_outcome *o)
{
	o->location[0] = '\0';
	int rc = scope_decide(pin->p, scr, rq, &o->r);
	size_t len = sizeof o->explain;
	if (rc < 0)
		snprintf(o->explain, sizeof o->explain, "error (fail closed: deny): %s", scope_strerror(rc));
	else
		(void)scope_explain_request(pin->p, scr, rq, &o->r, o->explain, &len); /* cut is fine */
	scope_item_info info;
	if (o->r.why == SCOPE_WHY_ITEM && scope_policy_item(pin->p, o->r.item, &info) == 0 &&
	    info.has_location)
		snprintf(o->location, sizeof o->location, "%.500s:%u:%u", info.file, (unsigned)info.line,
			 (unsigned)info.col);
	snprintf(o->digest, sizeof o->digest, "%s", pin->digest);
}

void ep_decide(ep_slot *s, scope_scratch *scr, const scope_request *rq, ep_outcome *o)
{
	ep_pin pin;
	int rc = ep_slot_pin(s, &pin);
	if (rc < 0) {
		ep_outcome_error(o, scope_strerror(rc));
		return;
	}
	ep_decide_pinned(&pin, scr, rq, o);
	ep_slot_unpin(s, &pin);
}

int ep_decide_form(const ep_pin *pin, const ep_pin *cpin, scope_scratch *scr, const scope_form *f,
		   json_t *id, json_t **recs, ep_outcome *out, size_t *which)
{
	size_t n = scope_form_count(f);
	*which = 0;
	ep_outcome_error(out, "no request was formed");
	for (size_t i = 0; i < n; i++) {
		const scope_request *rq = scope_form_request(f, i);
		ep_outcome eo, co;
		ep_decide_pinned(pin, scr, rq, &eo);
		if (recs)
			recs[2 * i] = ep_decision_record(id, rq, NULL, &eo);
		if (cpin) {
			ep_decide_pinned(cpin, scr, rq, &co);
			if (recs)
				recs[2 * i + 1] = ep_shadow_record(id, rq, NULL, &eo, &co);
		}
		if (i == 0 || eo.r.decision > out->r.decision) {
			*out = eo;
			*which = i;
		}
	}
	/* a decision that cannot be recorded is not granted: the records
	 * were asked for, and a NULL one would be skipped by the log */
	for (size_t i = 0; recs && i < n; i++)
		if (!recs[2 * i]) {
			ep_outcome_error(out, "out of memory (decision record)");
			return -SCOPE_ENOMEM;
		}
	return n ? 0 : -SCOPE_EINVAL;
}

void ep_put_outcome(json_t *obj, const ep_outcome *o, bool location)
{
	json_object_set_new(obj, "decision", json_string(ep_decision_name(o->r.decision)));
	json_object_set_new(obj, "reason", json_string(ep_why_name(o->r.why)));
	json_object_set_new(obj, "item", o->r.why == SCOPE_WHY_ITEM ? json_integer(o->r.item) : json_null());
	if (location)
		json_object_set_new(obj, "location",
				    o->location[0] ? ep_json_text(o->location, strlen(o->location)) : json_null());
	json_object_set_new(obj, "explain", ep_json_text(o->explain, strlen(o->explain)));
	json_object_set_new(obj, "policy", json_string(o->digest));
}

static json_t *attrs_object(const scope_request *rq)
{
	json_t *a = json_object();
	for (size_t i = 0; i < rq->nattrs; i++) {
		const scope_attr *at = &rq->attrs[i];
		char key[512];
		/* keys of formed requests are "arg.NAME"; an absurdly long one is
		 * cut in the record, never in the decision */
		snprintf(key, sizeof key, "%.*s", (int)(at->key_len < 511 ? at->key_len : 511), at->key);
		if (!json_object_get(a, key)) /* the first occurrence counts (scope.h) */
			json_object_set_new(a, key, ep_json_text(at->value ? at->value : "", at->value_len));
	}
	return a;
}

json_t *ep_request_record(const char *type, json_t *id, const scope_request *rq, json_t *attrs)
{
	json_t *r = ep_log_record(type);
	json_object_set(r, "id", id ? id : json_null());
	json_object_set_new(r, "task", ep_json_text(rq->task, rq->task_len));
	json_object_set_new(r, "action", ep_json_text(rq->action, rq->action_len));
	json_object_set_new(r, "resource", ep_json_text(rq->resource, rq->resource_len));
	if (attrs)
		json_object_set(r, "attributes", attrs);
	else
		json_object_set_new(r, "attributes", attrs_object(rq));
	return r;
}

/* The fields every decision record has. */
static const char *const decision_fields[] = { "type", "time", "id", "task", "action", "resource", "attributes",
					       "decision", "reason", "item", "location", "explain", "policy" };

json_t *ep_decision_record(json_t *id, const scope_request *rq, json_t *attrs, const ep_outcome *eo)
{
	json_t *r = ep_request_record("decision", id, rq, attrs);
	ep_put_outcome(r, eo, true);
	/* jansson's setters fail silently for want of memory: a record without
	 * its decision or request would log an allow that no one can read
	 * back, so it is all or nothing (NULL: the caller fails closed) */
	for (size_t i = 0; r && i < sizeof decision_fields / sizeof decision_fields[0]; i++)
		if (!json_object_get(r, decision_fields[i])) {
			json_decref(r);
			r = NULL;
		}
	return r;
}

json_t *ep_error_record(json_t *id, const char *task, const char *explain, const char *error)
{
	json_t *rec = ep_log_record("decision");
	json_object_set(rec, "id", id ? id : json_null());
	json_object_set_new(rec, "task", task ? ep_json_text(task, strlen(task)) : json_null());
	json_object_set_new(rec, "action", json_null());
	json_object_set_new(rec, "resource", json_null());
	json_object_set_new(rec, "attributes", json_null());
	json_object_set_new(rec, "decision", json_string("deny"));
	json_object_set_new(rec, "reason", json_string("error"));
	json_object_set_new(rec, "item", json_null());
	json_object_set_new(rec, "location", json_null());
	json_object_set_new(rec, "explain", ep_json_text(explain, strlen(explain)));
	json_object_set_new(rec, "policy", json_null());
	json_object_set_new(rec, "error", ep_json_text(error, strlen(error)));
	return rec;
}

json_t *ep_shadow_record(json_t *id, const scope_request *rq, json_t *attrs, const ep_outcome *eo,
			 const ep_outcome *co)
{
	if (co->r.decision == eo->r.decision)
		return NULL;
	json_t *r = ep_request_record("shadow", id, rq, attrs);
	json_object_set_new(r, "change", json_string(co->r.decision < eo->r.decision ? "widen" : "narrow"));
	json_t *e = json_object(), *c = json_object();
	ep_put_outcome(e, eo, true);
	ep_put_outcome(c, co, true);
	json_object_set_new(r, "enforced", e);
	json_object_set_new(r, "candidate", c);
	return r;
}
