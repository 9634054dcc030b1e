#!/usr/bin/env python3
"""hook_cases.py --scopec PATH — replays tests/cases/hook/*.events through
`scopec hook claude-code`, once with the source policy and once with its
bytecode, and checks each decision (see the header of claude-code.events);
then --trusted-key: a signed image decides, and every other policy (unsigned,
source, another key's signature, a changed byte, a cut trailer, no usable
key) blocks the call.

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


TRUST_EVENT = {"hook_event_name": "PreToolUse", "session_id": "s", "cwd": "/", "tool_name": "Read",
               "tool_input": {"file_path": "@REPO@/README.md"}}


def hook(scopec, policy, repo, keys):
    cmd = [scopec, "hook", "claude-code", policy, "--task", "claude-coder"]
    for k in keys:
        cmd += ["--trusted-key", k]
    text = json.dumps(TRUST_EVENT).replace("@REPO@", repo)
    return subprocess.run(cmd, input=text.encode(), capture_output=True, timeout=30)


def check_trusted(scopec, tmp, src, img, repo):
    """Yields (name, failure or None) for each --trusted-key case."""
    d = os.path.join(tmp, "trust")
    os.makedirs(d)
    for k in ("ci", "evil"):
        subprocess.run([scopec, "keygen", "--out", os.path.join(d, k)], check=True, capture_output=True)
    def signed(name, key):
        out = os.path.join(d, name)
        shutil.copy(img, out)
        subprocess.run([scopec, "sign", out, "--key", os.path.join(d, key + ".pem")], check=True,
                       capture_output=True)
        return out
    good, evil = signed("good.scopec", "ci"), signed("evil.scopec", "evil")
    with open(good, "rb") as fh:
        data = bytearray(fh.read())
    flipped, cut = os.path.join(d, "flipped.scopec"), os.path.join(d, "cut.scopec")
    data[len(data) // 3] ^= 0x01
    with open(flipped, "wb") as fh:
        fh.write(bytes(data))
    with open(cut, "wb") as fh:
        fh.write(bytes(data[:-20]))
    ci, ev = os.path.join(d, "ci.pub.pem"), os.path.join(d, "evil.pub.pem")
    allowed = [("signed by the trusted key", good, [ci]),
               ("signed by the second of two trusted keys (rotation)", good, [ev, ci])]
    blocked = [("unsigned image", img, [ci], "image is not signed"),
               ("source policy", src, [ci], "not a signed bytecode image"),
               ("another key's signature", evil, [ci], "signed by key"),
               ("a changed byte", flipped, [ci], "refused"),
               ("a cut signature trailer", cut, [ci], "refused"),
               ("a private key as trusted key", good, [os.path.join(d, "ci.pem")], "not an Ed25519 public key"),
               ("a missing key file", good, [os.path.join(d, "none.pem")], "No such file"),
               ("17 trusted keys", good, [ci] * 17, "at most 16 trusted keys")]
    for name, policy, keys in allowed:
        p = hook(scopec, policy, repo, keys)
        out = p.stdout.decode(errors="replace")
        ok = p.returncode == 0 and '"permissionDecision":"allow"' in out.replace(" ", "")
        yield name, None if ok else "exit %d %r %r" % (p.returncode, out, p.stderr.decode()[:300])
    for name, policy, keys, why in blocked:
        p = hook(scopec, policy, repo, keys)
        err = p.stderr.decode(errors="replace")
        ok = p.returncode == 2 and not p.stdout and why in err
        yield name, None if ok else "exit %d stdout %r stderr %r (want exit 2, %r)" % (
            p.returncode, p.stdout, err[:300], why)


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
        for name, why in check_trusted(scopec, tmp, src, img, repo):
            total += 1
            if why:
                failures += 1
                print("FAIL --trusted-key, %s: %s" % (name, why))
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
