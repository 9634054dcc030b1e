/* bcwrite.c — see bcwrite.h. */
#include "bcwrite.h"
#include "arena.h"

#include <stdlib.h>
#include <string.h>

/* A state with at most this many exception bytes (bytes whose target is
 * not the state's most common one) is a SPARSE record; more is DENSE. */
#define SC_SPARSE_MAX 12u

void sc_bcw_push(sc_bcw *w, int sec, uint32_t word)
{
	sc_wbuf *b = &w->sec[sec];
	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 256;
		b->w = sc_xrealloc(b->w, b->cap * sizeof *b->w);
	}
	b->w[b->n++] = word;
}

static uint64_t hash_bytes(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 1099511628211ull;
	}
	return h;
}

void sc_bcw_init(sc_bcw *w)
{
	memset(w, 0, sizeof *w);
	w->strcap = 1024;
	w->strhash = sc_xcalloc(w->strcap, sizeof *w->strhash);
	w->outcap = 1024;
	w->outhash = sc_xcalloc(w->outcap, sizeof *w->outhash);
	w->cmapcap = 64;
	w->cmaphash = sc_xcalloc(w->cmapcap, sizeof *w->cmaphash);
	/* the dead state, and the empty outcome record */
	sc_bcw_push(w, SCOPE_SEC_STATES, SCOPE_ST_WORD0(SCOPE_ST_SINK, 0, 0));
	sc_bcw_push(w, SCOPE_SEC_STATES, 0);
	for (int i = 0; i < 3; i++)
		sc_bcw_push(w, SCOPE_SEC_OUTCOMES, 0);
}

void sc_bcw_fini(sc_bcw *w)
{
	for (int i = 0; i <= SCOPE_SEC_MAX; i++)
		free(w->sec[i].w);
	free(w->bytes);
	free(w->strhash);
	free(w->outhash);
	free(w->cmaphash);
	memset(w, 0, sizeof *w);
}

/* ---- strings ---------------------------------------------------------------- */

static const unsigned char *str_at(const sc_bcw *w, uint32_t idx, uint32_t *len)
{
	const uint32_t *e = w->sec[SCOPE_SEC_STRINGS].w + 2 * (size_t)idx;
	*len = e[1];
	return w->bytes + e[0];
}

static void str_rehash(sc_bcw *w)
{
	size_t ncap = w->strcap * 2;
	uint32_t *nt = sc_xcalloc(ncap, sizeof *nt);
	uint32_t n = (uint32_t)(w->sec[SCOPE_SEC_STRINGS].n / 2);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t len;
		const unsigned char *s = str_at(w, i, &len);
		size_t k = hash_bytes(s, len) & (ncap - 1);
		while (nt[k])
			k = (k + 1) & (ncap - 1);
		nt[k] = i + 1;
	}
	free(w->strhash);
	w->strhash = nt;
	w->strcap = ncap;
}

uint32_t sc_bcw_string(sc_bcw *w, const char *s, size_t n)
{
	size_t k = hash_bytes(s, n) & (w->strcap - 1);
	for (uint32_t e; (e = w->strhash[k]) != 0; k = (k + 1) & (w->strcap - 1)) {
		uint32_t len;
		const unsigned char *t = str_at(w, e - 1, &len);
		if (len == n && memcmp(t, s, n) == 0)
			return e - 1;
	}
	if (w->nbytes + n + 1 > w->capbytes) {
		w->capbytes = (w->nbytes + n + 1) * 2;
		w->bytes = sc_xrealloc(w->bytes, w->capbytes);
	}
	if (n)
		memcpy(w->bytes + w->nbytes, s, n);
	w->bytes[w->nbytes + n] = 0;
	uint32_t idx = (uint32_t)(w->sec[SCOPE_SEC_STRINGS].n / 2);
	sc_bcw_push(w, SCOPE_SEC_STRINGS, (uint32_t)w->nbytes);
	sc_bcw_push(w, SCOPE_SEC_STRINGS, (uint32_t)n);
	w->nbytes += n + 1;
	w->strhash[k] = idx + 1;
	if (2 * (size_t)(idx + 1) > w->strcap)
		str_rehash(w);
	return idx;
}

/* ---- outcomes --------------------------------------------------------------- */

static uint32_t outcome_len(const uint32_t *r)
{
	return 3 + r[0] + r[1] + r[2];
}

static void out_rehash(sc_bcw *w)
{
	size_t ncap = w->outcap * 2;
	uint32_t *nt = sc_xcalloc(ncap, sizeof *nt);
	const uint32_t *o = w->sec[SCOPE_SEC_OUTCOMES].w;
	for (size_t pos = 3; pos < w->sec[SCOPE_SEC_OUTCOMES].n; pos += outcome_len(o + pos)) {
		size_t k = hash_bytes(o + pos, outcome_len(o + pos) * 4) & (ncap - 1);
		while (nt[k])
			k = (k + 1) & (ncap - 1);
		nt[k] = (uint32_t)pos;
	}
	free(w->outhash);
	w->outhash = nt;
	w->outcap = ncap;
}

uint32_t sc_bcw_outcome(sc_bcw *w, const uint32_t *rec, uint32_t n)
{
	size_t k = hash_bytes(rec, (size_t)n * 4) & (w->outcap - 1);
	const uint32_t *o;
	for (uint32_t e; (e = w->outhash[k]) != 0; k = (k + 1) & (w->outcap - 1)) {
		o = w->sec[SCOPE_SEC_OUTCOMES].w + e;
		if (outcome_len(o) == n && memcmp(o, rec, (size_t)n * 4) == 0)
			return e;
	}
	uint32_t pos = (uint32_t)w->sec[SCOPE_SEC_OUTCOMES].n;
	for (uint32_t i = 0; i < n; i++)
		sc_bcw_push(w, SCOPE_SEC_OUTCOMES, rec[i]);
	w->outhash[k] = pos;
	if (2 * ++w->nout > w->outcap)
		out_rehash(w);
	return pos;
}

/* ---- class maps ----------------------------------------------------------- */

/* The index of the class map (NCLASSES, MAP) in CMAPS, added if new. */
static uint32_t cmap_index(sc_bcw *w, uint32_t nclasses, const uint8_t *map)
{
	uint32_t rec[SCOPE_BC_CMAP_WORDS];
	rec[0] = nclasses;
	memcpy(rec + 1, map, 256);
	sc_wbuf *c = &w->sec[SCOPE_SEC_CMAPS];
	size_t mask = w->cmapcap - 1, k = hash_bytes(rec, sizeof rec) & mask;
	for (uint32_t e; (e = w->cmaphash[k]) != 0; k = (k + 1) & mask)
		if (memcmp(c->w + (size_t)(e - 1) * SCOPE_BC_CMAP_WORDS, rec, sizeof rec) == 0)
			return e - 1;
	uint32_t idx = (uint32_t)(c->n / SCOPE_BC_CMAP_WORDS);
	for (uint32_t i = 0; i < SCOPE_BC_CMAP_WORDS; i++)
		sc_bcw_push(w, SCOPE_SEC_CMAPS, rec[i]);
	w->cmaphash[k] = idx + 1;
	if (2 * (size_t)(idx + 1) > w->cmapcap) {
		size_t ncap = w->cmapcap * 2;
		uint32_t *nt = sc_xcalloc(ncap, sizeof *nt);
		for (uint32_t i = 0; i <= idx; i++) {
			size_t j = hash_bytes(c->w + (size_t)i * SCOPE_BC_CMAP_WORDS, sizeof rec) & (ncap - 1);
			while (nt[j])
				j = (j + 1) & (ncap - 1);
			nt[j] = i + 1;
		}
		free(w->cmaphash);
		w->cmaphash = nt;
		w->cmapcap = ncap;
	}
	return idx;
}

/* ---- automata --------------------------------------------------------------- */

/* How one DFA state is written. */
typedef struct enc_state {
	uint8_t type;
	bool absorbed;          /* inside a LITERAL chain of another state */
	uint32_t dflt;          /* most common byte target */
	uint32_t nexc;          /* bytes not going to dflt */
	uint8_t exc_byte;       /* when nexc == 1 */
	uint32_t exc_target;
	uint32_t chain_len;     /* LITERAL: bytes in the chain */
	uint32_t chain_next;    /* LITERAL: state after the chain */
	uint32_t inner;         /* LITERAL: payload of the states inside it
	                           (a DFA state for ACTION states, else a label) */
	bool compact;           /* LITERAL written in the compact form */
	uint32_t offset;        /* word offset of the record in STATES */
	uint32_t ref;           /* the reference to it (offset and type) */
} enc_state;

typedef struct encoder {
	const sc_dfa *d;
	uint32_t kind, row, classes_bytes[256];
	enc_state *e;
	uint32_t *indeg;
} encoder;

static uint32_t target(const encoder *en, uint32_t s, unsigned byte)
{
	return en->d->trans[(size_t)s * en->row + en->d->cmap[byte]];
}

static uint32_t payload_state(const encoder *en, uint32_t s)
{
	/* ACTION states: the SEP successor; everything else: the label */
	if (en->kind == SCOPE_BC_A_POLICY && en->d->phase[s] == 0)
		return en->d->trans[(size_t)s * en->row + en->d->nclasses];
	return 0;
}

/* The payload of S before it is turned into an offset. */
static uint32_t raw_payload(const encoder *en, uint32_t s)
{
	if (en->kind == SCOPE_BC_A_POLICY && en->d->phase[s] == 0)
		return payload_state(en, s);
	return en->d->label[s];
}

static void classify(encoder *en, uint32_t s)
{
	enc_state *es = &en->e[s];
	const uint32_t *tr = en->d->trans + (size_t)s * en->row;
	uint32_t K = en->d->nclasses;
	bool sink = true;
	for (uint32_t c = 0; c < K; c++)
		sink &= tr[c] == s;
	if (sink) {
		es->type = SCOPE_ST_SINK;
		return;
	}
	/* the target that covers the most bytes is the default */
	uint32_t tgt[256], cnt[256], nt = 0, best = 0, bestn = 0;
	for (uint32_t c = 0; c < K; c++) {
		uint32_t k = 0;
		while (k < nt && tgt[k] != tr[c])
			k++;
		if (k == nt) {
			tgt[nt] = tr[c];
			cnt[nt++] = 0;
		}
		cnt[k] += en->classes_bytes[c];
	}
	for (uint32_t k = 0; k < nt; k++)
		if (cnt[k] > bestn) {
			bestn = cnt[k];
			best = tgt[k];
		}
	es->dflt = best;
	es->nexc = 256 - bestn;
	if (es->nexc == 1) {
		for (unsigned b = 0; b < 256; b++)
			if (target(en, s, b) != best) {
				es->exc_byte = (uint8_t)b;
				es->exc_target = target(en, s, b);
			}
		es->type = SCOPE_ST_LITERAL;
	} else {
		es->type = es->nexc <= SC_SPARSE_MAX ? SCOPE_ST_SPARSE : SCOPE_ST_DENSE;
	}
}

static uint32_t record_words(const encoder *en, const enc_state *es)
{
	switch (es->type) {
	case SCOPE_ST_SINK: return 2;
	case SCOPE_ST_DENSE: return 2 + en->d->nclasses;
	case SCOPE_ST_SPARSE: return 3 + (es->nexc + 3) / 4 + es->nexc;
	default: return (es->compact ? 1 : 5) + (es->chain_len + 3) / 4;
	}
}

/* Links chains of one-exception states into LITERAL records: a state joins
 * the chain of its predecessor if that is its only way in, it has the same
 * default, and the same payload as the other states inside the chain (one
 * "inner" payload stands for all of them). */
static void build_chains(encoder *en)
{
	const sc_dfa *d = en->d;
	for (uint32_t s = 1; s < d->nstates; s++) {
		enc_state *es = &en->e[s];
		if (es->absorbed || es->type != SCOPE_ST_LITERAL)
			continue;
		es->chain_len = 1;
		uint32_t cur = s;
		for (;;) {
			uint32_t t = en->e[cur].exc_target;
			enc_state *et = &en->e[t];
			if (t == 0 || t <= s || t == d->start || et->absorbed ||
			    en->indeg[t] != 1 || et->type != SCOPE_ST_LITERAL || et->dflt != es->dflt ||
			    d->phase[t] != d->phase[s] || es->chain_len >= SCOPE_ST_MAX_N ||
			    (es->chain_len > 1 && raw_payload(en, t) != es->inner))
				break;
			es->inner = raw_payload(en, t);
			et->absorbed = true;
			es->chain_len++;
			cur = t;
		}
		es->chain_next = en->e[cur].exc_target;
	}
}

static uint32_t phase_of(const encoder *en, uint32_t s)
{
	switch (en->kind) {
	case SCOPE_BC_A_TASKS: return SCOPE_PH_TASK;
	case SCOPE_BC_A_VALUE: return SCOPE_PH_VALUE;
	default: return en->d->phase[s] ? SCOPE_PH_RESOURCE : SCOPE_PH_ACTION;
	}
}

static void write_record(sc_bcw *w, const encoder *en, uint32_t s)
{
	const enc_state *es = &en->e[s];
	const sc_dfa *d = en->d;
	uint32_t ph = phase_of(en, s);
	uint32_t payload = ph == SCOPE_PH_ACTION ? en->e[payload_state(en, s)].ref : d->label[s];
	uint32_t n = es->type == SCOPE_ST_SPARSE ? es->nexc : es->type == SCOPE_ST_LITERAL ? es->chain_len : 0;
	uint32_t flags = es->compact ? SCOPE_ST_F_COMPACT | en->e[es->chain_next].type << 6 : 0;
	sc_bcw_push(w, SCOPE_SEC_STATES, SCOPE_ST_WORD0(es->type, ph, n) | flags);
	if (!es->compact)
		sc_bcw_push(w, SCOPE_SEC_STATES, payload);
	const uint32_t *tr = d->trans + (size_t)s * en->row;
	switch (es->type) {
	case SCOPE_ST_SINK:
		break;
	case SCOPE_ST_DENSE:
		for (uint32_t c = 0; c < d->nclasses; c++)
			sc_bcw_push(w, SCOPE_SEC_STATES, en->e[tr[c]].ref);
		break;
	case SCOPE_ST_SPARSE: {
		sc_bcw_push(w, SCOPE_SEC_STATES, en->e[es->dflt].ref);
		uint8_t keys[256];
		uint32_t next[256], k = 0;
		for (unsigned b = 0; b < 256; b++)
			if (target(en, s, b) != es->dflt) {
				keys[k] = (uint8_t)b;
				next[k++] = en->e[target(en, s, b)].ref;
			}
		for (uint32_t i = 0; i < k; i += 4) {
			uint32_t word = 0;
			for (uint32_t j = 0; j < 4 && i + j < k; j++)
				word |= (uint32_t)keys[i + j] << (8 * j);
			sc_bcw_push(w, SCOPE_SEC_STATES, word);
		}
		for (uint32_t i = 0; i < k; i++)
			sc_bcw_push(w, SCOPE_SEC_STATES, next[i]);
		break;
	}
	default: {
		if (!es->compact) {
			sc_bcw_push(w, SCOPE_SEC_STATES, en->e[es->dflt].ref);
			sc_bcw_push(w, SCOPE_SEC_STATES, en->e[es->chain_next].ref);
			sc_bcw_push(w, SCOPE_SEC_STATES, ph == SCOPE_PH_ACTION ? en->e[es->inner].ref : es->inner);
		}
		uint32_t cur = s, word = 0;
		for (uint32_t i = 0; i < es->chain_len; i++) {
			word |= (uint32_t)en->e[cur].exc_byte << (8 * (i % 4));
			if (i % 4 == 3 || i + 1 == es->chain_len) {
				sc_bcw_push(w, SCOPE_SEC_STATES, word);
				word = 0;
			}
			cur = en->e[cur].exc_target;
		}
		break;
	}
	}
	w->records++;
}

/* The order of the records: depth first from the start, so that the
 * records one request walks through lie next to each other (a deep path
 * of a trie is one run of memory, not one record per BFS level). */
static uint32_t *layout_order(const encoder *en)
{
	const sc_dfa *d = en->d;
	uint32_t *order = sc_xcalloc(d->nstates, sizeof *order), n = 0;
	uint32_t *stack = sc_xcalloc((size_t)d->nstates * (en->row + 1) + 1, sizeof *stack), sp = 0;
	bool *seen = sc_xcalloc(d->nstates, sizeof *seen);
	seen[0] = true;
	stack[sp++] = d->start;
	seen[d->start] = true;
	while (sp) {
		uint32_t s = stack[--sp];
		order[n++] = s;
		const uint32_t *tr = d->trans + (size_t)s * en->row;
		/* pushed last, popped first: the SEP successor, then classes from
		 * the highest down, so the walk order of bytes is ascending */
		for (uint32_t c = 0; c < en->row; c++) {
			uint32_t t = tr[c];
			if (!seen[t]) {
				seen[t] = true;
				stack[sp++] = t;
			}
		}
	}
	for (uint32_t s = 1; s < d->nstates; s++)
		if (!seen[s])
			order[n++] = s;
	free(stack);
	free(seen);
	return order;
}

/* A LITERAL is compact (bytecode.h) when its fail state and payloads are
 * all 0 and the state after its chain is the record written right after
 * it: the depth-first order usually puts it there. */
static void mark_compact(encoder *en, const uint32_t *order)
{
	uint32_t after = 0; /* the next record in ORDER, 0 at the end */
	for (uint32_t k = en->d->nstates - 1; k-- > 0;) {
		uint32_t s = order[k];
		enc_state *es = &en->e[s];
		if (es->absorbed)
			continue;
		es->compact = es->type == SCOPE_ST_LITERAL && es->dflt == 0 && raw_payload(en, s) == 0 &&
			      es->inner == 0 && es->chain_next != 0 && es->chain_next == after;
		after = s;
	}
}

uint32_t sc_bcw_automaton(sc_bcw *w, const sc_dfa *d, uint32_t kind)
{
	encoder en = { .d = d, .kind = kind, .row = d->nclasses + 1 };
	for (unsigned b = 0; b < 256; b++)
		en.classes_bytes[d->cmap[b]]++;
	en.e = sc_xcalloc(d->nstates, sizeof *en.e);
	en.indeg = sc_xcalloc(d->nstates, sizeof *en.indeg);
	for (uint32_t s = 1; s < d->nstates; s++) {
		for (uint32_t c = 0; c < d->nclasses; c++)
			en.indeg[d->trans[(size_t)s * en.row + c]]++;
		en.indeg[payload_state(&en, s)]++;
	}
	for (uint32_t s = 1; s < d->nstates; s++)
		classify(&en, s);
	build_chains(&en);
	uint32_t lo = (uint32_t)w->sec[SCOPE_SEC_STATES].n, pos = lo;
	uint32_t start;
	en.e[0].offset = en.e[0].ref = 0;
	if (d->start == 0) {
		/* nothing can match: one SINK with payload 0 as the start */
		sc_bcw_push(w, SCOPE_SEC_STATES, SCOPE_ST_WORD0(SCOPE_ST_SINK, phase_of(&en, 0), 0));
		sc_bcw_push(w, SCOPE_SEC_STATES, 0);
		start = SCOPE_REF(lo, SCOPE_ST_SINK);
	} else {
		uint32_t *order = layout_order(&en);
		mark_compact(&en, order);
		for (uint32_t k = 0; k + 1 < d->nstates; k++) {
			uint32_t s = order[k];
			if (!en.e[s].absorbed) {
				en.e[s].offset = pos;
				en.e[s].ref = SCOPE_REF(pos, en.e[s].type);
				pos += record_words(&en, &en.e[s]);
			}
		}
		for (uint32_t k = 0; k + 1 < d->nstates; k++)
			if (!en.e[order[k]].absorbed)
				write_record(w, &en, order[k]);
		free(order);
		start = en.e[d->start].ref;
	}
	uint32_t hi = (uint32_t)w->sec[SCOPE_SEC_STATES].n;
	uint32_t idx = (uint32_t)(w->sec[SCOPE_SEC_AUTOMATA].n / SCOPE_BC_AUTOMATON_WORDS);
	sc_bcw_push(w, SCOPE_SEC_AUTOMATA, kind);
	/* only DENSE records read the class map: an automaton without them
	 * shares the one-class map instead of storing its own 1 KB */
	static const uint8_t one_class[256];
	bool dense = false;
	for (uint32_t s = 1; s < d->nstates && !dense; s++)
		dense = !en.e[s].absorbed && en.e[s].type == SCOPE_ST_DENSE;
	sc_bcw_push(w, SCOPE_SEC_AUTOMATA, dense ? cmap_index(w, d->nclasses, d->cmap) : cmap_index(w, 1, one_class));
	sc_bcw_push(w, SCOPE_SEC_AUTOMATA, start);
	sc_bcw_push(w, SCOPE_SEC_AUTOMATA, lo);
	sc_bcw_push(w, SCOPE_SEC_AUTOMATA, hi);
	free(en.e);
	free(en.indeg);
	return idx;
}

/* ---- the image -------------------------------------------------------------- */

static void put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

void sc_bcw_finish(sc_bcw *w, uint32_t flags, unsigned char **image, size_t *len)
{
	uint32_t ids[SCOPE_SEC_MAX + 1], nsec = 0;
	size_t size[SCOPE_SEC_MAX + 1];
	for (uint32_t id = 1; id <= SCOPE_SEC_MAX; id++) {
		bool dbg = id == SCOPE_SEC_DEBUG_FILES || id == SCOPE_SEC_DEBUG_ITEMS;
		if (dbg && !(flags & SCOPE_BC_F_DEBUG))
			continue;
		if (id == SCOPE_SEC_NFA && w->sec[id].n == 0)
			continue; /* optional, and most policies have no NFA part */
		ids[nsec++] = id;
		size[id] = id == SCOPE_SEC_STRBYTES ? w->nbytes : w->sec[id].n * 4;
	}
	size_t total = SCOPE_BC_HEADER + (size_t)nsec * SCOPE_BC_DIRENT;
	for (uint32_t i = 0; i < nsec; i++)
		total += (size[ids[i]] + 3) & ~(size_t)3;
	unsigned char *img = sc_xcalloc(total, 1);
	memcpy(img, SCOPE_BC_MAGIC, SCOPE_BC_MAGIC_LEN);
	put32(img + 8, SCOPE_BC_VERSION);
	put32(img + 12, flags);
	put32(img + 16, (uint32_t)total);
	put32(img + 20, nsec);
	size_t off = SCOPE_BC_HEADER + (size_t)nsec * SCOPE_BC_DIRENT;
	for (uint32_t i = 0; i < nsec; i++) {
		uint32_t id = ids[i];
		unsigned char *e = img + SCOPE_BC_HEADER + (size_t)i * SCOPE_BC_DIRENT;
		put32(e, id);
		put32(e + 4, (uint32_t)off);
		put32(e + 8, (uint32_t)size[id]);
		if (size[id])
			memcpy(img + off, id == SCOPE_SEC_STRBYTES ? (const void *)w->bytes : (const void *)w->sec[id].w,
			       size[id]);
		off += (size[id] + 3) & ~(size_t)3;
	}
	uint64_t sum = scope_bc_hash64(img + SCOPE_BC_HEADER, total - SCOPE_BC_HEADER);
	memcpy(img + 24, &sum, 8);
	*image = img;
	*len = total;
}
