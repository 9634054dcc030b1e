/*
 * hook_bench.c — `make hook-bench`: wall time of one `scopec hook
 * claude-code` process (start, load, decide, answer, exit), as Claude Code
 * pays it before every tool call.
 *
 *   hook-bench SCOPEC [ROUNDS]
 *
 * Writes a 1 000-item policy, compiles it, then runs ROUNDS rounds; each
 * round spawns, in turn, /bin/cat (the floor: what any process that reads
 * its stdin costs on this machine), the hook on the source policy, on the
 * bytecode, and on the bytecode with a decision log, each fed the same Bash
 * event.  Interleaving keeps them under the same machine load; medians
 * and p99 are printed with the ratio to the floor.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define ITEMS 1000

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double quantile(double *v, size_t n, double q)
{
	qsort(v, n, sizeof *v, cmp_double);
	size_t i = (size_t)(q * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

/* Runs ARGV with EVENT on stdin, output discarded; wall time in µs, or
 * -1 if it did not exit 0. */
static double run_once(char *const argv[], const char *event)
{
	int in[2];
	if (pipe(in) != 0)
		return -1;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_addclose(&fa, in[1]);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	double t0 = now_us();
	pid_t pid;
	int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	if (rc != 0) {
		close(in[1]);
		return -1;
	}
	size_t n = strlen(event);
	ssize_t w = write(in[1], event, n); /* small: fits in the pipe */
	close(in[1]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	double t = now_us() - t0;
	return w == (ssize_t)n && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? t : -1;
}

static int write_policy(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "task claude-coder\n");
	for (int i = 0; i < ITEMS / 2; i++)
		fprintf(f, "  allows bash \"tool%d **\"\n  allows fs.read /work/repo/dir%d/**\n", i, i);
	fprintf(f, "task * denies ** /root/**\n");
	return fclose(f);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: hook-bench SCOPEC [ROUNDS]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	int rounds = argc > 2 ? atoi(argv[2]) : 300;
	char dir[] = "/tmp/scope-hook-bench-XXXXXX", src[64], img[64], cmd[256];
	if (!mkdtemp(dir))
		return 2;
	snprintf(src, sizeof src, "%s/p.scope", dir);
	snprintf(img, sizeof img, "%s/p.scopec", dir);
	snprintf(cmd, sizeof cmd, "'%s' compile %s -o %s", argv[1], src, img);
	if (write_policy(src) != 0 || system(cmd) != 0)
		return 2;
	const char *event = "{\"session_id\":\"b\",\"hook_event_name\":\"PreToolUse\",\"tool_name\":\"Bash\","
			    "\"tool_input\":{\"command\":\"tool499 -x tests && tool7 run > /work/repo/dir3/out\"},"
			    "\"cwd\":\"/work/repo\"}";
	char *floor_argv[] = { "/bin/cat", NULL }; /* reads the event too */
	char *src_argv[] = { argv[1], "hook", "claude-code", src, "--task", "claude-coder", NULL };
	char *img_argv[] = { argv[1], "hook", "claude-code", img, "--task", "claude-coder", NULL };
	char logpath[64];
	snprintf(logpath, sizeof logpath, "%s/decisions.log", dir);
	char *log_argv[] = { argv[1], "hook", "claude-code", img, "--task", "claude-coder", "--log", logpath, NULL };
	enum { NRUNS = 4 };
	char *const *runs[NRUNS] = { floor_argv, src_argv, img_argv, log_argv };
	const char *names[NRUNS] = { "/bin/cat (process floor)", "hook, source policy", "hook, bytecode policy",
				     "hook, bytecode + --log" };
	double *t[NRUNS];
	for (int k = 0; k < NRUNS; k++)
		t[k] = calloc((size_t)rounds, sizeof(double));
	for (int r = 0; r < rounds; r++)
		for (int k = 0; k < NRUNS; k++)
			if ((t[k][r] = run_once(runs[k], event)) < 0) {
				fprintf(stderr, "hook-bench: %s failed\n", names[k]);
				return 1;
			}
	printf("scopec hook claude-code, %d-item policy, Bash event of 2 commands + 1 redirection, %d rounds\n",
	       ITEMS, rounds);
	printf("%-28s %12s %12s %10s\n", "", "median (ms)", "p99 (ms)", "x floor");
	double floor_med = quantile(t[0], (size_t)rounds, 0.5);
	for (int k = 0; k < NRUNS; k++) {
		double med = quantile(t[k], (size_t)rounds, 0.5), p99 = quantile(t[k], (size_t)rounds, 0.99);
		printf("%-28s %12.3f %12.3f %10.2f\n", names[k], med / 1e3, p99 / 1e3, med / floor_med);
	}
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : 1;
}
