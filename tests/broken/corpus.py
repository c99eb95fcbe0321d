"""Broken ps2 submissions that students really hand in, each a change to a correct notebook.

Each entry: name → (how to break the solved notebook, what a fair instructor gives: the items
that lose points → expected points, and a phrase the autograde summary must show for it).
Used by tests/grader/test_class_scale.py through the real instructor commands.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path

import nbformat
from grading_helpers import PS2  # the registry's ids

from course.grading.ps2 import POINTS

Break = Callable[[nbformat.NotebookNode, Path], None]  # edits the notebook / its folder in place


def gid(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def find(nb, grade_id: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if gid(c) == grade_id)


def write(nb, folder: Path, name: str = f"{PS2}.ipynb") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / name)
    return folder / name


def duplicate(grade_id: str, edit_copy: str | None = None) -> Break:
    """JupyterLab copy-paste: the cell twice, same metadata; the student may edit the copy."""

    def go(nb, folder):
        i = find(nb, grade_id)
        dup = copy.deepcopy(nb.cells[i])
        if edit_copy:
            dup.source = dup.source.replace(*edit_copy.split("=>"))
        nb.cells.insert(i + 1, dup)
        write(nb, folder)

    return go


def to_markdown(grade_id: str) -> Break:
    def go(nb, folder):
        i = find(nb, grade_id)
        c = nb.cells[i]
        nb.cells[i] = nbformat.v4.new_markdown_cell(c.source, metadata=c.metadata)
        write(nb, folder)

    return go


def to_raw(grade_id: str) -> Break:
    def go(nb, folder):
        i = find(nb, grade_id)
        c = nb.cells[i]
        nb.cells[i] = nbformat.v4.new_raw_cell(c.source, metadata=c.metadata)
        write(nb, folder)

    return go


def delete(grade_id: str) -> Break:
    def go(nb, folder):
        del nb.cells[find(nb, grade_id)]
        write(nb, folder)

    return go


def strip_metadata(grade_id: str) -> Break:
    def go(nb, folder):
        nb.cells[find(nb, grade_id)].metadata = {}
        write(nb, folder)

    return go


def add_cell(after: str, source: str) -> Break:
    def go(nb, folder):
        nb.cells.insert(find(nb, after) + 1, nbformat.v4.new_code_cell(source))
        write(nb, folder)

    return go


def replace(old: str, new: str) -> Break:
    def go(nb, folder):
        hits = [c for c in nb.cells if old in c.source]
        assert hits, old
        for c in hits:
            c.source = c.source.replace(old, new)
        write(nb, folder)

    return go


def rename(name: str) -> Break:
    def go(nb, folder):
        write(nb, folder, name)

    return go


def two_notebooks(other_name: str, other_is_release: bool) -> Break:
    """The work in one notebook, an untouched copy of the release in another."""

    def go(nb, folder):
        release = nbformat.read(Path(__file__).parents[2] / f"assignments/{PS2}/{PS2}.ipynb", 4)
        work, spare = (nb, release) if other_is_release else (release, nb)
        write(work, folder)
        write(spare, folder, other_name)

    return go


def raw_text(text: str) -> Break:
    def go(nb, folder):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{PS2}.ipynb").write_text(text)

    return go


def no_notebook(nb, folder):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{PS2}.py").write_text("print('I exported it as a script')\n")


def move_cell(grade_id: str, to_after: str) -> Break:
    def go(nb, folder):
        cell = nb.cells.pop(find(nb, grade_id))
        nb.cells.insert(find(nb, to_after) + 1, cell)
        write(nb, folder)

    return go


def old_nbformat(nb, folder):
    folder.mkdir(parents=True, exist_ok=True)
    data = json.loads(nbformat.writes(nb))
    data["nbformat_minor"] = 2
    for c in data["cells"]:
        c.pop("id", None)
    (folder / f"{PS2}.ipynb").write_text(json.dumps(data))


FULL = float(sum(POINTS.values()))  # every ps2 item's points
BIAS = 'self.grads["bias"] += grad_out.sum(axis=0)'
# name: (break, {grade_id: points} for items that lose points, phrase in the summary or "")
CORPUS: dict[str, tuple[Break, dict[str, float], str]] = {
    "renamed_copy_of": (rename(f"Copy of {PS2}.ipynb"), {}, f"Copy of {PS2}.ipynb"),
    "renamed_suffix_1": (rename(f"{PS2} (1).ipynb"), {}, f"{PS2} (1).ipynb"),
    "renamed_lowercase": (rename("PS2_Modules.ipynb"), {}, "PS2_Modules.ipynb"),
    "two_notebooks_work_in_copy": (
        two_notebooks(f"{PS2}-Copy1.ipynb", False),
        {},
        f"{PS2}-Copy1.ipynb",
    ),
    "two_notebooks_work_in_main": (two_notebooks("old.ipynb", True), {}, "not graded: old.ipynb"),
    "duplicated_answer_cell": (duplicate("linear"), {}, "duplicated"),
    "duplicated_answer_edited_copy": (
        duplicate("relu", "np.where(self._cache, x, 0.0)=>np.maximum(x, 0.0)"),
        {},
        "duplicated",
    ),
    "duplicated_test_cell": (duplicate("linear_test"), {}, "duplicated"),
    # nbgrader turns the cell back into code (its OverwriteCells), so the answer counts.
    "answer_to_markdown": (to_markdown("tanh"), {}, "another cell type"),
    "answer_metadata_stripped": (strip_metadata("sigmoid"), {}, "sigmoid"),
    "answer_to_raw": (to_raw("euclidean"), {}, "another cell type"),
    # nbgrader puts a deleted test cell back (OverwriteCells' add_missing_cells) and grades it.
    "test_cell_deleted": (delete("relu_test"), {}, ""),
    "setup_cell_edited": (
        replace(
            "from course.modules import Module",
            "from course.modules import Module\nimport numpy as numpy_too",
        ),
        {},
        "",
    ),
    "cells_reordered": (move_cell("euclidean", "setup"), {}, ""),
    "exit_in_answer": (add_cell("relu", "import os\nos._exit(1)"), {}, "ended the process"),
    "sys_exit_cell": (add_cell("relu", "import sys\nsys.exit('bye')"), {}, ""),
    "endless_loop_bare_except": (
        add_cell("tanh", "while True:\n    try:\n        pass\n    except:\n        pass"),
        {},
        "time limit",
    ),
    "memory_blowup": (add_cell("tanh", "x = [0] * (10**10)"), {}, "memory"),
    "kernel_killed": (
        add_cell("softmax", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"),
        {},
        "ended the process",
    ),
    "input_call": (add_cell("setup", "name = input('Your name: ')"), {}, ""),
    "syntax_error_cell": (
        replace("class Tanh(Module):", "class Tanh(Module)"),
        {"tanh_test": 0.0},
        "",
    ),
    "not_json": (raw_text("{ this is not json"), {}, "no readable notebook"),
    "empty_file": (raw_text(""), {}, "no readable notebook"),
    "no_notebook": (no_notebook, {}, "no notebook"),
    "old_nbformat_minor": (old_nbformat, {}, ""),
    "one_bug_bias": (replace(BIAS, BIAS.replace("sum", "mean")), {"linear_test": 8.5}, ""),
    "prints_a_lot": (add_cell("setup", "for i in range(200000):\n    print('x' * 100)"), {}, ""),
}
