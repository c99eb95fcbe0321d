"""Grade one item as a list of independent sub-checks, with partial credit and a short report.

nbgrader scores a test cell from its last value, and its rules are unforgiving: anything on stderr
(numpy warnings included) scores 0, a value above the cell's maximum crashes that student's
autograde, and a negative or non-numeric value earns *full* marks. ``grade_item`` therefore runs
each sub-check isolated, prints only to stdout, and always returns a clean float in [0, max].
"""

from __future__ import annotations

import builtins
import contextlib
import math
import os
import signal
import sys
import threading
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

_SHAPE_WORDS = ("broadcast", "mismatch", "shapes", "aligned")
_GRADING_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


class Mistake(Exception):
    """A sub-check failed; the message is a student-facing explanation (no hidden values/shapes)."""


class Disqualified(Mistake):
    """A failure that voids the whole item (calling the reference, tampering): the item scores 0."""


class CheckTimeout(Exception):
    """A sub-check ran past its time budget (an infinite loop, or a very slow implementation)."""


@dataclass
class SubCheck:
    """One gradable property: ``run()`` returns on success, raises :class:`Mistake` (or anything
    else) on failure. ``points`` is what success earns."""

    name: str
    points: float
    run: Callable[[], None]


def _student_frame(exc: BaseException) -> str:
    """Name of the innermost function outside the grading code where ``exc`` was raised (for an
    exception raised in the sandbox, the name its agent reported)."""
    name = getattr(exc, "where", "")
    for frame, _ in traceback.walk_tb(exc.__traceback__):
        if not frame.f_code.co_filename.startswith(_GRADING_DIR):
            name = frame.f_code.co_qualname
    return f" in {name}()" if name and name != "<module>" else ""


def explain(exc: BaseException, hidden: bool) -> str:
    """Student-facing text for a failed sub-check. With ``hidden=True`` a crash
    shows only its type if that is a builtin one, and not where it happened: the student's code
    chooses its messages, class and function names, and could write hidden data into them."""
    if isinstance(exc, Mistake):
        return str(exc)
    if isinstance(exc, CheckTimeout):
        return str(exc)
    name = getattr(exc, "type_name", type(exc).__name__)
    if not hidden:
        head = f"your code raised {name}{_student_frame(exc)}"
    elif isinstance(getattr(builtins, name, None), type) and name.endswith(("Error", "Exception")):
        head = f"your code raised {name}"
    else:
        head = "your code raised an exception"
    text = str(exc)
    if isinstance(exc, ValueError) and any(w in text for w in _SHAPE_WORDS):
        head += " because two arrays have incompatible shapes: print the shapes you combine"
    if not hidden:
        msg = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
        return f"{head}: {msg}" if msg else head
    return head


_DEADLINE: list[float] = []  # monotonic time by which the running sub-check must end


def current_deadline() -> float | None:
    """When the running sub-check's budget ends (``time.monotonic()``), or None. The trusted
    grader cuts every call into the sandbox to it."""
    return _DEADLINE[-1] if _DEADLINE else None


@contextlib.contextmanager
def _time_limit(seconds: float | None):
    """Raise CheckTimeout after ``seconds`` of wall time. The deadline is published for calls into
    the sandbox; in the student's own kernel a SIGALRM timer enforces it (main thread only)."""
    if seconds:
        _DEADLINE.append(time.monotonic() + seconds)
    try:
        with _alarm(seconds + 2.0 if seconds else None):  # the sandbox's own limit comes first
            yield
    finally:
        if seconds:
            _DEADLINE.pop()


@contextlib.contextmanager
def _alarm(seconds: float | None):
    usable = (
        seconds
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return

    def on_alarm(signum, frame):
        raise CheckTimeout(f"this check took longer than {seconds - 2:g} s (an endless loop?)")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def run_isolated(fn: Callable[[], None], timeout: float | None = 20.0) -> BaseException | None:
    """Run ``fn`` with numpy warnings off and stderr sent to stdout; return what it raised."""
    try:
        with (
            contextlib.redirect_stderr(sys.stdout),
            warnings.catch_warnings(),
            np.errstate(all="ignore"),
            _time_limit(timeout),
        ):
            warnings.simplefilter("ignore")
            fn()
    except KeyboardInterrupt:  # nbgrader's cell timeout: let the kernel stop the cell
        raise
    except BaseException as exc:  # SystemExit from student code is a failure, not an exit
        return exc
    return None


def clean_score(earned: float, maximum: float) -> float:
    """A float nbgrader accepts: NaN → 0, clipped to [0, maximum], rounded to 1e-6."""
    try:
        x = float(earned)
    except Exception:
        return 0.0
    if not math.isfinite(x):
        return 0.0
    return float(min(max(round(x, 6), 0.0), max(round(float(maximum), 6), 0.0)))


def _fmt(x: float) -> str:
    return f"{x:g}"


def grade_item(
    title: str, checks: list[SubCheck], *, hidden: bool = False, timeout: float | None = 20.0
) -> float:
    """Run every sub-check isolated, print ✓/✗ with points and the likely mistake, return points.

    ``hidden=True`` is for hidden tests: crashes are reported without numpy's message. A
    :class:`Disqualified` failure makes the item score 0.
    """
    maximum = sum(max(float(c.points), 0.0) for c in checks)
    if hidden:
        title = f"{title} (autograder, on data you have not seen)"
    try:
        lines, earned, void = [], 0.0, None
        for check in checks:
            exc = run_isolated(check.run, timeout)
            pts = max(float(check.points), 0.0)
            if exc is None:
                earned += pts
                lines.append(f"  ✓ {check.name:<48} {_fmt(pts)} / {_fmt(pts)}")
            else:
                lines.append(f"  ✗ {check.name:<48} 0 / {_fmt(pts)}")
                if isinstance(exc, Disqualified) and void is not None:
                    lines.append("      (see above)")
                else:
                    lines.append(f"      {explain(exc, hidden)}")
                if isinstance(exc, Disqualified) and void is None:
                    void = exc
        score = 0.0 if void is not None else clean_score(earned, maximum)
        print(f"{title}: {_fmt(score)} / {_fmt(maximum)} points")
        if void is not None:
            print(f"  This item scores 0: {void}")
        print("\n".join(lines))
        return score
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # the report itself failed (say, print was replaced): score 0
        with contextlib.suppress(BaseException):
            print(f"{title}: grading failed ({type(exc).__name__}); 0 points")
        return 0.0
