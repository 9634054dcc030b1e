/*
 * ep_policy.c — policies of an enforcement point: read, compile, verify,
 * digest, hot reload, and pinning one policy for the length of a request.
 *
 * Input: a policy file is bytecode (from `scopec compile`, told by its
 * magic bytes) or .scope source, which is compiled by running
 * `SCOPEC compile FILE -o TMP` (enforcement points do not link the compiler).
 * The digest is SHA-256 of the bytecode image that was loaded: for a
 * bytecode file it equals `sha256sum FILE`; for a signed file, that of the
 * image without its signature trailer (`sha256sum` of what `scopec
 * compile` wrote, and what `scopec sign` prints).
 *
 * Trusted keys (ep_env_trust, `--trusted-key`): then a policy loads only if
 * it is a bytecode image signed by one of them, checked before anything of
 * the image is parsed; source files, unsigned images, bad signatures and
 * other keys' signatures are refused like any other bad policy.
 *
 * Reload: load and verify the new image completely, then
 * scope_handle_swap() it in.  A policy that fails anywhere on the way is
 * never published: the old one stays in force and an "error" record says
 * why.  Deciding threads never wait for a reload.
 *
 * Digests beside the handle.  scope_handle holds policies, not our
 * metadata, so each slot keeps two (policy address, digest) entries, and a
 * pinned policy finds its digest by address.  The reloader writes entry j
 * (the one not naming the current policy) before it publishes the policy
 * of j: p := NULL, digest := new, p := new (atomics), then swap.  A reader
 * that pinned the new policy did so after the swap's store, so it sees the
 * finished entry; a reader pinned on the current policy never matches entry
 * j.  No entry is rewritten while a reader can still hold its policy:
 * scope_handle_swap() returns only when the readers of the policy it
 * replaced are gone, and reloads of a slot are serialised (the caller
 * reloads from one thread).
 */
#include "ep.h"
#include "sig.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define EP_MAX_POLICY (64u << 20)
#ifndef EP_COMPILE_TIMEOUT_MS
#define EP_COMPILE_TIMEOUT_MS 60000
#endif

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void file_id(const char *path, ep_fileid *id)
{
	struct stat st;
	memset(id, 0, sizeof *id);
	if (stat(path, &st) != 0) {
		id->err = errno ? errno : EIO;
		return;
	}
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	id->size = st.st_size;
	id->mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	id->ctime_ns = (long long)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec;
}

static bool same_file(const ep_fileid *a, const ep_fileid *b)
{
	return a->err == b->err && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns;
}

/* The whole file into a new buffer.  0, or -1 with ERR filled in. */
static int read_file(const char *path, unsigned char **data, size_t *len, char *err, size_t errsz)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(err, errsz, "cannot open '%s': %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size > EP_MAX_POLICY) {
		snprintf(err, errsz, "'%s' is not a regular file of at most %u MiB", path, EP_MAX_POLICY >> 20);
		close(fd);
		return -1;
	}
	size_t cap = (size_t)st.st_size + 1, n = 0;
	unsigned char *buf = malloc(cap);
	ssize_t r = 0;
	/* read to EOF: the file may have grown since fstat (then it is cut at
	 * cap and fails to verify or compile, never half-loaded) */
	while (buf && n < cap && ((r = read(fd, buf + n, cap - n)) > 0 || (r < 0 && errno == EINTR)))
		n += r > 0 ? (size_t)r : 0;
	close(fd);
	if (!buf || r < 0) {
		snprintf(err, errsz, "cannot read '%s': %s", path, buf ? strerror(errno) : "out of memory");
		free(buf);
		return -1;
	}
	*data = buf;
	*len = n;
	return 0;
}

/* First line of the compiler's diagnostics (the error and its location). */
static void first_line(char *dst, size_t dstsz, const char *src)
{
	size_t n = strcspn(src, "\n");
	snprintf(dst, dstsz, "%.*s", (int)(n < dstsz ? n : dstsz - 1), src);
}

/* Runs SCOPEC compile PATH -o a temporary file and reads the image. */
static int compile_source(const ep_env *env, const char *path, unsigned char **img, size_t *len,
			  char *err, size_t errsz)
{
	const char *dir = getenv("TMPDIR");
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s/%s-XXXXXX", dir && *dir ? dir : "/tmp", env->prog);
	int tfd = mkostemp(tmp, O_CLOEXEC);
	int pipefd[2] = { -1, -1 };
	if (tfd < 0 || pipe2(pipefd, O_CLOEXEC) != 0) {
		snprintf(err, errsz, "cannot create a temporary file: %s", strerror(errno));
		if (tfd >= 0) {
			close(tfd);
			unlink(tmp);
		}
		return -1;
	}
	close(tfd);
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	posix_spawnattr_init(&at);
	sigset_t none, dfl;
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dfl);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	char *argv[] = { (char *)env->scopec, "compile", (char *)path, "-o", tmp, NULL };
	pid_t pid;
	int rc = posix_spawnp(&pid, env->scopec, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(pipefd[1]);
	if (rc != 0) {
		snprintf(err, errsz, "cannot run '%s': %s", env->scopec, strerror(rc));
		close(pipefd[0]);
		unlink(tmp);
		return -1;
	}
	char diag[2048];
	size_t dn = 0;
	ssize_t r;
	double deadline = now_ms() + EP_COMPILE_TIMEOUT_MS;
	bool killed = false;
	for (;;) { /* drain all of it, keep the start; a hung compiler is killed */
		char chunk[1024];
		struct pollfd pf = { pipefd[0], POLLIN, 0 };
		double left = deadline - now_ms();
		if (!killed && (left <= 0 || poll(&pf, 1, (int)left + 1) == 0)) {
			kill(pid, SIGKILL); /* and stop reading: its children may hold the pipe */
			killed = true;
			break;
		}
		r = read(pipefd[0], chunk, sizeof chunk);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		size_t take = (size_t)r < sizeof diag - 1 - dn ? (size_t)r : sizeof diag - 1 - dn;
		memcpy(diag + dn, chunk, take);
		dn += take;
	}
	diag[dn] = '\0';
	close(pipefd[0]);
	int status = -1; /* not "exited 0" if waitpid fails */
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (killed) {
		snprintf(err, errsz, "scopec compile took longer than %d s and was killed",
			 EP_COMPILE_TIMEOUT_MS / 1000);
		unlink(tmp);
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char line[1024];
		first_line(line, sizeof line, dn ? diag : "no diagnostics");
		snprintf(err, errsz, "%s (scopec compile exit %d)", line,
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		unlink(tmp);
		return -1;
	}
	rc = read_file(tmp, img, len, err, errsz);
	unlink(tmp);
	return rc;
}

int ep_env_trust(ep_env *e, const char *path, char *err, size_t errsz)
{
	if (e->ntrusted == EP_MAX_TRUSTED) {
		snprintf(err, errsz, "at most %d trusted keys", EP_MAX_TRUSTED);
		return -1;
	}
	int rc = scope_key_read_public(path, e->trusted[e->ntrusted]);
	if (rc < 0) {
		snprintf(err, errsz, "trusted key '%s': %s", path,
			 rc == -SCOPE_EIO ? strerror(errno) : "not an Ed25519 public key (PEM SubjectPublicKeyInfo)");
		return -1;
	}
	e->ntrusted++;
	return 0;
}

/* Why IMG, signed or not, was refused with the trusted keys of ENV. */
static void signature_error(const ep_env *env, const char *path, const unsigned char *img, size_t len,
			    int rc, char *err, size_t errsz)
{
	char signer[SIG_KEYID_STR], trusted[EP_MAX_TRUSTED * SIG_KEYID_STR + 1] = "";
	for (size_t k = 0; k < env->ntrusted; k++) {
		char id[SIG_KEYID_STR];
		sig_key_id_str(env->trusted[k], id);
		snprintf(trusted + strlen(trusted), sizeof trusted - strlen(trusted), "%s%s", k ? "," : "", id);
	}
	if (rc == -SCOPE_ESIGNATURE && sig_signer_id_str(img, len, signer))
		snprintf(err, errsz, "'%s' refused: %s (signed by key %s; trusted: %s)", path,
			 scope_strerror(rc), signer, trusted);
	else if (rc == -SCOPE_EUNSIGNED || rc == -SCOPE_ESIGNATURE)
		snprintf(err, errsz, "'%s' refused: %s (a signature by a trusted key is required: %s)", path,
			 scope_strerror(rc), trusted);
	else
		snprintf(err, errsz, "'%s' refused by the verifier: %s", path, scope_strerror(rc));
}

/* Loads IMG with a signature by one of ENV's trusted keys (the signature is
 * checked before the image is parsed); SIGNER names the key. */
static int load_signed(const ep_env *env, const char *path, const unsigned char *img, size_t len,
		       scope_policy **out, char signer[SIG_KEYID_STR], char *err, size_t errsz)
{
	int rc = scope_policy_load_signed_any(out, img, len, env->trusted, env->ntrusted, NULL);
	if (rc < 0) {
		signature_error(env, path, img, len, rc, err, errsz);
		return rc;
	}
	sig_signer_id_str(img, len, signer);
	return 0;
}

int ep_load_image(const ep_env *env, const char *path, const unsigned char *img, size_t len,
		  scope_policy **out, char digest[EP_DIGEST_STR], char signer[SIG_KEYID_STR], char *err,
		  size_t errsz)
{
	int rc;
	signer[0] = '\0';
	*out = NULL;
	if (env->ntrusted && !scope_is_bytecode(img, len)) {
		snprintf(err, errsz, "'%s' refused: not a signed bytecode image (a signature by a trusted key "
			 "is required, and source policies are never signed: compile and `scopec sign` them)", path);
		return -1;
	}
	if (env->ntrusted) {
		rc = load_signed(env, path, img, len, out, signer, err, errsz);
	} else {
		rc = scope_policy_load(out, img, len);
		if (rc < 0)
			snprintf(err, errsz, "'%s' refused by the verifier: %s", path, scope_strerror(rc));
	}
	if (rc == 0 && digest)
		ep_sha256_str(img, scope_policy_image_size(*out), digest);
	return rc < 0 ? -1 : 0;
}

/* Reads (or compiles, when no key is trusted) and verifies PATH.  0 with
 * *out, DIGEST and SIGNER as ep_load_image(), or -1 with ERR filled in. */
static int load_policy(const ep_env *env, const char *path, scope_policy **out,
		       char digest[EP_DIGEST_STR], char signer[SIG_KEYID_STR], char *err, size_t errsz)
{
	unsigned char *img;
	size_t len;
	if (read_file(path, &img, &len, err, errsz) < 0)
		return -1;
	if (!env->ntrusted && !scope_is_bytecode(img, len)) {
		free(img);
		if (compile_source(env, path, &img, &len, err, errsz) < 0)
			return -1;
	}
	int rc = ep_load_image(env, path, img, len, out, digest, signer, err, errsz);
	free(img);
	return rc;
}

static void log_and_print(ep_env *e, json_t *rec, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void log_and_print(ep_env *e, json_t *rec, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", e->prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	if (ep_log_records(e->log, &rec, 1) < 0)
		atomic_fetch_add(&e->log_failures, 1);
}

/* Publishes P (digest D) in slot S; the reloader only. */
static void publish(ep_slot *s, scope_policy *p, const char *d)
{
	unsigned j = 1 - s->meta_cur;
	atomic_store(&s->meta[j].p, NULL);
	memcpy(s->meta[j].digest, d, EP_DIGEST_STR);
	atomic_store(&s->meta[j].p, p);
	scope_handle_swap(s->h, p);
	s->meta_cur = j;
	memcpy(s->digest, d, EP_DIGEST_STR);
}

static int reload(ep_env *e, ep_slot *s, const char *trigger)
{
	double t0 = now_ms();
	char err[1400], digest[EP_DIGEST_STR], signer[SIG_KEYID_STR];
	scope_policy *p = NULL;
	file_id(s->path, &s->seen);
	s->has_pending = false;
	bool first = !s->digest[0];
	if (load_policy(e, s->path, &p, digest, signer, err, sizeof err) < 0) {
		json_t *r = ep_log_record("error");
		json_object_set_new(r, "event", json_string("reload"));
		json_object_set_new(r, "role", json_string(s->role));
		json_object_set_new(r, "path", ep_json_text(s->path, strlen(s->path)));
		json_object_set_new(r, "trigger", json_string(trigger));
		json_object_set_new(r, "error", ep_json_text(err, strlen(err)));
		json_object_set_new(r, "policy", first ? json_null() : json_string(s->digest));
		log_and_print(e, r, "%s policy refused (%s): %s%s", s->role, trigger, err,
			      first ? "" : "; the previous policy stays in force");
		return EP_RELOAD_REFUSED;
	}
	bool same = !first && strcmp(digest, s->digest) == 0;
	uint32_t items = scope_policy_item_count(p), tasks = scope_policy_task_count(p);
	json_t *r = ep_log_record("reload");
	json_object_set_new(r, "role", json_string(s->role));
	json_object_set_new(r, "path", ep_json_text(s->path, strlen(s->path)));
	json_object_set_new(r, "trigger", json_string(trigger));
	json_object_set_new(r, "result", json_string(same ? "unchanged" : "loaded"));
	json_object_set_new(r, "policy", json_string(digest));
	json_object_set_new(r, "previous", first ? json_null() : json_string(s->digest));
	json_object_set_new(r, "items", json_integer(items));
	json_object_set_new(r, "tasks", json_integer(tasks));
	if (signer[0])
		json_object_set_new(r, "signed_by", json_string(signer));
	if (same)
		scope_policy_destroy(p);
	else
		publish(s, p, digest);
	double ms = now_ms() - t0;
	json_object_set_new(r, "load_ms", json_real(ms));
	log_and_print(e, r, "%s policy %s (%s): %s, %u items, %u tasks, %.2f ms", s->role,
		      same ? "unchanged" : "loaded", trigger, digest, items, tasks, ms);
	return same ? EP_RELOAD_UNCHANGED : EP_RELOAD_LOADED;
}

int ep_slot_init(ep_env *e, ep_slot *s, const char *role, const char *path)
{
	memset(s, 0, sizeof *s);
	s->role = role;
	s->path = path;
	atomic_init(&s->meta[0].p, NULL);
	atomic_init(&s->meta[1].p, NULL);
	if (scope_handle_create(&s->h, NULL) < 0)
		return -1;
	return reload(e, s, "start") < 0 ? -1 : 0;
}

void ep_slot_fini(ep_slot *s)
{
	scope_handle_destroy(s->h);
	s->h = NULL;
}

int ep_slot_reload(ep_env *e, ep_slot *s, const char *trigger)
{
	return reload(e, s, trigger);
}

int ep_slot_poll(ep_env *e, ep_slot *s)
{
	ep_fileid id;
	file_id(s->path, &id);
	if (same_file(&id, &s->seen)) {
		s->has_pending = false;
		return EP_RELOAD_NONE;
	}
	if (!s->has_pending || !same_file(&id, &s->pending)) {
		s->pending = id; /* changed: wait until it holds still */
		s->has_pending = true;
		return EP_RELOAD_NONE;
	}
	return reload(e, s, "change");
}

int ep_slot_pin(ep_slot *s, ep_pin *out)
{
	int rc = -SCOPE_EBUSY;
	/* scope_handle_acquire retries 64 times itself; EBUSY needs a swap
	 * between every pair of its loads, so a few more rounds suffice */
	for (int i = 0; i < 8 && rc == -SCOPE_EBUSY; i++) {
		rc = scope_handle_acquire(s->h, &out->p, &out->ticket);
		if (rc == -SCOPE_EBUSY)
			sched_yield();
	}
	if (rc < 0)
		return rc;
	out->digest = "unknown";
	for (int k = 0; k < 2; k++)
		if (atomic_load(&s->meta[k].p) == out->p)
			out->digest = s->meta[k].digest;
	return 0;
}

void ep_slot_unpin(ep_slot *s, ep_pin *pin)
{
	scope_handle_release(s->h, pin->ticket);
	pin->p = NULL;
}
