/*
 * regexdfa.h — the regular subset of PCRE2 as byte DFAs, for `diff`.
 *
 * A `matches` test is anchored at both ends (PCRE2_ANCHORED |
 * PCRE2_ENDANCHORED, 8-bit, no UTF), so it denotes a set of strings; for
 * the subset below that set is regular and is built here as a DFA:
 *   literals and escaped literals (\t \n \xhh \x{hh} \0oo \o{..} \cX \Q..\E),
 *   character classes [...] (POSIX names included), ., \d \D \s \S \w \W
 *   \h \H \v \V \N \p{..} \P{..}, alternation, groups ( ), (?: ), named and
 *   branch-reset groups, the quantifiers * + ? {m} {m,} {m,n} and their lazy
 *   forms (laziness does not change what matches in full), ^ \A $ \Z \z.
 * Which bytes a class, an escape or (caseless) a letter matches is asked of
 * PCRE2 itself, byte by byte, so the tables are the library's own.
 * Everything else — backreferences, lookaround, atomic groups, possessive
 * quantifiers, \b, recursion, conditionals, inline options, verbs — is
 * refused with the name of the feature; so is a construct this parser does
 * not read exactly as PCRE2 does ('{' that is not a quantifier, a
 * quantified anchor).  '$' and \Z match at the end or before a final
 * newline, as in PCRE2.  As a last guard every state and transition of the
 * result is checked against PCRE2 on its shortest string.
 *
 * Not modelled: PCRE2's match limit.  A subject on which the library gives
 * up is "unknown" to the evaluators; the DFA answers for it as the regex
 * means.  Witnesses are short and are always decided by the evaluators.
 */
#ifndef SC_REGEXDFA_H
#define SC_REGEXDFA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sc_redfa {
	uint32_t nstates;        /* state 0 is dead */
	uint32_t nclasses;
	uint8_t cmap[256];       /* byte -> class */
	uint32_t *trans;         /* [state * nclasses + class] */
	uint8_t *accept;         /* per state */
	uint32_t start;
} sc_redfa;

/* Builds the DFA of regex RE (CASELESS: the i flag); CODE is its compiled
 * pcre2_code (for the self-check).  Returns 0, or -1 with WHY naming the
 * unsupported feature and its offset ("a backreference at offset 3"). */
int sc_redfa_build(sc_redfa *out, const char *re, size_t n, bool caseless, const void *code, char *why,
		   size_t whysz);
void sc_redfa_free(sc_redfa *d);

#endif
