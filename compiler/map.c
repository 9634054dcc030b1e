/* map.c — see map.h. */
#include "map.h"
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>

static uint64_t hash(sc_str k)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < k.n; i++) {
		h ^= (unsigned char)k.s[i];
		h *= 1099511628211ull;
	}
	return h;
}

void sc_map_init(sc_map *m)
{
	m->cap = 16;
	m->n = 0;
	m->slots = calloc(m->cap, sizeof *m->slots);
	if (!m->slots)
		sc_fatal_oom();
}

void sc_map_fini(sc_map *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->n = 0;
}

static sc_map_slot *find(const sc_map *m, sc_str key)
{
	size_t mask = m->cap - 1, i = (size_t)hash(key) & mask;
	while (m->slots[i].val && !sc_str_eq(m->slots[i].key, key))
		i = (i + 1) & mask;
	return &m->slots[i];
}

void *sc_map_get(const sc_map *m, sc_str key)
{
	return find(m, key)->val;
}

static void grow(sc_map *m)
{
	sc_map old = *m;
	m->cap *= 2;
	m->n = 0;
	m->slots = calloc(m->cap, sizeof *m->slots);
	if (!m->slots)
		sc_fatal_oom();
	for (size_t i = 0; i < old.cap; i++)
		if (old.slots[i].val)
			sc_map_put(m, old.slots[i].key, old.slots[i].val);
	free(old.slots);
}

void *sc_map_put(sc_map *m, sc_str key, void *val)
{
	if (2 * (m->n + 1) > m->cap)
		grow(m);
	sc_map_slot *s = find(m, key);
	if (s->val)
		return s->val;
	s->key = key;
	s->val = val;
	m->n++;
	return NULL;
}
