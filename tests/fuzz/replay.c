/*
 * replay.c — a main() for a fuzz target without libFuzzer: every file named
 * on the command line, and every file of every directory named (in name
 * order, so a run is reproducible), goes once through
 * LLVMFuzzerTestOneInput.  `make fuzz-replay` (mk/fuzz.mk, part of
 * `make test`) links it with each target and runs the corpus of
 * tests/fuzz/corpus: the crashes the fuzzers found stay tested with gcc
 * alone.  A finding aborts (or crashes), as under libFuzzer; a signal
 * handler names the file being replayed first.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* weak: only some targets set themselves up first (fuzz_image) */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* Reads PATH whole (malloc'd, exactly *LEN bytes: an overread stays one
 * for the sanitizers when this is built with them). */
static uint8_t *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	uint8_t *buf = malloc(cap);
	for (size_t got; buf && (got = fread(buf + n, 1, cap - n, f)) > 0;) {
		n += got;
		if (n == cap)
			buf = realloc(buf, cap *= 2);
	}
	int err = ferror(f);
	fclose(f);
	if (!buf || err) {
		free(buf);
		return NULL;
	}
	uint8_t *exact = malloc(n ? n : 1);
	if (exact)
		memcpy(exact, buf, n);
	free(buf);
	*len = n;
	return exact;
}

static const char *current;

/* Names the input that crashed, then dies of the same signal. */
static void on_crash(int sig)
{
	static const char msg[] = "replay: crashed on ";
	if (current) {
		(void)!write(2, msg, sizeof msg - 1);
		(void)!write(2, current, strlen(current));
		(void)!write(2, "\n", 1);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static int replay_file(const char *path)
{
	size_t len;
	uint8_t *data = read_all(path, &len);
	if (!data) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	current = path;
	LLVMFuzzerTestOneInput(data, len);
	current = NULL;
	free(data);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The regular files of DIR, sorted (malloc'd paths, NULL-terminated). */
static char **list_dir(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	size_t cap = 64;
	char **v = malloc(cap * sizeof *v);
	*n = 0;
	for (struct dirent *e; v && (e = readdir(d)) != NULL;) {
		size_t len = strlen(dir) + strlen(e->d_name) + 2;
		char *p = malloc(len);
		struct stat st;
		snprintf(p, len, "%s/%s", dir, e->d_name);
		if (stat(p, &st) != 0 || !S_ISREG(st.st_mode)) {
			free(p);
			continue;
		}
		if (*n + 1 == cap)
			v = realloc(v, (cap *= 2) * sizeof *v);
		v[(*n)++] = p;
	}
	closedir(d);
	qsort(v, *n, sizeof *v, by_name);
	return v;
}

static int replay_arg(const char *arg, size_t *count)
{
	struct stat st;
	if (stat(arg, &st) != 0) {
		fprintf(stderr, "replay: %s: %s\n", arg, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		++*count;
		return replay_file(arg);
	}
	size_t n;
	char **files = list_dir(arg, &n);
	if (!files) {
		fprintf(stderr, "replay: %s: %s\n", arg, strerror(errno));
		return -1;
	}
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		if (rc == 0 && replay_file(files[i]) == 0)
			++*count;
		else
			rc = -1;
		free(files[i]);
	}
	free(files);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	static const int sigs[] = { SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL };
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		signal(sigs[i], on_crash);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	size_t count = 0;
	int rc = 0;
	for (int i = 1; i < argc; i++)
		rc |= replay_arg(argv[i], &count);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	const char *name = strrchr(argv[0], '/');
	fprintf(stderr, "%s: %zu inputs replayed in %.2f s\n", name ? name + 1 : argv[0], count, s);
	return rc ? 1 : 0;
}
