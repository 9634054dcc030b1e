"""guard.py — decide before an agent's tool runs.

    from guard import guarded, Denied

    @guarded(policy, task="triage", action="post",
             resource=lambda args, kwargs: "forum." + args[0],
             attrs=lambda args, kwargs: {"channel": kwargs.get("channel", "public")},
             on_ask=ask_a_human)
    def post_answer(thread, text, channel="public"):
        ...

Before each call the guard builds the request (task, action, resource,
attributes), decides it with POLICY (a scope.Policy or scope.Handle), and
  * allow: calls the function;
  * ask:   calls on_ask(request, explanation) and calls the function only if
           that returns True (exactly True: "yes", 1 or a truthy object do
           not count); no on_ask means no human to ask, so the call is denied;
  * deny:  raises Denied, with the deciding item in its explanation.
Everything that goes wrong on the way (a resource or attrs callable that
raises or returns a non-string, a library error, an approver that raises)
raises Denied too: the tool never runs unless the policy said so.
"""

import functools
import inspect
from dataclasses import dataclass, field
from typing import Any, Dict, Tuple

from scope import Decision

__all__ = ["guarded", "Denied", "Request"]


def _quote(s):
    s = str(s)
    if s and all(c.isalnum() or c in "_-.*?/:~+%" for c in s):
        return s
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True)
class Request:
    """What the guard asked: the request, and the call it guards (an
    approver usually wants to see the arguments, e.g. the text to post)."""
    task: str
    action: str
    resource: str
    attrs: Dict[str, str]
    function: str
    args: Tuple[Any, ...] = field(default=(), repr=False)
    kwargs: Dict[str, Any] = field(default_factory=dict, repr=False)

    def __str__(self):
        """The request in `scopec eval` syntax."""
        parts = [_quote(self.task), _quote(self.action)]
        if self.resource or self.attrs:
            parts.append(_quote(self.resource) if self.resource else '""')
        parts += [f"{k}={_quote(v)}" for k, v in self.attrs.items()]
        return " ".join(parts)


class Denied(PermissionError):
    """The guarded call was not made.  .request (None if it could not be
    built), .result (the scope Result, None if no decision was made),
    .explanation (the deciding item or why nothing allowed it) and .reason
    (why the call was refused)."""

    def __init__(self, request, reason, result=None, explanation="", function=None):
        self.request, self.reason, self.result, self.explanation = request, reason, result, explanation
        msg = f"{request.function if request else function}: {reason}"
        if request:
            msg += f" [{request}]"
        if explanation:
            msg += f": {explanation}"
        super().__init__(msg)


def _value(spec, args, kwargs):
    return spec(args, kwargs) if callable(spec) else spec


def _build(fn_name, policy, task, action, resource, attrs, args, kwargs):
    try:
        req = Request(_value(task, args, kwargs), _value(action, args, kwargs),
                      _value(resource, args, kwargs), dict(_value(attrs, args, kwargs) or {}),
                      fn_name, args, dict(kwargs))
    except Exception as e:
        raise Denied(None, f"cannot build the request ({type(e).__name__}: {e})",
                     function=fn_name) from e
    result = policy.decide(req.task, req.action, req.resource, **req.attrs)
    return req, result


def _check(req, result, on_ask):
    """Returns if the call may proceed; raises Denied otherwise."""
    if result.error is not None:
        raise Denied(req, f"no decision ({result.error})", result, result.explanation)
    if result.decision is Decision.ALLOW:
        return
    if result.decision is Decision.ASK:
        if on_ask is None:
            raise Denied(req, "needs approval and no approver is configured", result, result.explanation)
        try:
            approved = on_ask(req, result.explanation)
        except Exception as e:
            raise Denied(req, f"approver failed ({type(e).__name__}: {e})", result,
                         result.explanation) from e
        if approved is not True:
            raise Denied(req, "approval refused", result, result.explanation)
        return
    raise Denied(req, "denied by policy", result, result.explanation)


def guarded(policy, task, action, resource="", attrs=None, on_ask=None):
    """Decorator: decide (task, action, resource, attrs) with POLICY before
    each call.  TASK, ACTION and RESOURCE are strings or callables
    (args, kwargs) -> str; ATTRS is a dict or a callable (args, kwargs) ->
    dict of str.  Works on plain and async functions."""
    if not hasattr(policy, "decide"):
        raise TypeError("guarded() needs a scope.Policy or scope.Handle")

    def decorate(fn):
        name = getattr(fn, "__qualname__", repr(fn))
        if inspect.iscoroutinefunction(fn):
            @functools.wraps(fn)
            async def async_wrapper(*args, **kwargs):
                _check(*_build(name, policy, task, action, resource, attrs, args, kwargs), on_ask)
                return await fn(*args, **kwargs)
            return async_wrapper

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            _check(*_build(name, policy, task, action, resource, attrs, args, kwargs), on_ask)
            return fn(*args, **kwargs)
        return wrapper
    return decorate
