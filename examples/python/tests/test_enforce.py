"""Tests of the request forming of scope (libscope-enforce from Python):
canonical_path, canonical_url, Policy.decide_tool_call, @guarded(tool=True),
and the fail-closed behaviour on any Python input."""

import asyncio
import os
import random
import shutil
import sys
import tempfile
import unittest

import _fixtures as fx
import scope
from scope import Decision, Denied, Handle, Policy, ScopeError, Why, guarded

TOOL_POLICY = """\
task coder
  allows fs.read {repo}/**
  denies fs.read {repo}/secret/**
  allows fs.write {repo}/src/**
  asks   fs.write {repo}/docs/** when arg.reason == "typo"
  allows fs.copy {repo}/**
  asks   http.get "https://docs.example.com/**"
  denies http.get "https://docs.example.com/private/**"
  allows fs.list
  allows fs.append {repo}/**
  denies fs.append {repo}/** when arg.size > 1000
"""


class ToolCallBase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = os.path.realpath(tempfile.mkdtemp(prefix="scope-tool-"))
        cls.repo = os.path.join(cls.tmp, "repo")
        for d in ("src", "docs", "secret"):
            os.makedirs(os.path.join(cls.repo, d))
        with open(os.path.join(cls.repo, "secret", "key"), "w") as f:
            f.write("k")
        # a link inside the repository that points out of it, and one to the secret
        os.symlink(cls.tmp, os.path.join(cls.repo, "src", "up"))
        os.symlink(os.path.join(cls.repo, "secret"), os.path.join(cls.repo, "src", "s"))
        src = os.path.join(cls.tmp, "tools.scope")
        with open(src, "w") as f:
            f.write(TOOL_POLICY.format(repo=cls.repo))
        cls.p = Policy(scope.compile_file(src))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, True)

    def decide(self, action, arguments, cwd=None):
        return self.p.decide_tool_call("coder", action, arguments, cwd if cwd is not None else self.repo)


class CanonicalTest(ToolCallBase):
    def test_paths(self):
        r = self.repo
        self.assertEqual(scope.canonical_path("src/../docs/./x", r), f"{r}/docs/x")
        self.assertEqual(scope.canonical_path(f"{r}//src///a"), f"{r}/src/a")
        self.assertEqual(scope.canonical_path("src/s/key", r), f"{r}/secret/key")      # symlink resolved
        self.assertEqual(scope.canonical_path("src/up/repo/src", r), f"{r}/src")
        self.assertEqual(scope.canonical_path("../../../../../../..", r), "/")
        self.assertEqual(scope.canonical_path(b"src", r.encode()), f"{r}/src")
        self.assertEqual(scope.canonical_path(os.path.join(r, "src")), f"{r}/src")
        home = os.environ.get("HOME")
        if home and os.path.isdir(home):
            self.assertEqual(scope.canonical_path("~/x"), os.path.join(os.path.realpath(home), "x"))

    def test_bad_paths_raise(self):
        for bad, cwd in (("a\0b", None), ("x", "relative/cwd"), ("x" * 5000, "/"), ("a", "/\0")):
            with self.subTest(bad=bad[:20], cwd=cwd):
                with self.assertRaises(ScopeError) as cm:
                    scope.canonical_path(bad, cwd)
                self.assertEqual(cm.exception.code, scope.EPATH)
        with self.assertRaises(ScopeError):
            scope.canonical_path(42)
        with self.assertRaises(TypeError):
            scope.canonical_path()

    def test_urls(self):
        self.assertEqual(scope.canonical_url("HTTPS://Docs.Example.COM:443/a/./b/../c#frag"),
                         "https://docs.example.com/a/c")
        self.assertEqual(scope.canonical_url("http://x.org/%7euser/%2f"), "http://x.org/~user/%2F")
        for bad in ("not a url", "/relative/path", "http://[::1", "", "http://a\0b/", 7, None):
            with self.subTest(bad=bad):
                with self.assertRaises(ScopeError) as cm:
                    scope.canonical_url(bad)
                self.assertEqual(cm.exception.code, scope.EURL)


class DecideToolCallTest(ToolCallBase):
    def check(self, want, action, arguments, why=None, cwd=None):
        r = self.decide(action, arguments, cwd)
        self.assertIs(r.decision, Decision(want), (action, arguments, r))
        if why is not None:
            self.assertIs(r.why, why, r)
        if why is not Why.ERROR:
            self.assertIsNone(r.error, r)
        return r

    def test_paths_are_canonical(self):
        r = self.check("allow", "fs.read", {"path": "src/../docs/readme"}, Why.ITEM)
        self.assertEqual(r.resource, f"{self.repo}/docs/readme")
        self.check("allow", "fs.read", {"file_path": f"{self.repo}/src/a.c"})
        self.check("allow", "fs.write", {"path": "src/new.c"})
        self.check("deny", "fs.write", {"path": "docs/x"})            # ask needs arg.reason == "typo"
        r = self.check("ask", "fs.write", {"path": "docs/x", "reason": "typo"})
        self.assertEqual(r.item_info.kind, Decision.ASK)

    def test_dotdot_traversal_is_denied(self):
        for path in ("../../etc/passwd", "src/../../repo/../../etc/passwd", "/etc/passwd",
                     f"{self.repo}/src/../../x"):
            with self.subTest(path=path):
                r = self.check("deny", "fs.read", {"path": path}, Why.DEFAULT)
                self.assertFalse(r.resource.startswith(self.repo + "/"), r.resource)
        r = self.check("deny", "fs.write", {"path": "src/../secret/key"}, Why.DEFAULT)
        self.assertEqual(r.resource, f"{self.repo}/secret/key")

    def test_symlinks_are_resolved(self):
        # src/s -> secret: reading through the link is reading the secret
        r = self.check("deny", "fs.read", {"path": "src/s/key"}, Why.ITEM)
        self.assertEqual(r.resource, f"{self.repo}/secret/key")
        self.assertIn("denies fs.read", r.explanation)
        self.check("deny", "fs.write", {"path": "src/s/key"})
        # src/up -> the directory above the repository
        r = self.check("deny", "fs.read", {"path": "src/up/tools.scope"}, Why.DEFAULT)
        self.assertEqual(r.resource, f"{self.tmp}/tools.scope")
        # ".." after a link: the kernel's path and the lexical one are both decided
        reqs = scope.tool_call_requests("coder", "fs.read", {"path": "src/up/../docs/x"}, cwd=self.repo)
        self.assertEqual(sorted(rq[2] for rq in reqs), sorted([f"{os.path.dirname(self.tmp)}/docs/x", f"{self.repo}/src/docs/x"]))
        self.check("deny", "fs.read", {"path": "src/up/../docs/x"})

    def test_urls(self):
        r = self.check("ask", "http.get", {"url": "HTTPS://DOCS.example.com:443/guide/../api#x"}, Why.ITEM)
        self.assertEqual(r.resource, "https://docs.example.com/api")
        self.check("deny", "http.get", {"url": "https://docs.example.com/a/../private/k"}, Why.ITEM)
        self.check("deny", "http.get", {"url": "https://docs.example.com.evil.org/"}, Why.DEFAULT)
        self.check("deny", "http.get", {"url": "https://docs.example.com%2F@evil.org/"})
        r = self.check("deny", "http.get", {"url": "no scheme"}, Why.ERROR)
        self.assertEqual(r.error.code, scope.EURL)
        self.assertIn("url", r.error.detail)
        # a path argument that holds a URL is a URL
        r = self.check("deny", "fs.read", {"path": "https://docs.example.com/x"})
        self.assertEqual(r.resource, "https://docs.example.com/x")

    def test_one_request_per_resource_most_restrictive_wins(self):
        reqs = scope.tool_call_requests("coder", "fs.copy", {"source": "src/a", "destination": "docs/b"},
                                        cwd=self.repo)
        self.assertEqual([rq[2] for rq in reqs], [f"{self.repo}/src/a", f"{self.repo}/docs/b"])
        self.check("allow", "fs.copy", {"source": "src/a", "destination": "docs/b"})
        r = self.check("deny", "fs.copy", {"source": "src/a", "destination": "/tmp/b"}, Why.DEFAULT)
        self.assertEqual(r.resource, "/tmp/b")
        r = self.check("deny", "fs.read", {"paths": ["src/a", "secret/k", "docs/c"]}, Why.ITEM)
        self.assertEqual(r.resource, f"{self.repo}/secret/k")
        self.check("allow", "fs.read", {"paths": ["src/a", "docs/c"]})
        self.check("allow", "fs.read", {"paths": ("src/a",)})

    def test_attributes(self):
        reqs = scope.tool_call_requests("coder", "fs.write", {"path": "src/x", "reason": "typo", "n": 3,
                                                              "f": 0.1, "ok": True, "none": None,
                                                              "list": [1], "obj": {"a": 1}}, cwd="/")
        (task, action, res, attrs), = reqs
        self.assertEqual((task, action, res), ("coder", "fs.write", "/src/x"))
        self.assertEqual(attrs, {"arg.path": "src/x", "arg.reason": "typo", "arg.n": "3", "arg.f": "0.1",
                                 "arg.ok": "true"})
        self.assertEqual(scope.tool_call_requests("coder", "fs.list", {}), [("coder", "fs.list", "", {})])
        self.assertEqual(scope.tool_call_requests("coder", "fs.list"), [("coder", "fs.list", "", {})])
        self.check("allow", "fs.list", {})
        self.check("allow", "fs.list", None)

    def test_malformed_calls_are_denied(self):
        deep = []
        for _ in range(200):
            deep = [deep]
        loop = []
        loop.append(loop)
        bad = [
            ("fs.read", {"path": 42}),                  # a resource argument that is not a string
            ("fs.read", {"paths": ["a", 1]}),
            ("fs.read", {"path": "a\0b"}),
            ("fs.read", {"path": "x" * 100000}),        # longer than PATH_MAX
            ("fs.read", {"path": "src/x", "blob": b"bytes"}),
            ("fs.read", {"path": "src/x", "obj": object()}),
            ("fs.read", {"path": "src/x", "n": 1 << 70}),
            ("fs.read", {"path": "src/x", "f": float("nan")}),
            ("fs.read", {"path": "src/x", "s": "\udc80"}),
            ("fs.read", {"path": "src/x", 3: "int key"}),
            ("fs.read", {"path": "src/x", "a\0b": "nul key"}),
            ("fs.read", {"path": "src/x", "deep": deep}),
            ("fs.read", {"path": "src/x", "loop": loop}),
            ("fs.read", {"path": "src/x", **{f"k{i}": i for i in range(2000)}}),  # > 1024 attributes
            ("fs.read", ["path", "src/x"]),
            ("fs.read", "path=src/x"),
            ("", {"path": "src/x"}),
            ("fs.read\0x", {"path": "src/x"}),
            (None, {"path": "src/x"}),
        ]
        for action, arguments in bad:
            with self.subTest(action=action, arguments=str(arguments)[:60]):
                r = self.decide(action, arguments)
                self.assertEqual((r.decision, r.why), (Decision.DENY, Why.ERROR), r)
                self.assertIsInstance(r.error, ScopeError)
                self.assertEqual(r.explanation, "error (fail closed: deny)")
        self.assertEqual(self.decide(b"\xff", {"path": "src/x"}).decision, "deny")  # bytes: taken as they are
        r = self.decide("fs.read", {"path": "src/x"}, cwd="relative")
        self.assertEqual((r.why, r.error.code), (Why.ERROR, scope.EPATH))
        r = self.decide("fs.read", {"path": "src/x"}, cwd="/a\0b")
        self.assertEqual(r.why, Why.ERROR)
        r = self.p.decide_tool_call(None, "fs.read", {"path": "src/x"})
        self.assertEqual(r.why, Why.ERROR)
        r = self.p.decide_tool_call("nobody", "fs.read", {"path": "src/x"}, cwd=self.repo)
        self.assertEqual(r.why, Why.NO_TASK)
        with self.assertRaises(TypeError):
            self.p.decide_tool_call("coder")        # a wrong call is a bug, not a request

    def test_bytes_like_task_and_action(self):
        r = self.p.decide_tool_call(bytearray(b"coder"), memoryview(b"fs.read"), {"path": "src/a"}, self.repo)
        self.assertEqual(r.decision, "allow")
        self.assertEqual(scope.canonical_url(bytearray(b"HTTP://A.b/")), "http://a.b/")

    def test_threads_forming_and_deciding(self):
        import threading
        errors = []
        p = Policy(scope.compile_file(os.path.join(self.tmp, "tools.scope")))
        cases = [({"path": "src/a"}, "allow"), ({"path": "src/s/key"}, "deny"), ({"path": "../x"}, "deny"),
                 ({"paths": ["docs/a", "src/b"]}, "allow"), ({"url": "https://docs.example.com/x"}, "ask"),
                 ({"path": 3}, "deny")]

        def work(seed):
            rnd = random.Random(seed)
            try:
                for _ in range(400):
                    args, want = rnd.choice(cases)
                    r = p.decide_tool_call("coder", "fs.read" if "url" not in args else "http.get", args,
                                           self.repo)
                    if r.decision != want:
                        errors.append((args, want, r))
            except Exception as e:     # pragma: no cover
                errors.append(e)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors[:3], [])
        # closing the policy while other threads form requests (the GIL released) is safe
        stop = threading.Event()

        def hammer():
            while not stop.is_set():
                r = p.decide_tool_call("coder", "fs.read", {"path": "src/a"}, self.repo)
                if r.decision != "allow" and r.why is not Why.ERROR:
                    errors.append(r)

        threads = [threading.Thread(target=hammer) for _ in range(3)]
        for t in threads:
            t.start()
        p.close()
        stop.set()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])

    def test_handles_and_closed_policies(self):
        h = Handle()
        r = h.decide_tool_call("coder", "fs.list", {})
        self.assertEqual((r.why, r.error.code), (Why.ERROR, scope.ENOPOLICY))
        h.swap(fx.image("a.scope"))
        self.assertEqual(h.decide_tool_call("t", "read", {"path": "r.one"}, cwd="/").why, Why.DEFAULT)
        h.close()
        self.assertEqual(h.decide_tool_call("coder", "fs.list").why, Why.ERROR)
        p = Policy(fx.image("a.scope"))
        p.close()
        self.assertEqual(p.decide_tool_call("t", "read").error.code, scope.EINVAL)

    def test_unknown_condition_names_the_attribute(self):
        self.check("allow", "fs.append", {"path": "docs/x", "size": 10})
        r = self.check("deny", "fs.append", {"path": "docs/x"}, Why.ITEM)
        self.assertTrue(r.unknown)
        self.assertIn("(condition unknown because attribute 'arg.size' is missing)", r.explanation)
        self.assertEqual(r.explanation, self.p.explain(r)[:-1] + " because attribute 'arg.size' is missing)")


class FuzzTest(ToolCallBase):
    """Any Python value: no crash, no exception, no allow unless well-formed."""

    VALUES = [None, True, 0, -1, 1 << 64, 2.5, float("inf"), "", "a", "\0", "\udc80", "x" * 70000, b"",
              b"\xff\xfe", bytearray(b"read"), memoryview(b"forum.x"), [], ["a"], ("a", 1), {}, {"a": 1},
              object(), type, 1j, set(), frozenset([1]), Ellipsis, NotImplemented, "forum.general.42",
              "triage", "read", "src/a.c", "../../etc/passwd"]

    def test_decide_never_raises(self):
        p = Policy(fx.image("main.scope"))
        rnd = random.Random(7)
        for _ in range(4000):
            task, action, res = (rnd.choice(self.VALUES) for _ in range(3))
            attrs = {rnd.choice(["channel", "", "a\0", "\udc80", "x" * 300]): rnd.choice(self.VALUES)
                     for _ in range(rnd.randrange(4))}
            r = p.decide(task, action, res, **attrs)
            ok = all(isinstance(v, (str, bytes, bytearray, memoryview)) for v in [task, action, res, *attrs.values()])
            if not ok:
                self.assertEqual((r.decision, r.why), ("deny", Why.ERROR))
            self.assertIsInstance(r.explanation, str)
            repr(r)

    def test_tool_calls_never_raise(self):
        rnd = random.Random(11)
        names = ["path", "paths", "source", "destination", "file_path", "uri", "url", "reason", "x"]
        for _ in range(3000):
            args = {rnd.choice(names): rnd.choice(self.VALUES) for _ in range(rnd.randrange(4))}
            if rnd.random() < 0.1:
                args = rnd.choice(self.VALUES)
            r = self.p.decide_tool_call(rnd.choice(["coder", self.VALUES[rnd.randrange(len(self.VALUES))]]),
                                        rnd.choice(["fs.read", "fs.write", "http.get", rnd.choice(self.VALUES)]),
                                        args, rnd.choice([self.repo, None, "rel", b"/", 5]))
            if r.decision is not Decision.DENY:
                self.assertIsNone(r.error)
            self.assertIsInstance(r.explanation, str)


class ToolGuardTest(ToolCallBase):
    def test_tool_guard_forms_the_request_from_the_arguments(self):
        calls = []

        @guarded(self.p, task="coder", action="fs.read", tool=True, cwd=lambda a, k: self.repo)
        def read_file(path, limit=None):
            calls.append(path)
            return "data"

        self.assertEqual(read_file("src/a.c"), "data")
        self.assertEqual(read_file(path="docs/../src/b.c", limit=10), "data")
        for bad in ("src/s/key", "../tools.scope", "secret/key"):
            with self.subTest(path=bad):
                with self.assertRaises(Denied) as cm:
                    read_file(bad)          # positional: bound by name all the same
                self.assertEqual(cm.exception.result.decision, "deny")
        self.assertEqual(cm.exception.request.resource, f"{self.repo}/secret/key")
        self.assertEqual(cm.exception.request.arguments, {"path": "secret/key", "limit": None})
        with self.assertRaises(Denied) as cm:
            read_file(object())
        self.assertIn("no decision", cm.exception.reason)
        self.assertEqual(calls, ["src/a.c", "docs/../src/b.c"])

    def test_tool_guard_methods_and_varkw(self):
        repo = self.repo

        class Tools:
            @guarded(self.p, task="coder", action="fs.copy", tool=True, cwd=repo)
            def copy(self, source, destination, **options):
                return (source, destination, options)

        t = Tools()
        self.assertEqual(t.copy("src/a", "docs/b", mode="fast"), ("src/a", "docs/b", {"mode": "fast"}))
        with self.assertRaises(Denied):
            t.copy("src/a", "/etc/b")
        with self.assertRaises(TypeError):
            guarded(self.p, task="coder", action="x", resource="r", tool=True)

    def test_async_tool_guard_with_async_approver(self):
        asked = []

        async def approver(request, explanation):
            await asyncio.sleep(0)
            asked.append(request.resource)
            return request.arguments.get("reason") == "typo"

        @guarded(self.p, task="coder", action="fs.write", tool=True, cwd=self.repo, on_ask=approver)
        async def write_file(path, text, reason=None):
            await asyncio.sleep(0)
            return f"wrote {path}"

        self.assertEqual(asyncio.run(write_file("src/x.c", "t")), "wrote src/x.c")
        self.assertEqual(asyncio.run(write_file("docs/x", "t", reason="typo")), "wrote docs/x")
        self.assertEqual(asked, [f"{self.repo}/docs/x"])
        with self.assertRaises(Denied):
            asyncio.run(write_file("../escape", "t", reason="typo"))

        async def concurrently():
            return await asyncio.gather(*(write_file(f"src/{i}", "t") for i in range(50)),
                                        write_file("secret/k", "t"), return_exceptions=True)

        out = asyncio.run(concurrently())
        self.assertEqual(out[:50], [f"wrote src/{i}" for i in range(50)])
        self.assertIsInstance(out[50], Denied)

    def test_sync_guard_with_async_approver_is_denied(self):
        async def approver(request, explanation):
            return True

        @guarded(self.p, task="coder", action="fs.write", tool=True, cwd=self.repo, on_ask=approver)
        def write_file(path, reason=None):
            return "wrote"

        with self.assertRaises(Denied) as cm:
            write_file("docs/x", reason="typo")
        self.assertIn("async", cm.exception.reason)


if __name__ == "__main__":
    unittest.main()
