/*
 * scope.re — the lexer of the scope language (SPEC §2 "Lexical rules").
 * re2c turns this into build/scope_lex.c.
 *
 * The buffer ends in a NUL sentinel at lim; re2c's eof rule ($) tells the
 * real end from a NUL byte inside the file, which is an error.
 *
 * Two things depend on context and are handled in plain C below the
 * generated scanners:
 *   - a regex literal /.../i is only recognised right after `matches`
 *     (elsewhere `/` is an ordinary word byte, as in /srv/data);
 *   - a name immediately followed by `=` (not `==`) is a KEYEQ token, the
 *     key of a KEY=VALUE pair in `expect` (and `let NAME=...`).
 */
#include "lex.h"
#include "scope_parse.h"

#include <stddef.h>

void sc_lex_init(sc_lexer *lx, const sc_source *src, uint32_t file)
{
	lx->base = (const unsigned char *)src->text;
	lx->cur = lx->base;
	lx->lim = lx->base + src->len;
	lx->mar = lx->cur;
	lx->file = file;
	lx->prev = 0;
	lx->keep_comments = false;
}

static void set_span(const sc_lexer *lx, sc_token *t, const unsigned char *start)
{
	t->span.file = lx->file;
	t->span.off = (uint32_t)(start - lx->base);
	t->span.len = (uint32_t)(lx->cur - start);
}

/*!re2c
	re2c:api:style = free-form;
	re2c:define:YYCTYPE = "unsigned char";
	re2c:define:YYCURSOR = "lx->cur";
	re2c:define:YYMARKER = "lx->mar";
	re2c:define:YYLIMIT = "lx->lim";
	re2c:yyfill:enable = 0;
	re2c:eof = 0;

	wordbyte = [a-zA-Z0-9_\-.*?/:~+%];
	word     = wordbyte+;
	blank    = [ \t\r\n\f\v];
*/

/* Scans one token starting at lx->cur, ignoring blanks and comments. */
static int scan(sc_lexer *lx, sc_token *t, const char **msg)
{
	const unsigned char *start;
	for (;;) {
		start = lx->cur;
		/*!re2c
		$                   { set_span(lx, t, start); return 0; }
		blank+              { continue; }
		"#" [^\n\x00]*      { if (!lx->keep_comments) continue;
		                      set_span(lx, t, start); return SC_TK_COMMENT; }

		"task"              { set_span(lx, t, start); return TK_TASK; }
		"extends"           { set_span(lx, t, start); return TK_EXTENDS; }
		"allows"            { set_span(lx, t, start); return TK_ALLOWS; }
		"asks"              { set_span(lx, t, start); return TK_ASKS; }
		"denies"            { set_span(lx, t, start); return TK_DENIES; }
		"let"               { set_span(lx, t, start); return TK_LET; }
		"include"           { set_span(lx, t, start); return TK_INCLUDE; }
		"expect"            { set_span(lx, t, start); return TK_EXPECT; }
		"when"              { set_span(lx, t, start); return TK_WHEN; }
		"and"               { set_span(lx, t, start); return TK_AND; }
		"or"                { set_span(lx, t, start); return TK_OR; }
		"not"               { set_span(lx, t, start); return TK_NOT; }
		"in"                { set_span(lx, t, start); return TK_IN; }
		"has"               { set_span(lx, t, start); return TK_HAS; }
		"matches"           { set_span(lx, t, start); return TK_MATCHES; }
		"like"              { set_span(lx, t, start); return TK_LIKE; }

		word                { set_span(lx, t, start); return TK_WORD; }
		"@" word            { set_span(lx, t, start); return TK_SETREF; }
		"@" ["]             { lx->cur = start + 1; set_span(lx, t, start); return TK_AT; }
		"@"                 { set_span(lx, t, start); *msg = "expected a set name after '@'"; return -1; }

		["] ([^"\\\n] | "\\" [^\n])* ["]
		                    { set_span(lx, t, start); return TK_STRING; }
		["] ([^"\\\n] | "\\" [^\n])* "\\"? 
		                    { set_span(lx, t, start);
		                      *msg = "unterminated string (a string ends with \" on the same line)";
		                      return -1; }

		"=="                { set_span(lx, t, start); return TK_EQ; }
		"!="                { set_span(lx, t, start); return TK_NE; }
		"<="                { set_span(lx, t, start); return TK_LE; }
		">="                { set_span(lx, t, start); return TK_GE; }
		"<"                 { set_span(lx, t, start); return TK_LT; }
		">"                 { set_span(lx, t, start); return TK_GT; }
		"="                 { set_span(lx, t, start); return TK_ASSIGN; }
		","                 { set_span(lx, t, start); return TK_COMMA; }
		"("                 { set_span(lx, t, start); return TK_LPAREN; }
		")"                 { set_span(lx, t, start); return TK_RPAREN; }
		"["                 { set_span(lx, t, start); return TK_LBRACKET; }
		"]"                 { set_span(lx, t, start); return TK_RBRACKET; }

		[\x00]              { set_span(lx, t, start); *msg = "NUL byte in policy source"; return -1; }
		[\x80-\xff]+        { set_span(lx, t, start);
		                      *msg = "non-ASCII text outside a quoted string (quote names that are not bare words)";
		                      return -1; }
		*                   { set_span(lx, t, start); *msg = "unexpected character"; return -1; }
		*/
	}
}

/* Scans a regex literal /.../flags; lx->cur is at the opening slash.
 * A backslash escapes the next byte (so \/ does not end the literal); the
 * text between the slashes goes to PCRE2 unchanged. */
static int scan_regex(sc_lexer *lx, sc_token *t, const char **msg)
{
	const unsigned char *start = lx->cur;
	/*!re2c
	"/" ([^/\\\n\x00] | "\\" [^\n\x00])* "/" [a-zA-Z0-9_]*
	                    { set_span(lx, t, start); return TK_REGEX; }
	*                   { while (lx->cur < lx->lim && *lx->cur != '\n')
	                          lx->cur++;
	                      set_span(lx, t, start);
	                      *msg = "unterminated regex (a regex ends with / on the same line)";
	                      return -1; }
	$                   { set_span(lx, t, start);
	                      *msg = "unterminated regex (a regex ends with / on the same line)";
	                      return -1; }
	*/
}

static int skip_blanks(sc_lexer *lx)
{
	while (lx->cur < lx->lim) {
		unsigned char c = *lx->cur;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v')
			lx->cur++;
		else
			return c;
	}
	return -1;
}

/* Skips blanks, and comments unless they are kept, so that a regex after
 * `matches` may follow on a later line. */
static int skip_to_token(sc_lexer *lx)
{
	int c;
	while ((c = skip_blanks(lx)) == '#' && !lx->keep_comments)
		while (lx->cur < lx->lim && *lx->cur != '\n' && *lx->cur != '\0')
			lx->cur++;
	return c;
}

int sc_lex_next(sc_lexer *lx, sc_token *t, const char **msg)
{
	int type;
	if (lx->prev == TK_MATCHES && skip_to_token(lx) == '/')
		type = scan_regex(lx, t, msg);
	else
		type = scan(lx, t, msg);
	/* NAME= (but not NAME==) is the key of a KEY=VALUE pair. */
	if ((type == TK_WORD || type == TK_STRING) && lx->cur < lx->lim && lx->cur[0] == '=' &&
	    (lx->cur + 1 >= lx->lim || lx->cur[1] != '=')) {
		lx->cur++;
		type = TK_KEYEQ;
	}
	if (type != SC_TK_COMMENT)
		lx->prev = type;
	return type;
}
