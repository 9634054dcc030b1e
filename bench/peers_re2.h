/* peers_re2.h — C interface of the RE2::Set peer (peers_re2.cc). */
#ifndef PEERS_RE2_H
#define PEERS_RE2_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct peers_re2 peers_re2;

/* A set of N anchored patterns with their kinds (0 allow, 1 ask, 2 deny);
 * NULL with a message in ERR on failure. */
peers_re2 *peers_re2_new(const char *const *patterns, const unsigned char *kinds, size_t n, char *err,
			 size_t errlen);
/* The decision for S (deny-first), or -1 if RE2 could not decide. */
int peers_re2_decide(peers_re2 *r, const char *s, size_t n);
void peers_re2_free(peers_re2 *r);

#ifdef __cplusplus
}
#endif

#endif
