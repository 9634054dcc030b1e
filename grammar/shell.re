/*
 * shell.re — the scanners of the shell command splitter (runtime/enforce/
 * shell.c).  re2c turns this into build/shell_lex.c.
 *
 * Sentinel contract (shell_lex.h): *lim is a NUL byte and there is none
 * before it, so every rule stops at the NUL and none consumes it (the
 * NUL rules leave the cursor on it).  Character classes therefore all
 * exclude \x00; trailing contexts may look at it.
 */
#include "shell_lex.h"

#include <limits.h>

/*!re2c
	re2c:api:style = free-form;
	re2c:define:YYCTYPE = "unsigned char";
	re2c:define:YYCURSOR = "lx->cur";
	re2c:define:YYMARKER = "lx->mar";
	re2c:define:YYCTXMARKER = "lx->ctx";
	re2c:yyfill:enable = 0;

	nul      = "\x00";
	blank    = [ \t];
	cont     = "\\\n";
	meta     = [ \t\n;&|()<>];
	delim    = meta | nul;
	name     = [A-Za-z_][A-Za-z0-9_]*;
	special  = [@*#?$!\-];
	digit    = [0-9];
	hex      = [0-9a-fA-F];
	oct      = [0-7];
	comment  = "#" [^\n\x00]*;

	// bytes of a word outside quotes that need no attention: not a
	// metacharacter, quote, backslash, $, backquote, glob, [, {, ~
	plain    = [^ \t\n;&|()<>"'\\$`*?[{~\x00];
	// inside double quotes
	dqplain  = [^"\\$`\x00];
	// ${NAME}, ${#NAME}, ${1}, ${@} ...: no operator, nothing to expand
	param    = "${" "#"? (name | digit+ | special) "}";
*/

/* The operator at lx->cur, which is < > or &>. */
static int redir_op(sh_lex *lx, int *op)
{
	/*!re2c
	"<<<"   { *op = SH_R_HERESTR; return SH_REDIR; }
	"<<-"   { *op = SH_R_HEREDOC_TABS; return SH_REDIR; }
	"<<"    { *op = SH_R_HEREDOC; return SH_REDIR; }
	"<>"    { *op = SH_R_RW; return SH_REDIR; }
	"<&"    { *op = SH_R_DUPIN; return SH_REDIR; }
	"<"     { *op = SH_R_IN; return SH_REDIR; }
	">>"    { *op = SH_R_APPEND; return SH_REDIR; }
	">|"    { *op = SH_R_CLOBBER; return SH_REDIR; }
	">&"    { *op = SH_R_DUPOUT; return SH_REDIR; }
	">"     { *op = SH_R_OUT; return SH_REDIR; }
	"&>>"   { *op = SH_R_ALLAPPEND; return SH_REDIR; }
	"&>"    { *op = SH_R_ALL; return SH_REDIR; }
	*       { lx->cur--; return SH_EOF; }
	*/
}

static int fd_number(const unsigned char *s, const unsigned char *e)
{
	long v = 0;
	for (; s < e; s++) {
		if (*s < '0' || *s > '9')
			continue; /* a line continuation */
		v = v * 10 + (*s - '0');
		if (v > INT_MAX)
			return INT_MAX;
	}
	return (int)v;
}

/* A reserved word is one only in command position; elsewhere it is the
 * start of an ordinary word. */
static int kw(sh_lex *lx, bool cmdpos, int tok)
{
	if (cmdpos)
		return tok;
	lx->cur = lx->tok;
	return SH_WORD;
}

int sh_token(sh_lex *lx, bool cmdpos, int *op, int *fd)
{
	*fd = -1;
	for (;;) {
		lx->tok = lx->cur;
		/*!re2c
		nul           { lx->cur = lx->tok; return SH_EOF; }
		blank+        { continue; }
		cont          { continue; }
		comment       { continue; }
		"\n"          { return SH_NEWLINE; }
		";;&" | ";;" | ";&"
		              { return SH_CASEOP; }
		";"           { return SH_SEMI; }
		"&&"          { return SH_AND; }
		"&"           { return SH_AMP; }
		"||"          { return SH_OR; }
		"|&"          { return SH_PIPEAMP; }
		"|"           { return SH_PIPE; }
		"(" cont* "(" { return SH_DLPAREN; }
		// bash joins lines before it reads operators: &\<newline>> is &>
		[;&|<>] cont+ [;&|<>]
		              { return SH_CONTOP; }
		"("           { return SH_LPAREN; }
		")"           { return SH_RPAREN; }

		// <( and >( begin a word (process substitution); 2>( too: bash
		// reads `echo 2>(true)` as the word 2/dev/fd/63
		[<>] "("      { lx->cur = lx->tok; return SH_WORD; }
		digit (digit | cont)* / [<>]
		              { if (lx->cur[1] == '(') {
		                    lx->cur = lx->tok;
		                    return SH_WORD;
		                }
		                *fd = fd_number(lx->tok, lx->cur);
		                return redir_op(lx, op); }
		[<>] | "&>"   { lx->cur = lx->tok; return redir_op(lx, op); }

		"if" / delim       { return kw(lx, cmdpos, SH_KW_IF); }
		"then" / delim     { return kw(lx, cmdpos, SH_KW_THEN); }
		"elif" / delim     { return kw(lx, cmdpos, SH_KW_ELIF); }
		"else" / delim     { return kw(lx, cmdpos, SH_KW_ELSE); }
		"fi" / delim       { return kw(lx, cmdpos, SH_KW_FI); }
		"while" / delim    { return kw(lx, cmdpos, SH_KW_WHILE); }
		"until" / delim    { return kw(lx, cmdpos, SH_KW_UNTIL); }
		"do" / delim       { return kw(lx, cmdpos, SH_KW_DO); }
		"done" / delim     { return kw(lx, cmdpos, SH_KW_DONE); }
		"for" / delim      { return kw(lx, cmdpos, SH_KW_FOR); }
		"select" / delim   { return kw(lx, cmdpos, SH_KW_SELECT); }
		"in" / delim       { return kw(lx, cmdpos, SH_KW_IN); }
		"case" / delim     { return kw(lx, cmdpos, SH_KW_CASE); }
		"esac" / delim     { return kw(lx, cmdpos, SH_KW_ESAC); }
		"function" / delim { return kw(lx, cmdpos, SH_KW_FUNCTION); }
		"coproc" / delim   { return kw(lx, cmdpos, SH_KW_COPROC); }
		"{" / delim        { return kw(lx, cmdpos, SH_KW_LBRACE); }
		"}" / delim        { return kw(lx, cmdpos, SH_KW_RBRACE); }
		"!" / delim        { return kw(lx, cmdpos, SH_KW_BANG); }
		"time" / delim     { return kw(lx, cmdpos, SH_KW_TIME); }
		"[[" / delim       { return kw(lx, cmdpos, SH_KW_DLBRACKET); }

		*             { lx->cur = lx->tok; return SH_WORD; }
		*/
	}
}

int sh_piece(sh_lex *lx, bool dq, const unsigned char **start)
{
	*start = lx->cur;
	if (dq)
		goto in_dq;
	/*!re2c
	nul | meta    { lx->cur = *start; return SH_P_END; }
	plain+        { return SH_P_LIT; }
	cont          { return SH_P_CONT; }
	"\\" [^\x00]  { return SH_P_ESC; }
	"\\"          { return SH_P_LIT; } // at the very end: bash keeps it
	"'" [^'\x00]* "'"
	              { return SH_P_SQ; }
	"'"           { return SH_P_UNTERM; }
	"\""          { return SH_P_DQ; }
	"$\""         { return SH_P_LOCALE; }
	"$'" ([^'\\\x00] | "\\" [^\x00])* "'"
	              { return SH_P_ANSI; }
	"$'"          { return SH_P_UNTERM; }
	"$((" | "$["  { return SH_P_ARITH; }
	"$("          { return SH_P_CMDSUB; }
	param         { return SH_P_PARAM; }
	"${"          { return SH_P_PARAMX; }
	"$" (name | digit | special)
	              { return SH_P_VAR; }
	"$" cont+     { return SH_P_CONTX; }
	"$"           { return SH_P_LIT; }
	"`" ([^`\\\x00] | "\\" [^\x00])* "`"
	              { return SH_P_BQ; }
	"`"           { return SH_P_UNTERM; }
	[<>] "("      { return SH_P_PROCSUB; }
	[*?]          { return SH_P_GLOB; }
	"["           { return SH_P_LBRACK; }
	"{"           { return SH_P_BRACE; }
	"~"           { return SH_P_TILDE; }
	*/
in_dq:
	/*!re2c
	nul           { lx->cur = *start; return SH_P_UNTERM; }
	dqplain+      { return SH_P_LIT; }
	cont          { return SH_P_CONT; }
	"\\" [$`"\\]  { return SH_P_ESC; }
	"\\" [^\x00]  { return SH_P_LIT; } // any other backslash stays
	"\\"          { return SH_P_UNTERM; }
	"\""          { return SH_P_DQ; }
	"$((" | "$["  { return SH_P_ARITH; }
	"$("          { return SH_P_CMDSUB; }
	param         { return SH_P_PARAM; }
	"${"          { return SH_P_PARAMX; }
	"$" (name | digit | special)
	              { return SH_P_VAR; }
	"$" cont+     { return SH_P_CONTX; }
	"$"           { return SH_P_LIT; }
	"`" ([^`\\\x00] | "\\" [^\x00])* "`"
	              { return SH_P_BQ; }
	"`"           { return SH_P_UNTERM; }
	*/
}

static int hexval(unsigned char c)
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

long sh_ansi_decode(const unsigned char *s, size_t n, unsigned char *out)
{
	sh_lex l = { .cur = s, .lim = s + n }, *lx = &l;
	unsigned char *o = out;
	for (;;) {
		const unsigned char *t = lx->cur;
		unsigned v = 0;
		/*!re2c
		"'"                 { return (long)(o - out); }
		"\\a"               { *o++ = '\a'; continue; }
		"\\b"               { *o++ = '\b'; continue; }
		"\\" [eE]           { *o++ = 0x1b; continue; }
		"\\f"               { *o++ = '\f'; continue; }
		"\\n"               { *o++ = '\n'; continue; }
		"\\r"               { *o++ = '\r'; continue; }
		"\\t"               { *o++ = '\t'; continue; }
		"\\v"               { *o++ = '\v'; continue; }
		"\\" [\\'"?]        { *o++ = t[1]; continue; }
		"\\" oct{1,3}       { for (t++; t < lx->cur; t++)
		                          v = v * 8 + (unsigned)(*t - '0');
		                      if ((v & 0xff) == 0)
		                          return -1;
		                      *o++ = (unsigned char)v; continue; }
		"\\x" hex{1,2}      { for (t += 2; t < lx->cur; t++)
		                          v = v * 16 + (unsigned)hexval(*t);
		                      if (v == 0)
		                          return -1;
		                      *o++ = (unsigned char)v; continue; }
		"\\" [uUc]          { return -1; }
		"\\" [^\x00']       { *o++ = t[0]; *o++ = t[1]; continue; }
		[^'\\\x00]          { *o++ = t[0]; continue; }
		*                   { return -1; }
		*/
	}
}

bool sh_fdvar(const unsigned char *cur, size_t *len)
{
	sh_lex l = { .cur = cur }, *lx = &l;
	/*!re2c
	"{" name "}" / [<>]  { *len = (size_t)(lx->cur - cur); return true; }
	*                    { return false; }
	*/
}
