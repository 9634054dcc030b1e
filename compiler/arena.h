/*
 * arena.h — bump allocator for everything the compiler builds.
 *
 * The whole front end (tokens, AST, resolved policy) lives in one arena and is
 * released with one sc_arena_free().  That is why the lemon grammar needs no
 * %destructor: no nonterminal owns heap memory of its own.
 *
 * Out of memory is not recoverable in the compiler: sc_arena_alloc() prints
 * "scopec: out of memory" and exits with status 2, which every CLI command
 * documents as "policy unusable" (fail closed: nothing is ever allowed).
 */
#ifndef SC_ARENA_H
#define SC_ARENA_H

#include <stddef.h>

typedef struct sc_arena sc_arena;

sc_arena *sc_arena_new(void);
void sc_arena_free(sc_arena *a);                 /* accepts NULL */
void *sc_arena_alloc(sc_arena *a, size_t n);     /* zeroed, 16-byte aligned */
void *sc_arena_array(sc_arena *a, size_t count, size_t size); /* overflow-checked */
char *sc_arena_strndup(sc_arena *a, const char *s, size_t n);  /* NUL-terminated copy */
void sc_fatal_oom(void);                         /* never returns */
/* Heap allocation for the compiler's own tables: zeroed / resized, and
 * sc_fatal_oom() instead of NULL.  A size of 0 still returns a pointer. */
void *sc_xcalloc(size_t count, size_t size);
void *sc_xrealloc(void *p, size_t size);

/* Growable array of pointers allocated from the heap (not the arena), for
 * lists whose size is unknown while parsing (items of a 100k-item clause). */
typedef struct sc_vec {
	void **v;
	size_t n, cap;
} sc_vec;

void sc_vec_push(sc_vec *vec, void *p);
void sc_vec_free(sc_vec *vec);
/* Move the contents into the arena and reset the vector. */
void **sc_vec_seal(sc_vec *vec, sc_arena *a);

/* A growable byte string on the heap (text being built: fmt output,
 * condition keys, generated policies in tests).  s is NUL-terminated once
 * anything was written; free it with free(b.s). */
typedef struct sc_buf {
	char *s;
	size_t n, cap;
} sc_buf;

void sc_buf_put(sc_buf *b, const char *s, size_t n);
void sc_buf_puts(sc_buf *b, const char *s);
void sc_buf_printf(sc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
