/*
 * canon.c — canonical paths and URLs (SPEC §6), see scope_enforce.h.
 *
 * Paths are resolved the way the kernel resolves them, one component at a
 * time: a symbolic link is replaced by its target and resolution goes on
 * from there, so "link/.." is the parent of the link's target, not the
 * directory holding the link.  Components that do not exist (a file about
 * to be written) cannot be links; they are kept, and ".." after one of
 * them removes it lexically.  Nothing is ever created or opened.
 *
 * URLs are parsed and normalised by uriparser (RFC 3986); this file only
 * adds what RFC 3986 leaves to the scheme: default ports, the fragment,
 * and the path of a file: URL.
 */
#include "canon.h"
#include "scope_enforce.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uriparser/Uri.h>

/* Symbolic links followed in one path before it is a loop (Linux: 40). */
#define CANON_MAX_LINKS 40
/* Longest input accepted; longer is not a path any tool can open. */
#define CANON_MAX_INPUT (64u * 1024)

/* A growable byte string; the canonical path under construction. */
typedef struct cbuf {
	char *s;
	size_t n, cap;
} cbuf;

static int cbuf_put(cbuf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->n + n + 1)
			cap *= 2;
		char *p = realloc(b->s, cap);
		if (!p)
			return -SCOPE_ENOMEM;
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
	return 0;
}

/* The copy of a result into the caller's buffer, scope.h's contract. */
static int put_out(const char *s, size_t n, char *buf, size_t *buflen)
{
	if (!buf || !buflen)
		return -SCOPE_EINVAL;
	if (n + 1 > *buflen) {
		*buflen = n;
		return -SCOPE_ENOSPC;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	*buflen = n;
	return 0;
}

/* ---- paths ----------------------------------------------------------------- */

/* The components still to resolve, as one string ("a/b/../c"), consumed
 * from the front; a link's target is pushed in front of the rest. */
typedef struct todo {
	cbuf b;
	size_t at;
} todo;

static int todo_push(todo *t, const char *s, size_t n)
{
	cbuf nb = { NULL, 0, 0 };
	int rc = cbuf_put(&nb, s, n);
	if (rc == 0)
		rc = cbuf_put(&nb, "/", 1);
	if (rc == 0 && t->b.n > t->at)
		rc = cbuf_put(&nb, t->b.s + t->at, t->b.n - t->at);
	if (rc < 0) {
		free(nb.s);
		return rc;
	}
	free(t->b.s);
	t->b = nb;
	t->at = 0;
	return 0;
}

/* The next component into *c (length *cn); false when none is left. */
static bool todo_next(todo *t, const char **c, size_t *cn)
{
	while (t->at < t->b.n && t->b.s[t->at] == '/')
		t->at++;
	if (t->at >= t->b.n)
		return false;
	size_t end = t->at;
	while (end < t->b.n && t->b.s[end] != '/')
		end++;
	*c = t->b.s + t->at;
	*cn = end - t->at;
	t->at = end;
	return true;
}

/* Drops the last component of OUT ("/a/b" -> "/a", "/a" -> "/"). */
static void drop_last(cbuf *out)
{
	while (out->n > 1 && out->s[out->n - 1] != '/')
		out->n--;
	if (out->n > 1)
		out->n--;
	out->s[out->n] = '\0';
}

static size_t depth_of(const cbuf *out)
{
	size_t d = 0;
	for (size_t i = 0; i < out->n; i++)
		d += out->s[i] == '/' && i + 1 < out->n;
	return d;
}

/* Appends component C to OUT and, while OUT still exists, follows it if it
 * is a link.  *EXISTS: OUT named an existing file before the call. */
static int step(cbuf *out, todo *t, const char *c, size_t cn, bool *exists, unsigned *links)
{
	size_t undo = out->n;
	int rc = out->n > 1 ? cbuf_put(out, "/", 1) : 0;
	if (rc == 0)
		rc = cbuf_put(out, c, cn);
	if (rc < 0 || !*exists)
		return rc;
	struct stat st;
	if (lstat(out->s, &st) != 0) {
		if (errno != ENOENT && errno != ENOTDIR)
			return -SCOPE_EPATH; /* cannot tell whether it is a link */
		*exists = false;
		return 0;
	}
	if (!S_ISLNK(st.st_mode))
		return 0;
	if (++*links > CANON_MAX_LINKS)
		return -SCOPE_EPATH;
	char target[PATH_MAX];
	ssize_t tn = readlink(out->s, target, sizeof target);
	if (tn <= 0 || (size_t)tn >= sizeof target)
		return -SCOPE_EPATH;
	out->n = undo; /* the link is replaced by its target */
	out->s[out->n] = '\0';
	if (target[0] == '/') {
		out->n = 1;
		out->s[1] = '\0';
	}
	return todo_push(t, target, (size_t)tn);
}

/* The absolute, unresolved starting point: HOME for "~", CWD (or the
 * process's) for a relative path. */
static int start_of(const char *path, size_t len, const char *cwd, todo *t)
{
	int rc;
	if (len && path[0] == '/')
		return cbuf_put(&t->b, path, len);
	if (len && path[0] == '~' && (len == 1 || path[1] == '/')) {
		const char *home = getenv("HOME");
		if (!home || home[0] != '/')
			return -SCOPE_EPATH;
		rc = cbuf_put(&t->b, home, strlen(home));
		return rc ? rc : cbuf_put(&t->b, path + 1, len - 1);
	}
	char here[PATH_MAX];
	if (!cwd)
		cwd = getcwd(here, sizeof here);
	if (!cwd || cwd[0] != '/')
		return -SCOPE_EPATH;
	rc = cbuf_put(&t->b, cwd, strlen(cwd));
	if (rc == 0)
		rc = cbuf_put(&t->b, "/", 1);
	return rc ? rc : cbuf_put(&t->b, path, len);
}

static int canon_path_buf(const char *path, size_t len, const char *cwd, cbuf *out)
{
	if (!path || !len || len > CANON_MAX_INPUT || memchr(path, '\0', len))
		return -SCOPE_EPATH;
	todo t = { { NULL, 0, 0 }, 0 };
	int rc = start_of(path, len, cwd, &t);
	if (rc == 0)
		rc = cbuf_put(out, "/", 1);
	bool exists = true;
	size_t exist_depth = 0; /* OUT's components up to here exist */
	unsigned links = 0;
	const char *c;
	size_t cn;
	while (rc == 0 && todo_next(&t, &c, &cn)) {
		if (cn == 1 && c[0] == '.')
			continue;
		if (cn == 2 && c[0] == '.' && c[1] == '.') {
			drop_last(out);
			size_t d = depth_of(out);
			if (d <= exist_depth) { /* back where things exist */
				exists = true;
				exist_depth = d;
			}
			continue;
		}
		rc = step(out, &t, c, cn, &exists, &links);
		if (rc == 0 && exists)
			exist_depth = depth_of(out);
		if (rc == 0 && out->n >= PATH_MAX)
			rc = -SCOPE_EPATH;
	}
	free(t.b.s);
	return rc;
}

/* "/a/b/../c" -> "/a/c" without looking at the file system: what
 * path.resolve() of Node and os.path.normpath() of Python do first. */
static int lexical(const todo *start, cbuf *out)
{
	todo t = *start;
	const char *c;
	size_t cn;
	int rc = cbuf_put(out, "/", 1);
	while (rc == 0 && todo_next(&t, &c, &cn)) {
		if (cn == 1 && c[0] == '.')
			continue;
		if (cn == 2 && c[0] == '.' && c[1] == '.')
			drop_last(out);
		else if (out->n > 1)
			rc = cbuf_put(out, "/", 1);
		if (rc == 0 && !(cn == 2 && c[0] == '.' && c[1] == '.'))
			rc = cbuf_put(out, c, cn);
	}
	return rc;
}

int canon_path_lexical_first(const char *path, size_t len, const char *cwd, char **out)
{
	*out = NULL;
	if (!path || !len || len > CANON_MAX_INPUT || memchr(path, '\0', len))
		return -SCOPE_EPATH;
	todo t = { { NULL, 0, 0 }, 0 };
	cbuf lex = { NULL, 0, 0 }, res = { NULL, 0, 0 };
	int rc = start_of(path, len, cwd, &t);
	if (rc == 0)
		rc = lexical(&t, &lex);
	if (rc == 0)
		rc = canon_path_buf(lex.s, lex.n, "/", &res);
	free(t.b.s);
	free(lex.s);
	if (rc < 0)
		free(res.s);
	else
		*out = res.s;
	return rc;
}

int canon_path_alloc(const char *path, size_t len, const char *cwd, char **out)
{
	cbuf res = { NULL, 0, 0 };
	int rc = canon_path_buf(path, len, cwd, &res);
	if (rc < 0)
		free(res.s);
	*out = rc < 0 ? NULL : res.s;
	return rc;
}

int scope_canon_path(const char *path, size_t len, const char *cwd, char *buf, size_t *buflen)
{
	cbuf out = { NULL, 0, 0 };
	int rc = canon_path_buf(path, len, cwd, &out);
	if (rc == 0)
		rc = put_out(out.s, out.n, buf, buflen);
	free(out.s);
	return rc;
}

/* ---- URLs ------------------------------------------------------------------ */

static size_t range_len(const UriTextRangeA *r)
{
	return r->first && r->afterLast ? (size_t)(r->afterLast - r->first) : 0;
}

static bool range_is(const UriTextRangeA *r, const char *s)
{
	size_t n = strlen(s);
	return range_len(r) == n && strncasecmp(r->first, s, n) == 0;
}

/* The port every client uses when none is written (RFC 3986 §6.2.3). */
static bool default_port(const UriUriA *u)
{
	static const struct {
		const char *scheme, *port;
	} known[] = { { "http", "80" }, { "https", "443" }, { "ws", "80" }, { "wss", "443" }, { "ftp", "21" } };
	if (!range_len(&u->portText))
		return false;
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (range_is(&u->scheme, known[i].scheme) && range_is(&u->portText, known[i].port))
			return true;
	return false;
}

/* Bytes a path of a file: URL keeps as they are; the rest is escaped. */
static bool path_safe(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch && strchr("-._~!$&'()*+,;=:@/", ch));
}

/* file:///a/../b -> file:// + the canonical path of /b, escaped again. */
static int canon_file_url(const char *s, size_t n, cbuf *out)
{
	char *copy = strndup(s, n);
	if (!copy)
		return -SCOPE_ENOMEM;
	char *p = copy + strlen("file://");
	p += strcspn(p, "/"); /* past "localhost", which means no host (RFC 8089) */
	size_t pn = strcspn(p, "?");
	p[pn] = '\0';
	uriUnescapeInPlaceA(p);
	cbuf path = { NULL, 0, 0 };
	int rc = p[0] == '/' ? canon_path_buf(p, strlen(p), "/", &path) : -SCOPE_EURL;
	if (rc == -SCOPE_EPATH)
		rc = -SCOPE_EURL;
	if (rc == 0)
		rc = cbuf_put(out, "file://", 7);
	for (size_t i = 0; rc == 0 && i < path.n; i++) {
		unsigned char ch = (unsigned char)path.s[i];
		char esc[4] = { '%', "0123456789ABCDEF"[ch >> 4], "0123456789ABCDEF"[ch & 15], 0 };
		rc = path_safe(ch) ? cbuf_put(out, path.s + i, 1) : cbuf_put(out, esc, 3);
	}
	free(path.s);
	free(copy);
	return rc;
}

/* S into OUT; "http://h" and "http://h?q" get the path "/" that a
 * client sends for them (RFC 3986 §6.2.3), so that a pattern "http://h/..." covers them. */
static int put_with_root(cbuf *out, const char *s, bool needs_host)
{
	const char *auth = strstr(s, "://");
	size_t at = auth ? (size_t)(auth + 3 - s) + strcspn(auth + 3, "/?") : 0;
	if (!needs_host || !auth || s[at] == '/')
		return cbuf_put(out, s, strlen(s));
	int rc = cbuf_put(out, s, at);
	if (rc == 0)
		rc = cbuf_put(out, "/", 1);
	return rc ? rc : cbuf_put(out, s + at, strlen(s + at));
}

/* Removing dot segments can leave a path that starts with "//" in a URL
 * without authority ("p:/.//h/x" -> "p://h/x"): written out, it reads as
 * a host.  Such a URL has no canonical text that means the same thing, so
 * it is refused rather than decided under a host it does not name.  S is
 * U written out: the scheme, ':', then the path when there is no host. */
static bool path_reads_as_host(const UriUriA *u, const char *s)
{
	return u->hostText.first == NULL && strncmp(s + range_len(&u->scheme) + 1, "//", 2) == 0;
}

static int canon_url_buf(const char *url, size_t len, cbuf *out)
{
	if (!url || !len || len > CANON_MAX_INPUT || memchr(url, '\0', len))
		return -SCOPE_EURL;
	UriUriA u;
	const char *err = NULL;
	if (uriParseSingleUriExA(&u, url, url + len, &err) != URI_SUCCESS)
		return -SCOPE_EURL;
	int rc = 0;
	bool is_file = range_is(&u.scheme, "file");
	bool needs_host = range_is(&u.scheme, "http") || range_is(&u.scheme, "https") ||
			  range_is(&u.scheme, "ws") || range_is(&u.scheme, "wss") ||
			  range_is(&u.scheme, "ftp");
	if (!range_len(&u.scheme) || (needs_host && !range_len(&u.hostText)))
		rc = -SCOPE_EURL; /* relative reference, or http:/x */
	/* Cleared before normalising, while the ranges still point into URL:
	 * the normaliser then never owns (and must never free) them. */
	u.fragment.first = u.fragment.afterLast = NULL;
	if (default_port(&u))
		u.portText.first = u.portText.afterLast = NULL;
	int chars = 0;
	/* The URI owns its parts before it is normalised: uriparser 0.9.7's
	 * normaliser, when an allocation fails half-way, leaves the parts it
	 * already copied unowned, and uriFreeUriMembersA never frees them
	 * (a leak found by allocation-failure injection). */
	if (rc == 0 && uriMakeOwnerA(&u) != URI_SUCCESS)
		rc = -SCOPE_ENOMEM;
	if (rc == 0 && uriNormalizeSyntaxA(&u) != URI_SUCCESS)
		rc = -SCOPE_ENOMEM;
	if (rc == 0 && (uriToStringCharsRequiredA(&u, &chars) != URI_SUCCESS || chars < 0))
		rc = -SCOPE_EURL;
	char *s = rc == 0 ? malloc((size_t)chars + 1) : NULL;
	if (rc == 0 && !s)
		rc = -SCOPE_ENOMEM;
	if (rc == 0 && uriToStringA(s, &u, chars + 1, NULL) != URI_SUCCESS)
		rc = -SCOPE_EURL;
	if (rc == 0 && path_reads_as_host(&u, s))
		rc = -SCOPE_EURL;
	if (rc == 0 && is_file && (!range_len(&u.hostText) || range_is(&u.hostText, "localhost")) &&
	    strncmp(s, "file://", 7) == 0)
		rc = canon_file_url(s, strlen(s), out);
	else if (rc == 0)
		rc = put_with_root(out, s, needs_host);
	free(s);
	uriFreeUriMembersA(&u);
	return rc;
}

int scope_canon_url(const char *url, size_t len, char *buf, size_t *buflen)
{
	cbuf out = { NULL, 0, 0 };
	int rc = canon_url_buf(url, len, &out);
	if (rc == 0)
		rc = put_out(out.s, out.n, buf, buflen);
	free(out.s);
	return rc;
}

int canon_url_alloc(const char *url, size_t len, char **out)
{
	cbuf res = { NULL, 0, 0 };
	int rc = canon_url_buf(url, len, &res);
	if (rc < 0)
		free(res.s);
	*out = rc < 0 ? NULL : res.s;
	return rc;
}
