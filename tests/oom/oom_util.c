/*
 * oom_util.c — what the sites of tests/oom share: work files, capturing
 * stdout and stderr, buffers that need no allocation (so the driver's own
 * bookkeeping never moves the shim's counts).
 */
#include "oom_sites.h"

#include <jansson.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int oom_report_fd = 2;
long oom_run_count;
bool oom_run_fired;

static char workdir[512];
static int saved_out = -1, saved_err = -1, cap_out = -1, cap_err = -1;
static char stdout_buf[1 << 16];

OOM_BUF(out_buf, 1 << 20);
OOM_BUF(err_buf, 1 << 16);

void oom_say(const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (k > 0)
		(void)!write(oom_report_fd, msg, (size_t)k < sizeof msg ? (size_t)k : sizeof msg - 1);
}

const char *oom_path(const char *name)
{
	static char paths[8][768];
	static unsigned next;
	char *p = paths[next++ % 8];
	snprintf(p, sizeof paths[0], "%s/%s", workdir, name);
	return p;
}

int oom_write_file(const char *path, const char *text, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	bool ok = (size_t)write(fd, text, n) == n;
	return close(fd) == 0 && ok ? 0 : -1;
}

/* All of FD from its start into B (NUL-terminated); its length, or -1. */
static long read_fd(int fd, oom_buf *b)
{
	b->len = 0;
	if (lseek(fd, 0, SEEK_SET) < 0)
		return -1;
	for (;;) {
		ssize_t r = read(fd, b->s + b->len, b->cap - 1 - b->len);
		if (r <= 0)
			break;
		b->len += (size_t)r;
	}
	b->s[b->len] = '\0';
	return (long)b->len;
}

long oom_read(const char *path, oom_buf *b)
{
	b->len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	long n = read_fd(fd, b);
	close(fd);
	return n;
}

bool oom_keep(oom_buf *dst, const oom_buf *src)
{
	if (src->len >= dst->cap)
		return false;
	memcpy(dst->s, src->s, src->len);
	dst->len = src->len;
	dst->s[dst->len] = '\0';
	return true;
}

bool oom_same(const oom_buf *a, const oom_buf *b)
{
	return a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
}

oom_buf *oom_out(void)
{
	return &out_buf;
}

oom_buf *oom_err(void)
{
	return &err_buf;
}

void oom_begin(long n, bool persistent)
{
	fflush(stdout);
	if (ftruncate(cap_out, 0) < 0 || ftruncate(cap_err, 0) < 0 || lseek(cap_out, 0, SEEK_SET) < 0 ||
	    lseek(cap_err, 0, SEEK_SET) < 0)
		oom_say("oom: cannot reset the capture files: %s\n", strerror(errno));
	dup2(cap_out, 1);
	dup2(cap_err, 2);
	oom_arm(n > 0 ? n : 0, persistent);
}

void oom_end(void)
{
	oom_disarm();
	oom_run_count = oom_count();
	oom_run_fired = oom_fired();
	fflush(stdout);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	read_fd(cap_out, &out_buf);
	read_fd(cap_err, &err_buf);
}

int oom_setup(const char *dir)
{
	snprintf(workdir, sizeof workdir, "%s", dir);
	mkdir(workdir, 0755);
	/* jansson's allocations through the shim by name (they already go
	 * there in the default build; in the --wrap build this is the only way) */
	json_set_alloc_funcs(oom_malloc, oom_free);
	oom_exempt_gmp();
	/* stdout's buffer is made here, not by the first run that prints */
	setvbuf(stdout, stdout_buf, _IOFBF, sizeof stdout_buf);
	saved_out = dup(1);
	saved_err = dup(2);
	oom_report_fd = saved_err;
	if (getenv("OOM_TRACE"))
		oom_trace(strtol(getenv("OOM_TRACE"), NULL, 10), saved_err);
	cap_out = open(oom_path("stdout"), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	cap_err = open(oom_path("stderr"), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (saved_out < 0 || saved_err < 0 || cap_out < 0 || cap_err < 0) {
		oom_say("oom: cannot set up %s: %s\n", workdir, strerror(errno));
		return -1;
	}
	return oom_enforce_setup();
}

void oom_teardown(void)
{
	oom_enforce_teardown();
	close(cap_out);
	close(cap_err);
}

const oom_site *oom_sites(size_t *n)
{
	static oom_site all[OOM_MAX_SITES];
	size_t k = 0, m;
	oom_runtime_sites(all + k, &m);
	k += m;
	oom_enforce_sites(all + k, &m);
	k += m;
	oom_compiler_sites(all + k, &m);
	k += m;
	*n = k;
	return all;
}
