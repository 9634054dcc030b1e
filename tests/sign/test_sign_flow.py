#!/usr/bin/env python3
"""The signed-policy flow end to end (make sign-check): build -> sign ->
publish on an HTTP server -> fetch-policy polls it (conditional requests,
atomic replace) -> scope-gateway --trusted-key hot-swaps what verifies and
refuses the rest, keeping the old policy.

    test_sign_flow.py --scopec ./scopec --gateway build/scope-gateway

Servers: `python3 -m http.server` (Last-Modified / If-Modified-Since), and a
small stdlib server that sends ETags (If-None-Match), as artifact stores do.
python3 standard library only.
"""
import argparse
import hashlib
import http.server
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FETCH = os.path.join(ROOT, "examples", "gateway", "fetch-policy")
sys.path.insert(0, os.path.join(ROOT, "examples", "gateway"))
from client import Gateway, GatewayError  # noqa: E402

SCOPEC = GATEWAY = None
PASSED = FAILED = 0

V1 = "task agent\n  allows read docs.**\n  denies post **\n"
V2 = "task agent\n  allows read docs.**\n  allows post forum.help\n"
EVIL = "task agent\n  allows **\n"


def check(cond, what):
    global PASSED, FAILED
    if cond:
        PASSED += 1
    else:
        FAILED += 1
        print(f"  FAIL: {what}", flush=True)
    return cond


def run(*cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def build(tmp, name, text, key):
    """Compile and sign TEXT: (signed bytes, digest of the image)."""
    src, img, out = (os.path.join(tmp, name + ext) for ext in (".scope", ".scopec", ".signed"))
    with open(src, "w") as f:
        f.write(text)
    run(SCOPEC, "compile", src, "-o", img, check=True)
    with open(img, "rb") as f:
        digest = "sha256:" + hashlib.sha256(f.read()).hexdigest()
    if key is None:
        return open(img, "rb").read(), digest
    p = run(SCOPEC, "sign", img, "--key", key, "-o", out, check=True)
    check(digest in p.stdout, f"scopec sign prints the policy digest: {p.stdout.strip()}")
    return open(out, "rb").read(), digest


class Published:
    """The directory an HTTP server serves; publish() is atomic and moves
    the modification time forward (Last-Modified has 1 s resolution)."""

    def __init__(self, d):
        self.dir, self.t = d, int(time.time()) - 1000

    def publish(self, data, name="policy.scopec"):
        path = os.path.join(self.dir, name)
        with open(path + ".tmp", "wb") as f:
            f.write(data)
        self.t += 10
        os.utime(path + ".tmp", (self.t, self.t))
        os.replace(path + ".tmp", path)


def http_server(d):
    p = subprocess.Popen([sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", d],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    m = re.search(r"port (\d+)", line)
    if not m:
        p.kill()
        raise RuntimeError(f"http.server did not start: {line}")
    return p, int(m.group(1))


class ETagHandler(http.server.SimpleHTTPRequestHandler):
    """Files with a strong ETag (their SHA-256); If-None-Match -> 304."""
    statuses = []

    def do_GET(self):
        path = self.translate_path(self.path)
        try:
            with open(path, "rb") as f:
                body = f.read()
        except OSError:
            self.send_error(404)
            return
        etag = '"' + hashlib.sha256(body).hexdigest() + '"'
        if self.headers.get("If-None-Match") == etag:
            ETagHandler.statuses.append(304)
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        ETagHandler.statuses.append(200)
        self.send_response(200)
        self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def wait_log(path, pred, start, timeout=10):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if os.path.exists(path):
            with open(path) as f:
                recs = [json.loads(l) for l in f if l.strip()]
            for r in recs[start:]:
                if pred(r):
                    return r
        time.sleep(0.02)
    return None


def log_len(path):
    if not os.path.exists(path):
        return 0
    with open(path) as f:
        return sum(1 for l in f if l.strip())


def decide(sock, action, resource):
    with Gateway(sock) as gw:
        return gw.decide("agent", action, resource)


def test_flow(tmp):
    """http.server + fetch-policy loop + gateway with --trusted-key."""
    secrets, pub_dir, svc = (os.path.join(tmp, d) for d in ("ci", "www", "svc"))
    for d in (secrets, pub_dir, svc):
        os.makedirs(d)
    run(SCOPEC, "keygen", "--out", os.path.join(secrets, "ci"), check=True)
    run(SCOPEC, "keygen", "--out", os.path.join(secrets, "attacker"), check=True)
    key, pub = os.path.join(secrets, "ci.pem"), os.path.join(secrets, "ci.pub.pem")
    v1, d1 = build(tmp, "v1", V1, key)
    v2, d2 = build(tmp, "v2", V2, key)
    evil, _ = build(tmp, "evil", EVIL, os.path.join(secrets, "attacker.pem"))
    unsigned, _ = build(tmp, "unsigned", EVIL, None)
    www = Published(pub_dir)
    www.publish(v1)
    srv, port = http_server(pub_dir)
    url = f"http://127.0.0.1:{port}/policy.scopec"
    local = os.path.join(svc, "policy.scopec")
    gw = fetcher = None
    try:
        p = run(FETCH, url, "--out", local, "--once")
        check(p.returncode == 0 and open(local, "rb").read() == v1, f"first fetch writes the file: {p.stderr}")
        p = run(FETCH, url, "--out", local, "--once", "--trusted-key", pub, "--scopec", SCOPEC)
        check(p.returncode == 0, f"--once with --trusted-key verifies and replaces: {p.stderr}")
        sock, glog = os.path.join(svc, "gw.sock"), os.path.join(svc, "gw.log")
        gw = subprocess.Popen([GATEWAY, "--policy", local, "--socket", sock, "--log", glog, "--poll-ms", "50",
                               "--trusted-key", pub], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
        r = wait_log(glog, lambda r: r.get("type") == "reload" and r.get("trigger") == "start", 0)
        check(r is not None and r["policy"] == d1, f"the gateway starts with the signed v1: {r}")
        end = time.monotonic() + 10
        while time.monotonic() < end:  # the socket file exists a moment before listen()
            try:
                with Gateway(sock):
                    break
            except GatewayError:
                time.sleep(0.02)
        check(decide(sock, "post", "forum.help")["decision"] == "deny", "v1: post denied")
        fetcher = subprocess.Popen([FETCH, url, "--out", local, "--interval", "0.1", "-v"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        # a new signed version: fetched, swapped in
        n = log_len(glog)
        www.publish(v2)
        r = wait_log(glog, lambda r: r.get("type") in ("reload", "error"), n)
        check(r is not None and r["type"] == "reload" and r["policy"] == d2 and r["previous"] == d1,
              f"published v2 is fetched and hot-swapped: {r}")
        check(decide(sock, "post", "forum.help")["decision"] == "allow", "v2: post allowed")
        # a compromised server or path: another key's signature, an unsigned image
        for what, data, why in (("another key's bundle", evil, "signature does not verify"),
                                ("an unsigned image", unsigned, "image is not signed")):
            n = log_len(glog)
            www.publish(data)
            r = wait_log(glog, lambda r: r.get("type") in ("reload", "error"), n)
            check(r is not None and r["type"] == "error" and why in r["error"] and r["policy"] == d2,
                  f"{what}: fetched but refused by the gateway ({why!r}): {r}")
            rep = decide(sock, "delete", "anything")
            check(rep["decision"] == "deny" and rep["policy"] == d2, f"{what}: v2 stays in force")
        # and a good one again
        n = log_len(glog)
        www.publish(v1)
        r = wait_log(glog, lambda r: r.get("type") in ("reload", "error"), n)
        check(r is not None and r["type"] == "reload" and r["policy"] == d1, f"signed v1 again: loaded ({r})")
        time.sleep(0.5)
    finally:
        for proc in (fetcher, gw):
            if proc and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
        srv.kill()
        _, server_log = srv.communicate()
    check(fetcher.returncode == 0 and gw.returncode == 0, "fetcher and gateway stop on SIGTERM")
    ferr = fetcher.stderr.read()
    check("not modified" in ferr and '" 304 -' in server_log,
          "unchanged polls are conditional requests answered 304")
    # --trusted-key in the fetcher: a bad bundle never replaces the file
    www.publish(evil)
    before = open(local, "rb").read()
    p = run(FETCH, url, "--out", local, "--once", "--trusted-key", pub, "--scopec", SCOPEC)
    check(p.returncode == 1 and "refused" in p.stderr and open(local, "rb").read() == before,
          f"fetcher --trusted-key: another key's bundle never replaces the file: {p.stderr}")


def test_etag(tmp):
    """If-None-Match against a server that sends ETags; errors leave the file."""
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                          lambda *a: ETagHandler(*a, directory=tmp))
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        url = f"http://127.0.0.1:{srv.server_address[1]}/p.scopec"
        with open(os.path.join(tmp, "p.scopec"), "wb") as f:
            f.write(b"one")
        out = os.path.join(tmp, "local")
        # one fetcher process, several polls: 200, then 304 while unchanged
        fetcher = subprocess.Popen([FETCH, url, "--out", out, "--interval", "0.05", "-v"],
                                   stderr=subprocess.PIPE, text=True)
        time.sleep(0.5)
        with open(os.path.join(tmp, "p.scopec.new"), "wb") as f:
            f.write(b"two")
        os.replace(os.path.join(tmp, "p.scopec.new"), os.path.join(tmp, "p.scopec"))
        time.sleep(0.5)
        fetcher.send_signal(signal.SIGTERM)
        fetcher.wait(10)
        st = ETagHandler.statuses
        check(st[:1] == [200] and 304 in st and st.count(200) == 2 and open(out, "rb").read() == b"two",
              f"ETag polling: 200, 304s, 200 on change ({st[:4]}... {st.count(304)} x 304)")
        os.unlink(os.path.join(tmp, "p.scopec"))
        p = run(FETCH, url, "--out", out, "--once")
        check(p.returncode == 1 and open(out, "rb").read() == b"two", "a 404 leaves the local file alone")
        p = run(FETCH, "http://127.0.0.1:1/x", "--out", out, "--once", "--timeout", "2")
        check(p.returncode == 1 and "unchanged" in p.stderr, "no server: error, the local file is unchanged")
    finally:
        srv.shutdown()


def main():
    global SCOPEC, GATEWAY
    ap = argparse.ArgumentParser()
    ap.add_argument("--scopec", required=True)
    ap.add_argument("--gateway", required=True)
    a = ap.parse_args()
    SCOPEC, GATEWAY = os.path.abspath(a.scopec), os.path.abspath(a.gateway)
    for t in (test_flow, test_etag):
        before = FAILED
        start = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="scope-sign-") as tmp:
            try:
                t(tmp)
            except Exception:  # noqa: BLE001
                import traceback
                check(False, f"{t.__name__} raised:\n{traceback.format_exc()}")
        print(f"{t.__name__}: {'ok' if FAILED == before else 'FAILED'} ({time.monotonic() - start:.1f} s)",
              flush=True)
    print(f"sign flow tests: {PASSED} checks passed, {FAILED} failed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
