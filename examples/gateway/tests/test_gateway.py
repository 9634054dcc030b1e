#!/usr/bin/env python3
"""Tests of scope-gateway, scopec shadow-report and scopec suggest (make gateway-check).

python3 stdlib only.  Each test starts its own gateway in a temporary
directory.  Usage:

    test_gateway.py --gateway build/scope-gateway --scopec ./scopec [-k NAME]
"""
import argparse
import hashlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from client import Gateway, GatewayError  # noqa: E402

GATEWAY = SCOPEC = None
PASSED = FAILED = 0
SERVERS = []  # every gateway started, stopped after each test whatever happens


def check(cond, what):
    global PASSED, FAILED
    if cond:
        PASSED += 1
    else:
        FAILED += 1
        print(f"  FAIL: {what}", flush=True)
    return cond


# ---- policies -------------------------------------------------------------

COMMON = """
  allows comment forum.** when channel == "internal"
  allows pay shop.* when amount <= 100
  denies delete **

task * denies ** secrets.**
"""

V1 = """# v1: in force at start
task agent
  allows read docs.**, read forum.**
  allows post forum.help
  asks   post forum.general.*
""" + COMMON

V2 = """# v2: post forum.help needs a human; general posts and tmp writes are allowed
task agent
  allows read docs.**, read forum.**
  asks   post forum.help
  allows post forum.general.*
  allows write tmp.*
""" + COMMON

BAD_SOURCE = """# refused: an empty item list
task agent
  allows
"""

# (request, decision under v1, under v2)
REQUESTS = [
    (("agent", "read", "docs.a.b", {}), "allow", "allow"),
    (("agent", "read", "forum.x", {"channel": "internal"}), "allow", "allow"),
    (("agent", "read", "secrets.db", {}), "deny", "deny"),
    (("agent", "delete", "forum.x", {}), "deny", "deny"),
    (("nobody", "read", "docs.a", {}), "deny", "deny"),
    (("agent", "read", "other.x", {}), "deny", "deny"),
    (("agent", "post", "forum.other.x", {}), "deny", "deny"),
    (("agent", "comment", "forum.a", {"channel": "internal"}), "allow", "allow"),
    (("agent", "comment", "forum.a", {}), "deny", "deny"),
    (("agent", "pay", "shop.x", {"amount": 50}), "allow", "allow"),
    (("agent", "pay", "shop.x", {"amount": "500"}), "deny", "deny"),
    (("agent", "post", "forum.help", {}), "allow", "ask"),        # differs
    (("agent", "post", "forum.general.x", {}), "ask", "allow"),   # differs
    (("agent", "write", "tmp.a", {}), "deny", "allow"),           # differs
]

DECISION_FIELDS = ["type", "time", "id", "task", "action", "resource", "attributes", "decision",
                   "reason", "item", "location", "explain", "policy"]
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def as_request(rq, id=None):
    task, action, resource, ctx = rq
    return Gateway.request(task, action, resource, ctx, id)


# ---- helpers --------------------------------------------------------------

def write_atomic(path, data):
    tmp = path + ".new"
    with open(tmp, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)
    os.replace(tmp, path)


def compile_policy(src, out):
    subprocess.run([SCOPEC, "compile", src, "-o", out], check=True)
    with open(out, "rb") as f:
        return "sha256:" + hashlib.sha256(f.read()).hexdigest()


class Log:
    """The decision log, read incrementally (whole lines only)."""

    def __init__(self, path):
        self.path, self.records, self.bad, self.offset = path, [], [], 0

    def refresh(self):
        if not os.path.exists(self.path):
            return self.records
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            data = f.read()
        end = data.rfind(b"\n") + 1
        self.offset += end
        for line in data[:end].splitlines():
            try:
                self.records.append(json.loads(line))
            except ValueError:
                self.bad.append(line)
        return self.records

    def wait(self, pred, start, timeout=5.0):
        """The first record at index >= START for which PRED holds."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for r in self.refresh()[start:]:
                if pred(r):
                    return r
            time.sleep(0.005)
        return None


class Server:
    def __init__(self, tmp, policy, *extra, name="gw"):
        self.sock = os.path.join(tmp, name + ".sock")
        self.log = Log(os.path.join(tmp, name + ".log"))
        self.err = open(os.path.join(tmp, name + ".stderr"), "wb")
        self.p = subprocess.Popen(
            [GATEWAY, "--policy", policy, "--socket", self.sock, "--log", self.log.path,
             "--scopec", SCOPEC, *extra], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=self.err)
        SERVERS.append(self)
        end = time.monotonic() + 10
        while time.monotonic() < end:
            try:
                Gateway(self.sock).close()
                return
            except GatewayError:
                if self.p.poll() is not None:
                    break
                time.sleep(0.01)
        raise RuntimeError(f"gateway did not start: {self.stderr()}")

    def stderr(self):
        if not self.err.closed:
            self.err.flush()
        with open(self.err.name, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        try:
            rc = self.p.wait(10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = "hung"
        self.err.close()
        check(rc == 0, f"gateway exits 0 on SIGTERM (got {rc}): {self.stderr()[-500:]}")
        return rc


def check_log_records(log, what):
    """Every line valid JSON; decision records carry every field."""
    recs = log.refresh()
    check(not log.bad, f"{what}: every log line is JSON ({len(log.bad)} are not)")
    ok = True
    for r in recs:
        if not TIME_RE.match(str(r.get("time", ""))):
            ok = check(False, f"{what}: RFC 3339 time with ms in {r}")
        if r.get("type") == "decision":
            missing = [k for k in DECISION_FIELDS if k not in r]
            if missing:
                ok = check(False, f"{what}: decision record without {missing}: {r}")
            if r.get("decision") not in ("allow", "ask", "deny"):
                ok = check(False, f"{what}: bad decision in {r}")
            if "error" not in r and not str(r.get("policy", "")).startswith("sha256:"):
                ok = check(False, f"{what}: no policy digest in {r}")
    check(ok, f"{what}: {len(recs)} log records well-formed")
    return recs


def oracle(policy_text, tmp):
    """Decisions of scopec eval --json (the compiler's own evaluator)."""
    path = os.path.join(tmp, "oracle.scope")
    with open(path, "w") as f:
        f.write(policy_text)
    lines = []
    for rq, _, _ in REQUESTS:
        task, action, resource, ctx = rq
        lines.append(json.dumps({"task": task, "action": action, "resource": resource,
                                 "context": {k: str(v) for k, v in ctx.items()}}))
    out = subprocess.run([SCOPEC, "eval", "--json", path], input="\n".join(lines) + "\n",
                         capture_output=True, text=True, check=True).stdout
    return [json.loads(l)["decision"] for l in out.splitlines()]


# ---- tests ----------------------------------------------------------------

def test_protocol(tmp):
    """--stdio: valid and malformed lines, every one answered, never a crash."""
    pol = os.path.join(tmp, "v1.scope")
    write_atomic(pol, V1)
    ok = lambda **kw: dict(task="agent", action="read", resource="docs.a", **kw)
    cases = [
        (json.dumps(ok(id=1)), {"id": 1, "decision": "allow", "reason": "item"}),
        ("not json", {"id": None, "decision": "deny", "reason": "error"}),
        ("[1,2]", {"decision": "deny", "error": "a request must be a JSON object"}),
        ('{"id":3,"action":"read"}', {"id": 3, "decision": "deny", "reason": "error"}),
        ('{"id":4,"task":"agent","action":""}', {"id": 4, "reason": "error"}),
        ('{"id":5,"task":"agent","action":7}', {"id": 5, "reason": "error"}),
        ('{"id":6,"task":"agent","action":"read","resource":"docs.a","bogus":1}',
         {"id": 6, "decision": "deny", "reason": "error"}),
        ('{"id":7,"task":"agent","action":"read","context":[]}', {"id": 7, "reason": "error"}),
        ('{"id":8,"task":"agent","action":"pay","resource":"shop.x","context":{"amount":1.5}}',
         {"id": 8, "reason": "error"}),
        ('{"id":9,"task":"agent","action":"pay","resource":"shop.x","context":{"amount":50}}',
         {"id": 9, "decision": "allow"}),
        ('{"id":10,"task":"agent","action":"pay","resource":"shop.x","context":{"amount":true}}',
         {"id": 10, "decision": "deny", "reason": "default-deny"}),
        ("", None),
        ("   \t", None),
        ('{"id":11,"task":"agent","action":"read","resource":"docs.\\u0000"}', {"reason": "error"}),
        (b'\xff\xfe{"id":1}', {"decision": "deny", "reason": "error"}),
        ('{"id":12,"task":"agent","action":"read","resource":"docs.a","id":13}', {"reason": "error"}),
        (json.dumps(ok(id={"nested": [1, 2]})), {"id": {"nested": [1, 2]}, "decision": "allow"}),
        ("[" * 1000, {"decision": "deny", "reason": "error"}),
        ('{"id":14,"task":"agent","action":"read","resource":"' + "x" * 2000 + '"}',
         {"decision": "deny", "error": "request line longer than 1024 bytes"}),
        ('{"id":15,"task":"agent","action":"read","resource":"secrets.a","context":{"":"x"}}',
         {"id": 15, "reason": "error"}),
        ('{"id":16,"task":"nobody","action":"read"}', {"id": 16, "reason": "undeclared-task"}),
        (json.dumps(ok(id=17, context={"channel": "internal"})), {"id": 17, "decision": "allow"}),
    ]
    rnd = random.Random(5)
    for i in range(200):  # random bytes: answered deny, never a crash
        junk = bytes(rnd.choice(b'{}[]":,\\ abtu0\x00\xff\x7f') for _ in range(rnd.randint(1, 60)))
        cases.append((junk.replace(b"\n", b""), {"decision": "deny"}))
    last = json.dumps(ok(id=18))  # the last line has no newline
    data = b"".join((c.encode() if isinstance(c, str) else c) + b"\n" for c, _ in cases) + last.encode()
    log = Log(os.path.join(tmp, "proto.log"))
    p = subprocess.run([GATEWAY, "--policy", pol, "--stdio", "--max-line", "1024", "--log", log.path,
                        "--scopec", SCOPEC], input=data, capture_output=True, timeout=30)
    check(p.returncode == 0, f"--stdio exits 0 at end of input (got {p.returncode}): {p.stderr[-300:]}")
    replies = [json.loads(l) for l in p.stdout.splitlines()]
    expected = [e for _, e in cases if e is not None] + [{"id": 18, "decision": "allow"}]
    check(len(replies) == len(expected), f"one reply per request line ({len(replies)} of {len(expected)})")
    for i, (got, want) in enumerate(zip(replies, expected)):
        for k, v in want.items():
            if not check(got.get(k) == v, f"reply {i}: {k} = {v!r}, got {got}"):
                break
        check(got.get("decision") in ("allow", "ask", "deny"), f"reply {i} is a decision")
    r0 = replies[0]
    check(r0["explain"].startswith(pol + ":") and "allows read docs.**" in r0["explain"],
          f"explain is FILE:LINE:COL: item ({r0['explain']})")
    check(replies[3]["explain"].startswith("malformed request"), "malformed: explain says so")
    recs = check_log_records(log, "protocol log")
    decs = [r for r in recs if r.get("type") == "decision"]
    check(len(decs) == len(expected), f"one decision record per request ({len(decs)})")
    check(decs[0]["location"].startswith(pol + ":") and decs[0]["item"] == 0, "log: item index and location")
    check(decs[9]["attributes"] == {"amount": "50"}, "log: attributes as decided (integers as text)")
    check(any(r.get("error", "").startswith("invalid JSON") for r in decs), "log: malformed requests logged with the error")
    types = [r["type"] for r in recs]
    check(types[0] == "start" and types[-1] == "stop" and "reload" in types, "log: start, reload, stop records")


def test_digest(tmp):
    """The digest is SHA-256 of the image; bytecode policies load directly."""
    src = os.path.join(tmp, "d.scope")
    write_atomic(src, V1)
    bc = os.path.join(tmp, "d.scopec")
    want = compile_policy(src, bc)
    req = json.dumps(as_request(REQUESTS[0][0], 1)) + "\n"
    for pol in (bc, src):
        p = subprocess.run([GATEWAY, "--policy", pol, "--stdio", "--scopec", SCOPEC], input=req.encode(),
                           capture_output=True, timeout=10)
        r = json.loads(p.stdout)
        check(r["decision"] == "allow" and r["policy"] == want,
              f"{os.path.basename(pol)}: digest {r.get('policy')} == sha256 of the image {want}")
    stripped = os.path.join(tmp, "s.scopec")
    subprocess.run([SCOPEC, "compile", "--strip", src, "-o", stripped], check=True)
    p = subprocess.run([GATEWAY, "--policy", stripped, "--stdio"], input=req.encode(), capture_output=True,
                       timeout=10)
    r = json.loads(p.stdout)
    check(r["decision"] == "allow" and r["explain"] == "item 0 (stripped)", f"stripped image: {r['explain']}")
    bad = os.path.join(tmp, "bad.scope")
    write_atomic(bad, BAD_SOURCE)
    p = subprocess.run([GATEWAY, "--policy", bad, "--stdio", "--scopec", SCOPEC], input=req.encode(),
                       capture_output=True, timeout=10)
    check(p.returncode == 2 and not p.stdout, "a policy that does not compile: no start (exit 2)")
    p = subprocess.run([GATEWAY, "--stdio"], capture_output=True, timeout=10)
    check(p.returncode == 2, "usage error: exit 2")


def test_policy_files(tmp):
    """Policy paths that cannot be used: no start (exit 2, the reason on
    stderr); a policy file removed while the gateway runs: the old policy
    stays in force and decides."""
    req = (json.dumps(as_request(REQUESTS[0][0], 1)) + "\n").encode()
    src = os.path.join(tmp, "f.scope")
    write_atomic(src, V1)
    fake = os.path.join(tmp, "fake-scopec")
    with open(fake, "w") as f:
        f.write("#!/bin/sh\nexit 1\n")
    os.chmod(fake, 0o755)
    for name, args, why in (
            ("a missing file", ["--policy", os.path.join(tmp, "none.scopec")], "cannot open"),
            ("a directory", ["--policy", tmp], "not a regular file"),
            ("a compiler that cannot run", ["--policy", src, "--scopec", os.path.join(tmp, "no-scopec")],
             "cannot run"),
            ("a compiler that fails silently", ["--policy", src, "--scopec", fake], "no diagnostics")):
        p = subprocess.run([GATEWAY, *args, "--stdio"], input=req, capture_output=True, timeout=20)
        err = p.stderr.decode(errors="replace")
        check(p.returncode == 2 and not p.stdout and why in err, f"{name}: exit {p.returncode}, stderr {err[:200]!r}")
    bc = os.path.join(tmp, "f.scopec")
    want = compile_policy(src, bc)
    log = os.path.join(tmp, "f.log")
    g = subprocess.Popen([GATEWAY, "--policy", bc, "--stdio", "--poll-ms", "20", "--log", log],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    g.stdin.write(req)
    g.stdin.flush()
    first = json.loads(g.stdout.readline())
    os.remove(bc)
    time.sleep(0.3)
    g.stdin.write(req)
    g.stdin.flush()
    second = json.loads(g.stdout.readline())
    g.stdin.close()
    g.wait(10)
    check(first["policy"] == want and second["decision"] == first["decision"] and second["policy"] == want,
          f"policy file removed: the old policy still decides ({second})")
    # SIGHUP reopens the log: without a log, and with the log's path now a
    # directory (cannot be reopened), the gateway keeps deciding
    compile_policy(src, bc)
    for logargs, name in (([], "no log"), (["--log", log], "a log path that became a directory")):
        g = subprocess.Popen([GATEWAY, "--policy", bc, "--stdio", *logargs], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        g.stdin.write(req)
        g.stdin.flush()
        json.loads(g.stdout.readline())
        if logargs:
            os.remove(log)
            os.mkdir(log)
        g.send_signal(signal.SIGHUP)
        time.sleep(0.3)
        g.stdin.write(req)
        g.stdin.flush()
        line = g.stdout.readline()
        g.stdin.close()
        g.wait(10)
        check(line and json.loads(line).get("decision") in ("allow", "deny"), f"SIGHUP with {name}: still answers ({line!r})")


def keygen(tmp, name):
    """A key pair from scopec keygen: (private, public, key id)."""
    prefix = os.path.join(tmp, name)
    out = subprocess.run([SCOPEC, "keygen", "--out", prefix], capture_output=True, text=True, check=True).stdout
    return prefix + ".pem", prefix + ".pub.pem", out.split()[1].rstrip(":")


def sign_policy(image, key, out):
    subprocess.run([SCOPEC, "sign", image, "--key", key, "-o", out], check=True, capture_output=True)
    with open(out, "rb") as f:
        return f.read()


def test_trusted_key(tmp):
    """--trusted-key: only images signed by that key load, at start and at every
    reload; unsigned, wrongly signed, re-signed, cut and source policies are
    refused with the reason in the error record, and the old policy stays."""
    ci_priv, ci_pub, ci_id = keygen(tmp, "ci")
    other_priv, other_pub, other_id = keygen(tmp, "other")
    srcs = {}
    for name, text in (("v1", V1), ("v2", V2)):
        srcs[name] = os.path.join(tmp, name + ".scope")
        write_atomic(srcs[name], text)
    d1 = compile_policy(srcs["v1"], os.path.join(tmp, "v1.scopec"))
    d2 = compile_policy(srcs["v2"], os.path.join(tmp, "v2.scopec"))
    with open(os.path.join(tmp, "v2.scopec"), "rb") as f:
        v2_unsigned = f.read()
    v1_ci = sign_policy(os.path.join(tmp, "v1.scopec"), ci_priv, os.path.join(tmp, "v1.ci"))
    v2_ci = sign_policy(os.path.join(tmp, "v2.scopec"), ci_priv, os.path.join(tmp, "v2.ci"))
    v2_other = sign_policy(os.path.join(tmp, "v2.scopec"), other_priv, os.path.join(tmp, "v2.other"))
    v2_resigned = sign_policy(os.path.join(tmp, "v2.ci"), other_priv, os.path.join(tmp, "v2.re"))
    check(v2_resigned == v2_other, "re-signing replaces the signature (no second trailer)")
    flipped = bytearray(v2_ci)
    flipped[200] ^= 1
    sig_flipped = bytearray(v2_ci)
    sig_flipped[-5] ^= 0x40
    v1_want, v2_want = [a for _, a, _ in REQUESTS], [b for _, _, b in REQUESTS]

    pol = os.path.join(tmp, "policy.scopec")
    write_atomic(pol, v1_ci)
    srv = Server(tmp, pol, "--trusted-key", ci_pub, "--poll-ms", "0", name="trusted")
    r = srv.log.wait(lambda r: r.get("type") == "reload" and r.get("trigger") == "start", 0)
    check(r is not None and r["policy"] == d1 and r.get("signed_by") == ci_id,
          f"start: the signed image loads, digest of the image, signed_by the key ({r})")
    refusals = [
        ("an unsigned image", v2_unsigned, "image is not signed"),
        ("another key's signature", v2_other, f"signed by key {other_id}; trusted: {ci_id}"),
        ("a re-signed image", v2_resigned, f"signed by key {other_id}"),
        ("a flipped image byte", bytes(flipped), "signature does not verify"),
        ("a flipped signature byte", bytes(sig_flipped), "signature does not verify"),
        ("a cut signature", v2_ci[:-10], "refused"),
        ("a source policy", V2.encode(), "not a signed bytecode image"),
    ]
    with Gateway(srv.sock) as gw:
        check([x["decision"] for x in gw.decide_many([as_request(rq) for rq, _, _ in REQUESTS])] == v1_want,
              "the signed v1 decides")
        for what, data, reason in refusals:
            start = len(srv.log.refresh())
            write_atomic(pol, data)
            srv.p.send_signal(signal.SIGHUP)
            e = srv.log.wait(lambda r: r.get("type") in ("error", "reload") and r.get("event", "reload") == "reload"
                             and r.get("trigger") == "sighup", start)
            check(e is not None and e["type"] == "error" and reason in e.get("error", "") and e["policy"] == d1,
                  f"{what}: refused, the error record says why ({reason!r}) and names the old policy: {e}")
            reps = gw.decide_many([as_request(rq) for rq, _, _ in REQUESTS])
            check([x["decision"] for x in reps] == v1_want and all(x["policy"] == d1 for x in reps),
                  f"{what}: the old policy stays in force")
        start = len(srv.log.refresh())
        write_atomic(pol, v2_ci)
        srv.p.send_signal(signal.SIGHUP)
        r = srv.log.wait(lambda r: r.get("type") == "reload" and r.get("trigger") == "sighup", start)
        check(r is not None and r["result"] == "loaded" and r["policy"] == d2 and r["previous"] == d1
              and r.get("signed_by") == ci_id, f"v2 signed by the trusted key hot-swaps in: {r}")
        reps = gw.decide_many([as_request(rq) for rq, _, _ in REQUESTS])
        check([x["decision"] for x in reps] == v2_want and all(x["policy"] == d2 for x in reps),
              "the signed v2 decides")
    srv.stop()
    check_log_records(srv.log, "trusted-key log")

    # at start: nothing unsigned runs; a second key (rotation) is accepted
    req = json.dumps(as_request(REQUESTS[0][0], 1)) + "\n"
    def run(policy, *extra):
        return subprocess.run([GATEWAY, "--policy", policy, "--stdio", "--scopec", SCOPEC, *extra],
                              input=req.encode(), capture_output=True, timeout=10)
    for what, policy, extra, why in [
            ("unsigned image", os.path.join(tmp, "v2.scopec"), ["--trusted-key", ci_pub], "image is not signed"),
            ("source policy", srcs["v1"], ["--trusted-key", ci_pub], "not a signed bytecode image"),
            ("another key", os.path.join(tmp, "v2.other"), ["--trusted-key", ci_pub], "signature does not verify"),
            ("a private key as trusted key", os.path.join(tmp, "v1.ci"), ["--trusted-key", ci_priv],
             "not an Ed25519 public key"),
            ("a missing key file", os.path.join(tmp, "v1.ci"), ["--trusted-key", os.path.join(tmp, "nope.pem")],
             "trusted key"),
            ("an unsigned shadow candidate", os.path.join(tmp, "v1.ci"),
             ["--trusted-key", ci_pub, "--shadow", os.path.join(tmp, "v2.scopec")], "candidate policy refused")]:
        p = run(policy, *extra)
        check(p.returncode == 2 and not p.stdout and why in p.stderr.decode(),
              f"start with {what}: refused (exit 2, {why!r}): {p.stderr.decode()[-300:]}")
    p = run(os.path.join(tmp, "v2.other"), "--trusted-key", ci_pub, "--trusted-key", other_pub)
    check(p.returncode == 0 and json.loads(p.stdout)["policy"] == d2, "either of two trusted keys (rotation)")
    p = run(os.path.join(tmp, "v1.ci"))
    check(p.returncode == 0 and json.loads(p.stdout)["policy"] == d1, "without --trusted-key a signed image loads too")


def test_reload_under_load(tmp):
    """Requests from several threads while the policy is rewritten and reloaded
    between two valid versions and invalid ones: every reply is the decision of
    the version that decided it, versions only move forward, nothing dropped."""
    v1, v2 = oracle(V1, tmp), oracle(V2, tmp)
    check(v1 == [a for _, a, _ in REQUESTS] and v2 == [b for _, _, b in REQUESTS],
          "the test's expectations agree with scopec eval")
    # the digests the gateway must report: images compiled from the same
    # path (source locations are part of the image)
    pol = os.path.join(tmp, "policy.scope")
    write_atomic(pol, V2)
    d2 = compile_policy(pol, os.path.join(tmp, "v2.scopec"))
    write_atomic(pol, V1)
    d1 = compile_policy(pol, os.path.join(tmp, "v1.scopec"))
    expect = {d1: [a for _, a, _ in REQUESTS], d2: [b for _, _, b in REQUESTS]}
    with open(os.path.join(tmp, "v2.scopec"), "rb") as f:
        truncated = f.read()[:100]  # bytecode magic, cut short: the verifier refuses it
    srv = Server(tmp, pol, "--poll-ms", "50", name="reload")
    stop = threading.Event()
    results = {}  # thread -> [(request index, reply)]
    errors = []

    def worker(t):
        got = results.setdefault(t, [])
        n = 0
        try:
            with Gateway(srv.sock) as gw:
                while not stop.is_set():
                    if t % 2:  # pipelined batches
                        idx = [(t + n + k) % len(REQUESTS) for k in range(16)]
                        reps = gw.decide_many(as_request(REQUESTS[i][0], f"w{t}-{n + k}") for k, i in enumerate(idx))
                        got.extend(zip(idx, reps))
                        n += 16
                    else:
                        i = (t + n) % len(REQUESTS)
                        got.append((i, gw.decide_many([as_request(REQUESTS[i][0], f"w{t}-{n}")])[0]))
                        n += 1
        except Exception as e:  # noqa: BLE001
            errors.append(f"worker {t}: {e!r}")

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    epochs = [d1]
    refused = 0
    probe = Gateway(srv.sock)
    differing = [i for i, (_, a, b) in enumerate(REQUESTS) if a != b]
    # (content, digest, signal?) -- SIGHUP, or only the file change (polling)
    steps = [(V2, d2, True), (V1, d1, True), (BAD_SOURCE, None, True), (V2, d2, False),
             (truncated, None, True), (V1, d1, False), (V2, d2, True), (BAD_SOURCE, None, False),
             (V1, d1, True), (V2, d2, True), (V1, d1, True), (V2, d2, False)]
    for content, digest, hup in steps:
        time.sleep(0.08)
        start = len(srv.log.refresh())
        write_atomic(pol, content)
        if hup:
            srv.p.send_signal(signal.SIGHUP)
        if digest is None:
            r = srv.log.wait(lambda r: r.get("type") == "error" and r.get("role") == "enforced", start)
            check(r is not None and r.get("policy") == epochs[-1] and r.get("error"),
                  f"invalid policy refused with an error record, old one kept ({r})")
            refused += 1
        else:
            r = srv.log.wait(lambda r: r.get("type") == "reload" and r.get("policy") == digest
                             and r.get("result") == "loaded", start)
            check(r is not None, f"reload record for {digest[:20]} ({'SIGHUP' if hup else 'file change'})")
            epochs.append(digest)
        # right after the reload, a new request is decided by the new policy
        reps = probe.decide_many([as_request(REQUESTS[i][0]) for i in differing])
        check(all(x["policy"] == epochs[-1] for x in reps), "after a reload the new policy decides at once")
        check([x["decision"] for x in reps] == [expect[epochs[-1]][i] for i in differing],
              "the differing requests flip with the reload")
    time.sleep(0.1)
    stop.set()
    for th in threads:
        th.join(20)
    probe.close()
    check(not errors, f"no client errors: {errors}")
    total = sum(len(v) for v in results.values())
    wrong = [(i, r) for v in results.values() for i, r in v
             if r.get("policy") not in expect or r.get("decision") != expect[r["policy"]][i]]
    check(not wrong, f"every reply is the decision of the version that decided it ({len(wrong)} wrong: {wrong[:3]})")
    stable = [(i, r) for v in results.values() for i, r in v if REQUESTS[i][1] == REQUESTS[i][2]]
    check(all(r["decision"] == REQUESTS[i][1] for i, r in stable), f"stable requests never change ({len(stable)})")
    seen = {r["policy"] for v in results.values() for _, r in v}
    check(seen == {d1, d2}, "workers saw both versions")
    for t, v in results.items():  # versions move forward only, along the reloads
        runs = [r["policy"] for k, (_, r) in enumerate(v) if k == 0 or v[k - 1][1]["policy"] != r["policy"]]
        j, ok = 0, True
        for d in runs:
            while j < len(epochs) and epochs[j] != d:
                j += 1
            ok = ok and j < len(epochs)
        check(ok, f"worker {t}: policy versions follow the reload order ({len(runs)} runs)")
    print(f"  {total} requests from 4 threads during {len(steps)} reloads ({refused} refused)")
    srv.stop()
    recs = check_log_records(srv.log, "reload log")
    byid = {r["id"]: r for r in recs if r.get("type") == "decision" and isinstance(r.get("id"), str)}
    mism = [r for v in results.values() for _, r in v
            if byid.get(r["id"], {}).get("decision") != r["decision"]
            or byid.get(r["id"], {}).get("policy") != r["policy"]]
    check(len(byid) == total and not mism, f"a log record per reply, same decision and digest ({len(byid)}/{total})")
    errs = [r for r in recs if r.get("type") == "error"]
    check(any(re.search(r"policy\.scope:\d+:\d+: error", e["error"]) for e in errs),
          "the compile error names FILE:LINE:COL")
    check(any("verifier" in e["error"] for e in errs), "a truncated image is refused by the verifier")


def test_max_conns(tmp):
    pol = os.path.join(tmp, "m.scope")
    write_atomic(pol, V1)
    srv = Server(tmp, pol, "--max-conns", "1", name="conns")
    for _ in range(200):  # until the start-up probe's connection is gone
        a = Gateway(srv.sock)
        try:
            a.send_lines([json.dumps(Gateway.request("agent", "read", "docs.a", id=1)).encode()])
            r = a.read_reply()
            if r.get("id") == 1:
                break
        except GatewayError:
            r = {}
        a.close()
        time.sleep(0.01)
    check(r["decision"] == "allow", "first connection served")
    b = Gateway(srv.sock)
    r = b.read_reply()
    check(r["decision"] == "deny" and "too many" in r["error"], f"over --max-conns: deny and close ({r})")
    a.close()
    b.close()
    r = {}
    for _ in range(200):  # the slot frees once the connection thread has seen EOF
        try:
            with Gateway(srv.sock) as c:
                r = c.decide("agent", "read", "docs.a")
                break
        except GatewayError:
            time.sleep(0.01)
    check(r.get("decision") == "allow", "a slot frees when a client leaves")
    srv.stop()


def test_shadow(tmp):
    """A candidate that widens one thing: shadow records, never enforced, and
    scopec shadow-report counts them; the candidate hot-reloads too."""
    pol, cand = os.path.join(tmp, "enf.scope"), os.path.join(tmp, "cand.scope")
    write_atomic(pol, V1)
    widened = V1.replace("  allows post forum.help\n", "  allows post forum.help\n  allows write tmp.*\n")
    write_atomic(cand, widened)
    srv = Server(tmp, pol, "--shadow", cand, "--poll-ms", "50", name="shadow")
    n_widen = 0
    with Gateway(srv.sock) as gw:
        for k in range(5):
            reps = gw.decide_many([as_request(rq) for rq, _, _ in REQUESTS])
            check([r["decision"] for r in reps] == [a for _, a, _ in REQUESTS], "shadow mode enforces the old policy only")
            n_widen += 1
        start = len(srv.log.refresh())
        write_atomic(cand, V1)  # the candidate now equals the enforced policy
        srv.p.send_signal(signal.SIGHUP)
        r = srv.log.wait(lambda r: r.get("type") == "reload" and r.get("role") == "candidate"
                         and r.get("result") == "loaded", start)
        check(r is not None, "the candidate hot-reloads")
        gw.decide_many([as_request(rq) for rq, _, _ in REQUESTS])
    srv.stop()
    recs = check_log_records(srv.log, "shadow log")
    sh = [r for r in recs if r.get("type") == "shadow"]
    check(len(sh) == n_widen, f"one shadow record per disagreement ({len(sh)} of {n_widen})")
    check(all(r["action"] == "write" and r["change"] == "widen" and r["enforced"]["decision"] == "deny"
              and r["candidate"]["decision"] == "allow" and "allows write tmp.*" in r["candidate"]["explain"]
              and r["enforced"]["policy"] != r["candidate"]["policy"] for r in sh),
          "shadow records: both decisions, both deciding items, both digests")
    p = subprocess.run([SCOPEC, "shadow-report", "--format=json", srv.log.path], capture_output=True, text=True)
    check(p.returncode == 1, f"shadow-report exits 1 when they disagree (got {p.returncode}: {p.stderr})")
    rep = json.loads(p.stdout)
    g = rep["groups"]
    check(rep["disagreements"] == n_widen and rep["widen"] == n_widen and rep["narrow"] == 0,
          f"shadow-report counts {n_widen} widenings ({rep['disagreements']})")
    check(len(g) == 1 and g[0]["task"] == "agent" and g[0]["enforced"] == "deny" and g[0]["candidate"] == "allow"
          and g[0]["count"] == n_widen and g[0]["examples"][0]["request"] == "agent write tmp.a"
          and g[0]["examples"][0]["count"] == n_widen, f"grouped by task and change: {g}")
    p = subprocess.run([SCOPEC, "shadow-report", srv.log.path], capture_output=True, text=True)
    lines = p.stdout.splitlines()
    check("+ deny -> allow: agent write tmp.a    (5 times)" in lines, "text report: the example in eval syntax")
    check(not [l for l in lines if l.startswith(("+ ", "- ")) and "->" not in l], "only change lines start with +/-")
    empty = os.path.join(tmp, "none.log")
    write_atomic(empty, "\n".join(json.dumps(r) for r in recs if r.get("type") != "shadow") + "\nnot json\n")
    p = subprocess.run([SCOPEC, "shadow-report", empty], capture_output=True, text=True)
    check(p.returncode == 0 and "0 disagree" in p.stdout and "warning" in p.stderr,
          "no disagreement: exit 0; a bad line is a warning")
    p = subprocess.run([SCOPEC, "shadow-report", os.path.join(tmp, "missing.log")], capture_output=True)
    check(p.returncode == 2, "missing log: exit 2")


def test_suggest(tmp):
    """suggest: passes check and test, allows every logged request, denies
    unobserved siblings."""
    pol = os.path.join(tmp, "open.scope")
    write_atomic(pol, "task agent allows **\ntask writer allows **\ntask idle allows read nothing\n")
    seen = [("agent", "read", "forum.a.1"), ("agent", "read", "forum.a.2"), ("agent", "read", "forum.b.7"),
            ("agent", "read", "/srv/x/a"), ("agent", "read", "/srv/x/b/c"), ("agent", "post", "forum.help"),
            ("agent", "read", "docs.x.y"), ("agent", "read", "docs.z.y"), ("agent", "config.get", "svc.api"),
            ("writer", "write", "/tmp/out/1.csv"), ("writer", "write", "/tmp/out/2.csv"),
            ("writer", "write", 'a "quoted" name'), ("writer", "and", "task"), ("writer", "read", ""),
            ("writer", "read", "https://docs.example.com/a"), ("writer", "read", "https://docs.example.com/b")]
    unseen = [("agent", "read", "forum.b.1"), ("agent", "read", "forum.a.1.x"), ("agent", "read", "forum.c"),
              ("agent", "read", "/srv/y/a"), ("agent", "post", "forum.other"), ("agent", "config.set", "svc.api"),
              ("agent", "write", "forum.a.1"), ("writer", "write", "/tmp/out/1.txt"), ("writer", "read", "x"),
              ("agent", "read", "docs.x.z"), ("idle", "read", "nothing"), ("agent", "read", "secrets")]
    srv = Server(tmp, pol, name="learn")
    with Gateway(srv.sock) as gw:
        gw.decide_many([Gateway.request(t, a, r, {"k": "v"}) for t, a, r in seen * 2])
        gw.decide("idle", "read", "other")           # denied: not learnt by default
        gw.send_lines([b"junk"])
        gw.read_reply()
    srv.stop()
    out = os.path.join(tmp, "suggested.scope")
    p = subprocess.run([SCOPEC, "suggest", srv.log.path], capture_output=True, text=True)
    check(p.returncode == 0, f"suggest exits 0 ({p.returncode}: {p.stderr})")
    with open(out, "w") as f:
        f.write(p.stdout)
    for cmd in (["check", "--werror"], ["test"], ["fmt", "--check"]):
        r = subprocess.run([SCOPEC, *cmd, out], capture_output=True, text=True)
        check(r.returncode == 0, f"scopec {' '.join(cmd)} passes on the suggestion: {r.stderr}{r.stdout}")
    n_expect = p.stdout.count("\nexpect allow ")
    check(n_expect == len(seen), f"an expect per distinct observed request ({n_expect})")
    for want in ("read forum.a.*", "read /srv/x/**", "read forum.b.7", "write /tmp/out/*.csv",
                 "read https://docs.example.com/*", '"and" "task"', 'write "a \\"quoted\\" name"', 'read ""',
                 "config.get svc.api", "read docs.*.y"):
        check(want in p.stdout, f"suggestion contains {want!r}")
    check("task idle" not in p.stdout, "a task only seen denied is not suggested")
    reqs = "".join(json.dumps({"task": t, "action": a, "resource": r}) + "\n" for t, a, r in seen + unseen)
    e = subprocess.run([SCOPEC, "eval", "--json", out], input=reqs, capture_output=True, text=True)
    got = [json.loads(l)["decision"] for l in e.stdout.splitlines()]
    check(got[:len(seen)] == ["allow"] * len(seen), f"every logged request is allowed: {got[:len(seen)]}")
    check(got[len(seen):] == ["deny"] * len(unseen), f"unobserved siblings are denied: {got[len(seen):]}")
    p = subprocess.run([SCOPEC, "suggest", "--decisions=allow,deny", srv.log.path], capture_output=True, text=True)
    check(p.returncode == 0 and "task idle" in p.stdout and "expect allow idle read other" in p.stdout,
          "--decisions=allow,deny learns denied requests too")
    p = subprocess.run([SCOPEC, "suggest", "--decisions=ask", srv.log.path], capture_output=True, text=True)
    check(p.returncode == 1 and not p.stdout, "nothing to learn: exit 1, no output")
    p = subprocess.run([SCOPEC, "suggest", "--min=1", srv.log.path], capture_output=True, text=True)
    check(p.returncode == 2, "bad option: exit 2")
    p = subprocess.run([SCOPEC, "suggest", "--help"], capture_output=True, text=True)
    check(p.returncode == 0 and "PREFIX**" in p.stdout, "suggest --help documents the rules")


def test_suggest_rules(tmp):
    """The generalisation rules on small logs (one task, one action)."""
    cases = [
        (["forum.a.1", "forum.a.2"], ["forum.a.*"]),
        (["forum.a.1"], ["forum.a.1"]),
        (["/srv/x/a", "/srv/x/b/c"], ["/srv/x/**"]),
        (["/srv/x/a", "/srv/x/b"], ["/srv/x/*"]),
        (["a", "b"], ["a", "b"]),
        (["/a", "/b"], ["/a", "/b"]),
        (["forum.a.x", "forum.b.x"], ["forum.*.x"]),
        (["forum.a.1", "forum.a.2", "forum.b.3"], ["forum.a.*", "forum.b.3"]),
        (["forum.a", "forum.a.1"], ["forum.a", "forum.a.1"]),
        (["x.a.1", "x.a.2", "x.b.1", "x.b.2"], ["x.*.*"]),
        (["docs.a/b", "docs.c/d"], ["docs.a/b", "docs.c/d"]),
    ]
    for k, (res, want) in enumerate(cases):
        log = os.path.join(tmp, f"rule{k}.log")
        write_atomic(log, "".join(json.dumps({"type": "decision", "task": "t", "action": "read", "resource": r,
                                              "decision": "allow"}) + "\n" for r in res))
        p = subprocess.run([SCOPEC, "suggest", log], capture_output=True, text=True)
        m = re.search(r"^task t\n((?:  .*\n)+)", p.stdout, re.M)
        items = [l.strip().rstrip(",").split(" ", 1)[1] if l.strip().startswith("allows") else l.strip().rstrip(",")
                 for l in (m.group(1).splitlines() if m else [])]
        got = [i.split(" ", 1)[1] for i in items]
        check(got == want, f"suggest {res} -> {want} (got {got})")


def test_tool_calls(tmp):
    """A tool call is formed into requests by libscope-enforce: canonical
    paths (.. and symbolic links), URLs, arg.NAME attributes, one request per
    resource with the most restrictive decision; malformed calls are deny."""
    repo = os.path.realpath(tmp)
    os.makedirs(os.path.join(repo, "work", "pub"))
    os.symlink("/etc", os.path.join(repo, "work", "pub", "escape"))
    pol = os.path.join(tmp, "tools.scope")
    write_atomic(pol, f"""task agent
  allows read_file {repo}/work/**, fetch https://docs.example.com/**
  allows move_file {repo}/work/** when arg.force == "false"
  denies read_file {repo}/work/secret/**
""")
    def call(id, tool, args=None, cwd=None, **extra):
        rq = dict(id=id, task="agent", tool=tool, **extra)
        if args is not None:
            rq["arguments"] = args
        if cwd is not None:
            rq["cwd"] = cwd
        return json.dumps(rq)
    w = os.path.join(repo, "work")
    cases = [
        (call(1, "read_file", {"path": "pub/a.txt"}, cwd=w),
         {"id": 1, "decision": "allow", "resource": f"{w}/pub/a.txt", "requests": 1}),
        (call(2, "read_file", {"path": "pub/../../x"}, cwd=w),
         {"id": 2, "decision": "deny", "resource": f"{repo}/x"}),
        (call(3, "read_file", {"path": f"{w}/pub/escape/passwd"}),
         {"id": 3, "decision": "deny", "resource": "/etc/passwd"}),
        (call(4, "read_file", {"paths": [f"{w}/a", f"{w}/secret/k", f"{w}/b"]}),
         {"id": 4, "decision": "deny", "reason": "item", "resource": f"{w}/secret/k", "requests": 3}),
        (call(5, "fetch", {"url": "HTTPS://Docs.Example.COM:443/a/../b#x"}),
         {"id": 5, "decision": "allow", "resource": "https://docs.example.com/b"}),
        (call(6, "move_file", {"source": f"{w}/a", "destination": f"{w}/b", "force": False}),
         {"id": 6, "decision": "allow", "requests": 2}),
        (call(7, "move_file", {"source": f"{w}/a", "destination": f"{w}/b"}),
         {"id": 7, "decision": "deny"}),
        (call(8, "read_file", {"path": "relative"}), {"id": 8, "decision": "deny", "reason": "error"}),
        (call(9, "read_file", {"path": 7}, cwd=w), {"id": 9, "reason": "error"}),
        (call(10, "read_file", {"path": "a"}, cwd=w, action="read"), {"id": 10, "reason": "error"}),
        (call(11, "", {}), {"id": 11, "reason": "error"}),
        (call(12, "fetch", {"url": "not a url"}), {"id": 12, "reason": "error"}),
        (call(13, "read_file", {"path": f"{w}/a\u0000b"}), {"decision": "deny", "reason": "error"}),
        ('{"id":14,"task":"agent","tool":"read_file","arguments":[1]}', {"id": 14, "reason": "error"}),
        (call(15, "read_file", {"path": f"{w}/pub/x"}, cwd=7), {"id": 15, "reason": "error"}),
        (call(16, "list", cwd=w), {"id": 16, "decision": "deny", "reason": "default-deny", "resource": ""}),
    ]
    log = Log(os.path.join(tmp, "tools.log"))
    data = "".join(c + "\n" for c, _ in cases).encode()
    p = subprocess.run([GATEWAY, "--policy", pol, "--stdio", "--log", log.path, "--scopec", SCOPEC],
                       input=data, capture_output=True, timeout=30)
    check(p.returncode == 0, f"--stdio exits 0 (got {p.returncode}): {p.stderr[-300:]}")
    replies = [json.loads(l) for l in p.stdout.splitlines()]
    check(len(replies) == len(cases), f"one reply per tool call ({len(replies)} of {len(cases)})")
    for got, (line, want) in zip(replies, cases):
        for k, v in want.items():
            check(got.get(k) == v, f"tool call {line[:90]}: {k} = {got.get(k)!r}, want {v!r}")
    recs = [json.loads(l) for l in open(log.path)]
    moves = [r for r in recs if r.get("id") == 6 and r["type"] == "decision"]
    check(len(moves) == 2 and all(r["attributes"].get("arg.force") == "false" for r in moves),
          f"a move is two decision records carrying arg.force: {moves}")
    check(all(r.get("call_decision") for r in recs if r["type"] == "decision" and r.get("tool")),
          "each request record of a tool call says the call's decision")


def test_walkthrough(tmp):
    """The README walkthrough with client.py on the command line: decide,
    read the log, reload, shadow mode, shadow-report, suggest."""
    client = os.path.join(os.path.dirname(HERE), "client.py")
    pol, cand = os.path.join(tmp, "agent.scope"), os.path.join(tmp, "candidate.scope")
    write_atomic(pol, V1)
    write_atomic(cand, V2)
    srv = Server(tmp, pol, "--shadow", cand, name="walk")

    def cli(*args, stdin=None):
        return subprocess.run([sys.executable, client, "--socket", srv.sock, *args], input=stdin,
                              capture_output=True, text=True, timeout=20)

    p = cli("agent", "read", "docs.guide")
    check(p.returncode == 0 and re.match(r"^allow .*agent\.scope:\d+:\d+: allows read docs\.\*\*$", p.stdout),
          f"client.py: one request from the arguments ({p.stdout!r})")
    p = cli("--check", "agent", "comment", "forum.a", "channel=internal")
    check(p.returncode == 0 and p.stdout.startswith("allow "), f"client.py: KEY=VALUE attributes ({p.stdout!r})")
    p = cli("--check", stdin='agent post forum.help\nagent write tmp.a\nagent read "a b" k="x y"\n')
    out = p.stdout.splitlines()
    check(p.returncode == 1 and len(out) == 3 and out[0].startswith("allow ") and out[1].startswith("deny ")
          and out[2] == "deny no item allows this (default deny)", f"client.py: requests from stdin, --check ({out})")
    p = cli("--json", stdin='{"id":"a","task":"agent","action":"read","resource":"docs.x"}\nnot json\n')
    out = [json.loads(l) for l in p.stdout.splitlines()]
    check([o["decision"] for o in out] == ["allow", "deny"] and out[0]["id"] == "a" and "error" in out[1],
          "client.py --json: raw JSON Lines")
    p = subprocess.run([sys.executable, client, "--socket", os.path.join(tmp, "nothing.sock"), "a", "b"],
                       capture_output=True, text=True)
    check(p.returncode == 2, "client.py: no gateway, exit 2 (the caller must deny)")
    start = len(srv.log.refresh())
    write_atomic(pol, V2)
    srv.p.send_signal(signal.SIGHUP)
    check(srv.log.wait(lambda r: r.get("type") == "reload" and r.get("role") == "enforced"
                       and r.get("result") == "loaded", start) is not None, "walkthrough: reload on SIGHUP")
    p = cli("agent", "write", "tmp.a")
    check(p.stdout.startswith("allow "), "walkthrough: the reloaded policy decides")
    srv.stop()
    recs = check_log_records(srv.log, "walkthrough log")
    p = subprocess.run([SCOPEC, "shadow-report", srv.log.path], capture_output=True, text=True)
    check(p.returncode == 1 and "+ deny -> allow: agent write tmp.a" in p.stdout,
          "walkthrough: shadow-report shows the widening")
    p = subprocess.run([SCOPEC, "suggest", srv.log.path], capture_output=True, text=True)
    check(p.returncode == 0 and "task agent" in p.stdout, "walkthrough: suggest")
    check(sum(r.get("type") == "decision" for r in recs) == 8, "walkthrough: a decision record per request")


TESTS = [test_protocol, test_tool_calls, test_digest, test_policy_files, test_trusted_key, test_reload_under_load, test_max_conns, test_shadow, test_suggest,
         test_suggest_rules, test_walkthrough]


def main():
    global GATEWAY, SCOPEC
    ap = argparse.ArgumentParser()
    ap.add_argument("--gateway", required=True)
    ap.add_argument("--scopec", required=True)
    ap.add_argument("-k", help="run only tests whose name contains this")
    a = ap.parse_args()
    GATEWAY, SCOPEC = os.path.abspath(a.gateway), os.path.abspath(a.scopec)
    t0 = time.monotonic()
    for t in TESTS:
        if a.k and a.k not in t.__name__:
            continue
        before = FAILED
        with tempfile.TemporaryDirectory(prefix="scope-gw-") as tmp:
            start = time.monotonic()
            try:
                t(tmp)
            except Exception:  # noqa: BLE001
                check(False, f"{t.__name__} raised:\n{traceback.format_exc()}")
            finally:
                for srv in SERVERS:
                    if srv.p.poll() is None:
                        srv.p.kill()
                        srv.p.wait()
                SERVERS.clear()
            state = "ok" if FAILED == before else "FAILED"
            print(f"{t.__name__}: {state} ({time.monotonic() - start:.1f} s)", flush=True)
    print(f"gateway tests: {PASSED} checks passed, {FAILED} failed ({time.monotonic() - t0:.1f} s)")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
