"""Detect a submission that calls the reference implementation instead of its own code.

While student code runs, a profile hook records every Python function that starts; afterwards we
look for code from ``course.functional`` or the reference modules. Subclassing
``course.modules.Module`` for the plumbing (``base.py``, input validation) is allowed. Because the
hook looks at code *files*, it catches every route in: ``import``, ``from … import``, subclassing,
or a copy of the reference modules loaded under another name.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

from .core import Disqualified

_COURSE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_MODULES_DIR = os.path.join(_COURSE_DIR, "modules") + os.sep
# Module plumbing students may inherit: the base class and, in losses.py, the Loss base class.
_ALLOWED_FILES = {os.path.join(_MODULES_DIR, "base.py"), os.path.join(_MODULES_DIR, "__init__.py")}
_ALLOWED_QUALNAMES = ("Module.", "Loss.")


def is_reference_code(filename: str, qualname: str) -> bool:
    """True for code that computes the reference maths: course/functional.py, course/modules/*."""
    if filename == os.path.join(_COURSE_DIR, "functional.py"):
        return True
    if not filename.startswith(_MODULES_DIR) or filename in _ALLOWED_FILES:
        return False
    return not qualname.startswith(_ALLOWED_QUALNAMES)


class ReferenceCall(Disqualified):
    """The submission ran reference code: the item scores 0."""


class ProfilerRemoved(Disqualified):
    """The submission switched the grader's profile hook off: the item scores 0."""


def call_own_code(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)``, raising :class:`ReferenceCall` if it ran reference code."""
    seen: list[str] = []

    def hook(frame: Any, event: str, arg: Any) -> None:
        if event == "call":
            code = frame.f_code
            if is_reference_code(code.co_filename, code.co_qualname):
                seen.append(f"{os.path.basename(code.co_filename)}:{code.co_qualname}")

    previous = sys.getprofile()
    sys.setprofile(hook)
    try:
        result = fn(*args, **kwargs)
        intact = sys.getprofile() is hook
    except BaseException as exc:
        if seen:  # it crashed, but inside (or after) a call into the reference: say so
            raise _reference_call(seen) from exc
        raise
    finally:
        sys.setprofile(previous)
    if seen:
        raise _reference_call(seen)
    if not intact:
        raise ProfilerRemoved("your code changed sys.setprofile while it was being graded")
    return result


def _reference_call(seen: list[str]) -> ReferenceCall:
    where = sorted(set(seen))[0].split(":")[-1]
    return ReferenceCall(
        f"your code called the course's reference implementation ({where} in course.modules or "
        "course.functional). This item must use your own NumPy code, so it scores 0. You may "
        "subclass course.modules.Module, but write forward() and backward() yourself."
    )
