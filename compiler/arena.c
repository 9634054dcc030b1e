/* arena.c — see arena.h. */
#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SC_ARENA_CHUNK (64u * 1024u)

struct sc_chunk {
	struct sc_chunk *next;
	size_t used, size;
	_Alignas(16) unsigned char data[];
};

struct sc_arena {
	struct sc_chunk *head;
};

void sc_fatal_oom(void)
{
	fputs("scopec: out of memory\n", stderr);
	exit(2);
}

void *sc_xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);
	if (!p)
		sc_fatal_oom();
	return p;
}

void *sc_xrealloc(void *p, size_t size)
{
	p = realloc(p, size ? size : 1);
	if (!p)
		sc_fatal_oom();
	return p;
}

sc_arena *sc_arena_new(void)
{
	sc_arena *a = calloc(1, sizeof *a);
	if (!a)
		sc_fatal_oom();
	return a;
}

void sc_arena_free(sc_arena *a)
{
	if (!a)
		return;
	struct sc_chunk *c = a->head;
	while (c) {
		struct sc_chunk *next = c->next;
		free(c);
		c = next;
	}
	free(a);
}

static struct sc_chunk *chunk_new(size_t need)
{
	size_t size = need > SC_ARENA_CHUNK ? need : SC_ARENA_CHUNK;
	struct sc_chunk *c = malloc(sizeof *c + size);
	if (!c)
		sc_fatal_oom();
	c->next = NULL;
	c->used = 0;
	c->size = size;
	return c;
}

void *sc_arena_alloc(sc_arena *a, size_t n)
{
	if (n > SIZE_MAX - 16)
		sc_fatal_oom();
	n = (n + 15u) & ~(size_t)15u;
	struct sc_chunk *c = a->head;
	if (!c || c->size - c->used < n) {
		struct sc_chunk *fresh = chunk_new(n);
		/* Big blocks go behind the current chunk so its free tail stays usable. */
		if (c && n > SC_ARENA_CHUNK / 4) {
			fresh->next = c->next;
			c->next = fresh;
		} else {
			fresh->next = c;
			a->head = fresh;
		}
		c = fresh;
	}
	void *p = c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

void *sc_arena_array(sc_arena *a, size_t count, size_t size)
{
	if (size && count > SIZE_MAX / size)
		sc_fatal_oom();
	return sc_arena_alloc(a, count * size);
}

char *sc_arena_strndup(sc_arena *a, const char *s, size_t n)
{
	char *p = sc_arena_alloc(a, n + 1);
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void sc_vec_push(sc_vec *vec, void *p)
{
	if (vec->n == vec->cap) {
		size_t cap = vec->cap ? vec->cap * 2 : 8;
		void **v = realloc(vec->v, cap * sizeof *v);
		if (!v)
			sc_fatal_oom();
		vec->v = v;
		vec->cap = cap;
	}
	vec->v[vec->n++] = p;
}

void sc_vec_free(sc_vec *vec)
{
	free(vec->v);
	vec->v = NULL;
	vec->n = vec->cap = 0;
}

void **sc_vec_seal(sc_vec *vec, sc_arena *a)
{
	void **out = sc_arena_array(a, vec->n ? vec->n : 1, sizeof *out);
	if (vec->n)
		memcpy(out, vec->v, vec->n * sizeof *out);
	sc_vec_free(vec);
	return out;
}

static void buf_reserve(sc_buf *b, size_t more)
{
	if (b->cap - b->n > more)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap - b->n <= more) {
		if (cap > SIZE_MAX / 2)
			sc_fatal_oom();
		cap *= 2;
	}
	b->s = sc_xrealloc(b->s, cap);
	b->cap = cap;
}

void sc_buf_put(sc_buf *b, const char *s, size_t n)
{
	buf_reserve(b, n);
	if (n)
		memcpy(b->s + b->n, s, n); /* s may be NULL when n is 0 */
	b->n += n;
	b->s[b->n] = '\0';
}

void sc_buf_puts(sc_buf *b, const char *s)
{
	sc_buf_put(b, s, strlen(s));
}

void sc_buf_printf(sc_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (k < 0)
		return;
	buf_reserve(b, (size_t)k);
	va_start(ap, fmt);
	vsnprintf(b->s + b->n, b->cap - b->n, fmt, ap);
	va_end(ap);
	b->n += (size_t)k;
}
