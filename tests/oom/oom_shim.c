/*
 * oom_shim.c — the failing allocator and write(2) of tests/oom (see
 * oom_shim.h).  Single-threaded use: the driver runs one site at a time,
 * and the code under test starts no thread.
 */
#include "oom_shim.h"

#include <errno.h>
#include <execinfo.h>
#include <gmp.h>
#include <jansson.h>
#include <stdio.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef OOM_WRAP
#define SHIM(f) __wrap_##f
#define REAL(f) __real_##f
void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);
#else
#define SHIM(f) f
#define REAL(f) __libc_##f
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t k, size_t n);
void *__libc_realloc(void *p, size_t n);
void __libc_free(void *p);
void *__libc_memalign(size_t align, size_t n);
#endif
ssize_t __real_write(int fd, const void *buf, size_t n);
ssize_t __wrap_write(int fd, const void *buf, size_t n);

static struct {
	long target;             /* fail allocation number TARGET (0: none) */
	bool persistent;
	long count;              /* allocations since oom_arm */
	bool fired;
	long live;
	size_t live_bytes;
} st;

void oom_arm(long n, bool persistent)
{
	st.target = n;
	st.persistent = persistent;
	st.count = 0;
	st.fired = false;
}

void oom_disarm(void)
{
	st.target = 0;
}

long oom_count(void)
{
	return st.count;
}

bool oom_fired(void)
{
	return st.fired;
}

#ifdef OOM_WRAP
/* Under ASan the product's calls are wrapped, but libc's and the
 * libraries' are not, and a block of realpath() or getline() freed by the
 * product would unbalance a count of our own: ASan's count of the bytes
 * allocated now is exact for every block of the process. */
size_t __sanitizer_get_current_allocated_bytes(void);

long oom_live(void)
{
	return (long)__sanitizer_get_current_allocated_bytes();
}

size_t oom_live_bytes(void)
{
	return __sanitizer_get_current_allocated_bytes();
}
#else
long oom_live(void)
{
	return st.live;
}

size_t oom_live_bytes(void)
{
	return st.live_bytes;
}
#endif

static long trace_at;
static int trace_fd = -1;

void oom_trace(long n, int fd)
{
	void *warm[4];
	backtrace(warm, 4); /* loads libgcc's unwinder now, not inside a run */
	trace_at = n;
	trace_fd = fd;
}

/* True if this allocation is to fail. */
static bool fail_now(void)
{
	st.count++;
	if (st.count == st.target && st.count == trace_at) { /* the one that fails */
		void *frames[32];
		backtrace_symbols_fd(frames, backtrace(frames, 32), trace_fd);
	}
	if (!st.target || (st.count != st.target && !(st.persistent && st.count > st.target)))
		return false;
	st.fired = true;
	errno = ENOMEM;
	return true;
}

static void *note_new(void *p)
{
	if (p) {
		st.live++;
		st.live_bytes += malloc_usable_size(p);
	}
	return p;
}

static void note_gone_size(size_t n)
{
	st.live--;
	st.live_bytes -= n;
}

static void note_gone(void *p)
{
	if (p) {
		st.live--;
		st.live_bytes -= malloc_usable_size(p);
	}
}

void *SHIM(malloc)(size_t n)
{
	return fail_now() ? NULL : note_new(REAL(malloc)(n));
}

void *SHIM(calloc)(size_t k, size_t n)
{
	return fail_now() ? NULL : note_new(REAL(calloc)(k, n));
}

void *SHIM(realloc)(void *p, size_t n)
{
	if (fail_now())
		return NULL; /* P stays valid, as realloc promises */
	size_t old = p ? malloc_usable_size(p) : 0;
	void *q = REAL(realloc)(p, n);
	if (!q) {
		if (p && !n) /* glibc: realloc(P, 0) frees P */
			note_gone_size(old);
		return NULL;
	}
	if (!p) {
		st.live++;
	}
	st.live_bytes += malloc_usable_size(q) - old;
	return q;
}

void SHIM(free)(void *p)
{
	note_gone(p);
	REAL(free)(p);
}

char *SHIM(strdup)(const char *s)
{
	size_t n = strlen(s) + 1;
	char *c = SHIM(malloc)(n);
	return c ? memcpy(c, s, n) : NULL;
}

char *SHIM(strndup)(const char *s, size_t max)
{
	size_t n = strnlen(s, max);
	char *c = SHIM(malloc)(n + 1);
	if (!c)
		return NULL;
	memcpy(c, s, n);
	c[n] = '\0';
	return c;
}

#ifndef OOM_WRAP
/* Counted like malloc, so that free of their blocks balances; never
 * failed (nothing of the project asks for aligned memory). */
void *memalign(size_t align, size_t n)
{
	return note_new(__libc_memalign(align, n));
}

void *aligned_alloc(size_t align, size_t n)
{
	return note_new(__libc_memalign(align, n));
}

int posix_memalign(void **out, size_t align, size_t n)
{
	void *p = note_new(__libc_memalign(align, n));
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

void *valloc(size_t n)
{
	return note_new(__libc_memalign((size_t)sysconf(_SC_PAGESIZE), n));
}
#endif

void *oom_malloc(size_t n)
{
	return SHIM(malloc)(n);
}

void oom_free(void *p)
{
	SHIM(free)(p);
}

/* ---- write(2) ------------------------------------------------------------- */

static struct {
	int fd;
	size_t chunk, full_after, written;
	unsigned eintr_every, calls;
	bool full;
} wf = { -1, 0, 0, 0, 0, 0, false };

void oom_write_faults(int fd, size_t chunk, unsigned eintr_every, size_t full_after)
{
	wf.fd = fd;
	wf.chunk = chunk;
	wf.eintr_every = eintr_every;
	wf.full_after = full_after;
	wf.written = 0;
	wf.calls = 0;
	wf.full = false;
}

ssize_t __wrap_write(int fd, const void *buf, size_t n)
{
	if (wf.fd == -1 || (wf.fd == OOM_FDS_ALL ? fd < 3 : fd != wf.fd))
		return __real_write(fd, buf, n);
	if (wf.eintr_every && ++wf.calls % wf.eintr_every == 0) {
		errno = EINTR;
		return -1;
	}
	if (wf.full) {
		errno = ENOSPC;
		return -1;
	}
	if (wf.chunk && n > wf.chunk)
		n = wf.chunk;
	if (wf.full_after && wf.written + n >= wf.full_after) {
		n = wf.full_after - wf.written;
		wf.full = true;
		if (!n) {
			errno = ENOSPC;
			return -1;
		}
	}
	ssize_t w = __real_write(fd, buf, n);
	if (w > 0)
		wf.written += (size_t)w;
	return w;
}

/* ---- GMP ------------------------------------------------------------------ */

/* GMP (under Nettle's Ed25519, the signed load) answers a failed
 * allocation with abort(): its contract, which no caller can change
 * without a process-wide hook of its own.  Its allocations bypass the
 * shim, so that the rest of the signed load is what gets failed. */
static void *gmp_alloc(size_t n)
{
	return REAL(malloc)(n);
}

static void *gmp_realloc(void *p, size_t old, size_t n)
{
	(void)old;
	return REAL(realloc)(p, n);
}

static void gmp_free(void *p, size_t n)
{
	(void)n;
	REAL(free)(p);
}

void oom_exempt_gmp(void)
{
	mp_set_memory_functions(gmp_alloc, gmp_realloc, gmp_free);
}

/* ---- jansson's loader ------------------------------------------------------ */

/* jansson 2.14's lexer asserts (abort) when some allocations of a string
 * token fail: it does not check strbuffer_append_byte.  That is jansson's
 * bug, not the product's, and the product cannot avoid it; so the shim
 * makes json_loadb (ld --wrap) fail as a correct loader would: when the
 * N-th allocation falls inside a call, the call runs with nothing failing
 * and then returns NULL, error "out of memory", errno ENOMEM. */
json_t *__real_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *error);
json_t *__wrap_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *error);

json_t *__wrap_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *error)
{
	long target = st.target, from = st.count;
	bool persistent = st.persistent;
	if (!target || (target <= from && !persistent))
		return __real_json_loadb(buf, len, flags, error);
	st.target = 0;
	json_t *v = __real_json_loadb(buf, len, flags, error);
	st.target = target;
	if (st.count < target && !(persistent && target <= from))
		return v;
	json_decref(v);
	st.fired = true;
	if (error) {
		memset(error, 0, sizeof *error);
		snprintf(error->text, sizeof error->text, "%s", "out of memory");
		error->text[JSON_ERROR_TEXT_LENGTH - 1] = (char)json_error_out_of_memory;
	}
	errno = ENOMEM;
	return NULL;
}
