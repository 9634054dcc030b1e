/* ep_sha256.c — SHA-256 (FIPS 180-4), written from the standard, for the
 * policy digest ("sha256:" + hex of the loaded bytecode image, so that
 * `sha256sum policy.scopec` matches); see ep.h.  One-shot over a buffer in
 * memory (policy images are at most a few MiB), no incremental API. */
#include "ep.h"

#include <stdio.h>
#include <string.h>

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

/* One 64-byte block into the state H (FIPS 180-4 §6.2.2). */
static void compress(uint32_t H[8], const uint8_t *blk)
{
	uint32_t w[64];
	for (int t = 0; t < 16; t++)
		w[t] = (uint32_t)blk[4 * t] << 24 | (uint32_t)blk[4 * t + 1] << 16 |
		       (uint32_t)blk[4 * t + 2] << 8 | blk[4 * t + 3];
	for (int t = 16; t < 64; t++) {
		uint32_t s0 = ror(w[t - 15], 7) ^ ror(w[t - 15], 18) ^ (w[t - 15] >> 3);
		uint32_t s1 = ror(w[t - 2], 17) ^ ror(w[t - 2], 19) ^ (w[t - 2] >> 10);
		w[t] = w[t - 16] + s0 + w[t - 7] + s1;
	}
	uint32_t a = H[0], b = H[1], c = H[2], d = H[3], e = H[4], f = H[5], g = H[6], h = H[7];
	for (int t = 0; t < 64; t++) {
		uint32_t t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[t] + w[t];
		uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
	}
	H[0] += a, H[1] += b, H[2] += c, H[3] += d, H[4] += e, H[5] += f, H[6] += g, H[7] += h;
}

void ep_sha256(const void *data, size_t len, uint8_t out[EP_SHA256_LEN])
{
	uint32_t H[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
			  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	const uint8_t *p = data;
	size_t n = len;
	for (; n >= 64; p += 64, n -= 64)
		compress(H, p);
	/* padding: 0x80, zeros, then the length in bits, big-endian */
	uint8_t tail[128] = { 0 };
	if (n)
		memcpy(tail, p, n);
	tail[n] = 0x80;
	size_t tlen = n + 1 + 8 <= 64 ? 64 : 128;
	uint64_t bits = (uint64_t)len * 8;
	for (int i = 0; i < 8; i++)
		tail[tlen - 1 - i] = (uint8_t)(bits >> (8 * i));
	compress(H, tail);
	if (tlen == 128)
		compress(H, tail + 64);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(H[i] >> 24);
		out[4 * i + 1] = (uint8_t)(H[i] >> 16);
		out[4 * i + 2] = (uint8_t)(H[i] >> 8);
		out[4 * i + 3] = (uint8_t)H[i];
	}
}

void ep_sha256_str(const void *data, size_t len, char buf[EP_DIGEST_STR])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t d[EP_SHA256_LEN];
	ep_sha256(data, len, d);
	memcpy(buf, "sha256:", 7);
	for (int i = 0; i < EP_SHA256_LEN; i++) {
		buf[7 + 2 * i] = hex[d[i] >> 4];
		buf[8 + 2 * i] = hex[d[i] & 15];
	}
	buf[7 + 2 * EP_SHA256_LEN] = '\0';
}
