#!/usr/bin/env python3
"""make mcp-bench: the latency scope-mcp adds to a tools/call.

One run, interleaved: the same fake server (fake_server.py, FAKE_SYNC=1) is
called directly and through scope-mcp (with a decision log, as deployed),
alternating call by call, one call in flight at a time, so both see the
same machine state.  The client's own cost is the same on both paths, so
the difference of the two distributions is what the proxy adds: reading
the line, parsing, forming and deciding, the log record, re-serialising,
and two more pipe hops with their wake-ups.

    bench_mcp.py --mcp build/scope-mcp --scopec ./scopec [--calls N]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
POLICY = """task bench
  allows read_file /srv/**
  denies write_file **
"""


class Peer:
    def __init__(self, cmd, env):
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, bufsize=0)
        self.out = self.p.stdout
        self.n = 0
        self.rpc("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                "clientInfo": {"name": "bench", "version": "1"}})

    def rpc(self, method, params):
        self.n += 1
        self.p.stdin.write((json.dumps({"jsonrpc": "2.0", "id": self.n, "method": method,
                                        "params": params}) + "\n").encode())
        return self.out.readline()

    def call_line(self, line):
        t0 = time.perf_counter_ns()
        self.p.stdin.write(line)
        r = self.out.readline()
        t1 = time.perf_counter_ns()
        return (t1 - t0) / 1000.0, r

    def close(self):
        self.p.stdin.close()
        self.p.wait(10)


def cpu_s(pid):
    """User + system CPU seconds of process PID so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mcp", required=True)
    ap.add_argument("--scopec", required=True)
    ap.add_argument("--calls", type=int, default=5000)
    ap.add_argument("--wrap", default="")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="scope-mcp-bench-") as d:
        pol = os.path.join(d, "bench.scope")
        with open(pol, "w") as f:
            f.write(POLICY)
        env = dict(os.environ, FAKE_SYNC="1", SCOPEC=os.path.abspath(a.scopec))
        env.pop("FAKE_LOG", None)
        server = [sys.executable, os.path.join(HERE, "fake_server.py")]
        direct = Peer(server, env)
        proxy = Peer([a.wrap or a.mcp, "--policy", pol, "--task", "bench", "--log", os.path.join(d, "log"),
                      "--", *server], env)
        line = (json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                            "params": {"name": "read_file", "arguments": {"path": "/srv/data/report.txt",
                                                                          "limit": 10}}}) + "\n").encode()
        for _ in range(500):  # warm-up
            direct.call_line(line)
            proxy.call_line(line)
        _, r = proxy.call_line(line)
        if b'"isError"' in r or b'"result"' not in r:
            sys.exit(f"bench: the proxied call was not allowed: {r!r}")
        ds, ps = [], []
        cpu0 = cpu_s(proxy.p.pid)
        for k in range(a.calls):
            first, second = (direct, proxy) if k % 2 else (proxy, direct)
            t1, _ = first.call_line(line)
            t2, _ = second.call_line(line)
            (ds if first is direct else ps).append(t1)
            (ps if first is direct else ds).append(t2)
        cpu = cpu_s(proxy.p.pid) - cpu0
        direct.close()
        proxy.close()
    dm, pm = statistics.median(ds), statistics.median(ps)
    d99, p99 = pct(ds, 0.99), pct(ps, 0.99)
    print(f"tools/call round trip, {a.calls} calls each, interleaved (one in flight), decision log on")
    print(f"  direct to the server:  median {dm:7.1f} us   p99 {d99:7.1f} us")
    print(f"  through scope-mcp:     median {pm:7.1f} us   p99 {p99:7.1f} us")
    print(f"  added by scope-mcp:    median {pm - dm:7.1f} us   p99 {p99 - d99:7.1f} us   (target: median <= 50 us)")
    print(f"  scope-mcp's own CPU:   {cpu / a.calls * 1e6:7.1f} us per call (user + system, clock ticks; the system"
          f" part includes waking the peers on every pipe write)")


if __name__ == "__main__":
    main()
