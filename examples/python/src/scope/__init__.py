"""scope — decide an AI agent's actions before they happen (CPython extension).

    import scope

    policy = scope.Policy("triage.scopec")         # compiled by `scopec compile`; verified here
    r = policy.decide("triage", "post", "forum.help", channel="internal")
    r.decision            # Decision.ASK  (a str enum: r.decision == "ask")
    r.explanation         # 'triage.scope:9:10: asks post forum.** when channel == "internal"'

    r = policy.decide_tool_call("coder", "fs.read", {"path": "src/../x.c"}, cwd="/srv/repo")
    r.resource            # '/srv/repo/x.c': the canonical resource that decided

    live = scope.Handle(policy)                    # hot swap: takes `policy` over
    live.swap("triage-v2.scopec")                  # a bad image raises; the old one stays

Fail closed: decide() and decide_tool_call() never raise for a request and
never allow on an error: a value the library cannot take (not str/bytes, an
empty action, a NUL byte, text that is not UTF-8-encodable) and every library
error give deny with why == Why.ERROR and the ScopeError in result.error.

The runtime (libscope) and the request former (libscope-enforce) are linked
into scope._scope statically; only system libraries (PCRE2, jansson,
uriparser) are loaded with it.
"""

import os as _os
import shutil as _shutil
import subprocess as _subprocess
import tempfile as _tempfile
from typing import Optional, Union

from ._types import Decision, ItemInfo, ScopeError, Why
from ._scope import (ERRORS, Handle, Policy, Result, canonical_path, canonical_url,
                     is_bytecode, strerror, tool_call_requests)
from ._scope import (EINVAL, ENOMEM, EIO, EFORMAT, EVERSION, ELENGTH, ECHECKSUM, EVERIFY,  # noqa: F401
                     EREGEX, ERANGE, ENOSPC, EBUSY, ENOPOLICY, EPATH, EURL, EUNSIGNED,
                     ESIGNATURE, EKEY)
from . import _scope
from .guard import Denied, Request, guarded

__version__ = "0.1.0"

__all__ = [
    "Decision", "Why", "ItemInfo", "Result", "ScopeError", "Policy", "Handle",
    "is_bytecode", "strerror", "compile_file", "canonical_path", "canonical_url",
    "tool_call_requests", "guarded", "Denied", "Request", "ERRORS", "extension_path",
] + [name[len("SCOPE_"):] for name, _ in ERRORS.values()]


def extension_path() -> str:
    """The file of the extension module (libscope is linked into it)."""
    return _scope.__file__


# ---- compiling (the scopec CLI, for demos and tests) -------------------------

def _find_scopec() -> str:
    env = _os.environ.get("SCOPEC")
    if env:
        return env
    found = _shutil.which("scopec")
    if not found:
        raise FileNotFoundError("scopec not found (set SCOPEC or put it on PATH)")
    return found


def compile_file(path: Union[str, "_os.PathLike[str]"], strip: bool = False,
                 scopec: Optional[str] = None) -> bytes:
    """Runs `scopec compile PATH` and returns the bytecode (bytes).
    Raises subprocess.CalledProcessError with scopec's diagnostics."""
    with _tempfile.TemporaryDirectory(prefix="scope-") as tmp:
        out = _os.path.join(tmp, "policy.scopec")
        cmd = [scopec or _find_scopec(), "compile", _os.fspath(path), "-o", out]
        if strip:
            cmd.append("--strip")
        _subprocess.run(cmd, check=True, capture_output=True, text=True)
        with open(out, "rb") as f:
            return f.read()
