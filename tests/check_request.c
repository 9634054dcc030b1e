/* check_request.c — the eval request syntax and JSON requests. */
#include "suites.h"
#include "request.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static sc_reqparse rp;

static int line(const char *s)
{
	return sc_request_parse_line(&rp, s, strlen(s));
}

static bool is(sc_str s, const char *want)
{
	return sc_str_eq(s, sc_str_c(want));
}

START_TEST(tokens)
{
	sc_reqparse_init(&rp);
	ck_assert_int_eq(line("triage read forum.general.42"), 1);
	ck_assert(is(rp.rq.task, "triage") && is(rp.rq.action, "read") && is(rp.rq.resource, "forum.general.42"));
	ck_assert_int_eq(line("  t\tpost   forum.help channel=internal  "), 1);
	ck_assert_int_eq(rp.rq.nattrs, 1);
	ck_assert(is(rp.rq.attrs[0].key, "channel") && is(rp.rq.attrs[0].value, "internal"));
	ck_assert_int_eq(line("t a k=v"), 1); /* no resource: attribute */
	ck_assert(is(rp.rq.resource, ""));
	ck_assert_int_eq(rp.rq.nattrs, 1);
	ck_assert_int_eq(line("t a \"\" k=v"), 1);
	ck_assert(is(rp.rq.resource, ""));
	ck_assert_int_eq(line("t a \"x=y\""), 1); /* quoted: a resource */
	ck_assert(is(rp.rq.resource, "x=y"));
	ck_assert_int_eq(rp.rq.nattrs, 0);
	ck_assert_int_eq(line("\"my task\" \"do \\\"it\\\"\" \"a\\\\b\" k=\"a b\" e= u=x=y"), 1);
	ck_assert(is(rp.rq.task, "my task") && is(rp.rq.action, "do \"it\"") && is(rp.rq.resource, "a\\b"));
	ck_assert(is(rp.rq.attrs[0].value, "a b") && is(rp.rq.attrs[1].value, "") && is(rp.rq.attrs[2].value, "x=y"));
	ck_assert_int_eq(line("t a=b c"), 1); /* task and action are never attributes */
	ck_assert(is(rp.rq.action, "a=b"));
	ck_assert_int_eq(line(""), 0);
	ck_assert_int_eq(line("   \t "), 0);
	sc_reqparse_fini(&rp);
}
END_TEST

START_TEST(malformed)
{
	sc_reqparse_init(&rp);
	ck_assert_int_eq(line("t"), -1);
	ck_assert_int_eq(line("t \"\""), -1);
	ck_assert_ptr_nonnull(strstr(rp.err, "action must not be empty"));
	ck_assert_int_eq(line("t a \"open"), -1);
	ck_assert_ptr_nonnull(strstr(rp.err, "unterminated"));
	ck_assert_int_eq(rp.errcol, 5);
	ck_assert_int_eq(line("t a \"bad\\n\""), -1);
	ck_assert_ptr_nonnull(strstr(rp.err, "invalid escape"));
	ck_assert_int_eq(line("t a r k=1 k=2"), -1);
	ck_assert_ptr_nonnull(strstr(rp.err, "given twice"));
	ck_assert_int_eq(line("t a r k=1 stray"), -1);
	ck_assert_int_eq(rp.errcol, 11);
	ck_assert_int_eq(line("t a r =v"), -1);
	ck_assert_int_eq(sc_request_parse_line(&rp, "t a\0b", 5), -1);
	ck_assert_ptr_nonnull(strstr(rp.err, "NUL"));
	/* a line with 100k attributes is refused quickly, not checked pairwise */
	size_t cap = 16 + 100000 * 12, o = 0;
	char *big = malloc(cap);
	o += (size_t)snprintf(big + o, cap - o, "t a r");
	for (int i = 0; i < 100000; i++)
		o += (size_t)snprintf(big + o, cap - o, " k%d=v", i);
	ck_assert_int_eq(sc_request_parse_line(&rp, big, o), -1);
	ck_assert_ptr_nonnull(strstr(rp.err, "too many attributes"));
	free(big);
	sc_reqparse_fini(&rp);
}
END_TEST

static int json(const char *s)
{
	return sc_request_parse_json(&rp, s, strlen(s));
}

START_TEST(json_requests)
{
	sc_reqparse_init(&rp);
	ck_assert_int_eq(json("{\"task\":\"t\",\"action\":\"post\",\"resource\":\"f.h\",\"context\":{\"channel\":\"internal\"}}"), 1);
	ck_assert(is(rp.rq.task, "t") && is(rp.rq.resource, "f.h") && rp.rq.nattrs == 1);
	ck_assert_int_eq(json("{\"task\":\"t\",\"action\":\"read\"}"), 1);
	ck_assert(is(rp.rq.resource, ""));
	ck_assert_int_eq(json("  "), 0);
	ck_assert_int_eq(json("{\"task\":\"t\"}"), -1);
	ck_assert_int_eq(json("{\"task\":\"t\",\"action\":\"\"}"), -1);
	ck_assert_int_eq(json("{\"task\":1,\"action\":\"a\"}"), -1);
	ck_assert_int_eq(json("{\"task\":\"t\",\"action\":\"a\",\"contxt\":{}}"), -1);
	ck_assert_int_eq(json("{\"task\":\"t\",\"action\":\"a\",\"context\":{\"n\":5}}"), -1);
	ck_assert_int_eq(json("{\"task\":\"t\",\"action\":\"a\",\"task\":\"u\"}"), -1); /* duplicate */
	ck_assert_int_eq(json("{\"task\":\"t\\u0000x\",\"action\":\"a\"}"), -1);
	ck_assert_int_eq(json("[1,2]"), -1);
	ck_assert_int_eq(json("{\"task\":"), -1);
	sc_reqparse_fini(&rp);
}
END_TEST

/* ---- the stream (sc_request_stream) -------------------------------------- */

typedef struct seen {
	char first[64];         /* the first request, as "TASK ACTION RESOURCE" */
	int n, bad;
} seen;

static void seen_decide(void *ctx, const sc_request *rq)
{
	seen *s = ctx;
	if (s->n++ == 0)
		snprintf(s->first, sizeof s->first, "%.*s %.*s %.*s", (int)rq->task.n, rq->task.s,
			 (int)rq->action.n, rq->action.s, (int)rq->resource.n, rq->resource.s);
}

static void seen_malformed(void *ctx, const sc_reqparse *p)
{
	(void)p;
	((seen *)ctx)->bad++;
}

/* The stream's diagnostics go to stderr; keep them out of the test log. */
static int stream_quietly(int fd, seen *s)
{
	sc_request_sink sink = { seen_decide, seen_malformed, s };
	fflush(stderr);
	int saved = dup(2), null = open("/dev/null", O_WRONLY);
	ck_assert(saved >= 0 && null >= 0);
	dup2(null, 2);
	close(null);
	int status = sc_request_stream(fd, false, &sink);
	dup2(saved, 2);
	close(saved);
	return status;
}

START_TEST(stream_cut_by_read_error)
{
	/* a unix socket closed with unread data in its own queue: its peer
	 * reads what was sent, then gets ECONNRESET */
	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert(write(sv[1], "t read a\nt read a/secret", 24) == 24);
	ck_assert(write(sv[0], "x", 1) == 1);
	close(sv[1]);
	seen s = { 0 };
	ck_assert_int_eq(stream_quietly(sv[0], &s), 1);
	close(sv[0]);
	ck_assert_int_eq(s.n, 1);
	ck_assert_str_eq(s.first, "t read a");
	ck_assert_int_eq(s.bad, 1); /* "t read a/secret" may be a prefix: deny */
}
END_TEST

static void *write_requests(void *arg)
{
	int fd = *(int *)arg;
	for (int i = 0; i < 1000; i++)
		if (write(fd, "t read r\n", 9) != 9)
			break; /* the reader counts what arrived */
	close(fd);
	return NULL;
}

START_TEST(stream_nonblocking)
{
	/* a descriptor left O_NONBLOCK: EAGAIN is waited out, not the end */
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, write_requests, &p[1]), 0);
	seen s = { 0 };
	ck_assert_int_eq(stream_quietly(p[0], &s), 0);
	pthread_join(t, NULL);
	close(p[0]);
	ck_assert_int_eq(s.n, 1000);
	ck_assert_int_eq(s.bad, 0);
}
END_TEST

Suite *sc_suite_request(void)
{
	Suite *s = suite_create("request");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, tokens);
	tcase_add_test(tc, malformed);
	tcase_add_test(tc, json_requests);
	tcase_add_test(tc, stream_cut_by_read_error);
	tcase_add_test(tc, stream_nonblocking);
	suite_add_tcase(s, tc);
	return s;
}
