/*
 * canon.h — canonical paths and URLs into new strings (libscope-enforce
 * internal; the public forms are scope_canon_path/url in scope_enforce.h).
 * Each returns 0 with *OUT malloc'd (the caller frees), or a negative
 * SCOPE_E* code with *OUT NULL.
 */
#ifndef SCOPE_CANON_H
#define SCOPE_CANON_H

#include <stddef.h>

/* Resolved as the kernel does, component by component (scope_canon_path). */
int canon_path_alloc(const char *path, size_t len, const char *cwd, char **out);
/* Lexically normalised first ("x/link/.." -> "x"), then resolved: the path a
 * tool that normalises before it opens (Node's path.resolve) acts on.  It
 * differs from canon_path_alloc only when ".." follows a symbolic link. */
int canon_path_lexical_first(const char *path, size_t len, const char *cwd, char **out);
int canon_url_alloc(const char *url, size_t len, char **out);

#endif
