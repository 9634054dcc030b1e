#!/usr/bin/env python3
"""bench.py — median ns per decide() from Python: the extension module
(scope._scope) against the ctypes binding (scope_ctypes.py), measured
interleaved in one process (round after round, each path timed in turn),
on one policy (policies/forum-triage.scope).  `make python-bench`.

Columns:
  C               scope_decide() alone, in a C loop (the request formed once)
  extension       Policy.decide("triage", "post", "forum.help.7", channel="internal"):
                  literal keywords, as callers write it (the GIL held; the
                  Result's explanation is computed when first read)
  **attrs         the same with decide(..., **attrs): CPython's keyword
                  unpacking (a new dict, then a keyword tuple) costs more
                  than the decision
  dict            Policy.decide(task, action, resource, attrs): the
                  attributes as one dict (no keyword unpacking)
  +GIL release    the same with the GIL released around the C decision
                  (what releasing it would cost: it is not done)
  +explanation    extension, reading r.explanation as well
  ctypes          scope_ctypes.Policy.decide, literal keywords (it computes
                  the explanation and item eagerly, as it always did)
  ctypes/ext      ctypes / extension
"""

import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import scope            # noqa: E402  (the extension: PYTHONPATH=build/python/lib)
import scope_ctypes     # noqa: E402  (SCOPE_LIB=build/libscope.so.0.1.0)

ROUNDS = int(os.environ.get("SCOPE_BENCH_ROUNDS", "21"))
N_EXT = int(os.environ.get("SCOPE_BENCH_N", "20000"))
N_CTYPES = max(200, N_EXT // 20)

REQUESTS = [   # (label, task, action, resource, attrs)
    ("allow, no condition", "triage", "read", "forum.help.7", {}),
    ("ask, 1 attribute", "triage", "post", "forum.help.7", {"channel": "internal"}),
    ("deny, 2 attributes", "triage", "post", "forum.help.7", {"suggests": "config", "channel": "public"}),
    ("undeclared task", "intruder", "read", "forum.help.7", {}),
]


def per_call_ns(fn, n):
    t0 = time.perf_counter_ns()
    ns = fn(n)
    return (ns if ns is not None else time.perf_counter_ns() - t0) / n


def loop(decide, task, action, resource, attrs, style="keywords", explain=False):
    """A loop of N calls written as a caller writes them: literal keywords
    (decide("t", "a", "r", channel="internal")), **attrs, or one dict."""
    args = [repr(task), repr(action), repr(resource)]
    if style == "keywords":
        args += [f"{k}={v!r}" for k, v in attrs.items()]
    elif style == "unpack" and attrs:
        args.append("**attrs")
    elif style == "dict":
        args.append("attrs")
    call = f"decide({', '.join(args)})" + (".explanation" if explain else "")
    env = {"decide": decide, "attrs": attrs}
    exec(f"def run(n):\n    for _ in range(n):\n        {call}\n", env)
    return env["run"]


def main():
    src = os.path.join(HERE, os.pardir, os.pardir, "policies", "forum-triage.scope")
    image = scope.compile_file(src)
    ext = scope.Policy(image)
    cty = scope_ctypes.Policy(image)
    print(f"policy policies/forum-triage.scope ({ext.item_count} items); {ROUNDS} rounds, interleaved; "
          f"median ns per decide()")
    print(f"python {sys.version.split()[0]}, extension {os.path.basename(scope.extension_path())}, "
          f"ctypes over {os.path.basename(scope_ctypes.library_path())}\n")
    head = f"{'request':24} {'C':>5} {'extension':>10} {'**attrs':>8} {'dict':>6} {'+GIL release':>13} {'+explanation':>13} {'ctypes':>9} {'ctypes/ext':>11}"
    print(head)
    print("-" * len(head))
    worst, best = 0.0, {}
    for label, task, action, resource, attrs in REQUESTS:
        a, b = ext.decide(task, action, resource, **attrs), cty.decide(task, action, resource, **attrs)
        assert (a.decision, a.why, a.item, a.explanation) == (b.decision, b.why, b.item, b.explanation), (a, b)
        paths = {
            "ext": (loop(ext.decide, task, action, resource, attrs), N_EXT),
            "unpack": (loop(ext.decide, task, action, resource, attrs, "unpack"), N_EXT),
            "dict": (loop(ext.decide, task, action, resource, attrs, "dict"), N_EXT),
            "nogil": (loop(ext._decide_nogil, task, action, resource, attrs), N_EXT),
            "expl": (loop(ext.decide, task, action, resource, attrs, explain=True), N_EXT),
            "ctypes": (loop(cty.decide, task, action, resource, attrs), N_CTYPES),
            "c": (lambda n: ext._c_decide_ns(n, task, action, resource, attrs), N_EXT),
        }
        for fn, n in paths.values():          # warm up
            fn(max(1, n // 10))
        times = {k: [] for k in paths}
        for _ in range(ROUNDS):
            for k, (fn, n) in paths.items():
                times[k].append(per_call_ns(fn, n))
        med = {k: statistics.median(v) for k, v in times.items()}
        worst = max(worst, med["ext"])
        best[label] = min(times["ext"])
        print(f"{label:24} {med['c']:5.0f} {med['ext']:10.0f} {med['unpack']:8.0f} {med['dict']:6.0f} {med['nogil']:13.0f} {med['expl']:13.0f} {med['ctypes']:9.0f} "
              f"{med['ctypes'] / med['ext']:10.0f}x")
    # a tool call: JSON arguments, a canonical path (file system calls, the GIL released)
    def tc(n):
        for _ in range(n):
            ext.decide_tool_call("triage", "read", {"path": "../etc/passwd", "limit": 10}, "/tmp")
    tc(1000)
    tool = statistics.median(per_call_ns(tc, N_EXT // 10) for _ in range(ROUNDS))
    print(f"\ndecide_tool_call(task, action, {{'path': '../etc/passwd', 'limit': 10}}, cwd='/tmp'): {tool:.0f} ns")
    print("fastest round, extension: " + ", ".join(f"{k} {v:.0f} ns" for k, v in best.items()))
    print(f"slowest extension median: {worst:.0f} ns per decide (target <= 1000 ns: "
          f"{'met' if worst <= 1000 else 'NOT met'})")


if __name__ == "__main__":
    main()
