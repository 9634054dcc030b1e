/*
 * shell_lex.h — the scanners of the shell splitter (grammar/shell.re),
 * internal to shell.c.
 *
 * A buffer is scanned between cur and lim, and *lim is a NUL byte that
 * occurs nowhere before lim (shell.c cuts a line at its first NUL), so
 * the scanners stop on it like on a sentinel and never read past it.
 *
 * Shell lexing depends on context, so there are several small scanners
 * the parser picks from: tokens between words (operators, keywords in
 * command position), pieces of a word outside quotes and inside double
 * quotes, and a few that find the end of one construct.
 */
#ifndef SCOPE_SHELL_LEX_H
#define SCOPE_SHELL_LEX_H

#include <stdbool.h>
#include <stddef.h>

typedef struct sh_lex {
	const unsigned char *cur, *lim, *mar, *ctx;
	const unsigned char *tok; /* where the last token began */
} sh_lex;

/* Tokens between words. */
enum sh_tok {
	SH_EOF, SH_NEWLINE, SH_SEMI, SH_AMP, SH_AND, SH_OR, SH_PIPE, SH_PIPEAMP,
	SH_LPAREN, SH_RPAREN, SH_DLPAREN, SH_CASEOP, SH_REDIR,
	SH_CONTOP, /* two operators joined by a line continuation (&\<newline>>) */
	SH_WORD, /* a word begins at cur (nothing consumed) */
	/* reserved words, only in command position */
	SH_KW_IF, SH_KW_THEN, SH_KW_ELIF, SH_KW_ELSE, SH_KW_FI, SH_KW_WHILE, SH_KW_UNTIL,
	SH_KW_DO, SH_KW_DONE, SH_KW_FOR, SH_KW_SELECT, SH_KW_IN, SH_KW_CASE, SH_KW_ESAC,
	SH_KW_FUNCTION, SH_KW_COPROC, SH_KW_LBRACE, SH_KW_RBRACE, SH_KW_BANG, SH_KW_TIME,
	SH_KW_DLBRACKET,
};

/* Redirection operators (the op of an SH_REDIR token). */
enum sh_rop {
	SH_R_IN, SH_R_OUT, SH_R_APPEND, SH_R_CLOBBER, SH_R_RW, SH_R_DUPIN, SH_R_DUPOUT,
	SH_R_ALL, SH_R_ALLAPPEND, SH_R_HEREDOC, SH_R_HEREDOC_TABS, SH_R_HERESTR,
};

/* The next token.  CMDPOS: reserved words are recognised.  For SH_REDIR,
 * *op is the operator and *fd its fd number (-1 when none was given;
 * a huge number is clamped to INT_MAX). */
int sh_token(sh_lex *lx, bool cmdpos, int *op, int *fd);

/* Pieces of a word. */
enum sh_piece {
	SH_P_END,       /* the word ends here (nothing consumed) */
	SH_P_LIT,       /* bytes taken as they are: [start, cur) */
	SH_P_ESC,       /* a backslash and one byte: the byte is start[1] */
	SH_P_CONT,      /* backslash-newline: nothing */
	SH_P_SQ,        /* '...': the text is [start+1, cur-1) */
	SH_P_DQ,        /* " opens (outside quotes) or closes (inside) */
	SH_P_LOCALE,    /* $" opens double quotes */
	SH_P_ANSI,      /* $'...': [start+2, cur-1) still to be decoded */
	SH_P_CMDSUB,    /* $( */
	SH_P_ARITH,     /* $(( or $[ */
	SH_P_PARAM,     /* ${NAME} and the other plain forms: literal text [start, cur) */
	SH_P_PARAMX,    /* ${ of another form (nothing consumed after ${) */
	SH_P_VAR,       /* $NAME, $1, $@ ...: literal text [start, cur) */
	SH_P_BQ,        /* `...` with its end: [start+1, cur-1) is the text */
	SH_P_PROCSUB,   /* <( or >( */
	SH_P_GLOB,      /* * or ? outside quotes */
	SH_P_LBRACK,    /* [ outside quotes */
	SH_P_BRACE,     /* { outside quotes */
	SH_P_TILDE,     /* ~ outside quotes */
	SH_P_UNTERM,    /* an unterminated quote or backquote: stop */
	SH_P_CONTX,     /* $ then a line continuation ($\<newline>NAME is $NAME): stop */
};

/* A piece of a word outside quotes, or inside double quotes (DQ). */
int sh_piece(sh_lex *lx, bool dq, const unsigned char **start);

/* Decodes the body of $'...' (N bytes at S, ending in the closing quote
 * at S[N], which acts as the sentinel) into OUT (at least N bytes).
 * Returns the length written, or -1 when an escape is not decoded
 * (\u \U \c, or one that yields a NUL byte). */
long sh_ansi_decode(const unsigned char *s, size_t n, unsigned char *out);

/* True if the bytes at CUR are an unquoted `{NAME}` immediately followed
 * by < or > (bash's "allocate an fd into NAME" redirection prefix); *len
 * is the length of `{NAME}`. */
bool sh_fdvar(const unsigned char *cur, size_t *len);

#endif
