"""Shared by the ps2 tests: apply a fixture to the solved notebook, run cells in-process."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "solutions" / "ps2_modules" / "ps2_modules.ipynb"


def grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def apply_fixture(nb: nbformat.NotebookNode, fixture: dict) -> nbformat.NotebookNode:
    """The notebook with the fixture's text replacements and extra cells (each must apply)."""
    nb = copy.deepcopy(nb)
    for old, new in fixture.get("replace", []):
        hits = [c for c in nb.cells if old in c.source]
        assert hits, f"fixture text not found in the notebook: {old!r}"
        for c in hits:
            c.source = c.source.replace(old, new)
    for anchor, key in (("setup", "after_setup"), ("linear", "after_linear")):
        if key in fixture:
            i = next(i for i, c in enumerate(nb.cells) if grade_id(c) == anchor)
            nb.cells.insert(i + 1, nbformat.v4.new_code_cell(fixture[key]))
    return nb


def graded_cells(nb: nbformat.NotebookNode) -> dict[str, tuple[str, str, float]]:
    """grade_id → (visible call, hidden call, points) for every autograded test cell."""
    out = {}
    for c in nb.cells:
        meta = c.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") and c.cell_type == "code":
            visible = c.source.split("### BEGIN HIDDEN TESTS")[0].strip().splitlines()[-1]
            hidden = re.search(r"^_g\.(check_\w+\(.*\))$", c.source, re.M).group(1)
            out[meta["grade_id"]] = (visible, hidden, float(meta["points"]))
    return out
