/*
 * mcp_loop.c — the relay: one thread, poll() over both peers.
 *
 * Back-pressure instead of buffering: a client line can produce output
 * for the server (a forwarded request) or for the client (an answer the
 * proxy gives itself), so client input is read only while both queues
 * are under MCP_QUEUE_HIGH; server input only while the client's queue
 * is.  A peer that stops reading therefore stops the other side's input
 * at the pipe, and memory stays bounded (queues, one line buffer each).
 *
 * Ends: the client closing its input (EOF) closes the server's input once
 * everything queued for it is written; the server then has 5 s to exit
 * before SIGTERM, 5 s more before SIGKILL.  A client that is gone (write
 * fails: EPIPE, SIGPIPE is ignored) is handled the same way.  When the
 * server's output ends or the server exits (pidfd), every request still
 * waiting gets an error, the client's queue is written out (for at most
 * 5 s), and the proxy exits with the server's status (128+N for signal N).
 */
#include "mcp.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MCP_GRACE_MS 5000.0

double mcp_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Handles the complete lines of P until none is left or a queue its
 * messages could go to is full; true if it stopped for the queue. */
static bool drain_lines(mcp_ctx *m, mcp_peer *p)
{
	bool client = p == &m->client;
	char *line;
	size_t n;
	for (;;) {
		if (mcp_peer_full(&m->client) || (client && mcp_peer_full(&m->server)))
			return true;
		int r = mcp_peer_line(p, &line, &n);
		if (r == 0)
			return false;
		if (r < 0)
			mcp_oversized(m, p);
		else if (client)
			mcp_from_client(m, line, n);
		else
			mcp_from_server(m, line, n);
	}
}

typedef struct endgame {
	bool server_in_closed;
	double term_at, kill_at;     /* 0: not scheduled */
	bool term_sent, kill_sent;
} endgame;

static void close_server_input(mcp_ctx *m, endgame *e)
{
	if (e->server_in_closed)
		return;
	close(m->server.wfd);
	m->server.wfd = -1;
	m->server.gone = true;
	e->server_in_closed = true;
	e->term_at = mcp_now_ms() + MCP_GRACE_MS;
}

static void escalate(mcp_ctx *m, endgame *e)
{
	double now = mcp_now_ms();
	if (m->server_exited)
		return;
	if (e->term_at && !e->term_sent && now >= e->term_at) {
		kill(m->pid, SIGTERM);
		e->term_sent = true;
		e->kill_at = now + MCP_GRACE_MS;
	}
	if (e->kill_at && !e->kill_sent && now >= e->kill_at) {
		kill(m->pid, SIGKILL);
		e->kill_sent = true;
	}
}

static int timeout_ms(mcp_ctx *m, const endgame *e, int ask_ms)
{
	double now = mcp_now_ms(), t = ask_ms;
	double next = !e->term_sent && e->term_at ? e->term_at : !e->kill_sent && e->kill_at ? e->kill_at : 0;
	if (next && !m->server_exited) {
		double left = next - now < 0 ? 0 : next - now + 1;
		if (t < 0 || left < t)
			t = left;
	}
	return (int)t;
}

static void reap(mcp_ctx *m, bool block)
{
	if (m->server_exited)
		return;
	int st;
	pid_t r;
	while ((r = waitpid(m->pid, &st, block ? 0 : WNOHANG)) < 0 && errno == EINTR)
		;
	if (r == m->pid) {
		m->server_exited = true;
		m->server_status = st;
	}
}

static void on_wake(mcp_ctx *m, endgame *e)
{
	char buf[64];
	ssize_t r = read(m->wake[0], buf, sizeof buf);
	for (ssize_t i = 0; i < r; i++) {
		if (buf[i] == 'r' && m->initialized) /* the visible tools may have changed */
			mcp_reply(m, json_pack("{s:s,s:s}", "jsonrpc", "2.0", "method",
					       "notifications/tools/list_changed"));
		if (buf[i] == 's' && !m->stopping) {
			m->stopping = true;
			m->client.eof = true;
			close_server_input(m, e);
			e->term_at = mcp_now_ms(); /* now: we were told to stop */
		}
	}
}

/* The server is done: what it still wrote is read, the waiting requests
 * fail, the client's queue is written (bounded time), the server reaped. */
static int finish(mcp_ctx *m, endgame *e)
{
	while (!drain_lines(m, &m->server) && mcp_peer_read(&m->server) > 0)
		; /* until EOF, EAGAIN (a child of the server holds the pipe) or a full queue */
	drain_lines(m, &m->server);
	close_server_input(m, e);
	/* the server's status for the message: its output usually ends
	 * because it exits, so give the exit a moment to be seen */
	for (int i = 0; i < 20 && !m->server_exited; i++) {
		reap(m, false);
		if (!m->server_exited)
			poll(NULL, 0, 10);
	}
	char why[160];
	if (m->server_exited && WIFEXITED(m->server_status))
		snprintf(why, sizeof why, MCP_PROG ": the MCP server exited (status %d) before answering",
			 WEXITSTATUS(m->server_status));
	else if (m->server_exited && WIFSIGNALED(m->server_status))
		snprintf(why, sizeof why, MCP_PROG ": the MCP server was killed by signal %d before answering",
			 WTERMSIG(m->server_status));
	else
		snprintf(why, sizeof why, MCP_PROG ": the MCP server closed its output before answering");
	mcp_fail_pending(m, why);
	double until = mcp_now_ms() + MCP_GRACE_MS;
	while (m->client.out.len && !m->client.gone && mcp_now_ms() < until) {
		struct pollfd pf = { m->client.wfd, POLLOUT, 0 };
		if (poll(&pf, 1, 100) > 0)
			mcp_peer_flush(&m->client);
	}
	while (!m->server_exited) {
		reap(m, false);
		if (m->server_exited)
			break;
		if (!e->term_at)
			e->term_at = mcp_now_ms() + MCP_GRACE_MS;
		escalate(m, e);
		poll(NULL, 0, 20);
	}
	int st = m->server_status;
	return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 1;
}

int mcp_run(mcp_ctx *m)
{
	endgame e = { 0 };
	bool stall_c = false, stall_s = false;
	for (;;) {
		stall_c = drain_lines(m, &m->client);
		stall_s = drain_lines(m, &m->server);
		int ask_ms = mcp_ask_expire(m);
		mcp_peer_flush(&m->client);
		mcp_peer_flush(&m->server);
		/* a stall that the flush just ended: take the next lines now, for
		 * with an empty queue nothing below would wake us for them */
		if ((stall_c && !mcp_peer_full(&m->client) && !mcp_peer_full(&m->server)) ||
		    (stall_s && !mcp_peer_full(&m->client)))
			continue;
		if (m->client.gone)
			m->client.eof = true; /* nobody to answer: stop taking requests */
		if (m->client.eof && !stall_c && (!m->server.out.len || m->server.gone))
			close_server_input(m, &e);
		if (m->server.eof || m->server_exited)
			return finish(m, &e);
		escalate(m, &e);
		struct pollfd pf[6] = {
			{ !m->client.eof && !stall_c ? m->client.rfd : -1, POLLIN, 0 },
			{ m->client.out.len && !m->client.gone ? m->client.wfd : -1, POLLOUT, 0 },
			{ !stall_s ? m->server.rfd : -1, POLLIN, 0 },
			{ m->server.out.len && !m->server.gone ? m->server.wfd : -1, POLLOUT, 0 },
			{ m->pidfd, POLLIN, 0 },
			{ m->wake[0], POLLIN, 0 },
		};
		int n = poll(pf, 6, timeout_ms(m, &e, ask_ms));
		if (n < 0 && errno != EINTR) {
			perror(MCP_PROG ": poll");
			return finish(m, &e);
		}
		if (n <= 0)
			continue;
		if (pf[0].revents)
			(void)mcp_peer_read(&m->client);
		if (pf[2].revents)
			(void)mcp_peer_read(&m->server);
		if (pf[1].revents & (POLLERR | POLLHUP | POLLNVAL))
			m->client.gone = true, m->client.out.len = 0;
		if (pf[3].revents & (POLLERR | POLLHUP | POLLNVAL))
			m->server.gone = true, m->server.out.len = 0;
		if (pf[4].revents)
			reap(m, false);
		if (pf[5].revents)
			on_wake(m, &e);
	}
}
