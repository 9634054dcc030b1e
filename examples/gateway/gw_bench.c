/*
 * gw_bench.c — `make gateway-bench`: throughput of scope-gateway over its
 * Unix socket with 1, 2 and 4 client threads, and reload latency.
 *
 *   gw-bench --gateway build/scope-gateway --scopec ./scopec [--seconds S]
 *
 * Throughput: each client thread has its own connection and sends one
 * request, waits for its reply, sends the next (an agent waits for the
 * decision before acting); "pipelined" keeps 32 requests in flight per
 * connection.  The gateway writes its decision log to a file (--log) unless
 * the row says "no log".
 *
 * Reload latency: the policy file is replaced (rename) by a version that
 * decides a probe request differently, SIGHUP is sent, and the probe is
 * repeated until the answer changes: the time from kill() to that answer.
 * For a .scope source this includes running `scopec compile`; for
 * bytecode only read, verify and swap.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

static const char *gateway, *scopec;
static char dir[64], sock_path[100];
static double seconds = 2.0;

static const char policy_a[] =
	"task agent\n"
	"  allows read forum.**, read docs.**\n"
	"  asks   post forum.** when channel == \"internal\"\n"
	"  denies delete **\n"
	"task * denies ** secrets.**\n";
static const char policy_b[] = /* the probe (post forum.x, no channel) flips deny -> allow */
	"task agent\n"
	"  allows read forum.**, read docs.**, post forum.**\n"
	"  denies delete **\n"
	"task * denies ** secrets.**\n";

static const char request[] =
	"{\"id\":1,\"task\":\"agent\",\"action\":\"read\",\"resource\":\"forum.general.42\","
	"\"context\":{\"channel\":\"internal\"}}\n";
static const char probe[] = "{\"id\":2,\"task\":\"agent\",\"action\":\"post\",\"resource\":\"forum.x\"}\n";

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "gw-bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int connect_gw(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock_path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void send_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);
		if (w <= 0)
			die("write");
		s += w;
		n -= (size_t)w;
	}
}

/* Reads replies until K newlines have arrived; the last line into LAST. */
typedef struct conn {
	int fd;
	char buf[65536];
	size_t len;
} conn;

static void read_replies(conn *c, int k, char *last, size_t lastsz)
{
	while (k > 0) {
		char *nl;
		while (k > 0 && (nl = memchr(c->buf, '\n', c->len))) {
			size_t n = (size_t)(nl - c->buf) + 1;
			if (k == 1 && last)
				snprintf(last, lastsz, "%.*s", (int)n - 1, c->buf);
			memmove(c->buf, c->buf + n, c->len - n);
			c->len -= n;
			k--;
		}
		if (!k)
			break;
		ssize_t r = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
		if (r <= 0)
			die("read (the gateway hung up)");
		c->len += (size_t)r;
	}
}

static pid_t start_gateway(const char *policy, bool log)
{
	char logp[400];
	snprintf(logp, sizeof logp, "%s/decisions.log", dir);
	unlink(logp);
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, 2);
		if (log)
			execl(gateway, gateway, "--policy", policy, "--socket", sock_path, "--scopec", scopec,
			      "--poll-ms", "0", "--log", logp, (char *)NULL);
		else
			execl(gateway, gateway, "--policy", policy, "--socket", sock_path, "--scopec", scopec,
			      "--poll-ms", "0", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 1000; i++) {
		int fd = connect_gw();
		if (fd >= 0) {
			close(fd);
			return pid;
		}
		usleep(5000);
	}
	fprintf(stderr, "gw-bench: the gateway did not start\n");
	exit(1);
}

static void stop_gateway(pid_t pid)
{
	int st;
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
}

/* ---- throughput --------------------------------------------------------- */

typedef struct worker {
	pthread_t t;
	int window;
	double until;
	unsigned long done;
} worker;

static atomic_bool go;

static void *run_worker(void *arg)
{
	worker *w = arg;
	conn *c = calloc(1, sizeof *c);
	c->fd = connect_gw();
	if (c->fd < 0)
		die("connect");
	char batch[64 * sizeof request];
	size_t n = 0;
	for (int i = 0; i < w->window; i++, n += sizeof request - 1)
		memcpy(batch + n, request, sizeof request - 1);
	char last[512];
	while (!atomic_load(&go))
		;
	while (now() < w->until) {
		send_all(c->fd, batch, n);
		read_replies(c, w->window, last, sizeof last);
		w->done += (unsigned long)w->window;
	}
	if (!strstr(last, "\"decision\":\"allow\""))
		fprintf(stderr, "gw-bench: unexpected reply %s\n", last);
	close(c->fd);
	free(c);
	return NULL;
}

static double throughput(int threads, int window)
{
	worker w[16];
	atomic_store(&go, false);
	double until = now() + 0.05 + seconds;
	for (int i = 0; i < threads; i++) {
		w[i] = (worker){ .window = window, .until = until };
		pthread_create(&w[i].t, NULL, run_worker, &w[i]);
	}
	usleep(50000);
	double t0 = now();
	atomic_store(&go, true);
	unsigned long total = 0;
	for (int i = 0; i < threads; i++) {
		pthread_join(w[i].t, NULL);
		total += w[i].done;
	}
	return (double)total / (now() - t0);
}

/* ---- reload latency ------------------------------------------------------ */

static void write_file(const char *path, const void *data, size_t n)
{
	char tmp[600];
	snprintf(tmp, sizeof tmp, "%s.new", path);
	FILE *f = fopen(tmp, "wb");
	if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0)
		die(tmp);
	if (rename(tmp, path) != 0)
		die("rename");
}

static void *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		die(path);
	static char buf[1 << 20];
	*n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	void *p = malloc(*n);
	memcpy(p, buf, *n);
	return p;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Alternates PATH between A and B (N bytes each) ROUNDS times. */
static void reload_latency(const char *label, const char *path, const void *a, size_t na, const void *b,
			   size_t nb)
{
	enum { ROUNDS = 20 };
	write_file(path, a, na);
	pid_t pid = start_gateway(path, true);
	conn *c = calloc(1, sizeof *c);
	c->fd = connect_gw();
	double ms[ROUNDS];
	char last[512];
	for (int r = 0; r < ROUNDS; r++) {
		bool to_b = r % 2 == 0;
		const char *want = to_b ? "\"decision\":\"allow\"" : "\"decision\":\"deny\"";
		write_file(path, to_b ? b : a, to_b ? nb : na);
		double t0 = now();
		kill(pid, SIGHUP);
		unsigned long probes = 0;
		do {
			send_all(c->fd, probe, sizeof probe - 1);
			read_replies(c, 1, last, sizeof last);
			probes++;
		} while (!strstr(last, want) && now() - t0 < 5);
		ms[r] = (now() - t0) * 1e3;
		usleep(20000);
	}
	close(c->fd);
	free(c);
	stop_gateway(pid);
	qsort(ms, ROUNDS, sizeof *ms, cmp_double);
	printf("  %-34s median %6.2f ms   p90 %6.2f ms   max %6.2f ms   (%d reloads)\n", label,
	       ms[ROUNDS / 2], ms[ROUNDS * 9 / 10], ms[ROUNDS - 1], ROUNDS);
}

int main(int argc, char **argv)
{
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--gateway") == 0)
			gateway = argv[i + 1];
		else if (strcmp(argv[i], "--scopec") == 0)
			scopec = argv[i + 1];
		else if (strcmp(argv[i], "--seconds") == 0)
			seconds = atof(argv[i + 1]);
	}
	if (!gateway || !scopec) {
		fprintf(stderr, "usage: gw-bench --gateway BIN --scopec BIN [--seconds S]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof dir, "/tmp/gw-bench-XXXXXX");
	if (!mkdtemp(dir))
		die("mkdtemp");
	snprintf(sock_path, sizeof sock_path, "%s/gw.sock", dir);
	char src[400], bca[400], bcb[400], cmd[2000];
	snprintf(src, sizeof src, "%s/policy.scope", dir);
	write_file(src, policy_b, sizeof policy_b - 1);
	snprintf(bcb, sizeof bcb, "%s/b.scopec", dir);
	snprintf(cmd, sizeof cmd, "%s compile %s -o %s", scopec, src, bcb);
	if (system(cmd) != 0)
		die("scopec compile");
	write_file(src, policy_a, sizeof policy_a - 1);
	snprintf(bca, sizeof bca, "%s/a.scopec", dir);
	snprintf(cmd, sizeof cmd, "%s compile %s -o %s", scopec, src, bca);
	if (system(cmd) != 0)
		die("scopec compile");

	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	printf("scope-gateway over a Unix socket (%ld CPUs; clients and gateway share them), %.1f s per row\n",
	       cpus, seconds);
	static const struct { bool log; int window; const char *what; } rows[] = {
		{ true, 1, "one request in flight, decision log on" },
		{ false, 1, "one request in flight, no log" },
		{ true, 32, "32 pipelined per connection, log on" },
	};
	for (size_t r = 0; r < sizeof rows / sizeof *rows; r++) {
		pid_t pid = start_gateway(src, rows[r].log);
		printf("  %-40s", rows[r].what);
		for (int t = 1; t <= 4; t *= 2)
			printf("  %d thr: %7.0f req/s", t, throughput(t, rows[r].window));
		putchar('\n');
		fflush(stdout);
		stop_gateway(pid);
	}
	printf("reload latency (SIGHUP to the first reply from the new policy)\n");
	size_t na, nb;
	void *a = slurp(bca, &na), *b = slurp(bcb, &nb);
	char bcp[400];
	snprintf(bcp, sizeof bcp, "%s/policy.scopec", dir);
	reload_latency("bytecode (read, verify, swap)", bcp, a, na, b, nb);
	reload_latency("source (+ scopec compile)", src, policy_a, sizeof policy_a - 1, policy_b,
		       sizeof policy_b - 1);
	free(a);
	free(b);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : 1;
}
