"""scope.py — Python binding of libscope (the scope runtime), standard library only.

    from scope import Policy, Handle

    policy = Policy("triage.scopec")              # compiled by `scopec compile`; verified here
    r = policy.decide("triage", "post", "forum.help", channel="internal")
    r.decision            # Decision.ASK  (a str enum: r.decision == "ask")
    r.explanation         # 'triage.scope:9:10: asks post forum.** when channel == "internal"'
    policy.explain(r)     # the same line, recomputed
    policy.item(r.item)   # ItemInfo(kind=..., file=..., line=9, col=10, text=...)

    live = Handle(policy)                         # hot swap: consumes `policy`
    live.swap("triage-v2.scopec")                 # a bad image raises; the old one stays
    live.decide("triage", "read", "forum.general.42")

Contracts (the C library's, kept in Python):
  * fail closed: decide() never raises and never allows on an error.  A request
    that cannot be passed to the library (a value that is not str or bytes, an
    empty action, a NUL byte, text that is not UTF-8-encodable) and every
    library error give deny, with why == Why.ERROR and the ScopeError in
    result.error;
  * loading, item() and swap() raise ScopeError(code, strerror text) on failure;
  * a policy is immutable and may be shared by any number of threads; each thread
    gets its own Scratch (PCRE2 match data) behind the scenes (threading.local);
  * a Handle lets one thread swap the policy while others decide; no decision
    ever sees a half-loaded policy, and a Handle's results carry their
    explanation, taken from the very policy that decided.

The shared library is found through $SCOPE_LIB (a path), else next to this
module, else in the build directory of the source tree (../../build), else by
the system loader (libscope.so.0 installed by `make install`).
"""

import ctypes
import enum
import os
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from typing import Optional

__all__ = [
    "Decision", "Why", "ItemInfo", "Result", "ScopeError", "Policy", "Scratch", "Handle",
    "is_bytecode", "strerror", "compile_file", "library_path", "ERRORS",
]

# ---- errors (mirror of SCOPE_ERRORS in scope.h; the tests compare the two) ---

(EINVAL, ENOMEM, EIO, EFORMAT, EVERSION, ELENGTH, ECHECKSUM, EVERIFY, EREGEX, ERANGE,
 ENOSPC, EBUSY, ENOPOLICY, EPATH, EURL, EUNSIGNED, ESIGNATURE, EKEY) = range(1, 19)

ERRORS = {   # code: (name, scope_strerror text)
    EINVAL: ("SCOPE_EINVAL", "invalid argument"),
    ENOMEM: ("SCOPE_ENOMEM", "out of memory"),
    EIO: ("SCOPE_EIO", "cannot read the policy file"),
    EFORMAT: ("SCOPE_EFORMAT", "not a scope bytecode image"),
    EVERSION: ("SCOPE_EVERSION", "unsupported bytecode version"),
    ELENGTH: ("SCOPE_ELENGTH", "image truncated or length mismatch"),
    ECHECKSUM: ("SCOPE_ECHECKSUM", "image checksum mismatch (corrupted)"),
    EVERIFY: ("SCOPE_EVERIFY", "image failed verification"),
    EREGEX: ("SCOPE_EREGEX", "a regex of the image does not compile"),
    ERANGE: ("SCOPE_ERANGE", "index out of range"),
    ENOSPC: ("SCOPE_ENOSPC", "output buffer too small"),
    EBUSY: ("SCOPE_EBUSY", "policy handle is being replaced; try again"),
    ENOPOLICY: ("SCOPE_ENOPOLICY", "policy handle holds no policy"),
    EPATH: ("SCOPE_EPATH", "path cannot be made canonical"),
    EURL: ("SCOPE_EURL", "URL cannot be parsed"),
    EUNSIGNED: ("SCOPE_EUNSIGNED", "image is not signed"),
    ESIGNATURE: ("SCOPE_ESIGNATURE", "signature does not verify"),
    EKEY: ("SCOPE_EKEY", "not an Ed25519 key"),
}
__all__ += [name[len("SCOPE_"):] for name, _ in ERRORS.values()]


class ScopeError(Exception):
    """A libscope error: .code is the positive SCOPE_E number (EINVAL, ...),
    .name its name ("SCOPE_EINVAL"), .strerror scope_strerror()'s text and
    .detail what the binding adds (the file, the offending argument)."""

    def __init__(self, code, detail=""):
        code = -code if code < 0 else code
        self.code = code
        self.name, text = ERRORS.get(code, ("SCOPE_E?", "unknown error"))
        try:
            self.strerror = strerror(-code)
        except OSError:         # no library to ask
            self.strerror = text
        self.detail = detail
        super().__init__(f"{self.strerror}: {detail}" if detail else self.strerror)


# ---- the library -------------------------------------------------------------

class _Attr(ctypes.Structure):
    _fields_ = [("key", ctypes.c_char_p), ("key_len", ctypes.c_size_t),
                ("value", ctypes.c_char_p), ("value_len", ctypes.c_size_t)]


class _Request(ctypes.Structure):
    _fields_ = [("task", ctypes.c_char_p), ("task_len", ctypes.c_size_t),
                ("action", ctypes.c_char_p), ("action_len", ctypes.c_size_t),
                ("resource", ctypes.c_char_p), ("resource_len", ctypes.c_size_t),
                ("attrs", ctypes.POINTER(_Attr)), ("nattrs", ctypes.c_size_t)]


class _Result(ctypes.Structure):
    _fields_ = [("decision", ctypes.c_int), ("why", ctypes.c_int),
                ("item", ctypes.c_uint32), ("unknown", ctypes.c_bool)]


class _ItemInfo(ctypes.Structure):
    _fields_ = [("kind", ctypes.c_int), ("has_condition", ctypes.c_bool),
                ("has_location", ctypes.c_bool), ("file", ctypes.c_char_p),
                ("line", ctypes.c_uint32), ("col", ctypes.c_uint32),
                ("text", ctypes.c_char_p)]


_P = ctypes.c_void_p
_PP = ctypes.POINTER(ctypes.c_void_p)
_SIZE_P = ctypes.POINTER(ctypes.c_size_t)
_PROTOTYPES = {   # name: (restype, argtypes), as declared in scope.h
    "scope_strerror": (ctypes.c_char_p, [ctypes.c_int]),
    "scope_policy_load": (ctypes.c_int, [_PP, ctypes.c_char_p, ctypes.c_size_t]),
    "scope_policy_load_file": (ctypes.c_int, [_PP, ctypes.c_char_p]),
    "scope_policy_destroy": (None, [_P]),
    "scope_is_bytecode": (ctypes.c_bool, [ctypes.c_char_p, ctypes.c_size_t]),
    "scope_policy_item_count": (ctypes.c_uint32, [_P]),
    "scope_policy_task_count": (ctypes.c_uint32, [_P]),
    "scope_policy_image_size": (ctypes.c_size_t, [_P]),
    "scope_policy_item": (ctypes.c_int, [_P, ctypes.c_uint32, ctypes.POINTER(_ItemInfo)]),
    "scope_explain": (ctypes.c_int, [_P, ctypes.POINTER(_Result), ctypes.c_char_p, _SIZE_P]),
    "scope_explain_request": (ctypes.c_int, [_P, _P, ctypes.POINTER(_Request), ctypes.POINTER(_Result),
                                             ctypes.c_char_p, _SIZE_P]),
    "scope_scratch_create": (ctypes.c_int, [_PP]),
    "scope_scratch_destroy": (None, [_P]),
    "scope_decide": (ctypes.c_int, [_P, _P, ctypes.POINTER(_Request), ctypes.POINTER(_Result)]),
    "scope_handle_create": (ctypes.c_int, [_PP, _P]),
    "scope_handle_destroy": (None, [_P]),
    "scope_handle_swap": (ctypes.c_int, [_P, _P]),
    "scope_handle_decide": (ctypes.c_int, [_P, _P, ctypes.POINTER(_Request), ctypes.POINTER(_Result)]),
    "scope_handle_acquire": (ctypes.c_int, [_P, _PP, ctypes.POINTER(ctypes.c_uint)]),
    "scope_handle_release": (None, [_P, ctypes.c_uint]),
}

_here = os.path.dirname(os.path.abspath(__file__))
_lib = None
_lib_path = None
_lib_lock = threading.Lock()


def _candidates():
    env = os.environ.get("SCOPE_LIB")
    if env:
        return [env]        # explicit: no fallback to some other copy
    build = os.path.join(_here, os.pardir, os.pardir, "build")
    names = ["libscope.so", "libscope.so.0"]
    paths = [os.path.join(_here, n) for n in names]
    paths += sorted(os.path.join(build, n) for n in os.listdir(build)
                    if n.startswith("libscope.so.0.")) if os.path.isdir(build) else []
    paths.append(os.path.join(build, "libscope.so"))
    return [p for p in paths if os.path.exists(p)] + ["libscope.so.0"]


def _load_library():
    global _lib, _lib_path
    with _lib_lock:
        if _lib is not None:
            return _lib
        tried = []
        for path in _candidates():
            try:
                lib = ctypes.CDLL(path)
            except OSError as e:
                tried.append(f"{path}: {e}")
                continue
            for name, (restype, argtypes) in _PROTOTYPES.items():
                fn = getattr(lib, name)
                fn.restype, fn.argtypes = restype, argtypes
            _lib, _lib_path = lib, path
            return lib
        raise OSError("libscope not found (set SCOPE_LIB to the path of libscope.so):\n  "
                      + "\n  ".join(tried))


def library_path():
    """The path (or soname) the shared library was loaded from."""
    _load_library()
    return _lib_path


def strerror(code):
    """scope_strerror(): the text of a SCOPE_E code (negative or positive) or 0."""
    code = -code if code > 0 else code
    return _load_library().scope_strerror(code).decode()


def is_bytecode(data):
    """True if DATA (bytes) starts with the bytecode magic; source never does."""
    data = bytes(data)
    return bool(_load_library().scope_is_bytecode(data, len(data)))


# ---- values ------------------------------------------------------------------

class Decision(str, enum.Enum):
    """allow / ask / deny; compares equal to those strings."""
    ALLOW = "allow"
    ASK = "ask"
    DENY = "deny"

    def __str__(self):
        return self.value


_DECISIONS = (Decision.ALLOW, Decision.ASK, Decision.DENY)


class Why(str, enum.Enum):
    ITEM = "item"          # an item decided: see Result.item
    DEFAULT = "default"    # nothing allows this: default deny
    NO_TASK = "no-task"    # the task is not declared
    ERROR = "error"        # the call failed (Result.error): deny

    def __str__(self):
        return self.value


_WHYS = (Why.ITEM, Why.DEFAULT, Why.NO_TASK, Why.ERROR)
_CLAUSES = {Decision.ALLOW: "allows", Decision.ASK: "asks", Decision.DENY: "denies"}


@dataclass(frozen=True)
class ItemInfo:
    """One item of a policy (scope_item_info).  kind is the Decision of its
    clause; file, line, col and text are empty / 0 in a stripped image."""
    index: int
    kind: Decision
    has_condition: bool
    has_location: bool
    file: str
    line: int
    col: int
    text: str

    @property
    def clause(self):
        return _CLAUSES[self.kind]

    def __str__(self):
        if self.has_location:
            return f"{self.file}:{self.line}:{self.col}: {self.text}"
        return f"item {self.index} (stripped)"


@dataclass(frozen=True)
class Result:
    """A decision.  item is the deciding item's index (None unless why is
    Why.ITEM); unknown: its condition was unknown (read most restrictively);
    explanation: scope_explain()'s line; item_info: the deciding item, taken
    from the policy that decided; error: the ScopeError when why is Why.ERROR."""
    decision: Decision
    why: Why
    item: Optional[int]
    unknown: bool
    explanation: str
    item_info: Optional[ItemInfo] = None
    error: Optional[ScopeError] = None

    @property
    def allowed(self):
        return self.decision is Decision.ALLOW


class _Malformed(Exception):
    pass


def _arg(value, what):
    """A request field as bytes for the library, or _Malformed."""
    if isinstance(value, str):
        try:
            b = value.encode("utf-8")
        except UnicodeEncodeError as e:
            raise _Malformed(f"{what} is not encodable as UTF-8: {e.reason}") from None
    elif isinstance(value, (bytes, bytearray, memoryview)):
        b = bytes(value)
    else:
        # numbers too, as in `scopec eval --json`: quote them ("250"), since
        # conditions compare the text and str(2.5e2) is not "250"
        raise _Malformed(f"{what} must be str or bytes, not {type(value).__name__}")
    if b"\0" in b:
        raise _Malformed(f"{what} contains a NUL byte")
    return b


def _request(task, action, resource, attrs):
    """Builds a scope_request; the structure keeps its buffers alive (ctypes
    records what was assigned to its pointer fields)."""
    t, a, r = _arg(task, "task"), _arg(action, "action"), _arg(resource, "resource")
    if not a:
        raise _Malformed("empty action")
    arr = None
    if attrs:
        arr = (_Attr * len(attrs))()
        for i, (k, v) in enumerate(attrs.items()):
            kb = _arg(k, "attribute name")
            if not kb:
                raise _Malformed("empty attribute name")
            vb = _arg(v, f"attribute {k!r}")
            arr[i].key, arr[i].key_len, arr[i].value, arr[i].value_len = kb, len(kb), vb, len(vb)
    return _Request(t, len(t), a, len(a), r, len(r), arr, len(attrs) if attrs else 0)


def _error_result(err):
    return Result(Decision.DENY, Why.ERROR, None, False, "error (fail closed: deny)", None, err)


def _explain(lib, ptr, res, rq=None, scratch=None):
    """scope_explain_request() when the request is at hand (it names the
    attribute that made a condition unknown), else scope_explain()."""
    size = 256
    while True:
        buf = ctypes.create_string_buffer(size)
        n = ctypes.c_size_t(size)
        if rq is not None:
            rc = lib.scope_explain_request(ptr, scratch, ctypes.byref(rq), ctypes.byref(res), buf,
                                           ctypes.byref(n))
        else:
            rc = lib.scope_explain(ptr, ctypes.byref(res), buf, ctypes.byref(n))
        if rc != -ENOSPC or size >= 1 << 20:     
            return buf.value[:n.value].decode("utf-8", "replace")
        size *= 4


def _item_info(lib, ptr, index):
    info = _ItemInfo()
    rc = lib.scope_policy_item(ptr, index, ctypes.byref(info))
    if rc < 0:
        raise ScopeError(rc, f"item {index}")
    return ItemInfo(index, _DECISIONS[info.kind], info.has_condition, info.has_location,
                    (info.file or b"").decode("utf-8", "replace"), info.line, info.col,
                    (info.text or b"").decode("utf-8", "replace"))


def _decide(ptr, task, action, resource, attrs):
    """Decides with the C policy PTR (pinned by the caller); fails closed."""
    try:
        lib = _load_library()
        rq = _request(task, action, resource, attrs)
        res = _Result(2, 3, 0xFFFFFFFF, False)
        scratch = Scratch.current()._ptr
        rc = lib.scope_decide(ptr, scratch, ctypes.byref(rq), ctypes.byref(res))
        if rc < 0:
            return _error_result(ScopeError(rc, "scope_decide"))
        if not (0 <= res.decision <= 2 and 0 <= res.why <= 3):
            return _error_result(ScopeError(EINVAL, "scope_decide: result out of range"))
        why = _WHYS[res.why]
        item = res.item if why is Why.ITEM else None
        info = _item_info(lib, ptr, item) if item is not None else None
        return Result(_DECISIONS[res.decision], why, item, bool(res.unknown),
                      _explain(lib, ptr, res, rq, scratch), info)
    except _Malformed as e:
        return _error_result(ScopeError(EINVAL, str(e)))
    except ScopeError as e:
        return _error_result(e)
    except Exception as e:       # fail closed, whatever went wrong
        err = ScopeError(EINVAL, f"{type(e).__name__}: {e}")
        err.__cause__ = e
        return _error_result(err)


# ---- objects -------------------------------------------------------------------

class Scratch:
    """Per-thread evaluation memory (scope_scratch).  Policy.decide and
    Handle.decide use Scratch.current(), one per thread, created on first use
    and freed with the thread; there is rarely a reason to make one yourself."""

    _local = threading.local()

    def __init__(self):
        self._lib = _load_library()
        ptr = ctypes.c_void_p()
        rc = self._lib.scope_scratch_create(ctypes.byref(ptr))
        if rc < 0:
            raise ScopeError(rc, "scope_scratch_create")
        self._ptr = ptr

    @classmethod
    def current(cls):
        s = getattr(cls._local, "scratch", None)
        if s is None:
            s = cls._local.scratch = cls()
        return s

    def close(self):
        ptr, self._ptr = getattr(self, "_ptr", None), None
        if ptr:
            self._lib.scope_scratch_destroy(ptr)

    __del__ = close


def _load(source):
    """A new C policy from bytes (an image) or a path; raises ScopeError."""
    lib = _load_library()
    ptr = ctypes.c_void_p()
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        rc = lib.scope_policy_load(ctypes.byref(ptr), data, len(data))
        where = f"{len(data)}-byte image"
    elif isinstance(source, (str, os.PathLike)):
        rc = lib.scope_policy_load_file(ctypes.byref(ptr), os.fsencode(source))
        where = os.fsdecode(source)
    else:
        raise TypeError(f"a policy is loaded from bytes or a path, not {type(source).__name__}")
    if rc < 0:
        if rc == -EFORMAT and where.endswith(".scope"):
            where += " (a policy source: compile it with `scopec compile`)"
        raise ScopeError(rc, where)
    return ptr


class Policy:
    """A loaded, verified, immutable policy (scope_policy).

    Policy(source): SOURCE is the bytecode (bytes) or the path of a compiled
    policy (`scopec compile`); a bad image raises ScopeError.  Share it
    between threads freely.  close() (or leaving a `with` block) frees it and
    must not race with decisions on it; dropping the last reference is always
    safe.  Handle(policy) and Handle.swap(policy) take the policy over: the
    object is closed afterwards."""

    def __init__(self, source):
        self._lib = _load_library()
        self._ptr = _load(source)
        self._owned = True
        self._gone = "closed"

    @classmethod
    def from_file(cls, path):
        return cls(os.fspath(path))

    @classmethod
    def from_bytes(cls, data):
        return cls(bytes(data))

    @classmethod
    def _borrow(cls, ptr, why_gone):
        p = cls.__new__(cls)
        p._lib, p._ptr, p._owned, p._gone = _load_library(), ptr, False, why_gone
        return p

    def _live(self):
        if not self._ptr:
            raise ScopeError(EINVAL, f"policy {self._gone}")
        return self._ptr

    def _take(self):
        """Hands the C policy over (to a Handle); this object is closed."""
        ptr = self._live()
        if not self._owned:
            raise ScopeError(EINVAL, "a pinned policy belongs to its handle")
        self._ptr, self._gone = None, "given to a Handle"
        return ptr

    @property
    def closed(self):
        return not self._ptr

    @property
    def item_count(self):
        return self._lib.scope_policy_item_count(self._live())

    @property
    def task_count(self):
        return self._lib.scope_policy_task_count(self._live())

    @property
    def image_size(self):
        return self._lib.scope_policy_image_size(self._live())

    def decide(self, task, action, resource="", /, **attrs):
        """Decides one request; attributes as keywords (or **{"key": "value"}).
        Never raises: errors are deny with why == Why.ERROR."""
        ptr = self._ptr
        if not ptr:
            return _error_result(ScopeError(EINVAL, f"policy {self._gone}"))
        return _decide(ptr, task, action, resource, attrs)

    def explain(self, result):
        """scope_explain(): the audit-log line of RESULT, with this policy."""
        res = _Result(_DECISIONS.index(Decision(result.decision)), _WHYS.index(Why(result.why)),
                      0xFFFFFFFF if result.item is None else result.item, result.unknown)
        return _explain(self._lib, self._live(), res)

    def item(self, index):
        """ItemInfo of item INDEX (0 .. item_count-1); ScopeError ERANGE beyond."""
        if not isinstance(index, int) or not 0 <= index < 1 << 32:
            raise ScopeError(ERANGE, f"item {index!r}")
        return _item_info(self._lib, self._live(), index)

    def items(self):
        return [self.item(i) for i in range(self.item_count)]

    def close(self):
        ptr, self._ptr = getattr(self, "_ptr", None), None
        if ptr and self._owned:
            self._lib.scope_policy_destroy(ptr)

    __del__ = close

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        if not self._ptr:
            return f"<scope.Policy {self._gone}>"
        return f"<scope.Policy {self.task_count} tasks, {self.item_count} items>"


class Handle:
    """The policy a service enforces, replaceable while other threads decide
    (scope_handle).  Deciding never locks or waits for a swap; a swap
    publishes the new policy and frees the old one once no decision uses it.

    Handle(initial=None): INITIAL is a Policy (taken over), bytes, a path or
    None (then every decision is deny with SCOPE_ENOPOLICY until a swap)."""

    def __init__(self, initial=None):
        self._lib = _load_library()
        self._ptr = None
        ptr = ctypes.c_void_p()
        rc = self._lib.scope_handle_create(ctypes.byref(ptr), None)
        if rc < 0:
            raise ScopeError(rc, "scope_handle_create")
        self._ptr = ptr
        if initial is not None:
            self.swap(initial)

    def swap(self, policy):
        """Replaces the policy with POLICY (a Policy, which is taken over,
        bytes, a path, or None to empty the handle).  The new policy is loaded
        and verified first: if that fails, ScopeError is raised and the
        current policy stays in force.  Blocks until decisions that use the
        old policy are done; call it from one control thread, never while a
        pin() of this handle is open in the same thread."""
        if not self._ptr:
            raise ScopeError(EINVAL, "handle closed")
        if policy is None:
            nxt = None
        elif isinstance(policy, Policy):
            nxt = policy._take()
        else:
            nxt = _load(policy)
        rc = self._lib.scope_handle_swap(self._ptr, nxt)
        if rc < 0:      # cannot happen on a live handle; do not leak NEXT
            self._lib.scope_policy_destroy(nxt)
            raise ScopeError(rc, "scope_handle_swap")

    def _acquire(self):
        ptr, ticket = ctypes.c_void_p(), ctypes.c_uint()
        rc = self._lib.scope_handle_acquire(self._ptr, ctypes.byref(ptr), ctypes.byref(ticket))
        if rc < 0:
            raise ScopeError(rc, "scope_handle_acquire")
        return ptr, ticket.value

    def decide(self, task, action, resource="", /, **attrs):
        """Decides with the current policy, pinned for the call; the result's
        explanation and item_info come from that same policy.  Never raises."""
        if not self._ptr:
            return _error_result(ScopeError(EINVAL, "handle closed"))
        try:
            ptr, ticket = self._acquire()
        except ScopeError as e:
            return _error_result(e)
        try:
            return _decide(ptr, task, action, resource, attrs)
        finally:
            self._lib.scope_handle_release(self._ptr, ticket)

    def explain(self, result):
        """The explanation of a result of this handle, captured when it was
        decided (the policy may have been swapped since)."""
        return result.explanation

    def pin(self):
        """`with handle.pin() as policy:` the current policy, kept from being
        freed until the block ends (a swap waits for it: keep it short).
        ScopeError ENOPOLICY if the handle is empty."""
        return _Pin(self)

    def close(self):
        """Frees the handle and its policy; no thread may be deciding on it."""
        ptr, self._ptr = getattr(self, "_ptr", None), None
        if ptr:
            self._lib.scope_handle_destroy(ptr)

    __del__ = close

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _Pin:
    def __init__(self, handle):
        self._handle = handle
        self._policy = None

    def __enter__(self):
        if not self._handle._ptr:
            raise ScopeError(EINVAL, "handle closed")
        ptr, self._ticket = self._handle._acquire()
        self._policy = Policy._borrow(ptr, "unpinned")
        return self._policy

    def __exit__(self, *exc):
        self._policy._ptr = None
        self._handle._lib.scope_handle_release(self._handle._ptr, self._ticket)


# ---- compiling (the scopec CLI, for demos and tests) -------------------------

def _find_scopec():
    env = os.environ.get("SCOPEC")
    if env:
        return env
    local = os.path.join(_here, os.pardir, os.pardir, "scopec")
    if os.access(local, os.X_OK):
        return local
    found = shutil.which("scopec")
    if not found:
        raise FileNotFoundError("scopec not found (set SCOPEC or put it on PATH)")
    return found


def compile_file(path, strip=False, scopec=None):
    """Runs `scopec compile PATH` and returns the bytecode (bytes).
    Raises subprocess.CalledProcessError with scopec's diagnostics."""
    with tempfile.TemporaryDirectory(prefix="scope-") as tmp:
        out = os.path.join(tmp, "policy.scopec")
        cmd = [scopec or _find_scopec(), "compile", os.fspath(path), "-o", out]
        if strip:
            cmd.append("--strip")
        subprocess.run(cmd, check=True, capture_output=True, text=True)
        with open(out, "rb") as f:
            return f.read()
