/* backend_test.h — helpers shared by the back-end and runtime suites
 * (defined in check_backend.c). */
#ifndef SC_BACKEND_TEST_H
#define SC_BACKEND_TEST_H

#include "backend.h"
#include "policygen.h"
#include "scope.h"

/* Reproducible randomness: SCOPE_SEED=N in the environment picks the run. */
uint64_t sc_bt_seed(void);
uint64_t sc_bt_rand(uint64_t *s);

/* A random policy source using every construct (tests/policygen.c; malloc'd). */
char *sc_bt_random_policy(uint64_t *s);

/* tests/policygen.h's request, drawn from the PRNG */
typedef sc_pg_req sc_bt_req;

void sc_bt_random_request(uint64_t *s, sc_bt_req *r);

/* Same decision, reason, deciding item and unknown flag. */
bool sc_bt_same(const sc_result *a, const sc_result *b);

/* Compiles P (asserting success); the image is malloc'd. */
unsigned char *sc_bt_compile(sc_policy *p, sc_diag *d, bool strip, uint32_t max_states, size_t *len);

uint32_t sc_bt_label_one(void *ctx, const uint32_t *ids, uint32_t n);

#endif
