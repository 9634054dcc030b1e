/*
 * scopec.c — the command line (SPEC §3).  Each command is one function;
 * the table at the bottom lists them with their usage text.
 *
 * Exit status, as SPEC §3 fixes it:
 *   check    0 clean or warnings only, 1 errors, 2 usage or I/O
 *   eval     0, 1 if any request line was malformed, 2 policy unusable
 *   test     0 all pass, 1 any fails (or the policy has errors), 2 usage
 *   diff     0 equivalent, 1 different or undetermined, 2 usage, I/O, a
 *            policy unusable (REV:PATH included), too large to compare
 */
#include "backend.h"
#include "cli_compile.h"
#include "cli_eval.h"
#include "diff.h"
#include "explain.h"
#include "fmt.h"
#include "gitsrc.h"
#include "hook.h"
#include "lint.h"
#include "report.h"
#include "refeval.h"
#include "resolve.h"
#include "shadow.h"  /* gateway: shadow-report */
#include "sign.h"    /* signed policies: keygen, sign, verify */
#include "suggest.h" /* gateway: suggest */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { EXIT_USAGE = 2 };

typedef struct sc_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
	const char *usage;
} sc_command;

static const sc_command *find_command(const char *name);

static int usage_error(const char *cmd, const char *fmt, const char *arg)
{
	fprintf(stderr, "scopec %s: ", cmd);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'scopec %s --help'.\n", cmd);
	return EXIT_USAGE;
}

static bool is_help(const char *a)
{
	return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

static int print_help(const char *cmd)
{
	const sc_command *c = find_command(cmd);
	fputs(c->usage, stdout);
	return 0;
}

/* Resolves one policy file; diagnostics go to stderr.  *io is set when the
 * file itself could not be read (exit status 2 rather than 1). */
static sc_policy *load_policy(sc_diag *d, const char *path, bool *io)
{
	struct stat st;
	*io = false;
	int e = stat(path, &st) != 0 ? errno : S_ISREG(st.st_mode) ? 0 : EINVAL;
	if (e) {
		fprintf(stderr, "scopec: cannot open '%s': %s\n", path, sc_diag_load_strerror(e));
		*io = true;
		return NULL;
	}
	const char *paths[1] = { path };
	return sc_resolve_files(d, paths, 1);
}

/* ---- check ----------------------------------------------------------- */

static int cmd_check(int argc, char **argv)
{
	bool werror = false;
	enum { TEXT, JSON, SARIF } format = TEXT;
	int nfiles = 0, status = 0;
	for (int i = 1; i < argc; i++) {
		if (is_help(argv[i]))
			return print_help("check");
		if (strcmp(argv[i], "--werror") == 0)
			werror = true;
		else if (strcmp(argv[i], "--format=text") == 0)
			format = TEXT;
		else if (strcmp(argv[i], "--format=json") == 0)
			format = JSON;
		else if (strcmp(argv[i], "--format=sarif") == 0)
			format = SARIF;
		else if (argv[i][0] == '-' && argv[i][1])
			return usage_error("check", "unknown option '%s'", argv[i]);
		else
			nfiles++;
	}
	if (!nfiles)
		return usage_error("check", "%s", "no policy file given");
	/* One sc_diag for all files, so that json/sarif is one document. */
	sc_diag d;
	sc_diag_init(&d, stderr);
	d.collect = format != TEXT;
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1])
			continue;
		unsigned errors = d.errors, warnings = d.warnings;
		bool io;
		sc_policy *p = load_policy(&d, argv[i], &io);
		if (p)
			sc_lint(&d, p);
		if (io)
			status = EXIT_USAGE;
		else if ((!p || d.errors != errors || (werror && d.warnings != warnings)) && status == 0)
			status = 1;
		sc_policy_free(p);
	}
	if (format == JSON)
		sc_report_json(&d, stdout);
	else if (format == SARIF)
		sc_report_sarif(&d, stdout);
	sc_diag_fini(&d);
	return status;
}

/* ---- eval ------------------------------------------------------------ */

/* A bytecode image: the runtime decides, as in a service. */
static int eval_image(const char *path, const sc_evalopts *o)
{
	scope_policy *cp;
	int rc = scope_policy_load_file(&cp, path);
	if (rc < 0) {
		fprintf(stderr, "scopec eval: %s: %s\nscopec eval: policy unusable; no request evaluated\n",
			path, scope_strerror(rc));
		return EXIT_USAGE;
	}
	int status = sc_eval_requests(NULL, NULL, cp, o, STDIN_FILENO);
	scope_policy_destroy(cp);
	return status;
}

/* A source policy: compiled in memory and decided by the runtime like an
 * image (what services run), or by the reference evaluator. */
static int eval_source(const char *path, const sc_evalopts *o)
{
	sc_diag d;
	sc_diag_init(&d, stderr);
	bool io;
	sc_policy *p = load_policy(&d, path, &io);
	scope_policy *cp = p && !o->reference ? sc_backend_load(&d, p) : NULL;
	int status = EXIT_USAGE;
	if (p && (cp || o->reference))
		status = sc_eval_requests(&d, p, cp, o, STDIN_FILENO);
	else
		fprintf(stderr, "scopec eval: policy unusable; no request evaluated\n");
	scope_policy_destroy(cp);
	sc_policy_free(p);
	sc_diag_fini(&d);
	return status;
}

static int cmd_eval(int argc, char **argv)
{
	sc_evalopts o = { false, false, false };
	const char *path = NULL;
	for (int i = 1; i < argc; i++) {
		if (is_help(argv[i]))
			return print_help("eval");
		if (strcmp(argv[i], "--explain") == 0)
			o.explain = true;
		else if (strcmp(argv[i], "--json") == 0)
			o.json = true;
		else if (strcmp(argv[i], "--reference") == 0)
			o.reference = true;
		else if (argv[i][0] == '-' && argv[i][1])
			return usage_error("eval", "unknown option '%s'", argv[i]);
		else if (path)
			return usage_error("eval", "%s", "exactly one policy file");
		else
			path = argv[i];
	}
	if (!path)
		return usage_error("eval", "%s", "no policy file given");
	bool image = sc_file_is_bytecode(path);
	if (image && o.reference)
		return usage_error("eval", "%s", "--reference needs a source policy, not bytecode");
	/* fully buffered: the request loop flushes before it waits for input,
	 * so each answer still comes as soon as its request is in */
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	return image ? eval_image(path, &o) : eval_source(path, &o);
}

/* ---- test ------------------------------------------------------------ */

static void expect_request(const sc_expect *e, sc_attr *attrs, sc_request *rq)
{
	for (uint32_t i = 0; i < e->nattrs; i++)
		attrs[i] = (sc_attr){ e->attrs[i].key, e->attrs[i].value };
	*rq = (sc_request){ e->task, e->action, e->resource, attrs, e->nattrs };
}

/* After a default deny: the first allows/asks item whose patterns match
 * but whose condition did not hold is usually what the author missed. */
static void note_inapplicable(sc_diag *d, const sc_policy *p, const sc_request *rq)
{
	const sc_task *t = sc_policy_find_task(p, rq->task);
	sc_ref_ctx *ref = sc_ref_new();
	for (uint32_t i = 0; t && i < t->nitems; i++) {
		const sc_item *it = t->items[i];
		if (it->kind == SC_DENY || !it->cond || !sc_ref_item_matches_patterns(it, rq))
			continue;
		sc_truth v = sc_ref_cond(ref, it->cond, rq);
		if (v == SC_TRUE)
			continue;
		sc_result as_if = { it->kind, SC_WHY_ITEM, it, v == SC_UNKNOWN };
		char why[PATH_MAX + 512];
		sc_explain(d, &as_if, rq, why, sizeof why);
		/* "... (condition unknown because X)" -> "unknown because X" */
		char *reason = strstr(why, " (condition unknown");
		if (reason) {
			reason += strlen(" (condition ");
			size_t n = strlen(reason);
			if (n && reason[n - 1] == ')')
				reason[n - 1] = '\0';
		}
		sc_note(d, it->span, "this %s item did not apply: its condition is %s", sc_clause_names[it->kind],
			v == SC_FALSE ? "false" : reason ? reason : "unknown");
		break;
	}
	sc_ref_free(ref);
}

/* Reports a failed expect: location, expected, actual, and why. */
static void report_failure(sc_diag *d, const sc_policy *p, const sc_expect *e, const sc_request *rq,
			   const sc_result *r)
{
	char req[1024], why[PATH_MAX + 512];
	sc_request_format(rq, req, sizeof req);
	sc_explain(d, r, rq, why, sizeof why);
	sc_error(d, e->span, "expected %s, got %s: %s", sc_kind_names[e->decision], sc_kind_names[r->decision], req);
	fprintf(d->out, "    because: %s\n", why);
	if (r->item)
		sc_note(d, r->item->span, "%s by this item", sc_kind_names[r->decision]);
	else if (r->why == SC_WHY_DEFAULT)
		note_inapplicable(d, p, rq);
}

/* Runs the expects of one policy through the compiled path (what services
 * run) and the reference evaluator; returns the number that failed.  A
 * disagreement between the two is a failure of its own. */
static unsigned run_expects(sc_diag *d, const sc_policy *p, unsigned *passed)
{
	scope_policy *cp = sc_backend_load(d, p);
	if (!cp)
		return p->nexpects ? p->nexpects : 1;
	sc_ref_ctx *ref = sc_ref_new();
	scope_scratch *scr;
	if (scope_scratch_create(&scr) < 0)
		sc_fatal_oom();
	unsigned failed = 0;
	for (uint32_t i = 0; i < p->nexpects; i++) {
		const sc_expect *e = &p->expects[i];
		sc_attr *attrs = sc_xcalloc(e->nattrs, sizeof *attrs);
		sc_request rq;
		expect_request(e, attrs, &rq);
		sc_result r, c;
		sc_ref_decide(ref, p, &rq, &r);
		sc_backend_decide(cp, scr, p, &rq, &c);
		if (c.decision != r.decision || c.item != r.item) {
			char req[1024];
			sc_request_format(&rq, req, sizeof req);
			sc_error(d, e->span, "internal error: the compiled policy decides %s but the reference "
				 "evaluator %s: %s (please report this)", sc_kind_names[c.decision],
				 sc_kind_names[r.decision], req);
			failed++;
		} else if (r.decision == e->decision) {
			(*passed)++;
		} else {
			report_failure(d, p, e, &rq, &r);
			failed++;
		}
		free(attrs);
	}
	scope_scratch_destroy(scr);
	scope_policy_destroy(cp);
	sc_ref_free(ref);
	return failed;
}

static int cmd_test(int argc, char **argv)
{
	int nfiles = 0, status = 0;
	for (int i = 1; i < argc; i++) {
		if (is_help(argv[i]))
			return print_help("test");
		if (argv[i][0] == '-' && argv[i][1])
			return usage_error("test", "unknown option '%s'", argv[i]);
		nfiles++;
	}
	if (!nfiles)
		return usage_error("test", "%s", "no policy file given");
	for (int i = 1; i < argc; i++) {
		sc_diag d;
		sc_diag_init(&d, stderr);
		bool io;
		sc_policy *p = load_policy(&d, argv[i], &io);
		if (!p) {
			status = io ? EXIT_USAGE : (status ? status : 1);
		} else {
			unsigned passed = 0, failed = run_expects(&d, p, &passed);
			printf("%s: %u passed, %u failed\n", argv[i], passed, failed);
			if (failed && !status)
				status = 1;
		}
		sc_policy_free(p);
		sc_diag_fini(&d);
	}
	return status;
}

/* ---- fmt ------------------------------------------------------------- */

/* Replaces PATH atomically: a temporary file in the same directory, then
 * rename(2), so that an interrupted write never leaves half a policy. */
static int write_file_atomic(const char *path, const char *text, size_t len)
{
	size_t n = strlen(path);
	char *tmp = malloc(n + 16);
	if (!tmp)
		sc_fatal_oom();
	snprintf(tmp, n + 16, "%s.fmt-XXXXXX", path);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		free(tmp);
		return -1;
	}
	FILE *f = fdopen(fd, "wb");
	struct stat st;
	bool ok = f && fwrite(text, 1, len, f) == len;
	if (f && fclose(f) != 0)
		ok = false;
	if (ok && stat(path, &st) == 0)
		(void)chmod(tmp, st.st_mode & 07777);
	if (!ok || rename(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		free(tmp);
		errno = e;
		return -1;
	}
	free(tmp);
	return 0;
}

static int cmd_fmt(int argc, char **argv)
{
	bool write = false, check = false;
	int nfiles = 0, status = 0;
	for (int i = 1; i < argc; i++) {
		if (is_help(argv[i]))
			return print_help("fmt");
		if (strcmp(argv[i], "-w") == 0)
			write = true;
		else if (strcmp(argv[i], "--check") == 0)
			check = true;
		else if (argv[i][0] == '-' && argv[i][1])
			return usage_error("fmt", "unknown option '%s'", argv[i]);
		else
			nfiles++;
	}
	if (!nfiles)
		return usage_error("fmt", "%s", "no policy file given");
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1])
			continue;
		sc_diag d;
		sc_diag_init(&d, stderr);
		uint32_t file = sc_diag_load(&d, argv[i]);
		char *out = NULL;
		size_t outlen = 0;
		if (!file) {
			fprintf(stderr, "scopec: cannot open '%s': %s\n", argv[i], sc_diag_load_strerror(errno));
			status = EXIT_USAGE;
		} else if (sc_fmt(&d, file, &out, &outlen) < 0) {
			status = status ? status : 1;
		} else {
			const sc_source *src = sc_diag_source(&d, file);
			bool same = outlen == src->len && memcmp(out, src->text, outlen) == 0;
			if (check) {
				if (!same) {
					fprintf(stderr, "%s: not formatted (run scopec fmt -w)\n", argv[i]);
					status = status ? status : 1;
				}
			} else if (write) {
				if (!same && write_file_atomic(argv[i], out, outlen) < 0) {
					fprintf(stderr, "scopec: cannot write '%s': %s\n", argv[i], strerror(errno));
					status = EXIT_USAGE;
				}
			} else {
				fwrite(out, 1, outlen, stdout);
			}
		}
		free(out);
		sc_diag_fini(&d);
	}
	return status;
}

/* ---- diff ------------------------------------------------------------ */

/* Reads an argument of diff that has the form REV:PATH (gitsrc.h).  It is
 * read from git when REV is a revision; a file of that very name on disk is
 * read instead only if REV is not one: when both exist the argument is
 * ambiguous and refused, since a file committed under the name
 * "origin/main:policies/x.scope" must not stand in for the base. */
static sc_policy *load_revpath(sc_diag *d, sc_git *g, const char *arg, size_t revlen, sc_gitside *side)
{
	struct stat st;
	bool on_disk = lstat(arg, &st) == 0;
	char why[1024];
	sc_git_kind k = sc_git_side(g, arg, revlen, side, why, sizeof why);
	if (k == SC_GIT_REV && on_disk) {
		fprintf(stderr, "scopec diff: '%s' is ambiguous: both a file and revision '%.*s'; "
			"write ./%s for the file\n", arg, (int)revlen, arg, arg);
		return NULL;
	}
	if (k != SC_GIT_REV) {
		bool io;
		if (on_disk)
			return load_policy(d, arg, &io);
		fprintf(stderr, "scopec diff: cannot read '%s': no such file, and %s\n", arg, why);
		return NULL;
	}
	uint32_t id = sc_gitside_load_root(side, d, arg + revlen + 1, why, sizeof why);
	if (!id) {
		fprintf(stderr, "scopec diff: cannot read '%s': %s\n", arg, why);
		return NULL;
	}
	return sc_resolve_loaded(d, id, &side->ops);
}

/* One side of a diff: /dev/null (the empty policy, for an added or deleted
 * file, as in diff(1)), REV:PATH, or a policy file. */
static sc_policy *load_diff_side(sc_diag *d, sc_git *g, const char *arg, sc_gitside *side)
{
	size_t revlen;
	if (strcmp(arg, "/dev/null") == 0)
		return sc_resolve_text(d, arg, "", 0);
	if (sc_git_split(arg, &revlen))
		return load_revpath(d, g, arg, revlen, side);
	bool io;
	return load_policy(d, arg, &io);
}

static int cmd_diff(int argc, char **argv)
{
	sc_diff_opts o = { false, 0 };
	const char *paths[2];
	int n = 0;
	for (int i = 1; i < argc; i++) {
		if (is_help(argv[i]))
			return print_help("diff");
		if (strcmp(argv[i], "--format=json") == 0)
			o.json = true;
		else if (strcmp(argv[i], "--format=text") == 0)
			o.json = false;
		else if (strncmp(argv[i], "--max-states=", 13) == 0)
			o.max_states = (uint32_t)strtoul(argv[i] + 13, NULL, 10);
		else if (argv[i][0] == '-' && argv[i][1])
			return usage_error("diff", "unknown option '%s'", argv[i]);
		else if (n == 2)
			return usage_error("diff", "%s", "exactly two policies: OLD NEW");
		else
			paths[n++] = argv[i];
	}
	if (n != 2)
		return usage_error("diff", "%s", "exactly two policies: OLD NEW");
	/* one sc_diag for both: explanations name the file of each side */
	sc_diag d;
	sc_diag_init(&d, stderr);
	sc_git *g = sc_git_open();
	sc_gitside sides[2];
	memset(sides, 0, sizeof sides);
	sc_policy *po = load_diff_side(&d, g, paths[0], &sides[0]);
	sc_policy *pn = load_diff_side(&d, g, paths[1], &sides[1]);
	/* Everything is read: git's child is reaped before the comparison. */
	sc_git_close(g);
	int status = EXIT_USAGE;
	if (po && pn) {
		int rc = sc_diff(&d, po, pn, &o, stdout);
		status = rc < 0 ? EXIT_USAGE : rc;
	} else {
		fprintf(stderr, "scopec diff: %s%s%s unusable; nothing compared\n", po ? "" : "OLD",
			!po && !pn ? " and " : "", pn ? "" : "NEW");
	}
	sc_policy_free(po);
	sc_policy_free(pn);
	sc_gitside_fini(&sides[0]);
	sc_gitside_fini(&sides[1]);
	sc_diag_fini(&d);
	return status;
}

/* ---- table and main -------------------------------------------------- */

static const sc_command commands[] = {
	{ "check", cmd_check, "parse, resolve and lint policies",
	  "usage: scopec check [--werror] [--format=text|json|sarif] FILE...\n"
	  "  Parses and resolves each policy (with its includes), reports every error\n"
	  "  as FILE:LINE:COL: error: MESSAGE with the line and a caret, then lints it:\n"
	  "  warnings end in their rule id, e.g. [scope.grants-everything].\n"
	  "  --werror         treat warnings as errors\n"
	  "  --format=json    diagnostics as one JSON array on stdout\n"
	  "  --format=sarif   diagnostics as SARIF 2.1.0 on stdout (code review annotations)\n"
	  "  exit: 0 clean or warnings only, 1 errors, 2 usage or I/O\n" },
	{ "eval", cmd_eval, "decide requests read from stdin",
	  "usage: scopec eval [--explain] [--json] [--reference] POLICY\n"
	  "  Reads one request per line from stdin and prints allow, ask or deny:\n"
	  "    TASK ACTION [RESOURCE] [KEY=VALUE...]\n"
	  "  Tokens are separated by blanks and may be double-quoted (\\\" and \\\\\n"
	  "  escape); after the action a token with an unquoted '=' is an attribute;\n"
	  "  \"\" is an empty resource.  A malformed line prints deny and a diagnostic.\n"
	  "  --explain    add the deciding item's FILE:LINE:COL or why nothing matched\n"
	  "  --json       JSON Lines in ({\"task\",\"action\",\"resource\",\"context\"}) and out\n"
	  "  POLICY is a .scope source (compiled in memory) or bytecode from\n"
	  "  `scopec compile` (told apart by its magic bytes).\n"
	  "  --reference  use the reference evaluator (the oracle of the tests)\n"
	  "  exit: 0, 1 if any request line was malformed, 2 policy unusable\n" },
	{ "test", cmd_test, "check every expect statement",
	  "usage: scopec test FILE...\n"
	  "  Decides the request of every `expect` in each policy (and its includes)\n"
	  "  and reports each failure with its location, expected and actual.  Each\n"
	  "  request is decided by the compiled policy and by the reference evaluator;\n"
	  "  if they ever disagree, that is reported as an internal error.\n"
	  "  exit: 0 all pass, 1 any fails or the policy has errors, 2 usage or I/O\n" },
	{ "compile", sc_cmd_compile, "write verified bytecode", sc_compile_usage },
	{ "disasm", sc_cmd_disasm, "list bytecode", sc_disasm_usage },
	{ "fmt", cmd_fmt, "rewrite policies in the canonical layout",
	  "usage: scopec fmt [-w | --check] FILE...\n"
	  "  Prints each policy in the canonical layout: one clause per line, one item\n"
	  "  per line, items aligned, comments kept, order unchanged (so decisions never\n"
	  "  change).  The output is checked to hold the same tokens as the input.\n"
	  "  -w        rewrite the files in place (atomically)\n"
	  "  --check   change nothing; exit 1 if a file is not formatted\n"
	  "  exit: 0, 1 if a file does not parse or (--check) would change, 2 I/O\n" },
	{ "diff", cmd_diff, "what authority a change grants or removes",
	  "usage: scopec diff [--format=json] [--max-states=N] OLD NEW\n"
	  "  Compares the decisions of two policies exactly over tasks, actions and\n"
	  "  resources (by walking the product of their automata) and prints one line\n"
	  "  per distinct change with a concrete request in the eval syntax:\n"
	  "    + deny -> allow: triage post forum.help channel=internal   (widens)\n"
	  "    - allow -> deny: triage read docs.x                         (narrows)\n"
	  "  followed by the deciding item of each side.  Attributes are constructed\n"
	  "  for conditions exactly (a value per cell of the tests on each attribute);\n"
	  "  a change that hinges on a regex feature that is not regular (e.g. a\n"
	  "  backreference) is printed as '? ... undetermined' naming it, never as\n"
	  "  equivalent.\n"
	  "  OLD and NEW are files, /dev/null (the empty policy), or REV:PATH: the file\n"
	  "  and its includes as they are in git revision REV, e.g.\n"
	  "    scopec diff origin/main:policies/x.scope policies/x.scope\n"
	  "  (PATH from the top of the repository as in git; REV:./PATH from here).\n"
	  "  --format=json    the changes as one JSON document\n"
	  "  --max-states=N   automaton budget per task (default 2097152)\n"
	  "  exit: 0 equivalent, 1 different, 2 usage, I/O, a policy unusable (on\n"
	  "  either side: errors, unknown revision, missing file or include), or too\n"
	  "  large to compare\n" },
	{ "hook", sc_cmd_hook, "decide an agent runtime's tool call (Claude Code PreToolUse hook)",
	  sc_hook_usage },
	/* decision logs of examples/gateway (compiler/shadow.c, compiler/suggest.c) */
	{ "shadow-report", sc_cmd_shadow_report, "summarise a decision log's shadow disagreements",
	  sc_shadow_report_usage },
	{ "suggest", sc_cmd_suggest, "propose least-privilege tasks from a decision log",
	  sc_suggest_usage },
	/* signed policies (compiler/sign.c) */
	{ "keygen", sc_cmd_keygen, "make an Ed25519 key pair for signing policies", sc_keygen_usage },
	{ "sign", sc_cmd_sign, "sign a bytecode image (Ed25519)", sc_sign_usage },
	{ "verify", sc_cmd_verify, "check an image's signature against public keys", sc_verify_usage },
};

static const sc_command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void main_usage(FILE *f)
{
	fputs("usage: scopec COMMAND [ARGS...]\n"
	      "scope: authorization for AI agent actions, decided before each action.\n\n"
	      "commands:\n", f);
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].summary);
	fputs("\nRun 'scopec COMMAND --help' for the options of one command.\n", f);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		main_usage(stderr);
		return EXIT_USAGE;
	}
	if (is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
		if (argc > 2 && find_command(argv[2]))
			return print_help(argv[2]);
		main_usage(stdout);
		return 0;
	}
	const sc_command *c = find_command(argv[1]);
	if (!c) {
		fprintf(stderr, "scopec: unknown command '%s'\n", argv[1]);
		main_usage(stderr);
		return EXIT_USAGE;
	}
	return c->run(argc - 1, argv + 1);
}
