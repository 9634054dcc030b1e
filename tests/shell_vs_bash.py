#!/usr/bin/env python3
"""shell_vs_bash.py — differential test of the shell splitter against bash.

Generates random command lines without expansions (no $ outside single
quotes, no backquotes, globs, ~, braces or !), made of words with single
quotes, double quotes (with their escapes), backslash escapes, $'...' and
$"...", line continuations, comments, redirections to files, fd
duplications, and separators ; && || | |& and newlines, with ( ), { ; },
if/then/else/fi and ! pipelines around them.

The splitter (build/shell-cases -z) splits each line.  bash runs the same
line with a prefix `p INDEX STATUS` before every simple command, where p
records its arguments on fd 9 and returns STATUS; so bash itself tells the
words of every simple command it ran, and which ones it ran (the generator
knows which ones must run, from the statuses).  Then, for every line:
  - the splitter found exactly the generated simple commands, none opaque,
    and the line is not opaque;
  - the words of every command bash ran are the splitter's words;
  - the files bash created by output redirections are the splitter's
    write targets of the commands that ran.
All lines run in one bash process, so a few thousand take seconds.

Standard library only.  Exit status 0 when everything agrees.
"""
import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile

PLAIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=,:%+@^"
MID = PLAIN + "#!]}"  # bytes that are literal inside a word, but not at its start
SQ_BODY = PLAIN + " \t\n;|&<>()$`\"\\*?[]{}~!#"
DQ_BODY = PLAIN + " \t\n;|&<>()'*?[]{}~#!"
ESCAPABLE = PLAIN + " \t;|&<>()'\"$`\\*?[]{}~#!"
UTF8 = ["\u00e9", "\u4e2d", "\U0001f600"]
# command words the splitter rightly treats specially (opaque, wrappers, cd)
SPECIAL = {".", "cd", "pushd", "popd", "eval", "source", "exec", "command", "builtin", "trap",
           "alias", "let", "enable", "fc", "bind", "complete", "compgen", "mapfile", "readarray",
           "hash", "sh", "bash", "dash", "ash", "ksh", "mksh", "posh", "rbash", "zsh", "fish",
           "csh", "tcsh", "busybox", "declare", "typeset", "local", "export", "readonly", "read",
           "printf", "unset", "getopts", "wait", "test", "[", "yash", "rc", "es", "elvish", "nu",
           "xonsh", "pwsh", "oksh", "ksh93", "lksh", "scsh", "toybox", "env", "nohup", "nice",
           "timeout", "time", "stdbuf", "setsid", "sudo", "doas", "xargs", "find"}
CODE_VARIABLES = ("BASH_FUNC_", "BASH_ENV=", "ENV=", "PS4=", "PS1=", "PS2=", "PROMPT_COMMAND=",
                  "SHELLOPTS=", "BASHOPTS=")
RESERVED = {"if", "then", "elif", "else", "fi", "while", "until", "do", "done", "for", "in",
            "case", "esac", "select", "function", "coproc", "time", "{", "}", "!", "[[", "]]"}
ANSI = [("\\n", "\n"), ("\\t", "\t"), ("\\\\", "\\"), ("\\'", "'"), ('\\"', '"'), ("\\x41", "A"),
        ("\\101", "A"), ("\\a", "\a"), ("\\e", "\x1b"), ("\\q", "\\q"), ("\\?", "?")]


class Gen:
    def __init__(self, rng):
        self.r = rng

    def chars(self, alphabet, lo, hi):
        return "".join(self.r.choice(alphabet) for _ in range(self.r.randint(lo, hi)))

    def piece(self, first):
        """One piece of a word: (source text, value)."""
        r = self.r
        k = r.random()
        if k < 0.35:
            s = (r.choice(PLAIN) if first else r.choice(MID)) + self.chars(MID, 0, 5)
            if r.random() < 0.05:
                s += r.choice(UTF8)
            return s, s
        if k < 0.5:
            body = self.chars(SQ_BODY, 0, 6)
            return "'" + body.replace("'", "") + "'", body.replace("'", "")
        if k < 0.7:
            src, val = [], []
            for _ in range(r.randint(0, 5)):
                e = r.random()
                if e < 0.6:
                    c = self.chars(DQ_BODY, 1, 3)
                    src.append(c)
                    val.append(c)
                elif e < 0.8:
                    c = r.choice('"\\$`')
                    src.append("\\" + c)
                    val.append(c)
                elif e < 0.9:
                    src.append("\\\n")
                else:
                    c = r.choice("abn'#;")
                    src.append("\\" + c)
                    val.append("\\" + c)
            quote = '$"' if r.random() < 0.1 else '"'
            return quote + "".join(src) + '"', "".join(val)
        if k < 0.85:
            c = r.choice(ESCAPABLE)
            return "\\" + c, c
        if k < 0.93:
            src, val = [], []
            for _ in range(r.randint(0, 4)):
                if r.random() < 0.5:
                    c = self.chars(PLAIN + " ;|", 1, 3)
                    src.append(c)
                    val.append(c)
                else:
                    s, v = r.choice(ANSI)
                    src.append(s)
                    val.append(v)
            return "$'" + "".join(src) + "'", "".join(val)
        if k < 0.97:
            return "\\\n", ""
        return r.choice(["''", '""']), ""

    def word(self):
        """A word: (source, value); never a reserved word, never empty source."""
        while True:
            parts = [self.piece(i == 0) for i in range(self.r.randint(1, 3))]
            src = "".join(p[0] for p in parts)
            val = "".join(p[1] for p in parts)
            # a word that bash would read as a reserved word, a comment or
            # nothing (line continuations are removed before reading words)
            if src.startswith("\\\n") or src.replace("\\\n", "") in RESERVED or os.path.basename(val) in SPECIAL:
                continue
            if val.startswith(CODE_VARIABLES):  # BASH_ENV=... : rightly opaque
                continue
            # a line continuation must not glue the word to a following one
            if src.endswith("\\\n") or src.endswith("\\"):
                continue
            return src, val

    def target(self):
        """A file name for an output redirection: (source, value)."""
        name = self.r.choice("abcdefgh") + self.chars("abcdefgh0123456789_.-", 0, 4)
        k = self.r.random()
        if k < 0.6:
            return name, name
        if k < 0.8:
            return "'" + name + "'", name
        return '"' + name[:1] + '"' + name[1:], name


class Line:
    """A generated command line: the source for the splitter, the source for
    bash (with the p prefix), and what must come out."""

    def __init__(self, gen, case):
        self.g = gen
        self.case = case
        self.cmds = []      # per simple command: (words, ran, [write targets])
        self.src = []
        self.bsrc = []

    def emit(self, s, b=None):
        self.src.append(s)
        self.bsrc.append(s if b is None else b)

    def simple(self, run):
        g, r = self.g, self.g.r
        idx = len(self.cmds)
        status = r.randint(0, 1)
        words, targets = [], []
        self.emit("", "p %d.%d %d " % (self.case, idx, status))
        n = r.randint(1, 4)
        first = True
        for i in range(n):
            if r.random() < 0.15:
                if first:  # not glued to the operator before: |&>f is |& >f
                    self.emit(" ")
                self.redirection(targets, first)
                self.emit(" ")
            w, v = g.word()
            words.append(v)
            self.emit(w)
            self.emit(" " if r.random() < 0.8 else r.choice(["  ", "\t", " \\\n "]))
            first = False
        if r.random() < 0.2:
            self.redirection(targets, False)
        self.cmds.append((words, run, targets))
        return status

    def redirection(self, targets, first):
        r = self.g.r
        k = r.random()
        if k < 0.5:
            op = r.choice([">", ">>", "2>", "1>>", ">|", "&>", "&>>", ">&"])
            src, val = self.g.target()
            if op == ">&" and (val[0].isdigit() or val.endswith("-")):
                op = ">"  # >&1 is fd 1; >&x- is an error
            self.emit(op + r.choice(["", " "]) + src)
            targets.append(val)
        elif k < 0.7:
            self.emit(r.choice(["<", "0<", "< "]) + r.choice(["/dev/null", "'/dev/null'"]))
        else:
            # not 2>&-: a later >&2 in the same command would fail
            self.emit(r.choice(["2>&1", ">&2", "1>&2", "3>&-", "<&0", "3>&1", "4<&-"]))

    def pipeline(self, run, depth):
        r = self.g.r
        neg = r.random() < 0.1
        if neg:
            self.emit("! ")
        status = self.command(run, depth)
        while r.random() < 0.25:
            self.emit(r.choice([" | ", "|", " |& ", " |\n "]))
            status = self.command(run, depth)
        return (1 - status) if neg else status

    def command(self, run, depth):
        r = self.g.r
        k = r.random()
        if depth < 3 and k < 0.06:
            self.emit("( ")
            s = self.list(run, depth + 1)
            self.emit(" )")
            return s
        if depth < 3 and k < 0.12:
            self.emit("{ ")
            s = self.list(run, depth + 1)
            self.emit("; }")
            return s
        if depth < 3 and k < 0.16:
            self.emit("if ")
            c = self.list(run, depth + 1)
            self.emit("; then ")
            t = self.list(run and c == 0, depth + 1)
            s = t if c == 0 else 0
            if r.random() < 0.5:
                self.emit("; else ")
                e = self.list(run and c != 0, depth + 1)
                s = t if c == 0 else e
            self.emit("; fi")
            return s if run else 0
        if depth < 3 and k < 0.19:
            # case: the subject is a plain literal, so the generator knows
            # the branch: the first when it equals the pattern, else *
            pat = r.choice("abcdefgh") + self.g.chars("abcdefgh0123456789", 0, 3)
            subj = pat if r.random() < 0.5 else pat + "z"
            self.emit("case " + subj + " in" + r.choice([" ", "\n"]) + r.choice(["", "("]) + pat + ") ")
            a = self.list(run and subj == pat, depth + 1)
            self.emit(r.choice([" ;;", ";;", "\n;;"]) + r.choice([" ", "\n"]) + "*) ")
            b = self.list(run and subj != pat, depth + 1)
            self.emit(r.choice([" ;;", "\n"]) + " esac")
            return (a if subj == pat else b) if run else 0
        return self.simple(run)

    def andor(self, run, depth):
        r = self.g.r
        status = self.pipeline(run, depth)
        while r.random() < 0.3:
            op = r.choice(["&&", "||"])
            self.emit(" " + op + r.choice([" ", "\n", " \n  "]))
            go = run and ((status == 0) if op == "&&" else (status != 0))
            s = self.pipeline(go, depth)
            if go:
                status = s
        return status

    def list(self, run, depth):
        r = self.g.r
        status = self.andor(run, depth)
        while r.random() < 0.4:
            self.emit(r.choice([";", "; ", "\n", ";\n", " # c'o\"m`m;e|nt\n", "\n\n"]))
            status = self.andor(run, depth)
        return status

    def build(self):
        self.list(True, 0)
        return "".join(self.src), "".join(self.bsrc)


def parse_split(data):
    """The records of one line from shell-cases -z."""
    cmds, redirs, why = [], [], None
    for rec in data.split("\x1e"):
        if not rec:
            continue
        f = rec.split("\x1f")
        if f[0] == "c":
            cmds.append((f[1] == "1", f[2:]))
        elif f[0] == "r":
            redirs.append((f[1] == "1", f[2] == "1", f[3] == "1", int(f[4]), "\x1f".join(f[5:])))
        elif f[0] == "o":
            why = f[1] or None
    return cmds, redirs, why


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--splitter", required=True)
    ap.add_argument("--bash", default=shutil.which("bash") or "/bin/bash")
    ap.add_argument("-n", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--show", type=int, default=None, help="print case N (both sources) and stop")
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    gen = Gen(random.Random(seed))
    lines = [Line(gen, i) for i in range(args.n)]
    built = [ln.build() for ln in lines]
    if args.show is not None:
        print("splitter: %r\nbash:     %r" % built[args.show])
        return 0

    out = subprocess.run([args.splitter, "-z"], input=b"".join(s.encode() + b"\0" for s, _ in built),
                         stdout=subprocess.PIPE, check=True).stdout
    splits = [parse_split(x.decode(errors="surrogateescape")) for x in out.split(b"\0")[:-1]]

    tmp = tempfile.mkdtemp(prefix="shell-vs-bash.")
    try:
        # one record file per command: bash's stdout is line-buffered, so
        # the members of a pipeline would interleave their lines in one file
        rec = os.path.join(tmp, ".rec")
        os.mkdir(rec)
        script = ["p() { local s=$2; printf '%%s\\x1f' \"$@\" >%s/$1; return $s; }" % rec]
        for i, (_, b) in enumerate(built):
            # each case in its own directory: which files it created
            script.append("mkdir %s/%d && cd %s/%d" % (tmp, i, tmp, i))
            script.append(b)
        with open(os.path.join(tmp, ".script"), "w") as f:
            f.write("\n".join(script) + "\n")
        subprocess.run([args.bash, os.path.join(tmp, ".script")], cwd=tmp, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ran = {}
        for name in os.listdir(rec):
            with open(os.path.join(rec, name), "rb") as f:
                fields = f.read().decode(errors="surrogateescape").split("\x1f")
            ran[name] = fields[2:-1]
        failures = 0
        for i, (ln, (src, bsrc), (cmds, redirs, why)) in enumerate(zip(lines, built, splits)):
            problems = []
            if why:
                problems.append("line opaque: %s" % why)
            if len(cmds) != len(ln.cmds):
                problems.append("%d commands, expected %d" % (len(cmds), len(ln.cmds)))
            written = set()
            for j, (words, run, targets) in enumerate(ln.cmds):
                key = "%d.%d" % (i, j)
                if run != (key in ran):
                    problems.append("command %d: bash %s it, the generator expected otherwise"
                                    % (j, "ran" if key in ran else "did not run"))
                if j < len(cmds):
                    opaque, got = cmds[j]
                    if opaque:
                        problems.append("command %d opaque" % j)
                    if got != words:
                        problems.append("command %d: splitter %r, generated %r" % (j, got, words))
                    if key in ran and ran[key] != got:
                        problems.append("command %d: splitter %r, bash %r" % (j, got, ran[key]))
                if run:
                    written.update(targets)
            ours = set()
            for (write, opaque, tilde, cmd, target) in redirs:
                if opaque or tilde:
                    problems.append("redirection %r opaque" % target)
                if write and cmd < len(ln.cmds) and ln.cmds[cmd][1]:
                    ours.add(target)
            d = os.path.join(tmp, str(i))
            created = set(os.listdir(d)) if os.path.isdir(d) else set()
            if created != ours or ours != written:
                problems.append("files: bash created %s, splitter %s, generated %s"
                                % (sorted(created), sorted(ours), sorted(written)))
            if problems:
                failures += 1
                if failures <= 10:
                    print("FAIL (seed %d, case %d): %r" % (seed, i, src))
                    for p in problems[:6]:
                        print("    " + p)
        total = sum(len(ln.cmds) for ln in lines)
        print("shell vs bash: %d lines, %d simple commands (%d run by bash), %d failed (seed %d)"
              % (len(lines), total, len(ran), failures, seed))
        return 1 if failures else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
