"""The value types of scope (imported by the extension module scope._scope)."""

import enum
from typing import Any
from dataclasses import dataclass

__all__ = ["Decision", "Why", "ItemInfo", "ScopeError"]


class Decision(str, enum.Enum):
    """allow / ask / deny; compares equal to those strings."""
    ALLOW = "allow"
    ASK = "ask"
    DENY = "deny"

    def __str__(self) -> str:
        return self.value


class Why(str, enum.Enum):
    ITEM = "item"          # an item decided: see Result.item
    DEFAULT = "default"    # nothing allows this: default deny
    NO_TASK = "no-task"    # the task is not declared
    ERROR = "error"        # the call failed (Result.error): deny

    def __str__(self) -> str:
        return self.value


_scope: Any = None     # the extension module, set by it when it loads

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
    def clause(self) -> str:
        return _CLAUSES[self.kind]

    def __str__(self) -> str:
        if self.has_location:
            return f"{self.file}:{self.line}:{self.col}: {self.text}"
        return f"item {self.index} (stripped)"


class ScopeError(Exception):
    """A libscope error: .code is the positive SCOPE_E number (scope.EINVAL,
    ...), .name its name ("SCOPE_EINVAL"), .strerror scope_strerror()'s text
    and .detail what the binding adds (the file, the offending argument)."""

    code: int
    name: str
    strerror: str
    detail: str

    def __init__(self, code: int, detail: str = "") -> None:
        code = -code if code < 0 else code
        self.code = code
        self.name, _ = _scope.ERRORS.get(code, ("SCOPE_E?", "unknown error"))
        self.strerror = _scope.strerror(-code)
        self.detail = detail
        super().__init__(f"{self.strerror}: {detail}" if detail else self.strerror)
