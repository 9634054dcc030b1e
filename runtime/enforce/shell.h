/*
 * shell.h — splitting a shell command line into its simple commands
 * (libscope-enforce), so that the `Bash` tool of an agent is decided
 * command by command:
 *
 *   scope_shell *sh;
 *   scope_shell_split(&sh, line, len);
 *   for (size_t i = 0; i < scope_shell_count(sh); i++)
 *       decide(scope_shell_command(sh, i)->text);      // most restrictive wins
 *   for (size_t i = 0; i < scope_shell_redir_count(sh); i++)
 *       ... fs.write / fs.read of scope_shell_redirect(sh, i)->target
 *   if (scope_shell_opaque(sh)) ... an `allow` becomes `ask`
 *   scope_shell_destroy(sh);
 *
 * The splitter reads bash syntax (bash -c, non-interactive: no aliases,
 * no history expansion, extglob off).  It never runs or expands anything:
 * a command's words are its source words with quotes removed and escapes
 * applied; an expansion keeps its literal text ("$HOME", "$(date)").
 * Whatever it cannot see through is marked opaque with a reason, and the
 * caller must then never allow the line: the design rule is that a
 * construct the splitter does not fully understand fails closed.
 *
 * Splitting
 *   - Separators ; & && || | |& and newline; `#` at the start of a word
 *     starts a comment; backslash-newline joins lines.
 *   - Commands inside ( ), { ; }, if/then/elif/else/fi, while/until/do/
 *     done, for NAME [in WORDS]; do ... done, select (as for), case WORD in
 *     PATTERN) ... ;; esac (every branch), after `!` and `time [-p]` (at
 *     the start of a pipeline) are simple commands of their own; the
 *     keywords are not words of any command.  The words of for, select
 *     and case are scanned for substitutions (those run).
 *   - Function definitions (NAME () BODY, function NAME BODY): the
 *     commands of the body are reported and the line is opaque (the
 *     function may stand for a command later: ls() { rm -rf /; }; ls).
 *   - [[ ... ]]: one opaque command of its words (and operators), then
 *     splitting goes on.
 *   - $( ), backquotes, <( ) and >( ) anywhere in a word: the commands
 *     inside are simple commands of their own, reported before the
 *     command whose word contains them; the outer word keeps the literal
 *     source text of the substitution ("echo $(date)" gives "date", then
 *     "echo $(date)").
 *   - sh/bash/dash/ash/ksh/mksh/posh -c STRING (options before -c and
 *     combined flags such as -lc, -ec allowed): the command itself, then
 *     the commands of STRING.  exec, command and builtin CMD ARGS: the
 *     command itself, then CMD ARGS as a command of its own (so that
 *     `command eval ...` is still eval; an option they do not have is
 *     opaque).  Likewise, best effort (an unknown option only means the
 *     inner command is not reported): env, sudo, doas, nice, nohup,
 *     timeout, time (the program, after |), stdbuf, setsid, xargs (without
 *     the arguments it reads), and find -exec/-execdir/-ok/-okdir CMD ;.
 *   - Assignments before a command (FOO=1 pytest) stay words of it; a
 *     command of only assignments, or only redirections, is a command
 *     (with no words in the latter case: text "").
 *
 * Quoting: '...'; "..." (\" \\ \$ \` and backslash-newline are escapes,
 * any other backslash stays); a backslash outside quotes; $'...' (the
 * escapes \a \b \e \E \f \n \r \t \v \\ \' \" \?, octal and \xHH are
 * decoded, an unknown escape stays as bash keeps it; \u \U \c and a NUL
 * byte make the command opaque); $"..." as "...".
 *
 * Redirections (not words of the command): > >> >| < <> &> &>> >&FILE,
 * with an optional fd number or {NAME} before them, are reported with
 * their target (<> as a write).  fd duplications (2>&1, >&2, <&0, N>&-)
 * and here-strings (<<< WORD) are not files and are not reported; a
 * target that is only a process substitution (> >(tee log)) is not a file
 * either.  /dev/null is reported like any file (the caller exempts it).
 * The redirection of a compound command ({ ...; } > f) belongs to the
 * last simple command inside it.
 *
 * Opaque commands (the command is reported, with `why`):
 *   eval, source, ., trap, alias, let, enable, fc, bind, complete,
 *   compgen, mapfile, readarray, hash (they run or rebind text as code);
 *   declare/typeset/local/export/readonly with -i or -n (arithmetic,
 *   namerefs); read, printf, unset, declare ..., test, [ with a word
 *   NAME[...] holding $ or ` (subscripts are arithmetic); an array
 *   assignment (NAME[...]=); an assignment BASH_ENV=, ENV=, PS1=, PS2=,
 *   PS4=, PROMPT_COMMAND=, SHELLOPTS=, BASHOPTS= or BASH_FUNC_...= before
 *   a command or among the words env/sudo read before theirs (a shell
 *   started with it runs code); env -S; here-documents (<<,
 *   <<-: the body is skipped, not read); a command word containing an
 *   expansion ($NAME, ${...}, $( ), backquotes), a glob character
 *   (* ? [...]) or a brace; an undecoded $'...' escape; sh -c whose
 *   string contains an expansion or glob; an unknown or unusual shell
 *   option; a shell that reads commands from standard input (bash, sh -s,
 *   bash -i ...); zsh, fish, csh, tcsh, busybox and other shells with a
 *   different syntax.
 * Opaque redirections: a target containing an expansion, glob or brace;
 *   a relative target after cd, pushd or popd anywhere earlier in the
 *   line; a fd duplication whose fd is not a plain number; <&FILE.
 * Opaque lines (splitting stops there; the commands found so far, and the
 *   ones being read, are reported, the latter marked opaque): a NUL byte,
 *   unbalanced quotes or parentheses, any syntax error, (( )), $(( )) and
 *   $[ ] (arithmetic evaluates the values of variables as expressions,
 *   which can run commands), for (( )), coproc, ${...} beyond ${NAME}
 *   ${#NAME} ${N} ${@}..., a line continuation inside a reserved word
 *   (i\<newline>f), after $ or between two operators, nesting deeper
 *   than SCOPE_SHELL_MAX_DEPTH, more than SCOPE_SHELL_MAX_COMMANDS
 *   commands.  A syntax error inside a backquote or an sh -c string only
 *   stops the splitting of that string (bash reads those separately too).
 *
 * Words are bytes; nothing is decoded as UTF-8.  Time and memory are
 * linear in the length of the line: the result takes at most 32 times
 * the line's size plus 1 MiB (every enclosing word keeps the text of a
 * substitution, every wrapper repeats the words it runs); a line that
 * would take more is opaque, split as far as the bound allowed.
 */
#ifndef SCOPE_SHELL_H
#define SCOPE_SHELL_H

#include "scope.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SCOPE_SHELL_MAX_DEPTH 64      /* nested lists: ( ), { }, $( ), if, ... */
#define SCOPE_SHELL_MAX_COMMANDS 4096 /* simple commands per line */
#define SCOPE_SHELL_MAX_REPARSE 8     /* backquotes and sh -c strings, nested */

typedef struct scope_shell scope_shell; /* one split command line */

typedef struct scope_shell_cmd {
	const char *text;               /* the words joined by single spaces, NUL-terminated */
	size_t len;
	const char *const *words;       /* quote-removed, escapes applied, each NUL-terminated */
	size_t nwords;
	bool opaque;                    /* the splitter could not see through this command */
	const char *why;                /* when opaque: why; else NULL */
} scope_shell_cmd;

typedef struct scope_shell_redir {
	bool write;             /* >, >>, >|, <>, &>, &>>, >&FILE, N>...; false for < */
	const char *target;     /* the target word, quote-removed, NUL-terminated */
	size_t len;
	bool opaque;            /* the target cannot be known (see above) */
	bool tilde;             /* begins with an unquoted ~ (~ and ~/ are $HOME; ~user: opaque to the caller) */
	size_t cmd;             /* index of the simple command it belongs to */
} scope_shell_redir;

/* Splits LINE (LEN bytes, need not be NUL-terminated) into *OUT.
 * 0, -SCOPE_ENOMEM (nothing is returned), -SCOPE_EINVAL (NULL OUT, or
 * NULL LINE with LEN > 0).  Syntax the splitter does not understand is
 * not an error: the result is marked opaque. */
int scope_shell_split(scope_shell **out, const char *line, size_t len);
void scope_shell_destroy(scope_shell *sh);

size_t scope_shell_count(const scope_shell *sh);
/* The I-th simple command, NULL when out of range; valid until destroy. */
const scope_shell_cmd *scope_shell_command(const scope_shell *sh, size_t i);
size_t scope_shell_redir_count(const scope_shell *sh);
const scope_shell_redir *scope_shell_redirect(const scope_shell *sh, size_t i);

/* NULL if the whole line was seen through; else the first reason found
 * (an opaque command or redirection, or a line-level problem). */
const char *scope_shell_opaque(const scope_shell *sh);

#ifdef __cplusplus
}
#endif

#endif
