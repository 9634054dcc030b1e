/*
 * mcp_io.c — bytes in and out of the two peers, never blocking: input is
 * cut into lines (one JSON-RPC message each, MCP's stdio framing), output
 * waits in a queue until the pipe takes it.  Both are bounded: a line may
 * be at most max_line bytes (a longer one is reported and skipped up to
 * its newline), and the loop stops reading while a queue that the input
 * could feed is over MCP_QUEUE_HIGH (mcp_loop.c).
 */
#include "mcp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MCP_READ_CHUNK 65536u

int mcp_set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return -1;
	fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	return fcntl(fd, F_SETFL, fl);
}

int mcp_peer_init(mcp_peer *p, const char *name, int rfd, int wfd, size_t max_line)
{
	memset(p, 0, sizeof *p);
	p->name = name;
	p->rfd = rfd;
	p->wfd = wfd;
	p->max_line = max_line;
	p->rcap = MCP_READ_CHUNK;
	p->rbuf = malloc(p->rcap);
	return p->rbuf ? 0 : -1;
}

void mcp_peer_fini(mcp_peer *p)
{
	free(p->rbuf);
	free(p->out.buf);
	p->rbuf = p->out.buf = NULL;
}

/* Room for one more read: drop consumed bytes, grow up to the limit. */
static int make_room(mcp_peer *p)
{
	if (p->rstart) {
		memmove(p->rbuf, p->rbuf + p->rstart, p->rlen - p->rstart);
		p->rlen -= p->rstart;
		p->rstart = 0;
	}
	if (p->rcap - p->rlen >= MCP_READ_CHUNK / 4)
		return 0;
	size_t cap = p->rcap * 2;
	if (cap > p->max_line + MCP_READ_CHUNK + 1)
		cap = p->max_line + MCP_READ_CHUNK + 1;
	if (cap <= p->rcap)
		return 0; /* at the limit; mcp_peer_line() will cut the line */
	char *b = realloc(p->rbuf, cap);
	if (!b)
		return -1;
	p->rbuf = b;
	p->rcap = cap;
	return 0;
}

int mcp_peer_read(mcp_peer *p)
{
	if (p->eof)
		return -1;
	if (make_room(p) < 0 || p->rcap == p->rlen) {
		p->eof = true; /* out of memory: treat as a hang-up (fail closed) */
		return -1;
	}
	for (;;) {
		ssize_t r = read(p->rfd, p->rbuf + p->rlen, p->rcap - p->rlen);
		if (r > 0) {
			p->rlen += (size_t)r;
			return (int)r;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		p->eof = true;
		return -1;
	}
}

int mcp_peer_line(mcp_peer *p, char **line, size_t *n)
{
	for (;;) {
		char *s = p->rbuf + p->rstart;
		size_t have = p->rlen - p->rstart;
		char *nl = have ? memchr(s, '\n', have) : NULL;
		if (nl) {
			size_t k = (size_t)(nl - s);
			p->rstart += k + 1;
			if (p->discard) { /* the end of a line already refused */
				p->discard = false;
				continue;
			}
			if (k > p->max_line)
				return -1;
			if (k && s[k - 1] == '\r')
				k--;
			*line = s;
			*n = k;
			return 1;
		}
		if (!p->discard && have > p->max_line) {
			p->discard = true; /* refuse it now, skip the rest as it comes */
			p->rstart = p->rlen = 0;
			return -1;
		}
		if (p->discard)
			p->rstart = p->rlen = 0;
		if (p->eof && have && !p->discard) { /* a last line without newline */
			p->rstart = p->rlen;
			*line = s;
			*n = have;
			return 1;
		}
		return 0;
	}
}

static int reserve(mcp_queue *q, size_t more)
{
	if (q->off && q->off + q->len + more > q->cap) {
		memmove(q->buf, q->buf + q->off, q->len);
		q->off = 0;
	}
	if (q->len + more <= q->cap)
		return 0;
	size_t cap = q->cap ? q->cap : 4096;
	while (cap < q->len + more)
		cap *= 2;
	char *b = realloc(q->buf, cap);
	if (!b)
		return -1;
	q->buf = b;
	q->cap = cap;
	return 0;
}

void mcp_peer_send(mcp_peer *p, const char *s, size_t n)
{
	if (p->gone)
		return;
	if (reserve(&p->out, n + 1) < 0) {
		/* out of memory: this peer can no longer be told the truth */
		fprintf(stderr, MCP_PROG ": out of memory queueing for the %s; closing it\n", p->name);
		p->gone = true;
		return;
	}
	memcpy(p->out.buf + p->out.off + p->out.len, s, n);
	p->out.buf[p->out.off + p->out.len + n] = '\n';
	p->out.len += n + 1;
}

void mcp_peer_send_json(mcp_peer *p, json_t *msg)
{
	char *s = msg ? ep_json_dumps(msg, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	json_decref(msg);
	if (!s) {
		fprintf(stderr, MCP_PROG ": cannot serialise a message for the %s\n", p->name);
		return;
	}
	mcp_peer_send(p, s, strlen(s));
	free(s);
}

int mcp_peer_flush(mcp_peer *p)
{
	mcp_queue *q = &p->out;
	while (q->len && !p->gone) {
		ssize_t w = write(p->wfd, q->buf + q->off, q->len);
		if (w > 0) {
			q->off += (size_t)w;
			q->len -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		p->gone = true; /* EPIPE and the like: the peer hung up */
	}
	if (!q->len)
		q->off = 0;
	if (p->gone) {
		q->off = q->len = 0;
		return -1;
	}
	return 0;
}

bool mcp_peer_full(const mcp_peer *p)
{
	return p->out.len > MCP_QUEUE_HIGH;
}
