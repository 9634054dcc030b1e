"""No leaks: the resident set size stays flat over a million decisions, and
Results keep the policy that decided them alive (and only them)."""

import gc
import os
import re
import sys
import unittest

import _fixtures as fx
import scope
from scope import Handle, Policy


def rss_kb():
    with open("/proc/self/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


N = int(os.environ.get("SCOPE_LEAK_N", "1000000"))
# (0: RSS not checked, e.g. under AddressSanitizer, whose quarantine keeps freed memory)
RSS_LIMIT_KB = int(os.environ.get("SCOPE_LEAK_RSS_KB", "2048"))


class LeakTest(unittest.TestCase):
    def flat(self, fn, n, what, limit_kb=RSS_LIMIT_KB):
        fn(n // 10)                       # warm up: caches, arenas, thread memory
        gc.collect()
        before = rss_kb()
        total = getattr(sys, "gettotalrefcount", lambda: 0)()
        fn(n)
        gc.collect()
        grown = rss_kb() - before
        refs = getattr(sys, "gettotalrefcount", lambda: 0)() - total
        if limit_kb:
            self.assertLess(grown, limit_kb, f"{what}: RSS grew {grown} kB over {n} calls")
        self.assertLess(abs(refs), 50, f"{what}: total refcount moved by {refs}")
        return grown

    def test_decide(self):
        p = Policy(fx.image("main.scope"))

        def run(n):
            d = p.decide
            for i in range(n):
                r = d("triage", "post", "forum.help", channel="internal")
                if i % 64 == 0:
                    r.explanation, r.item_info        # the lazy parts too
            d("reader", "read", "forum.private.x").explanation  # unknown: eager explanation
        self.flat(run, N, "decide")

    def test_errors_and_handles(self):
        h = Handle(fx.image("main.scope"))

        def run(n):
            for i in range(n // 4):
                h.decide(None, "read").error
                h.decide("triage", "read", "x\0y", a=b"1", **{"b" * 20: memoryview(b"v")})
                h.decide("payer", "pay", "vendor.a", amount="5000").explanation
                h.decide("t", "x", *(() if i % 2 else ("r",)))
        self.flat(run, N // 2, "errors, memoryviews, handles")

    def test_tool_calls(self):
        p = Policy(fx.image("main.scope"))

        def run(n):
            for i in range(n):
                p.decide_tool_call("reader", "read", {"path": "/tmp/../etc", "n": i, "l": ["a"], "u": 1.5})
                p.decide_tool_call("reader", "read", {"url": "bad url"}).error
                p.decide_tool_call("reader", "read", {"paths": [1]})
        self.flat(run, N // 20, "tool calls")

    def test_results_keep_their_policy(self):
        h = Handle(fx.image("a.scope"))
        r = h.decide("t", "read", "r.one")
        h.swap(fx.image("b.scope"))
        h.swap(None)
        h.close()
        gc.collect()
        self.assertTrue(r.explanation.endswith("a.scope:2:10: allows read r.one"), r.explanation)
        self.assertEqual(r.item_info.text, "allows read r.one")
        p = Policy(fx.image("b.scope"))
        r2 = p.decide("t", "read", "r.one")
        p.close()
        self.assertIn("b.scope", r2.explanation)

    def test_swaps_do_not_leak(self):
        imgs = [fx.image("a.scope"), fx.image("b.scope")]
        h = Handle()

        def run(n):
            for i in range(n):
                h.swap(imgs[i % 2] if i % 3 else Policy(imgs[i % 2]))
                h.decide("t", "read", "r.one")
        self.flat(run, 20000, "swaps")


if __name__ == "__main__":
    unittest.main()
