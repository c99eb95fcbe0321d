"""Generated broken notebooks: every answer cell × every way an answer can break.

Independence (issue 20): breaking one answer costs every other item exactly what leaving that
answer as the release stub costs. For an answer cell and a failure mode, :func:`broken` gives the
solved notebook with that cell broken, and :func:`stubbed` the solved notebook with that cell as
released; the other items must score the same in both. Used by
tests/grader/test_independence.py (a sample, through the real command) and
bench/bench_independence.py (every cell × every mode, with the wall time of each).
"""

from __future__ import annotations

import copy
import re
import textwrap
from collections.abc import Callable
from pathlib import Path

import nbformat

from autograder.cellmeta import grade_id, is_answer, is_test
from autograder.demo import solved_notebook

_REGION = re.compile(r"^([ \t]*)### BEGIN SOLUTION\n.*?^[ \t]*### END SOLUTION[ \t]*$", re.M | re.S)


def _in_regions(body: str) -> Callable[[str], str]:
    """A change that puts ``body`` in place of every solution region of a cell (each call of
    the answer's functions or methods then does it)."""

    def change(source: str) -> str:
        return _REGION.sub(lambda m: textwrap.indent(body, m.group(1)), source)

    return change


MODES: dict[str, Callable[[str], str]] = {
    "raises": _in_regions("raise RuntimeError('broken on purpose')"),
    "endless loop": _in_regions("while True:\n    pass"),
    "sleeps forever": _in_regions("import time\ntime.sleep(10**6)"),
    "sys.exit": _in_regions("import sys\nsys.exit(3)"),
    "os._exit": _in_regions("import os\nos._exit(3)"),
    "loop at the cell's top level": lambda source: "while True:\n    pass\n" + source,
    "syntax error": lambda source: source + "\n)(\n",
    "allocates 20 GB": _in_regions("import numpy\n_ = numpy.ones(20 * 2**30 // 8)\n_[::4096] = 1"),
}


def answer_cells(nb: nbformat.NotebookNode) -> list[str]:
    """Grade ids of the code answer cells that hold a solution region."""
    return [grade_id(c) for c in nb.cells
            if c.cell_type == "code" and is_answer(c) and _REGION.search(c.source)]  # fmt: skip


def test_items(nb: nbformat.NotebookNode) -> list[str]:
    """Grade ids of the autograded test cells."""
    return [grade_id(c) for c in nb.cells if is_test(c)]


def own_item(nb: nbformat.NotebookNode, gid: str) -> str:
    """The test cell that grades answer ``gid``: the first test cell after it ("" if none)."""
    at = next(i for i, c in enumerate(nb.cells) if grade_id(c) == gid)
    return next((grade_id(c) for c in nb.cells[at + 1 :] if is_test(c)), "")


def _with(nb: nbformat.NotebookNode, gid: str, source: str) -> nbformat.NotebookNode:
    nb = copy.deepcopy(nb)
    next(c for c in nb.cells if grade_id(c) == gid).source = source
    return nb


def broken(course: Path, assignment: str, gid: str, mode: str) -> nbformat.NotebookNode:
    """The solved notebook with answer cell ``gid`` broken in ``mode``."""
    nb = solved_notebook(course, assignment)
    cell = next(c for c in nb.cells if grade_id(c) == gid)
    return _with(nb, gid, MODES[mode](cell.source))


def stubbed(course: Path, assignment: str, gid: str) -> nbformat.NotebookNode:
    """The solved notebook with answer cell ``gid`` as released (the stub)."""
    release = nbformat.read(Path(course) / "assignments" / assignment / f"{assignment}.ipynb", 4)
    stub = next(c for c in release.cells if grade_id(c) == gid).source
    return _with(solved_notebook(course, assignment), gid, stub)


def most_used(nb: nbformat.NotebookNode) -> str:
    """The answer cell whose names the most later cells use (breaking it tests the most)."""
    best, count = "", -1
    cells = list(nb.cells)
    for i, c in enumerate(cells):
        if grade_id(c) not in answer_cells(nb):
            continue
        names = set(re.findall(r"^\s*(?:def|class)\s+(\w+)", c.source, re.M))
        uses = sum(any(re.search(rf"\b{n}\b", d.source) for n in names) for d in cells[i + 1 :])
        if uses > count:
            best, count = grade_id(c), uses
    return best
