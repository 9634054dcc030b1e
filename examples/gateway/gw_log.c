/*
 * gw_log.c — the decision log: JSON Lines appended to a file.
 *
 * Each request's records are serialised by the deciding thread, outside
 * any lock, into one buffer; the lock covers one write(2) of that buffer
 * to an O_APPEND descriptor.  So records are never interleaved, a reader
 * of the file sees whole lines, and a deciding thread waits at most for
 * other threads' single writes (a few microseconds each), never for JSON
 * work.  Every record is written before the reply that it explains, so an
 * allowed action is in the log before the agent can carry it out.
 */
#include "gw.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct gw_log {
	pthread_mutex_t mu;
	int fd;                  /* guarded by mu */
	bool on;                 /* a file was given (fixed at open) */
	char *path;
};

int gw_log_open(gw_log **out, const char *path)
{
	gw_log *l = calloc(1, sizeof *l);
	if (!l)
		return -1;
	pthread_mutex_init(&l->mu, NULL);
	l->fd = -1;
	if (path) {
		l->path = strdup(path);
		l->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (!l->path || l->fd < 0) {
			gw_log_close(l);
			return -1;
		}
		l->on = true;
	}
	*out = l;
	return 0;
}

void gw_log_close(gw_log *l)
{
	if (!l)
		return;
	if (l->fd >= 0)
		close(l->fd);
	pthread_mutex_destroy(&l->mu);
	free(l->path);
	free(l);
}

int gw_log_reopen(gw_log *l)
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

bool gw_write_all(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		buf += w;
		n -= (size_t)w;
	}
	return true;
}

int gw_log_records(gw_log *l, json_t *const *recs, size_t n)
{
	char *line[4];
	size_t len[4], total = 0;
	int rc = 0;
	if (n > 4)
		n = 4;
	for (size_t i = 0; i < n; i++) {
		line[i] = l->on && recs[i] ? json_dumps(recs[i], JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
		len[i] = line[i] ? strlen(line[i]) : 0;
		total += len[i] + 1;
		if (recs[i] && l->on && !line[i])
			rc = -1;
		json_decref(recs[i]);
	}
	char *buf = l->on && rc == 0 ? malloc(total) : NULL;
	if (buf) {
		size_t o = 0;
		for (size_t i = 0; i < n; i++) {
			if (!line[i])
				continue;
			memcpy(buf + o, line[i], len[i]);
			o += len[i];
			buf[o++] = '\n';
		}
		pthread_mutex_lock(&l->mu);
		if (!gw_write_all(l->fd, buf, o))
			rc = -1;
		pthread_mutex_unlock(&l->mu);
	} else if (l->on) {
		rc = -1;
	}
	free(buf);
	for (size_t i = 0; i < n; i++)
		free(line[i]);
	return rc;
}

void gw_log_time(char buf[32])
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

json_t *gw_log_record(const char *type)
{
	char t[32];
	gw_log_time(t);
	json_t *r = json_object();
	json_object_set_new(r, "type", json_string(type));
	json_object_set_new(r, "time", json_string(t));
	return r;
}

json_t *gw_json_text(const char *s, size_t n)
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
