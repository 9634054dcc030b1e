#!/usr/bin/env python3
"""Tests of scope-mcp in front of a fake stdio MCP server (make mcp-check).

python3 standard library only.  Each test starts its own proxy and fake
server (fake_server.py) in a temporary directory and drives the proxy's
stdin/stdout as the MCP client.  The fake server logs every message it
receives, so "never forwarded" is checked on the server's side.  Usage:

    test_mcp.py --mcp build/scope-mcp --scopec ./scopec [-k NAME]
"""
import argparse
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "fake_server.py")
MCP = SCOPEC = None
PASSED = FAILED = 0
PROCS = []

POLICY = """
task coder
  allows echo, crash, garbage, big, roots, flood
  allows read_file /tmp/**, read_file /srv/**
  asks   write_file /srv/drafts/**
  denies write_file /srv/private/**
  allows resources.read test://public/**
task admin
  allows **
"""


def check(cond, what):
    global PASSED, FAILED
    if cond:
        PASSED += 1
    else:
        FAILED += 1
        print(f"  FAIL: {what}", flush=True)
    return cond


class Proxy:
    """scope-mcp with the fake server behind it; we are the client."""

    def __init__(self, d, *opts, policy=POLICY, task="coder", env=None, server=None):
        self.dir = d
        self.policy = os.path.join(d, "p.scope")
        if policy is not None and not os.path.exists(self.policy):
            with open(self.policy, "w") as f:
                f.write(policy)
        self.log = os.path.join(d, "decisions.log")
        self.fake_log = os.path.join(d, "fake.log")
        e = dict(os.environ, FAKE_LOG=self.fake_log, SCOPEC=SCOPEC)
        e.update(env or {})
        cmd = [MCP, "--policy", self.policy, "--task", task, "--log", self.log, "--poll-ms", "50", *opts,
               "--", *(server or [sys.executable, FAKE])]
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=open(os.path.join(d, "stderr"), "wb"), env=e)
        PROCS.append(self.p)
        self.q = queue.Queue()
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()
        self.next_id = 1000

    def _read(self):
        try:
            for line in self.p.stdout:
                try:
                    self.q.put(json.loads(line))
                except ValueError:
                    self.q.put({"unparsable": line})
        except (OSError, ValueError):
            pass  # the test closed our end of the pipe
        self.q.put(None)

    def raw(self, data):
        self.p.stdin.write(data)
        self.p.stdin.flush()

    def send(self, msg):
        self.raw((json.dumps(msg) + "\n").encode())

    def recv(self, timeout=5):
        try:
            return self.q.get(timeout=timeout)
        except queue.Empty:
            return "timeout"

    def quiet(self, timeout=0.3):
        """Nothing arrives for TIMEOUT seconds."""
        return self.recv(timeout) == "timeout"

    def request(self, method, params=None, id=None):
        if id is None:
            self.next_id += 1
            id = self.next_id
        m = {"jsonrpc": "2.0", "id": id, "method": method}
        if params is not None:
            m["params"] = params
        self.send(m)
        return id

    def call(self, name, args=None, id=None):
        return self.request("tools/call", {"name": name, "arguments": args or {}}, id)

    def expect(self, pred, timeout=5):
        """The next message satisfying PRED (others are kept in order)."""
        end = time.time() + timeout
        held, found = [], None
        while time.time() < end:
            m = self.recv(max(0.01, end - time.time()))
            if m == "timeout" or m is None:
                break
            if pred(m):
                found = m
                break
            held.append(m)
        for m in held:
            self.q.put(m)
        return found

    def response(self, id, timeout=5):
        return self.expect(lambda m: isinstance(m, dict) and m.get("id") == id and "method" not in m, timeout)

    def initialize(self, elicitation=False):
        caps = {"elicitation": {}} if elicitation else {}
        i = self.request("initialize", {"protocolVersion": "2025-06-18", "capabilities": caps,
                                        "clientInfo": {"name": "test", "version": "1"}})
        r = self.response(i)
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return r

    def close(self, timeout=10):
        try:
            self.p.stdin.close()
        except OSError:
            pass
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            return "hung"

    def server_saw(self):
        if not os.path.exists(self.fake_log):
            return []
        with open(self.fake_log) as f:
            return [json.loads(line) for line in f if line.strip()]

    def calls_seen(self, name=None):
        return [m for m in self.server_saw() if isinstance(m, dict) and m.get("method") == "tools/call"
                and (name is None or m["params"]["name"] == name)]

    def records(self, type_="decision"):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            recs = [json.loads(line) for line in f if line.strip()]
        return [r for r in recs if type_ is None or r.get("type") == type_]

    def stderr(self):
        with open(os.path.join(self.dir, "stderr"), errors="replace") as f:
            return f.read()


def text_of(resp):
    try:
        return resp["result"]["content"][0]["text"]
    except (TypeError, KeyError, IndexError):
        return ""


def is_denied(resp):
    return bool(resp) and resp.get("result", {}).get("isError") is True and "denied by scope" in text_of(resp)


def error_code(resp):
    return (resp or {}).get("error", {}).get("code")


# ---- bad input --------------------------------------------------------------

def test_non_json(d):
    px = Proxy(d)
    px.initialize()
    px.raw(b"this is not json\n")
    r = px.recv()
    check(r != "timeout" and r.get("id") is None and error_code(r) == -32700, f"parse error -32700: {r}")
    px.raw(b'{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"echo"}\n')  # truncated JSON
    r = px.recv()
    check(error_code(r) == -32700 and r.get("id") is None, f"truncated JSON: {r}")
    i = px.call("echo", {"after": 1})
    check(json.loads(text_of(px.response(i)))["arguments"] == {"after": 1}, "the proxy still works after bad lines")
    check(not any("unparsable" in m for m in px.server_saw()), "nothing unparsable reached the server")
    check(len(px.calls_seen()) == 1, "only the good call reached the server")
    check(px.close() == 0, "clean exit")


def test_oversized_line(d):
    px = Proxy(d, "--max-line", "4096")
    px.initialize()
    big = json.dumps({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
                      "params": {"name": "echo", "arguments": {"x": "a" * 10000}}}).encode()
    px.raw(big[:3000])
    time.sleep(0.05)
    px.raw(big[3000:6000])  # over the limit before its newline: refused now
    r = px.recv()
    check(error_code(r) == -32700 and r.get("id") is None and "longer than" in r["error"]["message"],
          f"oversized line refused with -32700: {r}")
    px.raw(big[6000:] + b"\n")  # the rest of it is discarded, not taken as a new message
    i = px.call("echo", {"small": True})
    r = px.response(i)
    check(r and json.loads(text_of(r))["arguments"] == {"small": True}, f"next message works: {r}")
    check(px.quiet(), "nothing else came out of the discarded rest")
    # one more, arriving whole with its newline
    px.raw(big + b"\n")
    r = px.recv()
    check(error_code(r) == -32700, f"whole oversized line: {r}")
    check(len(px.calls_seen()) == 1 and px.calls_seen()[0]["params"]["arguments"] == {"small": True},
          "no oversized call reached the server")
    check(px.close() == 0, "clean exit")


def test_batch(d):
    px = Proxy(d)
    px.initialize()
    px.send([{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "echo", "arguments": {}}},
             {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
              "params": {"name": "write_file", "arguments": {"path": "/srv/private/x"}}},
             {"jsonrpc": "2.0", "method": "notifications/progress", "params": {}},
             {"jsonrpc": "2.0", "id": 3, "method": "ping"}])
    r = px.recv()
    check(isinstance(r, list) and sorted(e.get("id") for e in r) == [1, 2, 3] and
          all(error_code(e) == -32600 for e in r), f"each request of the batch refused: {r}")
    px.send([])
    r = px.recv()
    check(isinstance(r, dict) and error_code(r) == -32600 and r.get("id") is None, f"empty batch: {r}")
    check(px.quiet(), "nothing more")
    check(px.calls_seen() == [] and not any(isinstance(m, list) for m in px.server_saw()),
          "no batch element reached the server")
    px.close()


def test_malformed_requests(d):
    px = Proxy(d)
    px.initialize()
    cases = [
        ({"jsonrpc": "2.0", "id": 1, "method": "tools/call"}, -32602, "no params"),
        ({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"arguments": {}}}, -32602, "no name"),
        ({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": 7}}, -32602, "name not a string"),
        ({"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"name": ""}}, -32602, "empty name"),
        ({"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {"name": "echo", "arguments": [1]}},
         -32602, "arguments an array"),
        ({"jsonrpc": "2.0", "id": 6, "method": "tools/call", "params": {"name": "echo", "arguments": "x"}},
         -32602, "arguments a string"),
        ({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "ec\u0000ho"}}, -32602,
         "NUL in the name"),
        ({"jsonrpc": "2.0", "id": 8, "method": "tools/call", "params": []}, -32602, "params an array"),
        ({"id": 9, "method": "tools/call", "params": {"name": "echo"}}, -32600, "no jsonrpc"),
        ({"jsonrpc": "1.0", "id": 10, "method": "tools/call", "params": {"name": "echo"}}, -32600, "jsonrpc 1.0"),
        ({"jsonrpc": "2.0", "id": {"a": 1}, "method": "tools/call", "params": {"name": "echo"}}, -32600,
         "id an object"),
        ({"jsonrpc": "2.0", "id": 12, "method": 5}, -32600, "method a number"),
        ({"jsonrpc": "2.0", "id": 13}, -32600, "neither request nor response"),
        ({"jsonrpc": "2.0", "id": 14, "method": "resources/read", "params": {}}, -32602, "read without uri"),
        ({"jsonrpc": "2.0", "id": 15, "method": "tools/call",
          "params": {"name": "read_file", "arguments": {"path": 5}}}, None, "path not a string: deny"),
    ]
    for msg, code, what in cases:
        px.send(msg)
        r = px.recv()
        if code is None:
            check(is_denied(r), f"{what}: {r}")
        else:
            want_id = msg.get("id") if isinstance(msg.get("id"), (int, str)) else None
            check(r != "timeout" and error_code(r) == code and r.get("id") == want_id, f"{what}: {r}")
    # a call without an id cannot be refused, so it is never forwarded
    px.send({"jsonrpc": "2.0", "method": "tools/call", "params": {"name": "echo", "arguments": {}}})
    # duplicate keys: the server's parser might read the other name
    px.raw(b'{"jsonrpc":"2.0","id":20,"method":"tools/call","params":{"name":"echo","name":"write_file",'
           b'"arguments":{"path":"/srv/private/k"}}}\n')
    r = px.recv()
    check(error_code(r) == -32700, f"duplicate keys refused: {r}")
    check(px.quiet(), "the notification call got no answer")
    check(px.calls_seen() == [], f"no malformed call reached the server: {px.calls_seen()}")
    check(px.close() == 0, "clean exit")


# ---- faults -----------------------------------------------------------------

def test_server_exits_mid_call(d):
    px = Proxy(d)
    px.initialize()
    slow = px.call("echo", {"delay_ms": 3000})
    time.sleep(0.2)
    crash = px.call("crash", {"status": 7})
    got = {}
    for _ in range(2):
        r = px.recv()
        if isinstance(r, dict):
            got[r.get("id")] = r
    check(error_code(got.get(slow)) == -32603 and "exited" in got[slow]["error"]["message"],
          f"the pending call got an error: {got.get(slow)}")
    check(error_code(got.get(crash)) == -32603, f"the crashing call got an error: {got.get(crash)}")
    rc = px.close()
    check(rc == 7, f"exit status relayed: {rc}")


def test_server_exit_status_after_eof(d):
    px = Proxy(d, env={"FAKE_EXIT": "5"})
    px.initialize()
    check(px.close() == 5, "the server's exit status after the client's EOF")
    px = Proxy(os.path.join(d), server=["/bin/sh", "-c", "kill -TERM $$"])
    rc = px.close()
    check(rc == 128 + signal.SIGTERM, f"killed by a signal: 128+N ({rc})")
    px = Proxy(d, server=[os.path.join(d, "no-such-server")])
    check(px.close() == 127, "a server that cannot start: 127")


def test_server_garbage(d):
    px = Proxy(d)
    px.initialize()
    slow = px.call("echo", {"delay_ms": 1500})
    time.sleep(0.2)
    g = px.call("garbage")
    got = {}
    for _ in range(2):
        r = px.recv(3)
        if isinstance(r, dict):
            got[r.get("id")] = r
    check(error_code(got.get(g)) == -32603 and error_code(got.get(slow)) == -32603,
          f"pending calls end with errors: {got}")
    i = px.call("echo", {"later": 1})
    r = px.response(i)
    check(r and "result" in r, f"the proxy keeps relaying valid messages: {r}")
    check("not JSON-RPC" in px.stderr(), "stderr says why")
    check(px.close() == 0, "clean exit")


def test_client_gone(d):
    pol = os.path.join(d, "p.scope")
    with open(pol, "w") as f:
        f.write(POLICY)
    p = subprocess.Popen([MCP, "--policy", pol, "--task", "coder", "--", sys.executable, FAKE],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         env=dict(os.environ, SCOPEC=SCOPEC))
    PROCS.append(p)
    p.stdout.close()  # nobody reads the proxy's output: its writes fail with EPIPE (SIGPIPE is ignored)
    try:
        for k in range(50):
            p.stdin.write((json.dumps({"jsonrpc": "2.0", "id": k, "method": "tools/call",
                                       "params": {"name": "big", "arguments": {"size": 10000}}}) + "\n").encode())
        p.stdin.flush()
        p.stdin.close()
    except BrokenPipeError:
        pass  # the proxy may already have stopped reading
    try:
        rc = p.wait(15)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = "hung"
    check(rc == 0, f"the proxy did not die of SIGPIPE and ended with the server: {rc}")


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_slow_client(d):
    px = Proxy(d)
    px.initialize()
    base = rss_kb(px.p.pid)
    px.t_paused = True
    # the reader thread keeps reading: stop it by not consuming from the pipe.  We
    # cannot pause a thread, so use a proxy whose stdout we read ourselves, later.
    px.close()
    p = subprocess.Popen([MCP, "--policy", px.policy, "--task", "coder", "--", sys.executable, FAKE],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         env=dict(os.environ, SCOPEC=SCOPEC))
    PROCS.append(p)
    n, size = 300, 100000  # 30 MB of notifications while the client reads nothing
    p.stdin.write((json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                               "params": {"name": "flood", "arguments": {"n": n, "size": size}}}) + "\n").encode())
    p.stdin.flush()
    time.sleep(2.5)
    peak = rss_kb(p.pid)
    check(peak - base < 16000, f"the proxy buffers a bounded amount for a client that does not read: "
                               f"{base} kB -> {peak} kB")
    seen, done = 0, False
    for line in p.stdout:
        m = json.loads(line)
        if m.get("method") == "notifications/message":
            check(len(m["params"]["data"]) == size and m["params"]["k"] == seen, "in order and whole") \
                if seen % 50 == 0 else None
            seen += 1
        elif m.get("id") == 1:
            done = True
            break
    check(seen == n and done, f"everything arrives once the client reads: {seen}/{n}, answered {done}")
    p.stdin.close()
    check(p.wait(10) == 0, "clean exit")


# ---- ids ---------------------------------------------------------------------

def test_concurrent_out_of_order(d):
    px = Proxy(d)
    px.initialize()
    import random
    rnd = random.Random(7)
    ids = {}
    for k in range(200):
        i = px.call("echo", {"k": k, "delay_ms": rnd.randint(0, 300)}, id=f"req-{k}" if k % 2 else k)
        ids[i] = k
    got, order = {}, []
    while len(got) < 200:
        r = px.recv(10)
        if not isinstance(r, dict):
            break
        got[r.get("id")] = r
        order.append(r.get("id"))
    ok = all(i in got and json.loads(text_of(got[i]))["arguments"]["k"] == k for i, k in ids.items())
    check(len(got) == 200 and ok, f"200 concurrent calls each answered with its own result ({len(got)})")
    check(order != list(ids), "they really came back out of order")
    sids = [m["id"] for m in px.calls_seen()]
    check(len(set(sids)) == 200 and all(isinstance(s, int) for s in sids),
          "the server saw 200 distinct proxy ids")
    check(px.close() == 0, "clean exit")


def test_id_collisions(d):
    px = Proxy(d)
    px.initialize(elicitation=True)
    # the client reuses an id for two calls in flight: both answers come back
    px.call("echo", {"n": 1, "delay_ms": 300}, id=1)
    px.call("echo", {"n": 2}, id=1)
    a, b = px.recv(), px.recv()
    ns = sorted(json.loads(text_of(r))["arguments"]["n"] for r in (a, b) if isinstance(r, dict))
    check(ns == [1, 2] and a["id"] == 1 and b["id"] == 1, f"both calls with id 1 answered: {a} {b}")
    # an ask waits for the human while the server asks the client something with
    # an id that looks like the proxy's own
    ask = px.call("write_file", {"path": "/srv/drafts/a"}, id="scope-mcp-1")
    el = px.expect(lambda m: m.get("method") == "elicitation/create")
    check(el is not None, "an elicitation for the ask")
    roots = px.call("roots", {"id": "scope-mcp-1"})
    sreq = px.expect(lambda m: m.get("method") == "roots/list")
    check(sreq is not None and sreq["id"] != el["id"], f"the server's request got its own id: {sreq} vs {el}")
    px.send({"jsonrpc": "2.0", "id": sreq["id"], "result": {"roots": [{"uri": "file:///r"}]}})
    r = px.response(roots)
    check(r and json.loads(text_of(r)).get("id") == "scope-mcp-1" and
          json.loads(text_of(r))["result"]["roots"][0]["uri"] == "file:///r",
          f"the server got the answer under its own id: {r}")
    # a response to an id the proxy never used goes nowhere
    px.send({"jsonrpc": "2.0", "id": 999999, "result": {"action": "accept", "content": {"approve": True}}})
    px.send({"jsonrpc": "2.0", "id": "scope-mcp-1", "result": {"action": "accept", "content": {"approve": True}}})
    check(px.quiet(0.3) and px.calls_seen("write_file") == [], "stray responses approve nothing")
    # the real answer approves
    px.send({"jsonrpc": "2.0", "id": el["id"], "result": {"action": "accept", "content": {"approve": True}}})
    r = px.response(ask)
    check(r and "result" in r and not r["result"].get("isError"), f"approved call answered: {r}")
    check(len(px.calls_seen("write_file")) == 1, "and it reached the server once")
    # the server answering an id it was never sent is dropped
    check(px.close() == 0, "clean exit")


# ---- asks ----------------------------------------------------------------------

def test_ask_answers(d):
    px = Proxy(d)
    px.initialize(elicitation=True)
    answers = [({"action": "decline"}, False), ({"action": "cancel"}, False),
               ({"action": "accept", "content": {"approve": False}}, False),
               ({"action": "accept", "content": {}}, False),
               ({"action": "accept", "content": {"approve": "true"}}, False),
               (None, False),  # an error response
               ({"action": "accept", "content": {"approve": True}}, True)]
    for k, (ans, ok) in enumerate(answers):
        i = px.call("write_file", {"path": f"/srv/drafts/{k}"})
        el = px.expect(lambda m: m.get("method") == "elicitation/create")
        if not check(el is not None, "elicitation sent"):
            break
        p = el["params"]
        check(p["requestedSchema"]["properties"]["approve"]["type"] == "boolean" and
              "coder" in p["message"] and "write_file" in p["message"] and f"/srv/drafts/{k}" in p["message"] and
              "asks write_file /srv/drafts/**" in p["message"], f"the question names task, call, item: {p}")
        if ans is None:
            px.send({"jsonrpc": "2.0", "id": el["id"], "error": {"code": -1, "message": "no"}})
        else:
            px.send({"jsonrpc": "2.0", "id": el["id"], "result": ans})
        r = px.response(i)
        if ok:
            check(r and not r["result"].get("isError"), f"approved: forwarded: {r}")
        else:
            check(is_denied(r) and "approval" in text_of(r) and "not given" in text_of(r), f"{ans}: deny {r}")
    seen = [m["params"]["arguments"]["path"] for m in px.calls_seen("write_file")]
    check(seen == [f"/srv/drafts/{len(answers) - 1}"], f"only the approved call reached the server: {seen}")
    # a question cut inside a multi-byte character is still valid JSON text
    i = px.call("write_file", {"path": "/srv/drafts/u", "content": "\u00e9" * 3000})
    el = px.expect(lambda m: m.get("method") == "elicitation/create")
    check(el is not None and "..." in el["params"]["message"], "a long non-ASCII call is still asked about")
    if el:
        px.send({"jsonrpc": "2.0", "id": el["id"], "result": {"action": "decline"}})
    check(is_denied(px.response(i)), "and declined")
    results = [r["result"] for r in px.records("approval")]
    check("declined" in results and "approved" in results and "timeout" not in results, f"approval records {results}")
    px.close()


def test_ask_without_capability(d):
    px = Proxy(d)
    px.initialize(elicitation=False)
    i = px.call("write_file", {"path": "/srv/drafts/x"})
    r = px.response(i)
    check(is_denied(r) and "cannot be asked" in text_of(r), f"no capability: deny: {r}")
    px.close()
    px = Proxy(d)
    i = px.request("initialize", {"protocolVersion": "2025-11-25", "capabilities": {"elicitation": {"url": {}}},
                                  "clientInfo": {"name": "t", "version": "1"}})
    px.response(i)
    i = px.call("write_file", {"path": "/srv/drafts/x"})
    check(is_denied(px.response(i)), "URL-mode elicitation only: cannot ask with a form: deny")
    check(px.calls_seen() == [], "nothing reached the server")
    px.close()


def test_ask_timeout(d):
    # (timings with room for a loaded machine: the point is the order, the
    # other call answered before the ask times out, and a deny at the end)
    px = Proxy(d, "--ask-timeout", "2")
    px.initialize(elicitation=True)
    t0 = time.time()
    i = px.call("write_file", {"path": "/srv/drafts/t"})
    el = px.expect(lambda m: m.get("method") == "elicitation/create")
    check(el is not None, "asked")
    # other calls keep flowing while the human thinks
    j = px.call("echo", {"meanwhile": 1})
    r = px.response(j, 1.8)
    check(r and "result" in r and time.time() - t0 < 1.9, "another call answered while the ask waits")
    r = px.response(i, 8)
    dt = time.time() - t0
    check(is_denied(r) and "no answer within" in text_of(r) and 1.9 < dt < 8, f"timeout: deny after {dt:.2f}s: {r}")
    c = px.expect(lambda m: m.get("method") == "notifications/cancelled", 1)
    check(c and c["params"]["requestId"] == el["id"], f"the client is told the elicitation is void: {c}")
    px.send({"jsonrpc": "2.0", "id": el["id"], "result": {"action": "accept", "content": {"approve": True}}})
    check(px.quiet(0.4) and px.calls_seen("write_file") == [], "a late approval lets nothing through")
    check("timeout" in [r["result"] for r in px.records("approval")], "approval record: timeout")
    px.close()


def test_cancel_waiting_ask(d):
    px = Proxy(d)
    px.initialize(elicitation=True)
    i = px.call("write_file", {"path": "/srv/drafts/c"}, id="call-1")
    el = px.expect(lambda m: m.get("method") == "elicitation/create")
    px.send({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": i, "reason": "user"}})
    c = px.expect(lambda m: m.get("method") == "notifications/cancelled", 1)
    check(c and c["params"]["requestId"] == el["id"], "our elicitation is withdrawn from the client")
    px.send({"jsonrpc": "2.0", "id": el["id"], "result": {"action": "accept", "content": {"approve": True}}})
    check(px.quiet(0.5), "the cancelled call is answered nothing further")
    check(px.calls_seen("write_file") == [] and
          not any(m.get("method") == "notifications/cancelled" for m in px.server_saw()),
          "nothing reached the server")
    # a cancellation of a forwarded call reaches the server under the proxy's id
    j = px.call("echo", {"delay_ms": 500}, id="slow")
    time.sleep(0.2)
    px.send({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": j}})
    time.sleep(0.2)
    sid = [m["id"] for m in px.calls_seen("echo")][-1]
    fwd = [m for m in px.server_saw() if m.get("method") == "notifications/cancelled"]
    check(len(fwd) == 1 and fwd[0]["params"]["requestId"] == sid, f"cancel mapped to the server's id: {fwd}")
    px.close()


# ---- the task, decisions, the log -------------------------------------------------

def test_task_cannot_change(d):
    px = Proxy(d)
    i = px.request("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                  "clientInfo": {"name": "admin", "version": "1"}, "task": "admin"})
    px.response(i)
    tries = [
        {"name": "write_file", "arguments": {"path": "/srv/private/a", "task": "admin"}},
        {"name": "write_file", "arguments": {"path": "/srv/private/a"}, "task": "admin"},
        {"name": "write_file", "arguments": {"path": "/srv/private/a"}, "_meta": {"task": "admin"}},
        {"name": "write_file", "arguments": {"path": "/srv/private/a"}, "task": {"ttl": 1000}},
        {"name": "admin.write_file", "arguments": {"path": "/srv/private/a"}},
        {"name": "delete_everything", "arguments": {}},
    ]
    for params in tries:
        r = px.response(px.request("tools/call", params))
        check(is_denied(r), f"denied whatever the call says: {params}: {r}")
    recs = px.records()
    check(recs and all(r["task"] == "coder" for r in recs), "every decision was for task coder")
    check(px.calls_seen() == [], "nothing reached the server")
    px.close()


def test_decisions_and_canonical_paths(d):
    px = Proxy(d)
    px.initialize()
    r = px.response(px.call("read_file", {"path": "/tmp/../srv/notes/a"}))
    check(r and not r["result"].get("isError"), f"allowed (canonical /srv/notes/a): {r}")
    r = px.response(px.call("write_file", {"path": "/srv/drafts/../private/b"}))
    check(is_denied(r) and "p.scope:6:10: denies write_file /srv/private/**" in text_of(r) and
          "/srv/private/b" in text_of(r), f"deny names FILE:LINE:COL and the item: {text_of(r)}")
    r = px.response(px.call("read_file", {"path": "/etc/shadow"}))
    check(is_denied(r) and "no item allows this" in text_of(r), f"default deny says why: {text_of(r)}")
    # several resources: the most restrictive wins
    r = px.response(px.call("read_file", {"paths": ["/srv/a", "/etc/b"]}))
    check(is_denied(r), "paths: one denied element denies the call")
    r = px.response(px.call("read_file", {"source": "/srv/a", "destination": "/tmp/b"}))
    check(r and not r["result"].get("isError"), "source and destination both allowed")
    # a relative path: the base the server resolves it against is unknown
    for rel in ("srv/a", "./a", "", "../srv/a", "~x/a"):
        r = px.response(px.call("read_file", {"path": rel}))
        check(is_denied(r) and "relative path" in text_of(r), f"relative path {rel!r} denied: {text_of(r)}")
    r = px.response(px.call("read_file", {"paths": ["/srv/a", "b"]}))
    check(is_denied(r), "a relative element of paths denies the call")
    # a missing non-ASCII name could be a Unicode-equivalent spelling of an existing file
    os.makedirs(os.path.join(d, "caf\u00e9"))
    real = os.path.realpath(d)
    r = px.response(px.call("read_file", {"path": real + "/cafe\u0301/x"}))
    check(is_denied(r) and "Unicode" in text_of(r), f"NFD spelling of a missing name: deny: {text_of(r)}")
    r = px.response(px.call("read_file", {"path": real + "/caf\u00e9/new"}))
    check(r and not r["result"].get("isError") or not real.startswith("/tmp/"),
          f"existing non-ASCII names are fine: {text_of(r)}")
    check(len(px.calls_seen("write_file")) == 0 and len(px.calls_seen("read_file")) == 3,
          "only the allowed calls reached the server")
    px.close()
    px = Proxy(d, "--base", "/srv/notes")
    px.initialize()
    r = px.response(px.call("read_file", {"path": "../x/a"}))
    check(r and not r["result"].get("isError") and px.records()[-1]["resource"] == "/srv/x/a",
          f"--base: relative paths resolved against it: {px.records()[-1:]}")
    r = px.response(px.call("read_file", {"path": "../../etc/a"}))
    check(is_denied(r), "--base: and decided where they land")
    px.close()


def test_resources_read(d):
    px = Proxy(d, "--name", "fs", policy=POLICY.replace("allows resources.read", "allows fs.resources.read"))
    px.initialize()
    r = px.response(px.request("resources/read", {"uri": "TEST://public/a/../b"}))
    check(r and r.get("result", {}).get("contents", [{}])[0].get("uri") == "TEST://public/a/../b",
          f"allowed read forwarded unchanged: {r}")
    r = px.response(px.request("resources/read", {"uri": "test://secret/x"}))
    check(error_code(r) == -32001 and "denied by scope" in r["error"]["message"], f"denied read: {r}")
    rec = [x for x in px.records() if x.get("method") == "resources/read"]
    check(len(rec) == 2 and rec[0]["action"] == "fs.resources.read" and rec[0]["resource"] == "test://public/b",
          f"decided as fs.resources.read on the canonical URL: {rec[:1]}")
    # tools are actions SERVER.T with --name
    r = px.response(px.call("echo"))
    check(is_denied(r) and "'fs.echo'" in text_of(r), f"--name: action fs.echo: {text_of(r)}")
    px.close()


def test_tools_list_filter(d):
    pol = """
task coder
  allows echo, read_file /srv/**
  asks   write_file /srv/**
  allows big when size < 100
  allows flood /x/**
  denies flood **
  allows garbage /a/**
  denies garbage /a/b
task * allows roots
"""
    px = Proxy(d, policy=pol)
    px.initialize()
    r = px.response(px.request("tools/list"))
    names = [t["name"] for t in r["result"]["tools"]]
    check(sorted(names) == sorted(["echo", "read_file", "write_file", "big", "garbage", "roots"]),
          f"visible: allowed, asked, conditional, partly denied; hidden: never granted ({names})")
    # reload: the list changes and the client is told
    with open(px.policy + ".new", "w") as f:
        f.write("task coder allows echo\n")
    os.rename(px.policy + ".new", px.policy)
    n = px.expect(lambda m: m.get("method") == "notifications/tools/list_changed", 3)
    check(n is not None, "notifications/tools/list_changed after a reload")
    r = px.response(px.request("tools/list"))
    check([t["name"] for t in r["result"]["tools"]] == ["echo"], f"the new policy's list: {r}")
    px.close()


def test_reload(d):
    px = Proxy(d)
    px.initialize()
    check(is_denied(px.response(px.call("write_file", {"path": "/srv/x"}))), "denied before")
    with open(px.policy + ".new", "w") as f:
        f.write(POLICY.replace("asks   write_file /srv/drafts/**", "allows write_file /srv/x"))
    os.rename(px.policy + ".new", px.policy)
    time.sleep(0.6)
    r = px.response(px.call("write_file", {"path": "/srv/x"}))
    check(r and not r["result"].get("isError"), f"allowed after the file changed: {r}")
    with open(px.policy, "w") as f:
        f.write("task coder allows ((( nonsense\n")
    px.p.send_signal(signal.SIGHUP)
    time.sleep(0.6)
    r = px.response(px.call("write_file", {"path": "/srv/x"}))
    check(r and not r["result"].get("isError"), "a bad policy is refused: the old one stays")
    errs = px.records("error")
    check(errs and errs[-1]["event"] == "reload" and "p.scope" in errs[-1]["error"], f"the log says so: {errs}")
    check("refused" in px.stderr(), "and stderr")
    px.close()


def wait_records(px, type_, n, timeout=5):
    """The records of TYPE_ once there are more than N of them."""
    end = time.time() + timeout
    while time.time() < end:
        recs = px.records(type_)
        if len(recs) > n:
            return recs
        time.sleep(0.02)
    return px.records(type_)


def test_trusted_key(d):
    """--trusted-key: only policies signed by the key load; a refused reload
    (unsigned, another key, source) leaves the old policy in force."""
    keys = {}
    for name in ("ci", "other"):
        out = subprocess.run([SCOPEC, "keygen", "--out", os.path.join(d, name)], capture_output=True,
                             text=True, check=True).stdout
        keys[name] = (os.path.join(d, name + ".pem"), os.path.join(d, name + ".pub.pem"), out.split()[1].rstrip(":"))
    images = {}
    for name, text in (("a", POLICY), ("b", POLICY.replace("asks   write_file /srv/drafts/**",
                                                           "allows write_file /srv/x"))):
        src = os.path.join(d, name + ".scope")
        with open(src, "w") as f:
            f.write(text)
        subprocess.run([SCOPEC, "compile", src, "-o", os.path.join(d, name + ".scopec")], check=True)
        with open(os.path.join(d, name + ".scopec"), "rb") as f:
            images[name] = f.read()
        for k in keys:
            out = os.path.join(d, f"{name}.{k}")
            subprocess.run([SCOPEC, "sign", os.path.join(d, name + ".scopec"), "--key", keys[k][0], "-o", out],
                           check=True, capture_output=True)
            with open(out, "rb") as f:
                images[f"{name}.{k}"] = f.read()
    pol = os.path.join(d, "p.scope")

    def put(data):
        with open(pol + ".new", "wb") as f:
            f.write(data)
        os.rename(pol + ".new", pol)

    put(images["a.ci"])
    px = Proxy(d, "--trusted-key", keys["ci"][1], policy=None)
    px.initialize()
    check(is_denied(px.response(px.call("write_file", {"path": "/srv/x"}))), "the signed policy decides")
    loads = px.records("reload")
    check(loads and loads[0].get("signed_by") == keys["ci"][2], f"reload record names the signer: {loads}")
    for what, data, why in (("another key's signature", images["b.other"], "signed by key " + keys["other"][2]),
                            ("an unsigned image", images["b"], "image is not signed"),
                            ("a source policy", POLICY.encode(), "not a signed bytecode image")):
        n = len(px.records("error"))
        put(data)
        px.p.send_signal(signal.SIGHUP)
        errs = wait_records(px, "error", n)
        check(len(errs) > n and errs[-1]["event"] == "reload" and why in errs[-1]["error"],
              f"{what}: refused, the error record says why ({why!r}): {errs[-1:]}")
        r = px.response(px.call("write_file", {"path": "/srv/x"}))
        check(is_denied(r), f"{what}: the old policy stays in force")
    check(not px.calls_seen("write_file"), "nothing denied reached the server")
    n = len(px.records("reload"))
    put(images["b.ci"])
    px.p.send_signal(signal.SIGHUP)
    loads = wait_records(px, "reload", n)
    check(len(loads) > n and loads[-1]["result"] == "loaded" and loads[-1].get("signed_by") == keys["ci"][2],
          f"signed by the trusted key: hot-swapped in ({loads[-1:]})")
    r = px.response(px.call("write_file", {"path": "/srv/x"}))
    check(r and not r["result"].get("isError"), f"the new signed policy decides: {r}")
    px.close()
    for what, data in (("unsigned", images["a"]), ("other key", images["a.other"]), ("source", POLICY.encode())):
        put(data)
        p = subprocess.run([MCP, "--policy", pol, "--task", "coder", "--trusted-key", keys["ci"][1], "--",
                            sys.executable, FAKE], input=b"", capture_output=True, timeout=10,
                           env=dict(os.environ, SCOPEC=SCOPEC, FAKE_LOG=os.path.join(d, "never.log")))
        check(p.returncode == 2 and b"refused" in p.stderr, f"start with a {what} policy: exit 2 ({p.stderr[-200:]})")
    p = subprocess.run([MCP, "--policy", pol, "--task", "coder", "--trusted-key", keys["ci"][0], "--", "true"],
                       capture_output=True, timeout=10)
    check(p.returncode == 2 and b"not an Ed25519 public key" in p.stderr, "a private key is not a trusted key")


def test_log_suggest_shadow(d):
    cand = os.path.join(d, "cand.scope")
    with open(cand, "w") as f:
        f.write("task coder\n  allows fs.echo, fs.read_file /srv/**, fs.write_file /srv/private/**\n")
    px = Proxy(d, "--shadow", cand, "--name", "fs",
               policy=POLICY.replace("allows echo", "allows fs.echo").replace("read_file", "fs.read_file")
               .replace("write_file", "fs.write_file"))
    px.initialize()
    for args in ({"path": "/srv/a/1.txt"}, {"path": "/srv/a/2.txt"}):
        px.response(px.call("read_file", args))
    px.response(px.call("echo", {"x": "y"}, id="e1"))
    px.response(px.call("write_file", {"path": "/srv/private/z"}))
    px.close()
    recs = px.records()
    check(len(recs) == 4 and all(r.get("tool") and r.get("server") == "fs" and "jsonrpc_id" in r for r in recs),
          f"decision records carry tool, server, jsonrpc_id: {recs[:1]}")
    want = {"type", "time", "id", "task", "action", "resource", "attributes", "decision", "reason", "item",
            "location", "explain", "policy"}
    check(all(want <= set(r) for r in recs), "every field of the gateway's decision record")
    check(recs[2]["attributes"] == {"arg.x": "y"} and recs[2]["id"] == "e1", "attributes arg.NAME, the id")
    sh = subprocess.run([SCOPEC, "shadow-report", px.log], capture_output=True, text=True)
    check(sh.returncode == 1 and "1 disagree" in sh.stdout and "+ deny -> allow: coder fs.write_file /srv/private/z"
          in sh.stdout, f"shadow-report reads the log: {sh.stdout}{sh.stderr}")
    shadows = px.records("shadow")
    check(len(shadows) == 1 and shadows[0]["change"] == "widen" and shadows[0]["tool"] == "write_file",
          f"one shadow record: {shadows}")
    sh2 = subprocess.run([SCOPEC, "shadow-report", "--format=json", px.log], capture_output=True, text=True)
    check(sh2.returncode == 1 and sh2.stderr == "", f"shadow-report: no warnings: {sh2.stderr}")
    sg = subprocess.run([SCOPEC, "suggest", px.log], capture_output=True, text=True)
    check(sg.returncode == 0 and "fs.read_file /srv/a/*.txt" in sg.stdout and "fs.echo" in sg.stdout and
          sg.stderr == "", f"suggest reads the log: {sg.stdout}{sg.stderr}")
    path = os.path.join(d, "suggested.scope")
    with open(path, "w") as f:
        f.write(sg.stdout)
    t = subprocess.run([SCOPEC, "test", path], capture_output=True, text=True)
    check(t.returncode == 0, f"its expects pass: {t.stdout}{t.stderr}")


def test_log_failure_denies(d):
    px = Proxy(d)
    px.initialize()
    os.chmod(d, 0o755)
    # make the log unwritable mid-run: replace it by a directory cannot affect the open
    # fd, so use /dev/full through a symlinked log path instead
    px.close()
    logp = os.path.join(d, "full.log")
    os.symlink("/dev/full", logp)
    p = subprocess.Popen([MCP, "--policy", px.policy, "--task", "coder", "--log", logp, "--",
                          sys.executable, FAKE], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, env=dict(os.environ, SCOPEC=SCOPEC, FAKE_LOG=px.fake_log))
    PROCS.append(p)
    out, _ = p.communicate((json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                                        "params": {"name": "echo", "arguments": {}}}) + "\n").encode(), 10)
    r = json.loads(out.splitlines()[0])
    check(is_denied(r) and "log" in text_of(r), f"a decision that cannot be logged is a deny: {r}")


def test_sanity_of_relay(d):
    """Everything that is not decided passes untouched."""
    px = Proxy(d)
    r = px.initialize()
    check(r["result"]["serverInfo"]["name"] == "fake", "initialize relayed")
    r = px.response(px.request("ping", id="p1"))
    check(r == {"jsonrpc": "2.0", "id": "p1", "result": {}}, f"ping: {r}")
    r = px.response(px.request("prompts/list", id=3))
    check(error_code(r) == -32601, "unknown methods: the server's error relayed")
    px.raw(b'{"jsonrpc":"2.0","method":"notifications/roots/list_changed","params":{"x":  1.50}}\n')
    time.sleep(0.2)
    with open(px.fake_log) as f:
        raw = f.read()
    check('"x": 1.5' in raw, "notifications relayed")
    px.close()


def random_value(rnd, depth=0):
    k = rnd.randrange(9 if depth < 3 else 6)
    if k == 0:
        return None
    if k == 1:
        return rnd.choice([True, False])
    if k == 2:
        return rnd.choice([0, -1, 2**53, 2**63 - 1, 1.5, -0.0, 1e300])
    if k in (3, 4, 5):
        return rnd.choice(["", "echo", "/srv/a", "/etc/x", "../x", "\u00e9", "\x00", "tools/call", "a" * 300,
                           "scope-mcp-1", "/srv/drafts/q", "file:///srv/a", "http://h/%41"])
    if k in (6, 7):
        return {rnd.choice(["name", "arguments", "path", "paths", "uri", "id", "method", "params", "x", "task"]):
                random_value(rnd, depth + 1) for _ in range(rnd.randrange(4))}
    return [random_value(rnd, depth + 1) for _ in range(rnd.randrange(4))]


def random_message(rnd):
    m = {"jsonrpc": rnd.choice(["2.0", "2.0", "2.0", "1.0", None])}
    if rnd.random() < 0.8:
        m["method"] = rnd.choice(["tools/call", "tools/call", "tools/call", "resources/read", "ping",
                                  "notifications/cancelled", "tools/list", random_value(rnd)])
    if rnd.random() < 0.8:
        m["id"] = rnd.choice([rnd.randrange(5), "scope-mcp-1", None, random_value(rnd)])
    if rnd.random() < 0.9:
        m["params"] = rnd.choice([{"name": random_value(rnd), "arguments": random_value(rnd)},
                                  {"name": rnd.choice(["echo", "read_file", "write_file"]),
                                   "arguments": {"path": random_value(rnd), "paths": random_value(rnd)}},
                                  {"uri": random_value(rnd)}, {"requestId": random_value(rnd)},
                                  random_value(rnd)])
    if rnd.random() < 0.1:
        m["result"] = random_value(rnd)
    if m["jsonrpc"] is None:
        del m["jsonrpc"]
    return m


def test_random_input(d):
    """Thousands of random messages and bytes: no crash, nothing undecided forwarded."""
    import random
    rnd = random.Random(int(os.environ.get("SCOPE_SEED", "11")))
    px = Proxy(d)
    px.initialize()
    for k in range(3000):
        r = rnd.random()
        if r < 0.08:
            px.raw(bytes(rnd.randrange(256) for _ in range(rnd.randrange(40))).replace(b"\n", b"") + b"\n")
        elif r < 0.12:
            px.send([random_message(rnd) for _ in range(rnd.randrange(3))])
        else:
            px.send(random_message(rnd))
    i = px.request("ping", id="last")
    check(px.response(i, 15) is not None, "the proxy still answers after random input")
    for m in px.calls_seen():
        p = m["params"]
        args = p.get("arguments") or {}
        path = args.get("path") if isinstance(args, dict) else None
        ok = p["name"] == "echo" or (p["name"] == "read_file" and isinstance(path, str) and
                                     (path.startswith("/srv/") or path.startswith("/tmp/")))
        if not check(ok, f"only allowed calls reach the server: {m}"):
            break
    check(px.close() == 0, "clean exit")


TESTS = [v for k, v in sorted(globals().items()) if k.startswith("test_")]


def main():
    global MCP, SCOPEC
    ap = argparse.ArgumentParser()
    ap.add_argument("--mcp", required=True)
    ap.add_argument("--scopec", required=True)
    ap.add_argument("-k", default="")
    a = ap.parse_args()
    MCP, SCOPEC = os.path.abspath(a.mcp), os.path.abspath(a.scopec)
    t0 = time.time()
    for t in TESTS:
        if a.k not in t.__name__:
            continue
        failed_before = FAILED
        start = time.time()
        with tempfile.TemporaryDirectory(prefix="scope-mcp-test-") as d:
            try:
                t(d)
            except Exception:
                traceback.print_exc()
                check(False, f"{t.__name__} raised")
            finally:
                for p in PROCS:
                    if p.poll() is None:
                        p.kill()
                        p.wait()
                    for f in (p.stdin, p.stdout):
                        try:
                            f and f.close()
                        except OSError:
                            pass
                PROCS.clear()
        status = "ok" if FAILED == failed_before else "FAILED"
        print(f"{t.__name__}: {status} ({time.time() - start:.1f} s)", flush=True)
    print(f"mcp tests: {PASSED} checks passed, {FAILED} failed ({time.time() - t0:.1f} s)")
    sys.exit(1 if FAILED else 0)


if __name__ == "__main__":
    main()
