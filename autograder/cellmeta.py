"""The one reader of nbgrader's cell metadata: which cell is an answer, a test, written, display-only.

nbgrader marks cells with ``metadata.nbgrader`` (``grade_id``, ``grade``, ``solution``,
``locked``, ``points``, ``task``); everything in the instructor's tooling asks these questions
through here instead of reading the dictionary itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DISPLAY_ONLY = "display-only"


def nbgrader_meta(cell: Mapping[str, Any]) -> Mapping[str, Any]:
    """``cell.metadata.nbgrader``, or an empty mapping for a cell nbgrader does not know."""
    meta = cell.get("metadata", {}) or {}
    nb = meta.get("nbgrader", {}) if isinstance(meta, Mapping) else {}
    return nb if isinstance(nb, Mapping) else {}


def grade_id(cell: Mapping[str, Any]) -> str | None:
    """The cell's nbgrader ``grade_id`` (None for an ordinary cell)."""
    return nbgrader_meta(cell).get("grade_id")


def is_answer(cell: Mapping[str, Any]) -> bool:
    """A cell the student writes in (nbgrader's ``solution``)."""
    return bool(nbgrader_meta(cell).get("solution"))


def is_graded(cell: Mapping[str, Any]) -> bool:
    """A cell that carries points (nbgrader's ``grade``): a test cell or a written answer."""
    return bool(nbgrader_meta(cell).get("grade"))


def is_test(cell: Mapping[str, Any]) -> bool:
    """An autograded test cell: graded code that is not itself an answer."""
    return cell.get("cell_type") == "code" and is_graded(cell) and not is_answer(cell)


def points(cell: Mapping[str, Any]) -> float:
    """The cell's maximum points (0 for a cell without any)."""
    return float(nbgrader_meta(cell).get("points", 0) or 0)


def is_display_only(cell: Mapping[str, Any], tag: str = DISPLAY_ONLY) -> bool:
    """A code cell the autograder may skip: tagged ``tag``, read-only, known to the gradebook
    (it keeps its grade_id after nbgrader's OverwriteCells), and neither graded nor an answer."""
    meta = cell.get("metadata", {})
    nb = nbgrader_meta(cell)
    return (
        cell.get("cell_type") == "code"
        and tag in meta.get("tags", [])
        and bool(nb.get("grade_id"))
        and nb.get("locked") is True
        and not nb.get("grade")
        and not nb.get("solution")
    )
