/*
 * oom_shim.h — allocation-failure injection for tests/oom (SQLite's
 * test_malloc idea): count allocations, fail the N-th one (and, in
 * persistent mode, every one after it), and keep the live count and
 * bytes so the driver can tell a leak after every failed run without
 * LeakSanitizer.
 *
 * Two builds of the same file:
 *   default    malloc, calloc, realloc, free, strdup, strndup and the
 *              aligned allocators are replaced for the whole process
 *              (glibc lets a program replace malloc, and its own
 *              functions -- fopen, realpath, PCRE2, jansson -- then use the
 *              replacement), on top of __libc_malloc & co.
 *   OOM_WRAP   the same functions as __wrap_* over __real_* (ld --wrap):
 *              only the objects linked into the driver are affected.  The
 *              sanitizer build uses it, since ASan owns malloc itself.
 *
 * It also wraps write(2) (ld --wrap=write, both builds) for short writes,
 * EINTR and a full disk, on the descriptors the driver names.
 */
#ifndef OOM_SHIM_H
#define OOM_SHIM_H

#include <stdbool.h>
#include <stddef.h>

/* Fail the N-th allocation from now (1-based; 0: none); PERSISTENT: also
 * every later one.  Counting starts at this call. */
void oom_arm(long n, bool persistent);
/* No more failures; the count stays readable. */
void oom_disarm(void);
/* Allocations since oom_arm, and whether one was failed. */
long oom_count(void);
bool oom_fired(void);
/* Blocks that are allocated now, and their usable bytes (OOM_WRAP: both
 * are the bytes ASan counts as allocated). */
long oom_live(void);
size_t oom_live_bytes(void);
/* The shim's own allocator, for json_set_alloc_funcs. */
void *oom_malloc(size_t n);
void oom_free(void *p);

/* When allocation N of an armed run is made, its stack to FD (OOM_TRACE). */
void oom_trace(long n, int fd);

/* GMP's allocations (it aborts when one fails) bypass the shim. */
void oom_exempt_gmp(void);

/* write(2) faults on FD (-1: none; OOM_FDS_ALL: every fd from 3 up, not
 * stdin, stdout or stderr): every write is cut to at most CHUNK
 * bytes (0: not cut); every EINTR_EVERY-th call fails with EINTR first (0:
 * never); after FULL_AFTER bytes in all (0: no limit) a write that would
 * go over writes what fits and the next one fails with ENOSPC. */
#define OOM_FDS_ALL (-2)
void oom_write_faults(int fd, size_t chunk, unsigned eintr_every, size_t full_after);

#endif
