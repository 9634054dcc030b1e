#!/usr/bin/env python3
"""hook_cases.py --scopec PATH — replays tests/cases/hook/*.events through
`scopec hook claude-code`, once with the source policy and once with its
bytecode, and checks each decision (see the header of claude-code.events).

The policy is policies/claude-code.scope with /work/repo replaced by a
scratch repository (real files and symbolic links, so that canonical paths
are exercised on a real file system).  Standard library only."""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make_repo(tmp):
    repo = os.path.join(tmp, "repo")
    for d in ("src", "tests"):
        os.makedirs(os.path.join(repo, d))
    for f, text in (("README.md", "# demo\n"), ("src/app.py", "print('hi')\n"), (".env", "TOKEN=x\n")):
        with open(os.path.join(repo, f), "w") as fh:
            fh.write(text)
    os.symlink("/etc", os.path.join(repo, "src", "escape"))
    os.symlink("src", os.path.join(repo, "docs"))
    return os.path.realpath(repo)


def make_policy(tmp, repo, scopec):
    pdir = os.path.join(tmp, "policy")
    os.makedirs(pdir)
    for name in ("claude-code.scope", "common.scope"):
        with open(os.path.join(ROOT, "policies", name)) as fh:
            text = fh.read().replace("/work/repo", repo)
        with open(os.path.join(pdir, name), "w") as fh:
            fh.write(text)
    src = os.path.join(pdir, "claude-code.scope")
    img = os.path.join(pdir, "claude-code.scopec")
    subprocess.run([scopec, "compile", src, "-o", img], check=True)
    return src, img


def run_case(scopec, policy, log, case, repo):
    text = case["raw"] if "raw" in case else json.dumps(case["event"])
    text = text.replace("@REPO@", repo)
    p = subprocess.run([scopec, "hook", "claude-code", policy, "--task", "claude-coder", "--log", log],
                       input=text.encode(), capture_output=True, timeout=30)
    want = case["want"]
    reason = case.get("reason", "").replace("@REPO@", repo)
    out, err = p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
    if want == "block":
        if p.returncode != 2 or out:
            return "exit %d, stdout %r (want exit 2, nothing on stdout)" % (p.returncode, out)
        if reason not in err:
            return "stderr %r lacks %r" % (err, reason)
        return None
    if p.returncode != 0:
        return "exit %d: %s" % (p.returncode, err.strip())
    try:
        o = json.loads(out)["hookSpecificOutput"]
    except (ValueError, KeyError, TypeError):
        return "stdout is not a hook answer: %r" % out
    if o.get("hookEventName") != "PreToolUse":
        return "hookEventName %r" % o.get("hookEventName")
    if o.get("permissionDecision") != want:
        return "decision %s (want %s): %s" % (o.get("permissionDecision"), want, o.get("permissionDecisionReason"))
    if reason not in o.get("permissionDecisionReason", ""):
        return "reason %r lacks %r" % (o.get("permissionDecisionReason"), reason)
    return None


def check_log(log, scopec):
    """Every line is a decision record of the gateway's format, and
    `scopec suggest` learns from it."""
    with open(log) as fh:
        recs = [json.loads(line) for line in fh]
    need = {"type", "time", "task", "action", "resource", "attributes", "decision", "item", "explain", "policy"}
    for r in recs:
        missing = need - set(r)
        if missing or r["type"] != "decision" or not r["policy"].startswith("sha256:"):
            return "log record %r lacks %s" % (r, sorted(missing))
    p = subprocess.run([scopec, "suggest", log], capture_output=True, timeout=60)
    if p.returncode != 0 or b"task claude-coder" not in p.stdout:
        return "scopec suggest on the hook's log: exit %d %s" % (p.returncode, p.stderr.decode()[:300])
    return None if recs else "the log is empty"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scopec", required=True)
    args = ap.parse_args()
    scopec = os.path.abspath(args.scopec)
    tmp = tempfile.mkdtemp(prefix="scope-hook-")
    failures = total = 0
    try:
        repo = make_repo(tmp)
        src, img = make_policy(tmp, repo, scopec)
        log = os.path.join(tmp, "decisions.log")
        casedir = os.path.join(ROOT, "tests", "cases", "hook")
        for name in sorted(os.listdir(casedir)):
            if not name.endswith(".events"):
                continue
            with open(os.path.join(casedir, name)) as fh:
                lines = [(i + 1, l) for i, l in enumerate(fh) if l.strip() and not l.startswith("#")]
            for lineno, line in lines:
                case = json.loads(line)
                for policy in (src, img):
                    total += 1
                    why = run_case(scopec, policy, log, case, repo)
                    if why:
                        failures += 1
                        print("FAIL %s:%d (%s): %s" % (name, lineno, os.path.basename(policy), why))
        why = check_log(log, scopec)
        total += 1
        if why:
            failures += 1
            print("FAIL decision log: %s" % why)
    finally:
        shutil.rmtree(tmp)
    print("hook cases: %d passed, %d failed" % (total - failures, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
