/* check_shell.c — the shell command splitter (runtime/enforce/shell.h):
 * one test per construct, asserting exact words and opacity.  The many
 * small cases live in tests/cases/shell/ (NAME.case); these are the API
 * contracts, the limits and the hostile inputs. */
#include "suites.h"
#include "shell.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static scope_shell *split_n(const char *line, size_t n)
{
	scope_shell *sh = NULL;
	ck_assert_int_eq(scope_shell_split(&sh, line, n), 0);
	ck_assert_ptr_nonnull(sh);
	return sh;
}

static scope_shell *split(const char *line)
{
	return split_n(line, strlen(line));
}

/* The commands of SH as "text|text|..." (opaque ones marked "!"). */
static char *texts(const scope_shell *sh)
{
	static char out[4096];
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < scope_shell_count(sh); i++) {
		const scope_shell_cmd *c = scope_shell_command(sh, i);
		o += (size_t)snprintf(out + o, sizeof out - o, "%s%s%s", i ? "|" : "", c->opaque ? "!" : "",
				      c->text);
	}
	return out;
}

/* Splits LINE and checks the commands' texts and whether it is opaque. */
static void expect(const char *line, const char *want, bool opaque)
{
	scope_shell *sh = split(line);
	ck_assert_msg(strcmp(texts(sh), want) == 0, "'%s': got '%s', want '%s'", line, texts(sh), want);
	ck_assert_msg((scope_shell_opaque(sh) != NULL) == opaque, "'%s': opaque %s", line,
		      scope_shell_opaque(sh) ? scope_shell_opaque(sh) : "(none)");
	scope_shell_destroy(sh);
}

static const char *why(const char *line)
{
	static char buf[256];
	scope_shell *sh = split(line);
	const char *w = scope_shell_opaque(sh);
	snprintf(buf, sizeof buf, "%s", w ? w : "");
	scope_shell_destroy(sh);
	return buf;
}

START_TEST(api_contracts)
{
	scope_shell *sh = (scope_shell *)1;
	ck_assert_int_eq(scope_shell_split(NULL, "a", 1), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_shell_split(&sh, NULL, 1), -SCOPE_EINVAL);
	ck_assert_ptr_null(sh);
	ck_assert_int_eq(scope_shell_split(&sh, NULL, 0), 0);
	ck_assert_uint_eq(scope_shell_count(sh), 0);
	ck_assert_ptr_null(scope_shell_opaque(sh));
	scope_shell_destroy(sh);
	scope_shell_destroy(NULL);
	ck_assert_uint_eq(scope_shell_count(NULL), 0);
	ck_assert_ptr_null(scope_shell_command(NULL, 0));

	sh = split("echo 'a b' c > out");
	ck_assert_uint_eq(scope_shell_count(sh), 1);
	const scope_shell_cmd *c = scope_shell_command(sh, 0);
	ck_assert_uint_eq(c->nwords, 3);
	ck_assert_str_eq(c->words[0], "echo");
	ck_assert_str_eq(c->words[1], "a b");
	ck_assert_str_eq(c->words[2], "c");
	ck_assert_ptr_null(c->words[3]);
	ck_assert_str_eq(c->text, "echo a b c");
	ck_assert_uint_eq(c->len, strlen(c->text));
	ck_assert(!c->opaque);
	ck_assert_ptr_null(c->why);
	ck_assert_ptr_null(scope_shell_command(sh, 1));
	ck_assert_uint_eq(scope_shell_redir_count(sh), 1);
	const scope_shell_redir *r = scope_shell_redirect(sh, 0);
	ck_assert(r->write && !r->opaque && !r->tilde);
	ck_assert_str_eq(r->target, "out");
	ck_assert_uint_eq(r->len, 3);
	ck_assert_uint_eq(r->cmd, 0);
	ck_assert_ptr_null(scope_shell_redirect(sh, 1));
	scope_shell_destroy(sh);

	/* the line need not be NUL-terminated: only LEN bytes are read */
	sh = split_n("ls; rm -rf /", 2);
	ck_assert_str_eq(texts(sh), "ls");
	scope_shell_destroy(sh);
}
END_TEST

START_TEST(separators)
{
	expect("pytest -x tests", "pytest -x tests", false);
	expect("pytest; rm -rf /", "pytest|rm -rf /", false);
	expect("a && b || c | d |& e & f\ng", "a|b|c|d|e|f|g", false);
	expect("a &&\n\n b ||\n c |\n d", "a|b|c|d", false);
	expect("a;", "a", false);
	expect("a &", "a", false);
	expect("", "", false);
	expect("  \n\n  # only a comment", "", false);
	expect("echo a#b # comment ; rm x", "echo a#b", false);
	expect("echo a\\\nb c\\\n d", "echo ab c d", false);
	/* empty commands are syntax errors: fail closed */
	expect(";", "", true);
	expect("a ;; b", "a", true);
	expect("a && ; b", "a", true);
	expect("| a", "", true);
}
END_TEST

START_TEST(quoting)
{
	scope_shell *sh = split("printf '%s' \"a \\\"b\\\" \\$x \\\\ \\q\" a\\ b '' \"\" $'t\\tn\\x41\\101\\'' $\"l\"");
	const scope_shell_cmd *c = scope_shell_command(sh, 0);
	ck_assert_uint_eq(c->nwords, 8);
	ck_assert_str_eq(c->words[1], "%s");
	ck_assert_str_eq(c->words[2], "a \"b\" $x \\ \\q");
	ck_assert_str_eq(c->words[3], "a b");
	ck_assert_str_eq(c->words[4], "");
	ck_assert_str_eq(c->words[5], "");
	ck_assert_str_eq(c->words[6], "t\tnAA'");
	ck_assert_str_eq(c->words[7], "l");
	ck_assert_ptr_null(scope_shell_opaque(sh));
	scope_shell_destroy(sh);
	/* separators inside quotes are bytes of the word */
	expect("echo 'a; rm -rf /' \"b && c\" d\\;e", "echo a; rm -rf / b && c d;e", false);
	expect("echo \"a\\\nb\" 'c\\\nd'", "echo ab c\\\nd", false);
	/* $'...' escapes that are not decoded: opaque */
	expect("echo $'\\u00e9'", "!echo ", true);
	expect("echo $'a\\0b'", "!echo ", true);
	expect("echo $'\\cA'", "!echo ", true);
	expect("echo 'open", "!echo ", true);
	ck_assert_str_eq(why("echo \"open"), "unterminated double quote");
	ck_assert_str_eq(why("echo `open"), "unterminated backquote");
	ck_assert_str_eq(why("echo $'open"), "unterminated $'...'");
}
END_TEST

START_TEST(substitutions)
{
	expect("echo $(date)", "date|echo $(date)", false);
	expect("echo \"today: $(date +%F)\" `id -u`", "date +%F|id -u|echo today: $(date +%F) `id -u`", false);
	expect("x=$(cat < f); echo $x", "cat|x=$(cat < f)|echo $x", false);
	expect("echo $(a $(b) | c)", "b|a $(b)|c|echo $(a $(b) | c)", false);
	expect("diff <(ls a) >(wc -l)", "ls a|wc -l|diff <(ls a) >(wc -l)", false);
	expect("echo `echo \\`date\\``", "date|echo `date`|echo `echo \\`date\\``", false);
	expect("echo \"`echo \\\"q\\\"`\"", "echo q|echo `echo \\\"q\\\"`", false);
	expect("echo $(rm -rf /", "rm -rf /|!echo $(rm -rf /", true);
	expect("echo $( )", "echo $( )", false);
	/* the raw text of an unterminated substitution ends at the line's end */
	expect("$(\"", "!|!$(\"", true);
	expect("echo \"$(\"", "!|!echo $(\"", true);
	/* a syntax error inside a backquote stops only that string */
	expect("echo `a (` ; b", "echo `a (`|b", true);
}
END_TEST

START_TEST(compounds)
{
	expect("if true; then rm x; elif a; then b; else c; fi", "true|rm x|a|b|c", false);
	expect("while read l; do echo $l; done < in", "read l|echo $l", false);
	expect("until a; do b; done", "a|b", false);
	expect("for f in *.c $(ls); do gcc $f; done", "ls|gcc $f", false);
	expect("for f do echo $f; done", "echo $f", false);
	expect("for f\nin a\ndo b\ndone", "b", false);
	expect("select x in a b; do echo $x; done", "echo $x", false);
	expect("(cd sub && make) && { ls; pwd; }", "cd sub|make|ls|pwd", false);
	expect("! a | b", "a|b", false);
	expect("time -p a | time b", "a|time b|b", false); /* after |, time is the program */
	expect("if true; then { echo; } fi", "true|echo", false);
	expect("echo if then fi { }", "echo if then fi { }", false);
	/* keywords that are quoted are words */
	expect("\"if\" x", "if x", false);
	expect("{ a; } b", "a", true);
	expect("if a; then b; fi fi", "a|b", true);
	expect("( )", "", true);
	expect("{ a", "a", true);
	expect("a )", "a", true);
	expect("case $x in a|b) rm x;; (c) ls;& *) pwd;;& esac; echo", "rm x|ls|pwd|echo", false);
	expect("case $(id) in\n if) a\n ;;\n esac", "id|a", false);
	expect("case x in esac", "", false);
	expect("case x in a) b", "b", true);
	expect("{ a;; }", "a", true);
	/* functions: the body is reported, the line is opaque */
	expect("f() { rm x; }; f", "rm x|f", true);
	ck_assert_str_eq(why("f() { rm x; }"), "function definition (the function may replace a command)");
	ck_assert_str_eq(why("function f { rm x; }"), "function definition (the function may replace a command)");
	expect("function f() ( ls ) > out", "ls", true);
	expect("f() echo", "", true);
	/* [[ ]]: one opaque command, then splitting goes on */
	expect("[[ -f x && $(id) =~ ^(a|b)$ ]] && rm x",
	       "id|![[ -f x && $(id) =~ ^ ( a | b ) $ ]]|rm x", true);
	expect("[[ \"]]\" < b ]] || c", "![[ ]] < b ]]|c", true);
	ck_assert_str_eq(why("[[ -f x ]]"), "[[ ]] conditional (patterns, regexes and arithmetic)");
	ck_assert_str_eq(why("[[ -f x ; ]]"), "syntax error near ';'");
	ck_assert_str_eq(why("(( i++ ))"), "(( )) arithmetic command");
	ck_assert_str_eq(why("for ((i=0;i<3;i++)); do a; done"), "for (( )) loop (arithmetic)");
	ck_assert_str_eq(why("coproc a"), "coproc");
}
END_TEST

START_TEST(opaque_commands)
{
	ck_assert_str_eq(why("eval \"rm -rf /\""), "eval runs its arguments as a command line");
	ck_assert_str_eq(why("source x.sh"), "source runs a file's commands");
	ck_assert_str_eq(why(". x.sh"), "source (.) runs a file's commands");
	ck_assert_str_eq(why("trap 'rm x' EXIT"), "trap runs its argument as a command line later");
	ck_assert_str_eq(why("$CMD x"), "variable expansion in the command word");
	ck_assert_str_eq(why("\"$CMD\" x"), "variable expansion in the command word");
	ck_assert_str_eq(why("${CMD} x"), "variable expansion in the command word");
	ck_assert_str_eq(why("$(which rm) x"), "command substitution in the command word");
	ck_assert_str_eq(why("r? x"), "glob in the command word");
	ck_assert_str_eq(why("/bin/r[m] x"), "glob in the command word");
	ck_assert_str_eq(why("{rm,-rf,/}"), "brace in the command word");
	ck_assert_str_eq(why("a[1]=x ls"), "array assignment (its subscript is arithmetic)");
	ck_assert_str_eq(why("declare -i x=1"), "declare -i or -n (arithmetic or a reference)");
	ck_assert_str_eq(why("printf -v 'a[$(id)]' x"), "array subscript with an expansion (evaluated as arithmetic)");
	ck_assert_str_eq(why("echo $((1+2))"),
			 "arithmetic expansion $(( )) or $[ ] (it evaluates variables as expressions)");
	ck_assert_str_eq(why("echo ${x:-y}"), "parameter expansion ${...} other than ${NAME}");
	/* what is not opaque */
	expect("echo $HOME ${HOME} \"$@\" ${#x} $1", "echo $HOME ${HOME} $@ ${#x} $1", false);
	expect("[ -f x ] && test -d y", "[ -f x ]|test -d y", false);
	expect("FOO=1 BAR=\"a b\" pytest", "FOO=1 BAR=a b pytest", false);
	expect("FOO=1", "FOO=1", false);
	expect("\"FOO\"=1 x", "FOO=1 x", false);
	expect("export FOO=1", "export FOO=1", false);
	expect("echo *.c ~/x", "echo *.c ~/x", false);
	/* wrappers: what they run is a command of its own */
	expect("command eval x", "command eval x|!eval x", true);
	expect("exec -a name rm -rf /", "exec -a name rm -rf /|rm -rf /", false);
	expect("builtin cd /", "builtin cd /|cd /", false);
	expect("command -v ls", "command -v ls|ls", false);
	expect("exec 3>log", "exec", false);
	ck_assert_str_eq(why("exec -z x"), "unknown option of exec, command or builtin");
	/* programs that run a command: best effort, never opaque for an option */
	expect("env -i FOO=1 bash -c 'rm x'", "env -i FOO=1 bash -c rm x|bash -c rm x|rm x", false);
	expect("sudo -u root rm -rf /", "sudo -u root rm -rf /|rm -rf /", false);
	expect("nice -n 5 make; nice -10 make", "nice -n 5 make|make|nice -10 make|make", false);
	expect("timeout -s KILL 10 pytest -x", "timeout -s KILL 10 pytest -x|pytest -x", false);
	expect("xargs -0 -n1 rm -f", "xargs -0 -n1 rm -f|rm -f", false);
	expect("nohup ./srv & stdbuf -oL tail f", "nohup ./srv|./srv|stdbuf -oL tail f|tail f", false);
	expect("sudo --weird x", "sudo --weird x", false);
	expect("sudo eval x", "sudo eval x|!eval x", true);
	expect("find . -name '*.o' -exec rm {} \\; -execdir echo {} +",
	       "find . -name *.o -exec rm {} ; -execdir echo {} +|rm {}|echo {}", false);
	expect("find . -exec sh -c 'rm \"$1\"' _ {} \\;", "find . -exec sh -c rm \"$1\" _ {} ;|sh -c rm \"$1\" _ {}|rm $1", false);
	ck_assert_str_eq(why("env -S 'rm -rf /'"), "env -S (it splits a string into a command)");
	ck_assert_str_eq(why("env 'BASH_FUNC_ls%%=() { rm -rf /; }' bash -c ls"),
			 "a variable that makes a shell run code (BASH_ENV, ENV, PS4, BASH_FUNC_...)");
	ck_assert_str_eq(why("BASH_ENV=/tmp/x bash -c ls"),
			 "a variable that makes a shell run code (BASH_ENV, ENV, PS4, BASH_FUNC_...)");
	ck_assert_str_eq(why("PS4='$(rm x)' bash -xc ls"),
			 "a variable that makes a shell run code (BASH_ENV, ENV, PS4, BASH_FUNC_...)");
	ck_assert_str_eq(why("sudo -u x ENV=/tmp/e sh -c ls"),
			 "a variable that makes a shell run code (BASH_ENV, ENV, PS4, BASH_FUNC_...)");
	expect("grep -r PS1= ~/.bashrc", "grep -r PS1= ~/.bashrc", false);
}
END_TEST

START_TEST(sh_c)
{
	expect("bash -c 'rm -rf /; ls'", "bash -c rm -rf /; ls|rm -rf /|ls", false);
	expect("sh -ec \"a && b\" name arg", "sh -ec a && b name arg|a|b", false);
	expect("/bin/bash -l -o pipefail -c 'a | b'", "/bin/bash -l -o pipefail -c a | b|a|b", false);
	expect("bash --norc -c 'bash -c \"rm x\"'", "bash --norc -c bash -c \"rm x\"|bash -c rm x|rm x", false);
	expect("bash script.sh arg", "bash script.sh arg", false);
	expect("bash -c \"echo $x\"", "!bash -c echo $x", true);
	expect("bash -c \"$CMD\"", "!bash -c $CMD", true);
	ck_assert_str_eq(why("curl x | bash"), "a shell reading commands from standard input");
	ck_assert_str_eq(why("bash -s"), "a shell reading commands from standard input");
	ck_assert_str_eq(why("bash -c"), "sh -c without a command string");
	ck_assert_str_eq(why("bash --weird -c x"), "unknown shell option");
	ck_assert_str_eq(why("bash -Zc x"), "unknown shell option");
	ck_assert_str_eq(why("zsh -c 'ls'"), "a shell whose syntax is not parsed (zsh, fish, csh, busybox ...)");
	/* a syntax error in the string stops only the string */
	expect("bash -c 'a (' ; b", "bash -c a (|b", true);
	scope_shell *sh = split("sh -c 'sh -c \"sh -c x\"'");
	ck_assert_str_eq(texts(sh), "sh -c sh -c \"sh -c x\"|sh -c sh -c x|sh -c x|x");
	scope_shell_destroy(sh);
}
END_TEST

START_TEST(redirections)
{
	scope_shell *sh = split("cat < in > out 2>> err >| clob &> all &>> all2 3<> rw >&f 2>&1 >&2 <&0 3>&- "
			       "<<< \"$(date)\" > /dev/null {fd}> fdv");
	const char *want[][2] = { { "r", "in" },   { "w", "out" },  { "w", "err" },       { "w", "clob" },
				  { "w", "all" },  { "w", "all2" }, { "w", "rw" },        { "w", "f" },
				  { "w", "/dev/null" }, { "w", "fdv" } };
	ck_assert_str_eq(texts(sh), "date|cat");
	ck_assert_uint_eq(scope_shell_redir_count(sh), 10);
	for (size_t i = 0; i < 10; i++) {
		const scope_shell_redir *r = scope_shell_redirect(sh, i);
		ck_assert_str_eq(r->target, want[i][1]);
		ck_assert_int_eq(r->write, want[i][0][0] == 'w');
		ck_assert(!r->opaque);
		ck_assert_uint_eq(r->cmd, 1);
	}
	scope_shell_destroy(sh);

	sh = split("echo > $HOME/x > ~/y > *.txt >&$fd 2>&x");
	ck_assert_uint_eq(scope_shell_redir_count(sh), 5);
	ck_assert(scope_shell_redirect(sh, 0)->opaque);
	ck_assert(!scope_shell_redirect(sh, 1)->opaque && scope_shell_redirect(sh, 1)->tilde);
	ck_assert(scope_shell_redirect(sh, 2)->opaque);
	ck_assert(scope_shell_redirect(sh, 3)->opaque);
	ck_assert(scope_shell_redirect(sh, 4)->opaque);
	ck_assert_str_eq(scope_shell_opaque(sh), "a redirection target that cannot be known");
	scope_shell_destroy(sh);

	/* the redirection of a compound command: its last simple command */
	sh = split("{ a; b; } > f; > g");
	ck_assert_str_eq(texts(sh), "a|b|");
	ck_assert_uint_eq(scope_shell_redirect(sh, 0)->cmd, 1);
	ck_assert_uint_eq(scope_shell_redirect(sh, 1)->cmd, 2);
	scope_shell_destroy(sh);

	/* after cd, a relative target is somewhere else */
	sh = split("echo > a; cd /etc && echo x > passwd > /tmp/abs");
	ck_assert(!scope_shell_redirect(sh, 0)->opaque);
	ck_assert(scope_shell_redirect(sh, 1)->opaque);
	ck_assert(!scope_shell_redirect(sh, 2)->opaque);
	scope_shell_destroy(sh);

	/* process substitution as a target is a pipe, not a file */
	sh = split("make > >(tee log)");
	ck_assert_str_eq(texts(sh), "tee log|make");
	ck_assert_uint_eq(scope_shell_redir_count(sh), 0);
	scope_shell_destroy(sh);
}
END_TEST

START_TEST(heredocs)
{
	scope_shell *sh = split("cat <<EOF > out\nrm -rf / $(id)\nEOF\nls\ncat <<-'X'\n\tbody\n\tX\npwd");
	ck_assert_str_eq(texts(sh), "!cat|ls|!cat|pwd");
	ck_assert_str_eq(scope_shell_opaque(sh), "here-document (its body is not read)");
	ck_assert_uint_eq(scope_shell_redir_count(sh), 1);
	scope_shell_destroy(sh);
	expect("cat <<EOF\nno end", "!cat", true);
}
END_TEST

START_TEST(nul_and_bytes)
{
	scope_shell *sh = split_n("ls\0; rm -rf /", 13);
	ck_assert_str_eq(texts(sh), "ls");
	ck_assert_str_eq(scope_shell_opaque(sh), "NUL byte in the command line");
	scope_shell_destroy(sh);
	expect("echo \xff\xfe '\xc3\xa9'", "echo \xff\xfe \xc3\xa9", false);
}
END_TEST

START_TEST(continuations)
{
	ck_assert_str_eq(why("i\\\nf true; then rm x; fi"), "line continuation inside a reserved word");
	ck_assert_str_eq(why("X=rm; $\\\nX x"), "line continuation after $");
	ck_assert_str_eq(why("a &\\\n> f"), "line continuation inside an operator");
	scope_shell *sh = split("echo 1\\\n2>f");
	ck_assert_str_eq(texts(sh), "echo");
	ck_assert_uint_eq(scope_shell_redir_count(sh), 1);
	scope_shell_destroy(sh);
	expect("(\\\n(1+1))", "", true);
}
END_TEST

static double seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* LINE of N bytes: split in linear time, opaque when OPAQUE.  The bound is
 * not a benchmark (this machine is shared, and CI ran this at 0.68 s under
 * load): the inputs are about 1 MB, where anything quadratic takes hours,
 * so 20 s tells linear from quadratic with room for any load. */
static void hostile(const char *line, size_t n, bool opaque)
{
	double t = seconds();
	scope_shell *sh = split_n(line, n);
	t = seconds() - t;
	ck_assert_msg(t < 20.0, "took %.3f s: not linear", t);
	ck_assert_msg((scope_shell_opaque(sh) != NULL) == opaque, "%.12s...: %s", line,
		      scope_shell_opaque(sh) ? scope_shell_opaque(sh) : "(clear)");
	scope_shell_destroy(sh);
}

static char *repeat(const char *unit, size_t times, size_t *n)
{
	size_t u = strlen(unit);
	char *s = malloc(u * times + 1);
	ck_assert_ptr_nonnull(s);
	for (size_t i = 0; i < times; i++)
		memcpy(s + i * u, unit, u);
	s[u * times] = '\0';
	*n = u * times;
	return s;
}

START_TEST(limits)
{
	size_t n;
	char *s;
	s = repeat("(", 100000, &n);
	hostile(s, n, true);
	free(s);
	s = repeat("( ", 100000, &n);
	hostile(s, n, true);
	ck_assert_str_eq(why("( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( "
			     "( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( a"),
			 "nesting deeper than 64 levels");
	free(s);
	/* 64 subshells are within the limit; a backquote inside them is one
	 * level more, refused where its text is parsed again */
	char open[129], close[129], deep[512];
	for (int i = 0; i < 64; i++) {
		memcpy(open + 2 * i, "( ", 2);
		memcpy(close + 2 * i, " )", 2);
	}
	open[128] = close[128] = '\0';
	snprintf(deep, sizeof deep, "%sls%s", open, close);
	ck_assert_str_eq(why(deep), "");
	snprintf(deep, sizeof deep, "%secho `ls`%s", open, close);
	ck_assert_str_eq(why(deep), "nesting deeper than 64 levels");
	s = repeat("$(", 100000, &n);
	hostile(s, n, true);
	free(s);
	s = repeat("'", 1000000, &n);
	hostile(s, n, false);
	free(s);
	s = repeat("\"", 1000000, &n);
	hostile(s, n, false);
	free(s);
	s = repeat(";", 1000000, &n);
	hostile(s, n, true);
	free(s);
	s = repeat("a;", 500000, &n);
	hostile(s, n, true);
	ck_assert_str_eq(why(s), "more than 4096 commands");
	free(s);
	s = repeat("a ", 500000, &n);
	hostile(s, n, false);
	free(s);
	s = repeat("`", 1000000, &n); /* 500 000 empty substitutions in the command word */
	hostile(s, n, true);
	free(s);
	s = repeat("\\", 1000001, &n);
	hostile(s, n, false);
	free(s);
	s = repeat("{ ", 100000, &n);
	hostile(s, n, true);
	free(s);
	s = repeat("if a; then ", 20000, &n);
	hostile(s, n, true);
	free(s);
	s = repeat("<<a ", 100000, &n);
	hostile(s, n, true);
	free(s);
	s = repeat("a\n", 4096, &n);
	hostile(s, n, false);
	free(s);
	/* each wrapper is a command again with the rest of the words: the
	 * arena bound keeps that linear */
	s = repeat("sudo ", 200000, &n);
	hostile(s, n, true);
	ck_assert_str_eq(why(s), "the split would take more than 32 times the size of the line");
	free(s);
	/* every enclosing word keeps the text of a substitution */
	s = malloc(4 << 20);
	ck_assert_ptr_nonnull(s);
	n = 0;
	for (int i = 0; i < 63; i++)
		n += (size_t)sprintf(s + n, "echo $(");
	for (int i = 0; i < 500000; i++)
		n += (size_t)sprintf(s + n, "a ");
	for (int i = 0; i < 63; i++)
		s[n++] = ')';
	hostile(s, n, true);
	free(s);
	/* 4096 commands exactly are fine; the 4097th is not */
	s = repeat("a\n", 4097, &n);
	hostile(s, n, true);
	free(s);
}
END_TEST

/* LEVELS nested strings: PRE + INNER quoted for the string + POST, each
 * level's INNER being the previous line (the innermost is "x"). */
static char *nest(int levels, const char *pre, const char *post, const char *special)
{
	char *line = strdup("x");
	for (int i = 0; i < levels; i++) {
		size_t n = strlen(line), o = 0;
		char *next = malloc(strlen(pre) + 2 * n + strlen(post) + 1);
		ck_assert_ptr_nonnull(next);
		o += (size_t)sprintf(next, "%s", pre);
		for (size_t k = 0; k < n; k++) {
			if (strchr(special, line[k]))
				next[o++] = '\\';
			next[o++] = line[k];
		}
		strcpy(next + o, post);
		free(line);
		line = next;
	}
	return line;
}

START_TEST(reparse_nesting)
{
	/* each level of backquotes and sh -c strings is parsed again from a
	 * copy; the copies are bounded by SCOPE_SHELL_MAX_REPARSE */
	char *line = nest(8, "echo `", "`", "\\`$");
	scope_shell *sh = split(line);
	ck_assert_uint_eq(scope_shell_count(sh), 9);
	ck_assert_str_eq(scope_shell_command(sh, 0)->text, "x");
	ck_assert_ptr_null(scope_shell_opaque(sh));
	scope_shell_destroy(sh);
	free(line);
	line = nest(9, "echo `", "`", "\\`$");
	ck_assert_str_eq(why(line), "backquotes or sh -c strings nested more than 8 deep");
	free(line);
	line = nest(8, "sh -c \"", "\"", "\\\"`$");
	sh = split(line);
	ck_assert_uint_eq(scope_shell_count(sh), 9);
	ck_assert_str_eq(scope_shell_command(sh, 8)->text, "x");
	ck_assert_ptr_null(scope_shell_opaque(sh));
	scope_shell_destroy(sh);
	free(line);
	line = nest(9, "sh -c \"", "\"", "\\\"`$");
	ck_assert_str_eq(why(line), "backquotes or sh -c strings nested more than 8 deep");
	free(line);
}
END_TEST

Suite *sc_suite_shell(void)
{
	Suite *s = suite_create("shell");
	TCase *tc = tcase_create("shell");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, api_contracts);
	tcase_add_test(tc, separators);
	tcase_add_test(tc, quoting);
	tcase_add_test(tc, substitutions);
	tcase_add_test(tc, compounds);
	tcase_add_test(tc, opaque_commands);
	tcase_add_test(tc, sh_c);
	tcase_add_test(tc, redirections);
	tcase_add_test(tc, heredocs);
	tcase_add_test(tc, nul_and_bytes);
	tcase_add_test(tc, continuations);
	tcase_add_test(tc, limits);
	tcase_add_test(tc, reparse_nesting);
	suite_add_tcase(s, tc);
	return s;
}
