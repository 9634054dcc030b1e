"""scope.guard — decide before an agent's tool runs.

    from scope import guarded, Denied

    @guarded(policy, task="triage", action="post",
             resource=lambda args, kwargs: "forum." + args[0],
             attrs=lambda args, kwargs: {"channel": kwargs.get("channel", "public")},
             on_ask=ask_a_human)
    def post_answer(thread, text, channel="public"):
        ...

    @guarded(policy, task="coder", action="fs.read", tool=True, cwd="/srv/repo")
    def read_file(path, limit=None):       # request formed from the arguments:
        ...                                # resource = canonical path, arg.limit

Before each call the guard builds the request, decides it with POLICY (a
scope.Policy or scope.Handle), and
  * allow: calls the function;
  * ask:   calls on_ask(request, explanation) and calls the function only if
           that returns True (exactly True: "yes", 1 or a truthy object do
           not count); an async guard awaits an on_ask that returns an
           awaitable; no on_ask means no human to ask: denied;
  * deny:  raises Denied, with the deciding item in its explanation.
Everything that goes wrong on the way (a resource or attrs callable that
raises or returns a non-string, a library error, an approver that raises)
raises Denied too: the tool never runs unless the policy said so.

tool=True forms the request as every enforcement point of scope does
(libscope-enforce, Policy.decide_tool_call): the function's arguments,
bound by name (positional ones too, defaults included; a first parameter
named self or cls is left out) become a JSON object; its resource arguments
(path, paths, source, destination, file_path: paths made canonical against
CWD; uri, url: URLs) give one request each, the most restrictive decision
wins, and every scalar argument is attribute arg.NAME.  An argument that is
not JSON-representable (str, int, float, bool, None, list, tuple, dict) is a
deny: pass arguments=lambda args, kwargs: {...} to choose what is sent.
"""

import functools
import inspect
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, Optional, Tuple, TypeVar, Union

from ._types import Decision

__all__ = ["guarded", "Denied", "Request"]

F = TypeVar("F", bound=Callable[..., Any])
Spec = Union[str, Callable[[Tuple[Any, ...], Dict[str, Any]], str]]


def _quote(s: Any) -> str:
    s = str(s)
    if s and all(c.isalnum() or c in "_-.*?/:~+%" for c in s):
        return s
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True)
class Request:
    """What the guard asked: the request, and the call it guards (an
    approver usually wants to see the arguments, e.g. the text to post).
    For tool=True guards, resource is the canonical resource of the deciding
    request and arguments the tool call's arguments."""
    task: str
    action: str
    resource: str
    attrs: Dict[str, str]
    function: str
    args: Tuple[Any, ...] = field(default=(), repr=False)
    kwargs: Dict[str, Any] = field(default_factory=dict, repr=False)
    arguments: Optional[Dict[str, Any]] = field(default=None, repr=False)

    def __str__(self) -> str:
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

    def __init__(self, request: Optional[Request], reason: str, result: Any = None,
                 explanation: str = "", function: Optional[str] = None) -> None:
        self.request, self.reason, self.result, self.explanation = request, reason, result, explanation
        msg = f"{request.function if request else function}: {reason}"
        if request:
            msg += f" [{request}]"
        if explanation:
            msg += f": {explanation}"
        super().__init__(msg)


def _value(spec: Any, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
    return spec(args, kwargs) if callable(spec) else spec


def _bound_arguments(sig: inspect.Signature, args: Tuple[Any, ...],
                     kwargs: Dict[str, Any]) -> Dict[str, Any]:
    bound = sig.bind(*args, **kwargs)
    bound.apply_defaults()
    out: Dict[str, Any] = {}
    params = list(sig.parameters.values())
    for i, (name, value) in enumerate(bound.arguments.items()):
        p = sig.parameters[name]
        if i == 0 and name in ("self", "cls") and p is params[0]:
            continue
        if p.kind is inspect.Parameter.VAR_KEYWORD:
            for k, v in value.items():
                if k in out:
                    raise TypeError(f"argument {k!r} given twice")
                out[k] = v
        elif p.kind is inspect.Parameter.VAR_POSITIONAL:
            out[name] = list(value)
        else:
            out[name] = value
    return out


class _Guard:
    def __init__(self, fn: Callable[..., Any], policy: Any, task: Spec, action: Spec, resource: Spec,
                 attrs: Any, on_ask: Any, tool: bool, cwd: Any, arguments: Any) -> None:
        self.name = getattr(fn, "__qualname__", repr(fn))
        self.policy, self.task, self.action, self.resource = policy, task, action, resource
        self.attrs, self.on_ask, self.tool, self.cwd, self.arguments = attrs, on_ask, tool, cwd, arguments
        self.sig = inspect.signature(fn) if tool and arguments is None else None

    def decide(self, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Tuple[Request, Any]:
        try:
            task, action = _value(self.task, args, kwargs), _value(self.action, args, kwargs)
            if self.tool:
                arguments = (_bound_arguments(self.sig, args, kwargs) if self.sig is not None
                             else dict(_value(self.arguments, args, kwargs)))
                cwd = _value(self.cwd, args, kwargs)
            else:
                req = Request(task, action, _value(self.resource, args, kwargs),
                              dict(_value(self.attrs, args, kwargs) or {}), self.name, args, dict(kwargs))
        except Exception as e:
            raise Denied(None, f"cannot build the request ({type(e).__name__}: {e})",
                         function=self.name) from e
        if not self.tool:
            return req, self.policy.decide(req.task, req.action, req.resource, req.attrs)
        result = self.policy.decide_tool_call(task, action, arguments, cwd)
        req = Request(str(task), str(action), result.resource or "", {}, self.name, args, dict(kwargs),
                      arguments)
        return req, result

    def verdict(self, req: Request, result: Any) -> bool:
        """True: call; False: ask the approver; raises Denied otherwise."""
        if result.error is not None:
            raise Denied(req, f"no decision ({result.error})", result, result.explanation)
        if result.decision is Decision.ALLOW:
            return True
        if result.decision is Decision.ASK:
            if self.on_ask is None:
                raise Denied(req, "needs approval and no approver is configured", result, result.explanation)
            return False
        raise Denied(req, "denied by policy", result, result.explanation)

    def approve(self, req: Request, result: Any) -> Any:
        try:
            return self.on_ask(req, result.explanation)
        except Exception as e:
            raise Denied(req, f"approver failed ({type(e).__name__}: {e})", result, result.explanation) from e

    @staticmethod
    def approved(req: Request, result: Any, answer: Any) -> None:
        if answer is not True:
            raise Denied(req, "approval refused", result, result.explanation)

    def check(self, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> None:
        req, result = self.decide(args, kwargs)
        if self.verdict(req, result):
            return
        answer = self.approve(req, result)
        if inspect.isawaitable(answer):
            if inspect.iscoroutine(answer):
                answer.close()
            raise Denied(req, "the approver is async but the guarded function is not", result,
                         result.explanation)
        self.approved(req, result, answer)

    async def acheck(self, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> None:
        req, result = self.decide(args, kwargs)
        if self.verdict(req, result):
            return
        answer = self.approve(req, result)
        if inspect.isawaitable(answer):
            try:
                answer = await answer
            except Exception as e:
                raise Denied(req, f"approver failed ({type(e).__name__}: {e})", result,
                             result.explanation) from e
        self.approved(req, result, answer)


def guarded(policy: Any, task: Spec, action: Spec, resource: Spec = "", attrs: Any = None,
            on_ask: Optional[Callable[[Request, str], Union[bool, Awaitable[bool]]]] = None, *,
            tool: bool = False, cwd: Any = None,
            arguments: Optional[Callable[[Tuple[Any, ...], Dict[str, Any]], Dict[str, Any]]] = None
            ) -> Callable[[F], F]:
    """Decorator: decide with POLICY before each call.  TASK, ACTION and
    RESOURCE are strings or callables (args, kwargs) -> str; ATTRS is a dict
    or a callable (args, kwargs) -> dict of str.  tool=True forms the
    request from the call's arguments instead (see the module's doc; CWD: a
    str or callable, the base of relative paths; ARGUMENTS: a callable
    (args, kwargs) -> dict replacing the bound arguments).  Works on plain
    and async functions; an async function's decision is made when the call
    is awaited."""
    if not hasattr(policy, "decide"):
        raise TypeError("guarded() needs a scope.Policy or scope.Handle")
    if tool and (resource != "" or attrs is not None):
        raise TypeError("guarded(tool=True) forms resource and attributes from the arguments: "
                        "pass arguments= instead of resource= / attrs=")

    def decorate(fn: F) -> F:
        g = _Guard(fn, policy, task, action, resource, attrs, on_ask, tool, cwd, arguments)
        if inspect.iscoroutinefunction(fn):
            @functools.wraps(fn)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                await g.acheck(args, kwargs)
                return await fn(*args, **kwargs)
            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            g.check(args, kwargs)
            return fn(*args, **kwargs)
        return wrapper  # type: ignore[return-value]
    return decorate
