/*
 * oom_main.c — allocation-failure injection over scope (`make oom`).
 *
 *   oom-driver WORKDIR [SITE...]
 *
 * For every site (a piece of the product that allocates: compiling each
 * policy of policies/, loading an image (from memory, a file, signed,
 * with a regex), scope_scratch_create, one gateway connection, a scripted
 * MCP conversation, a policy reload, scopec fmt, diff, suggest,
 * shadow-report and the Claude Code hook) the driver first runs it cleanly, keeping its output
 * as the reference and its number of allocations, then again with
 * allocation N failing, for N = 1, 2, ... (oom_shim.c), once failing that
 * one allocation only and once failing every allocation from N on
 * ("persistent").  After each run:
 *   - nothing leaked: the shim's live block count is back where it was;
 *   - the run ended cleanly: either its output is exactly the reference
 *     (the failure was absorbed), or it reported an error -- and where a
 *     decision was due, that decision is a deny;
 *   - and it never crashed (a crash prints the site and N, then dies).
 *
 * Cost: every N up to OOM_DENSE (every N for the in-process sites, which
 * make < 1300 allocations; 60 for the other scopec commands, a fork per
 * run; 6 for `scopec compile`, whose runs cost up to 0.5 s and number
 * 70 000 to 210 000 allocations), then OOM_SPARSE (60; 25 for scopec; 1
 * for compile) more N spread evenly up to the last allocation of the
 * clean run, and that last one; persistent mode the same with a quarter
 * of each (of at most 300 dense).  OOM_DENSE / OOM_SPARSE in the environment
 * set both for every site, OOM_FORK_DENSE / OOM_FORK_SPARSE for the
 * forked (scopec) sites only.  OOM_FULL=1 runs every N in both modes (hours
 * for the compile sites: pick sites by name on the command line).
 * The compile sites (one clean run each; the child checks every run for
 * leaks itself) skip the last allocation, whose run is a whole compile.
 * OOM_TRACE=N prints the stack of the allocation that fails at N, and
 * OOM_DUMP=1 the gateway's and the proxy's reference output.  The runs are deterministic: one
 * process, the same inputs, the same allocation sequence every time.
 *
 * Then short writes and EINTR (ld --wrap=write) on the decision log, the
 * gateway's replies and the proxy's queues, and a full disk under the log.
 */
#include "oom_sites.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct {
	const char *site;
	long n;
	bool persistent;
} now;

static void on_crash(int sig)
{
	char msg[256];
	int k = snprintf(msg, sizeof msg, "oom: CRASH (signal %d) in site %s at N=%ld%s\n", sig,
			 now.site ? now.site : "?", now.n, now.persistent ? " (persistent)" : "");
	if (k > 0)
		(void)!write(oom_report_fd, msg, (size_t)k);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Seconds since the driver started. */
static double seconds(void)
{
	static struct timespec t0;
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	if (!t0.tv_sec)
		t0 = t;
	return (double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9;
}

static long env_long(const char *name, long dflt)
{
	const char *s = getenv(name);
	return s && *s ? strtol(s, NULL, 10) : dflt;
}

/* The next N after N in a run over TOTAL allocations; LAST: the last
 * allocation is always one. */
static long next_n(long n, long total, long dense, long sparse, bool full, bool last)
{
	if (full || n < dense)
		return n + 1;
	long stride = sparse > 0 ? (total - dense) / sparse : total;
	if (stride < 1)
		stride = 1;
	if (n + stride >= total)
		return n < total && last ? total : total + 1;
	return n + stride;
}

/* One mode over a site: false on the first failure. */
static bool sweep(const oom_site *s, long total, bool persistent, long dense, long sparse, bool full,
		  long *runs)
{
	now.persistent = persistent;
	for (long n = 1; n <= total; n = next_n(n, total, dense, sparse, full, !s->one_clean)) {
		now.n = n;
		long live = oom_live();
		bool ok = s->run(s->arg, n, persistent);
		(*runs)++;
		if (oom_live() != live) {
			oom_say("oom: LEAK in site %s at N=%ld%s: %ld blocks (%zd bytes) more than before\n",
				s->name, n, persistent ? " (persistent)" : "", oom_live() - live,
				(ssize_t)oom_live_bytes());
			ok = false;
		}
		if (!ok) {
			oom_say("oom: FAIL in site %s at N=%ld%s\n", s->name, n, persistent ? " (persistent)" : "");
			return false;
		}
		if (!oom_run_fired) {
			oom_say("oom: FAIL in site %s: N=%ld of %ld allocations did not fire (not deterministic)\n",
				s->name, n, total);
			return false;
		}
	}
	return true;
}

static bool run_site(const oom_site *s, long *runs)
{
	bool full = env_long("OOM_FULL", 0) != 0;
	long dense = s->dense ? s->dense : 150, sparse = s->sparse ? s->sparse : 60;
	dense = env_long(s->forked ? "OOM_FORK_DENSE" : "OOM_DENSE", env_long("OOM_DENSE", dense));
	sparse = env_long(s->forked ? "OOM_FORK_SPARSE" : "OOM_SPARSE", env_long("OOM_SPARSE", sparse));
	now.site = s->name;
	now.n = 0;
	now.persistent = false;
	/* the reference, then a second clean run: same output, no leak (one-time
	 * caches of libc are made by the first) */
	if (!s->run(s->arg, 0, false))
		return oom_say("oom: FAIL in site %s: the clean run failed\n", s->name), false;
	long live = oom_live(), total = oom_run_count;
	if (!s->one_clean && (!s->run(s->arg, -1, false) || oom_live() != live || oom_run_count != total))
		return oom_say("oom: FAIL in site %s: a second clean run differs or leaks\n", s->name), false;
	/* persistent failures take the same paths as single ones after the
	 * first, mostly: a quarter of the points, the dense part at most 75 */
	if (!sweep(s, total, false, dense, sparse, full, runs) ||
	    !sweep(s, total, true, (dense < 300 ? dense : 300) / 4, sparse / 4, full, runs))
		return false;
	oom_say("oom: %-36s %6ld allocations, %5ld runs so far, %5.1f s\n", s->name, total, *runs, seconds());
	return true;
}

static bool wanted(const char *name, int argc, char **argv)
{
	if (argc <= 2)
		return true;
	for (int i = 2; i < argc; i++)
		if (strstr(name, argv[i]))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: oom-driver WORKDIR [SITE...]\n");
		return 2;
	}
	signal(SIGSEGV, on_crash);
	signal(SIGBUS, on_crash);
	signal(SIGABRT, on_crash);
	signal(SIGFPE, on_crash);
	signal(SIGPIPE, SIG_IGN);
	seconds();
	if (oom_setup(argv[1]) < 0)
		return 2;
	size_t nsites;
	const oom_site *sites = oom_sites(&nsites);
	long runs = 0;
	int failed = 0;
	for (size_t i = 0; i < nsites; i++)
		if (wanted(sites[i].name, argc, argv) && !run_site(&sites[i], &runs))
			failed++;
	now.site = "writes";
	if (wanted("writes", argc, argv) && !oom_write_tests())
		failed++;
	oom_say("oom: %ld runs, %d failed sites\n", runs, failed);
	oom_teardown();
	return failed ? 1 : 0;
}
