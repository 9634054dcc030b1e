/*
 * mcp_map.c — the id tables: proxy id (an integer >= 1) -> entry.  Open
 * addressing with linear probing, at most half full, deletion by shifting
 * the following run back (no tombstones), so lookups stay short however
 * many requests come and go.  The callers bound the number of entries
 * (--max-pending), so the table's size is bounded too.
 */
#include "mcp.h"

#include <stdlib.h>

static size_t slot_of(uint64_t key, size_t cap)
{
	key ^= key >> 33; /* ids are sequential: mix them (splitmix64's finaliser) */
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return (size_t)key & (cap - 1);
}

void *mcp_map_get(const mcp_map *m, uint64_t key)
{
	if (!m->cap || key == 0)
		return NULL;
	for (size_t i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == key)
			return m->vals[i];
		if (m->keys[i] == 0)
			return NULL;
	}
}

static int grow(mcp_map *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	uint64_t *keys = calloc(cap, sizeof *keys);
	void **vals = calloc(cap, sizeof *vals);
	if (!keys || !vals) {
		free(keys);
		free(vals);
		return -1;
	}
	for (size_t j = 0; j < m->cap; j++) {
		if (!m->keys[j])
			continue;
		size_t i = slot_of(m->keys[j], cap);
		while (keys[i])
			i = (i + 1) & (cap - 1);
		keys[i] = m->keys[j];
		vals[i] = m->vals[j];
	}
	free(m->keys);
	free(m->vals);
	m->keys = keys;
	m->vals = vals;
	m->cap = cap;
	return 0;
}

int mcp_map_put(mcp_map *m, uint64_t key, void *val)
{
	if (key == 0 || ((m->n + 1) * 2 > m->cap && grow(m) < 0))
		return -1;
	size_t i = slot_of(key, m->cap);
	while (m->keys[i] && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	if (!m->keys[i])
		m->n++;
	m->keys[i] = key;
	m->vals[i] = val;
	return 0;
}

void *mcp_map_take(mcp_map *m, uint64_t key)
{
	if (!m->cap || key == 0)
		return NULL;
	size_t mask = m->cap - 1, i = slot_of(key, m->cap);
	while (m->keys[i] != key) {
		if (!m->keys[i])
			return NULL;
		i = (i + 1) & mask;
	}
	void *val = m->vals[i];
	m->n--;
	/* shift back every entry of the run that would no longer be found */
	for (size_t j = (i + 1) & mask; m->keys[j]; j = (j + 1) & mask) {
		size_t home = slot_of(m->keys[j], m->cap);
		/* entry j may move to the hole i if its home is not in (i, j] */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->keys[i] = m->keys[j];
			m->vals[i] = m->vals[j];
			i = j;
		}
	}
	m->keys[i] = 0;
	m->vals[i] = NULL;
	return val;
}

void mcp_map_each(const mcp_map *m, void (*fn)(void *val, void *arg), void *arg)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->keys[i])
			fn(m->vals[i], arg);
}

void mcp_map_free(mcp_map *m)
{
	free(m->keys);
	free(m->vals);
	m->keys = NULL;
	m->vals = NULL;
	m->cap = m->n = 0;
}
