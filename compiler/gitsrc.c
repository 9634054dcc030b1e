/* gitsrc.c — see gitsrc.h.
 *
 * git is a child process reached over pipes (posix_spawnp: no shell, so no
 * quoting of revisions or paths).  Short questions (rev-parse) run one
 * process each and are reaped before returning; the file contents come
 * from one `git cat-file --batch --follow-symlinks` that lives until
 * sc_git_close.  Every failure is reported to the caller, which makes it
 * exit status 2: a revision that cannot be read is never compared.
 */
#include "gitsrc.h"
#include "arena.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

struct sc_git {
	bool probed;          /* the repository question was asked */
	bool in_repo;
	char prefix[4096];    /* `git rev-parse --show-prefix`: cwd below the top */
	char probe_err[512];  /* why there is no repository (git's words) */
	pid_t pid;            /* the cat-file child; 0 = not started */
	int to;               /* its stdin */
	FILE *from;           /* its stdout */
	bool broken;          /* the batch protocol is out of step: no more reads */
	struct sigaction old_pipe;
};

/* ---- paths ----------------------------------------------------------- */

bool sc_git_split(const char *arg, size_t *revlen)
{
	const char *colon = strchr(arg, ':');
	if (!colon || colon == arg || arg[0] == '-' || arg[0] == '/' || strncmp(arg, "./", 2) == 0)
		return false;
	*revlen = (size_t)(colon - arg);
	return true;
}

/* Appends component C (N bytes) to OUT, or removes the last one for "..". */
static bool push_component(char *out, size_t *len, const char *c, size_t n)
{
	if (n == 0 || (n == 1 && c[0] == '.'))
		return true;
	if (n == 2 && c[0] == '.' && c[1] == '.') {
		if (*len == 0)
			return false;
		char *slash = memrchr(out, '/', *len);
		*len = slash ? (size_t)(slash - out) : 0;
		return true;
	}
	if (*len)
		out[(*len)++] = '/';
	memcpy(out + *len, c, n);
	*len += n;
	return true;
}

/* Splits S (N bytes) on '/' and pushes every component. */
static bool push_all(char *out, size_t *len, const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && s[j] != '/')
			j++;
		if (!push_component(out, len, s + i, j - i))
			return false;
		i = j + 1;
	}
	return true;
}

char *sc_git_normpath(const char *dir, const char *rel, size_t rellen, char *why, size_t whysz)
{
	size_t dirlen = strlen(dir);
	char *out = malloc(dirlen + rellen + 2);
	if (!out)
		sc_fatal_oom();
	size_t len = 0;
	if (!push_all(out, &len, dir, dirlen) || !push_all(out, &len, rel, rellen)) {
		snprintf(why, whysz, "the path leaves the top of the repository");
		free(out);
		return NULL;
	}
	if (len == 0) {
		snprintf(why, whysz, "the path names the top of the repository, not a file");
		free(out);
		return NULL;
	}
	out[len] = '\0';
	return out;
}

/* ---- short git commands ---------------------------------------------- */

/* Reads FD to its end into BUF (NUL-terminated, one trailing newline
 * removed); what does not fit is read and dropped, so that the child never
 * blocks on a full pipe, and makes the answer false. */
static bool read_all(int fd, char *buf, size_t bufsz)
{
	size_t n = 0;
	bool fit = true;
	char junk[512];
	for (;;) {
		char *dst = n + 1 < bufsz ? buf + n : junk;
		size_t room = n + 1 < bufsz ? bufsz - 1 - n : sizeof junk;
		ssize_t got = read(fd, dst, room);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		if (dst == buf + n)
			n += (size_t)got;
		else
			fit = false;
	}
	if (n && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	return fit;
}

static int reap(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

/* Runs `git ARGS...` with stdin from /dev/null; its stdout goes to OUT and
 * its stderr to ERR (NULL: discarded).  Both are read in turn, which is
 * safe for the one-line answers of rev-parse.  Returns git's exit status
 * (255 if OUT was too small: an answer cut short is no answer), or -1 with
 * errno if git could not be started. */
static int run_git(const char *const *args, char *out, size_t outsz, char *err, size_t errsz)
{
	int po[2], pe[2] = { -1, -1 };
	if (pipe2(po, O_CLOEXEC) != 0)
		return -1;
	if (err && pipe2(pe, O_CLOEXEC) != 0) {
		close(po[0]), close(po[1]);
		return -1;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	if (err)
		posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	else
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	pid_t pid;
	int e = posix_spawnp(&pid, "git", &fa, NULL, (char *const *)args, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(po[1]);
	if (err)
		close(pe[1]);
	bool fit = true;
	if (e == 0) {
		fit = read_all(po[0], out, outsz);
		if (err)
			read_all(pe[0], err, errsz);
	}
	close(po[0]);
	if (err)
		close(pe[0]);
	if (e) {
		errno = e;
		return -1;
	}
	int st = reap(pid);
	return st == 0 && !fit ? 255 : st;
}

/* The first line of S, for a one-line diagnostic. */
static void first_line(char *s)
{
	char *nl = strchr(s, '\n');
	if (nl)
		*nl = '\0';
}

static void cannot_run(char *why, size_t whysz, int e)
{
	if (e == ENOENT)
		snprintf(why, whysz, "git is not installed (no 'git' in PATH); REV:PATH is read with git");
	else
		snprintf(why, whysz, "cannot run git: %s", strerror(e));
}

/* Asks once whether the current directory is in a repository, and where. */
static bool probe_repo(sc_git *g, char *why, size_t whysz)
{
	if (!g->probed) {
		static const char *const args[] = { "git", "rev-parse", "--show-prefix", NULL };
		char err[512] = "";
		int st = run_git(args, g->prefix, sizeof g->prefix, err, sizeof err);
		g->probed = true;
		if (st < 0)
			cannot_run(g->probe_err, sizeof g->probe_err, errno);
		else if (st != 0) {
			first_line(err);
			snprintf(g->probe_err, sizeof g->probe_err,
				 "the current directory is not in a git repository (git: %.400s)",
				 err[0] ? err : "rev-parse failed");
		} else
			g->in_repo = true;
	}
	if (!g->in_repo)
		snprintf(why, whysz, "%s", g->probe_err);
	return g->in_repo;
}

static bool is_object_id(const char *s)
{
	size_t n = strspn(s, "0123456789abcdef");
	return s[n] == '\0' && (n == 40 || n == 64);
}

/* ---- sessions and sides ---------------------------------------------- */

/* The sc_fileops of a side (below). */
static char *git_join(void *ctx, const char *from, sc_str rel, char *why, size_t whysz);
static char *git_identify(void *ctx, const char *name, char *why, size_t whysz);
static uint32_t git_load(void *ctx, sc_diag *d, const char *name, char *why, size_t whysz);

sc_git *sc_git_open(void)
{
	sc_git *g = calloc(1, sizeof *g);
	if (!g)
		sc_fatal_oom();
	g->to = -1;
	return g;
}

void sc_git_close(sc_git *g)
{
	if (!g)
		return;
	if (g->pid) {
		/* EOF on its stdin ends cat-file; a closed stdout ends it even if it
		 * was in the middle of an object we stopped reading. */
		close(g->to);
		fclose(g->from);
		reap(g->pid);
		sigaction(SIGPIPE, &g->old_pipe, NULL);
	}
	free(g);
}

sc_git_kind sc_git_side(sc_git *g, const char *arg, size_t revlen, sc_gitside *side,
			char *why, size_t whysz)
{
	memset(side, 0, sizeof *side);
	if (!probe_repo(g, why, whysz))
		return SC_GIT_FAIL;
	/* ^{tree}: a commit, a tag or a tree; resolved once, so that every file
	 * of this side comes from the same tree even if the ref moves. */
	char *spec = malloc(revlen + 8);
	if (!spec)
		sc_fatal_oom();
	memcpy(spec, arg, revlen);
	memcpy(spec + revlen, "^{tree}", 8);
	const char *const args[] = { "git", "rev-parse", "--verify", "--quiet", spec, NULL };
	char oid[128];
	int st = run_git(args, oid, sizeof oid, NULL, 0);
	free(spec);
	if (st < 0) {
		cannot_run(why, whysz, errno);
		return SC_GIT_FAIL;
	}
	if (st != 0 || !is_object_id(oid)) {
		snprintf(why, whysz, "'%.*s' is not a revision of this repository (git rev-parse --verify); "
			 "in a shallow clone, fetch it first", (int)revlen, arg);
		return SC_GIT_NOREV;
	}
	side->git = g;
	side->rev = strndup(arg, revlen);
	if (!side->rev)
		sc_fatal_oom();
	memcpy(side->tree, oid, strlen(oid) + 1); /* is_object_id: at most 64 */
	side->ops = (sc_fileops){ git_join, git_identify, git_load, side };
	return SC_GIT_REV;
}

void sc_gitside_fini(sc_gitside *side)
{
	free(side->rev);
	memset(side, 0, sizeof *side);
}

/* "REV:" + PATH, malloc'd. */
static char *side_name(const sc_gitside *side, const char *path)
{
	char *name = NULL;
	if (asprintf(&name, "%s:%s", side->rev, path) < 0)
		sc_fatal_oom();
	return name;
}

/* PATH of a name this side made (they all start with "REV:"). */
static const char *side_path(const sc_gitside *side, const char *name)
{
	size_t n = strlen(side->rev);
	return strncmp(name, side->rev, n) == 0 && name[n] == ':' ? name + n + 1 : NULL;
}

static bool relative_to_cwd(const char *path)
{
	return strcmp(path, ".") == 0 || strcmp(path, "..") == 0 || strncmp(path, "./", 2) == 0 ||
	       strncmp(path, "../", 3) == 0;
}

char *sc_gitside_name(sc_gitside *side, const char *path, char *why, size_t whysz)
{
	/* As in git: REV:PATH from the top, REV:./PATH from the current directory. */
	const char *dir = relative_to_cwd(path) ? side->git->prefix : "";
	char *norm = sc_git_normpath(dir, path, strlen(path), why, whysz);
	if (!norm)
		return NULL;
	char *name = side_name(side, norm);
	free(norm);
	return name;
}

/* ---- git cat-file --batch -------------------------------------------- */

static bool start_cat_file(sc_git *g, char *why, size_t whysz)
{
	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC) != 0)
		goto fail;
	if (pipe2(out, O_CLOEXEC) != 0) {
		close(in[0]), close(in[1]);
		goto fail;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	static const char *const args[] = { "git", "cat-file", "--batch", "--follow-symlinks", NULL };
	pid_t pid;
	int e = posix_spawnp(&pid, "git", &fa, NULL, (char *const *)args, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(out[1]);
	if (e) {
		close(in[1]);
		close(out[0]);
		cannot_run(why, whysz, e);
		return false;
	}
	g->pid = pid;
	g->to = in[1];
	g->from = fdopen(out[0], "r");
	if (!g->from)
		sc_fatal_oom();
	/* If git dies, a write must fail with EPIPE, not kill scopec. */
	struct sigaction ign;
	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &g->old_pipe);
	return true;
fail:
	snprintf(why, whysz, "cannot create a pipe to git: %s", strerror(errno));
	return false;
}

static bool write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		s += w;
		n -= (size_t)w;
	}
	return true;
}

/* Reads N bytes of object data and its terminating newline into a new
 * buffer (NUL-terminated), or NULL if the stream ended early. */
static char *read_body(FILE *f, size_t n)
{
	char *buf = malloc(n + 1);
	if (!buf)
		sc_fatal_oom();
	if (fread(buf, 1, n, f) != n || fgetc(f) != '\n') {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

static bool parse_size(const char *s, size_t *n)
{
	if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 18)
		return false;
	*n = (size_t)strtoull(s, NULL, 10);
	return true;
}

/* The answers of --follow-symlinks that are not an object: "KIND SIZE"
 * followed by SIZE bytes (the path). */
static const char *symlink_answer(const char *kind)
{
	static const char *const k[][2] = {
		{ "dangling", "a symbolic link to a missing file" },
		{ "loop", "a symbolic link loop" },
		{ "notdir", "a path through something that is not a directory" },
		{ "symlink", "a symbolic link that leaves the repository" },
	};
	for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
		if (strcmp(kind, k[i][0]) == 0)
			return k[i][1];
	return NULL;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n > m && strcmp(s + n - m, suffix) == 0;
}

/* Consumes a body of SIZE bytes that is not wanted, so that the stream
 * stays in step with the requests. */
static void skip_body(sc_git *g, size_t size)
{
	char *body = size > SC_MAX_SOURCE ? NULL : read_body(g->from, size);
	if (!body)
		g->broken = true;
	free(body);
}

/* Interprets one answer header LINE of cat-file (newline removed): true on
 * a blob, with *SIZE.  Otherwise WHY says what the path is, and the body of
 * the answer (if any) has been consumed; g->broken if the answer was not
 * understood. */
static bool read_answer(sc_git *g, const sc_gitside *side, char *line, size_t *size,
			char *why, size_t whysz)
{
	if (ends_with(line, " missing") || ends_with(line, " ambiguous")) {
		snprintf(why, whysz, "%s in revision '%s'",
			 ends_with(line, " missing") ? "no such file" : "ambiguous", side->rev);
		return false;
	}
	char *sp1 = strchr(line, ' ');
	if (!sp1)
		goto broken;
	*sp1 = '\0';
	const char *rest = sp1 + 1;
	const char *what = symlink_answer(line);
	if (what) { /* "KIND SIZE", then the link's path */
		if (!parse_size(rest, size))
			goto broken;
		skip_body(g, *size);
		snprintf(why, whysz, "%s in revision '%s'", what, side->rev);
		return false;
	}
	char *sp2 = strchr(rest, ' ');
	if (!is_object_id(line) || !sp2)
		goto broken;
	*sp2 = '\0';
	if (!parse_size(sp2 + 1, size))
		goto broken;
	if (strcmp(rest, "blob") == 0)
		return true;
	skip_body(g, *size);
	snprintf(why, whysz, "%s in revision '%s', not a file",
		 strcmp(rest, "tree") == 0 ? "a directory" : rest, side->rev);
	return false;
broken:
	g->broken = true;
	snprintf(why, whysz, "unexpected answer from git cat-file");
	return false;
}

/* The contents of PATH in the side's tree (malloc'd, NUL-terminated). */
static char *read_blob(sc_gitside *side, const char *path, size_t *len, char *why, size_t whysz)
{
	sc_git *g = side->git;
	if (strchr(path, '\n')) {
		snprintf(why, whysz, "a path with a newline cannot be read from git");
		return NULL;
	}
	if (g->broken) {
		snprintf(why, whysz, "git cat-file failed earlier");
		return NULL;
	}
	if (!g->pid && !start_cat_file(g, why, whysz))
		return NULL;
	char *req = NULL;
	if (asprintf(&req, "%s:%s\n", side->tree, path) < 0)
		sc_fatal_oom();
	bool sent = write_all(g->to, req, strlen(req));
	free(req);
	char *line = NULL;
	size_t cap = 0;
	ssize_t got = sent ? getline(&line, &cap, g->from) : -1;
	char *text = NULL;
	if (got <= 0 || line[got - 1] != '\n') {
		g->broken = true;
		snprintf(why, whysz, "git cat-file stopped answering");
	} else {
		line[got - 1] = '\0';
		if (read_answer(g, side, line, len, why, whysz)) {
			if (*len > SC_MAX_SOURCE) {
				g->broken = true;
				snprintf(why, whysz, "larger than %zu MiB", SC_MAX_SOURCE >> 20);
			} else if (!(text = read_body(g->from, *len))) {
				g->broken = true;
				snprintf(why, whysz, "git cat-file stopped in the middle of the file");
			}
		}
	}
	free(line);
	return text;
}

/* ---- the sc_fileops of a side ----------------------------------------- */

static char *git_join(void *ctx, const char *from, sc_str rel, char *why, size_t whysz)
{
	sc_gitside *side = ctx;
	const char *fp = side_path(side, from);
	if (!fp) {
		snprintf(why, whysz, "internal error: '%s' is not a file of revision '%s'", from, side->rev);
		return NULL;
	}
	if (rel.n && rel.s[0] == '/') {
		snprintf(why, whysz, "an absolute include path cannot be read from revision '%s'", side->rev);
		return NULL;
	}
	const char *slash = strrchr(fp, '/');
	char *dir = strndup(fp, slash ? (size_t)(slash - fp) : 0);
	if (!dir)
		sc_fatal_oom();
	char *norm = sc_git_normpath(dir, rel.s, rel.n, why, whysz);
	free(dir);
	if (!norm)
		return NULL;
	char *name = side_name(side, norm);
	free(norm);
	return name;
}

/* Names are already normal ("REV:a/b"): the name is the identity. */
static char *git_identify(void *ctx, const char *name, char *why, size_t whysz)
{
	(void)ctx, (void)why, (void)whysz;
	char *id = strdup(name);
	if (!id)
		sc_fatal_oom();
	return id;
}

static uint32_t git_load(void *ctx, sc_diag *d, const char *name, char *why, size_t whysz)
{
	sc_gitside *side = ctx;
	const char *path = side_path(side, name);
	if (!path) {
		snprintf(why, whysz, "internal error: '%s' is not a file of revision '%s'", name, side->rev);
		return 0;
	}
	size_t len;
	char *text = read_blob(side, path, &len, why, whysz);
	if (!text)
		return 0;
	uint32_t id = sc_diag_add(d, name, text, len);
	free(text);
	d->src[id].real = strdup(name);
	if (!d->src[id].real)
		sc_fatal_oom();
	return id;
}

uint32_t sc_gitside_load_root(sc_gitside *side, sc_diag *d, const char *path, char *why, size_t whysz)
{
	char *name = sc_gitside_name(side, path, why, whysz);
	if (!name)
		return 0;
	uint32_t id = git_load(side, d, name, why, whysz);
	free(name);
	/* The one surprise of git's syntax: from a subdirectory, REV:x.scope
	 * is x.scope at the top, not next to the policy being compared. */
	if (!id && side->git->prefix[0] && !relative_to_cwd(path) && strstr(why, "no such file")) {
		size_t n = strlen(why);
		snprintf(why + n, whysz - n, " (PATH in REV:PATH is from the top of the repository; "
			 "REV:./PATH is from the current directory)");
	}
	return id;
}
