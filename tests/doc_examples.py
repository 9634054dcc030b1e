#!/usr/bin/env python3
"""doc_examples.py FILE.md... — runs the ```console blocks of the docs.

In a console block, a line starting with "$ " is a command (run by bash
from the repository root; "\\" at the end continues it on the next line);
the lines up to the next command are its expected output (stdout and stderr
together), compared exactly.  A block may start with a line "# cd DIR"
(relative to the repository root).  Every example the docs show output for
is checked this way, so the docs cannot drift from the code."""

import os
import re
import subprocess
import sys

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
                cmd = cmd[:-1] + "\n" + lines[i]
        elif cmd is not None:
            out.append(l)
        i += 1
    if cmd is not None:
        yield cmd, out


def main(files):
    failed = total = 0
    for f in files:
        for line, lines in blocks(f):
            cwd = ROOT
            if lines and lines[0].startswith("# cd "):
                cwd = os.path.join(ROOT, lines[0][5:].strip())
                lines = lines[1:]
            for cmd, want in steps(lines):
                total += 1
                p = subprocess.run(["bash", "-c", cmd], cwd=cwd, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, timeout=120)
                got = p.stdout.decode(errors="replace").rstrip("\n").split("\n") if p.stdout else []
                if got != want:
                    failed += 1
                    print("FAIL %s:%d: $ %s" % (f, line, cmd))
                    print("  expected:\n    " + "\n    ".join(want))
                    print("  got:\n    " + "\n    ".join(got))
    print("doc examples: %d passed, %d failed" % (total - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
