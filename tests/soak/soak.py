#!/usr/bin/env python3
"""soak.py — a bounded soak of scope-gateway and scope-mcp (make soak).

    soak.py --gateway build/scope-gateway --mcp build/scope-mcp --scopec ./scopec
            [--seconds 60] [--clients 6] [--proxies 2]

For SECONDS, at the same time:
  * the policy file both services watch is replaced every 100 ms, by
    rename(2), alternating between two versions that decide differently;
  * CLIENTS threads send pipelined batches of requests to the gateway over
    its Unix socket; now and then one sends a malformed line (must be a
    deny with reason "error") or disconnects in the middle of a line;
  * the gateway is killed (SIGKILL) at half time and started again; its
    clients reconnect;
  * PROXIES scope-mcp processes, each in front of the fake MCP server of
    examples/mcp/tests, get tools/call requests, up to 8 outstanding, from
    one client each; the server behind the first proxy is killed at one
    third and two thirds of the run, and the proxy is started again.

Then every decision is checked against the reference evaluator (`scopec
eval --json --explain --reference` of the policy version the reply or log
record names by digest): each gateway reply, and each decision record of
every log; each MCP reply must agree with its log record (allowed and
forwarded, or refused).  Every process's RSS and open file descriptors are
sampled; after the clients stop, the gateway's descriptors must be back at
their count before the first client, and the RSS of every long-lived
process must be flat (growth from its first to its last quarter under
--rss-slack-kb).  Standard library only; exit 1 on any failure.
"""

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FAKE = os.path.join(ROOT, "examples", "mcp", "tests", "fake_server.py")

# Two versions that decide many of the pool's requests differently.
POLICY_A = """\
task agent
  allows read forum.**
  denies read forum.private.** when clearance != "staff"
  allows post forum.help.* when channel == "internal"
  asks   post forum.**
  denies config.**

task coder
  allows echo /srv/**
  denies echo /srv/private/**
  allows echo /tmp/** when arg.mode == "r"
"""

POLICY_B = """\
task agent
  allows read forum.**, read docs.**
  denies post forum.**
  allows config.get **

task coder
  allows echo /srv/**, echo /tmp/**
  denies echo /srv/private/**, echo /srv/secret/**
"""

TASKS = ["agent", "agent", "agent", "coder", "nobody"]
ACTIONS = ["read", "post", "config.set", "config.get", "echo"]
RESOURCES = ["forum.general.1", "forum.private.x", "forum.help.q", "docs.api", "svc.db",
             "/srv/a/b", "/srv/private/k", "/srv/secret/s", "/tmp/x", ""]
CONTEXTS = [{}, {"clearance": "staff"}, {"channel": "internal"}, {"channel": "public", "clearance": "x"}]
PATHS = ["/srv/a/b", "/srv/private/k", "/srv/secret/s", "/tmp/x", "/etc/passwd", "/srv/a/../private/k"]


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.c = {}
        self.wrong = []

    def add(self, key, n=1):
        with self.lock:
            self.c[key] = self.c.get(key, 0) + n

    def bad(self, what):
        with self.lock:
            if len(self.wrong) < 20:
                self.wrong.append(what)
            self.c["wrong"] = self.c.get("wrong", 0) + 1

    def get(self, key):
        return self.c.get(key, 0)


# ---- policies and the reference evaluator ---------------------------------------

class Versions:
    """The two policy versions: source, image, digest, reference answers."""

    def __init__(self, d, scopec):
        self.scopec = scopec
        self.src, self.img, self.digest = {}, {}, {}
        for name, text in (("A", POLICY_A), ("B", POLICY_B)):
            src = os.path.join(d, "v%s.scope" % name)
            with open(src, "w") as f:
                f.write(text)
            img = os.path.join(d, "v%s.scopec" % name)
            subprocess.run([scopec, "compile", src, "-o", img], check=True)
            with open(img, "rb") as f:
                data = f.read()
            self.src[name], self.img[name] = src, data
            self.digest["sha256:" + hashlib.sha256(data).hexdigest()] = name
        self.cache = {}

    def reference(self, version, reqs):
        """(decision, reason, location) of the reference evaluator for each
        request (the explanation's wording differs between the evaluators;
        the deciding item's location does not)."""
        todo = [r for r in reqs if (version, r) not in self.cache]
        if todo:
            lines = "".join(json.dumps({"task": t, "action": a, "resource": res, "context": dict(ctx)}) + "\n"
                            for t, a, res, ctx in todo)
            p = subprocess.run([self.scopec, "eval", "--json", "--explain", "--reference", self.src[version]],
                               input=lines, capture_output=True, text=True, check=False)
            outs = p.stdout.splitlines()
            if len(outs) != len(todo):
                raise SystemExit("soak: scopec eval --reference gave %d answers for %d requests: %s"
                                 % (len(outs), len(todo), p.stderr[:300]))
            for r, line in zip(todo, outs):
                o = json.loads(line)
                self.cache[(version, r)] = (o["decision"], o.get("reason"), o.get("location"))
        return [self.cache[(version, r)] for r in reqs]


def freeze(task, action, resource, ctx):
    return (task, action, resource, tuple(sorted((str(k), str(v)) for k, v in ctx.items())))


def make_pool(rnd, n=240):
    pool = set()
    while len(pool) < n:
        pool.add(freeze(rnd.choice(TASKS), rnd.choice(ACTIONS), rnd.choice(RESOURCES), rnd.choice(CONTEXTS)))
    return sorted(pool)


# ---- processes and their resources -----------------------------------------------

def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def fd_count(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return None


class Monitor(threading.Thread):
    """Samples RSS and fds of every process registered, per incarnation."""

    def __init__(self, stop):
        super().__init__(daemon=True)
        self.stop, self.lock, self.series = stop, threading.Lock(), {}

    def watch(self, label, pid):
        with self.lock:
            self.series[(label, pid)] = []

    def run(self):
        while not self.stop.wait(0.25):
            with self.lock:
                keys = list(self.series)
            for label, pid in keys:
                r, fds = rss_kb(pid), fd_count(pid)
                if r is not None:
                    self.series[(label, pid)].append((time.time(), r, fds))

    def growth(self):
        """(label, pid, seconds, first-quarter median, last-quarter median) of
        each incarnation that lived long enough to tell."""
        out = []
        for (label, pid), s in self.series.items():
            if len(s) < 16:
                continue
            q = len(s) // 4
            out.append((label, pid, s[-1][0] - s[0][0], statistics.median(x[1] for x in s[q:2 * q]),
                        statistics.median(x[1] for x in s[-q:])))
        return out


class Reloader(threading.Thread):
    """Replaces LIVE every 100 ms, alternating the two versions."""

    def __init__(self, live, versions, stop, stats):
        super().__init__(daemon=True)
        self.live, self.v, self.stop, self.stats = live, versions, stop, stats

    def run(self):
        k = 0
        while not self.stop.wait(0.1):
            k += 1
            tmp = self.live + ".tmp"
            with open(tmp, "wb") as f:
                f.write(self.v.img["AB"[k % 2]])
            os.rename(tmp, self.live)
            self.stats.add("file replacements")


# ---- the gateway ------------------------------------------------------------------

class Gateway:
    def __init__(self, exe, d, live, monitor):
        self.exe, self.d, self.live, self.monitor = exe, d, live, monitor
        self.sock = os.path.join(d, "gw.sock")
        self.logs, self.p = [], None

    def start(self):
        log = os.path.join(self.d, "gw-%d.log" % len(self.logs))
        self.logs.append(log)
        self.p = subprocess.Popen([self.exe, "--policy", self.live, "--socket", self.sock, "--log", log,
                                   "--poll-ms", "20", "--max-conns", "64"],
                                  stderr=open(os.path.join(self.d, "gw-%d.err" % len(self.logs)), "wb"))
        for _ in range(200):
            if os.path.exists(self.sock):
                try:
                    s = socket.socket(socket.AF_UNIX)
                    s.connect(self.sock)
                    s.close()
                    break
                except OSError:
                    pass
            time.sleep(0.02)
        else:
            raise SystemExit("soak: the gateway did not start")
        self.monitor.watch("scope-gateway", self.p.pid)
        return self.p.pid

    def kill(self):
        self.p.send_signal(signal.SIGKILL)
        self.p.wait()

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        try:
            return self.p.wait(10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            return -9


def gateway_client(n, gw, pool, versions, stop, stats, rnd):
    """Pipelined batches; checks every reply against the reference."""
    seq = 0
    while not stop.is_set():
        try:
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(5)
            s.connect(gw.sock)
        except OSError:
            stats.add("gateway connect retries")
            time.sleep(0.02)
            continue
        f = s.makefile("rb")
        try:
            while not stop.is_set():
                if rnd.random() < 0.005:   # gone in the middle of a line
                    s.sendall(b'{"id": "cut", "task": "agent", "act')
                    stats.add("gateway mid-line disconnects")
                    break
                batch, lines = [], []
                for _ in range(rnd.randint(1, 16)):
                    seq += 1
                    rid = "%d-%d" % (n, seq)
                    if rnd.random() < 0.01:
                        batch.append((rid, None))
                        lines.append(json.dumps({"id": rid, "task": "agent", "resorce": "x"}))
                        continue
                    r = rnd.choice(pool)
                    batch.append((rid, r))
                    lines.append(json.dumps({"id": rid, "task": r[0], "action": r[1], "resource": r[2],
                                             "context": dict(r[3])}))
                s.sendall(("\n".join(lines) + "\n").encode())
                for rid, r in batch:
                    line = f.readline()
                    if not line:
                        raise ConnectionError("closed")
                    check_gateway_reply(json.loads(line), rid, r, versions, stats)
        except (OSError, ConnectionError, ValueError):
            stats.add("gateway connections lost")
        finally:
            f.close()
            s.close()


def check_gateway_reply(rep, rid, r, versions, stats):
    if rep.get("id") != rid:
        stats.bad("gateway reply id %r for request %r" % (rep.get("id"), rid))
        return
    if r is None:
        if rep.get("decision") != "deny" or rep.get("reason") != "error":
            stats.bad("malformed request %s answered %r" % (rid, rep))
        stats.add("gateway malformed (deny)")
        return
    stats.add("gateway requests checked")
    v = versions.digest.get(rep.get("policy"))
    if v is None:
        stats.bad("gateway reply names no known policy: %r" % rep)
        return
    stats.add("gateway decided by " + v)
    want = versions.reference(v, [r])[0]
    explain = rep.get("explain") or ""
    where = explain.split(": ", 1)[0] if rep.get("reason") == "item" else None
    got = (rep.get("decision"), rep.get("reason"), where)
    if got != want:
        stats.bad("gateway %r under %s: %r, reference %r" % (r, v, got, want))


# ---- scope-mcp --------------------------------------------------------------------

class McpSession:
    """One scope-mcp with the fake server; one client thread drives it."""

    def __init__(self, k, exe, d, live, scopec, monitor, stats):
        self.k, self.exe, self.d, self.live, self.scopec = k, exe, d, live, scopec
        self.monitor, self.stats, self.logs = monitor, stats, []
        self.kill_server_at = []

    def start(self):
        log = os.path.join(self.d, "mcp%d-%d.log" % (self.k, len(self.logs)))
        self.logs.append(log)
        env = dict(os.environ, SCOPEC=self.scopec)
        self.p = subprocess.Popen([self.exe, "--policy", self.live, "--task", "coder", "--log", log,
                                   "--poll-ms", "20", "--", sys.executable, FAKE],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                                  stderr=open(log + ".err", "wb"))
        self.monitor.watch("scope-mcp", self.p.pid)
        self.send({"jsonrpc": "2.0", "id": "init", "method": "initialize",
                   "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                              "clientInfo": {"name": "soak", "version": "0"}}})
        line = self.p.stdout.readline()
        if not line or json.loads(line).get("id") != "init":
            raise SystemExit("soak: scope-mcp did not answer initialize: %r" % line)
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def send(self, msg):
        self.p.stdin.write((json.dumps(msg) + "\n").encode())
        self.p.stdin.flush()

    def server_pid(self):
        try:
            with open("/proc/%d/task/%d/children" % (self.p.pid, self.p.pid)) as f:
                kids = f.read().split()
            return int(kids[0]) if kids else None
        except OSError:
            return None

    def run(self, stop, rnd, replies):
        """Until STOP: calls with up to 8 outstanding.  REPLIES collects
        (log index, id, 'allow'|'deny'|'error') for the log cross-check."""
        seq = 0
        while not stop.is_set():
            self.start()
            outstanding = {}
            lock = threading.Lock()
            done = threading.Event()

            def reader(p=self.p, logi=len(self.logs) - 1):
                for line in p.stdout:
                    try:
                        m = json.loads(line)
                    except ValueError:
                        self.stats.bad("scope-mcp wrote a line that is not JSON: %r" % line[:200])
                        continue
                    if "id" not in m:
                        continue
                    with lock:
                        if outstanding.pop(json.dumps(m["id"]), None) is None:
                            self.stats.bad("scope-mcp answered an id never sent: %r" % m)
                            continue
                    res = m.get("result")
                    if res is not None and not res.get("isError"):
                        replies.append((self.k, logi, m["id"], "allow"))
                    elif res is not None and "denied by scope" in json.dumps(res):
                        replies.append((self.k, logi, m["id"], "deny"))
                    else:
                        replies.append((self.k, logi, m["id"], "error"))
                done.set()

            t = threading.Thread(target=reader, daemon=True)
            t.start()
            try:
                while not stop.is_set() and not done.is_set():
                    if self.kill_server_at and time.time() >= self.kill_server_at[0]:
                        self.kill_server_at.pop(0)
                        pid = self.server_pid()
                        if pid:
                            os.kill(pid, signal.SIGKILL)
                            self.stats.add("mcp servers killed")
                    with lock:
                        busy = len(outstanding)
                    if busy >= 8:
                        time.sleep(0.0005)
                        continue
                    seq += 1
                    rid = "%d-%d" % (self.k, seq)
                    args = {"path": rnd.choice(PATHS), "delay_ms": rnd.choice([0, 0, 0, 1, 3])}
                    if rnd.random() < 0.5:
                        args["mode"] = rnd.choice(["r", "w"])
                    with lock:
                        outstanding[json.dumps(rid)] = True
                    self.send({"jsonrpc": "2.0", "id": rid, "method": "tools/call",
                               "params": {"name": "echo", "arguments": args}})
                    self.stats.add("mcp calls sent")
            except (OSError, ValueError):
                pass
            try:
                self.p.stdin.close()
            except OSError:
                pass
            t.join(10)
            rc = self.p.wait(10)
            if not stop.is_set():
                self.stats.add("mcp proxies restarted")
                if rc == 0:
                    self.stats.bad("scope-mcp exited 0 after its server was killed")
            with lock:
                for rid in outstanding:
                    replies.append((self.k, len(self.logs) - 1, json.loads(rid), "unanswered"))


# ---- the logs against the reference ------------------------------------------------

def read_records(path):
    recs = []
    try:
        with open(path) as f:
            for line in f:
                try:
                    recs.append(json.loads(line))
                except ValueError:
                    recs.append({"type": "unparsable", "raw": line[:200]})
    except OSError:
        pass
    return recs


def check_log(path, versions, stats, what):
    """Every decision record agrees with the reference; returns {id: decision}."""
    by_id, todo = {}, {}
    for r in read_records(path):
        if r.get("type") == "unparsable":
            stats.bad("%s: a line that is not JSON: %r" % (path, r["raw"]))
            continue
        if r.get("type") == "reload" and r.get("result") == "loaded":
            stats.add(what + " reloads")
        if r.get("type") != "decision" or r.get("error"):
            continue
        stats.add(what + " log decisions checked")
        v = versions.digest.get(r.get("policy"))
        if v is None:
            stats.bad("%s: a decision by an unknown policy: %r" % (path, r))
            continue
        req = freeze(r["task"], r["action"], r["resource"], r.get("attributes") or {})
        todo.setdefault(v, []).append((req, r))
        by_id[json.dumps(r.get("id"))] = r["decision"]
    for v, items in todo.items():
        answers = versions.reference(v, [req for req, _ in items])
        for (req, r), want in zip(items, answers):
            got = (r["decision"], r.get("reason"), r.get("location"))
            if got != want:
                stats.bad("%s: %r decided %r under %s, reference %r" % (path, req, got, v, want))
    return by_id


# ---- main --------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gateway", required=True)
    ap.add_argument("--mcp", required=True)
    ap.add_argument("--scopec", required=True)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--clients", type=int, default=6)
    ap.add_argument("--proxies", type=int, default=2)
    ap.add_argument("--rss-slack-kb", type=int, default=1024)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    d = tempfile.mkdtemp(prefix="scope-soak-")
    stats, stop, quit_monitor = Stats(), threading.Event(), threading.Event()
    try:
        versions = Versions(d, os.path.abspath(a.scopec))
        pool = make_pool(rnd)
        for v in "AB":
            versions.reference(v, pool)
        live = os.path.join(d, "live.scopec")
        with open(live, "wb") as f:
            f.write(versions.img["A"])
        monitor = Monitor(quit_monitor)
        monitor.start()
        gw = Gateway(os.path.abspath(a.gateway), d, live, monitor)
        pid = gw.start()
        time.sleep(0.3)
        fds_idle = fd_count(pid)
        t0 = time.time()
        Reloader(live, versions, stop, stats).start()
        threads = [threading.Thread(target=gateway_client, daemon=True,
                                    args=(n, gw, pool, versions, stop, stats, random.Random(a.seed + n)))
                   for n in range(a.clients)]
        sessions = [McpSession(k, os.path.abspath(a.mcp), d, live, os.path.abspath(a.scopec), monitor, stats)
                    for k in range(a.proxies)]
        sessions[0].kill_server_at = [t0 + a.seconds / 3, t0 + 2 * a.seconds / 3]
        replies = []
        threads += [threading.Thread(target=s.run, daemon=True,
                                     args=(stop, random.Random(a.seed + 100 + s.k), replies)) for s in sessions]
        for t in threads:
            t.start()
        time.sleep(a.seconds / 2)
        gw.kill()
        stats.add("gateway kills")
        gw.start()
        time.sleep(max(0.0, t0 + a.seconds - time.time()))
        stop.set()
        for t in threads:
            t.join(15)
        time.sleep(0.5)
        fds_end = fd_count(gw.p.pid)
        quit_monitor.set()
        rc = gw.stop()
        elapsed = time.time() - t0

        served = {}
        for log in gw.logs:
            check_log(log, versions, stats, "gateway")
        for s in sessions:
            for i, log in enumerate(s.logs):
                served[(s.k, i)] = check_log(log, versions, stats, "mcp")
        for k, i, rid, got in replies:
            logged = served.get((k, i), {}).get(json.dumps(rid))
            if got == "allow" and logged != "allow":
                stats.bad("scope-mcp forwarded call %r its log decided %r" % (rid, logged))
            elif got == "deny" and logged not in ("deny", "ask"):
                stats.bad("scope-mcp refused call %r its log decided %r" % (rid, logged))
            elif got == "unanswered" and logged is not None:
                # decided, so read: it must have been answered (forwarded
                # and failed when the server died, or refused)
                stats.bad("scope-mcp decided call %r (%s) and exited without answering it" % (rid, logged))
            stats.add("mcp replies " + got)

        growth = monitor.growth()
        flat = all(last - first <= a.rss_slack_kb for _, _, _, first, last in growth)
        fds_ok = fds_end == fds_idle
        c = stats.get
        print("soak: %.0f s, seed %d, %d gateway clients, %d MCP proxies, the policy file replaced %d times"
              % (elapsed, a.seed, a.clients, a.proxies, c("file replacements")))
        print("soak: gateway: %d requests checked (%d by A, %d by B), %d malformed answered deny, "
              "%d mid-line disconnects, %d connections lost, %d kill + restart, %d reloads logged, exit %d"
              % (c("gateway requests checked"), c("gateway decided by A"), c("gateway decided by B"),
                 c("gateway malformed (deny)"), c("gateway mid-line disconnects"),
                 c("gateway connections lost"), c("gateway kills"), c("gateway reloads"), rc))
        print("soak: scope-mcp: %d calls sent, %d forwarded, %d refused, %d errors (server killed), "
              "%d never read (sent while a proxy was exiting), %d servers killed, %d proxies restarted, "
              "%d reloads logged"
              % (c("mcp calls sent"), c("mcp replies allow"), c("mcp replies deny"), c("mcp replies error"),
                 c("mcp replies unanswered"), c("mcp servers killed"), c("mcp proxies restarted"),
                 c("mcp reloads")))
        print("soak: logs: %d gateway and %d scope-mcp decision records checked against the reference "
              "evaluator" % (c("gateway log decisions checked"), c("mcp log decisions checked")))
        for label, pid, secs, first, last in sorted(growth, key=lambda g: -g[2]):
            print("soak: %s pid %d, %.0f s: RSS %d KB -> %d KB (%+d KB, medians of the first and last quarter)"
                  % (label, pid, secs, first, last, last - first))
        print("soak: gateway file descriptors: %s before the first client, %s after the last"
              % (fds_idle, fds_end))
        print("soak: %d wrong decisions" % c("wrong"))
        for w in stats.wrong:
            print("  WRONG " + w)
        ok = c("wrong") == 0 and flat and fds_ok and c("gateway requests checked") > 0 and \
            c("mcp replies allow") > 0 and c("mcp replies deny") > 0
        if not flat:
            print("soak: FAIL: RSS grew by more than %d KB" % a.rss_slack_kb)
        if not fds_ok:
            print("soak: FAIL: the gateway's file descriptors did not come back")
        print("soak: %s" % ("ok" if ok else "FAIL"))
        return 0 if ok else 1
    finally:
        stop.set()
        quit_monitor.set()
        shutil.rmtree(d, True)


if __name__ == "__main__":
    sys.exit(main())
