#!/usr/bin/env python3
"""doc_examples.py FILE.md... — runs the ```console blocks of the docs.

In a console block, a line starting with "$ " is a command ("\\" at the end
continues it on the next line); the lines up to the next command are its
expected output (stdout and stderr together), compared exactly.  The
commands of one block run in one bash session from the repository root, as
a reader would type them, so `echo $?`, `cd` and background jobs (`&`,
`kill %1`) carry over to the next command.  A block may start with a line
"# cd DIR" (relative to the repository root).  Every example the docs show
output for is checked this way, so the docs cannot drift from the code."""

import os
import re
import signal
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def blocks(path):
    with open(path) as fh:
        text = fh.read()
    for m in re.finditer(r"^```console\n(.*?)^```", text, re.S | re.M):
        line = text[: m.start()].count("\n") + 2
        yield line, m.group(1).splitlines()


def steps(lines):
    cmd, out = None, []
    i = 0
    while i < len(lines):
        l = lines[i]
        if l.startswith("$ "):
            if cmd is not None:
                yield cmd, out
            cmd, out = l[2:], []
            while cmd.endswith("\\") and i + 1 < len(lines):
                i += 1
                cmd = cmd + "\n" + lines[i]  # bash joins the lines itself
        elif cmd is not None:
            out.append(l)
        i += 1
    if cmd is not None:
        yield cmd, out


# Printed after each command to cut the session's output into steps; the
# leading newline ends a last line without one (stripped like any final
# newline), and $? is restored so that `echo $?` sees the command's status.
MARK = "\x1edoc-step\x1e"


def session(steps_):
    script = ["exec 2>&1"]
    for cmd, _ in steps_:
        script += [cmd, "__rc=$?; printf '\\n%s\\n' '%s'; (exit $__rc)" % ("%s", MARK)]
    return "\n".join(script) + "\n"


def run_block(cwd, lines):
    """Output goes to a file, not a pipe, so that a background job the block
    leaves behind cannot hold the run open; the block runs in its own
    process group, which is ended afterwards (a failed walkthrough must not
    leave a gateway running)."""
    todo = list(steps(lines))
    with tempfile.TemporaryFile() as out:
        p = subprocess.Popen(["bash", "-c", session(todo)], cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            p.wait(timeout=300)
        except subprocess.TimeoutExpired:
            print("doc examples: a block ran for over 300 s; stopped")
        finally:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()
        out.seek(0)
        outs = out.read().decode(errors="replace").split(MARK + "\n")
    for i, (cmd, want) in enumerate(todo):
        out = outs[i].rstrip("\n") if i < len(outs) else ""
        yield cmd, want, out.split("\n") if out else []


def main(files):
    failed = total = 0
    for f in files:
        for line, lines in blocks(f):
            cwd = ROOT
            if lines and lines[0].startswith("# cd "):
                cwd = os.path.join(ROOT, lines[0][5:].strip())
                lines = lines[1:]
            for cmd, want, got in run_block(cwd, lines):
                total += 1
                if got != want:
                    failed += 1
                    print("FAIL %s:%d: $ %s" % (f, line, cmd))
                    print("  expected:\n    " + "\n    ".join(want))
                    print("  got:\n    " + "\n    ".join(got))
    print("doc examples: %d passed, %d failed" % (total - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
