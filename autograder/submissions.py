"""Find each student's notebook for an assignment, whatever they called it, or say why there is none.

Students hand in ``ps2_modules (1).ipynb``, ``Copy of ps2_modules.ipynb``, two notebooks, or a
file that is not JSON. nbgrader grades only ``<assignment>.ipynb`` and scores a missing one 0, so
before autograde every submission folder is copied into a clean folder with exactly one notebook
of the right name: the candidate in which the student answered the most cells (the exact name
wins a tie, then the newest file). A folder with no usable notebook gets a stated reason.
"""

from __future__ import annotations

import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .cellmeta import nbgrader_meta


@dataclass
class Found:
    """One student's submission: the notebook chosen (or None) and what was noticed."""

    student: str
    assignment: str
    path: Path | None
    note: str = ""  # e.g. "graded 'Copy of ps2_modules.ipynb' (2 notebooks in the folder)"
    problem: str = ""  # why nothing can be graded


def _answers(path: Path, stubs: dict[str, tuple[str, str]]) -> int:
    """How many answer cells of the release this notebook changed (-1 if it is unreadable)."""
    nb = nbformat.read(path, 4)
    changed = 0
    for c in nb.cells:
        gid = nbgrader_meta(c).get("grade_id")
        if gid in stubs and c.get("source", "") != stubs[gid][0]:
            changed += 1
    return changed


def release_stubs(release: Path) -> dict[str, tuple[str, str]]:
    """grade_id → (source, cell type) of each answer cell in the released notebook."""
    nb = nbformat.read(release, 4)
    return {
        c.metadata["nbgrader"]["grade_id"]: (c.source, c.cell_type)
        for c in nb.cells
        if nbgrader_meta(c).get("solution")
    }


def choose(
    folder: Path, assignment: str, stubs: dict[str, tuple[str, str]]
) -> tuple[Path | None, str, str]:
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
    others = [str(p.relative_to(folder)) for p in candidates if p != best]
    if best.name != f"{assignment}.ipynb" or others:
        note = f"graded {best.relative_to(folder)!s}"
        note += f"; not graded: {', '.join(others)}" if others else " (renamed)"
    return best, note, ""


def repair(
    nb: nbformat.NotebookNode, stubs: dict[str, tuple[str, str]]
) -> tuple[nbformat.NotebookNode, list[str]]:
    """Make the notebook one nbgrader can grade, keeping every line of the student's code.

    nbgrader stops the WHOLE batch on a notebook with old or empty nbgrader metadata, and fails
    a notebook whose grade id appears twice. A duplicated cell (JupyterLab copy-paste) keeps its
    id on the last copy only (the one whose definitions win when the notebook runs top to
    bottom); the other copies become plain cells that still run. Returns (notebook, notes)."""
    notes, seen = [], {}
    for c in nb.cells:
        meta = c.get("metadata", {})
        nbg = meta.get("nbgrader")
        if nbg is None:
            continue
        if not isinstance(nbg, dict) or nbg.get("schema_version") != 3 or not nbg.get("grade_id"):
            del meta["nbgrader"]  # nothing nbgrader can use: a plain cell
            continue
        seen.setdefault(nbg["grade_id"], []).append(c)
    dups = {g: cells for g, cells in seen.items() if len(cells) > 1}
    for cells in dups.values():
        for c in cells[:-1]:
            del c.metadata["nbgrader"]
    if dups:
        notes.append("duplicated cells: " + ", ".join(f"{g} ({len(c)}×)" for g, c in dups.items())
                     + "; graded the last copy, the others ran as plain cells")  # fmt: skip
    changed = [g for g, cells in seen.items() if g in stubs and cells[-1].cell_type != stubs[g][1]]
    if changed:
        notes.append("answer cell(s) of another cell type than released: " + ", ".join(changed))
    missing = [g for g in stubs if g not in seen]
    if missing:
        notes.append("answer cell(s) without nbgrader metadata (copied or deleted): "
                     + ", ".join(missing))  # fmt: skip
    return nb, notes


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
        out = dest / student / assignment
        out.mkdir(parents=True, exist_ok=True)
        if nb is None:  # graded as the untouched release: 0 points, and the reason is reported
            release = Path(course_dir) / "assignments" / assignment / f"{assignment}.ipynb"
            shutil.copy2(release, out / f"{assignment}.ipynb")
            found[-1].problem += "; recorded as an empty submission (0 points)"
            continue
        with warnings.catch_warnings():  # nbformat's notes on duplicated cell ids: repaired below
            warnings.simplefilter("ignore")
            notebook = nbformat.read(nb, 4)
        notebook, fixes = repair(notebook, stubs)
        nbformat.write(notebook, out / f"{assignment}.ipynb")
        found[-1].note = "; ".join(filter(None, [note, *fixes]))
        if (folder / "timestamp.txt").is_file():
            shutil.copy2(folder / "timestamp.txt", out / "timestamp.txt")
    return found


@dataclass(frozen=True)
class Misfiled:
    """A file under the submissions folder that no assignment's grading will pick up."""

    path: str  # relative to the submissions folder's parent, e.g. "submitted/tom/ps1.ipynb"
    student: str
    assignment: str  # the assignment it most likely belongs to, or the folder's own name
    reason: str
    fix: str


def _guess(name: str, ids: list[str]) -> str | None:
    """The assignment a folder or file name most likely means: ``ps1`` → ``ps1_chain_rule``."""
    stem = name.lower().removesuffix(".ipynb").strip()
    for a in ids:
        if stem == a.lower() or a.lower().startswith(stem + "_") or stem.startswith(a.lower()):
            return a
    return None


def misfiled(course_dir: Path, submissions: str, ids: list[str]) -> list[Misfiled]:
    """Every file under ``submissions/`` outside ``<student>/<assignment>/`` for a known
    assignment, with the reason and how to fix it (nothing handed in is silently dropped)."""
    base = Path(course_dir) / submissions
    if not base.is_dir():
        return []
    out: list[Misfiled] = []
    layout = f"{submissions}/<student>/<assignment>/<notebook>.ipynb"
    for entry in sorted(base.iterdir()):
        rel = f"{submissions}/{entry.name}"
        if entry.name.startswith("."):
            continue
        if not entry.is_dir():
            out.append(Misfiled(rel, "?", "?", "a file directly in the submissions folder",
                                f"move it to {layout}"))  # fmt: skip
            continue
        for sub in sorted(entry.iterdir()):
            rel = f"{submissions}/{entry.name}/{sub.name}"
            if sub.name.startswith(".") or sub.name == "timestamp.txt":
                continue
            if sub.is_dir() and sub.name in ids:
                continue  # graded (or reported) by normalize
            guess = _guess(sub.name, ids)
            files = [p for p in sub.rglob("*") if p.is_file()] if sub.is_dir() else [sub]
            if not files:
                continue  # an empty folder hands in nothing
            target = f"{submissions}/{entry.name}/{guess or '<assignment>'}/"
            if sub.is_dir():
                reason = f"folder {sub.name!r} is not an assignment of this course (known: " + \
                    ", ".join(ids) + ")"  # fmt: skip
            else:
                reason = "a notebook outside an assignment folder (one level too shallow)" \
                    if sub.suffix == ".ipynb" else "a file outside an assignment folder"  # fmt: skip
            fix = f"move it to {target}" if guess else f"rename or move it to {target}"
            for p in files:
                out.append(Misfiled(str(Path(submissions) / p.relative_to(base)), entry.name,
                                    guess or sub.name, reason, fix))  # fmt: skip
    return out
