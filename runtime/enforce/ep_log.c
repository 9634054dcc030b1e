/*
 * ep_log.c — the decision log: JSON Lines appended to a file.
 *
 * Each request's records are serialised by the deciding thread, outside
 * any lock, into one buffer; the lock covers one write(2) of that buffer
 * to an O_APPEND descriptor.  So records are never interleaved, a reader
 * of the file sees whole lines, and a deciding thread waits at most for
 * other threads' single writes (a few microseconds each), never for JSON
 * work.  Every record is written before the reply that it explains, so an
 * allowed action is in the log before the agent can carry it out.
 */
#include "ep.h"

#include <pthread.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct ep_log {
	pthread_mutex_t mu;
	int fd;                  /* guarded by mu */
	bool on;                 /* a file was given (fixed at open) */
	char *path;
};

int ep_log_open(ep_log **out, const char *path)
{
	ep_log *l = calloc(1, sizeof *l);
	if (!l)
		return -1;
	pthread_mutex_init(&l->mu, NULL);
	l->fd = -1;
	if (path) {
		l->path = strdup(path);
		l->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (!l->path || l->fd < 0) {
			ep_log_close(l);
			return -1;
		}
		l->on = true;
	}
	*out = l;
	return 0;
}

void ep_log_close(ep_log *l)
{
	if (!l)
		return;
	if (l->fd >= 0)
		close(l->fd);
	pthread_mutex_destroy(&l->mu);
	free(l->path);
	free(l);
}

int ep_log_reopen(ep_log *l)
{
	if (!l->path)
		return 0;
	int fd = open(l->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		return -1;
	pthread_mutex_lock(&l->mu);
	int old = l->fd;
	l->fd = fd;
	pthread_mutex_unlock(&l->mu);
	close(old);
	return 0;
}

/* ep_write_all, and how many bytes went out (*DONE), also on failure. */
static bool write_counted(int fd, const char *buf, size_t n, size_t *done)
{
	*done = 0;
	while (n) {
		ssize_t w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		buf += w;
		n -= (size_t)w;
		*done += (size_t)w;
	}
	return true;
}

bool ep_write_all(int fd, const char *buf, size_t n)
{
	size_t done;
	return write_counted(fd, buf, n, &done);
}

/* After a write of the log failed part-way (a full disk): the DONE bytes
 * of it that reached the file are cut off again, so that the log never
 * holds a cut line -- a reader would take it for a corrupt record, and the
 * next record would be glued to it.  Under the log mutex; only this
 * process appends to the file. */
static void cut_back(int fd, size_t done)
{
	struct stat st;
	if (done && fstat(fd, &st) == 0 && (size_t)st.st_size >= done)
		(void)!ftruncate(fd, st.st_size - (off_t)done);
}

char *ep_json_dumps(const json_t *v, size_t flags)
{
	int saved = errno;
	errno = 0;
	char *s = json_dumps(v, flags);
	if (s && errno == ENOMEM) {
		free(s);
		s = NULL;
	}
	if (s)
		errno = saved;
	return s;
}

bool ep_log_on(const ep_log *l)
{
	return l && l->on;
}

/* Appends "RECORD\n" to *BUF (grown as needed).  False on failure. */
static bool append_record(char **buf, size_t *len, size_t *cap, const json_t *rec)
{
	char *line = ep_json_dumps(rec, JSON_COMPACT | JSON_REAL_PRECISION(6));
	if (!line)
		return false;
	size_t n = strlen(line);
	if (*len + n + 1 > *cap) {
		size_t c = (*cap ? *cap : 512);
		while (c < *len + n + 1)
			c *= 2;
		char *b = realloc(*buf, c);
		if (!b) {
			free(line);
			return false;
		}
		*buf = b;
		*cap = c;
	}
	memcpy(*buf + *len, line, n);
	(*buf)[*len + n] = '\n';
	*len += n + 1;
	free(line);
	return true;
}

int ep_log_records(ep_log *l, json_t *const *recs, size_t n)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	bool ok = true;
	for (size_t i = 0; i < n; i++) {
		if (recs[i] && l && l->on && ok)
			ok = append_record(&buf, &len, &cap, recs[i]);
		json_decref(recs[i]);
	}
	if (ok && len) {
		size_t done;
		pthread_mutex_lock(&l->mu);
		ok = write_counted(l->fd, buf, len, &done);
		if (!ok)
			cut_back(l->fd, done);
		pthread_mutex_unlock(&l->mu);
	}
	free(buf);
	return ok ? 0 : -1;
}

void ep_log_time(char buf[32])
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

json_t *ep_log_record(const char *type)
{
	char t[32];
	ep_log_time(t);
	json_t *r = json_object();
	json_object_set_new(r, "type", json_string(type));
	json_object_set_new(r, "time", json_string(t));
	return r;
}

json_t *ep_json_text(const char *s, size_t n)
{
	json_t *v = json_stringn(s, n);
	if (v)
		return v;
	char *c = malloc(n + 1);
	if (!c)
		return json_string("?");
	for (size_t i = 0; i < n; i++)
		c[i] = (unsigned char)s[i] >= 0x80 || s[i] == '\0' ? '?' : s[i];
	v = json_stringn(c, n);
	free(c);
	return v ? v : json_string("?");
}
