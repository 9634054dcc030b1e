/* cli_eval.c — see cli_eval.h. */
#include "cli_eval.h"
#include "backend.h"
#include "explain.h"
#include "refeval.h"
#include "request.h"

#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

/* One decision as every output form prints it, whichever evaluator made
 * it.  The text forms print decision and explain; JSON prints the rest. */
typedef struct sc_answer {
	sc_kind decision;
	const char *reason;             /* item, default-deny, undeclared-task, error */
	bool by_item;                   /* an item decided: unknown is meaningful */
	bool unknown;                   /* its condition was unknown */
	const char *location, *item;    /* FILE:LINE:COL and its text; NULL if stripped */
	long index;                     /* the item number for JSON, or -1 */
	char where[PATH_MAX + 32], text[256];
	char explain[PATH_MAX + 512];
} sc_answer;

typedef struct sc_eval_ctx {
	sc_diag *d;
	const sc_policy *p;
	const scope_policy *cp;
	const sc_evalopts *o;
	sc_ref_ctx *ref;
	scope_scratch *scr;
} sc_eval_ctx;

static const char *const reasons[] = { "item", "default-deny", "undeclared-task" };

/* ---- a result of the source path (compiled or reference) -------------- */

static void answer_from_result(sc_eval_ctx *e, const sc_result *r, const sc_request *rq, sc_answer *a)
{
	a->decision = r->decision;
	a->reason = reasons[r->why];
	a->by_item = r->item != NULL;
	a->unknown = r->unknown;
	a->index = -1; /* the source path has FILE:LINE:COL; the case files fix its JSON */
	a->location = a->item = NULL;
	if (!e->o->explain)
		return;
	sc_explain(e->d, r, rq, a->explain, sizeof a->explain);
	if (r->item) {
		sc_diag_where(e->d, r->item->span, a->where, sizeof a->where);
		sc_item_text(e->d, r->item, a->text, sizeof a->text);
		a->location = a->where;
		a->item = a->text;
	}
}

static void decide_source(sc_eval_ctx *e, const sc_request *rq, sc_answer *a)
{
	sc_result r;
	if (e->cp)
		sc_backend_decide(e->cp, e->scr, e->p, rq, &r);
	else
		sc_ref_decide(e->ref, e->p, rq, &r);
	answer_from_result(e, &r, rq, a);
}

/* ---- a result of an image (the runtime alone) -------------------------- */

static const char *image_reason(scope_why w)
{
	return w == SCOPE_WHY_ITEM ? "item" : w == SCOPE_WHY_DEFAULT ? "default-deny" :
	       w == SCOPE_WHY_NO_TASK ? "undeclared-task" : "error";
}

static void explain_image(sc_eval_ctx *e, const scope_result *r, const sc_request *rq, sc_answer *a)
{
	size_t len = sizeof a->explain;
	/* the runtime says "undeclared task"; the name helps whoever reads it */
	if (r->why == SCOPE_WHY_NO_TASK) {
		char q[128];
		sc_quote(q, sizeof q, rq->task);
		snprintf(a->explain, sizeof a->explain, "undeclared task '%s'", q);
	} else {
		sc_backend_explain_request(e->cp, e->scr, rq, r, a->explain, &len);
	}
	scope_item_info info;
	if (r->why == SCOPE_WHY_ITEM && scope_policy_item(e->cp, r->item, &info) == 0 && info.has_location) {
		snprintf(a->where, sizeof a->where, "%s:%u:%u", info.file, info.line, info.col);
		a->location = a->where;
		a->item = info.text; /* lives as long as the policy, longer than A */
	}
}

static void decide_image(sc_eval_ctx *e, const sc_request *rq, sc_answer *a)
{
	scope_result r;
	sc_backend_decide_request(e->cp, e->scr, rq, &r);
	a->decision = (sc_kind)r.decision;
	a->reason = image_reason(r.why);
	a->by_item = r.why == SCOPE_WHY_ITEM;
	a->unknown = r.unknown;
	/* an image's item number is its stable name (all a stripped image has) */
	a->index = a->by_item ? (long)r.item : -1;
	a->location = a->item = NULL;
	if (e->o->explain)
		explain_image(e, &r, rq, a);
}

/* ---- the printer ---------------------------------------------------------- */

/* What jansson prints for {"decision": D} (JSON_COMPACT), without building
 * and dumping an object per answer. */
static const sc_str json_lines[] = { { "{\"decision\":\"allow\"}\n", 21 },
				     { "{\"decision\":\"ask\"}\n", 19 },
				     { "{\"decision\":\"deny\"}\n", 20 } };

static void print_json(const sc_answer *a, bool explain)
{
	if (!explain) {
		fwrite(json_lines[a->decision].s, 1, json_lines[a->decision].n, stdout);
		return;
	}
	json_t *out = json_object();
	json_object_set_new(out, "decision", json_string(sc_kind_names[a->decision]));
	if (explain) {
		json_object_set_new(out, "reason", json_string(a->reason));
		if (a->location) {
			json_object_set_new(out, "location", json_string(a->location));
			json_object_set_new(out, "item", json_string(a->item));
		}
		if (a->index >= 0)
			json_object_set_new(out, "item_index", json_integer(a->index));
		if (a->by_item)
			json_object_set_new(out, "condition_unknown", json_boolean(a->unknown));
		json_object_set_new(out, "explain", json_string(a->explain));
	}
	sc_json_put_line(out);
}

/* The plain answers as whole lines: one fwrite each, no format, no strlen
 * (at millions of answers a second, puts shows in a profile). */
static const sc_str answer_lines[] = { { "allow\n", 6 }, { "ask\n", 4 }, { "deny\n", 5 } };

static void print_answer(const sc_answer *a, const sc_evalopts *o)
{
	if (o->json)
		print_json(a, o->explain);
	else if (o->explain)
		printf("%s %s\n", sc_kind_names[a->decision], a->explain);
	else
		fwrite(answer_lines[a->decision].s, 1, answer_lines[a->decision].n, stdout);
}

/* ---- the request loop ----------------------------------------------------- */

static void eval_one(void *ctx, const sc_request *rq)
{
	sc_eval_ctx *e = ctx;
	sc_answer a;
	if (e->p)
		decide_source(e, rq, &a);
	else
		decide_image(e, rq, &a);
	print_answer(&a, e->o);
}

static void eval_malformed(void *ctx, const sc_reqparse *rp)
{
	const sc_evalopts *o = ((sc_eval_ctx *)ctx)->o;
	sc_request_print_malformed(rp, o->json, o->explain);
}

int sc_eval_requests(sc_diag *d, const sc_policy *p, const scope_policy *cp, const sc_evalopts *o, int fd)
{
	sc_eval_ctx e = { d, p, cp, o, p && !cp ? sc_ref_new() : NULL, NULL };
	if (scope_scratch_create(&e.scr) < 0)
		sc_fatal_oom();
	sc_request_sink sink = { eval_one, eval_malformed, &e };
	int status = sc_request_stream(fd, o->json, &sink);
	sc_ref_free(e.ref);
	scope_scratch_destroy(e.scr);
	return status;
}
