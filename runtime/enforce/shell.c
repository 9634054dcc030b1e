/*
 * shell.c — the shell command splitter (shell.h): a recursive-descent
 * parser over the scanners of grammar/shell.re.
 *
 * One pass over the line.  Words are built on a byte stack (p->text) and
 * commands on a word stack (p->words): a $( ) inside a word parses its
 * commands above the outer word, finishes them (they go to the result,
 * the stacks shrink back) and the outer word goes on.  Everything handed
 * to the caller lives in an arena that never moves.  Recursion is bounded
 * by SCOPE_SHELL_MAX_DEPTH; backquotes and sh -c strings are parsed again
 * from a copy, at most SCOPE_SHELL_MAX_REPARSE deep.
 *
 * Failing closed: whenever the parser meets what it does not understand
 * it stops (p->stop) with a reason; every loop then ends, and the
 * commands being read are still reported, marked opaque.
 */
#include "shell.h"
#include "shell_lex.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- the result and its arena ------------------------------------------- */

typedef struct blk {
	struct blk *next;
	size_t used, cap;
	max_align_t data[];
} blk;

struct scope_shell {
	blk *arena;
	scope_shell_cmd *cmds;
	size_t ncmds, capcmds;
	scope_shell_redir *redirs;
	size_t nredirs, capredirs;
	const char *why;
	size_t total, budget; /* arena bytes, and their bound */
	bool over;            /* an allocation would have passed the bound */
};

/* Nested substitutions copy their text into every enclosing word, so a
 * hostile line could take depth times its size; the arena is bounded by
 * SCOPE_SHELL_MEMORY times the line (and a constant) instead. */
#define SCOPE_SHELL_MEMORY 32

static void *arena_alloc(scope_shell *sh, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (n > sh->budget - sh->total) {
		sh->over = true;
		return NULL;
	}
	sh->total += n;
	blk *b = sh->arena;
	if (!b || b->cap - b->used < n) {
		/* small lines stay small; long ones get geometrically larger blocks */
		size_t cap = b ? (b->cap < (1 << 20) ? 2 * b->cap : b->cap) : 1024;
		if (cap < n)
			cap = n;
		b = malloc(sizeof *b + cap);
		if (!b)
			return NULL;
		b->next = sh->arena;
		b->used = 0;
		b->cap = cap;
		sh->arena = b;
	}
	void *r = (char *)b->data + b->used;
	b->used += n;
	return r;
}

static char *arena_str(scope_shell *sh, const void *s, size_t n)
{
	char *r = arena_alloc(sh, n + 1);
	if (r) {
		if (n)
			memcpy(r, s, n);
		r[n] = '\0';
	}
	return r;
}

/* Grows *P (of *CAP elements of SIZE bytes) to hold NEED. */
static bool grow(void **p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return true;
	size_t n = *cap ? *cap : 16;
	while (n < need)
		n *= 2;
	void *q = realloc(*p, n * size);
	if (!q)
		return false;
	*p = q;
	*cap = n;
	return true;
}

/* ---- the parser --------------------------------------------------------- */

/* Word flags. */
enum {
	W_QUOTED = 1 << 0,    /* some part was quoted or escaped */
	W_EXPAND = 1 << 1,    /* $NAME, ${...}, or a substitution */
	W_SUBST = 1 << 2,     /* $( ), backquotes, <( ), >( ) */
	W_GLOB = 1 << 3,      /* unquoted * ? or [...] */
	W_BRACE = 1 << 4,     /* unquoted { */
	W_TILDE = 1 << 5,     /* begins with an unquoted ~ */
	W_UNDECODED = 1 << 6, /* a $'...' escape was not decoded */
	W_ASSIGN = 1 << 7,    /* NAME=... or NAME+=... */
	W_ARRAY = 1 << 8,     /* NAME[...]=... */
	W_PROCSUB = 1 << 9,   /* the whole word is one <( ) or >( ) */
	W_CONT = 1 << 10,     /* a line continuation inside (i\<newline>f is the keyword if) */
};
#define W_UNKNOWN (W_EXPAND | W_GLOB | W_BRACE | W_UNDECODED)

typedef struct sh_word {
	const char *s; /* in the arena, NUL-terminated */
	size_t n;
	unsigned flags;
} sh_word;

typedef struct heredoc {
	const char *delim;
	size_t n;
	bool tabs; /* <<-: leading tabs of body lines are stripped */
} heredoc;

/* A simple command being read. */
typedef struct frame {
	size_t w0, r0;  /* its words and redirections on the stacks */
	bool heredoc;
} frame;

typedef struct parser {
	scope_shell *sh;
	sh_lex lx;
	int tok, op, fd;        /* the current token */
	unsigned char *text;    /* the byte stack of words being built */
	size_t ntext, captext;
	sh_word *words;         /* the word stack of commands being read */
	size_t nwords, capwords;
	scope_shell_redir *prs; /* redirections of commands being read */
	size_t nprs, capprs;
	heredoc *hds;           /* here-documents whose body is still ahead */
	size_t nhds, caphds, hd0; /* hd0: the first one of the current buffer */
	int depth, reparse;
	bool stop;              /* splitting stopped: every loop ends */
	bool limit;             /* ... because of a limit: enclosing strings stop too */
	bool nomem;
	bool cd_seen;           /* a cd, pushd or popd was read: relative targets are unknown */
	const char *stop_why;
} parser;

static void parse_list(parser *p, size_t *count);

/* The first reason of the line is what scope_shell_opaque() reports. */
static void note(parser *p, const char *why)
{
	if (!p->sh->why)
		p->sh->why = why;
}

static void stop(parser *p, const char *why)
{
	if (p->stop)
		return;
	note(p, why);
	p->stop = true;
	p->stop_why = why;
}

static void stop_limit(parser *p, const char *why)
{
	if (!p->stop)
		p->limit = true;
	stop(p, why);
}

static void nomem(parser *p)
{
	if (p->sh->over) {
		stop_limit(p, "the split would take more than 32 times the size of the line");
		return;
	}
	p->nomem = true;
	stop_limit(p, "out of memory");
}

static const char *tok_error(int t)
{
	switch (t) {
	case SH_EOF: return "syntax error: unexpected end of the command line";
	case SH_NEWLINE: return "syntax error near a newline";
	case SH_SEMI: return "syntax error near ';'";
	case SH_AMP: return "syntax error near '&'";
	case SH_AND: return "syntax error near '&&'";
	case SH_OR: return "syntax error near '||'";
	case SH_PIPE: case SH_PIPEAMP: return "syntax error near '|'";
	case SH_LPAREN: return "syntax error near '('";
	case SH_RPAREN: return "syntax error: unbalanced ')'";
	case SH_CASEOP: return "syntax error near ';;' (outside case)";
	case SH_REDIR: return "syntax error near a redirection";
	case SH_CONTOP: return "line continuation inside an operator";
	case SH_WORD: return "syntax error near a word";
	default: return "syntax error near a reserved word";
	}
}

static void syntax_error(parser *p, int t)
{
	stop(p, tok_error(t));
}

/* Nesting: every ( ), { }, compound, substitution and string parsed again
 * goes one level deeper; the C stack grows with it, so it is bounded. */
static bool enter(parser *p)
{
	if (p->depth >= SCOPE_SHELL_MAX_DEPTH) {
		stop_limit(p, "nesting deeper than 64 levels");
		return false;
	}
	p->depth++;
	return true;
}

static void leave(parser *p)
{
	p->depth--;
}

static void put(parser *p, const void *s, size_t n)
{
	if (n == 0)
		return;
	if (!grow((void **)&p->text, &p->captext, p->ntext + n, 1)) {
		nomem(p);
		return;
	}
	memcpy(p->text + p->ntext, s, n);
	p->ntext += n;
}

static bool is_delim(unsigned char c)
{
	return c == 0 || c == ' ' || c == '\t' || c == '\n' || c == ';' || c == '&' || c == '|' ||
	       c == '(' || c == ')' || c == '<' || c == '>';
}

/* The bodies of the here-documents of the line just ended: lines up to
 * the delimiter, skipped unread (the command is opaque). */
static void skip_heredocs(parser *p)
{
	const unsigned char *c = p->lx.cur, *lim = p->lx.lim;
	for (size_t i = p->hd0; i < p->nhds; i++) {
		const heredoc *h = &p->hds[i];
		for (;;) {
			if (c >= lim)
				goto done;
			const unsigned char *e = memchr(c, '\n', (size_t)(lim - c));
			if (!e)
				e = lim;
			const unsigned char *s = c;
			if (h->tabs)
				while (s < e && *s == '\t')
					s++;
			c = e < lim ? e + 1 : lim;
			if ((size_t)(e - s) == h->n && memcmp(s, h->delim, h->n) == 0)
				break;
		}
	}
done:
	p->lx.cur = c;
	p->nhds = p->hd0;
}

/* The next token; after a stop, always SH_EOF so that every loop ends. */
static int next(parser *p, bool cmdpos)
{
	if (p->stop)
		return p->tok = SH_EOF;
	int t = sh_token(&p->lx, cmdpos, &p->op, &p->fd);
	if (t == SH_NEWLINE && p->nhds > p->hd0)
		skip_heredocs(p);
	return p->tok = t;
}

static int next_skip_nl(parser *p, bool cmdpos)
{
	int t;
	while ((t = next(p, cmdpos)) == SH_NEWLINE)
		;
	return t;
}

/* ---- words -------------------------------------------------------------- */

static const char *unterminated(const unsigned char *s, bool dq)
{
	if (dq || *s == '"' || *s == '\\' || *s == 0)
		return "unterminated double quote";
	if (*s == '\'')
		return "unterminated single quote";
	if (*s == '`')
		return "unterminated backquote";
	return "unterminated $'...'";
}

/* Parses BUF (N bytes, BUF[N] == NUL, no NUL before) as a command line of
 * its own: a backquote's text or the string of sh -c.  A syntax error in
 * it stops only it: bash reads such a string when it runs it. */
static void reparse(parser *p, const char *buf, size_t n)
{
	if (p->reparse >= SCOPE_SHELL_MAX_REPARSE) {
		stop_limit(p, "backquotes or sh -c strings nested more than 8 deep");
		return;
	}
	if (!enter(p))
		return;
	sh_lex saved = p->lx;
	int tok = p->tok, op = p->op, fd = p->fd;
	size_t hd0 = p->hd0;
	p->lx = (sh_lex){ .cur = (const unsigned char *)buf, .lim = (const unsigned char *)buf + n };
	p->hd0 = p->nhds;
	p->reparse++;
	parse_list(p, NULL);
	if (!p->stop && p->tok != SH_EOF)
		syntax_error(p, p->tok);
	p->reparse--;
	p->nhds = p->hd0;
	p->hd0 = hd0;
	p->lx = saved;
	p->tok = tok;
	p->op = op;
	p->fd = fd;
	leave(p);
	if (p->stop && !p->limit)
		p->stop = false;
}

/* `...`: inside, \\ \` \$ (and \" within double quotes) stand for the
 * byte; the result is parsed again. */
static void backquote(parser *p, const unsigned char *s, size_t n, bool dq)
{
	char *buf = arena_alloc(p->sh, n + 1);
	if (!buf) {
		nomem(p);
		return;
	}
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n &&
		    (s[i + 1] == '\\' || s[i + 1] == '`' || s[i + 1] == '$' || (dq && s[i + 1] == '"')))
			i++;
		buf[o++] = (char)s[i];
	}
	buf[o] = '\0';
	reparse(p, buf, o);
}

/* $( ... ), <( ... ), >( ... ): the commands inside, up to the ). */
static void substitution(parser *p)
{
	if (!enter(p))
		return;
	parse_list(p, NULL);
	if (!p->stop && p->tok != SH_RPAREN)
		stop(p, p->tok == SH_EOF ? "unterminated $( ) or process substitution" : tok_error(p->tok));
	leave(p);
}

static bool name_start(unsigned char c)
{
	return c == '_' || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

static bool name_byte(unsigned char c)
{
	return name_start(c) || (c >= '0' && c <= '9');
}

static bool is_name(const unsigned char *s, size_t n)
{
	if (n == 0 || !name_start(s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!name_byte(s[i]))
			return false;
	return true;
}

/* Assignment words: NAME= or NAME+= in the unquoted literal prefix
 * (bash decides this before quote removal: "A"=1 is a command). */
static unsigned assignment(const unsigned char *t, size_t n, size_t lit)
{
	size_t i = 0;
	while (i < lit && (i > 0 ? name_byte(t[i]) : name_start(t[i])))
		i++;
	if (i == 0 || i >= lit)
		return 0;
	if (t[i] == '=' || (t[i] == '+' && i + 1 < lit && t[i + 1] == '='))
		return W_ASSIGN;
	if (t[i] == '[') /* NAME[...]=: fail closed if an = follows anywhere */
		return memchr(t + i, '=', n - i) ? W_ARRAY : 0;
	return 0;
}

/* Scans the word at the cursor.  Returns false only when nothing could be
 * kept (out of memory). */
static bool scan_word(parser *p, sh_word *w)
{
	size_t t0 = p->ntext, lit = SIZE_MAX, lbrack = SIZE_MAX;
	unsigned fl = 0;
	bool dq = false, first = true;
	int npieces = 0, last = SH_P_END;
	while (!p->stop) {
		const unsigned char *s;
		int k = sh_piece(&p->lx, dq, &s);
		size_t n = (size_t)(p->lx.cur - s);
		if (k == SH_P_END)
			break;
		npieces++;
		last = k;
		if (lit == SIZE_MAX && (dq || (k != SH_P_LIT && k != SH_P_GLOB && k != SH_P_LBRACK &&
					       k != SH_P_BRACE && k != SH_P_TILDE && k != SH_P_CONT)))
			lit = p->ntext - t0;
		switch (k) {
		case SH_P_LIT:
			put(p, s, n);
			break;
		case SH_P_ESC:
			fl |= W_QUOTED;
			put(p, s + 1, 1);
			break;
		case SH_P_CONT:
			fl |= W_CONT;
			break;
		case SH_P_CONTX:
			stop(p, "line continuation after $");
			break;
		case SH_P_SQ:
			fl |= W_QUOTED;
			put(p, s + 1, n - 2);
			break;
		case SH_P_DQ:
		case SH_P_LOCALE:
			fl |= W_QUOTED;
			dq = !dq;
			break;
		case SH_P_ANSI: {
			fl |= W_QUOTED;
			if (!grow((void **)&p->text, &p->captext, p->ntext + n, 1)) {
				nomem(p);
				break;
			}
			long m = sh_ansi_decode(s + 2, n - 3, p->text + p->ntext);
			if (m < 0)
				fl |= W_UNDECODED;
			else
				p->ntext += (size_t)m;
			break;
		}
		case SH_P_CMDSUB:
		case SH_P_PROCSUB:
			fl |= W_EXPAND | W_SUBST;
			substitution(p);
			put(p, s, (size_t)(p->lx.cur - s));
			break;
		case SH_P_BQ:
			fl |= W_EXPAND | W_SUBST;
			backquote(p, s + 1, n - 2, dq);
			put(p, s, n);
			break;
		case SH_P_ARITH:
			stop(p, "arithmetic expansion $(( )) or $[ ] (it evaluates variables as expressions)");
			break;
		case SH_P_PARAMX:
			stop(p, "parameter expansion ${...} other than ${NAME}");
			break;
		case SH_P_PARAM:
		case SH_P_VAR:
			fl |= W_EXPAND;
			put(p, s, n);
			break;
		case SH_P_GLOB:
			fl |= W_GLOB;
			put(p, s, n);
			break;
		case SH_P_LBRACK:
			if (lbrack == SIZE_MAX)
				lbrack = p->ntext - t0;
			put(p, s, n);
			break;
		case SH_P_BRACE:
			fl |= W_BRACE;
			put(p, s, n);
			break;
		case SH_P_TILDE:
			if (first)
				fl |= W_TILDE;
			put(p, s, n);
			break;
		default: /* SH_P_UNTERM */
			stop(p, unterminated(s, dq));
			break;
		}
		first = false;
	}
	size_t n = p->ntext - t0;
	const unsigned char *t = p->text ? p->text + t0 : (const unsigned char *)""; /* nothing put yet */
	if (lit == SIZE_MAX)
		lit = n;
	if (lbrack != SIZE_MAX && memchr(t + lbrack, ']', n - lbrack))
		fl |= W_GLOB;
	fl |= assignment(t, n, lit);
	if (npieces == 1 && last == SH_P_PROCSUB)
		fl |= W_PROCSUB;
	w->s = arena_str(p->sh, t, n);
	w->n = n;
	w->flags = fl;
	p->ntext = t0;
	if (!w->s) {
		nomem(p);
		return false;
	}
	return true;
}

/* ---- simple commands ---------------------------------------------------- */

static bool eq(const sh_word *w, const char *s)
{
	return strcmp(w->s, s) == 0;
}

static const char *base_name(const char *s)
{
	const char *b = strrchr(s, '/');
	return b ? b + 1 : s;
}

/* Builtins that run text as code or change what later words mean. */
static const struct {
	const char *name, *why;
} code_builtins[] = {
	{ "eval", "eval runs its arguments as a command line" },
	{ "source", "source runs a file's commands" },
	{ ".", "source (.) runs a file's commands" },
	{ "trap", "trap runs its argument as a command line later" },
	{ "alias", "alias changes what later commands mean" },
	{ "let", "let evaluates arithmetic (variables as expressions)" },
	{ "enable", "enable can load builtins from a shared object" },
	{ "fc", "fc runs commands from the history" },
	{ "bind", "bind can run commands on key sequences" },
	{ "complete", "complete can run commands" },
	{ "compgen", "compgen can run commands" },
	{ "mapfile", "mapfile can run a callback command" },
	{ "readarray", "readarray can run a callback command" },
	{ "hash", "hash can rebind command names to other files" },
};

static const char *const bash_like[] = { "sh", "bash", "dash", "ash", "ksh", "mksh", "posh", "rbash" };
static const char *const other_shells[] = {
	"zsh", "fish", "csh", "tcsh", "busybox", "toybox", "yash", "rc", "es", "elvish", "nu",
	"xonsh", "pwsh", "oksh", "ksh93", "lksh", "scsh",
};
static const char *const reserved[] = {
	"if", "then", "elif", "else", "fi", "while", "until", "do", "done", "for", "select", "in",
	"case", "esac", "function", "coproc", "time", "{", "}", "!", "[[", "]]",
};
static const char *const var_builtins[] = {
	"read", "printf", "unset", "declare", "typeset", "local", "export", "readonly",
	"getopts", "wait", "test", "[", "mapfile", "readarray",
};

static bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}
#define IN_LIST(s, l) in_list((s), (l), sizeof(l) / sizeof((l)[0]))

static bool is_option(const sh_word *w)
{
	return (w->s[0] == '-' || w->s[0] == '+') && w->s[1] != '\0';
}

/* The options of a bash-like shell after its name at W[0].  Returns why
 * the command is opaque, or NULL; *str is the index of the -c string, or
 * 0 when the shell runs a script file (nothing to see through). */
static const char *shell_options(const sh_word *w, size_t n, size_t *str)
{
	static const char *const long_flags[] = {
		"--login", "--norc", "--noprofile", "--posix", "--restricted", "--verbose",
		"--noediting", "--debugger", "--version", "--help", "--dump-strings",
		"--dump-po-strings", "--pretty-print", "--protected",
	};
	bool c = false, s = false, i_ = false;
	size_t i = 1;
	*str = 0;
	for (; i < n; i++) {
		const sh_word *o = &w[i];
		if (o->flags & W_UNKNOWN) /* it may be an option, or the string */
			return c ? "expansion in the string of sh -c" : "expansion in the options of a shell";
		if (eq(o, "--") || eq(o, "-")) {
			i++;
			break;
		}
		if (!is_option(o))
			break;
		if (o->s[1] == '-') {
			if (IN_LIST(o->s, long_flags))
				continue;
			if (eq(o, "--rcfile") || eq(o, "--init-file")) {
				i++;
				continue;
			}
			return "unknown shell option";
		}
		if (eq(o, "-o") || eq(o, "+o") || eq(o, "-O") || eq(o, "+O")) {
			i++;
			continue;
		}
		for (const char *f = o->s + 1; *f; f++) {
			if (*f == 'c')
				c = true;
			else if (*f == 's')
				s = true;
			else if (*f == 'i')
				i_ = true;
			else if (!strchr("abefhklmnprtuvxBCDEHPT", *f))
				return "unknown shell option";
		}
	}
	if (c) {
		if (i >= n)
			return "sh -c without a command string";
		if (w[i].flags & (W_UNKNOWN | W_TILDE))
			return "expansion in the string of sh -c";
		*str = i;
		return NULL;
	}
	if (s || i_ || i >= n)
		return "a shell reading commands from standard input";
	return NULL;
}

/* NAME=... where NAME makes a shell started with it run code: a startup
 * file, a prompt or trace string (expanded, so substitutions run), shell
 * options, or an exported function (bash imports BASH_FUNC_NAME%%=() ...).
 * Checked on the assignments before a command and on the words a wrapper
 * reads before its command (env NAME=VALUE ...). */
static const char code_variable_why[] =
	"a variable that makes a shell run code (BASH_ENV, ENV, PS4, BASH_FUNC_...)";

static bool code_variable(const char *s)
{
	static const char *const names[] = { "BASH_ENV=", "ENV=", "PS4=", "PS1=", "PS2=",
					     "PROMPT_COMMAND=", "SHELLOPTS=", "BASHOPTS=" };
	if (strncmp(s, "BASH_FUNC_", 10) == 0)
		return true;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strncmp(s, names[i], strlen(names[i])) == 0)
			return true;
	return false;
}

/* What to do after a command is reported. */
enum { FOLLOW_NONE, FOLLOW_INNER, FOLLOW_STRING, FOLLOW_FIND };

/* Commands that run the command given in their arguments: its words
 * follow options (FLAGS take no argument, ARGS one, attached or next) and
 * OPERANDS fixed operands.  The builtins (exec, command, builtin) are
 * read strictly: an option they do not have makes the command opaque.
 * For the programs the reading is best effort, and an option not in the
 * table only means the inner command is not reported (the policy still
 * sees the whole command). */
static const struct wrapper {
	const char *name, *flags, *args;
	int operands;
	bool builtin;
} wrappers[] = {
	{ "exec", "cl", "a", 0, true },
	{ "command", "pvV", "", 0, true },
	{ "builtin", "", "", 0, true },
	{ "env", "i0v", "uC", 0, false },
	{ "nohup", "", "", 0, false },
	{ "nice", "", "n", 0, false },
	{ "timeout", "v", "sk", 1, false },
	{ "time", "pvaq", "fo", 0, false },
	{ "stdbuf", "", "ioe", 0, false },
	{ "setsid", "fwc", "", 0, false },
	{ "sudo", "bEHnPSk", "ugpChDrtUT", 0, false },
	{ "doas", "n", "uC", 0, false },
	{ "xargs", "0rtpx", "nLIdPsEa", 0, false },
};

static const struct wrapper *find_wrapper(const char *name)
{
	for (size_t i = 0; i < sizeof wrappers / sizeof wrappers[0]; i++)
		if (strcmp(name, wrappers[i].name) == 0)
			return &wrappers[i];
	return NULL;
}

/* The index of the command that wrapper W[0] runs: 0 when none (or, for a
 * program, when its options are not understood), SIZE_MAX when a
 * builtin's option is not understood. */
static size_t wrapped(const struct wrapper *wr, const sh_word *w, size_t n)
{
	size_t none = wr->builtin ? SIZE_MAX : 0, i = 1;
	for (; i < n && w[i].s[0] == '-' && w[i].s[1]; i++) {
		const char *o = w[i].s;
		if (strcmp(o, "--") == 0) {
			i++;
			break;
		}
		if (o[1] == '-') { /* --long=value only: --long value is ambiguous */
			if (wr->builtin || !strchr(o, '='))
				return none;
			continue;
		}
		if (strcmp(wr->name, "nice") == 0 && o[1] >= '0' && o[1] <= '9')
			continue; /* nice -10 */
		for (const char *f = o + 1; *f; f++) {
			if (strchr(wr->args, *f)) {
				if (f[1] == '\0')
					i++; /* the argument is the next word */
				break;
			}
			if (!strchr(wr->flags, *f))
				return none;
		}
	}
	if (strcmp(wr->name, "env") == 0)
		while (i < n && strchr(w[i].s, '=')) /* NAME=VALUE */
			i++;
	i += (size_t)wr->operands;
	return i < n ? i : 0;
}

/* Why the command of words W[0..N) is opaque (or NULL); *follow and *arg
 * say what else it runs. */
static const char *classify(parser *p, const sh_word *w, size_t n, int *follow, size_t *arg)
{
	*follow = FOLLOW_NONE;
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		if (w[i].flags & W_UNDECODED)
			return "a $'...' escape that is not decoded (\\u, \\U, \\c or a NUL byte)";
	for (; c < n && (w[c].flags & (W_ASSIGN | W_ARRAY)); c++) {
		if (w[c].flags & W_ARRAY)
			return "array assignment (its subscript is arithmetic)";
		if (code_variable(w[c].s))
			return code_variable_why;
	}
	if (c == n)
		return NULL;
	const sh_word *cw = &w[c];
	if (cw->flags & W_SUBST)
		return "command substitution in the command word";
	if (cw->flags & W_EXPAND)
		return "variable expansion in the command word";
	if (cw->flags & W_GLOB)
		return "glob in the command word";
	if (cw->flags & W_BRACE)
		return "brace in the command word";
	for (size_t i = 0; i < sizeof code_builtins / sizeof code_builtins[0]; i++)
		if (eq(cw, code_builtins[i].name))
			return code_builtins[i].why;
	if (eq(cw, "cd") || eq(cw, "pushd") || eq(cw, "popd"))
		p->cd_seen = true;
	if (IN_LIST(cw->s, var_builtins)) {
		for (size_t i = c + 1; i < n; i++) {
			const char *b = strchr(w[i].s, '[');
			if (b && strpbrk(b, "$`"))
				return "array subscript with an expansion (evaluated as arithmetic)";
			if (strcmp(cw->s, "declare") && strcmp(cw->s, "typeset") && strcmp(cw->s, "local") &&
			    strcmp(cw->s, "export") && strcmp(cw->s, "readonly"))
				continue;
			if (is_option(&w[i]) && strpbrk(w[i].s + 1, "in"))
				return "declare -i or -n (arithmetic or a reference)";
		}
	}
	const struct wrapper *wr = find_wrapper(cw->s);
	if (wr) {
		if (eq(cw, "env")) /* env -S splits a string into words */
			for (size_t i = c + 1; i < n && w[i].s[0] == '-'; i++)
				if (w[i].s[1] == 'S' || strncmp(w[i].s, "--split-string", 14) == 0)
					return "env -S (it splits a string into a command)";
		size_t k = wrapped(wr, w + c, n - c);
		if (k == SIZE_MAX)
			return "unknown option of exec, command or builtin";
		for (size_t i = c + 1; i < (k ? c + k : n); i++) /* env NAME=VALUE, sudo NAME=VALUE */
			if (code_variable(w[i].s))
				return code_variable_why;
		if (k) {
			*follow = FOLLOW_INNER;
			*arg = c + k;
		}
		return NULL;
	}
	if (eq(cw, "find")) {
		*follow = FOLLOW_FIND;
		*arg = c;
		return NULL;
	}
	const char *b = base_name(cw->s);
	if (IN_LIST(b, other_shells))
		return "a shell whose syntax is not parsed (zsh, fish, csh, busybox ...)";
	if (IN_LIST(b, bash_like)) {
		size_t s;
		const char *why = shell_options(cw, n - c, &s);
		if (!why && s) {
			*follow = FOLLOW_STRING;
			*arg = c + s;
		}
		return why;
	}
	return NULL;
}

/* Adds a command of the words W[0..N); returns its index, or SIZE_MAX. */
static size_t emit(parser *p, const sh_word *w, size_t n, const char *why)
{
	scope_shell *sh = p->sh;
	if (sh->ncmds >= SCOPE_SHELL_MAX_COMMANDS) {
		stop_limit(p, "more than 4096 commands");
		return SIZE_MAX;
	}
	if (!grow((void **)&sh->cmds, &sh->capcmds, sh->ncmds + 1, sizeof *sh->cmds)) {
		nomem(p);
		return SIZE_MAX;
	}
	const char **words = arena_alloc(sh, (n + 1) * sizeof *words);
	size_t len = 0;
	for (size_t i = 0; i < n; i++)
		len += w[i].n + (i > 0);
	char *text = arena_alloc(sh, len + 1);
	if (!words || !text) {
		nomem(p);
		return SIZE_MAX;
	}
	char *o = text;
	for (size_t i = 0; i < n; i++) {
		words[i] = w[i].s;
		if (i > 0)
			*o++ = ' ';
		memcpy(o, w[i].s, w[i].n);
		o += w[i].n;
	}
	*o = '\0';
	words[n] = NULL;
	if (why)
		note(p, why);
	sh->cmds[sh->ncmds] = (scope_shell_cmd){
		.text = text, .len = len, .words = words, .nwords = n, .opaque = why != NULL, .why = why,
	};
	return sh->ncmds++;
}

static void push_redir(parser *p, const scope_shell_redir *r)
{
	if (!grow((void **)&p->prs, &p->capprs, p->nprs + 1, sizeof *p->prs)) {
		nomem(p);
		return;
	}
	p->prs[p->nprs++] = *r;
}

/* Moves the redirections R0.. of the stack to the result, for command IDX. */
static void flush_redirs(parser *p, size_t r0, size_t idx)
{
	scope_shell *sh = p->sh;
	size_t n = p->nprs - r0;
	p->nprs = r0;
	if (idx == SIZE_MAX || n == 0)
		return;
	if (!grow((void **)&sh->redirs, &sh->capredirs, sh->nredirs + n, sizeof *sh->redirs)) {
		nomem(p);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		sh->redirs[sh->nredirs] = p->prs[r0 + i];
		sh->redirs[sh->nredirs].cmd = idx;
		if (sh->redirs[sh->nredirs].opaque)
			note(p, "a redirection target that cannot be known");
		sh->nredirs++;
	}
}

static void report(parser *p, const sh_word *w, size_t n, const char *why, size_t r0);

/* find ... -exec CMD ARGS ; (also -execdir, -ok, -okdir, and + for ;):
 * every CMD ARGS is a command of its own ({} stays a word). */
static void find_exec(parser *p, const sh_word *w, size_t n)
{
	for (size_t i = 1; i < n && !p->stop; i++) {
		if (!eq(&w[i], "-exec") && !eq(&w[i], "-execdir") && !eq(&w[i], "-ok") && !eq(&w[i], "-okdir"))
			continue;
		size_t j = i + 1;
		while (j < n && !eq(&w[j], ";") && !eq(&w[j], "+"))
			j++;
		if (j > i + 1)
			report(p, w + i + 1, j - i - 1, NULL, p->nprs);
		i = j;
	}
}

/* Reports the command W[0..N) (opaque for WHY, or as classified), with
 * the redirections R0.. of the stack, then what it runs in turn: the
 * command of exec/command/builtin (classified again: `command eval`), or
 * the commands of the string of sh -c. */
static void report(parser *p, const sh_word *w, size_t n, const char *why, size_t r0)
{
	int follow = FOLLOW_NONE;
	size_t arg = 0;
	bool stopped = p->stop;
	if (!stopped) {
		const char *c = classify(p, w, n, &follow, &arg);
		if (!why)
			why = c;
	}
	size_t idx = emit(p, w, n, why);
	flush_redirs(p, r0, idx);
	if (stopped || p->stop || idx == SIZE_MAX)
		return;
	if (follow == FOLLOW_INNER)
		report(p, w + arg, n - arg, NULL, p->nprs);
	else if (follow == FOLLOW_STRING)
		reparse(p, w[arg].s, w[arg].n);
	else if (follow == FOLLOW_FIND)
		find_exec(p, w + arg, n - arg);
}

static bool fd_word(const sh_word *w)
{
	if (w->flags & W_UNKNOWN) /* quotes do not matter: >&"2" is fd 2 */
		return false;
	if (eq(w, "-"))
		return true;
	size_t i = 0;
	while (w->s[i] >= '0' && w->s[i] <= '9')
		i++;
	return i > 0 && (w->s[i] == '\0' || (w->s[i] == '-' && w->s[i + 1] == '\0'));
}

/* A redirection; the operator was just read.  F: the simple command it
 * belongs to (NULL after a compound command: the redirection goes on the
 * stack and the caller flushes it). */
static void parse_redir(parser *p, frame *f, int op, int fd)
{
	int t = next(p, false);
	if (t != SH_WORD) {
		syntax_error(p, t);
		return;
	}
	sh_word w;
	if (!scan_word(p, &w))
		return;
	scope_shell_redir r = { .target = w.s, .len = w.n, .write = true };
	switch (op) {
	case SH_R_HEREDOC:
	case SH_R_HEREDOC_TABS:
		if (f)
			f->heredoc = true;
		else
			stop(p, "here-document");
		if (!grow((void **)&p->hds, &p->caphds, p->nhds + 1, sizeof *p->hds)) {
			nomem(p);
			return;
		}
		p->hds[p->nhds++] = (heredoc){ w.s, w.n, op == SH_R_HEREDOC_TABS };
		return;
	case SH_R_HERESTR:
		return; /* data, not a file; what it runs was parsed with the word */
	case SH_R_DUPIN:
	case SH_R_DUPOUT:
		if (fd_word(&w))
			return;
		/* >&FILE is &>FILE; anything else is unknown (bash: ambiguous) */
		r.write = op == SH_R_DUPOUT;
		r.opaque = op == SH_R_DUPIN || fd != -1 || w.n == 0;
		break;
	case SH_R_IN:
		r.write = false;
		break;
	default:
		break;
	}
	if (w.flags & W_PROCSUB)
		return; /* a pipe to the commands inside, which were parsed */
	if (w.flags & W_UNKNOWN)
		r.opaque = true;
	r.tilde = (w.flags & W_TILDE) != 0;
	if (p->cd_seen && w.s[0] != '/' && !r.tilde)
		r.opaque = true;
	push_redir(p, &r);
}

static void push_word(parser *p, const sh_word *w)
{
	if (!grow((void **)&p->words, &p->capwords, p->nwords + 1, sizeof *p->words)) {
		nomem(p);
		return;
	}
	p->words[p->nwords++] = *w;
}

/* Reports the simple command of frame F (also one cut by a stop). */
static void finish_simple(parser *p, frame *f)
{
	size_t n = p->nwords - f->w0, nr = p->nprs - f->r0;
	const char *why = p->stop ? p->stop_why : f->heredoc ? "here-document (its body is not read)" : NULL;
	if (n == 0 && nr == 0 && !f->heredoc) {
		p->nwords = f->w0;
		return;
	}
	/* a stable copy: what the command runs is parsed on the same stacks */
	sh_word *w = arena_alloc(p->sh, (n + 1) * sizeof *w);
	if (!w) {
		nomem(p);
		return;
	}
	if (n)
		memcpy(w, p->words + f->w0, n * sizeof *w);
	p->nwords = f->w0;
	report(p, w, n, why, f->r0);
}

static void parse_compound(parser *p, int t);

/* The body of a function definition: its commands are reported (they run
 * when it is called), and the line is opaque, since the function may
 * stand for a command name later on (ls() { rm -rf /; }; ls). */
static void parse_function_body(parser *p)
{
	note(p, "function definition (the function may replace a command)");
	int t = next_skip_nl(p, true);
	switch (t) {
	case SH_LPAREN: case SH_KW_LBRACE: case SH_KW_IF: case SH_KW_WHILE: case SH_KW_UNTIL:
	case SH_KW_FOR: case SH_KW_SELECT: case SH_KW_CASE: case SH_KW_DLBRACKET:
		parse_compound(p, t);
		return;
	default:
		stop(p, t == SH_DLPAREN ? "(( )) arithmetic command" : tok_error(t));
		return;
	}
}

static void parse_simple(parser *p, int t)
{
	frame f = { .w0 = p->nwords, .r0 = p->nprs };
	while (!p->stop) {
		if (t == SH_WORD) {
			size_t len;
			if (sh_fdvar(p->lx.cur, &len)) { /* {NAME}>file: an fd, not a word */
				p->lx.cur += len;
				t = next(p, false);
				if (t != SH_REDIR) {
					syntax_error(p, t);
					break;
				}
				parse_redir(p, &f, p->op, -2);
			} else {
				sh_word w;
				if (!scan_word(p, &w))
					break;
				if ((w.flags & (W_CONT | W_QUOTED)) == W_CONT && p->nwords == f.w0 && p->nprs == f.r0 &&
				    IN_LIST(w.s, reserved)) {
					stop(p, "line continuation inside a reserved word");
					break;
				}
				push_word(p, &w);
			}
		} else if (t == SH_REDIR) {
			parse_redir(p, &f, p->op, p->fd);
		} else {
			break;
		}
		t = next(p, false);
		if (t == SH_LPAREN) {
			if (p->nwords - f.w0 != 1 || p->nprs != f.r0) {
				syntax_error(p, t);
				break;
			}
			p->nwords = f.w0; /* NAME ( ) BODY: the name is no command */
			if (next(p, false) != SH_RPAREN) {
				syntax_error(p, p->tok);
				return;
			}
			parse_function_body(p);
			return;
		}
	}
	finish_simple(p, &f);
}

/* ---- compound commands -------------------------------------------------- */

static bool is_terminator(int t)
{
	switch (t) {
	case SH_EOF: case SH_RPAREN: case SH_KW_RBRACE: case SH_KW_THEN: case SH_KW_ELIF:
	case SH_KW_ELSE: case SH_KW_FI: case SH_KW_DO: case SH_KW_DONE: case SH_KW_ESAC:
	case SH_CASEOP:
		return true;
	default:
		return false;
	}
}

/* A list that must end with END and hold at least one command. */
static bool body(parser *p, int end)
{
	size_t count = 0;
	parse_list(p, &count);
	if (p->stop)
		return false;
	if (p->tok != end) {
		stop(p, p->tok == SH_EOF ? "unterminated compound command" : tok_error(p->tok));
		return false;
	}
	if (count == 0) {
		syntax_error(p, end);
		return false;
	}
	return true;
}

static void parse_if(parser *p)
{
	if (!body(p, SH_KW_THEN))
		return;
	for (;;) {
		size_t count = 0;
		parse_list(p, &count);
		if (p->stop)
			return;
		if (count == 0) {
			syntax_error(p, p->tok);
			return;
		}
		if (p->tok == SH_KW_FI)
			return;
		if (p->tok == SH_KW_ELSE) {
			body(p, SH_KW_FI);
			return;
		}
		if (p->tok != SH_KW_ELIF || !body(p, SH_KW_THEN)) {
			if (!p->stop)
				stop(p, p->tok == SH_EOF ? "unterminated if" : tok_error(p->tok));
			return;
		}
	}
}

/* for NAME [in WORDS] (; or newline) do LIST done; select alike.  The
 * words are data, but what they substitute runs: they are scanned. */
static void parse_for(parser *p)
{
	int t = next(p, false);
	if (t == SH_DLPAREN) {
		stop(p, "for (( )) loop (arithmetic)");
		return;
	}
	if (t != SH_WORD) {
		syntax_error(p, t);
		return;
	}
	sh_word w;
	if (!scan_word(p, &w))
		return;
	if (w.flags || !is_name((const unsigned char *)w.s, w.n)) {
		stop(p, "for with a loop variable that is not a name");
		return;
	}
	t = next_skip_nl(p, true);
	if (t == SH_KW_IN) {
		while ((t = next(p, false)) == SH_WORD) {
			if (!scan_word(p, &w))
				return;
		}
		if (t != SH_SEMI && t != SH_NEWLINE) {
			syntax_error(p, t);
			return;
		}
		t = next_skip_nl(p, true);
	} else if (t == SH_SEMI) {
		t = next_skip_nl(p, true);
	}
	if (t != SH_KW_DO) {
		stop(p, t == SH_KW_LBRACE ? "for with a { } body" : tok_error(t));
		return;
	}
	body(p, SH_KW_DONE);
}

/* A word where a reserved word was read (a case pattern named `if`). */
static int as_word(parser *p, int t)
{
	if (t >= SH_KW_IF) {
		p->lx.cur = p->lx.tok;
		return p->tok = SH_WORD;
	}
	return t;
}

/* case WORD in [(]PATTERN[|PATTERN]...) LIST ;; ... esac (;& and ;;& too).
 * The subject and the patterns are words whose substitutions run. */
static void parse_case(parser *p)
{
	sh_word w;
	if (next(p, false) != SH_WORD || !scan_word(p, &w)) {
		if (!p->stop)
			syntax_error(p, p->tok);
		return;
	}
	if (next_skip_nl(p, true) != SH_KW_IN) {
		syntax_error(p, p->tok);
		return;
	}
	for (;;) {
		int t = next_skip_nl(p, true);
		if (t == SH_KW_ESAC || p->stop)
			return;
		if (t == SH_LPAREN)
			t = next(p, false);
		for (;;) {
			if (as_word(p, t) != SH_WORD || !scan_word(p, &w)) {
				if (!p->stop)
					syntax_error(p, p->tok);
				return;
			}
			if ((t = next(p, false)) != SH_PIPE)
				break;
			t = next(p, false);
		}
		if (t != SH_RPAREN) {
			syntax_error(p, t);
			return;
		}
		parse_list(p, NULL);
		if (p->tok == SH_KW_ESAC || p->stop)
			return;
		if (p->tok != SH_CASEOP) {
			stop(p, p->tok == SH_EOF ? "unterminated case" : tok_error(p->tok));
			return;
		}
	}
}

static void push_text(parser *p, const char *s)
{
	sh_word w = { .s = s, .n = strlen(s), .flags = W_QUOTED };
	push_word(p, &w);
}

/* [[ ... ]]: its words are scanned (what they substitute runs) up to an
 * unquoted ]]; the conditional itself is reported as one opaque command,
 * since its patterns, regexes and arithmetic are not seen through. */
static void parse_dbracket(parser *p)
{
	frame f = { .w0 = p->nwords, .r0 = p->nprs };
	push_text(p, "[[");
	for (;;) {
		int t = next(p, false);
		sh_word w;
		if (t == SH_WORD) {
			if (!scan_word(p, &w))
				break;
			push_word(p, &w);
			if (w.flags == 0 && strcmp(w.s, "]]") == 0)
				break;
			continue;
		}
		static const char *const ops[] = { [SH_AND] = "&&", [SH_OR] = "||", [SH_LPAREN] = "(",
						   [SH_RPAREN] = ")", [SH_PIPE] = "|", [SH_NEWLINE] = "\n" };
		if (t < (int)(sizeof ops / sizeof ops[0]) && ops[t]) {
			push_text(p, ops[t]);
		} else if (t == SH_REDIR && (p->op == SH_R_IN || p->op == SH_R_OUT) && p->fd == -1) {
			push_text(p, p->op == SH_R_IN ? "<" : ">"); /* string comparisons */
		} else {
			stop(p, t == SH_EOF ? "unterminated [[ ]]" : tok_error(t));
			break;
		}
	}
	size_t n = p->nwords - f.w0;
	sh_word *w = arena_alloc(p->sh, (n + 1) * sizeof *w);
	if (!w) {
		nomem(p);
		return;
	}
	memcpy(w, p->words + f.w0, n * sizeof *w);
	p->nwords = f.w0;
	emit(p, w, n, p->stop ? p->stop_why : "[[ ]] conditional (patterns, regexes and arithmetic)");
}

/* function NAME [( )] BODY */
static void parse_function(parser *p)
{
	sh_word w;
	if (next(p, false) != SH_WORD || !scan_word(p, &w)) {
		if (!p->stop)
			syntax_error(p, p->tok);
		return;
	}
	const char *rest = (const char *)p->lx.cur;
	while (*rest == ' ' || *rest == '\t')
		rest++;
	if (*rest == '(') {
		next(p, false);
		if (next(p, false) != SH_RPAREN) {
			syntax_error(p, p->tok);
			return;
		}
	}
	parse_function_body(p);
}

/* The redirections after a compound command belong to its last simple
 * command (one without words if it had none, as in `{ !; } > f`). */
static void compound_end(parser *p, size_t ncmds0)
{
	size_t r0 = p->nprs;
	int t;
	while ((t = next(p, true)) == SH_REDIR)
		parse_redir(p, NULL, p->op, p->fd);
	if (p->nprs == r0)
		return;
	size_t idx = p->sh->ncmds > ncmds0 ? p->sh->ncmds - 1 : emit(p, NULL, 0, NULL);
	int tok = p->tok;
	flush_redirs(p, r0, idx);
	p->tok = tok;
}

static void parse_compound(parser *p, int t)
{
	size_t ncmds0 = p->sh->ncmds;
	if (!enter(p))
		return;
	switch (t) {
	case SH_LPAREN:
		body(p, SH_RPAREN);
		break;
	case SH_KW_LBRACE:
		body(p, SH_KW_RBRACE);
		break;
	case SH_KW_IF:
		parse_if(p);
		break;
	case SH_KW_WHILE:
	case SH_KW_UNTIL:
		if (body(p, SH_KW_DO))
			body(p, SH_KW_DONE);
		break;
	case SH_KW_CASE:
		parse_case(p);
		break;
	case SH_KW_DLBRACKET:
		parse_dbracket(p);
		break;
	default: /* SH_KW_FOR, SH_KW_SELECT */
		parse_for(p);
		break;
	}
	leave(p);
	if (!p->stop)
		compound_end(p, ncmds0);
}

static void parse_command(parser *p, int t)
{
	switch (t) {
	case SH_WORD:
	case SH_REDIR:
		parse_simple(p, t);
		return;
	case SH_LPAREN: case SH_KW_LBRACE: case SH_KW_IF: case SH_KW_WHILE: case SH_KW_UNTIL:
	case SH_KW_FOR: case SH_KW_SELECT: case SH_KW_CASE: case SH_KW_DLBRACKET:
		parse_compound(p, t);
		return;
	case SH_KW_FUNCTION:
		parse_function(p);
		return;
	case SH_KW_COPROC:
		stop(p, "coproc");
		return;
	case SH_DLPAREN:
		stop(p, "(( )) arithmetic command");
		return;
	default:
		syntax_error(p, t);
		return;
	}
}

/* [! | time [-p]]... command [| command]...  `time` and `!` are reserved
 * only at the start of a pipeline: after | bash runs the time program. */
static void parse_pipeline(parser *p, int t)
{
	bool prefix = false;
	while (t == SH_KW_BANG || t == SH_KW_TIME) {
		if (t == SH_KW_TIME) {
			const unsigned char *c = p->lx.cur;
			while (*c == ' ' || *c == '\t')
				c++;
			if (c[0] == '-' && c[1] == 'p' && is_delim(c[2]))
				p->lx.cur = c + 2;
		}
		prefix = true;
		t = next(p, true);
	}
	if (prefix && (t == SH_SEMI || t == SH_AMP || t == SH_NEWLINE || is_terminator(t))) {
		p->tok = t; /* `time;` and `!;` are pipelines of nothing */
		return;
	}
	parse_command(p, t);
	while (!p->stop && (p->tok == SH_PIPE || p->tok == SH_PIPEAMP)) {
		t = next_skip_nl(p, true);
		if (t == SH_KW_TIME) { /* the program: a word */
			p->lx.cur = p->lx.tok;
			t = SH_WORD;
		}
		parse_command(p, t);
	}
}

static void parse_andor(parser *p, int t)
{
	parse_pipeline(p, t);
	while (!p->stop && (p->tok == SH_AND || p->tok == SH_OR))
		parse_pipeline(p, next_skip_nl(p, true));
}

/* A list of and-or lists up to a terminator (left in p->tok); *COUNT (if
 * not NULL) is how many there were. */
static void parse_list(parser *p, size_t *count)
{
	size_t n = 0;
	for (;;) {
		int t = next_skip_nl(p, true);
		if (is_terminator(t))
			break;
		parse_andor(p, t);
		n++;
		t = p->tok;
		if (t == SH_SEMI || t == SH_AMP || t == SH_NEWLINE)
			continue;
		if (!is_terminator(t))
			syntax_error(p, t);
		break;
	}
	if (count)
		*count = n;
}

/* ---- the API ------------------------------------------------------------ */

void scope_shell_destroy(scope_shell *sh)
{
	if (!sh)
		return;
	for (blk *b = sh->arena, *nb; b; b = nb) {
		nb = b->next;
		free(b);
	}
	free(sh->cmds);
	free(sh->redirs);
	free(sh);
}

int scope_shell_split(scope_shell **out, const char *line, size_t len)
{
	if (!out)
		return -SCOPE_EINVAL;
	*out = NULL;
	if (!line && len > 0)
		return -SCOPE_EINVAL;
	scope_shell *sh = calloc(1, sizeof *sh);
	if (!sh)
		return -SCOPE_ENOMEM;
	/* the constant: SCOPE_SHELL_MAX_COMMANDS small commands */
	sh->budget = len < SIZE_MAX / (SCOPE_SHELL_MEMORY + 1) - (1 << 20) ? SCOPE_SHELL_MEMORY * len + (1 << 20)
									     : SIZE_MAX;
	parser p = { .sh = sh };
	/* the scanners need a NUL sentinel and no NUL before it */
	const char *nul = len ? memchr(line, '\0', len) : NULL;
	if (nul) {
		note(&p, "NUL byte in the command line");
		len = (size_t)(nul - line);
	}
	char *buf = arena_str(sh, line, len);
	if (!buf) {
		scope_shell_destroy(sh);
		return -SCOPE_ENOMEM;
	}
	p.lx = (sh_lex){ .cur = (const unsigned char *)buf, .lim = (const unsigned char *)buf + len };
	parse_list(&p, NULL);
	if (!p.stop && p.tok != SH_EOF)
		syntax_error(&p, p.tok);
	free(p.text);
	free(p.words);
	free(p.prs);
	free(p.hds);
	if (p.nomem) {
		scope_shell_destroy(sh);
		return -SCOPE_ENOMEM;
	}
	*out = sh;
	return 0;
}

size_t scope_shell_count(const scope_shell *sh)
{
	return sh ? sh->ncmds : 0;
}

const scope_shell_cmd *scope_shell_command(const scope_shell *sh, size_t i)
{
	return sh && i < sh->ncmds ? &sh->cmds[i] : NULL;
}

size_t scope_shell_redir_count(const scope_shell *sh)
{
	return sh ? sh->nredirs : 0;
}

const scope_shell_redir *scope_shell_redirect(const scope_shell *sh, size_t i)
{
	return sh && i < sh->nredirs ? &sh->redirs[i] : NULL;
}

const char *scope_shell_opaque(const scope_shell *sh)
{
	return sh ? sh->why : NULL;
}
