"""Grade one item as a list of independent sub-checks, with partial credit and a short report.

nbgrader scores a test cell from its last value, and its rules are unforgiving: anything on stderr
(numpy warnings included) scores 0, a value above the cell's maximum crashes that student's
autograde, and a negative or non-numeric value earns *full* marks. ``grade_item`` therefore runs
each sub-check isolated, prints only to stdout, and always returns a clean float in [0, max].
"""

from __future__ import annotations

import builtins
import contextlib
import linecache
import math
import os
import signal
import sys
import textwrap
import threading
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

_SHAPE_WORDS = ("broadcast", "mismatch", "shapes", "aligned")
_GRADING_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
# Frames in these files are not the student's: the course library (the grading code included),
# Python's and numpy's own. A crash inside a library function a student called (Value.backward on
# the build-it check's nodes, say) is reported at the student's line that called it.
_COURSE_DIR = os.path.dirname(_GRADING_DIR.rstrip(os.sep)) + os.sep
_LIBRARY_DIRS = (_COURSE_DIR, sys.prefix + os.sep, sys.base_prefix + os.sep)


def register_library_dir(path: str) -> None:
    """Count ``path``'s frames as library code too (the autograder's, which calls the student's
    code from outside this package): a crash is reported at the student's own line."""
    global _LIBRARY_DIRS
    path = os.path.join(os.path.abspath(path), "")
    if path not in _LIBRARY_DIRS:
        _LIBRARY_DIRS = (*_LIBRARY_DIRS, path)


class Mistake(Exception):
    """A sub-check failed; the message is a student-facing explanation (no hidden values/shapes)."""


class KnownMistake(Mistake):
    """A failure that matched a catalogued wrong answer: a real attempt at the maths, named."""


class Disqualified(Mistake):
    """A failure that voids the whole item (calling the reference, tampering): the item scores 0."""


class CheckTimeout(Exception):
    """A sub-check ran past its time budget (an infinite loop, or a very slow implementation)."""


@dataclass
class SubCheck:
    """One gradable property: ``run()`` returns on success, raises :class:`Mistake` (or anything
    else) on failure. ``points`` is what success earns. A ``hygiene`` property (inputs left
    unchanged, an edge case as good as the ordinary batch, a consistent second call) holds for
    an answer that does nothing too, so it counts only when one of the item's other properties
    holds or fails with a :class:`KnownMistake` (a real attempt)."""

    name: str
    points: float
    run: Callable[[], None]
    hygiene: bool = False


HYGIENE_ALONE = Mistake(
    "not counted yet: this holds for an answer that does nothing, so it counts once the item's "
    "maths works, or is at least one of the usual mistakes"
)


def _student_frame(exc: BaseException) -> str:
    """Where ``exc`` was raised: the innermost function outside the grading code and the text of
    its line (for an exception raised in the sandbox, what its agent reported)."""
    name, line = getattr(exc, "where", ""), getattr(exc, "line", "")
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        code = frame.f_code
        if not code.co_filename.startswith(_LIBRARY_DIRS):
            name, line = code.co_qualname, linecache.getline(code.co_filename, lineno).strip()
    where = f" in {name}()" if name and name != "<module>" else ""
    return where + (f", at `{line[:80]}`" if line else "")


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
    text, tail = str(exc), ""
    if isinstance(exc, ValueError) and any(w in text for w in _SHAPE_WORDS):
        tail = " (two arrays have incompatible shapes: print the shapes you combine)"
    if not hidden:
        msg = text.strip().splitlines()[0][:300] if text.strip() else ""
        return (f"{head}: {msg}" if msg else head) + tail
    return head + tail


# Monotonic times by which the running sub-checks must end, per thread: the grader runs a
# notebook's visible and hidden checks at the same time, in two threads.
_LOCAL = threading.local()


def _deadlines() -> list[float]:
    if not hasattr(_LOCAL, "deadlines"):
        _LOCAL.deadlines = []
    return _LOCAL.deadlines


def current_deadline() -> float | None:
    """When the running sub-check's budget ends (``time.monotonic()``), or None. The trusted
    grader cuts every call into the sandbox to it."""
    return _deadlines()[-1] if _deadlines() else None


@contextlib.contextmanager
def _time_limit(seconds: float | None):
    """Raise CheckTimeout after ``seconds`` of wall time. The deadline is published for calls into
    the sandbox; in the student's own kernel a SIGALRM timer enforces it (main thread only)."""
    if seconds:
        _deadlines().append(time.monotonic() + seconds)
    try:
        with _alarm(seconds + 0.5 if seconds else None):  # the sandbox's own limit comes first
            yield
    finally:
        if seconds:
            _deadlines().pop()


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
        raise CheckTimeout(f"this check took longer than {seconds - 0.5:g} s (an endless loop?)")

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


def _wrap(text: str) -> str:
    """A report message indented under its ✓/✗ line, wrapped to fit a 100-column cell."""
    return textwrap.fill(text, 100, initial_indent=" " * 6, subsequent_indent=" " * 6,
                         break_long_words=False, break_on_hyphens=False)  # fmt: skip


def _cause_text(exc: BaseException, hidden: bool, timeout: float | None) -> str:
    cause = exc.cause if isinstance(exc, NotTested) else exc
    if isinstance(cause, CheckTimeout):  # one wording, whichever budget was left
        return f"your code ran for over {_fmt(timeout or 0)} s and was stopped (an endless loop?)"
    return explain(cause, hidden)


def _report(checks: list[SubCheck], failed: list, hidden: bool, timeout: float | None) -> str:
    """✓/✗ lines; each cause explained once, under the sub-check it is about (one that failed
    on it rather than one it kept from running), and referred to from the others."""
    texts = [None if e is None else _cause_text(e, hidden, timeout) for e in failed]
    owner: dict[str, str] = {}
    for check, exc, text in zip(checks, failed, texts, strict=True):
        if exc is not None and not isinstance(exc, NotTested):
            owner.setdefault(text, check.name)
    for check, text in zip(checks, texts, strict=True):
        if text is not None:
            owner.setdefault(text, check.name)
    lines, shown = [], set()
    for check, exc, text in zip(checks, failed, texts, strict=True):
        pts = _fmt(max(float(check.points), 0.0))
        if exc is None:
            lines.append(f"  ✓ {check.name:<48} {pts} / {pts}")
            continue
        lines.append(f"  ✗ {check.name:<48} 0 / {pts}")
        head = f"not tested: {exc}" if isinstance(exc, NotTested) and str(exc) else ""
        if owner[text] == check.name and text not in shown:
            shown.add(text)
            lines.append(_wrap(f"{head}: {text}" if head else text))
        else:
            ref = f"see “{owner[text]}”"
            lines.append(_wrap(f"{head} ({ref})" if head else f"the same failure: {ref}"))
    return "\n".join(lines)


class NotTested(Exception):
    """A sub-check that could not judge its property, because a call it needs failed (``cause``)."""

    def __init__(self, cause: BaseException, what: str = "") -> None:
        super().__init__(what)
        self.cause = cause


def grade_item(
    title: str, checks: list[SubCheck], *, hidden: bool = False, timeout: float | None = 20.0
) -> float:
    """Run every sub-check isolated, print ✓/✗ with points and the likely mistake, return points.

    One cause gets one message: a sub-check that fails with the same explanation as an earlier
    one, or could not run because of it (:class:`NotTested`), points back to it. After a time-out
    the remaining sub-checks get a short budget, so an endless loop costs one wait, not five.
    ``hidden=True`` is for hidden tests: crashes are reported without numpy's message. A
    :class:`Disqualified` failure makes the item score 0.
    """
    maximum = sum(max(float(c.points), 0.0) for c in checks)
    if hidden:
        title = f"{title} (autograder, on data you have not seen)"
    try:
        void, budget, failed = None, timeout, []
        for check in checks:
            exc = run_isolated(check.run, budget)
            if isinstance(exc, CheckTimeout) and budget:
                budget = min(budget, 1.0)
            if isinstance(exc, Disqualified) and void is None:
                void = exc
            failed.append(exc)
        attempted = any((e is None or isinstance(e, KnownMistake)) and not c.hygiene
                        for c, e in zip(checks, failed, strict=True))  # fmt: skip
        if not attempted:  # nothing of the maths works or is even a known mistake
            failed = [HYGIENE_ALONE if e is None and c.hygiene else e
                      for c, e in zip(checks, failed, strict=True)]  # fmt: skip
        earned = sum(
            max(float(c.points), 0.0) for c, e in zip(checks, failed, strict=True) if e is None
        )
        score = 0.0 if void is not None else clean_score(earned, maximum)
        print(f"{title}: {_fmt(score)} / {_fmt(maximum)} points")
        if void is not None:
            print(f"  This item scores 0: {void}")
        print(_report(checks, failed, hidden, timeout))
        return score
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # the report itself failed (say, print was replaced): score 0
        with contextlib.suppress(BaseException):
            print(f"{title}: grading failed ({type(exc).__name__}); 0 points")
        return 0.0
