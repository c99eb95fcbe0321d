"""Stand-ins, in the trusted grader, for the student's objects that live in the sandbox.

A check receives ``Linear`` as a :class:`Remote`; calling it, reading an attribute or an item
sends a request and returns either plain data (numbers, strings, NumPy arrays, lists, tuples and
dicts of them: always fresh copies) or another :class:`Remote`. Exceptions raised by the
student's code come back as exceptions of the same builtin type (a ``ValueError`` is still a
``ValueError``) marked :class:`StudentError`, so the checks treat them exactly as in the
student's own kernel. Arrays the student's code changed in place are copied back into the
arguments, so the "inputs must not be modified" checks see what happened.
"""

from __future__ import annotations

import builtins
import re
from pathlib import Path
from typing import Any

import numpy as np

from course.grading.core import register_library_dir
from course.grading.student import register_world_finder

from ..inside import wire
from .session import Session

CALL_TIMEOUT = 60.0  # seconds for one call when no sub-check budget is running


class StudentError(Exception):
    """An exception raised by the student's code in the sandbox (``type_name`` is its type)."""

    type_name = "Exception"
    where = ""
    line = ""


class Stale(StudentError):
    """An object from a sandbox that has since been restarted."""


_ERROR_TYPES: dict[str, type] = {}
MAX_ERROR_TYPES = 512  # distinct exception names kept; beyond, the builtin's own (bounded memory)


def student_error(info: Any) -> StudentError:
    """The exception to raise for an error reply: a subclass of the builtin of the same name."""
    info = info if isinstance(info, dict) else {}
    name = str(info.get("type", "Exception"))[:100]
    message = str(info.get("message", ""))[:2000]
    base = getattr(builtins, name, None)
    if not (isinstance(base, type) and issubclass(base, Exception)) or base is StopIteration:
        base = Exception
    cls = _ERROR_TYPES.get(name)
    if cls is None and len(_ERROR_TYPES) >= MAX_ERROR_TYPES:  # a flood of names: no new class
        cls = _ERROR_TYPES.setdefault(
            f"<{base.__name__}>", type(base.__name__, (StudentError, base), {})
        )
    if cls is None:
        cls = type(name if name.isidentifier() else "Error", (StudentError, base), {})
        _ERROR_TYPES[name] = cls
    try:
        exc = cls(message)
    except Exception:
        exc = StudentError(message)
    exc.type_name = name
    where = str(info.get("where", ""))[:200]
    exc.where = where if re.fullmatch(r"[\w.<>]*", where) else ""
    exc.line = str(info.get("line", ""))[:200]
    return exc


class Remote:
    """An object in the sandbox. ``type(obj).__name__`` is the name of its class there."""

    __slots__ = ("_world", "_id", "_gen", "_name")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self._world.ask({"op": "getattr", "target": self, "name": name})

    def __getitem__(self, key: Any) -> Any:
        return self._world.ask({"op": "getitem", "target": self, "key": key})

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._world.call(self, args, kwargs)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object>"


_REMOTE_TYPES: dict[str, type] = {}


def _remote_type(name: str) -> type:
    name = name if name.isidentifier() else "object"
    cls = _REMOTE_TYPES.get(name)
    if cls is None:
        cls = _REMOTE_TYPES[name] = type(name, (Remote,), {"__slots__": ()})
    return cls


class World:
    """The student's side, seen from the grader: names in their notebook, the library modules
    the sandbox offers, and calls into them."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._callbacks: dict[int, Any] = {}

    # --- making stand-ins -----------------------------------------------------------------------
    def _remote(self, handle: wire.Handle, name: str | None = None) -> Remote:
        obj = object.__new__(_remote_type(handle.type))
        object.__setattr__(obj, "_world", self)
        object.__setattr__(obj, "_id", handle.id)
        object.__setattr__(obj, "_gen", self.session.generation)
        object.__setattr__(obj, "_name", name)
        return obj

    def _to_ref(self, obj: Any) -> Any:
        if isinstance(obj, Remote):
            if obj._gen != self.session.generation:
                raise Stale("this object belonged to a run of your code that was stopped")
            return wire.Handle(obj._id)
        if callable(obj) and not isinstance(obj, type):
            cb = len(self.session.callbacks) + 1
            self.session.callbacks[cb] = obj
            return wire.Callback(cb)
        raise TypeError(f"the grader cannot send a {type(obj).__name__} into the sandbox")

    def _from_wire(self, value: Any) -> Any:
        if isinstance(value, wire.Handle):
            return self._remote(value)
        if isinstance(value, list):
            return [self._from_wire(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self._from_wire(v) for v in value)
        if isinstance(value, dict):
            return {k: self._from_wire(v) for k, v in value.items()}
        return value

    def _fresh(self, obj: Remote) -> Remote:
        """A named object from a restarted sandbox is looked up again."""
        if obj._gen == self.session.generation or obj._name is None:
            return obj
        return self.lookup(obj._name)

    # --- requests -------------------------------------------------------------------------------
    def ask(self, msg: dict, timeout: float = CALL_TIMEOUT) -> Any:
        """Send a request; return the decoded value or raise the student's exception."""
        self.last_reply: dict = {}
        self.session.ensure()
        if isinstance(msg.get("target"), Remote):
            msg["target"] = self._fresh(msg["target"])
        reply = self.session.request(msg, timeout, self._to_ref, self._from_wire)
        self.last_reply = reply
        if "error" in reply:
            raise student_error(reply["error"])
        return self._from_wire(reply.get("value"))

    def lookup(self, name: str) -> Any:
        """A name defined by the student's notebook (NameError if it is not)."""
        reply = self.session.request({"op": "global", "name": name}, CALL_TIMEOUT,
                                     self._to_ref, self._from_wire)  # fmt: skip
        if "error" in reply:
            raise student_error(reply["error"])
        value = reply.get("value")
        if isinstance(value, wire.Handle):
            return self._remote(value, name)
        return self._from_wire(value)

    def library(self, module: str, name: str | None = None) -> Any:
        """``module.name`` as the sandbox has it (e.g. the reference Sequential for ps3)."""
        return self.ask({"op": "import", "module": module, "name": name})

    def call(self, target: Remote, args: tuple, kwargs: dict) -> Any:
        try:
            value = self.ask({"op": "call", "target": target, "args": list(args), "kwargs": kwargs})
        except StudentError:
            self._copy_back(args)  # what it changed before raising, as in the student's kernel
            raise
        self._copy_back(args)
        return value

    def _copy_back(self, args: tuple) -> None:
        changed = self.last_reply.get("changed") or {}
        for key, after in changed.items() if isinstance(changed, dict) else ():
            i = int(key) if str(key).isdigit() else -1
            if 0 <= i < len(args) and isinstance(args[i], np.ndarray):
                before = args[i]
                if isinstance(after, np.ndarray) and after.shape == before.shape:
                    before[...] = after  # the student's code changed its argument in place

    def fill(
        self, target: Remote, attr: str, key: Any, value: np.ndarray, replace: bool = False
    ) -> None:
        """``target.attr[key][...] = value`` in the sandbox (known parameters into a module), or
        with ``replace`` ``target.attr[key] = value``."""
        self.ask({"op": "fill", "target": target, "attr": attr, "key": key, "value": value,
                  "replace": bool(replace)})  # fmt: skip


def world_of(obj: Any) -> World | None:
    """The sandbox an object lives in, or None for an object of this process."""
    return obj._world if isinstance(obj, Remote) else None


# The checks (course.grading.student) learn here which objects are stand-ins, and that the
# grader's frames are not the student's when they name the line that failed.
register_world_finder(world_of)
register_library_dir(str(Path(__file__).resolve().parents[1]))
