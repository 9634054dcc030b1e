/* ep_sha256.c — the policy digest: "sha256:" + hex of the loaded bytecode
 * image (so that `sha256sum policy.scopec` matches); see ep.h.
 *
 * The hash is Nettle's, not our own: a digest that audit logs rely on
 * should come from a library made and reviewed for it.  Nettle rather than
 * OpenSSL's libcrypto because `scopec hook` starts once per tool call:
 * libcrypto 3 costs about three million instructions of loading and
 * initialisation before it hashes a byte (measured with callgrind), Nettle
 * none, and it uses the CPU's SHA instructions where there are some. */
#include "ep.h"

#include <nettle/sha2.h>
#include <stdio.h>

void ep_sha256(const void *data, size_t len, uint8_t out[EP_SHA256_LEN])
{
	struct sha256_ctx ctx;
	sha256_init(&ctx);
	sha256_update(&ctx, len, data);
	sha256_digest(&ctx, EP_SHA256_LEN, out);
}

void ep_sha256_str(const void *data, size_t len, char buf[EP_DIGEST_STR])
{
	uint8_t d[EP_SHA256_LEN];
	ep_sha256(data, len, d);
	int n = snprintf(buf, EP_DIGEST_STR, "sha256:");
	for (size_t i = 0; i < EP_SHA256_LEN; i++)
		n += snprintf(buf + n, EP_DIGEST_STR - (size_t)n, "%02x", d[i]);
}
