/*
 * diag.h — source files and diagnostics.
 *
 * Every token and AST node carries an sc_span: a file index and a byte range.
 * Byte offsets become LINE:COL (1-based line, 1-based byte column) only when a
 * diagnostic is printed, in the form
 *
 *     FILE:LINE:COL: error: MESSAGE
 *         the offending source line
 *         ^~~~
 */
#ifndef SC_DIAG_H
#define SC_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct sc_span {
	uint32_t file;   /* index into sc_sources; 0 = no location */
	uint32_t off;    /* byte offset of the first byte */
	uint32_t len;    /* byte length (0 allowed: a point) */
} sc_span;

/* A byte string that is not necessarily NUL-terminated (policies may
 * contain any byte in quoted strings). */
typedef struct sc_str {
	const char *s;
	size_t n;
} sc_str;

/* Byte-wise comparison, shorter first on a common prefix. */
int sc_str_cmp(sc_str a, sc_str b);
bool sc_str_eq(sc_str a, sc_str b);
static inline sc_str sc_str_c(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return (sc_str){ s, n };
}

/* Edit distance (insertions, deletions, substitutions of bytes) between A
 * and B, or LIMIT + 1 as soon as it exceeds LIMIT.  Strings longer than 64
 * bytes are never close.  For "did you mean" suggestions. */
unsigned sc_edit_distance(sc_str a, sc_str b, unsigned limit);

typedef struct sc_source {
	char *path;        /* as the user named it, or joined for includes */
	char *real;        /* realpath(), identity for "included once" */
	char *text;        /* contents, NUL-terminated (text[len] == 0) */
	size_t len;
	uint32_t *lines;   /* offsets of line starts, built on first use */
	size_t nlines;
} sc_source;

typedef enum { SC_SEV_ERROR, SC_SEV_WARNING, SC_SEV_NOTE } sc_severity;

/* A diagnostic kept for --format=json/sarif instead of being printed. */
typedef struct sc_diag_record {
	sc_severity sev;
	const char *rule;     /* lint id (lint.h) or NULL for errors and notes */
	sc_span span;
	char *msg;            /* malloc'd */
	/* A fix-it: replace the bytes of fix_span by fix (malloc'd; NULL if
	 * there is none).  Only errors and warnings carry one. */
	sc_span fix_span;
	char *fix;
} sc_diag_record;

typedef struct sc_diag {
	sc_source *src;    /* src[0] is a placeholder so that file 0 = none */
	uint32_t nsrc, capsrc;
	unsigned errors, warnings;
	unsigned max_errors;  /* stop printing after this many errors */
	FILE *out;            /* stderr unless redirected (tests) */
	bool collect;         /* keep records instead of printing */
	sc_diag_record *rec;
	size_t nrec, caprec;
	bool last_shown;      /* the last error/warning was printed or kept */
	sc_span last_span;    /* ... and where it pointed (for sc_fixit) */
	bool defer;           /* keep records until sc_diag_flush */
	size_t defer_from;    /* the first record kept for it */
} sc_diag;

void sc_diag_init(sc_diag *d, FILE *out);
void sc_diag_fini(sc_diag *d);

/* Reads PATH into a new source.  Returns its file index, or 0 on failure
 * with errno set.  Files larger than SC_MAX_SOURCE are refused (EFBIG). */
#define SC_MAX_SOURCE ((size_t)256 * 1024 * 1024)
uint32_t sc_diag_load(sc_diag *d, const char *path);
/* Message for the errno of a failed sc_diag_load. */
const char *sc_diag_load_strerror(int e);
/* Adds an in-memory source (tests, fuzzers, stdin).  TEXT is copied. */
uint32_t sc_diag_add(sc_diag *d, const char *path, const char *text, size_t len);

const sc_source *sc_diag_source(const sc_diag *d, uint32_t file);
sc_str sc_span_text(const sc_diag *d, sc_span sp);
/* 1-based line and byte column of a span start. */
void sc_diag_linecol(sc_diag *d, sc_span sp, unsigned *line, unsigned *col);
/* "FILE:LINE:COL" into buf (always NUL-terminated). */
void sc_diag_where(sc_diag *d, sc_span sp, char *buf, size_t bufsz);

#define SC_NOWHERE ((sc_span){ 0u, 0u, 0u })
void sc_diag_report(sc_diag *d, sc_severity sev, const char *rule, sc_span sp, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
#define sc_error(d, sp, ...)   sc_diag_report((d), SC_SEV_ERROR, NULL, (sp), __VA_ARGS__)
#define sc_note(d, sp, ...)    sc_diag_report((d), SC_SEV_NOTE, NULL, (sp), __VA_ARGS__)
/* Warnings come from lints, each with its rule id (lint.h). */
#define sc_warning(d, rule, sp, ...) sc_diag_report((d), SC_SEV_WARNING, (rule), (sp), __VA_ARGS__)

/* Errors in source order: between sc_diag_defer and sc_diag_flush,
 * diagnostics are kept; the flush sorts the errors (each with its notes) by
 * file and offset and prints them (or, when collecting, leaves them sorted
 * in rec).  The resolver brackets a whole policy with them, so that a
 * syntax error on line 9 comes after an unknown set on line 2. */
void sc_diag_defer(sc_diag *d);
void sc_diag_flush(sc_diag *d);

/* Attaches a fix-it to the error or warning just reported: the text that
 * should replace the bytes of SP.  Printed under the caret line, aligned
 * with SP when SP is on the line shown, otherwise as "fix-it: TEXT"; JSON
 * and SARIF carry it as a replacement of a region. */
void sc_fixit(sc_diag *d, sc_span sp, const char *text);

/* Writes S for a human: printable ASCII and UTF-8 as is, control bytes as
 * \xHH, single quotes and backslashes escaped (messages quote with '').  Used in messages so that a hostile name cannot forge output. */
void sc_fput_quoted(FILE *f, sc_str s);
/* Same into a buffer, truncating with "..." past bufsz. */
void sc_quote(char *buf, size_t bufsz, sc_str s);

#endif
