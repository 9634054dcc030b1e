/*
 * gitsrc.h — policy files as they are in a git revision, for
 * `scopec diff REV:PATH ...` (a code review compares
 * `origin/main:policies/x.scope` with `policies/x.scope`).
 *
 * The objects are read through git itself: `git rev-parse` resolves the
 * revision once to a tree, and one `git cat-file --batch` child serves every
 * file of both sides over pipes.  Nothing is checked out and nothing is
 * written to disk.  Includes are resolved relative to the including file
 * inside the same tree (lexically: `a/../b` is `b`); an absolute include or
 * one that leaves the repository cannot be read from a revision and is an
 * error.  PATH after `REV:` is relative to the top of the repository, as in
 * `git show`; `REV:./PATH` and `REV:../PATH` are relative to the current
 * directory.  git runs in the current directory: its repository is the one
 * the revision is looked up in.
 */
#ifndef SC_GITSRC_H
#define SC_GITSRC_H

#include "resolve.h"

#include <stdbool.h>
#include <stddef.h>

/* A session with git: the cat-file child (started on first read) and what
 * was learnt about the repository.  sc_git_close reaps the child. */
typedef struct sc_git sc_git;

sc_git *sc_git_open(void);
void sc_git_close(sc_git *g);

/* One side of a diff read from git: the revision as the user wrote it (for
 * names in diagnostics: "REV:path"), the tree it resolved to, and the
 * fileops that read its files through G. */
typedef struct sc_gitside {
	sc_git *git;
	char *rev;        /* as written, e.g. "origin/main" */
	char tree[72];    /* hex object id of its tree */
	sc_fileops ops;   /* ctx = this side */
} sc_gitside;

/* Splits ARG of the form REV:PATH.  False if ARG cannot be one: no ':',
 * nothing before it, or ARG starts with '-', '/' or "./" (the spellings
 * that always mean a file on disk).  *REVLEN is the length of REV. */
bool sc_git_split(const char *arg, size_t *revlen);

/* The repository-relative, lexically normal form of REL read in directory
 * DIR ("" is the top): empty, "." components and "x/.." removed.  NULL
 * (with WHY) if it leaves the top or names the top itself.  malloc'd. */
char *sc_git_normpath(const char *dir, const char *rel, size_t rellen, char *why, size_t whysz);

/* What a REV:PATH argument turned out to be. */
typedef enum {
	SC_GIT_REV,       /* REV names a tree: *side is set up */
	SC_GIT_NOREV,     /* REV is not a revision (WHY says why, git's reason) */
	SC_GIT_FAIL       /* git cannot be run or is not in a repository (WHY) */
} sc_git_kind;

/* Resolves REV (REVLEN bytes of ARG) in the repository of the current
 * directory and, on success, fills *SIDE.  Prints nothing. */
sc_git_kind sc_git_side(sc_git *g, const char *arg, size_t revlen, sc_gitside *side,
			char *why, size_t whysz);
void sc_gitside_fini(sc_gitside *side);

/* The name in diagnostics ("REV:normal/path") of the side's file PATH (the
 * part of ARG after REV:), or NULL with WHY. */
char *sc_gitside_name(sc_gitside *side, const char *path, char *why, size_t whysz);
/* Reads the side's root file PATH into D: its file id, or 0 with WHY. */
uint32_t sc_gitside_load_root(sc_gitside *side, sc_diag *d, const char *path, char *why, size_t whysz);

#endif
