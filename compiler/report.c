/* report.c — see report.h. */
#include "report.h"
#include "lint.h"
#include "arena.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>

static const char *const levels[] = { "error", "warning", "note" };

static json_t *location_json(sc_diag *d, sc_span sp)
{
	json_t *o = json_object();
	unsigned line, col;
	sc_diag_linecol(d, sp, &line, &col);
	const sc_source *src = sc_diag_source(d, sp.file);
	json_object_set_new(o, "file", json_string(src ? src->path : ""));
	json_object_set_new(o, "line", json_integer(line));
	json_object_set_new(o, "column", json_integer(col));
	return o;
}

/* The region a fix-it replaces: start, and the position after its last
 * byte (SARIF's endColumn is exclusive). */
static void fix_region(sc_diag *d, sc_span sp, unsigned pos[4])
{
	sc_diag_linecol(d, sp, &pos[0], &pos[1]);
	sc_diag_linecol(d, (sc_span){ sp.file, sp.off + sp.len, 0 }, &pos[2], &pos[3]);
}

static json_t *fix_json(sc_diag *d, const sc_diag_record *r)
{
	unsigned pos[4];
	fix_region(d, r->fix_span, pos);
	return json_pack("{s:i,s:i,s:i,s:i,s:s}", "line", pos[0], "column", pos[1], "end_line", pos[2],
			 "end_column", pos[3], "replacement", r->fix);
}

void sc_report_document(void *value, FILE *out)
{
	json_t *v = value;
	/* not an empty document with exit status 0 or 1; and jansson 2.14
	 * may return a text with a part left out when an allocation failed,
	 * which only malloc's ENOMEM tells */
	errno = 0;
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	if (!s || errno == ENOMEM)
		sc_fatal_oom();
	fputs(s, out);
	fputc('\n', out);
	free(s);
	json_decref(v);
}

void sc_report_json(sc_diag *d, FILE *out)
{
	json_t *all = json_array();
	json_t *last = NULL;
	for (size_t i = 0; i < d->nrec; i++) {
		const sc_diag_record *r = &d->rec[i];
		json_t *o = location_json(d, r->span);
		json_object_set_new(o, "severity", json_string(levels[r->sev]));
		if (r->rule)
			json_object_set_new(o, "rule", json_string(r->rule));
		json_object_set_new(o, "message", json_string(r->msg));
		if (r->fix)
			json_object_set_new(o, "fix", fix_json(d, r));
		if (r->sev == SC_SEV_NOTE && last) {
			json_t *notes = json_object_get(last, "notes");
			if (!notes) {
				notes = json_array();
				json_object_set_new(last, "notes", notes);
			}
			json_array_append_new(notes, o);
			continue;
		}
		json_array_append_new(all, o);
		last = o;
	}
	sc_report_document(all, out);
}

/* SARIF wants a URI: relative paths stay relative references (to the
 * repository root, where CI runs scopec), absolute paths become file: URIs;
 * characters outside the URI set are escaped. */
static json_t *uri_json(const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(path);
	char *u = malloc(3 * n + 8);
	if (!u)
		return json_string("");
	size_t o = 0;
	if (path[0] == '/') { /* an absolute path is a file: URI */
		memcpy(u, "file://", 7);
		o = 7;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)path[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~/", c)) {
			u[o++] = (char)c;
		} else {
			u[o++] = '%';
			u[o++] = hex[c >> 4];
			u[o++] = hex[c & 15];
		}
	}
	u[o] = '\0';
	json_t *s = json_string(u);
	free(u);
	return s;
}

static json_t *sarif_location(sc_diag *d, sc_span sp, const char *text)
{
	unsigned line, col;
	sc_diag_linecol(d, sp, &line, &col);
	const sc_source *src = sc_diag_source(d, sp.file);
	json_t *region = json_pack("{s:i,s:i}", "startLine", line ? line : 1, "startColumn", col ? col : 1);
	json_t *phys = json_pack("{s:{s:o},s:o}", "artifactLocation", "uri", uri_json(src ? src->path : "unknown"),
				 "region", region);
	json_t *loc = json_pack("{s:o}", "physicalLocation", phys);
	if (text)
		json_object_set_new(loc, "message", json_pack("{s:s}", "text", text));
	return loc;
}

/* SARIF fixes[]: one replacement in the artifact of the result. */
static json_t *sarif_fixes(sc_diag *d, const sc_diag_record *r)
{
	unsigned pos[4];
	fix_region(d, r->fix_span, pos);
	const sc_source *src = sc_diag_source(d, r->fix_span.file);
	json_t *region = json_pack("{s:i,s:i,s:i,s:i}", "startLine", pos[0], "startColumn", pos[1], "endLine",
				   pos[2], "endColumn", pos[3]);
	json_t *repl = json_pack("{s:o,s:{s:s}}", "deletedRegion", region, "insertedContent", "text", r->fix);
	json_t *change = json_pack("{s:{s:o},s:[o]}", "artifactLocation", "uri", uri_json(src ? src->path : "unknown"),
				   "replacements", repl);
	return json_pack("[{s:{s:s},s:[o]}]", "description", "text", r->fix, "artifactChanges", change);
}

static int rule_index(const char *rule)
{
	for (int i = 0; i < SC_LINT_COUNT; i++)
		if (rule && strcmp(rule, sc_lint_ids[i]) == 0)
			return i + 1;
	return 0; /* "scope.error" */
}

void sc_report_sarif(sc_diag *d, FILE *out)
{
	json_t *rules = json_array();
	json_array_append_new(rules, json_pack("{s:s,s:{s:s}}", "id", "scope.error", "shortDescription", "text",
					       "the policy is invalid (syntax, reference or regex error)"));
	for (int i = 0; i < SC_LINT_COUNT; i++)
		json_array_append_new(rules, json_pack("{s:s,s:{s:s}}", "id", sc_lint_ids[i], "shortDescription",
						       "text", sc_lint_descriptions[i]));
	json_t *results = json_array();
	json_t *last = NULL;
	for (size_t i = 0; i < d->nrec; i++) {
		const sc_diag_record *r = &d->rec[i];
		if (r->sev == SC_SEV_NOTE && last) {
			json_t *rel = json_object_get(last, "relatedLocations");
			if (!rel) {
				rel = json_array();
				json_object_set_new(last, "relatedLocations", rel);
			}
			json_t *loc = sarif_location(d, r->span, r->msg);
			json_object_set_new(loc, "id", json_integer((json_int_t)json_array_size(rel)));
			json_array_append_new(rel, loc);
			continue;
		}
		int ri = rule_index(r->rule);
		json_t *res = json_pack("{s:s,s:i,s:s,s:{s:s}}", "ruleId", ri ? r->rule : "scope.error", "ruleIndex", ri,
					"level", levels[r->sev], "message", "text", r->msg);
		json_t *locs = json_array();
		if (r->span.file)
			json_array_append_new(locs, sarif_location(d, r->span, NULL));
		json_object_set_new(res, "locations", locs);
		if (r->fix)
			json_object_set_new(res, "fixes", sarif_fixes(d, r));
		json_array_append_new(results, res);
		last = res;
	}
	json_t *driver = json_pack("{s:s,s:s,s:o}", "name", "scopec", "semanticVersion", "0.1.0", "rules", rules);
	json_t *run = json_pack("{s:{s:o},s:o}", "tool", "driver", driver, "results", results);
	json_t *doc = json_pack("{s:s,s:s,s:[o]}", "$schema", "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
				"version", "2.1.0", "runs", run);
	sc_report_document(doc, out);
}
