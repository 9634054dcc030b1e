/*
 * hook.c — `scopec hook claude-code POLICY --task NAME [--log FILE]`
 * (SPEC §6.2): one Claude Code PreToolUse event on stdin, one decision on
 * stdout.
 *
 * The event's tool call becomes requests through libscope-enforce (the
 * module every enforcement point forms requests with); a Bash command line
 * is split into its simple commands and redirections first.  Each request
 * is decided by the runtime; the most restrictive decision wins; a command
 * line with parts the splitter could not see through is never allowed
 * (allow becomes ask).
 *
 * Fail closed: anything that stops a decision (unusable policy, malformed
 * event, a path that cannot be made canonical, a log that cannot be
 * written) prints the reason on stderr and exits 2, which makes Claude Code
 * block the call.  Exit 0 only with a decision on stdout.
 */
#include "hook.h"

#include "backend.h"
#include "cli_compile.h"
#include "ep.h"
#include "resolve.h"
#include "scope_enforce.h"
#include "shell.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define HOOK_MAX_EVENT (64u << 20) /* a Write of a large file is one event */
#define HOOK_EXIT_BLOCK 2

/* ---- failing ------------------------------------------------------------- */

static int block(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The reason on stderr, exit status 2: Claude Code blocks the call. */
static int block(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("scopec hook: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs(" (the call is blocked)\n", stderr);
	va_end(ap);
	return HOOK_EXIT_BLOCK;
}

/* ---- the policy ---------------------------------------------------------- */

typedef struct hook_policy {
	scope_policy *p;
	char digest[EP_DIGEST_STR]; /* "sha256:<hex>" of the image decided with */
} hook_policy;

static int read_all(int fd, size_t max, unsigned char **data, size_t *len)
{
	size_t cap = 65536, n = 0;
	unsigned char *buf = malloc(cap);
	for (;;) {
		if (!buf)
			return -ENOMEM;
		if (n == cap) {
			if (cap > max) {
				free(buf);
				return -EFBIG;
			}
			unsigned char *nb = realloc(buf, cap * 2);
			if (!nb)
				free(buf);
			buf = nb;
			cap *= 2;
			continue;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			return -e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > max) {
		free(buf);
		return -EFBIG;
	}
	*data = buf;
	*len = n;
	return 0;
}

/* Source is compiled here (the hook links the compiler), bytecode only
 * loaded: either way the runtime's verifier checks the image.  With
 * --trusted-key the services' rule applies (ep_load_image): only an image
 * signed by one of the keys, and source is refused rather than compiled. */
static int load_policy(const char *path, const ep_env *env, bool digest, hook_policy *hp)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	unsigned char *img = NULL;
	size_t len = 0;
	int rc = fd < 0 ? -errno : read_all(fd, 64u << 20, &img, &len);
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		return block("cannot read policy '%s': %s", path, strerror(-rc));
	if (!env->ntrusted && !scope_is_bytecode(img, len)) {
		free(img);
		img = NULL;
		sc_diag d;
		sc_diag_init(&d, stderr);
		const char *paths[1] = { path };
		sc_policy *sp = sc_resolve_files(&d, paths, 1);
		sc_backend_opts o = { false, 0 };
		rc = sp && d.errors == 0 ? sc_backend_compile(&d, sp, &o, &img, &len, NULL) : -1;
		sc_policy_free(sp);
		sc_diag_fini(&d);
		if (rc < 0 || !img)
			return block("policy '%s' does not compile", path);
	}
	char signer[SIG_KEYID_STR], err[1024];
	/* only the log shows the digest: no hashing without one */
	rc = ep_load_image(env, path, img, len, &hp->p, digest ? hp->digest : NULL, signer, err, sizeof err);
	free(img);
	return rc < 0 ? block("policy %s", err) : 0;
}

/* ---- the event -> requests ---------------------------------------------- */

typedef struct hook_call {
	const char *tool;        /* tool_name */
	const char *session;     /* session_id, or NULL */
	json_t *input;           /* tool_input (borrowed) */
	const char *cwd;
	const char *opaque;      /* why a part could not be seen through, or NULL */
	char opaque_buf[256];
	char action[512];        /* mcp.S.T, tool.X */
} hook_call;

/* A string member of IN (which must be present), else NULL with ERR. */
static const char *need_string(const json_t *in, const char *key)
{
	const json_t *v = json_object_get(in, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int form_error(scope_form *f, int rc)
{
	return block("%s", scope_form_error(f)[0] ? scope_form_error(f) : scope_strerror(rc));
}

/* The path argument KEY of the call; absent (or null) is the working
 * directory for the tools that default to it, else malformed. */
static int add_path_arg(scope_form *f, hook_call *c, const char *action, const char *key, bool dflt_cwd)
{
	const json_t *v = json_object_get(c->input, key);
	const char *p = c->cwd;
	size_t n = strlen(c->cwd);
	if (json_is_string(v)) {
		p = json_string_value(v);
		n = json_string_length(v);
	} else if (!dflt_cwd || (v && !json_is_null(v))) {
		return block("malformed %s event: tool_input.%s is not a string", c->tool, key);
	}
	int rc = scope_form_add(f, action, p, n, SCOPE_RES_PATH);
	return rc < 0 ? form_error(f, rc) : 0;
}

static void mark_opaque(hook_call *c, const char *why)
{
	if (!c->opaque) {
		snprintf(c->opaque_buf, sizeof c->opaque_buf, "%s", why);
		c->opaque = c->opaque_buf;
	}
}

/* A redirection target as a path: "~" and "~/" are $HOME (the shell's
 * expansion); anything the splitter could not read (an expansion, a
 * relative target after a cd) is opaque. */
static int add_redirect(scope_form *f, hook_call *c, const scope_shell_redir *rd)
{
	const char *action = rd->write ? "fs.write" : "fs.read";
	if (rd->opaque || (rd->tilde && rd->len > 1 && rd->target[1] != '/')) {
		mark_opaque(c, "a redirection target that cannot be resolved (~user)");
		return 0;
	}
	if (rd->len == 9 && memcmp(rd->target, "/dev/null", 9) == 0)
		return 0;
	int rc = scope_form_add(f, action, rd->target, rd->len, SCOPE_RES_PATH);
	return rc < 0 ? form_error(f, rc) : 0;
}

/* Bash: every simple command as "bash WORDS", every file redirection as
 * fs.write / fs.read of its canonical target. */
static int add_bash(scope_form *f, hook_call *c)
{
	const json_t *v = json_object_get(c->input, "command");
	if (!json_is_string(v))
		return block("malformed Bash event: tool_input.command is not a string");
	scope_shell *sh;
	int rc = scope_shell_split(&sh, json_string_value(v), json_string_length(v));
	if (rc < 0)
		return block("cannot split the command line: %s", scope_strerror(rc));
	if (scope_shell_opaque(sh))
		mark_opaque(c, scope_shell_opaque(sh));
	for (size_t i = 0; rc == 0 && i < scope_shell_count(sh); i++) {
		const scope_shell_cmd *cmd = scope_shell_command(sh, i);
		if (!cmd->len && !cmd->opaque)
			continue; /* only redirections ("> f"): they are decided below */
		rc = scope_form_add(f, "bash", cmd->text, cmd->len, SCOPE_RES_TEXT);
		if (rc < 0)
			rc = form_error(f, rc);
	}
	for (size_t i = 0; rc == 0 && i < scope_shell_redir_count(sh); i++) {
		rc = add_redirect(f, c, scope_shell_redirect(sh, i));
	}
	if (rc == 0 && scope_form_count(f) == 0) /* an empty line: still decided */
		rc = scope_form_add(f, "bash", "", 0, SCOPE_RES_TEXT) < 0 ? block("out of memory") : 0;
	scope_shell_destroy(sh);
	return rc;
}

/* mcp__SERVER__TOOL -> "mcp.SERVER.TOOL", 0; -1 if NAME is not one. */
static int mcp_action(const char *name, char *out, size_t n)
{
	if (strncmp(name, "mcp__", 5) != 0)
		return 1;
	const char *s = name + 5, *sep = strstr(s, "__");
	if (!sep || sep == s || !sep[2])
		return -1;
	int w = snprintf(out, n, "mcp.%.*s.%s", (int)(sep - s), s, sep + 2);
	return w > 0 && (size_t)w < n ? 0 : -1;
}

/* The mapping table of SPEC §6.2. */
static int form_call(scope_form *f, hook_call *c)
{
	static const struct {
		const char *tool, *action, *arg;
		bool dflt_cwd;
	} paths[] = {
		{ "Read", "fs.read", "file_path", false },      { "Write", "fs.write", "file_path", false },
		{ "Edit", "fs.write", "file_path", false },     { "MultiEdit", "fs.write", "file_path", false },
		{ "NotebookEdit", "fs.write", "notebook_path", false },
		{ "Glob", "fs.list", "path", true },            { "Grep", "fs.read", "path", true },
		{ "LS", "fs.list", "path", true },
	};
	const char *t = c->tool;
	if (strcmp(t, "Bash") == 0)
		return add_bash(f, c);
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
		if (strcmp(t, paths[i].tool) == 0)
			return add_path_arg(f, c, paths[i].action, paths[i].arg, paths[i].dflt_cwd);
	if (strcmp(t, "WebFetch") == 0) {
		const char *url = need_string(c->input, "url");
		if (!url)
			return block("malformed WebFetch event: tool_input.url is not a string");
		int rc = scope_form_add(f, "http.get", url, strlen(url), SCOPE_RES_URL);
		return rc < 0 ? form_error(f, rc) : 0;
	}
	const char *action = "web.search", *res = "";
	if (strcmp(t, "Task") == 0) {
		action = "agent.spawn";
		if (!(res = need_string(c->input, "subagent_type")))
			return block("malformed Task event: tool_input.subagent_type is not a string");
	} else if (strcmp(t, "WebSearch") != 0) {
		int m = mcp_action(t, c->action, sizeof c->action);
		if (m < 0)
			return block("malformed MCP tool name '%.200s' (expected mcp__SERVER__TOOL)", t);
		if (m == 0) {
			int rc = scope_form_add_args(f, c->action, c->input, NULL, 0);
			return rc < 0 ? form_error(f, rc) : 0;
		}
		if (snprintf(c->action, sizeof c->action, "tool.%s", t) >= (int)sizeof c->action)
			return block("tool name too long");
		action = c->action;
	}
	int rc = scope_form_add(f, action, res, strlen(res), SCOPE_RES_TEXT);
	return rc < 0 ? form_error(f, rc) : 0;
}

static int parse_event(json_t *ev, hook_call *c)
{
	if (!json_is_object(ev))
		return block("malformed event: not a JSON object");
	const json_t *name = json_object_get(ev, "hook_event_name");
	if (name && (!json_is_string(name) || strcmp(json_string_value(name), "PreToolUse") != 0))
		return block("not a PreToolUse event (hook_event_name is %s)",
			     json_is_string(name) ? json_string_value(name) : "not a string");
	c->tool = need_string(ev, "tool_name");
	c->input = json_object_get(ev, "tool_input");
	c->cwd = need_string(ev, "cwd");
	c->session = need_string(ev, "session_id");
	if (!c->tool || !c->tool[0])
		return block("malformed event: no tool_name string");
	if (!json_is_object(c->input))
		return block("malformed event: tool_input is not an object");
	if (!c->cwd || c->cwd[0] != '/')
		return block("malformed event: cwd is not an absolute path");
	if (strlen(c->tool) != json_string_length(json_object_get(ev, "tool_name")))
		return block("malformed event: NUL byte in tool_name");
	return 0;
}

/* ---- deciding, answering, logging --------------------------------------- */

/* Every request of the call decided and explained once, the most
 * restrictive wins (ep_decide_form, shared with scope-mcp); RECS holds the
 * log records (two per request) when there is a log. */
typedef struct hook_outcome {
	ep_outcome best;
	size_t n, which;
	json_t **recs;
	scope_decision decision;
	char reason[2048];
} hook_outcome;

static int decide(const hook_policy *hp, scope_scratch *s, scope_form *f, const hook_call *c, bool log,
		  hook_outcome *o)
{
	ep_pin pin = { hp->p, hp->digest, 0 };
	o->n = scope_form_count(f);
	if (log && !(o->recs = calloc(2 * o->n, sizeof *o->recs)))
		return block("out of memory");
	int rc = ep_decide_form(&pin, NULL, s, f, NULL, o->recs, &o->best, &o->which);
	if (rc < 0) /* ENOMEM: a decision record could not be made */
		return block("%s", rc == -SCOPE_ENOMEM ? "out of memory" : "no request was formed");
	const scope_request *rq = scope_form_request(f, o->which);
	o->decision = o->best.r.decision;
	int n = snprintf(o->reason, sizeof o->reason, "scope: %s %.*s %.*s: %s", ep_decision_name(o->decision),
			 (int)rq->action_len, rq->action, (int)(rq->resource_len < 300 ? rq->resource_len : 300),
			 rq->resource, o->best.explain);
	if (c->opaque && o->decision == SCOPE_ALLOW) {
		o->decision = SCOPE_ASK; /* never allow what could not be seen */
		snprintf(o->reason + n, sizeof o->reason - (size_t)n,
			 "; but the command line has a part scope cannot see through (%s), so a human must approve",
			 c->opaque);
	}
	return 0;
}

/* The decision records with the hook's fields, in one write(2) to an
 * O_APPEND file, so lines never mix with those of concurrent hooks.  -1 if
 * the log could not be written.  The records are consumed. */
static int write_log(const char *path, const hook_call *c, hook_outcome *o)
{
	ep_log *log;
	if (ep_log_open(&log, path) < 0)
		return -1;
	for (size_t i = 0; i < 2 * o->n; i++) {
		if (!o->recs[i])
			continue;
		json_object_set_new(o->recs[i], "hook", json_string("claude-code"));
		json_object_set_new(o->recs[i], "tool", ep_json_text(c->tool, strlen(c->tool)));
		json_object_set_new(o->recs[i], "session",
				    c->session ? ep_json_text(c->session, strlen(c->session)) : json_null());
		json_object_set_new(o->recs[i], "call_decision", json_string(ep_decision_name(o->decision)));
	}
	int rc = ep_log_records(log, o->recs, 2 * o->n);
	memset(o->recs, 0, 2 * o->n * sizeof *o->recs);
	ep_log_close(log);
	return rc;
}

static int answer(const hook_outcome *o)
{
	json_t *out = json_pack("{s:{s:s, s:s, s:o}}", "hookSpecificOutput", "hookEventName", "PreToolUse",
				"permissionDecision", ep_decision_name(o->decision), "permissionDecisionReason",
				ep_json_text(o->reason, strlen(o->reason)));
	/* ep_json_dumps: jansson 2.14 printed {":{"hookEventName":... here when
	 * an allocation failed -- text Claude Code cannot read as a decision */
	char *s = out ? ep_json_dumps(out, JSON_COMPACT) : NULL;
	json_decref(out);
	if (!s)
		return block("out of memory");
	bool ok = printf("%s\n", s) > 0 && fflush(stdout) == 0;
	free(s);
	return ok ? 0 : block("cannot write the decision to stdout");
}

/* ---- the command --------------------------------------------------------- */

const char sc_hook_usage[] =
	"usage: scopec hook claude-code POLICY --task NAME [--log FILE] [--trusted-key FILE]...\n"
	"  A Claude Code PreToolUse hook: reads one event (JSON) on stdin, decides\n"
	"  the tool call as task NAME of POLICY (.scope source or bytecode) and\n"
	"  writes {\"hookSpecificOutput\": {\"permissionDecision\": allow|ask|deny, ...}}.\n"
	"  Tools: Bash (each simple command of the line, and its redirections),\n"
	"  Read/Write/Edit/MultiEdit/NotebookEdit/Glob/Grep/LS (fs.read, fs.write,\n"
	"  fs.list of the canonical path), WebFetch (http.get URL), WebSearch\n"
	"  (web.search), Task (agent.spawn TYPE), mcp__S__T (mcp.S.T), X (tool.X).\n"
	"  --log FILE   append one decision record per request (the gateway's format)\n"
	"  --trusted-key FILE  (repeatable, up to 16) decide only with a bytecode image\n"
	"               signed by one of these Ed25519 public keys (`scopec sign`)\n"
	"  exit: 0 with a decision; 2 on any failure (Claude Code blocks the call)\n";

typedef struct hook_opts {
	const char *policy, *task, *log;
	ep_env env;              /* prog and the trusted keys only */
} hook_opts;

static int parse_args(int argc, char **argv, hook_opts *o)
{
	if (argc < 2 || strcmp(argv[1], "claude-code") != 0)
		return block("usage: scopec hook claude-code POLICY --task NAME [--log FILE] [--trusted-key FILE]...");
	for (int i = 2; i < argc; i++) {
		char err[1024];
		if ((strcmp(argv[i], "--task") == 0 || strcmp(argv[i], "--log") == 0) && i + 1 < argc) {
			*(argv[i][2] == 't' ? &o->task : &o->log) = argv[i + 1];
			i++;
		} else if (strcmp(argv[i], "--trusted-key") == 0 && i + 1 < argc) {
			if (ep_env_trust(&o->env, argv[++i], err, sizeof err) < 0)
				return block("%s", err);
		} else if (strcmp(argv[i], "--task") == 0 || strcmp(argv[i], "--log") == 0 ||
			   strcmp(argv[i], "--trusted-key") == 0) {
			/* last on the line: it used to be called an unknown option */
			return block("%s needs a value; see 'scopec hook --help'", argv[i]);
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return block("unknown option '%s'; see 'scopec hook --help'", argv[i]);
		} else if (o->policy) {
			return block("exactly one policy file");
		} else {
			o->policy = argv[i];
		}
	}
	if (!o->policy || !o->task || !o->task[0])
		return block("a policy file and --task NAME are required");
	return 0;
}

int sc_cmd_hook(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return fputs(sc_hook_usage, stdout) < 0;
	hook_opts opt;
	memset(&opt, 0, sizeof opt);
	opt.env.prog = "scopec hook";
	hook_policy hp = { NULL, "" };
	hook_call c;
	memset(&c, 0, sizeof c);
	unsigned char *raw = NULL;
	size_t rawlen = 0;
	json_t *ev = NULL;
	scope_form *f = NULL;
	scope_scratch *s = NULL;
	hook_outcome o;
	memset(&o, 0, sizeof o);
	int rc = parse_args(argc, argv, &opt);
	if (rc == 0)
		rc = load_policy(opt.policy, &opt.env, opt.log != NULL, &hp);
	if (rc == 0 && (rc = read_all(0, HOOK_MAX_EVENT, &raw, &rawlen)) < 0)
		rc = block("cannot read the event: %s", strerror(-rc));
	json_error_t je;
	if (rc == 0 && !(ev = json_loadb((const char *)raw, rawlen, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je)))
		rc = block("malformed event: %s (line %d, column %d)", je.text, je.line, je.column);
	if (rc == 0)
		rc = parse_event(ev, &c);
	if (rc == 0 && (scope_form_create(&f) < 0 || scope_scratch_create(&s) < 0 ||
			scope_form_begin(f, opt.task, c.cwd) < 0))
		rc = block("out of memory");
	if (rc == 0 && scope_form_attrs_json(f, c.input) < 0)
		rc = form_error(f, -SCOPE_EINVAL);
	if (rc == 0)
		rc = form_call(f, &c);
	if (rc == 0)
		rc = decide(&hp, s, f, &c, opt.log != NULL, &o);
	if (rc == 0 && opt.log && write_log(opt.log, &c, &o) < 0)
		rc = block("cannot write the decision log '%s': %s", opt.log, strerror(errno));
	if (rc == 0)
		rc = answer(&o);
	for (size_t i = 0; o.recs && i < 2 * o.n; i++)
		json_decref(o.recs[i]);
	free(o.recs);
	scope_scratch_destroy(s);
	scope_form_destroy(f);
	json_decref(ev);
	free(raw);
	scope_policy_destroy(hp.p);
	return rc;
}
