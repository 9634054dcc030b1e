/*
 * sha256.h — SHA-256 (FIPS 180-4), written from the standard; used for the
 * policy digest of the decision log ("sha256:" + 64 hex digits of the
 * bytecode image the gateway loaded, so `sha256sum policy.scopec` matches).
 */
#ifndef GW_SHA256_H
#define GW_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define GW_SHA256_LEN 32
/* "sha256:" + 64 hex digits + NUL */
#define GW_DIGEST_STR 72

void gw_sha256(const void *data, size_t len, uint8_t out[GW_SHA256_LEN]);
/* "sha256:<hex>" of DATA into BUF (GW_DIGEST_STR bytes). */
void gw_sha256_str(const void *data, size_t len, char buf[GW_DIGEST_STR]);

#endif
