"""Grade one notebook: its outputs from one sandbox, its points from trusted checks.

Three passes, each in a fresh sandbox, running at the same time:

1. **Outputs.** Every code cell except test cells and display-only cells runs as the student
   wrote it; its outputs go into the autograded notebook (and so into the feedback). This
   sandbox never sees a hidden input.
2. **Visible points.** The same cells run again; at each test cell the grader runs the cell's
   visible check call itself, driving the student's objects through the channel.
3. **Hidden points.** The same again for the hidden calls, in a sandbox of its own, so no
   hidden input is ever inside a process whose reports the student reads.

A test cell's only outputs are the two reports and the score (the hidden call's). Whatever the
student's code prints in passes 2 and 3 is thrown away.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import io
import shutil
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import nbformat

from course.grading.core import CheckTimeout, clean_score

from .. import cellmeta
from ..cellmeta import is_display_only, is_graded
from ..registry import get
from . import cells, library
from .remote import StudentError, World
from .scrub import safe_data, scrub_notebook
from .session import SandboxBroken, SandboxDied, SeenLooping, Session

_LIBRARIES: dict[str, Path] = {}


def library_for(assignment: str) -> Path:
    """The sandbox folder of ``assignment``, built once per process (removed when it exits)."""
    if assignment not in _LIBRARIES:
        if not _LIBRARIES:
            atexit.register(lambda: [shutil.rmtree(p, True) for p in _LIBRARIES.values()])
        _LIBRARIES[assignment] = library.build(assignment, get(assignment))
    return _LIBRARIES[assignment]


def is_test_cell(cell: Any) -> bool:
    return cell.get("cell_type") == "code" and is_graded(cell)


def code_cells(nb: Any) -> Iterator[tuple[int, Any]]:
    """The cells the autograder runs or scores, in order (not display-only ones)."""
    for i, cell in enumerate(nb.cells):
        if cell.get("cell_type") == "code" and not is_display_only(cell):
            yield i, cell


# --- outputs ----------------------------------------------------------------------------------


def _output(item: Any) -> Any:
    """One output from the sandbox as an nbformat output, or None if it is malformed."""
    if not isinstance(item, dict):
        return None
    kind = item.get("output_type")
    if kind == "stream" and item.get("name") in ("stdout", "stderr"):
        return nbformat.v4.new_output("stream", name=item["name"], text=str(item.get("text", "")))
    if kind in ("execute_result", "display_data") and isinstance(item.get("data"), dict):
        out = nbformat.v4.new_output(kind, data=safe_data(item["data"]))
        if kind == "execute_result":
            count = item.get("execution_count")
            out.execution_count = count if isinstance(count, int) else None
        return out
    if kind == "error":
        tb = item.get("traceback")
        tb = [str(t) for t in tb] if isinstance(tb, list) else []
        return nbformat.v4.new_output("error", ename=str(item.get("ename", "Error")),
                                      evalue=str(item.get("evalue", "")), traceback=tb)  # fmt: skip
    return None


def _failure(ename: str, evalue: str) -> Any:
    return nbformat.v4.new_output(
        "error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"]
    )


def run_cell(session: Session, source: str, timeout: float) -> list:
    """A cell's outputs; a cell that loops, exits or kills its process gets an error output."""
    return _run_cell(session, source, timeout)[0]


def _run_cell(session: Session, source: str, timeout: float) -> tuple[list, str]:
    """(outputs, why the cell was stopped or "" if it ran to its end or raised)."""
    try:
        return [o for o in map(_output, session.exec(source, timeout)) if o is not None], ""
    except SeenLooping as exc:
        why = str(exc)
        return [_failure("TimeoutError", f"this cell {why} and was stopped")], why
    except CheckTimeout:
        why = f"ran longer than {timeout:g} s"
        return [_failure("TimeoutError", f"this cell {why} and was stopped")], why
    except SandboxDied:
        limit = session.last_limit
        why = (f"went over the sandbox's {limit}" if limit else
               "ended the process running the notebook (os._exit or a crash)")  # fmt: skip
        return [_failure("DeadKernelError", f"this cell {why}; it was restarted")], why
    except SandboxBroken as exc:
        return [_failure("SandboxError", str(exc))], str(exc)


def stopped_note(stopped: list[tuple[int, str, str]]) -> str:
    """What the student reads above a check graded after cells were stopped: which cells, why,
    and that the check ran without whatever they would have done."""
    lines = []
    for number, source, why in stopped:
        first = next((ln.strip() for ln in source.splitlines() if ln.strip()), "")[:60]
        lines.append(f"Note: code cell {number} (`{first}`) {why} and was stopped; the checks "
                     "below ran without what it would have done.")  # fmt: skip
    return "\n".join(lines) + "\n" if lines else ""


# --- points -----------------------------------------------------------------------------------
class _PerThread(io.TextIOBase):
    """sys.stdout (or stderr) that writes to each thread's own buffer while it captures: the
    visible and the hidden pass run their checks at the same time, and each report must hold
    only its own lines (contextlib.redirect_stdout swaps one stream for every thread)."""

    def __init__(self, default: Any) -> None:
        self.default, self.local = default, threading.local()

    def write(self, text: str) -> int:
        return (getattr(self.local, "target", None) or self.default).write(text)

    def flush(self) -> None:
        (getattr(self.local, "target", None) or self.default).flush()


_SWAP = threading.Lock()


@contextlib.contextmanager
def _capture(out: io.StringIO) -> Iterator[None]:
    """This thread's prints (stdout and stderr) go to ``out`` for the block."""
    with _SWAP:
        for name in ("stdout", "stderr"):
            if not isinstance(getattr(sys, name), _PerThread):
                setattr(sys, name, _PerThread(getattr(sys, name)))
    streams = (sys.stdout, sys.stderr)
    for s in streams:
        s.local.target = out
    try:
        yield
    finally:
        for s in streams:
            s.local.target = None


def run_checks(
    world: World, source: str, checks: Any, points: float, only: str | None = None
) -> tuple[str, float | None]:
    """Run a test cell's check calls in this process; return (report, score). ``only`` is
    "visible" or "hidden" to run just those calls (score None if the cell has none)."""
    out = io.StringIO()
    score = None if only else 0.0
    with _capture(out):
        try:
            calls = cells.parse(source, checks)
        except cells.NotACheck as exc:
            if only == "hidden":  # said once, by the visible pass
                return "", None
            print(f"This test cell cannot be graded: {exc}. 0 points.")
            return out.getvalue(), 0.0
        for call in calls:
            if only is None or call.hidden == (only == "hidden"):
                score = _one_call(world, call, checks)
    return out.getvalue(), None if score is None else clean_score(score, points)


def _one_call(world: World, call: cells.CheckCall, checks: Any) -> float:
    args = []
    for name in call.names:
        try:
            args.append(world.lookup(name))
        except (StudentError, CheckTimeout, SandboxDied, SandboxBroken):
            print(f"✗ `{name}` is not defined: run the cell that defines it (it must run without "
                  "errors), then this check. 0 points.")  # fmt: skip
            return 0.0
    try:
        return float(getattr(checks, call.check)(*args, **call.kwargs))
    except Exception as exc:  # a check must never take the batch down
        print(f"✗ grading stopped ({type(exc).__name__}); 0 points")
        return 0.0


def _outputs_pass(
    nb: Any, root: Path, sandboxed: bool, timeout: float, looping: dict | None = None
) -> dict[int, list]:
    """Pass 1: every cell but the test cells, for the outputs the student will see."""
    with Session(root, sandboxed=sandboxed, looping=looping) as session:
        return {i: run_cell(session, cell.source, timeout)
                for i, cell in code_cells(nb) if not is_test_cell(cell)}  # fmt: skip


def _points_pass(
    nb: Any,
    root: Path,
    checks: Any,
    sandboxed: bool,
    timeout: float,
    only: str | None = None,
    looping: dict | None = None,
) -> dict:
    """The same cells again (outputs thrown away), and each test cell's checks (``only`` its
    visible or its hidden calls) run here; returns {cell index: (report, score or None)}."""
    results, stopped = {}, []
    with Session(root, sandboxed=sandboxed, looping=looping) as session:
        world = World(session)
        for number, (i, cell) in enumerate(code_cells(nb), 1):
            if is_test_cell(cell):
                points = cellmeta.points(cell)
                report, score = run_checks(world, cell.source, checks, points, only)
                note = "" if only == "hidden" else stopped_note(stopped)
                results[i] = (note + report, score)
                stopped = []
            else:
                why = _run_cell(session, cell.source, timeout)[1]
                if why:
                    stopped.append((number, cell.source, why))
    return results


def grade(nb: Any, assignment: str, *, sandboxed: bool = True, timeout: float = 120.0) -> Any:
    """Fill ``nb``'s outputs (pass 1) and its test cells' reports and scores: the visible
    checks (pass 2) and the hidden ones (pass 3). The passes run at the same time, each in its
    own sandbox, so the student's code never holds a hidden input while a check whose report
    the student reads is running. A cell scores what its last call scores (the hidden one)."""
    root = library_for(assignment)
    checks = importlib.import_module(get(assignment).checks)
    with ThreadPoolExecutor(2) as pool:
        looping: dict[str, str] = {}  # what one pass finds looping, the others stop at once
        outputs = pool.submit(_outputs_pass, nb, root, sandboxed, timeout, looping)
        hidden = pool.submit(_points_pass, nb, root, checks, sandboxed, timeout, "hidden", looping)
        visible = _points_pass(nb, root, checks, sandboxed, timeout, "visible", looping)
        shown, secret = outputs.result(), hidden.result()
    for count, (i, cell) in enumerate(code_cells(nb), 1):
        cell.execution_count = count
        if i in visible:
            (seen, seen_score), (kept, kept_score) = visible[i], secret.get(i, ("", None))
            score = kept_score if kept_score is not None else seen_score or 0.0
            report = seen + kept
            cell.outputs = [
                nbformat.v4.new_output("stream", name="stdout", text=report),
                nbformat.v4.new_output("execute_result", data={"text/plain": repr(score)},
                                       execution_count=count),
            ]  # fmt: skip
        else:
            cell.outputs = shown[i]
    nb.metadata.setdefault("course", {})["sandbox"] = "bubblewrap" if sandboxed else "none"
    return scrub_notebook(nb)


def trusted_run(assignment: str, sources: list[str], call: str, points: float = 1e9,
                sandboxed: bool = True) -> tuple[str, float]:  # fmt: skip
    """Run ``sources`` (cells) in a sandbox, then the test-cell source ``call`` the way autograde
    does; return (report, score). For tests: the same data as a student's own check."""
    checks = importlib.import_module(get(assignment).checks)
    with Session(library_for(assignment), sandboxed=sandboxed) as session:
        for source in sources:
            run_cell(session, source, 120.0)
        return run_checks(World(session), call, checks, points)
