/*
 * fuzz_form.c — libFuzzer target for request forming (runtime/enforce:
 * canon.c, form.c).  The input is split at the first two 0xff bytes into a
 * working directory, a path or URL, and tool-call arguments (JSON text).
 *
 * Invariants checked, beyond "no crash, no leak, no out-of-bounds":
 *   - a canonical path is absolute, has no empty, "." or ".." component
 *     and no trailing "/" (but "/"), and is its own canonical form;
 *   - a canonical URL is its own canonical form;
 *   - forming succeeds or fails with a documented code, and every formed
 *     request carries the task and a non-empty action.
 */
#include "scope_enforce.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check_path_shape(const char *p, size_t n)
{
	if (n == 0 || p[0] != '/')
		abort();
	if (n > 1 && p[n - 1] == '/')
		abort();
	for (size_t i = 0; i < n; i++) {
		if (p[i] != '/' || i + 1 >= n)
			continue;
		const char *c = p + i + 1;
		size_t cn = strcspn(c, "/");
		if (cn == 0 || (cn == 1 && c[0] == '.') || (cn == 2 && c[0] == '.' && c[1] == '.'))
			abort();
	}
}

static void fuzz_path(const char *path, size_t len, const char *cwd)
{
	char out[PATH_MAX + 1], again[PATH_MAX + 1];
	size_t n = sizeof out;
	int rc = scope_canon_path(path, len, cwd, out, &n);
	if (rc == -SCOPE_EPATH || rc == -SCOPE_ENOSPC || rc == -SCOPE_ENOMEM)
		return;
	if (rc != 0 || n != strlen(out))
		abort();
	check_path_shape(out, n);
	/* idempotent where the file system holds still (not in the trees
	 * that other processes change or that differ per process) */
	if (strncmp(out, "/tmp", 4) == 0 || strncmp(out, "/proc", 5) == 0 || strncmp(out, "/dev", 4) == 0)
		return;
	size_t m = sizeof again;
	if (scope_canon_path(out, n, "/", again, &m) != 0 || m != n || memcmp(out, again, n) != 0) {
		fprintf(stderr, "not idempotent: '%s' -> '%s'\n", out, again);
		abort();
	}
}

static void fuzz_url(const char *url, size_t len)
{
	char out[8192], again[8192];
	size_t n = sizeof out;
	int rc = scope_canon_url(url, len, out, &n);
	if (rc == -SCOPE_EURL || rc == -SCOPE_ENOSPC || rc == -SCOPE_ENOMEM)
		return;
	if (rc != 0 || n != strlen(out))
		abort();
	size_t m = sizeof again;
	rc = scope_canon_url(out, n, again, &m);
	if (strncmp(out, "file:", 5) == 0)
		return; /* its path depends on the file system */
	if (rc != 0 || m != n || memcmp(out, again, n) != 0) {
		fprintf(stderr, "not idempotent: '%.*s' -> '%s' -> '%s'\n", (int)len, url, out, rc ? "(error)" : again);
		abort();
	}
}

static void fuzz_call(const char *args, size_t len, const char *cwd)
{
	scope_form *f;
	if (scope_form_create(&f) < 0)
		return;
	int rc = scope_form_tool_call(f, "t", "tool", args, len, cwd);
	if (rc != 0 && rc != -SCOPE_EINVAL && rc != -SCOPE_EPATH && rc != -SCOPE_EURL && rc != -SCOPE_ENOMEM)
		abort();
	for (size_t i = 0; rc == 0 && i < scope_form_count(f); i++) {
		const scope_request *rq = scope_form_request(f, i);
		if (!rq || rq->task_len != 1 || rq->task[0] != 't' || !rq->action_len)
			abort();
	}
	if (rc == 0 && scope_form_count(f) == 0)
		abort();
	scope_form_destroy(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *a = memchr(data, 0xff, size);
	const uint8_t *b = a ? memchr(a + 1, 0xff, size - (size_t)(a + 1 - data)) : NULL;
	size_t cwd_len = a ? (size_t)(a - data) : 0;
	char *cwd = malloc(cwd_len + 2);
	if (!cwd)
		return 0;
	cwd[0] = '/'; /* mostly absolute; a relative cwd is tested by the unit tests */
	memcpy(cwd + 1, data, cwd_len);
	cwd[cwd_len + 1] = '\0';
	if (strlen(cwd) != cwd_len + 1) {
		free(cwd);
		return 0;
	}
	const char *mid = a ? (const char *)a + 1 : (const char *)data;
	size_t mid_len = b ? (size_t)(b - (const uint8_t *)mid) : size - (size_t)((const uint8_t *)mid - data);
	fuzz_path(mid, mid_len, cwd);
	fuzz_url(mid, mid_len);
	if (b)
		fuzz_call((const char *)b + 1, size - (size_t)(b + 1 - data), cwd);
	free(cwd);
	return 0;
}
