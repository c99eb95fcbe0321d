"""Find each student's notebook for an assignment, whatever they called it, or say why there is none.

Students hand in ``ps2_modules (1).ipynb``, ``Copy of ps2_modules.ipynb``, two notebooks, or a
file that is not JSON. nbgrader grades only ``<assignment>.ipynb`` and scores a missing one 0, so
before autograde every submission folder is copied into a clean folder with exactly one notebook
of the right name: the candidate in which the student answered the most cells (the exact name
wins a tie, then the newest file). A folder with no usable notebook gets a stated reason.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat


@dataclass
class Found:
    """One student's submission: the notebook chosen (or None) and what was noticed."""

    student: str
    assignment: str
    path: Path | None
    note: str = ""  # e.g. "graded 'Copy of ps2_modules.ipynb' (2 notebooks in the folder)"
    problem: str = ""  # why nothing can be graded


def _answers(path: Path, stubs: dict[str, str]) -> int:
    """How many answer cells of the release this notebook changed (-1 if it is unreadable)."""
    nb = nbformat.read(path, 4)
    changed = 0
    for c in nb.cells:
        gid = c.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in stubs and c.get("source", "") != stubs[gid]:
            changed += 1
    return changed


def release_stubs(release: Path) -> dict[str, str]:
    """grade_id → source of each answer cell in the released notebook."""
    nb = nbformat.read(release, 4)
    return {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in nb.cells
        if c.get("metadata", {}).get("nbgrader", {}).get("solution")
    }


def choose(folder: Path, assignment: str, stubs: dict[str, str]) -> tuple[Path | None, str, str]:
    """(notebook, note, problem) for one submission folder."""
    candidates = sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    if not candidates:
        return None, "", "no notebook (.ipynb) in the submission folder"
    scored, broken = [], []
    for p in candidates:
        try:
            scored.append(
                (_answers(p, stubs), p.name == f"{assignment}.ipynb", p.stat().st_mtime, p)
            )
        except Exception as exc:  # not JSON, not a notebook, unreadable
            broken.append(f"{p.name}: {type(exc).__name__}")
    if not scored:
        return None, "", "no readable notebook (" + "; ".join(broken) + ")"
    best = max(scored, key=lambda t: t[:3])[3]
    note = ""
    if best.name != f"{assignment}.ipynb" or len(candidates) > 1:
        note = f"graded {best.relative_to(folder)!s} ({len(candidates)} notebook(s) in the folder)"
    return best, note, ""


def normalize(course_dir: Path, submissions: str, assignment: str, dest: Path) -> list[Found]:
    """Copy every ``submissions/<student>/<assignment>/`` into ``dest`` with one notebook named
    ``<assignment>.ipynb`` (and nbgrader's timestamp.txt); return what was found for each."""
    base = Path(course_dir) / submissions
    stubs = release_stubs(Path(course_dir) / "assignments" / assignment / f"{assignment}.ipynb")
    found = []
    for folder in sorted(base.glob(f"*/{assignment}")):
        if not folder.is_dir():
            continue
        student = folder.parent.name
        nb, note, problem = choose(folder, assignment, stubs)
        found.append(Found(student, assignment, nb, note, problem))
        if nb is None:
            continue
        out = dest / student / assignment
        out.mkdir(parents=True, exist_ok=True)
        shutil.copy2(nb, out / f"{assignment}.ipynb")
        if (folder / "timestamp.txt").is_file():
            shutil.copy2(folder / "timestamp.txt", out / "timestamp.txt")
    return found
