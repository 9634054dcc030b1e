"""Tests of scope.guard (@guarded)."""

import asyncio
import unittest

import _fixtures as fx
from scope import Denied, Handle, Policy, Request, guarded


class Tools:
    """A fake agent's tools over tools.scope, guarded three ways."""

    def __init__(self, policy, on_ask=None):
        self.calls = []

        @guarded(policy, task="agent", action="read_forum",
                 resource=lambda args, kwargs: "forum." + args[0])
        def read_forum(thread):
            self.calls.append(("read_forum", thread))
            return f"contents of {thread}"

        @guarded(policy, task="agent", action="post_answer",
                 resource=lambda args, kwargs: "forum." + args[0],
                 attrs=lambda args, kwargs: {"suggests": kwargs["suggests"]} if "suggests" in kwargs else {},
                 on_ask=on_ask)
        def post_answer(thread, text, suggests=None):
            """Posts TEXT."""
            self.calls.append(("post_answer", thread, text))
            return "posted"

        @guarded(policy, task="agent", action="set_config", resource=lambda args, kwargs: args[0])
        def set_config(key, value):
            self.calls.append(("set_config", key, value))

        self.read_forum, self.post_answer, self.set_config = read_forum, post_answer, set_config


class GuardTest(unittest.TestCase):
    def setUp(self):
        self.policy = Policy(fx.image("tools.scope"))
        self.asked = []

    def approver(self, answer):
        def on_ask(request, explanation):
            self.asked.append((request, explanation))
            return answer
        return on_ask

    def test_allow_calls_the_function(self):
        t = Tools(self.policy)
        self.assertEqual(t.read_forum("help.7"), "contents of help.7")
        self.assertEqual(t.calls, [("read_forum", "help.7")])

    def test_ask_approved(self):
        t = Tools(self.policy, self.approver(True))
        self.assertEqual(t.post_answer("help.7", "try this"), "posted")
        self.assertEqual(t.calls, [("post_answer", "help.7", "try this")])
        (req, why), = self.asked
        self.assertIsInstance(req, Request)
        self.assertEqual((req.task, req.action, req.resource, req.attrs), ("agent", "post_answer", "forum.help.7", {}))
        self.assertEqual(req.args, ("help.7", "try this"))
        self.assertTrue(req.function.endswith("post_answer"))
        self.assertTrue(why.endswith(": asks post_answer forum.**"), why)
        self.assertEqual(str(req), "agent post_answer forum.help.7")

    def test_ask_refused(self):
        for answer in (False, None, "yes", 1, [True]):
            with self.subTest(answer=answer):
                t = Tools(self.policy, self.approver(answer))
                with self.assertRaises(Denied) as cm:
                    t.post_answer("help.7", "try this")
                self.assertEqual(t.calls, [])
                self.assertEqual(cm.exception.reason, "approval refused")
                self.assertEqual(cm.exception.result.decision, "ask")
                self.assertIn("asks post_answer forum.**", str(cm.exception))

    def test_ask_without_approver_is_denied(self):
        t = Tools(self.policy)
        with self.assertRaises(Denied) as cm:
            t.post_answer("help.7", "try this")
        self.assertEqual(t.calls, [])
        self.assertIn("no approver", cm.exception.reason)

    def test_approver_that_raises_is_a_deny(self):
        def on_ask(request, explanation):
            raise RuntimeError("pager down")
        t = Tools(self.policy, on_ask)
        with self.assertRaises(Denied) as cm:
            t.post_answer("help.7", "x")
        self.assertEqual(t.calls, [])
        self.assertIn("pager down", str(cm.exception))
        self.assertIsInstance(cm.exception.__cause__, RuntimeError)

    def test_deny_raises_with_the_explanation(self):
        t = Tools(self.policy, self.approver(True))
        with self.assertRaises(Denied) as cm:
            t.post_answer("help.7", "set max_conn", suggests="config")
        e = cm.exception
        self.assertEqual(self.asked, [], "a deny never reaches the approver")
        self.assertEqual(e.result.decision, "deny")
        self.assertEqual(e.reason, "denied by policy")
        self.assertTrue(e.explanation.endswith('denies post_answer forum.** when has suggests and suggests == "config"'),
                        e.explanation)
        self.assertIn(e.explanation, str(e))
        self.assertEqual(str(e.request), "agent post_answer forum.help.7 suggests=config")
        with self.assertRaises(Denied) as cm:
            t.set_config("service.api.max_conn", "500")
        self.assertIn("denies set_config **", cm.exception.explanation)
        self.assertIsInstance(cm.exception, PermissionError)
        self.assertEqual(t.calls, [])

    def test_broken_request_is_a_deny(self):
        calls = []

        @guarded(self.policy, task="agent", action="read_forum", resource=lambda args, kwargs: args[5])
        def needs_six(x):
            calls.append(x)

        @guarded(self.policy, task="agent", action="read_forum", resource="forum.x",
                 attrs=lambda args, kwargs: {"n": 42})
        def numeric_attr():
            calls.append(1)

        with self.assertRaises(Denied) as cm:
            needs_six(1)
        self.assertIsNone(cm.exception.request)
        self.assertIn("IndexError", str(cm.exception))
        with self.assertRaises(Denied) as cm:
            numeric_attr()
        self.assertIn("must be str", str(cm.exception))
        self.assertEqual(calls, [])

    def test_wraps_and_rejects_non_policies(self):
        t = Tools(self.policy)
        self.assertEqual(t.post_answer.__name__, "post_answer")
        self.assertEqual(t.post_answer.__doc__, "Posts TEXT.")
        with self.assertRaises(TypeError):
            guarded("policy.scopec", task="agent", action="x")

    def test_with_a_handle_and_a_swap(self):
        h = Handle(fx.image("tools.scope"))
        t = Tools(h)
        self.assertEqual(t.read_forum("help.7"), "contents of help.7")
        h.swap(fx.image("a.scope"))       # no task "agent" any more
        with self.assertRaises(Denied) as cm:
            t.read_forum("help.7")
        self.assertEqual(cm.exception.explanation, "undeclared task")
        h.swap(None)
        with self.assertRaises(Denied) as cm:
            t.read_forum("help.7")
        self.assertIn("no decision", cm.exception.reason)
        self.assertEqual(len(t.calls), 1)

    def test_async_functions(self):
        calls = []

        @guarded(self.policy, task="agent", action="post_answer",
                 resource=lambda args, kwargs: "forum." + args[0], on_ask=self.approver(True))
        async def post(thread):
            calls.append(thread)
            return "posted"

        @guarded(self.policy, task="agent", action="set_config", resource="x")
        async def configure():
            calls.append("config")

        self.assertEqual(asyncio.run(post("help.7")), "posted")
        with self.assertRaises(Denied):
            asyncio.run(configure())
        self.assertEqual(calls, ["help.7"])


if __name__ == "__main__":
    unittest.main()
