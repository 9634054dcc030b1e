/*
 * oom_sites.h — the sites of tests/oom and what they share.
 *
 * A site's run(ARG, N, PERSISTENT): N == 0 is the reference run (it keeps
 * the output), N < 0 a clean run checked against it, N > 0 a run with
 * allocation N failing.  It does its own setup and teardown outside the
 * armed window (oom_begin .. oom_end) and returns false, after saying why,
 * if the run broke a rule (see oom_main.c).
 */
#ifndef OOM_SITES_H
#define OOM_SITES_H

#include "oom_shim.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct oom_site {
	const char *name;
	bool (*run)(void *arg, long n, bool persistent);
	void *arg;
	long dense, sparse;      /* this site's OOM_DENSE / OOM_SPARSE (0: those) */
	bool forked;             /* a child per run (OOM_FORK_DENSE / _SPARSE) */
	bool one_clean;          /* an expensive site: no second clean run (each
				  * run checks itself), no run at the last N */
} oom_site;

/* What the last run did: allocations, and whether one was failed (set by
 * oom_end, or by a site that ran in a child). */
extern long oom_run_count;
extern bool oom_run_fired;

/* The driver's own messages (to the real stderr, whatever is captured). */
extern int oom_report_fd;
void oom_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Work files: WORKDIR/NAME. */
const char *oom_path(const char *name);
int oom_setup(const char *workdir);
void oom_teardown(void);
const oom_site *oom_sites(size_t *n);
bool oom_write_tests(void);

/* Arms the shim for a run of N (nothing fails when N <= 0) and captures
 * stdout and stderr into files; oom_end stops both. */
void oom_begin(long n, bool persistent);
void oom_end(void);

/* A captured or written file, read into a buffer of the caller (static
 * storage: no allocation); its length, or -1. */
typedef struct oom_buf {
	char *s;
	size_t len, cap;
} oom_buf;
long oom_read(const char *path, oom_buf *b);
/* What the last run wrote to stdout / stderr. */
oom_buf *oom_out(void);
oom_buf *oom_err(void);
/* Copies SRC into DST (a reference); false if it does not fit. */
bool oom_keep(oom_buf *dst, const oom_buf *src);
bool oom_same(const oom_buf *a, const oom_buf *b);
int oom_write_file(const char *path, const char *text, size_t n);

/* The sites, by file. */
void oom_compiler_sites(oom_site *out, size_t *n);
void oom_runtime_sites(oom_site *out, size_t *n);
void oom_enforce_sites(oom_site *out, size_t *n);
int oom_enforce_setup(void);
void oom_enforce_teardown(void);
/* The gateway's reference decision log (input of suggest). */
const char *oom_gateway_log(void);

#define OOM_MAX_SITES 64
/* A site's dense bound that covers every N of any small site. */
#define OOM_EVERY_N 1000000
#define OOM_BUF(name, size) static char name##_mem[size]; static oom_buf name = { name##_mem, 0, size }

#endif
