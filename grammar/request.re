/*
 * request.re — segments of a request line for `scopec eval` (SPEC §3).
 * A token is a run of BARE and QUOTED segments between BLANKs; request.c
 * joins them.  re2c turns this into build/request_lex.h, which request.c
 * includes: called a few times per token, the lexer is worth inlining
 * (a call into another object per segment showed in the eval profile).
 *
 * Contract: *lim is a readable NUL byte (the sentinel); re2c's eof rule
 * tells it from a NUL byte inside the line, which is an error.
 */
enum { SC_SEG_END, SC_SEG_BLANK, SC_SEG_BARE, SC_SEG_QUOTED, SC_SEG_ERROR };

static inline int sc_request_segment(const char **cur, const char *lim, const char **start, const char **msg)
{
	const unsigned char *c = (const unsigned char *)*cur, *m = c;
	const unsigned char *l = (const unsigned char *)lim;
	*start = *cur;
	(void)m;
	/*!re2c
	re2c:api:style = free-form;
	re2c:define:YYCTYPE = "unsigned char";
	re2c:define:YYCURSOR = "c";
	re2c:define:YYMARKER = "m";
	re2c:define:YYLIMIT = "l";
	re2c:yyfill:enable = 0;
	re2c:eof = 0;

	$                    { return SC_SEG_END; }
	[ \t\r\n]+           { *cur = (const char *)c; return SC_SEG_BLANK; }
	[^ \t\r\n"\x00]+     { *cur = (const char *)c; return SC_SEG_BARE; }
	["] ([^"\\\x00] | "\\" ["\\])* ["]
	                     { *cur = (const char *)c; return SC_SEG_QUOTED; }
	["] ([^"\\\x00] | "\\" ["\\])* "\\" [^"\\]
	                     { *msg = "invalid escape in quoted token (only \\\" and \\\\ are escapes)";
	                       *start = (const char *)c - 2; return SC_SEG_ERROR; }
	["] ([^"\\\x00] | "\\" ["\\])* "\\"?
	                     { *msg = "unterminated quoted token"; return SC_SEG_ERROR; }
	[\x00]               { *start = (const char *)c - 1; *msg = "NUL byte in request"; return SC_SEG_ERROR; }
	*/
}
