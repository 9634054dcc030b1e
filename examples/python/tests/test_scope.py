"""Tests of the scope package (make python-check: the extension built in build/python)."""

import os
import random
import re
import threading
import time
import unittest

import _fixtures as fx
import scope
from scope import Decision, Handle, Policy, Result, ScopeError, Why
from scope import _scope


def main_policy(strip=False):
    return Policy(fx.image("main.scope", strip))


class LoadTest(unittest.TestCase):
    def test_from_file_and_bytes_agree(self):
        by_path = Policy(fx.image_path("main.scope"))
        by_bytes = Policy(fx.image("main.scope"))
        self.assertEqual(Policy.from_file(fx.image_path("main.scope")).item_count, by_path.item_count)
        self.assertEqual(Policy.from_bytes(bytearray(fx.image("main.scope"))).task_count, 5)
        self.assertEqual(by_path.item_count, 9)
        self.assertEqual(by_path.task_count, 5)
        self.assertEqual(by_path.image_size, len(fx.image("main.scope")))
        self.assertEqual(by_path.decide("triage", "read", "forum.x"), by_bytes.decide("triage", "read", "forum.x"))
        self.assertIn("5 tasks, 9 items", repr(by_path))

    def test_is_bytecode(self):
        self.assertTrue(scope.is_bytecode(fx.image("main.scope")))
        self.assertFalse(scope.is_bytecode(fx.POLICIES["main.scope"].encode()))
        self.assertFalse(scope.is_bytecode(b""))

    def test_libscope_is_linked_in(self):
        self.assertTrue(os.path.exists(scope.extension_path()))
        with open("/proc/self/maps") as f:
            maps = f.read()
        self.assertIn(os.path.basename(scope.extension_path()), maps)
        self.assertNotIn("libscope", maps, "libscope is linked statically: no libscope.so is loaded")

    def test_source_file_is_not_an_image(self):
        with self.assertRaises(ScopeError) as cm:
            Policy(fx.path("main.scope"))
        self.assertEqual(cm.exception.code, scope.EFORMAT)
        self.assertEqual(cm.exception.name, "SCOPE_EFORMAT")
        self.assertEqual(cm.exception.strerror, "not a scope bytecode image")
        self.assertIn("main.scope", str(cm.exception))

    def test_missing_file(self):
        with self.assertRaises(ScopeError) as cm:
            Policy(os.path.join(os.path.dirname(fx.path("main.scope")), "nope.scopec"))
        self.assertEqual(cm.exception.code, scope.EIO)

    def test_not_a_source(self):
        with self.assertRaises(TypeError):
            Policy(42)


class SignedTest(unittest.TestCase):
    """trusted_keys=: only images signed by one of the keys load (`scopec sign`)."""

    def test_signed_image_decides_like_the_unsigned_one(self):
        signed = fx.signed_image("main.scope", "ci")
        with open(fx.key("ci")[1], "rb") as f:
            pem = f.read()
        for keys in ([fx.key("ci")[1]], [pem],
                     [__import__("pathlib").Path(fx.key("ci")[1])], [fx.key("other")[1], fx.key("ci")[1]]):
            p = Policy(signed, trusted_keys=keys)
            self.assertEqual(p.decide("triage", "read", "forum.x"), main_policy().decide("triage", "read", "forum.x"))
        path = os.path.join(os.path.dirname(fx.path("main.scope")), "main.scope-signed-ci.scopec")
        self.assertTrue(Policy(path, trusted_keys=[fx.key("ci")[1]]).decide("triage", "read", "forum.x").allowed)

    def refused(self, code, source, keys):
        with self.assertRaises(ScopeError) as cm:
            Policy(source, trusted_keys=keys)
        self.assertEqual(cm.exception.name, code, str(cm.exception))

    def test_refusals(self):
        ci = [fx.key("ci")[1]]
        signed = bytearray(fx.signed_image("main.scope", "ci"))
        self.refused("SCOPE_EUNSIGNED", fx.image("main.scope"), ci)
        self.refused("SCOPE_EUNSIGNED", fx.image_path("main.scope"), ci)
        self.refused("SCOPE_ESIGNATURE", fx.signed_image("main.scope", "other"), ci)
        self.refused("SCOPE_EFORMAT", fx.path("main.scope"), ci)
        self.refused("SCOPE_EFORMAT", fx.POLICIES["main.scope"].encode(), ci)
        for at in (8, len(signed) // 2, len(signed) - 70, len(signed) - 1):
            bad = bytearray(signed)
            bad[at] ^= 0x20
            self.refused("SCOPE_ESIGNATURE", bytes(bad), ci)
        self.refused("SCOPE_ESIGNATURE", bytes(signed[:-30]), ci)      # a cut trailer: malformed

    def test_bad_key_lists(self):
        signed = fx.signed_image("main.scope", "ci")
        self.refused("SCOPE_EKEY", signed, [])
        self.refused("SCOPE_EKEY", signed, fx.key("ci")[1])            # one key, not a list of keys
        self.refused("SCOPE_EKEY", signed, [fx.key("ci")[0]])          # a private key
        self.refused("SCOPE_EKEY", signed, [b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"])
        self.refused("SCOPE_EKEY", signed, [fx.key("ci")[1]] * 17)
        self.refused("SCOPE_EKEY", signed, [42])
        self.refused("SCOPE_EIO", signed, [fx.key("ci")[1] + ".missing"])

    def test_handle_takes_only_signed_policies(self):
        ci = [fx.key("ci")[1]]
        h = Handle(fx.signed_image("main.scope", "ci"), trusted_keys=ci)
        self.assertTrue(h.decide("triage", "read", "forum.x").allowed)
        with self.assertRaises(ScopeError) as cm:
            h.swap(fx.image("a.scope"))                                  # unsigned bytes
        self.assertEqual(cm.exception.name, "SCOPE_EUNSIGNED")
        with self.assertRaises(ScopeError) as cm:
            h.swap(Policy(fx.image("a.scope")))                          # a Policy loaded without a key
        self.assertEqual(cm.exception.name, "SCOPE_EUNSIGNED")
        other = Policy(fx.signed_image("a.scope", "other"), trusted_keys=[fx.key("other")[1]])
        with self.assertRaises(ScopeError):
            h.swap(other)                                                # verified, but by another key
        self.assertTrue(h.decide("triage", "read", "forum.x").allowed, "the old policy stays")
        h.swap(Policy(fx.signed_image("a.scope", "ci"), trusted_keys=ci))
        self.assertEqual(h.decide("t", "read", "r.one").decision, Decision.ALLOW)
        h.swap(fx.signed_image("b.scope", "ci"))
        self.assertEqual(h.decide("t", "read", "r.one").decision, Decision.DENY)
        with self.assertRaises(ScopeError):
            Handle(fx.image("a.scope"), trusted_keys=ci)


class CorruptImageTest(unittest.TestCase):
    def load_fails(self, data):
        with self.assertRaises(ScopeError) as cm:
            Policy(data)
        self.assertIn(cm.exception.code, scope.ERRORS)
        self.assertEqual(cm.exception.strerror, scope.ERRORS[cm.exception.code][1])
        return cm.exception.code

    def test_flipped_byte_is_rejected(self):
        img = bytearray(fx.image("main.scope"))
        img[len(img) // 2] ^= 0xFF
        self.assertEqual(self.load_fails(bytes(img)), scope.ECHECKSUM)

    def test_truncated_and_empty(self):
        img = fx.image("main.scope")
        self.assertEqual(self.load_fails(img[:-8]), scope.ELENGTH)
        self.assertEqual(self.load_fails(img[:12]), scope.ELENGTH)
        self.assertEqual(self.load_fails(b""), scope.EFORMAT)
        self.assertEqual(self.load_fails(b"\x89SCOPE\r\n" + b"\0" * 100), scope.EVERSION)
        self.assertEqual(self.load_fails(img + b"\0"), scope.ELENGTH)

    def test_every_flipped_byte_is_rejected(self):
        img = fx.image("main.scope")
        for i in range(len(img)):
            bad = bytearray(img)
            bad[i] ^= 0x5A
            with self.subTest(offset=i):
                self.load_fails(bytes(bad))

    def test_corrupted_file(self):
        bad = bytearray(fx.image("main.scope"))
        bad[-1] ^= 1
        p = fx.image_path("main.scope") + ".bad"
        with open(p, "wb") as f:
            f.write(bad)
        self.load_fails(p)


class DecideTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.p = main_policy()

    def check(self, want, why, *rq, **attrs):
        r = self.p.decide(*rq, **attrs)
        self.assertIsInstance(r, Result)
        self.assertIs(r.decision, Decision(want), (rq, attrs, r))
        self.assertEqual(r.decision, want)          # a str enum
        self.assertIs(r.why, why, (rq, attrs, r))
        self.assertIsNone(r.error)
        return r

    def test_allow_ask_deny(self):
        r = self.check("allow", Why.ITEM, "triage", "read", "forum.general.42")
        self.assertTrue(r.allowed)
        self.assertFalse(r.unknown)
        self.assertEqual(r.item_info.text, "allows read forum.**")
        self.assertEqual((r.item_info.line, r.item_info.col), (3, 10))
        self.assertTrue(r.explanation.endswith("main.scope:3:10: allows read forum.**"), r.explanation)
        r = self.check("ask", Why.ITEM, "triage", "post", "forum.help", channel="internal")
        self.assertEqual(r.item_info.kind, Decision.ASK)
        self.assertEqual(r.item_info.clause, "asks")
        self.assertTrue(r.item_info.has_condition)
        self.assertFalse(r.allowed)
        r = self.check("deny", Why.ITEM, "triage", "config.set", "service.api")
        self.assertEqual(r.item_info.text, "denies config.**")
        r = self.check("deny", Why.DEFAULT, "triage", "post", "forum.help")
        self.assertIsNone(r.item)
        self.assertIsNone(r.item_info)
        self.assertEqual(r.explanation, "no item allows this (default deny)")

    def test_attributes(self):
        self.check("deny", Why.ITEM, "triage", "post", "forum.help", channel="internal", flagged="yes")
        self.check("ask", Why.ITEM, "triage", "post", "forum.help", channel="internal", flagged="no")
        self.check("allow", Why.ITEM, "payer", "pay", "vendor.acme", amount="50")
        self.check("ask", Why.ITEM, "payer", "pay", "vendor.acme", amount="500")
        self.check("deny", Why.DEFAULT, "payer", "pay", "vendor.acme", amount="5000")
        self.check("deny", Why.DEFAULT, "payer", "pay", "vendor.acme", amount="lots")
        self.check("allow", Why.ITEM, "oncall", "config.set", "service.api", ticket="INC-12")
        self.check("deny", Why.DEFAULT, "oncall", "config.set", "service.api", ticket="inc-12")
        self.check("deny", Why.DEFAULT, "oncall", "config.set", "service.api", ticket="INC-12x")
        # keys that are not identifiers, bytes values
        self.check("ask", Why.ITEM, "triage", "post", "forum.help", **{"channel": b"internal"})
        self.check("allow", Why.ITEM, b"triage", b"read", b"forum.x", **{"x-y.z": "1"})
        # attributes named like the positional parameters
        self.check("allow", Why.ITEM, "triage", "read", "forum.x", task="other", resource="r", action="a")
        # attributes as one dict (positional), or None
        self.check("ask", Why.ITEM, "triage", "post", "forum.help", {"channel": "internal"})
        self.check("deny", Why.ITEM, "triage", "post", "forum.help", {"channel": "internal", b"flagged": "yes"})
        self.check("deny", Why.DEFAULT, "triage", "post", "forum.help", None)
        self.check("allow", Why.ITEM, "payer", "pay", "vendor.acme", {f"k{i}": "v" for i in range(100)} | {"amount": "7"})
        with self.assertRaises(TypeError):
            self.p.decide("triage", "post", "forum.help", {"channel": "internal"}, channel="internal")
        with self.assertRaises(TypeError):
            self.p.decide("triage", "post", "forum.help", None, None)

    def test_missing_attribute_is_unknown_and_restrictive(self):
        r = self.check("deny", Why.ITEM, "reader", "read", "forum.private.x")
        self.assertTrue(r.unknown)
        self.assertIn("(condition unknown because attribute 'clearance' is missing)", r.explanation)
        self.check("allow", Why.ITEM, "reader", "read", "forum.private.x", clearance="staff")
        self.check("deny", Why.DEFAULT, "payer", "pay", "vendor.acme")

    def test_undeclared_task(self):
        r = self.check("deny", Why.NO_TASK, "intruder", "read", "forum.general.42")
        self.assertEqual(r.explanation, "undeclared task")
        self.check("deny", Why.NO_TASK, "", "read", "forum.general.42")
        self.check("deny", Why.NO_TASK, "triage.x", "read", "forum.general.42")
        self.check("deny", Why.DEFAULT, "idle", "read", "forum.general.42")

    def test_empty_resource(self):
        self.check("deny", Why.ITEM, "triage", "config.set")
        self.check("deny", Why.DEFAULT, "triage", "read")

    def test_malformed_requests_are_denied_not_raised(self):
        bad = [
            ((None, "read", "forum.x"), {}),
            ((42, "read", "forum.x"), {}),
            (("triage", 1.5, "forum.x"), {}),
            (("triage", "read", ["forum.x"]), {}),
            (("triage", "read", None), {}),
            (("triage", "read", "forum.x"), {"channel": 250}),
            (("triage", "read", "forum.x"), {"channel": None}),
            (("triage", "read", "forum.x"), {"channel": True}),
            (("triage", "", "forum.x"), {}),
            (("triage", "read", "forum.x\0../../etc"), {}),
            (("triage", "read", "forum.x"), {"channel": "a\0b"}),
            (("triage", "read", "forum.\udc80"), {}),
            (("triage", "read", "forum.x"), {"": "v"}),
            (("triage", "read", "forum.x", [("channel", "x")]), {}),
            (("triage", "read", "forum.x", {1: "x"}), {}),
            (("triage", "read", "forum.x", {"channel": 1}), {}),
            (("triage", "read", "forum.x", {"": "x"}), {}),
            (("triage", "read", "forum.x", {"a\0": "x"}), {}),
        ]
        for rq, attrs in bad:
            with self.subTest(rq=rq, attrs=attrs):
                r = self.p.decide(*rq, **attrs)
                self.assertEqual(r.decision, "deny")
                self.assertIs(r.why, Why.ERROR)
                self.assertIsInstance(r.error, ScopeError)
                self.assertEqual(r.error.code, scope.EINVAL)
                self.assertEqual(r.explanation, "error (fail closed: deny)")
        with self.assertRaises(TypeError):
            self.p.decide("triage")     # a wrong call is a bug, not a request

    def test_explain_and_item(self):
        r = self.p.decide("triage", "post", "forum.help", channel="internal")
        self.assertEqual(self.p.explain(r), r.explanation)
        self.assertEqual(str(self.p.item(r.item)), r.explanation)
        self.assertEqual(self.p.item(r.item), r.item_info)
        items = self.p.items()
        self.assertEqual(len(items), self.p.item_count)
        self.assertEqual([i.clause for i in items[:2]], ["allows", "denies"])
        for bad in (self.p.item_count, -1, 1 << 40, "0"):
            with self.assertRaises(ScopeError) as cm:
                self.p.item(bad)
            self.assertEqual(cm.exception.code, scope.ERANGE)
            self.assertEqual(cm.exception.strerror, "index out of range")
        err = self.p.decide(None, "read")
        self.assertEqual(self.p.explain(err), "error (fail closed: deny)")
        self.assertEqual(self.p.explain(self.p.decide("nobody", "read")), "undeclared task")

    def test_long_explanation_is_not_cut(self):
        # longer than the first buffer the binding tries (256 bytes)
        d = os.path.join(os.path.dirname(fx.path("main.scope")), "d" * 120, "e" * 120)
        os.makedirs(d, exist_ok=True)
        src = os.path.join(d, "long.scope")
        with open(src, "w") as f:
            f.write("task t allows read forum.**\n")
        p = Policy(scope.compile_file(src))
        r = p.decide("t", "read", "forum.x")
        self.assertGreater(len(r.explanation), 256)
        self.assertEqual(r.explanation, f"{src}:1:15: allows read forum.**")
        self.assertEqual(p.explain(r), r.explanation)

    def test_stripped_image(self):
        p = main_policy(strip=True)
        r = p.decide("triage", "read", "forum.x")
        self.assertEqual(r.decision, "allow")
        self.assertEqual(r.explanation, f"item {r.item} (stripped)")
        self.assertFalse(r.item_info.has_location)
        self.assertEqual((r.item_info.file, r.item_info.text, r.item_info.line), ("", "", 0))
        self.assertLess(p.image_size, main_policy().image_size)

    def test_closed_policy_denies(self):
        p = main_policy()
        with p:
            self.assertEqual(p.decide("triage", "read", "forum.x").decision, "allow")
        self.assertTrue(p.closed)
        r = p.decide("triage", "read", "forum.x")
        self.assertEqual((r.decision, r.why), ("deny", Why.ERROR))
        self.assertIn("closed", str(r.error))
        p.close()                               # twice is fine
        with self.assertRaises(ScopeError):
            p.item_count

    def test_threads_share_a_policy(self):
        p, errors, out = self.p, [], []
        reqs = [(("oncall", "config.set", "service.api"), {"ticket": f"INC-{i}"}, "allow") for i in range(50)]
        reqs += [(("oncall", "config.set", "service.api"), {"ticket": f"CHG-{i}"}, "deny") for i in range(50)]
        reqs += [(("payer", "pay", "vendor.v"), {"amount": str(i * 7)}, "allow" if i * 7 <= 100 else
                  "ask" if i * 7 <= 1000 else "deny") for i in range(300)]

        barrier = threading.Barrier(6)

        def work(seed):
            try:
                rnd = random.Random(seed)
                scratches = {_scope._scratch_id()}
                for _ in range(3000):
                    rq, attrs, want = rnd.choice(reqs)
                    r = p.decide(*rq, **attrs)
                    if r.decision != want:
                        errors.append((rq, attrs, want, r))
                scratches.add(_scope._scratch_id())
                out.append(scratches)
                barrier.wait(10)        # all alive: no scratch address reused
            except Exception as e:     # pragma: no cover
                errors.append(e)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(len(out), 6)
        self.assertEqual([len(x) for x in out], [1] * 6, "a thread keeps its scratch")
        self.assertEqual(len(set().union(*out)), 6, "one scratch per thread")


class ErrorTableTest(unittest.TestCase):
    def test_matches_scope_h(self):
        header = os.environ.get("SCOPE_H") or os.path.join(
            os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, os.pardir, "runtime", "scope.h")
        if not os.path.exists(header):
            self.skipTest("scope.h not found")
        with open(header) as f:
            codes = re.findall(r'X\((SCOPE_E[A-Z]+), (\d+), "([^"]*)"\)', f.read())
        self.assertTrue(codes)
        self.assertEqual({int(n): (name, text) for name, n, text in codes}, scope.ERRORS)
        for n, (name, text) in scope.ERRORS.items():
            self.assertEqual(getattr(scope, name[len("SCOPE_"):]), n)
            self.assertEqual(scope.strerror(-n), text)
            self.assertEqual(scope.strerror(n), text)
        self.assertEqual(scope.strerror(0), "success")
        self.assertEqual(scope.strerror(-999), "unknown error")
        e = ScopeError(-scope.EBUSY, "x")
        self.assertEqual((e.code, e.name, e.detail), (scope.EBUSY, "SCOPE_EBUSY", "x"))


# request -> {policy file: decision}: a.scope and b.scope decide every one
# by an item, differently, so each result says which policy decided it
SWAP_EXPECT = {
    "r.one": {"a.scope": "allow", "b.scope": "deny"},
    "r.two": {"a.scope": "deny", "b.scope": "ask"},
    "r.three": {"a.scope": "ask", "b.scope": "allow"},
}


def decided_by(result):
    m = re.match(r".*/([ab]\.scope):\d+:\d+: ", result.explanation)
    return m and m.group(1)


class HandleTest(unittest.TestCase):
    def test_empty_handle_denies(self):
        h = Handle()
        r = h.decide("t", "read", "r.one")
        self.assertEqual((r.decision, r.why, r.error.code), ("deny", Why.ERROR, scope.ENOPOLICY))
        with self.assertRaises(ScopeError) as cm:
            with h.pin():
                pass
        self.assertEqual(cm.exception.code, scope.ENOPOLICY)
        h.swap(fx.image("a.scope"))
        self.assertEqual(h.decide("t", "read", "r.one").decision, "allow")
        h.swap(None)
        self.assertEqual(h.decide("t", "read", "r.one").error.code, scope.ENOPOLICY)

    def test_swap_from_policy_bytes_and_path(self):
        a = Policy(fx.image("a.scope"))
        h = Handle(a)
        self.assertTrue(a.closed, "the handle took the policy over")
        self.assertIn("given to a Handle", str(a.decide("t", "read", "r.one").error))
        with self.assertRaises(ScopeError):
            Handle(a)
        self.assertEqual(decided_by(h.decide("t", "read", "r.one")), "a.scope")
        h.swap(fx.image_path("b.scope"))
        r = h.decide("t", "read", "r.one")
        self.assertEqual((r.decision, decided_by(r)), ("deny", "b.scope"))
        self.assertEqual(h.explain(r), r.explanation)
        h.swap(fx.image("a.scope"))
        self.assertEqual(h.decide("t", "read", "r.three").decision, "ask")
        with h.pin() as p:
            self.assertEqual(p.item_count, 3)
            r = p.decide("t", "read", "r.two")
            self.assertEqual(p.explain(r), r.explanation)
            with self.assertRaises(ScopeError):
                h2 = Handle()
                h2.swap(p)              # a pinned policy is the handle's
        self.assertTrue(p.closed)
        self.assertEqual(p.decide("t", "read", "r.two").why, Why.ERROR)
        h.close()
        h.close()
        self.assertEqual(h.decide("t", "read", "r.one").why, Why.ERROR)
        with self.assertRaises(ScopeError):
            h.swap(fx.image("a.scope"))

    def test_bad_policy_keeps_the_old_one(self):
        h = Handle(fx.image("a.scope"))
        bad = bytearray(fx.image("b.scope"))
        bad[40] ^= 1
        for src in (bytes(bad), fx.path("b.scope"), b"junk", bad[:30]):
            with self.assertRaises(ScopeError):
                h.swap(src)
            self.assertEqual(decided_by(h.decide("t", "read", "r.one")), "a.scope")

    def test_hot_swap_under_deciding_threads(self):
        h = Handle(fx.image("a.scope"))
        images = [fx.image("a.scope"), fx.image("b.scope")]
        stop = threading.Event()
        errors, seen, counts = [], set(), []
        names = list(SWAP_EXPECT)

        def reader(seed):
            rnd, n = random.Random(seed), 0
            try:
                while not stop.is_set() or n < 200:
                    res = rnd.choice(names)
                    r = h.decide("t", "read", res)
                    n += 1
                    if r.why is Why.ERROR:
                        errors.append(("error", res, r))     # a swap never fails a decision
                        continue
                    by = decided_by(r)
                    if r.why is not Why.ITEM or by is None or SWAP_EXPECT[res][by] != r.decision:
                        errors.append((res, r))
                    seen.add(by)
                counts.append(n)
            except Exception as e:     # pragma: no cover
                errors.append(e)

        threads = [threading.Thread(target=reader, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        swaps, deadline = 0, time.monotonic() + 1.5
        while time.monotonic() < deadline or swaps < 100:
            which = swaps % 2
            nxt = images[1 - which]
            h.swap(nxt if swaps % 3 else Policy(nxt))   # bytes and Policy objects
            swaps += 1
            if swaps % 7 == 0:          # let the readers in (the GIL), after a and after b
                time.sleep(0.001)
        stop.set()
        for t in threads:
            t.join()
        self.assertEqual(errors[:5], [])
        self.assertEqual(seen, {"a.scope", "b.scope"}, "readers saw both policies")
        self.assertEqual(len(counts), 6)
        self.assertGreater(swaps, 99)
        final = "b.scope" if swaps % 2 else "a.scope"
        self.assertEqual(decided_by(h.decide("t", "read", "r.one")), final)
        h.close()


if __name__ == "__main__":
    unittest.main()
