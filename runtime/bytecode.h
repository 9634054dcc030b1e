/*
 * bytecode.h — the compiled policy image, shared by the compiler back end
 * (compiler/emit.c writes it), the verifier (runtime/verify.c proves it safe)
 * and the evaluator (runtime/decide.c trusts it).  Not part of the public API:
 * embedders see only scope.h.
 *
 * All fields are little-endian; every section is made of 32-bit words except
 * the string bytes.  The evaluator reads words directly, so a big-endian host
 * refuses images (SCOPE_EFORMAT) rather than byte-swapping them.
 *
 * ---------------------------------------------------------------------------
 * Image header (32 bytes), then the section directory (16 bytes a section):
 *
 *   byte  0        8        12       16       20       24               32
 *         +--------+--------+--------+--------+--------+----------------+
 *         | magic  |version | flags  | length |nsection| checksum (u64) |
 *         +--------+--------+--------+--------+--------+----------------+
 *   dir:  | id u32 | offset u32 (from image start, 4-aligned) | size u32 | 0 |
 *
 *   magic     "\x89SCOPE\r\n" — the 0x89 byte keeps it from being source text
 *   version   SCOPE_BC_VERSION; anything else is SCOPE_EVERSION
 *   flags     SCOPE_BC_F_DEBUG when the debug sections are present
 *   length    the whole image in bytes; must equal the buffer length
 *   checksum  scope_bc_hash64() of bytes [32, length) — catches corruption;
 *             it is not a signature (a hostile image is stopped by the
 *             verifier, not by the checksum)
 *
 * Sections must not overlap; each id appears at most once; the required
 * ones must be present.
 *
 * ---------------------------------------------------------------------------
 * Automata.  Every pattern of the policy runs in a byte DFA.  A DFA state is
 * a variable-length record in the STATES section, named by its word offset
 * there (a "state id").  State 0 is the dead state: a SINK with payload 0.
 *
 *   word 0   | n : 24                    | flags:3 | phase:2 | type:3 |
 *            31                         8 7       5 4       3 2      0
 *   word 1   payload (meaning depends on the phase, below)
 *   flags    0, except in a compact LITERAL (below, version >= 2)
 *
 *   SINK     every byte loops to the state itself: the walk stops early.
 *   DENSE    word 2+c: next state for byte class c (nclasses words; the class
 *            map is the automaton's, see AUTOMATA)
 *   SPARSE   word 2: default next state; then n key bytes packed 4 a word
 *            (ceil(n/4) words); then n next states, one for each key byte
 *   SPARSE   (n may be 0: every byte goes to the default)
 *   LITERAL  a chain of n >= 1 states with one way forward each: word 2
 *            "fail" state; word 3 "next" state; word 4 the payload of the
 *            states inside the chain; then n bytes packed 4 a word.  The
 *            walk compares the input with the bytes; all n equal: go to next;
 *            the first differing byte is consumed and leads to fail; input
 *            ending inside the chain (after >= 1 byte) ends with the word-4
 *            payload.  The head state (before byte 0) has word 1's.
 *   LITERAL  compact (flag SCOPE_ST_F_COMPACT, version >= 2): word 0, then
 *            the n bytes from word 1.  Fail state, inside and head payloads
 *            are 0 (the dead state, "nothing"), and "next" is the record
 *            right after this one, of type SCOPE_ST_NEXT_TYPE(word 0): the
 *            common trie edge "these bytes or nothing" in 4 + n bytes, not
 *            20 + n.  scope_bc_literal_at() reads both forms.
 *
 *   phase    TASK      payload = 1 + task index, 0 = no such task
 *            ACTION    payload = the RESOURCE state where the resource walk
 *                      starts ("the action matched these items"), 0 = none
 *            RESOURCE  payload = outcome: 0 = nothing matches; bit 31 set =
 *                      exactly one item (index in bits 0..30); otherwise the
 *                      word offset of an outcome record in OUTCOMES
 *            VALUE     payload = 1 accepted, 0 not (for `like` and `in`)
 *
 * A state reference (in transitions, ACTION payloads, automaton starts) is
 * the record's word offset shifted left by 2 with the record's type in the
 * low 2 bits: the evaluator dispatches on the type before the record's
 * first word arrives from memory.  Reference 0 is the dead state.
 *
 *            | word offset : 30                               | type:2 |
 *
 * Every walk consumes at least one byte per step or stops (SINK), so its
 * time is linear in the input.  A transition never leaves its automaton's
 * region or changes phase, except the ACTION payload into RESOURCE states of
 * the same region.
 *
 * AUTOMATA entries (5 words):  kind, cmap, start, lo, hi
 *   kind     SCOPE_BC_A_TASKS (entry 0, exactly once), _POLICY, _VALUE
 *   cmap     index into CMAPS (byte -> class for DENSE states; an automaton
 *            without DENSE states may name any map: the compiler shares a
 *            one-class map among them)
 *   start    the start state; [lo, hi) the region of STATES holding all
 *            records of this automaton (regions ascending, disjoint)
 *
 * CMAPS entries (65 words):  nclasses (1..256), then 256 class bytes.
 *
 * NFA parts (kind SCOPE_BC_A_NFA; cmap 0, lo = hi = 0; start = the word
 * offset of the part's record in the NFA section).  The items whose DFA
 * would exceed the state budget are decided by a bit-parallel (Shift-And)
 * NFA instead, whose size and time are linear in the patterns: the
 * compiler never splits a task into more than a few DFA parts.  Record:
 *   m (items), nd, na (how many of them deny, ask), Wa, Wr (64-bit words
 *   of the action and resource sides, 1..SCOPE_BC_NFA_MAX_WORDS), K (byte
 *   classes, 1..256), 256 class bytes (64 words); then per side (action,
 *   then resource) the tables START, ANY, NS and B[0..K-1], W 64-bit words
 *   each (two little-endian words); then m entries (3 words): item index,
 *   final bit of its action pattern, final bit of its resource pattern —
 *   the nd deny items, then the na ask items, then the allows, each run
 *   ascending by index (so that a decision fills its outcome lists in one
 *   pass).
 * A pattern owns bits s..s+n (s its start, n its consuming atoms: bytes and
 * `?`); START has the s bits; a `**` after atom i sets bit s+i in ANY, a
 * `*` in NS (self-loops); B[c] has bit s+i when atom i accepts class c.
 * One byte b of class c: D = ((D << 1) & B[c]) | (D & ANY) | (D & NS if b
 * is neither '.' nor '/').  An item matches when both its final bits are
 * set after its action and its resource.
 *
 * ---------------------------------------------------------------------------
 * TASKS entries (3 words), sorted by name:  name (string index), first, n —
 *   the POLICY automata [first, first + n) ("parts") that decide the task.
 *   A task's items may be split over several parts when one DFA would be too
 *   big; the decision merges their outcomes (decide.c).  n <= SCOPE_BC_MAX_PARTS.
 *
 * ITEMS (1 word each, indexed by the item's position in the source):
 *            | kind:2 |               cond : 30                        |
 *   kind 0 allow, 1 ask, 2 deny; cond = word offset of the item's
 *   condition block in CODE, or SCOPE_BC_NO_COND.
 *
 * OUTCOMES: word 0..2 is the empty record; each record is
 *   ndeny, nask, nallow, then that many item indices, each list ascending,
 *   of its kind, and ending at its first unconditional item: the items of a
 *   state that can still decide, in the order in which they are tried.
 *
 * ---------------------------------------------------------------------------
 * Condition code (CODE): blocks, one per distinct condition, each a run of
 * two-word instructions ending with RET.  A small stack machine over truth
 * values (0 false, 1 true, 2 unknown; Kleene logic):
 *
 *   word 0   |            a : 24                        |   op : 8  |
 *            31                                        8 7         0
 *   word 1   b : 32
 *
 * Jumps go forward only, to an instruction of the same block; the verifier
 * computes the stack depth of every instruction (it must agree on every path,
 * stay <= SCOPE_BC_MAX_STACK and be exactly 1 at RET), so running a block
 * needs no check and always terminates.
 *
 * STRINGS entries (2 words): byte offset and length in STRBYTES.
 * REGEX entries (2 words): pattern (string index), flags (bit 0 caseless);
 *   compiled at load with PCRE2_ANCHORED | PCRE2_ENDANCHORED.
 * DEBUG_FILES (1 word each): file name string index.
 * DEBUG_ITEMS (4 words an item): file index, line, column, text string
 *   (the item as written, e.g. "denies post forum.**").
 *
 * ---------------------------------------------------------------------------
 * Signed images (`scopec sign`): the image, unchanged, then an 88-byte
 * signature trailer right after its `length` bytes:
 *
 *   byte  0          8       12      16         24                     88
 *         +----------+-------+-------+----------+----------------------+
 *         | magic    | alg   | 0     | key id   | Ed25519 signature    |
 *         +----------+-------+-------+----------+----------------------+
 *
 *   magic     "\x89SCOSIG\n"
 *   alg       SCOPE_SIG_ED25519 (u32 LE); any other value is refused
 *   key id    the first 8 bytes of SHA-256 of the 32-byte public key (names
 *             the signer in error messages; it proves nothing)
 *   signature Ed25519 (RFC 8032, pure) over every byte before it: the whole
 *             image and the trailer's first 24 bytes
 *
 * A file is signed exactly when its length is the header's `length` plus
 * SCOPE_SIG_TRAILER and the trailer magic follows the image.  The loader of
 * libscope (no cryptography) accepts a signed file and ignores the trailer;
 * libscope-enforce's scope_policy_load_signed() requires and checks it.
 */
#ifndef SCOPE_BYTECODE_H
#define SCOPE_BYTECODE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SCOPE_BC_MAGIC "\x89SCOPE\r\n"
#define SCOPE_BC_MAGIC_LEN 8
#define SCOPE_BC_VERSION 2u
#define SCOPE_BC_VERSION_MIN 1u        /* oldest image the runtime loads */
#define SCOPE_BC_HEADER 32u
#define SCOPE_BC_DIRENT 16u
#define SCOPE_BC_F_DEBUG 1u

#define SCOPE_BC_MAX_IMAGE (1u << 30)    /* bytes */
#define SCOPE_BC_MAX_PARTS 256u          /* POLICY automata of one task */
#define SCOPE_BC_MAX_STACK 256u          /* condition stack depth */
#define SCOPE_BC_NO_COND 0x3fffffffu
#define SCOPE_BC_ONE_ITEM 0x80000000u    /* RESOURCE payload: a single item */

/* Sections, defined once.  X(NAME, id, required) */
#define SCOPE_BC_SECTIONS(X)     \
	X(STRBYTES, 1, 1)        \
	X(STRINGS, 2, 1)         \
	X(CMAPS, 3, 1)           \
	X(STATES, 4, 1)          \
	X(AUTOMATA, 5, 1)        \
	X(TASKS, 6, 1)           \
	X(ITEMS, 7, 1)           \
	X(OUTCOMES, 8, 1)        \
	X(CODE, 9, 1)            \
	X(REGEX, 10, 1)          \
	X(DEBUG_FILES, 11, 0)    \
	X(DEBUG_ITEMS, 12, 0)    \
	X(NFA, 13, 0)

enum {
#define SCOPE_X(name, id, req) SCOPE_SEC_##name = id,
	SCOPE_BC_SECTIONS(SCOPE_X)
#undef SCOPE_X
	SCOPE_SEC_MAX = 13
};

/* State record types and phases. */
#define SCOPE_BC_STATE_TYPES(X) X(SINK, 0) X(DENSE, 1) X(SPARSE, 2) X(LITERAL, 3)
enum {
#define SCOPE_X(name, v) SCOPE_ST_##name = v,
	SCOPE_BC_STATE_TYPES(SCOPE_X)
#undef SCOPE_X
	SCOPE_ST_COUNT
};
#define SCOPE_BC_PHASES(X) X(TASK, 0) X(ACTION, 1) X(RESOURCE, 2) X(VALUE, 3)
enum {
#define SCOPE_X(name, v) SCOPE_PH_##name = v,
	SCOPE_BC_PHASES(SCOPE_X)
#undef SCOPE_X
};
#define SCOPE_ST_TYPE(w) ((w) & 7u)
#define SCOPE_ST_PHASE(w) (((w) >> 3) & 3u)
#define SCOPE_ST_N(w) ((w) >> 8)
#define SCOPE_ST_WORD0(type, phase, n) ((uint32_t)(type) | (uint32_t)(phase) << 3 | (uint32_t)(n) << 8)
#define SCOPE_ST_MAX_N 0xffffffu
#define SCOPE_ST_F_COMPACT 0x20u        /* LITERAL: the compact form */
#define SCOPE_ST_NEXT_TYPE(w) (((w) >> 6) & 3u)
#define SCOPE_ST_FLAGS(w) ((w) & 0xe0u)
#define SCOPE_REF(off, type) ((uint32_t)(off) << 2 | (uint32_t)(type))
#define SCOPE_REF_OFF(ref) ((ref) >> 2)
#define SCOPE_REF_TYPE(ref) ((ref) & 3u)

/* The fields of the LITERAL record at word POS of STATES (R = its first
 * word), in either form: the one reader of its layout outside the walk. */
typedef struct scope_bc_literal {
	uint32_t payload, fail, next, inside;
	uint32_t words;         /* the record's size */
	const uint8_t *bytes;
} scope_bc_literal;

static inline scope_bc_literal scope_bc_literal_at(const uint32_t *r, uint32_t pos)
{
	uint32_t n = SCOPE_ST_N(r[0]);
	if (r[0] & SCOPE_ST_F_COMPACT) {
		uint32_t words = 1 + (n + 3) / 4;
		return (scope_bc_literal){ 0, 0, SCOPE_REF(pos + words, SCOPE_ST_NEXT_TYPE(r[0])), 0, words,
					   (const uint8_t *)(r + 1) };
	}
	return (scope_bc_literal){ r[1], r[2], r[3], r[4], 5 + (n + 3) / 4, (const uint8_t *)(r + 5) };
}
#define SCOPE_BC_MAX_STATE_WORDS (1u << 30)

/* Automaton kinds. */
#define SCOPE_BC_AUTOMATON_KINDS(X) X(TASKS, 0) X(POLICY, 1) X(VALUE, 2) X(NFA, 3)
enum {
#define SCOPE_X(name, v) SCOPE_BC_A_##name = v,
	SCOPE_BC_AUTOMATON_KINDS(SCOPE_X)
#undef SCOPE_X
	SCOPE_BC_A_COUNT
};

/* Condition opcodes, defined once.
 * X(NAME, pops, pushes, operand a, operand b) — operand kinds:
 *   -  unused (must be 0)     K  key string     S  string
 *   N  number string          V  VALUE automaton   R  regex   J  jump target */
#define SCOPE_BC_OPS(X)                                  \
	X(RET, 1, 0, '-', '-')  /* return the top value */  \
	X(EQ, 0, 1, 'K', 'S')   /* value == b */             \
	X(NE, 0, 1, 'K', 'S')   /* value != b */             \
	X(LT, 0, 1, 'K', 'N')   /* value < b (numbers) */    \
	X(LE, 0, 1, 'K', 'N')                                \
	X(GT, 0, 1, 'K', 'N')                                \
	X(GE, 0, 1, 'K', 'N')                                \
	X(IN, 0, 1, 'K', 'V')   /* value in literal set */   \
	X(LIKE, 0, 1, 'K', 'V') /* value matches a glob */   \
	X(MATCH, 0, 1, 'K', 'R') /* value matches regex */   \
	X(HAS, 0, 1, 'K', '-')  /* never unknown */          \
	X(NOT, 1, 1, '-', '-')                               \
	X(AND, 2, 1, '-', '-')                               \
	X(OR, 2, 1, '-', '-')                                \
	X(JF, 0, 0, '-', 'J')   /* top false: jump, keep */  \
	X(JT, 0, 0, '-', 'J')   /* top true: jump, keep */

enum {
#define SCOPE_X(name, pops, pushes, a, b) SCOPE_OP_##name,
	SCOPE_BC_OPS(SCOPE_X)
#undef SCOPE_X
	SCOPE_OP_COUNT
};
#define SCOPE_OP_CODE(w) ((w) & 0xffu)
#define SCOPE_OP_A(w) ((w) >> 8)
#define SCOPE_OP_WORD0(op, a) ((uint32_t)(op) | (uint32_t)(a) << 8)
#define SCOPE_OP_MAX_A 0xffffffu

extern const char *const scope_bc_op_names[SCOPE_OP_COUNT];
extern const char *const scope_bc_section_names[SCOPE_SEC_MAX + 1];
extern const char *const scope_bc_state_type_names[SCOPE_ST_COUNT];
extern const char *const scope_bc_phase_names[4];

/* Truth values of the condition machine. */
enum { SCOPE_T_FALSE = 0, SCOPE_T_TRUE = 1, SCOPE_T_UNKNOWN = 2 };

/* Unaligned host-order loads (images are little-endian and refused on a
 * big-endian host): the one definition for the verifier, the walk and the
 * task table. */
static inline uint32_t scope_bc_load32(const void *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static inline uint64_t scope_bc_load64(const void *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

/* Record sizes in words. */
#define SCOPE_BC_AUTOMATON_WORDS 5u
#define SCOPE_BC_CMAP_WORDS 65u
#define SCOPE_BC_TASK_WORDS 3u
#define SCOPE_BC_REGEX_WORDS 2u
#define SCOPE_BC_DEBUG_ITEM_WORDS 4u
#define SCOPE_BC_NFA_HEAD_WORDS 70u     /* m, nd, na, Wa, Wr, K, 256 class bytes */
#define SCOPE_BC_NFA_MAX_WORDS 128u     /* 64-bit words of one side: 8192 positions */
#define SCOPE_BC_NFA_MAX_ITEMS 2048u    /* items in the NFA parts of one task */

/* The layout of the NFA record R (its first 6 words read): word offsets
 * of its parts from R and its size.  The one definition of that layout. */
typedef struct scope_bc_nfa {
	uint32_t m, nd, na, wa, wr, k;
	uint64_t side_a, side_r, items, words;
	const uint8_t *cls;
} scope_bc_nfa;

static inline scope_bc_nfa scope_bc_nfa_at(const uint32_t *r)
{
	scope_bc_nfa g = { r[0], r[1], r[2], r[3], r[4], r[5], SCOPE_BC_NFA_HEAD_WORDS, 0, 0, 0,
			   (const uint8_t *)(r + 6) };
	g.side_r = g.side_a + 2ull * (3 + (uint64_t)g.k) * g.wa;
	g.items = g.side_r + 2ull * (3 + (uint64_t)g.k) * g.wr;
	g.words = g.items + 3ull * g.m;
	return g;
}

/* The signature trailer of a signed image (above). */
#define SCOPE_SIG_MAGIC "\x89SCOSIG\n"
#define SCOPE_SIG_MAGIC_LEN 8
#define SCOPE_SIG_ED25519 1u
#define SCOPE_SIG_HEAD 24u      /* magic, alg, reserved, key id: signed too */
#define SCOPE_SIG_KEYID 8u
#define SCOPE_SIG_LEN 64u
#define SCOPE_SIG_TRAILER (SCOPE_SIG_HEAD + SCOPE_SIG_LEN)

/* The layouts a buffer that starts with the bytecode magic can have. */
typedef enum {
	SCOPE_BC_PLAIN = 0,     /* length == the header's length: unsigned */
	SCOPE_BC_SIGNED = 1,    /* image + a trailer with magic and known alg */
	SCOPE_BC_BADSIG = 2,    /* the trailer magic follows the image, but the
				 * rest is cut short, too long or of another alg */
	SCOPE_BC_OTHER = 3,     /* any other length (the verifier says why) */
} scope_bc_layout;

/* Tells the layout of DATA (LEN bytes, starting with the bytecode magic
 * and at least SCOPE_BC_HEADER long; else SCOPE_BC_OTHER) and the image's
 * length in *IMAGE_LEN (LEN unless signed). */
scope_bc_layout scope_bc_layout_of(const void *data, size_t len, size_t *image_len);

/* The checksum: four interleaved multiply-xor lanes over 8-byte words, so
 * that a 1 MB image is hashed in well under a millisecond. */
uint64_t scope_bc_hash64(const void *data, size_t len);

#endif
