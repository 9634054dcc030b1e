/*
 * taskindex.c — the task lookup of a decision: an open-addressing hash
 * table of the task names, built at load, so that finding the request's
 * task costs one table line (and the name's bytes, fetched in parallel)
 * instead of one dependent record a few bytes of the name in the task
 * automaton.
 *
 * The table is derived from the verified image and trusted the same way:
 * a name enters it only if the task automaton, walked over that name,
 * ends at that task.  A name the table does not hold is walked through the
 * automaton as before, so the answer is the automaton's for every input,
 * whatever the image holds (an undeclared task costs the walk).
 */
#include "image.h"

#include <stdlib.h>
#include <string.h>

struct scope_task_slot {
	uint32_t hash;          /* 0: empty slot */
	uint32_t len;
	const char *name;       /* in STRBYTES */
	const uint32_t *parts;  /* the task's first AUTOMATA entry */
	uint32_t nparts;
	uint32_t task;
};

static uint64_t mix(uint64_t a, uint64_t b)
{
	__uint128_t m = (__uint128_t)a * b;
	return (uint64_t)m ^ (uint64_t)(m >> 64);
}

/* A short-string hash: whole words, no loop for names of <= 16 bytes (two
 * loads that may overlap).  Not keyed: requests choose only the name they
 * look up, never the table's layout, which the policy's names fix. */
static uint32_t task_hash(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	const uint64_t k1 = 0x9e3779b97f4a7c15u, k2 = 0xc2b2ae3d27d4eb4fu;
	uint64_t a, b, h = k1 ^ n;
	if (n >= 8) {
		for (; n > 16; p += 16, n -= 16)
			h = mix(scope_bc_load64(p) ^ k2 ^ h, scope_bc_load64(p + 8) ^ k1);
		a = scope_bc_load64(p);
		b = scope_bc_load64(p + n - 8);
	} else if (n >= 4) {
		a = scope_bc_load32(p);
		b = scope_bc_load32(p + n - 4);
	} else {
		a = n ? (uint64_t)p[0] << 16 | (uint64_t)p[n >> 1] << 8 | p[n - 1] : 0;
		b = 0;
	}
	h = mix(a ^ k2 ^ h, b ^ k1);
	uint32_t v = (uint32_t)(h ^ h >> 32);
	return v ? v : 1; /* 0 marks an empty slot */
}

/* Table size: a power of two with load <= 2/3, so that a probe for a name
 * that is not there ends after a few slots. */
static size_t table_size(uint32_t ntasks)
{
	size_t n = 4;
	while (n * 2 < (size_t)ntasks * 3)
		n *= 2;
	return n;
}

int scope_task_index_build(scope_policy *p)
{
	uint32_t nt = SC_NTASKS(p);
	size_t size = table_size(nt);
	struct scope_task_slot *t = calloc(size, sizeof *t);
	if (!t)
		return -SCOPE_ENOMEM;
	const uint32_t *ta = SC_AUTOMATA(p);
	for (uint32_t i = 0; i < nt; i++) {
		const uint32_t *e = SC_TASKS(p) + (size_t)i * SCOPE_BC_TASK_WORDS;
		uint32_t len;
		const char *name = scope_str(p, e[0], &len);
		/* (the walk is deterministic: two entries of one name cannot both
		 * pass, so a name is in the table at most once) */
		if (scope_image_walk(p, ta, ta[2], name, len) != i + 1)
			continue; /* the automaton does not agree: leave it the walk */
		uint32_t h = task_hash(name, len);
		size_t k = h & (size - 1);
		while (t[k].hash)
			k = (k + 1) & (size - 1);
		t[k] = (struct scope_task_slot){ h, len, name, SC_AUTOMATA(p) + (size_t)e[1] * SCOPE_BC_AUTOMATON_WORDS,
						 e[2], i };
	}
	p->task_slots = t;
	p->task_mask = (uint32_t)(size - 1);
	return 0;
}

/* The parts of the task named [name, name + len): *NPARTS automaton
 * entries from the one returned, or NULL when no task has that name. */
const uint32_t *scope_task_find(const scope_policy *p, const char *name, size_t len, uint32_t *nparts)
{
	uint32_t h = task_hash(name, len);
	for (size_t k = h & p->task_mask;; k = (k + 1) & p->task_mask) {
		const struct scope_task_slot *s = &p->task_slots[k];
		if (!s->hash)
			break;
		if (s->hash == h && s->len == len && (len == 0 || memcmp(s->name, name, len) == 0)) {
			*nparts = s->nparts;
			return s->parts;
		}
	}
	/* not in the table: the automaton decides (an undeclared task, or a
	 * name the table left to it) */
	const uint32_t *ta = SC_AUTOMATA(p);
	uint32_t t = scope_image_walk(p, ta, ta[2], name, len);
	if (t == 0)
		return NULL;
	const uint32_t *e = SC_TASKS(p) + (size_t)(t - 1) * SCOPE_BC_TASK_WORDS;
	*nparts = e[2];
	return SC_AUTOMATA(p) + (size_t)e[1] * SCOPE_BC_AUTOMATON_WORDS;
}
