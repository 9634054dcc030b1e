/*
 * map.h — a string-keyed hash map (open addressing, FNV-1a) for the
 * resolver's symbol tables.  Keys are borrowed, not copied.
 */
#ifndef SC_MAP_H
#define SC_MAP_H

#include "diag.h"

typedef struct sc_map_slot {
	sc_str key;
	void *val;       /* NULL = empty slot */
} sc_map_slot;

typedef struct sc_map {
	sc_map_slot *slots;
	size_t cap, n;   /* cap is a power of two */
} sc_map;

void sc_map_init(sc_map *m);
void sc_map_fini(sc_map *m);
void *sc_map_get(const sc_map *m, sc_str key);
/* Inserts KEY unless present; returns the value already there, or NULL
 * after inserting VAL (which must not be NULL). */
void *sc_map_put(sc_map *m, sc_str key, void *val);

#endif
