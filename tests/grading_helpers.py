"""Shared by the grading tests: the notebooks, fixtures applied to them, their answer cells run
in-process the way the grading kernel runs them, and check calls scored the way nbgrader scores
them (the last value; anything on stderr would score 0)."""

from __future__ import annotations

import contextlib
import copy
import io
import linecache
import re
import tomllib
from pathlib import Path
from types import ModuleType

import nbformat

from autograder import registry
from autograder.execute import is_display_only

ROOT = Path(__file__).resolve().parents[1]


def unwrap(report: str) -> str:
    """The report with each message on one line again (core wraps them to 100 columns), so that
    a test can look for a phrase wherever the wrap fell."""
    out: list[str] = []
    for line in report.splitlines():
        if out and line.startswith(" " * 6) and out[-1].startswith(" " * 6):
            out[-1] += " " + line.strip()
        else:
            out.append(line)
    return "\n".join(out)


def source_path(a: str) -> Path:
    return ROOT / "solutions" / a / f"{a}.ipynb"


def release_path(a: str) -> Path:
    return ROOT / "assignments" / a / f"{a}.ipynb"


def load_fixtures(ps: str) -> dict[str, dict]:
    """The deliberately wrong submissions in tests/fixtures/<ps>_submissions.toml: name →
    {replace: [[old, new], ...], after_setup / after_linear: code, scores, messages, ...}."""
    return tomllib.loads((ROOT / "tests" / "fixtures" / f"{ps}_submissions.toml").read_text())


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
    """grade_id → (visible call, hidden call without "_g.", points) for every autograded test cell."""
    out = {}
    for c in nb.cells:
        meta = c.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") and c.cell_type == "code":
            visible = c.source.split("### BEGIN HIDDEN TESTS")[0].strip().splitlines()[-1]
            hidden = re.search(
                r"### BEGIN HIDDEN TESTS\n(.*)\n### END HIDDEN TESTS", c.source
            ).group(1)
            out[meta["grade_id"]] = (visible, hidden, float(meta["points"]))
    return out


def written_items(nb: nbformat.NotebookNode) -> list:
    """The manually graded markdown answers."""
    return [c for c in nb.cells if c.cell_type == "markdown"
            and c.get("metadata", {}).get("nbgrader", {}).get("grade")]  # fmt: skip


def answer_namespace(nb: nbformat.NotebookNode) -> dict:
    """Run the setup and answer cells the way the autograder's kernel would (display-only cells
    are skipped there too); a failing cell is skipped, as a student's broken cell would be."""
    ns: dict = {"__name__": "__main__"}
    for c in nb.cells:
        meta = c.get("metadata", {}).get("nbgrader", {})
        if c.cell_type != "code" or meta.get("grade") or not grade_id(c) or is_display_only(c):
            continue
        name = f"<cell {grade_id(c)}>"
        linecache.cache[name] = (len(c.source), None, c.source.splitlines(True), name)  # as IPython
        with contextlib.suppress(Exception):
            exec(compile(c.source, name, "exec"), ns)
    return ns


def score(call: str, ns: dict, checks: ModuleType) -> tuple[float, str]:
    """Evaluate a visible (``ps1.check_x(f)`` or ``check_x(f)``) or hidden (``check_x(f, seed=…)``)
    check call; return (points, report). Nothing may reach stderr (nbgrader: 0)."""
    short = checks.__name__.rsplit(".", 1)[-1]
    env = {**ns, **{k: getattr(checks, k) for k in checks.__all__}, short: checks, "_g": checks}
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            value = eval(call, env)
        except NameError:  # the function was never defined: the kernel scores the cell 0
            value = 0.0
    assert err.getvalue() == "", f"{call} wrote to stderr: {err.getvalue()!r}"
    return value, unwrap(out.getvalue())


def assert_full_marks(nb: nbformat.NotebookNode, checks: ModuleType) -> None:
    """Every item earns its points as a float, visible and hidden, with no ✗ in any report."""
    ns = answer_namespace(nb)
    for gid, (visible, hidden, points) in graded_cells(nb).items():
        for call in (visible, hidden):
            value, report = score(call, ns, checks)
            assert type(value) is float and value == points, (gid, call, report)
            assert "✗" not in report, (gid, call, report)


def assert_release_scores_zero(
    release: nbformat.NotebookNode, cells: dict, checks: ModuleType, secrets: tuple[str, ...]
) -> None:
    """The release hides ``secrets`` and its stubs earn 0 everywhere, each report naming the
    NotImplementedError of the stub."""
    text = "\n".join(c.source for c in release.cells)
    for secret in secrets:
        assert secret not in text
    ns = answer_namespace(release)
    for gid, (visible, hidden, _) in cells.items():
        for call in (visible, hidden):
            value, report = score(call, ns, checks)
            assert value == 0.0, (gid, call, report)
            assert "NotImplementedError" in report, (gid, call, report)


def assert_fixture_points(
    nb: nbformat.NotebookNode,
    cells: dict,
    checks: ModuleType,
    name: str,
    fixture: dict,
    slow: tuple[str, ...] = (),
) -> None:
    """The fixture's items earn exactly ``scores`` (one number, or (visible, hidden)) with every
    phrase of ``messages`` (and, in the visible run, of ``visible_messages``) and none of ``absent``
    in the report; the others keep full marks. Items
    in ``slow`` run only when the fixture lists them."""
    ns = answer_namespace(apply_fixture(nb, fixture))
    for gid, (visible, hidden, points) in cells.items():
        if gid in slow and gid not in fixture["scores"]:
            continue
        want = fixture["scores"].get(gid, points)
        pair = tuple(want) if isinstance(want, (tuple, list)) else (want, want)
        for call, expected in zip((visible, hidden), pair, strict=True):
            value, report = score(call, ns, checks)
            assert value == expected, f"{name} {call}: got {value}, want {expected}\n{report}"
            phrases = fixture.get("messages", {}).get(gid, [])
            if call == visible:  # where the student's own line and message may be shown
                phrases = phrases + fixture.get("visible_messages", {}).get(gid, [])
            for phrase in phrases:
                assert phrase in report, f"{name} {call}: {phrase!r} missing from\n{report}"
            for phrase in fixture.get("absent", {}).get(gid, []):
                assert phrase not in report, f"{name} {call}: {phrase!r} should not be in\n{report}"


# --- the student's own check against the autograder (tests/grader/test_trusted_ps*.py) ---------------
def trusted_scores(nb: nbformat.NotebookNode, assignment: str, cells: dict, checks: ModuleType
                   ) -> dict[tuple[str, str], tuple[float, str]]:  # fmt: skip
    """(grade_id, "visible" | "hidden") → (score, report), the way autograde scores them: the
    notebook's non-test code cells in one sandbox, then each call by the grader's own checks."""
    from autograder.engine.remote import World
    from autograder.engine.runner import (
        code_cells,
        is_test_cell,
        library_for,
        run_cell,
        run_checks,
    )
    from autograder.engine.session import Session

    out = {}
    with Session(library_for(assignment)) as session:
        for _, cell in code_cells(nb):
            if not is_test_cell(cell):
                run_cell(session, cell.source, 120.0)
        world = World(session)
        for gid, (visible, hidden, points) in cells.items():
            for kind, call in (("visible", visible), ("hidden", hidden)):
                report, value = run_checks(world, call, checks, points)
                out[gid, kind] = (value, unwrap(report))
    return out


def assert_kernel_and_autograder_agree(nb: nbformat.NotebookNode, fixture: dict, assignment: str,
                                       cells: dict, checks: ModuleType) -> None:  # fmt: skip
    """Every item, visible and hidden: the same score and report in-process (the student's
    kernel) and trusted (the sandbox). A ``trusted_only`` fixture is held to its expected scores
    and messages through the sandbox only."""
    trusted = trusted_scores(nb, assignment, cells, checks)
    if fixture.get("trusted_only"):
        for gid, (_, _, points) in cells.items():
            want = fixture["scores"].get(gid, points)
            pair = tuple(want) if isinstance(want, list) else (want, want)
            for kind, expected in zip(("visible", "hidden"), pair, strict=True):
                value, report = trusted[gid, kind]
                assert value == expected, f"{gid} {kind}: got {value}, want {expected}\n{report}"
                for phrase in fixture.get("messages", {}).get(gid, []):
                    assert phrase in report, f"{gid} {kind}: {phrase!r} missing from\n{report}"
        return
    ns = answer_namespace(nb)
    for gid, (visible, hidden, _) in cells.items():
        for kind, call in (("visible", visible), ("hidden", hidden)):
            own_value, own_report = score(call, ns, checks)
            value, report = trusted[gid, kind]
            assert value == own_value, (
                f"{gid} {kind}: the student's check gives {own_value}, the autograder {value}\n"
                f"--- student's check\n{own_report}--- autograder\n{report}"
            )
            if own_report == "" and own_value == 0.0:  # a NameError in the kernel: the cell
                assert "is not defined" in report, report  # shows the error, the grader says so
                continue
            assert report == own_report, (
                f"{gid} {kind}: the reports differ\n--- student's check\n{own_report}"
                f"--- autograder\n{report}"
            )


# The problem sets' ids, from the registry (the only place they are spelt out).
PS1, PS2, PS3 = (ps.id for ps in registry.PROBLEM_SETS)
