/* policygen.h — random policy sources and requests, for the differential
 * tests (tests/check_backend.c and the suites that share its helpers) and
 * the fuzz target tests/fuzz/fuzz_diff.c.
 *
 * There is one generator; what drives its choices is a byte source: the
 * unit tests plug in their seeded PRNG (so a printed seed reproduces a
 * run), the fuzzer the input bytes (so libFuzzer's mutations become
 * structural ones: one byte changed is one choice of the generator
 * changed, and the text stays a policy). */
#ifndef SC_POLICYGEN_H
#define SC_POLICYGEN_H

#include "refeval.h"

#include <stddef.h>
#include <stdint.h>

/* Where the choices come from: PICK returns a number below N (N >= 1). */
typedef struct sc_pg_src {
	unsigned (*pick)(struct sc_pg_src *s, unsigned n);
	uint64_t picks; /* choices made so far, of 2 or more outcomes (sc_pg_pick) */
} sc_pg_src;

unsigned sc_pg_pick(sc_pg_src *s, unsigned n);

/* Input bytes as a source: one byte per choice (two above 256 outcomes).
 * Once the bytes run out, choices are 0 (the smallest policy: inputs that
 * libFuzzer shortens stay meaningful), or, when FALLBACK is not 0, come
 * from a PRNG seeded with it (requests: every input gets enough). */
typedef struct sc_pg_bytes {
	sc_pg_src src;
	const uint8_t *data;
	size_t size, pos;
	uint64_t fallback;
} sc_pg_bytes;

void sc_pg_bytes_init(sc_pg_bytes *b, const uint8_t *data, size_t size, uint64_t fallback);

/* A source that replays INNER but answers differently at one choice, the
 * AT-th (counted from 0): INNER's answer plus 1 + DELTA, modulo N.  It
 * consumes what INNER does, so the choices after it stay aligned: the
 * policy it drives is a small mutation of INNER's. */
typedef struct sc_pg_mutant {
	sc_pg_src src;
	sc_pg_src *inner;
	uint64_t at;
	unsigned delta;
} sc_pg_mutant;

void sc_pg_mutant_init(sc_pg_mutant *m, sc_pg_src *inner, uint64_t at, unsigned delta);

/* A policy source using every construct of the language but `include`:
 * `let` sets (both spellings) and `@` references (bare and quoted), tasks
 * with `extends` lists, `task *`, allows/asks/denies items with glob
 * patterns (bare and quoted), conditions with ==, !=, <, <=, >, >=, in,
 * like, matches (with and without /i), has, not, and, or, parentheses.
 * Tasks are t0..t3, attribute keys k, j, n and k=v w". Malloc'd. */
char *sc_pg_policy(sc_pg_src *s);

/* A request over the alphabet of the patterns above. */
typedef struct sc_pg_req {
	char task[16], action[64], resource[64];
	sc_attr attrs[4];
	size_t nattrs;
	sc_request rq;
} sc_pg_req;

void sc_pg_request(sc_pg_src *s, sc_pg_req *r);

#endif
