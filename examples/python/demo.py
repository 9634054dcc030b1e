#!/usr/bin/env python3
"""demo.py — a fake triage agent whose tools are guarded by policies/forum-triage.scope.

    python3 demo.py [POLICY.scope]        (needs scopec and the scope package: `make python-build`)

The policy exists because an agent started to *analyse* a forum question
posted an answer on its own, recommending a configuration change.  Here the
agent (task "triage") reads a thread (allow), drafts two answers that a
human must approve (ask: one approved, one refused), tries to publish config
advice (deny) and to change the configuration itself (deny).  Exit status 0
when every step was decided as the policy's expect lines say.
"""

import os
import sys

import scope
from scope import Denied, guarded

HERE = os.path.dirname(os.path.abspath(__file__))
POLICY = os.path.join(HERE, os.pardir, os.pardir, "policies", "forum-triage.scope")
FORUM = {"help.7": "Q: sync stops after the upgrade to 4.2, what now?"}


def human(answers):
    """A stand-in for the approval UI: replies from a script, prints what it saw."""
    replies = iter(answers)

    def on_ask(request, explanation):
        on_ask.asked += 1
        ok = next(replies, False)
        print(f"  ask: a human reviews [{request}] {request.args[1]!r}\n"
              f"    because {explanation}\n    -> {'approved' if ok else 'refused'}")
        return ok
    on_ask.asked = 0
    return on_ask


def make_tools(policy, on_ask):
    forum = lambda args, kwargs: "forum." + args[0]     # noqa: E731 (thread id -> resource)

    @guarded(policy, task="triage", action="read", resource=forum)
    def read_forum(thread):
        return FORUM.get(thread, "")

    @guarded(policy, task="triage", action="post", resource=forum,
             attrs=lambda args, kwargs: {"suggests": kwargs["suggests"]} if kwargs.get("suggests") else {},
             on_ask=on_ask)
    def post_answer(thread, text, suggests=None):
        return f"posted to {thread}"

    @guarded(policy, task="triage", action="config.set",
             resource=lambda args, kwargs: "service." + args[0])
    def set_config(key, value):
        return f"{key} = {value}"

    return read_forum, post_answer, set_config


def main(argv):
    src = os.path.relpath(os.path.normpath(argv[1] if len(argv) > 1 else POLICY))
    policy = scope.Handle(scope.compile_file(src))     # a Handle: a service would hot-swap it
    with policy.pin() as p:
        print(f"policy {src}: {p.task_count} tasks, {p.item_count} items; agent task: triage\n")
    approver = human([True, False])
    read_forum, post_answer, set_config = make_tools(policy, approver)

    steps = [  # (the outcome the policy promises, the tool, its arguments)
        ("allow", read_forum, ("help.7",), {}),
        ("ask", post_answer, ("help.7", "Restart the sync client after upgrading."), {}),
        ("ask", post_answer, ("help.7", "Downgrade to 4.1; it never had this bug."), {}),
        ("deny", post_answer, ("help.7", "Set sync.max_conn=500."), {"suggests": "config"}),
        ("deny", set_config, ("sync.max_conn", "500"), {}),
    ]
    wrong = 0
    for want, tool, args, kwargs in steps:
        call = f"{tool.__name__}({', '.join([repr(a) for a in args] + [f'{k}={v!r}' for k, v in kwargs.items()])})"
        asked = approver.asked
        print(f"agent: {call}")
        try:
            out = tool(*args, **kwargs)
            got = "ask" if approver.asked > asked else "allow"   # it ran: approved, or allowed
            print(f"  {got}: ran -> {out!r}\n")
        except Denied as e:
            got = e.result.decision if e.result else "deny"
            print(f"  {got}: refused ({e.reason})\n    {e.explanation}\n")
        if got != want:
            print(f"      expected {want}", file=sys.stderr)
            wrong += 1
    policy.close()
    print(f"{len(steps) - wrong} of {len(steps)} steps decided as forum-triage.scope says")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
