/* check_regexdfa.c — the regex automata of `diff` (compiler/regexdfa.c),
 * construct by construct: each supported one is built and agrees with
 * PCRE2 on every short string; each refused one is refused with its name
 * and offset.  (check_diff.c compares random regexes with PCRE2.) */
#include "suites.h"
#include "regexdfa.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* PCRE2 compiles RE as the evaluators do (anchored at both ends). */
static pcre2_code *compile(const char *re, bool caseless)
{
	int err;
	PCRE2_SIZE off;
	uint32_t opts = PCRE2_ANCHORED | PCRE2_ENDANCHORED | (caseless ? PCRE2_CASELESS : 0);
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)re, strlen(re), opts, &err, &off, NULL);
	ck_assert_msg(code != NULL, "PCRE2 refuses /%s/ (error %d at %zu)", re, err, (size_t)off);
	return code;
}

static bool dfa_accepts(const sc_redfa *d, const unsigned char *s, size_t n)
{
	uint32_t q = d->start;
	for (size_t i = 0; i < n && q; i++)
		q = d->trans[(size_t)q * d->nclasses + d->cmap[s[i]]];
	return q && d->accept[q];
}

/* Every string of up to 3 bytes over ALPHA: the DFA of RE and PCRE2 agree. */
static void agrees(const char *re, bool caseless, const char *alpha)
{
	pcre2_code *code = compile(re, caseless);
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	sc_redfa d;
	char why[200];
	ck_assert_msg(sc_redfa_build(&d, re, strlen(re), caseless, code, why, sizeof why) == 0, "/%s/: %s", re,
		      why);
	size_t na = strlen(alpha);
	unsigned char s[3];
	for (size_t len = 0; len <= 3; len++) {
		size_t total = 1;
		for (size_t k = 0; k < len; k++)
			total *= na;
		for (size_t x = 0; x < total; x++) {
			for (size_t k = 0, y = x; k < len; k++, y /= na)
				s[k] = (unsigned char)alpha[y % na];
			bool want = pcre2_match(code, s, len, 0, 0, md, NULL) >= 0;
			ck_assert_msg(dfa_accepts(&d, s, len) == want, "/%s/%s on '%.*s': pcre2 says %d", re,
				      caseless ? "i" : "", (int)len, (const char *)s, want);
		}
	}
	sc_redfa_free(&d);
	pcre2_match_data_free(md);
	pcre2_code_free(code);
}

START_TEST(supported_constructs)
{
	static const char alpha[] = "aAbB1_ \n\x01\xe9\x7f";
	static const char *const res[] = {
		"\\Aab\\z", "ab\\Z", "a$", "a\\E", "\\N+", "\\pL\\p{Nd}", "\\P{L}", "\\PL?", "\\0101", "\\01",
		"\\o{101}", "\\x{41}b", "\\x4", "\\cA", "\\t\\e\\a\\f\\r\\h\\H\\V\\v", "(?<n>a)b", "(?'n'a)+",
		"(?P<n>a|b)", "(?|a|b)", "a(?#comment)b", "[\\d\\x41\\cA]", "[]a]", "[^]a]*", "[\\]b]",
		"\\Q\\Ea", "\\Qab", "\\Qa\\E*", "\\Qa", "a{2,}?", "a{0}b", "(?:a|b){1,3}?", "\\-\\ \\#",
		"[[:^digit:]a]", "\\x{e9}", "a|", "|b", "()a", "(?:^)*a", "(?:a$)+",
	};
	for (size_t i = 0; i < sizeof res / sizeof *res; i++)
		agrees(res[i], false, alpha);
	/* caseless: which bytes a letter matches is PCRE2's; bytes above 0x7f too */
	static const char *const caseless[] = { "ab", "\\Qab\\E", "[a-b]", "\xe9", "\\x41", "\\pL" };
	for (size_t i = 0; i < sizeof caseless / sizeof *caseless; i++)
		agrees(caseless[i], true, alpha);
}
END_TEST

/* RE is refused; WHY is exactly the reason. */
static void refused(const char *re, const char *want)
{
	pcre2_code *code = compile(re, false);
	sc_redfa d;
	char why[200];
	ck_assert_msg(sc_redfa_build(&d, re, strlen(re), false, code, why, sizeof why) == -1, "/%s/ built", re);
	ck_assert_msg(strcmp(why, want) == 0, "/%s/: '%s', want '%s'", re, why, want);
	ck_assert_ptr_null(d.trans);
	pcre2_code_free(code);
}

START_TEST(refused_constructs)
{
	refused("a\\G", "the \\G assertion at offset 1");
	refused("a\\Kb", "a match reset (\\K) at offset 1");
	refused("\\R", "a newline sequence (\\R) at offset 0");
	refused("\\X", "an extended grapheme (\\X) at offset 0");
	refused("a\\C", "a single code unit (\\C) at offset 1");
	refused("\\B", "a word-boundary assertion (\\b, \\B) at offset 0");
	refused("(a\\b)", "a word-boundary assertion (\\b, \\B) at offset 2"); /* inside a group */
	refused("(*ACCEPT)a", "a (*VERB) or start-of-pattern option at offset 0");
	refused("(a)?(?(1)b|c)", "a conditional group at offset 4");
	refused("(?C1)a", "a callout at offset 0");
	refused("(?<n>a)(?P=n)", "a backreference (not a regular language) at offset 7");
	refused("(?&n)(?<n>a)", "a recursion or subroutine call at offset 0");
	refused("(?P>n)(?<n>a)", "a recursion or subroutine call at offset 0");
	refused("(?+1)(a)", "a recursion or subroutine call at offset 0");
	refused("(?*a)", "a lookahead assertion at offset 0");
	refused("a{1,2x}", "a '{' that is not a quantifier at offset 1");
	refused("a{1", "a '{' that is not a quantifier at offset 1");
	refused("a?+", "a possessive quantifier at offset 2");
	refused("[\\Qa\\E]", "\\Q...\\E inside a character class at offset 1");
	/* limits: the NFA after counted repetition, and the DFA's states */
	refused("(?:a{1000}){30}", "a repetition too large for diff at offset 0");
	refused("(a|b)*a(a|b){12}", "more automaton states than diff allows at offset 0");
	char deep[256] = "";
	for (int i = 0; i < 101; i++)
		strcat(deep, "(");
	strcat(deep, "a");
	for (int i = 0; i < 101; i++)
		strcat(deep, ")");
	refused(deep, "groups nested too deeply at offset 100");
}
END_TEST

Suite *sc_suite_regexdfa(void)
{
	Suite *s = suite_create("regexdfa");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, supported_constructs);
	tcase_add_test(tc, refused_constructs);
	suite_add_tcase(s, tc);
	return s;
}
