"""Graded notebooks on disk, keyed by exactly what grading depends on.

A key covers the code cells the runner reads (source, whether it is a test or a display-only
cell, its points), the assignment, whether the sandbox was used, and the grader's own code, so a
changed check or a changed answer is graded again and anything else is reused. This is what
makes a class run resumable, and lets the Dask workers grade ahead of nbgrader's serial
bookkeeping: nbgrader's Execute step (``SandboxExecute``) finds the result here.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import nbformat

import course

from ..cellmeta import is_display_only, nbgrader_meta

# The grader's code: the checks and library it drives, and this package.
SOURCES = (Path(course.__file__).resolve().parent, Path(__file__).resolve().parents[1])


@functools.cache
def grader_version() -> str:
    """A hash of every Python file the grader runs (checks, engine, reference modules)."""
    h = hashlib.sha256()
    for top in SOURCES:
        for path in sorted(top.rglob("*.py")):
            if "__pycache__" not in path.parts:
                h.update(str(path.relative_to(top.parent)).encode())
                h.update(path.read_bytes())
    return h.hexdigest()[:16]


def key(nb: Any, assignment: str, sandboxed: bool) -> str:
    """The cache key of a (sanitized) notebook."""
    cells = []
    for c in nb.cells:
        if c.get("cell_type") != "code":
            continue
        meta = nbgrader_meta(c)
        cells.append([c.get("source", ""), bool(meta.get("grade")), is_display_only(c),
                      meta.get("points")])  # fmt: skip
    blob = json.dumps([assignment, sandboxed, grader_version(), cells], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def path(cache_dir: Path, assignment: str, k: str) -> Path:
    return Path(cache_dir) / assignment / f"{k}.ipynb"


def load(cache_dir: Path | None, assignment: str, k: str) -> Any | None:
    """The graded notebook stored under ``k``, or None."""
    if not cache_dir:
        return None
    p = path(cache_dir, assignment, k)
    try:
        return nbformat.read(p, 4)
    except (OSError, ValueError):
        return None


def store(cache_dir: Path | None, assignment: str, k: str, nb: Any) -> None:
    """Write atomically (a killed run never leaves half a file)."""
    if not cache_dir:
        return
    p = path(cache_dir, assignment, k)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=p.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        nbformat.write(nb, f)
    os.replace(tmp, p)


def copy_results(graded: Any, nb: Any) -> None:
    """Outputs, execution counts and the sandbox note from ``graded`` into ``nb`` (same cells)."""
    for src, dst in zip(graded.cells, nb.cells, strict=True):
        if dst.get("cell_type") == "code":
            dst.outputs = src.get("outputs", [])
            dst.execution_count = src.get("execution_count")
    if "course" in graded.metadata:
        nb.metadata["course"] = graded.metadata["course"]
