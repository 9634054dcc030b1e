/*
 * verify.c — proves an image safe once, at load, so that decide.c needs no
 * check in its loops (the idea of the Linux BPF verifier).
 *
 * Every offset, index, count, table entry, jump and string bound is checked
 * here against the section it points into; records are parsed by one linear
 * pass per section, and references must land on record starts (bitmaps of
 * starts, built in the same pass).  All arithmetic is done in 64 bits on
 * 32-bit fields, so nothing can wrap.  The verifier allocates (bitmaps);
 * decisions do not.
 */
#include "image.h"
#include "number.h"

#include <stdlib.h>
#include <string.h>

typedef struct vstate {
	scope_policy *p;
	const char *why;
	uint8_t *state_start;   /* bitmap over STATES words */
	uint8_t *outcome_start; /* bitmap over OUTCOMES words */
	uint8_t *block_start;   /* bitmap over CODE instructions */
	int16_t *depth;         /* expected stack depth per CODE instruction */
} vstate;

#define FAIL(v, msg) return ((v)->why = (msg), -SCOPE_EVERIFY)

static inline void bit_set(uint8_t *m, uint64_t i)
{
	m[i >> 3] |= (uint8_t)(1u << (i & 7));
}

static inline bool bit_get(const uint8_t *m, uint64_t i)
{
	return (m[i >> 3] >> (i & 7)) & 1u;
}

/* ---- header and directory ------------------------------------------------ */

static const struct {
	uint32_t unit;          /* bytes per entry (0: STRBYTES, any size) */
	bool required;
} sec_info[SCOPE_SEC_MAX + 1] = {
	[SCOPE_SEC_STRBYTES] = { 0, true },
	[SCOPE_SEC_STRINGS] = { 8, true },
	[SCOPE_SEC_CMAPS] = { 4 * SCOPE_BC_CMAP_WORDS, true },
	[SCOPE_SEC_STATES] = { 4, true },
	[SCOPE_SEC_AUTOMATA] = { 4 * SCOPE_BC_AUTOMATON_WORDS, true },
	[SCOPE_SEC_TASKS] = { 4 * SCOPE_BC_TASK_WORDS, true },
	[SCOPE_SEC_ITEMS] = { 4, true },
	[SCOPE_SEC_OUTCOMES] = { 4, true },
	[SCOPE_SEC_CODE] = { 8, true },
	[SCOPE_SEC_REGEX] = { 4 * SCOPE_BC_REGEX_WORDS, true },
	[SCOPE_SEC_DEBUG_FILES] = { 4, false },
	[SCOPE_SEC_DEBUG_ITEMS] = { 4 * SCOPE_BC_DEBUG_ITEM_WORDS, false },
	[SCOPE_SEC_NFA] = { 4, false },
};

static int verify_header(vstate *v)
{
	scope_policy *p = v->p;
	const unsigned char *b = (const unsigned char *)p->img;
	if (p->len < SCOPE_BC_HEADER || memcmp(b, SCOPE_BC_MAGIC, SCOPE_BC_MAGIC_LEN) != 0)
		return v->why = "bad magic", -SCOPE_EFORMAT;
	uint32_t one = 1;
	if (*(const unsigned char *)&one != 1)
		return v->why = "big-endian host", -SCOPE_EFORMAT;
	p->version = scope_bc_load32(b + 8);
	if (p->version < SCOPE_BC_VERSION_MIN || p->version > SCOPE_BC_VERSION)
		return v->why = "version", -SCOPE_EVERSION;
	p->flags = scope_bc_load32(b + 12);
	if (scope_bc_load32(b + 16) != p->len || p->len > SCOPE_BC_MAX_IMAGE || p->len % 4)
		return v->why = "length field", -SCOPE_ELENGTH;
	uint64_t sum;
	memcpy(&sum, b + 24, 8);
	if (sum != scope_bc_hash64(b + SCOPE_BC_HEADER, p->len - SCOPE_BC_HEADER))
		return v->why = "checksum", -SCOPE_ECHECKSUM;
	if (p->flags & ~SCOPE_BC_F_DEBUG)
		FAIL(v, "unknown flags");
	uint32_t nsec = scope_bc_load32(b + 20);
	uint64_t dir_end = SCOPE_BC_HEADER + (uint64_t)nsec * SCOPE_BC_DIRENT;
	if (nsec > SCOPE_SEC_MAX || dir_end > p->len)
		FAIL(v, "section directory");
	bool seen[SCOPE_SEC_MAX + 1] = { false };
	uint64_t lo[SCOPE_SEC_MAX + 1], hi[SCOPE_SEC_MAX + 1];
	for (uint32_t i = 0; i < nsec; i++) {
		const unsigned char *e = b + SCOPE_BC_HEADER + (size_t)i * SCOPE_BC_DIRENT;
		uint32_t id = scope_bc_load32(e), off = scope_bc_load32(e + 4), size = scope_bc_load32(e + 8);
		if (id == 0 || id > SCOPE_SEC_MAX || seen[id] || scope_bc_load32(e + 12) != 0)
			FAIL(v, "section id");
		uint32_t unit = sec_info[id].unit;
		if (off % 4 || off < dir_end || (uint64_t)off + size > p->len || (unit && size % unit))
			FAIL(v, "section bounds");
		for (uint32_t j = 1; j <= SCOPE_SEC_MAX; j++)
			if (seen[j] && off < hi[j] && lo[j] < (uint64_t)off + size)
				FAIL(v, "sections overlap");
		seen[id] = true;
		lo[id] = off;
		hi[id] = (uint64_t)off + size;
		scope_section *s = &p->sec[id];
		s->b = b + off;
		s->w = (const uint32_t *)(b + off);
		if (id == SCOPE_SEC_STRBYTES)
			s->n = size;
		else if (id == SCOPE_SEC_STATES || id == SCOPE_SEC_OUTCOMES || id == SCOPE_SEC_ITEMS ||
			 id == SCOPE_SEC_DEBUG_FILES)
			s->n = size / 4;
		else if (id == SCOPE_SEC_CODE)
			s->n = size / 4; /* words; instructions are pairs */
		else
			s->n = size / unit;
	}
	for (uint32_t j = 1; j <= SCOPE_SEC_MAX; j++)
		if (sec_info[j].required && !seen[j])
			FAIL(v, "missing section");
	bool dbg = seen[SCOPE_SEC_DEBUG_FILES] || seen[SCOPE_SEC_DEBUG_ITEMS];
	bool dbg_both = seen[SCOPE_SEC_DEBUG_FILES] && seen[SCOPE_SEC_DEBUG_ITEMS];
	if (dbg != !!(p->flags & SCOPE_BC_F_DEBUG) || dbg != dbg_both)
		FAIL(v, "debug sections");
	return 0;
}

/* ---- tables ---------------------------------------------------------------- */

static int verify_strings(vstate *v)
{
	const scope_policy *p = v->p;
	uint64_t nbytes = p->sec[SCOPE_SEC_STRBYTES].n;
	for (uint32_t i = 0; i < SC_NSTRINGS(p); i++) {
		const uint32_t *e = SC_STRINGS(p) + 2 * (size_t)i;
		if ((uint64_t)e[0] + e[1] > nbytes)
			FAIL(v, "string out of bounds");
	}
	return 0;
}

/* A string the runtime hands out as a C string: NUL right after it. */
static bool str_has_nul(const scope_policy *p, uint32_t i)
{
	if (i >= SC_NSTRINGS(p))
		return false;
	const uint32_t *e = SC_STRINGS(p) + 2 * (size_t)i;
	uint64_t end = (uint64_t)e[0] + e[1];
	return end < p->sec[SCOPE_SEC_STRBYTES].n && SC_STRBYTES(p)[end] == 0;
}

static int verify_cmaps(vstate *v)
{
	const scope_policy *p = v->p;
	for (uint32_t i = 0; i < SC_NCMAPS(p); i++) {
		const uint32_t *m = SC_CMAPS(p) + (size_t)i * SCOPE_BC_CMAP_WORDS;
		if (m[0] < 1 || m[0] > 256)
			FAIL(v, "class count");
		const uint8_t *cls = (const uint8_t *)(m + 1);
		for (int c = 0; c < 256; c++)
			if (cls[c] >= m[0])
				FAIL(v, "class out of range");
	}
	return 0;
}

static int verify_automata_table(vstate *v)
{
	const scope_policy *p = v->p;
	uint64_t prev_hi = 2;
	if (SC_NAUTOMATA(p) < 1 || SC_NSTATES(p) < 2 || SC_NSTATES(p) > SCOPE_BC_MAX_STATE_WORDS)
		FAIL(v, "no automata");
	for (uint32_t i = 0; i < SC_NAUTOMATA(p); i++) {
		const uint32_t *a = SC_AUTOMATA(p) + (size_t)i * SCOPE_BC_AUTOMATON_WORDS;
		if (a[0] >= SCOPE_BC_A_COUNT || (a[0] == SCOPE_BC_A_TASKS) != (i == 0))
			FAIL(v, "automaton kind");
		if (a[1] >= SC_NCMAPS(p))
			FAIL(v, "automaton class map");
		if (a[0] == SCOPE_BC_A_NFA) { /* no region of STATES: verify_nfa() */
			if (a[3] || a[4])
				FAIL(v, "NFA part region");
			continue;
		}
		if (a[3] < prev_hi || a[3] >= a[4] || a[4] > SC_NSTATES(p))
			FAIL(v, "automaton region");
		prev_hi = a[4];
	}
	return 0;
}

/* ---- states ---------------------------------------------------------------- */

/* Size in words of the record W, or 0 if malformed (its flags included:
 * only a LITERAL of a version-2 image may be compact). */
static uint64_t record_words(const scope_policy *p, const uint32_t *w, uint32_t nclasses)
{
	uint32_t n = SCOPE_ST_N(w[0]);
	if (SCOPE_ST_FLAGS(w[0])) {
		bool compact = SCOPE_ST_TYPE(w[0]) == SCOPE_ST_LITERAL && (w[0] & SCOPE_ST_F_COMPACT) && p->version >= 2;
		return compact && n >= 1 ? 1 + ((uint64_t)n + 3) / 4 : 0;
	}
	switch (SCOPE_ST_TYPE(w[0])) {
	case SCOPE_ST_SINK: return n == 0 ? 2 : 0;
	case SCOPE_ST_DENSE: return n == 0 ? 2 + (uint64_t)nclasses : 0;
	case SCOPE_ST_SPARSE: return n <= 256 ? 3 + ((uint64_t)n + 3) / 4 + n : 0;
	case SCOPE_ST_LITERAL: return n >= 1 ? 5 + ((uint64_t)n + 3) / 4 : 0;
	default: return 0;
	}
}

/* REF must be the dead state or name a record start of [lo, hi) in PHASE,
 * with the record's type in its low bits. */
static bool target_ok(const vstate *v, uint32_t ref, uint32_t lo, uint32_t hi, uint32_t phase)
{
	if (ref == 0)
		return true;
	uint32_t off = SCOPE_REF_OFF(ref);
	if (off < lo || off >= hi || !bit_get(v->state_start, off))
		return false;
	uint32_t w = SC_STATES(v->p)[off];
	return SCOPE_ST_PHASE(w) == phase && SCOPE_ST_TYPE(w) == SCOPE_REF_TYPE(ref);
}

static bool payload_ok(const vstate *v, uint32_t phase, uint32_t pl, uint32_t lo, uint32_t hi)
{
	const scope_policy *p = v->p;
	switch (phase) {
	case SCOPE_PH_TASK: return pl <= SC_NTASKS(p);
	case SCOPE_PH_ACTION: return target_ok(v, pl, lo, hi, SCOPE_PH_RESOURCE);
	case SCOPE_PH_RESOURCE:
		if (pl & SCOPE_BC_ONE_ITEM)
			return (pl & ~SCOPE_BC_ONE_ITEM) < SC_NITEMS(p);
		return pl < SC_NOUTCOMES(p) && bit_get(v->outcome_start, pl);
	default: return pl <= 1;
	}
}

/* A LITERAL at word POS of either form: the record after a compact one
 * must be a record of the region (pass 1 sized the flags). */
static int verify_literal(const vstate *v, const uint32_t *w, uint32_t pos, uint32_t lo, uint32_t hi,
			  uint32_t ph)
{
	scope_bc_literal l = scope_bc_literal_at(w, pos);
	if ((w[0] & SCOPE_ST_F_COMPACT) && (uint64_t)pos + l.words >= hi)
		return -1;
	return payload_ok(v, ph, l.payload, lo, hi) && target_ok(v, l.fail, lo, hi, ph) &&
	       target_ok(v, l.next, lo, hi, ph) && payload_ok(v, ph, l.inside, lo, hi) ? 0 : -1;
}

static int verify_record(const vstate *v, uint32_t pos, uint32_t nclasses, uint32_t lo, uint32_t hi,
			 uint32_t kind)
{
	const uint32_t *w = SC_STATES(v->p) + pos;
	uint32_t ph = SCOPE_ST_PHASE(w[0]), n = SCOPE_ST_N(w[0]);
	bool phase_ok = kind == SCOPE_BC_A_TASKS ? ph == SCOPE_PH_TASK :
			kind == SCOPE_BC_A_VALUE ? ph == SCOPE_PH_VALUE :
			(ph == SCOPE_PH_ACTION || ph == SCOPE_PH_RESOURCE);
	if (!phase_ok)
		return -1;
	if (SCOPE_ST_TYPE(w[0]) == SCOPE_ST_LITERAL)
		return verify_literal(v, w, pos, lo, hi, ph);
	if (!payload_ok(v, ph, w[1], lo, hi))
		return -1;
	switch (SCOPE_ST_TYPE(w[0])) {
	case SCOPE_ST_SINK:
		return 0;
	case SCOPE_ST_DENSE:
		for (uint32_t c = 0; c < nclasses; c++)
			if (!target_ok(v, w[2 + c], lo, hi, ph))
				return -1;
		return 0;
	case SCOPE_ST_SPARSE: {
		if (!target_ok(v, w[2], lo, hi, ph))
			return -1;
		const uint32_t *next = w + 3 + (n + 3) / 4;
		uint32_t pad = (4 - n % 4) % 4;
		const uint8_t *keys = (const uint8_t *)(w + 3);
		for (uint32_t k = 0; k < pad; k++)
			if (keys[n + k] != 0)
				return -1;
		for (uint32_t k = 0; k < n; k++)
			if (!target_ok(v, next[k], lo, hi, ph))
				return -1;
		return 0;
	}
	}
	return -1;
}

static int verify_states(vstate *v)
{
	const scope_policy *p = v->p;
	const uint32_t *st = SC_STATES(p);
	if (st[0] != SCOPE_ST_WORD0(SCOPE_ST_SINK, 0, 0) || st[1] != 0)
		FAIL(v, "dead state");
	/* Pass 1: records tile each region; mark their starts. */
	for (uint32_t i = 0; i < SC_NAUTOMATA(p); i++) {
		const uint32_t *a = SC_AUTOMATA(p) + (size_t)i * SCOPE_BC_AUTOMATON_WORDS;
		uint32_t ncls = SC_CMAPS(p)[(size_t)a[1] * SCOPE_BC_CMAP_WORDS];
		uint64_t pos = a[3];
		while (pos < a[4]) {
			if (pos + 2 > a[4])
				FAIL(v, "state record truncated");
			uint64_t size = record_words(p, st + pos, ncls);
			if (size == 0 || pos + size > a[4])
				FAIL(v, "state record malformed");
			bit_set(v->state_start, pos);
			pos += size;
		}
	}
	/* Pass 2: every reference lands on a record start of the region. */
	for (uint32_t i = 0; i < SC_NAUTOMATA(p); i++) {
		const uint32_t *a = SC_AUTOMATA(p) + (size_t)i * SCOPE_BC_AUTOMATON_WORDS;
		uint32_t ncls = SC_CMAPS(p)[(size_t)a[1] * SCOPE_BC_CMAP_WORDS];
		if (a[0] == SCOPE_BC_A_NFA)
			continue;
		uint32_t start_phase = a[0] == SCOPE_BC_A_TASKS ? SCOPE_PH_TASK :
				       a[0] == SCOPE_BC_A_VALUE ? SCOPE_PH_VALUE : SCOPE_PH_ACTION;
		if (a[2] == 0 || !target_ok(v, a[2], a[3], a[4], start_phase))
			FAIL(v, "automaton start state");
		uint64_t pos = a[3];
		while (pos < a[4]) {
			if (verify_record(v, (uint32_t)pos, ncls, a[3], a[4], a[0]) < 0)
				FAIL(v, "state transition or payload");
			pos += record_words(p, st + pos, ncls);
		}
	}
	return 0;
}

/* ---- outcomes, items, tasks ---------------------------------------------- */

static int verify_outcomes(vstate *v)
{
	const scope_policy *p = v->p;
	const uint32_t *o = SC_OUTCOMES(p);
	uint64_t n = SC_NOUTCOMES(p), pos = 0;
	if (n < 3 || o[0] || o[1] || o[2])
		FAIL(v, "empty outcome record");
	while (pos < n) {
		if (pos + 3 > n)
			FAIL(v, "outcome record truncated");
		uint64_t total = (uint64_t)o[pos] + o[pos + 1] + o[pos + 2];
		if (pos + 3 + total > n)
			FAIL(v, "outcome record truncated");
		const uint32_t *ids = o + pos + 3;
		for (uint32_t kind = SCOPE_DENY + 1; kind-- > 0;) {
			/* lists in the order deny, ask, allow */
			uint32_t cnt = o[pos + (SCOPE_DENY - kind)];
			for (uint32_t k = 0; k < cnt; k++, ids++) {
				if (*ids >= SC_NITEMS(p) || SC_ITEMS(p)[*ids] >> 30 != kind)
					FAIL(v, "outcome item");
				if (k && ids[-1] >= ids[0])
					FAIL(v, "outcome list order");
			}
		}
		bit_set(v->outcome_start, pos);
		pos += 3 + total;
	}
	return 0;
}

static int verify_items(vstate *v)
{
	const scope_policy *p = v->p;
	for (uint32_t i = 0; i < SC_NITEMS(p); i++) {
		uint32_t w = SC_ITEMS(p)[i], c = w & SCOPE_BC_NO_COND;
		if (w >> 30 > SCOPE_DENY)
			FAIL(v, "item kind");
		if (c != SCOPE_BC_NO_COND && (c % 2 || c >= SC_NCODE(p) || !bit_get(v->block_start, c / 2)))
			FAIL(v, "item condition");
	}
	return 0;
}

/* One NFA record (bytecode.h): sizes in range and inside the section,
 * class bytes < K, entries of the kind their run says, ascending, final
 * bits inside their side. */
static int verify_nfa_record(vstate *v, uint32_t off)
{
	const scope_policy *p = v->p;
	if ((uint64_t)off + SCOPE_BC_NFA_HEAD_WORDS > SC_NNFA(p))
		FAIL(v, "NFA record truncated");
	const uint32_t *r = SC_NFA(p) + off;
	scope_bc_nfa g = scope_bc_nfa_at(r);
	if (g.m < 1 || g.m > SCOPE_BC_NFA_MAX_ITEMS || (uint64_t)g.nd + g.na > g.m || g.wa < 1 ||
	    g.wa > SCOPE_BC_NFA_MAX_WORDS || g.wr < 1 || g.wr > SCOPE_BC_NFA_MAX_WORDS || g.k < 1 || g.k > 256 ||
	    off + g.words > SC_NNFA(p))
		FAIL(v, "NFA record size");
	for (int b = 0; b < 256; b++)
		if (g.cls[b] >= g.k)
			FAIL(v, "NFA class out of range");
	const uint32_t *e = r + g.items;
	for (uint32_t i = 0; i < g.m; i++, e += 3) {
		uint32_t kind = i < g.nd ? SCOPE_DENY : i < g.nd + g.na ? SCOPE_ASK : SCOPE_ALLOW;
		bool first = i == 0 || i == g.nd || i == g.nd + g.na;
		if (e[0] >= SC_NITEMS(p) || SC_ITEMS(p)[e[0]] >> 30 != kind || (!first && e[0] <= e[-3]) ||
		    e[1] >= 64 * g.wa || e[2] >= 64 * g.wr)
			FAIL(v, "NFA item entry");
	}
	return 0;
}

static int verify_nfa(vstate *v)
{
	const scope_policy *p = v->p;
	for (uint32_t i = 0; i < SC_NAUTOMATA(p); i++) {
		const uint32_t *a = SC_AUTOMATA(p) + (size_t)i * SCOPE_BC_AUTOMATON_WORDS;
		if (a[0] == SCOPE_BC_A_NFA && verify_nfa_record(v, a[2]) < 0)
			return -SCOPE_EVERIFY;
	}
	return 0;
}

static int verify_tasks(vstate *v)
{
	const scope_policy *p = v->p;
	for (uint32_t i = 0; i < SC_NTASKS(p); i++) {
		const uint32_t *t = SC_TASKS(p) + (size_t)i * SCOPE_BC_TASK_WORDS;
		if (t[0] >= SC_NSTRINGS(p) || t[2] > SCOPE_BC_MAX_PARTS ||
		    (uint64_t)t[1] + t[2] > SC_NAUTOMATA(p))
			FAIL(v, "task entry");
		uint64_t nfa_items = 0; /* decide.c lists them in one buffer */
		for (uint32_t k = 0; k < t[2]; k++) {
			const uint32_t *a = SC_AUTOMATA(p) + (size_t)(t[1] + k) * SCOPE_BC_AUTOMATON_WORDS;
			if (a[0] == SCOPE_BC_A_NFA)
				nfa_items += SC_NFA(p)[a[2]];
			else if (a[0] != SCOPE_BC_A_POLICY)
				FAIL(v, "task part kind");
		}
		if (nfa_items > SCOPE_BC_NFA_MAX_ITEMS)
			FAIL(v, "NFA items of a task");
	}
	return 0;
}

static int verify_regex_and_debug(vstate *v)
{
	const scope_policy *p = v->p;
	for (uint32_t i = 0; i < SC_NREGEX(p); i++) {
		const uint32_t *r = SC_REGEXES(p) + 2 * (size_t)i;
		if (r[0] >= SC_NSTRINGS(p) || r[1] > 1)
			FAIL(v, "regex entry");
	}
	if (!(p->flags & SCOPE_BC_F_DEBUG))
		return 0;
	const scope_section *files = &p->sec[SCOPE_SEC_DEBUG_FILES];
	const scope_section *items = &p->sec[SCOPE_SEC_DEBUG_ITEMS];
	for (uint32_t i = 0; i < files->n; i++)
		if (!str_has_nul(p, files->w[i]))
			FAIL(v, "debug file name");
	if (items->n != SC_NITEMS(p))
		FAIL(v, "debug item count");
	for (uint32_t i = 0; i < items->n; i++) {
		const uint32_t *d = items->w + (size_t)i * SCOPE_BC_DEBUG_ITEM_WORDS;
		if (d[0] >= files->n || !str_has_nul(p, d[3]))
			FAIL(v, "debug item");
	}
	return 0;
}

/* ---- condition code ---------------------------------------------------- */

static const struct {
	uint8_t pops, pushes;
	char a, b;
} op_info[SCOPE_OP_COUNT] = {
#define SCOPE_X(name, pops, pushes, a, b) { pops, pushes, a, b },
	SCOPE_BC_OPS(SCOPE_X)
#undef SCOPE_X
};

static bool operand_ok(const scope_policy *p, char kind, uint32_t x)
{
	uint32_t len;
	switch (kind) {
	case '-': return x == 0;
	case 'K': case 'S': return x < SC_NSTRINGS(p);
	case 'N':
		if (x >= SC_NSTRINGS(p))
			return false;
		const char *s = scope_str(p, x, &len);
		return sc_number_valid(s, len);
	case 'V':
		return x < SC_NAUTOMATA(p) &&
		       SC_AUTOMATA(p)[(size_t)x * SCOPE_BC_AUTOMATON_WORDS] == SCOPE_BC_A_VALUE;
	case 'R': return x < SC_NREGEX(p);
	default: return true; /* 'J' is checked by the caller */
	}
}

/* One pass: blocks tile CODE; depth agrees on every path (jumps are forward
 * and conditional, so each instruction is reached by falling through and
 * possibly by jumps, which must bring the same depth). */
static int verify_code(vstate *v)
{
	const scope_policy *p = v->p;
	const uint32_t *code = SC_CODE(p);
	uint32_t ninsn = SC_NCODE(p) / 2;
	int depth = 0;
	uint32_t block = 0, max_target = 0;
	for (uint32_t pc = 0; pc < ninsn; pc++) {
		uint32_t w = code[2 * (size_t)pc], b = code[2 * (size_t)pc + 1];
		uint32_t op = SCOPE_OP_CODE(w), a = SCOPE_OP_A(w);
		if (pc == block)
			bit_set(v->block_start, pc);
		if (v->depth[pc] >= 0 && v->depth[pc] != depth)
			FAIL(v, "stack depth differs between paths");
		if (op >= SCOPE_OP_COUNT || !operand_ok(p, op_info[op].a, a) ||
		    !operand_ok(p, op_info[op].b, b))
			FAIL(v, "instruction operand");
		if (depth < op_info[op].pops)
			FAIL(v, "stack underflow");
		if ((op == SCOPE_OP_JF || op == SCOPE_OP_JT)) {
			if (depth < 1 || b % 2 || b / 2 <= pc || b / 2 >= ninsn)
				FAIL(v, "jump target");
			int16_t *t = &v->depth[b / 2];
			if (*t >= 0 && *t != depth)
				FAIL(v, "stack depth differs between paths");
			*t = (int16_t)depth;
			if (b / 2 > max_target)
				max_target = b / 2;
		}
		if (op == SCOPE_OP_RET) {
			if (depth != 1 || max_target > pc)
				FAIL(v, "block end");
			depth = 0;
			block = pc + 1;
			continue;
		}
		depth += op_info[op].pushes - op_info[op].pops;
		if (depth > (int)SCOPE_BC_MAX_STACK)
			FAIL(v, "stack too deep");
	}
	if (block != ninsn)
		FAIL(v, "last block has no RET");
	return 0;
}

/* ---- driver ---------------------------------------------------------------- */

int scope_verify_image(scope_policy *p, const char **why)
{
	vstate v = { .p = p, .why = NULL };
	int rc = verify_header(&v);
	if (rc == 0) {
		size_t ninsn = SC_NCODE(p) / 2;
		v.state_start = calloc((size_t)SC_NSTATES(p) / 8 + 1, 1);
		v.outcome_start = calloc((size_t)SC_NOUTCOMES(p) / 8 + 1, 1);
		v.block_start = calloc(ninsn / 8 + 1, 1);
		v.depth = malloc((ninsn + 1) * sizeof *v.depth);
		if (!v.state_start || !v.outcome_start || !v.block_start || !v.depth) {
			rc = -SCOPE_ENOMEM;
			v.why = "out of memory";
		} else {
			memset(v.depth, 0xff, (ninsn + 1) * sizeof *v.depth);
		}
	}
	/* Order matters: each step only uses what the steps before proved. */
	if (rc == 0) rc = verify_strings(&v);
	if (rc == 0) rc = verify_cmaps(&v);
	if (rc == 0) rc = verify_automata_table(&v);
	if (rc == 0) rc = verify_code(&v);
	if (rc == 0) rc = verify_items(&v);
	if (rc == 0) rc = verify_outcomes(&v);
	if (rc == 0) rc = verify_nfa(&v);
	if (rc == 0) rc = verify_tasks(&v);
	if (rc == 0) rc = verify_states(&v);
	if (rc == 0) rc = verify_regex_and_debug(&v);
	free(v.state_start);
	free(v.outcome_start);
	free(v.block_start);
	free(v.depth);
	if (why)
		*why = v.why;
	return rc;
}
