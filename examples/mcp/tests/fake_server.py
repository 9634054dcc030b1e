#!/usr/bin/env python3
"""A tiny MCP server over stdio for scope-mcp's tests (standard library only).

Every message it receives is appended, one JSON line each, to $FAKE_LOG
(if set), so a test can see exactly what reached the server.

tools/call of tool NAME with arguments ARGS:
  echo      result text = json.dumps({"name":..., "arguments":...}); with
            "delay_ms" in ARGS the answer comes that much later (answers
            to several calls then come out of order)
  crash     exits at once with status ARGS.status (default 3), unanswered
  garbage   writes a line that is not JSON, and does not answer
  big       answers with a text of ARGS.size bytes
  roots     asks the client roots/list (id ARGS.id, default "scope-mcp-1")
            and answers with the client's answer
  flood     writes ARGS.n notifications/message of ARGS.size bytes, then answers
anything else is answered like echo.  With FAKE_SYNC=1 calls are answered
in order from the main thread (the benchmark).
Other requests: initialize, tools/list (tools named in $FAKE_TOOLS, comma
separated, default echo,crash,garbage,big,roots,flood,write_file,read_file),
resources/read (echo of the uri), ping; unknown methods get -32601.
"""
import json
import os
import sys
import threading
import time

LOG = os.environ.get("FAKE_LOG")
TOOLS = os.environ.get("FAKE_TOOLS", "echo,crash,garbage,big,roots,flood,write_file,read_file").split(",")
SYNC = os.environ.get("FAKE_SYNC") == "1"
out_lock = threading.Lock()
waiting = {}  # our request id -> (event, slot)


def send(msg):
    data = (json.dumps(msg) + "\n").encode()
    with out_lock:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()


def log(msg):
    if LOG:
        with open(LOG, "a") as f:
            f.write(json.dumps(msg) + "\n")


def text_result(i, text):
    send({"jsonrpc": "2.0", "id": i, "result": {"content": [{"type": "text", "text": text}]}})


def call(i, name, args):
    if name == "crash":
        sys.stdout.flush()
        os._exit(int(args.get("status", 3)))
    if name == "garbage":
        with out_lock:
            sys.stdout.buffer.write(b"this is not json {\n")
            sys.stdout.buffer.flush()
        return
    if name == "big":
        text_result(i, "x" * int(args.get("size", 1000)))
        return
    if name == "flood":
        for k in range(int(args.get("n", 10))):
            send({"jsonrpc": "2.0", "method": "notifications/message",
                  "params": {"level": "info", "data": "y" * int(args.get("size", 1000)), "k": k}})
        text_result(i, "flooded")
        return
    if name == "roots":
        rid = args.get("id", "scope-mcp-1")
        ev = threading.Event()
        waiting[json.dumps(rid)] = [ev, None]
        send({"jsonrpc": "2.0", "id": rid, "method": "roots/list"})
        ev.wait(10)
        text_result(i, json.dumps(waiting.pop(json.dumps(rid))[1]))
        return
    delay = args.get("delay_ms")
    if delay:
        time.sleep(float(delay) / 1000)
    text_result(i, json.dumps({"name": name, "arguments": args}))


def handle(msg):
    m, i = msg.get("method"), msg.get("id")
    if m is None:  # a response to our request
        slot = waiting.get(json.dumps(i))
        if slot:
            slot[1] = msg
            slot[0].set()
        return
    if i is None:
        return  # notifications
    if m == "initialize":
        send({"jsonrpc": "2.0", "id": i, "result": {
            "protocolVersion": msg.get("params", {}).get("protocolVersion", "2025-06-18"),
            "capabilities": {"tools": {"listChanged": True}, "resources": {}},
            "serverInfo": {"name": "fake", "version": "0"}}})
    elif m == "tools/list":
        send({"jsonrpc": "2.0", "id": i, "result": {"tools": [
            {"name": t, "inputSchema": {"type": "object"}} for t in TOOLS if t]}})
    elif m == "tools/call":
        p = msg.get("params", {})
        if SYNC:  # the benchmark: answer at once, no thread
            call(i, p.get("name"), p.get("arguments") or {})
        else:
            threading.Thread(target=call, args=(i, p.get("name"), p.get("arguments") or {}), daemon=True).start()
    elif m == "resources/read":
        uri = msg["params"]["uri"]
        send({"jsonrpc": "2.0", "id": i, "result": {"contents": [{"uri": uri, "text": "content of " + uri}]}})
    elif m == "ping":
        send({"jsonrpc": "2.0", "id": i, "result": {}})
    else:
        send({"jsonrpc": "2.0", "id": i, "error": {"code": -32601, "message": "method not found: " + str(m)}})


def main():
    for line in sys.stdin.buffer:
        line = line.strip()
        if not line:
            continue
        try:
            msg = json.loads(line)
        except ValueError:
            log({"unparsable": line.decode(errors="replace")})
            continue
        log(msg)
        if isinstance(msg, list):
            for m in msg:
                handle(m)
        else:
            handle(msg)
    time.sleep(float(os.environ.get("FAKE_LINGER", "0")))
    sys.exit(int(os.environ.get("FAKE_EXIT", "0")))


if __name__ == "__main__":
    main()
