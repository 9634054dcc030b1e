/*
 * oom_enforce.c — sites of the enforcement points, in-process: one
 * scope-gateway connection (gw_serve over a file of request lines, with a
 * shadow candidate and a decision log), the scope-mcp router (a scripted
 * conversation through mcp_from_client / mcp_from_server, the queues read
 * back), and a policy reload (ep_slot_reload).  Then short writes, EINTR
 * and a full disk under the log, the replies and the proxy's queues.
 *
 * Rules, besides "no leak, no crash":
 *   gateway  every reply is a whole JSON line; the replies are a prefix of
 *            the reference's (a connection may end early); a reply that is
 *            not the reference's says deny; every allow or ask sent is in
 *            the log first; the log holds whole JSON lines only.
 *   mcp      every queued message is a whole JSON line; what reaches the
 *            server as a tools/call is a call of the reference (never the
 *            denied one, never with another id); every request to the
 *            server carries a proxy (integer) id, every response to it the
 *            server's own id; the denied call is answered with a refusal.
 *   reload   the slot then holds the new policy, or still the old one.
 */
#include "oom_sites.h"

#include "ep.h"
#include "gw.h"
#include "mcp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int scopec_main(int argc, char **argv);

/* scopec ARGS... (NULL-terminated), unarmed: the setup's images and keys. */
static int scopec(const char *const *args)
{
	char *argv[8] = { "scopec" };
	int argc = 1;
	while (argc < 7 && args[argc - 1]) {
		argv[argc] = (char *)args[argc - 1];
		argc++;
	}
	oom_begin(0, false);
	int rc = scopec_main(argc, argv);
	oom_end();
	if (rc)
		oom_say("oom: setup: scopec %s %s failed (%d): %s\n", args[0], args[1], rc, oom_err()->s);
	return rc;
}

/* ---- lines ------------------------------------------------------------------ */

/* The I-th line of B (without its newline) into *S, *N; false if none. */
static bool nth_line(const oom_buf *b, size_t i, const char **s, size_t *n)
{
	const char *p = b->s, *end = b->s + b->len;
	for (;;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return false;
		if (i-- == 0) {
			*s = p;
			*n = (size_t)(nl - p);
			return true;
		}
		p = nl + 1;
	}
}

static size_t count_lines(const oom_buf *b)
{
	size_t k = 0;
	for (size_t i = 0; i < b->len; i++)
		k += b->s[i] == '\n';
	return k;
}

/* Every line of B is a JSON object (or an array: a batch's answers), and B
 * ends with a newline. */
static bool whole_json_lines(const char *what, const oom_buf *b)
{
	if (b->len && b->s[b->len - 1] != '\n')
		return oom_say("oom: %s: the last line is cut: %.200s\n", what, b->s), false;
	const char *s;
	size_t n;
	for (size_t i = 0; nth_line(b, i, &s, &n); i++) {
		json_t *v = json_loadb(s, n, 0, NULL);
		bool ok = json_is_object(v) || json_is_array(v);
		json_decref(v);
		if (!ok)
			return oom_say("oom: %s: line %zu is not a JSON object: %.*s\n", what, i + 1, (int)n, s), false;
	}
	return true;
}

/* True if the line S, N is among the lines of B. */
static bool has_line(const oom_buf *b, const char *s, size_t n)
{
	const char *t;
	size_t k;
	for (size_t i = 0; nth_line(b, i, &t, &k); i++)
		if (k == n && memcmp(s, t, n) == 0)
			return true;
	return false;
}

/* ---- the gateway --------------------------------------------------------------- */

static const char gw_requests[] =
	"{\"id\":1,\"task\":\"agent\",\"action\":\"read\",\"resource\":\"docs.intro\"}\n"
	"{\"id\":2,\"task\":\"agent\",\"action\":\"comment\",\"resource\":\"forum.x\","
	"\"context\":{\"channel\":\"internal\",\"n\":3,\"b\":true}}\n"
	"{\"id\":\"three\",\"task\":\"agent\",\"action\":\"post\",\"resource\":\"forum.general.a\"}\n"
	"\n"
	"{\"id\":4,\"task\":\"agent\",\"tool\":\"read\",\"arguments\":{\"path\":\"docs/a\",\"n\":1},\"cwd\":\"/srv\"}\n"
	"{\"id\":5,\"task\":\n"
	"{\"id\":6,\"task\":\"agent\",\"action\":\"delete\",\"resource\":\"secrets.x\"}\n"
	"{\"id\":[7],\"task\":\"agent\",\"action\":\"read\",\"resource\":\"forum.q\",\"context\":{}}\n"
	"{\"id\":8,\"task\":\"agent\",\"action\":\"read\",\"resource\":\"docs.b\",\"extra\":1}\n";

OOM_BUF(gw_ref, 1 << 16);
OOM_BUF(gw_out, 1 << 16);
OOM_BUF(gw_log, 1 << 20);
static gw_ctx gw;
static size_t gw_ref_log_lines;

static int gw_open(void)
{
	memset(&gw, 0, sizeof gw);
	gw.cfg.max_line = 4096;
	gw.env.prog = "scope-gateway";
	gw.shadow = true;
	atomic_init(&gw.stopping, false);
	atomic_init(&gw.requests, 0);
	atomic_init(&gw.env.log_failures, 0);
	unlink(oom_path("gw-run.log"));
	if (pipe(gw.wake) < 0 || ep_log_open(&gw.env.log, oom_path("gw-run.log")) < 0)
		return -1;
	oom_begin(0, false); /* its "loaded" lines to stderr */
	int rc = ep_slot_init(&gw.env, &gw.enforced, "enforced", oom_path("agent.scopec"));
	if (rc == 0)
		rc = ep_slot_init(&gw.env, &gw.candidate, "candidate", oom_path("candidate.scopec"));
	oom_end();
	return rc;
}

static void gw_close(void)
{
	ep_slot_fini(&gw.enforced);
	ep_slot_fini(&gw.candidate);
	ep_log_close(gw.env.log);
	close(gw.wake[0]);
	close(gw.wake[1]);
}

/* One connection over the request file; the replies into gw_out and the
 * log into gw_log. */
static void (*gw_faults)(void); /* the write tests' faults, set after opening */

static bool gw_connection(long n, bool persistent)
{
	if (gw_open() < 0)
		return oom_say("oom: gateway: setup failed\n"), false;
	int in = open(oom_path("gw-requests"), O_RDONLY | O_CLOEXEC);
	int out = open(oom_path("gw-replies"), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	oom_begin(n, persistent);
	if (gw_faults)
		gw_faults();
	gw_serve(&gw, in, out);
	oom_write_faults(-1, 0, 0, 0);
	oom_end();
	close(in);
	close(out);
	gw_close();
	oom_read(oom_path("gw-replies"), &gw_out);
	oom_read(oom_path("gw-run.log"), &gw_log);
	return true;
}

static const char *str_field(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

/* The log holds a decision record of REPLY's id with its decision. */
static bool logged(const oom_buf *log, json_t *reply)
{
	const char *s;
	size_t n;
	bool found = false;
	for (size_t i = 0; !found && nth_line(log, i, &s, &n); i++) {
		json_t *r = json_loadb(s, n, 0, NULL);
		found = strcmp(str_field(r, "type"), "decision") == 0 &&
			json_equal(json_object_get(r, "id"), json_object_get(reply, "id")) &&
			strcmp(str_field(r, "decision"), str_field(reply, "decision")) == 0;
		json_decref(r);
	}
	return found;
}

/* Reply I is the reference's, or a deny; an allow or ask is logged. */
static bool gw_reply_ok(size_t i, const char *s, size_t n, bool fired)
{
	const char *r;
	size_t rn;
	bool same = nth_line(&gw_ref, i, &r, &rn) && rn == n && memcmp(r, s, n) == 0;
	if (!same && !fired)
		return oom_say("oom: gateway: reply %zu differs in a clean run: %.*s\n", i + 1, (int)n, s), false;
	json_t *v = json_loadb(s, n, 0, NULL);
	const char *d = str_field(v, "decision");
	bool ok = true;
	if (!same && strcmp(d, "deny") != 0)
		ok = false, oom_say("oom: gateway: reply %zu is not the reference's and not a deny: %.*s\n", i + 1,
				    (int)n, s);
	else if ((strcmp(d, "allow") == 0 || strcmp(d, "ask") == 0) && !logged(&gw_log, v))
		ok = false, oom_say("oom: gateway: reply %zu (%s) was sent but not logged\n", i + 1, d);
	json_decref(v);
	return ok;
}

static bool gw_check(long n)
{
	bool fired = n > 0 && oom_run_fired;
	if (!whole_json_lines("gateway replies", &gw_out) || !whole_json_lines("gateway log", &gw_log))
		return false;
	size_t k = count_lines(&gw_out);
	if (k > count_lines(&gw_ref) || (!fired && k != count_lines(&gw_ref)))
		return oom_say("oom: gateway: %zu replies, the reference has %zu\n", k, count_lines(&gw_ref)), false;
	const char *s;
	size_t len;
	for (size_t i = 0; nth_line(&gw_out, i, &s, &len); i++)
		if (!gw_reply_ok(i, s, len, fired))
			return false;
	return true;
}

static bool run_gateway(void *arg, long n, bool persistent)
{
	(void)arg;
	if (!gw_connection(n, persistent))
		return false;
	if (n == 0) {
		if (getenv("OOM_DUMP"))
			oom_say("replies:\n%s\nlog:\n%s\n", gw_out.s, gw_log.s);
		oom_write_file(oom_gateway_log(), gw_log.s, gw_log.len);
		gw_ref_log_lines = count_lines(&gw_log);
		return oom_keep(&gw_ref, &gw_out) && gw_check(n);
	}
	return gw_check(n);
}

const char *oom_gateway_log(void)
{
	static char path[768];
	if (!path[0])
		snprintf(path, sizeof path, "%s", oom_path("gateway.log"));
	return path;
}

/* ---- the MCP proxy ------------------------------------------------------------------ */

static mcp_ctx mcp;
static char mcp_dir[600];
OOM_BUF(mcp_to_client, 1 << 16);
OOM_BUF(mcp_to_server, 1 << 16);
OOM_BUF(mcp_ref_client, 1 << 16);
OOM_BUF(mcp_ref_server, 1 << 16);

/* The conversation: 'C' from the client, 'S' from the server; @ is the
 * notes directory. */
static const char *const mcp_script[] = {
	"C{\"jsonrpc\":\"2.0\",\"id\":\"c1\",\"method\":\"initialize\",\"params\":{\"capabilities\":{\"elicitation\":{}}}}",
	"S{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{}}}",
	"C{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}",
	"C{\"jsonrpc\":\"2.0\",\"id\":\"c2\",\"method\":\"tools/list\"}",
	"S{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"tools\":[{\"name\":\"read_text_file\"},{\"name\":\"move_file\"},"
	"{\"name\":\"write_file\"}]}}",
	"C{\"jsonrpc\":\"2.0\",\"id\":\"c3\",\"method\":\"tools/call\",\"params\":{\"name\":\"read_text_file\","
	"\"arguments\":{\"path\":\"@/todo.txt\"}}}",
	"C{\"jsonrpc\":\"2.0\",\"id\":\"c4\",\"method\":\"tools/call\",\"params\":{\"name\":\"read_text_file\","
	"\"arguments\":{\"path\":\"@/private/pin.txt\"}}}",
	"C{\"jsonrpc\":\"2.0\",\"id\":\"c5\",\"method\":\"tools/call\",\"params\":{\"name\":\"write_file\","
	"\"arguments\":{\"path\":\"@/drafts/r.md\",\"content\":\"x\"}}}",
	"S{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"todo\"}]}}",
	"S{\"jsonrpc\":\"2.0\",\"id\":\"s1\",\"method\":\"roots/list\"}",
	"C{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"roots\":[]}}",
	"C{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"action\":\"accept\",\"content\":{\"approve\":true}}}",
	"C{\"jsonrpc\":\"2.0\",\"id\":\"c6\",\"method\":\"resources/read\",\"params\":{\"uri\":\"file://@/todo.txt\"}}",
	"C{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":\"c6\"}}",
	"C{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/list\"}",
	"C{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":7}}",
	"C{\"jsonrpc\":",
	"C[{\"jsonrpc\":\"2.0\",\"id\":\"b\",\"method\":\"ping\"}]",
	"S{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{}}",
	"Snot json",
};

static int mcp_open(void)
{
	memset(&mcp, 0, sizeof mcp);
	mcp.cfg = (mcp_config){ .policy = oom_path("notes.scopec"), .task = "notes", .max_line = 1 << 20,
				.max_pending = 64, .ask_timeout_ms = 60000 };
	mcp.env.prog = MCP_PROG;
	mcp.pidfd = -1;
	atomic_init(&mcp.env.log_failures, 0);
	atomic_init(&mcp.watch_stop, false);
	unlink(oom_path("mcp-run.log"));
	if (ep_log_open(&mcp.env.log, oom_path("mcp-run.log")) < 0 || scope_form_create(&mcp.form) < 0 ||
	    scope_scratch_create(&mcp.scr) < 0 || mcp_peer_init(&mcp.client, "client", -1, -1, 1 << 20) < 0 ||
	    mcp_peer_init(&mcp.server, "server", -1, -1, 1 << 20) < 0)
		return -1;
	oom_begin(0, false);
	int rc = ep_slot_init(&mcp.env, &mcp.enforced, "enforced", mcp.cfg.policy);
	oom_end();
	return rc;
}

static void mcp_close(void)
{
	mcp_fail_pending(&mcp, "stopping");
	mcp_peer_fini(&mcp.client);
	mcp_peer_fini(&mcp.server);
	ep_slot_fini(&mcp.enforced);
	scope_form_destroy(mcp.form);
	scope_scratch_destroy(mcp.scr);
	ep_log_close(mcp.env.log);
}

static void mcp_feed(const char *msg)
{
	char line[1024];
	size_t k = 0;
	for (const char *p = msg + 1; *p && k < sizeof line - 700; p++) {
		if (*p == '@')
			k += (size_t)snprintf(line + k, sizeof line - k, "%s", mcp_dir);
		else
			line[k++] = *p;
	}
	if (msg[0] == 'C')
		mcp_from_client(&mcp, line, k);
	else
		mcp_from_server(&mcp, line, k);
}

static void take_queue(const mcp_peer *p, oom_buf *b)
{
	oom_buf q = { p->out.buf ? p->out.buf + p->out.off : "", p->out.len, p->out.len + 1 };
	if (!oom_keep(b, &q))
		b->len = 0;
}

/* A tools/call of the reference with PARAMS (the id may differ: a
 * request that failed earlier took no id). */
static bool ref_call(const json_t *params)
{
	const char *s;
	size_t n;
	bool found = false;
	for (size_t i = 0; !found && nth_line(&mcp_ref_server, i, &s, &n); i++) {
		json_t *v = json_loadb(s, n, 0, NULL);
		found = strcmp(str_field(v, "method"), "tools/call") == 0 &&
			json_equal(json_object_get(v, "params"), params);
		json_decref(v);
	}
	return found;
}

/* What reached the server: whole JSON lines; requests under proxy ids;
 * responses under the server's id; tools/call only as in the reference. */
static bool mcp_server_ok(bool fired)
{
	const char *s;
	size_t n;
	bool ok = true;
	for (size_t i = 0; ok && nth_line(&mcp_to_server, i, &s, &n); i++) {
		json_t *v = json_loadb(s, n, 0, NULL), *id = json_object_get(v, "id");
		const char *method = json_string_value(json_object_get(v, "method"));
		if (method && id && json_integer_value(id) < 1)
			ok = false, oom_say("oom: mcp: a request reached the server without a proxy id\n");
		else if (!method && id && strcmp(str_field(v, "id"), "s1") != 0)
			ok = false, oom_say("oom: mcp: a response reached the server under another id\n");
		else if (method && strcmp(method, "tools/call") == 0 && !ref_call(json_object_get(v, "params")))
			ok = false, oom_say("oom: mcp: a call reached the server that the reference did not send\n");
		else if (method && strcmp(method, "notifications/cancelled") == 0 &&
			 json_integer_value(json_object_get(json_object_get(v, "params"), "requestId")) < 1)
			ok = false, oom_say("oom: mcp: a cancel reached the server without a proxy id\n");
		else if (memmem(s, n, "private", 7))
			ok = false, oom_say("oom: mcp: the denied call reached the server\n");
		if (!ok || (!fired && !has_line(&mcp_ref_server, s, n)))
			ok = false, oom_say("oom: mcp: to the server: %.*s\n", (int)n, s);
		json_decref(v);
	}
	return ok;
}

/* The denied call c4 is answered with a refusal, if at all. */
static bool mcp_client_ok(void)
{
	const char *s;
	size_t n;
	bool ok = true;
	for (size_t i = 0; ok && nth_line(&mcp_to_client, i, &s, &n); i++) {
		json_t *v = json_loadb(s, n, 0, NULL);
		if (strcmp(str_field(v, "id"), "c4") == 0 && !json_object_get(v, "error") &&
		    !json_is_true(json_object_get(json_object_get(v, "result"), "isError")))
			ok = false, oom_say("oom: mcp: the denied call was answered as if it ran: %.*s\n", (int)n, s);
		json_decref(v);
	}
	return ok;
}

static bool run_mcp(void *arg, long n, bool persistent)
{
	(void)arg;
	if (mcp_open() < 0)
		return oom_say("oom: mcp: setup failed\n"), false;
	oom_begin(n, persistent);
	for (size_t i = 0; i < sizeof mcp_script / sizeof mcp_script[0]; i++)
		mcp_feed(mcp_script[i]);
	oom_end();
	take_queue(&mcp.client, &mcp_to_client);
	take_queue(&mcp.server, &mcp_to_server);
	mcp_close();
	if (n == 0 && (!oom_keep(&mcp_ref_client, &mcp_to_client) || !oom_keep(&mcp_ref_server, &mcp_to_server)))
		return false;
	if (n == 0 && getenv("OOM_DUMP"))
		oom_say("to the client:\n%s\nto the server:\n%s\n", mcp_to_client.s, mcp_to_server.s);
	bool fired = n > 0 && oom_run_fired;
	if (!whole_json_lines("mcp to the client", &mcp_to_client) ||
	    !whole_json_lines("mcp to the server", &mcp_to_server) || !mcp_server_ok(fired) || !mcp_client_ok())
		return false;
	if (!fired && !oom_same(&mcp_to_client, &mcp_ref_client))
		return oom_say("oom: mcp: a clean run told the client otherwise:\n%s\n", mcp_to_client.s), false;
	return true;
}

/* ---- reload ------------------------------------------------------------------------ */

/* The slot starts with agent.scopec; reload.scopec (candidate's image)
 * replaces it, or the old one stays. */
static bool run_reload(void *arg, long n, bool persistent)
{
	(void)arg;
	ep_env env = { .prog = "scope-gateway" };
	ep_slot s;
	char path[768];
	snprintf(path, sizeof path, "%s", oom_path("reload.scopec"));
	oom_begin(0, false);
	link(oom_path("agent.scopec"), path);
	bool ok = ep_log_open(&env.log, NULL) == 0 && ep_slot_init(&env, &s, "enforced", path) == 0;
	oom_end();
	if (!ok)
		return oom_say("oom: reload: setup failed\n"), false;
	char old[EP_DIGEST_STR];
	memcpy(old, s.digest, sizeof old);
	unlink(path);
	link(oom_path("candidate.scopec"), path);
	oom_begin(n, persistent);
	int rc = ep_slot_reload(&env, &s, "sighup");
	oom_end();
	ep_pin pin;
	ok = ep_slot_pin(&s, &pin) == 0;
	if (ok) {
		bool now_old = strcmp(pin.digest, old) == 0;
		ok = rc == EP_RELOAD_LOADED ? !now_old : rc == EP_RELOAD_REFUSED && now_old && n > 0;
		ep_slot_unpin(&s, &pin);
	}
	if (!ok)
		oom_say("oom: reload: result %d, and the slot holds %s\n", rc, pin.digest);
	ep_slot_fini(&s);
	ep_log_close(env.log);
	unlink(path);
	return ok;
}

void oom_enforce_sites(oom_site *out, size_t *n)
{
	out[0] = (oom_site){ .name = "gateway connection", .run = run_gateway, .arg = NULL, .dense = OOM_EVERY_N };
	out[1] = (oom_site){ .name = "mcp messages", .run = run_mcp, .arg = NULL, .dense = OOM_EVERY_N };
	out[2] = (oom_site){ .name = "policy reload", .run = run_reload, .arg = NULL, .dense = OOM_EVERY_N };
	*n = 3;
}

/* ---- setup: images, keys, files ------------------------------------------------------ */

static const char hook_bash[] =
	"{\"hook_event_name\":\"PreToolUse\",\"tool_name\":\"Bash\",\"tool_input\":{\"command\":"
	"\"git status && ls src | grep -v x > /work/repo/out.txt; cat \\\"a b\\\"\"},\"cwd\":\"/work/repo\"}\n";
static const char hook_read[] =
	"{\"hook_event_name\":\"PreToolUse\",\"tool_name\":\"Read\",\"tool_input\":"
	"{\"file_path\":\"/work/repo/README.md\"},\"cwd\":\"/work/repo\"}\n";

int oom_enforce_setup(void)
{
	char dir[700], policy[1200];
	char abs[512];
	if (!realpath(oom_path(""), abs))
		return -1;
	snprintf(mcp_dir, sizeof mcp_dir, "%s/notes", abs); /* absolute: relative paths are refused */
	snprintf(dir, sizeof dir, "%s/private", mcp_dir);
	mkdir(mcp_dir, 0755);
	mkdir(dir, 0755);
	snprintf(dir, sizeof dir, "%s/drafts", mcp_dir);
	mkdir(dir, 0755);
	int k = snprintf(policy, sizeof policy,
			 "task notes\n  allows read_text_file %s/**, list_directory %s\n"
			 "  asks write_file %s/drafts/**\n  denies ** %s/private/**\n",
			 mcp_dir, mcp_dir, mcp_dir, mcp_dir);
	unlink(oom_path("key.pem"));
	unlink(oom_path("key.pub.pem"));
	if (oom_write_file(oom_path("notes.scope"), policy, (size_t)k) < 0 ||
	    oom_write_file(oom_path("gw-requests"), gw_requests, sizeof gw_requests - 1) < 0 ||
	    scopec((const char *[]){ "compile", "examples/gateway/agent.scope", "-o", oom_path("agent.scopec"), NULL }) ||
	    scopec((const char *[]){ "compile", "examples/gateway/candidate.scope", "-o", oom_path("candidate.scopec"),
				     NULL }) ||
	    scopec((const char *[]){ "compile", oom_path("notes.scope"), "-o", oom_path("notes.scopec"), NULL }) ||
	    scopec((const char *[]){ "compile", "examples/review/after.scope", "-o", oom_path("regex.scopec"), NULL }) ||
	    scopec((const char *[]){ "compile", "policies/claude-code.scope", "-o", oom_path("claude.scopec"), NULL }) ||
	    oom_write_file(oom_path("hook-bash.json"), hook_bash, sizeof hook_bash - 1) < 0 ||
	    oom_write_file(oom_path("hook-read.json"), hook_read, sizeof hook_read - 1) < 0 ||
	    scopec((const char *[]){ "keygen", "--out", oom_path("key"), NULL }) ||
	    scopec((const char *[]){ "sign", oom_path("agent.scopec"), "--key", oom_path("key.pem"), "-o",
				     oom_path("agent.signed"), NULL }))
		return -1;
	/* the decision log that suggest and shadow-report read */
	return run_gateway(NULL, 0, false) ? 0 : -1;
}

void oom_enforce_teardown(void)
{
}

/* ---- short writes, EINTR, a full disk ------------------------------------------------ */

/* The descriptor of the open file whose path ends in NAME, or -1. */
static int fd_of(const char *name)
{
	char link[64], target[1024];
	for (int fd = 3; fd < 256; fd++) {
		snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
		ssize_t k = readlink(link, target, sizeof target - 1);
		if (k <= 0)
			continue;
		target[k] = '\0';
		size_t n = strlen(name);
		if ((size_t)k >= n && strcmp(target + k - n, name) == 0)
			return fd;
	}
	return -1;
}

static void faults_short(void)
{
	oom_write_faults(OOM_FDS_ALL, 3, 2, 0);
}

static void faults_log_full(void)
{
	oom_write_faults(fd_of("/gw-run.log"), 0, 0, 100);
}

/* Replies and log through writes of at most 3 bytes, every other one
 * EINTR first: the same replies, the same whole lines in the log. */
static bool gw_short_writes(void)
{
	gw_faults = faults_short;
	bool ok = gw_connection(-1, false);
	gw_faults = NULL;
	if (!ok || !whole_json_lines("gateway log (short writes)", &gw_log))
		return false;
	if (!oom_same(&gw_out, &gw_ref))
		return oom_say("oom: writes: the gateway's replies through short writes differ:\n%s\n", gw_out.s), false;
	if (count_lines(&gw_log) != gw_ref_log_lines)
		return oom_say("oom: writes: the log through short writes has %zu lines\n", count_lines(&gw_log)), false;
	return true;
}

/* The disk under the log is full 100 bytes into the first decision: that
 * record is cut back off the file, and every reply is a deny. */
static bool gw_log_full(void)
{
	gw_faults = faults_log_full;
	bool ok = gw_connection(-1, false);
	gw_faults = NULL;
	if (!ok || !whole_json_lines("gateway log (disk full)", &gw_log))
		return false;
	if (count_lines(&gw_log) != 2)
		return oom_say("oom: writes: with the disk full the log has %zu lines\n", count_lines(&gw_log)), false;
	const char *s;
	size_t n, i;
	for (i = 0; nth_line(&gw_out, i, &s, &n); i++)
		if (!memmem(s, n, "\"decision\":\"deny\"", 17))
			return oom_say("oom: writes: a reply without its log record: %.*s\n", (int)n, s), false;
	if (i != count_lines(&gw_ref))
		return oom_say("oom: writes: %zu replies with the log full\n", i), false;
	return true;
}

/* The proxy's queue to the client (the MCP reference) through a file
 * with short writes and EINTR: every byte, in order; a full disk: the
 * peer is gone (-1), nothing is retried forever. */
static bool mcp_flush_faults(size_t chunk, unsigned eintr, size_t full)
{
	OOM_BUF(got, 1 << 16);
	mcp_peer p;
	int fd = open(oom_path("mcp-flush"), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || mcp_peer_init(&p, "client", -1, fd, 1 << 20) < 0 || !mcp_ref_client.len)
		return oom_say("oom: writes: no MCP queue to flush\n"), false;
	mcp_peer_send(&p, mcp_ref_client.s, mcp_ref_client.len - 1);
	oom_write_faults(fd, chunk, eintr, full);
	int rc = 0;
	for (int k = 0; k < 100000 && rc == 0 && p.out.len; k++)
		rc = mcp_peer_flush(&p);
	oom_write_faults(-1, 0, 0, 0);
	close(fd);
	mcp_peer_fini(&p);
	oom_read(oom_path("mcp-flush"), &got);
	if (full)
		return rc == -1 && got.len == full ? true
		       : (oom_say("oom: writes: flush on a full disk: %d, %zu bytes\n", rc, got.len), false);
	if (rc != 0 || !oom_same(&got, &mcp_ref_client))
		return oom_say("oom: writes: the MCP queue through short writes: %d, %zu of %zu bytes\n", rc, got.len,
			       mcp_ref_client.len), false;
	return true;
}

bool oom_write_tests(void)
{
	if (!gw_ref.len && !run_gateway(NULL, 0, false))
		return false;
	if (!mcp_ref_client.len && !run_mcp(NULL, 0, false))
		return false;
	bool ok = gw_short_writes() && gw_log_full() && mcp_flush_faults(5, 3, 0) && mcp_flush_faults(1, 0, 0) &&
		  mcp_flush_faults(0, 0, 100);
	oom_say("oom: %-36s %s\n", "writes (short, EINTR, full)", ok ? "ok" : "FAILED");
	return ok;
}
