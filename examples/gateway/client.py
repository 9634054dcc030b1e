#!/usr/bin/env python3
"""client.py -- talk to scope-gateway over its Unix socket (python3 stdlib only).

As a library:

    from client import Gateway
    with Gateway("/tmp/scope.sock") as gw:
        r = gw.decide("triage", "post", "forum.help", {"channel": "internal"})
        if r["decision"] == "allow": ...

A Gateway is one connection; give each thread its own (or share one under a
lock).  decide() raises GatewayError when the connection fails: treat that
as deny.  decide_many() pipelines requests: all are sent, then all replies
read, in order.

From the shell (requests in scopec eval syntax, one per line, or as
arguments):

    client.py --socket /tmp/scope.sock triage read forum.general.42
    printf 'triage read forum.a\\ntriage post forum.help channel=internal\\n' |
        client.py --socket /tmp/scope.sock
    client.py --socket /tmp/scope.sock --json < requests.jsonl  # raw JSON Lines

prints one line per request: the decision and the explanation (--json: the
reply as it came).  Exit status 0, 1 if any request was not allowed with
--check, 2 if the gateway could not be reached.
"""
import argparse
import itertools
import json
import socket
import sys


class GatewayError(Exception):
    """The gateway could not be reached or hung up: fail closed (deny)."""


class Gateway:
    def __init__(self, path, timeout=10.0):
        self.path = path
        self._ids = itertools.count(1)
        try:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            self.sock.connect(path)
        except OSError as e:
            raise GatewayError(f"cannot connect to {path}: {e}") from e
        self.rfile = self.sock.makefile("rb")

    def close(self):
        try:
            self.rfile.close()
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @staticmethod
    def request(task, action, resource="", context=None, id=None):
        """The request object of the protocol."""
        r = {"task": task, "action": action, "resource": resource}
        if context:
            r["context"] = context
        if id is not None:
            r["id"] = id
        return r

    def send_lines(self, lines):
        """Sends raw request lines (bytes, without newlines)."""
        try:
            self.sock.sendall(b"".join(l + b"\n" for l in lines))
        except OSError as e:
            raise GatewayError(f"send failed: {e}") from e

    def read_reply(self):
        """The next reply as a dict."""
        try:
            line = self.rfile.readline()
        except OSError as e:
            raise GatewayError(f"receive failed: {e}") from e
        if not line.endswith(b"\n"):
            raise GatewayError("the gateway closed the connection")
        return json.loads(line)

    def decide_many(self, requests):
        """Pipelines REQUESTS (dicts); returns the replies in order."""
        reqs = []
        for r in requests:
            r = dict(r)
            r.setdefault("id", next(self._ids))
            reqs.append(r)
        self.send_lines([json.dumps(r, separators=(",", ":")).encode() for r in reqs])
        replies = [self.read_reply() for _ in reqs]
        for q, a in zip(reqs, replies):
            if a.get("id") != q["id"]:
                raise GatewayError(f"reply for id {a.get('id')!r}, expected {q['id']!r}")
        return replies

    def decide(self, task, action, resource="", context=None):
        return self.decide_many([self.request(task, action, resource, context)])[0]


def _tokens(line):
    """Tokens of an eval line: (text, index of the first unquoted '=' or -1)."""
    toks, i, n = [], 0, len(line)
    while i < n:
        while i < n and line[i] in " \t\r":
            i += 1
        if i == n:
            break
        text, eq = [], -1
        while i < n and line[i] not in " \t\r":
            if line[i] == '"':
                i += 1
                while i < n and line[i] != '"':
                    if line[i] == "\\" and i + 1 < n:
                        i += 1
                    text.append(line[i])
                    i += 1
                if i == n:
                    raise ValueError("unterminated string")
                i += 1
            else:
                if line[i] == "=" and eq < 0:
                    eq = len(text)
                text.append(line[i])
                i += 1
        toks.append(("".join(text), eq))
    return toks


def parse_eval_line(line):
    """TASK ACTION [RESOURCE] [KEY=VALUE...] (scopec eval syntax) -> request dict.

    The same rules as scopec eval: blanks separate tokens, any part of a token
    may be double-quoted (\\" and \\\\ escape), and after the action a token with
    an unquoted '=' is an attribute; "" is an empty resource.
    """
    toks = _tokens(line)
    if len(toks) < 2:
        raise ValueError("a request needs a task and an action")
    (task, _), (action, _), rest = toks[0], toks[1], toks[2:]
    resource = ""
    if rest and rest[0][1] < 0:
        resource = rest.pop(0)[0]
    context = {}
    for text, eq in rest:
        if eq < 0:
            raise ValueError(f"expected KEY=VALUE, got {text!r}")
        context[text[:eq]] = text[eq + 1:]
    return Gateway.request(task, action, resource, context)


def _quote(t):
    """An argument as one eval token (KEY=VALUE arguments stay attributes)."""
    if t and not any(c in t for c in ' \t"\\'):
        return t
    k, eq, v = t.partition("=")
    if eq and k and not any(c in k for c in ' \t"\\'):
        return k + '="' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return '"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main(argv=None):
    ap = argparse.ArgumentParser(description="Ask scope-gateway about tool calls.")
    ap.add_argument("--socket", required=True, help="the gateway's Unix socket")
    ap.add_argument("--json", action="store_true",
                    help="stdin is JSON Lines requests; print the replies as they come")
    ap.add_argument("--check", action="store_true", help="exit 1 unless every request is allowed")
    ap.add_argument("request", nargs="*", help="one request: TASK ACTION [RESOURCE] [KEY=VALUE...]")
    a = ap.parse_args(argv)
    try:
        gw = Gateway(a.socket)
    except GatewayError as e:
        print(f"client.py: {e}", file=sys.stderr)
        return 2
    status = 0
    with gw:
        if a.request:
            lines = [" ".join(_quote(t) for t in a.request)]
        else:
            lines = [l.rstrip("\n") for l in sys.stdin if l.strip()]
        try:
            for line in lines:
                if a.json:
                    gw.send_lines([line.encode()])
                    reply = gw.read_reply()
                    print(json.dumps(reply, separators=(",", ":")))
                else:
                    try:
                        rq = parse_eval_line(line)
                    except ValueError as e:
                        print(f"deny malformed request: {e}")
                        status = 1 if a.check else status
                        continue
                    reply = gw.decide_many([rq])[0]
                    print(f"{reply['decision']} {reply.get('explain', '')}")
                if a.check and reply["decision"] != "allow":
                    status = 1
        except GatewayError as e:
            print(f"client.py: {e} (deny)", file=sys.stderr)
            return 2
    return status


if __name__ == "__main__":
    sys.exit(main())
