/*
 * handle.c — hot swap: replace a policy while other threads keep deciding.
 *
 * The scheme (two slots, two reader counters; readers never lock or wait):
 *
 *   reader:  i = cur;  readers[i]++;  if (cur != i) { readers[i]--; retry }
 *            p = slot[i];  ... decide with p ...;  readers[i]--
 *   writer:  (under the writer mutex)  j = 1 - cur;
 *            slot[j] = next;  cur = j;            // publish
 *            wait until readers[1 - j] == 0;       // old readers drain
 *            free(slot[1 - j]);  slot[1 - j] = NULL
 *
 * Why the old policy P (slot i) is never freed under a reader: the writer
 * frees P only after storing cur = j and then seeing readers[i] == 0.  A
 * reader that uses P incremented readers[i] and *afterwards* saw cur == i.
 * All operations are sequentially consistent, so either that check came
 * before the writer's store (then the increment did too, and the writer
 * cannot see 0 until the reader's decrement, after its last use of P), or
 * after it — impossible while the same writer still holds i unpublished,
 * since cur returns to i only in a later swap, which first installs a new
 * policy in slot i (and the reader reads slot[i] after its check).
 *
 * A reader retries only when a swap happened between its two loads of cur;
 * it gives up (deny, -SCOPE_EBUSY) after SCOPE_HANDLE_RETRIES, so even a
 * writer swapping in a loop cannot make a decision unbounded.
 */
#include "scope.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#define SCOPE_HANDLE_RETRIES 64

struct scope_handle {
	_Atomic(scope_policy *) slot[2];
	atomic_uint cur;
	/* each counter on its own cache line: readers of one slot do not
	 * bounce the line of the other */
	struct {
		atomic_ulong n;
		char pad[64 - sizeof(atomic_ulong)];
	} readers[2];
	pthread_mutex_t writer;
};

int scope_handle_create(scope_handle **out, scope_policy *initial)
{
	if (!out)
		return -SCOPE_EINVAL;
	scope_handle *h = calloc(1, sizeof *h);
	*out = NULL;
	if (!h)
		return -SCOPE_ENOMEM;
	if (pthread_mutex_init(&h->writer, NULL) != 0) {
		free(h);
		return -SCOPE_ENOMEM;
	}
	atomic_init(&h->slot[0], initial);
	atomic_init(&h->slot[1], NULL);
	atomic_init(&h->cur, 0);
	atomic_init(&h->readers[0].n, 0);
	atomic_init(&h->readers[1].n, 0);
	*out = h;
	return 0;
}

void scope_handle_destroy(scope_handle *h)
{
	if (!h)
		return;
	scope_policy_destroy(atomic_load(&h->slot[0]));
	scope_policy_destroy(atomic_load(&h->slot[1]));
	pthread_mutex_destroy(&h->writer);
	free(h);
}

int scope_handle_swap(scope_handle *h, scope_policy *next)
{
	if (!h)
		return -SCOPE_EINVAL;
	pthread_mutex_lock(&h->writer);
	unsigned i = atomic_load(&h->cur), j = 1 - i;
	/* slot j is empty: the previous swap drained and freed it, but late
	 * readers that saw cur == j long ago may still be backing off */
	while (atomic_load(&h->readers[j].n) != 0)
		sched_yield();
	atomic_store(&h->slot[j], next);
	atomic_store(&h->cur, j);
	while (atomic_load(&h->readers[i].n) != 0)
		sched_yield();
	scope_policy *old = atomic_exchange(&h->slot[i], NULL);
	pthread_mutex_unlock(&h->writer);
	scope_policy_destroy(old);
	return 0;
}

int scope_handle_acquire(scope_handle *h, const scope_policy **out, unsigned *ticket)
{
	if (!h || !out || !ticket)
		return -SCOPE_EINVAL;
	*out = NULL;
	for (int tries = 0; tries < SCOPE_HANDLE_RETRIES; tries++) {
		unsigned i = atomic_load(&h->cur);
		atomic_fetch_add(&h->readers[i].n, 1);
		if (atomic_load(&h->cur) == i) {
			scope_policy *p = atomic_load(&h->slot[i]);
			if (!p) {
				atomic_fetch_sub(&h->readers[i].n, 1);
				return -SCOPE_ENOPOLICY;
			}
			*out = p;
			*ticket = i;
			return 0;
		}
		atomic_fetch_sub(&h->readers[i].n, 1);
	}
	return -SCOPE_EBUSY;
}

void scope_handle_release(scope_handle *h, unsigned ticket)
{
	if (h && ticket < 2)
		atomic_fetch_sub(&h->readers[ticket].n, 1);
}

int scope_handle_decide(scope_handle *h, scope_scratch *s, const scope_request *rq, scope_result *out)
{
	const scope_policy *p;
	unsigned ticket;
	int rc = scope_handle_acquire(h, &p, &ticket);
	if (rc < 0) {
		if (out)
			*out = (scope_result){ SCOPE_DENY, SCOPE_WHY_ERROR, SCOPE_NO_ITEM, false };
		return rc;
	}
	rc = scope_decide(p, s, rq, out);
	scope_handle_release(h, ticket);
	return rc;
}
