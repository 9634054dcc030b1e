/* bytecode.c — the name tables generated from bytecode.h's X-macros, and
 * the image checksum. */
#include "bytecode.h"

#include <string.h>

const char *const scope_bc_op_names[SCOPE_OP_COUNT] = {
#define SCOPE_X(name, pops, pushes, a, b) #name,
	SCOPE_BC_OPS(SCOPE_X)
#undef SCOPE_X
};

const char *const scope_bc_section_names[SCOPE_SEC_MAX + 1] = {
#define SCOPE_X(name, id, req) [id] = #name,
	SCOPE_BC_SECTIONS(SCOPE_X)
#undef SCOPE_X
};

const char *const scope_bc_state_type_names[SCOPE_ST_COUNT] = {
#define SCOPE_X(name, v) [v] = #name,
	SCOPE_BC_STATE_TYPES(SCOPE_X)
#undef SCOPE_X
};

const char *const scope_bc_phase_names[4] = {
#define SCOPE_X(name, v) [v] = #name,
	SCOPE_BC_PHASES(SCOPE_X)
#undef SCOPE_X
};

static inline uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

uint64_t scope_bc_hash64(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t a = 0x243f6a8885a308d3ull, b = 0x13198a2e03707344ull;
	uint64_t c = 0xa4093822299f31d0ull, d = 0x082efa98ec4e6c89ull;
	size_t i = 0;
	for (; i + 32 <= len; i += 32) {
		a = mix(a, scope_bc_load64(p + i));
		b = mix(b, scope_bc_load64(p + i + 8));
		c = mix(c, scope_bc_load64(p + i + 16));
		d = mix(d, scope_bc_load64(p + i + 24));
	}
	uint64_t h = mix(mix(mix(mix(0x452821e638d01377ull, a), b), c), d);
	for (; i < len; i++)
		h = mix(h, p[i]);
	return mix(h, (uint64_t)len);
}

static uint32_t load32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

scope_bc_layout scope_bc_layout_of(const void *data, size_t len, size_t *image_len)
{
	const unsigned char *b = data;
	*image_len = len;
	if (!b || len < SCOPE_BC_HEADER || memcmp(b, SCOPE_BC_MAGIC, SCOPE_BC_MAGIC_LEN) != 0)
		return SCOPE_BC_OTHER;
	size_t ilen = load32(b + 16);
	if (ilen == len)
		return SCOPE_BC_PLAIN;
	if (ilen < SCOPE_BC_HEADER || ilen > len || len - ilen < SCOPE_SIG_MAGIC_LEN ||
	    memcmp(b + ilen, SCOPE_SIG_MAGIC, SCOPE_SIG_MAGIC_LEN) != 0)
		return SCOPE_BC_OTHER;
	*image_len = ilen;
	if (len - ilen != SCOPE_SIG_TRAILER || load32(b + ilen + 8) != SCOPE_SIG_ED25519 ||
	    load32(b + ilen + 12) != 0)
		return SCOPE_BC_BADSIG;
	return SCOPE_BC_SIGNED;
}
