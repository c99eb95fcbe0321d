"""The real nbgrader pipeline on every assignment in solutions/, in a temporary course directory.

One release and ONE autograde run per assignment (all students batched: each notebook costs a
kernel start): the source notebook must earn full marks, the untouched release 0 on every item,
and the partly correct ps2 submissions in tests/fixtures exactly their expected points.
"""

from __future__ import annotations

import csv
import importlib
import re

import nbformat
import pytest
from grading_helpers import PS1, PS2, apply_fixture, load_fixtures, unwrap  # the registry's ids
from nbclient import NotebookClient
from nbgrader.api import Gradebook

from autograder import registry
from autograder.commands import ROOT, assignments, autograde, feedback, grades, release
from autograder.demo import copy_course, solved_notebook, submit
from autograder.execute import is_display_only
from course.grading.ps2 import POINTS

FIXTURES = load_fixtures("ps2")
pytestmark = pytest.mark.slow
IDS = assignments(ROOT)
# Assignments with cells the autograder skips (plots, explorers), read from the committed release.
SHOWN = [
    a
    for a in IDS
    if any(map(is_display_only, nbformat.read(ROOT / "assignments" / a / f"{a}.ipynb", 4).cells))
]


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def graded_cells(nb) -> dict[str, float]:
    """The autograded test cells (manually graded answers are not the autograder's business)."""
    return {nbgrader_meta(c)["grade_id"]: nbgrader_meta(c)["points"] for c in nb.cells
            if nbgrader_meta(c).get("grade") and not nbgrader_meta(c).get("solution")
            and c.cell_type == "code"}  # fmt: skip


def written_points(a: str) -> float:
    """The points of the answers graded by hand in formgrader (e.g. ps2's derivation)."""
    nb = nbformat.read(ROOT / "solutions" / a / f"{a}.ipynb", 4)
    return sum(nbgrader_meta(c)["points"] for c in nb.cells
               if c.cell_type == "markdown" and nbgrader_meta(c).get("grade"))  # fmt: skip


def pack(fixtures: dict) -> list[list[str]]:
    """Group fixtures that touch different items into one student each (fewer kernel starts);
    fixtures that tamper with the kernel get a student of their own."""
    groups: list[list[str]] = []
    for name, f in fixtures.items():
        spot = None
        if not f.get("trusted_only"):
            spot = next((g for g in groups if not fixtures[g[0]].get("trusted_only")
                         and not any(set(fixtures[m]["scores"]) & set(f["scores"]) for m in g)),
                        None)  # fmt: skip
        if spot is None:
            groups.append([name])
        else:
            spot.append(name)
    return groups


GROUPS = pack(FIXTURES)
STUDENT = {name: "__".join(g) for g in GROUPS for name in g}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    d = copy_course(tmp_path_factory.mktemp("course"))
    db = f"sqlite:///{d / 'gradebook.db'}"
    release(d, db_url=db)
    for a in IDS:
        submit(d, "solved", a, solved_notebook(d, a))
        untouched = nbformat.read(d / "assignments" / a / f"{a}.ipynb", 4)
        plant_shadow_packages(submit(d, "untouched", a, tag_test_cells(untouched)).parent)
    for group in GROUPS:
        nb = solved_notebook(d, PS2)
        for name in group:
            nb = apply_fixture(nb, FIXTURES[name])
        submit(d, "__".join(group), PS2, nb)
    code = autograde(d, db_url=db)
    return d, db, code


# A package that would shadow the real grader if nbgrader copied it into the grading folder.
FAKE_GRADER = "def __getattr__(name):\n    return lambda *a, **k: 1e9\n"


def plant_shadow_packages(folder) -> None:
    for pkg in ("course", "numpy"):
        (folder / pkg).mkdir()
        (folder / pkg / "__init__.py").write_text(FAKE_GRADER)
    (folder / "sitecustomize.py").write_text("import builtins\n")


def tag_test_cells(nb):
    """Tags that would skip a test cell: nbclient's own (a cell that never runs scores full
    marks) and ours (which must only ever skip ungraded read-only cells)."""
    for c in nb.cells:
        if nbgrader_meta(c).get("grade"):
            c.metadata["tags"] = ["skip-execution", "display-only"]
    return nb


def autograded(d, student: str, a: str):
    return nbformat.read(d / "autograded" / student / a / f"{a}.ipynb", 4)


def scores(db: str, student: str, a: str) -> dict[str, float]:
    """Autograded test-cell scores of one student's notebook."""
    auto = graded_cells(nbformat.read(ROOT / "solutions" / a / f"{a}.ipynb", 4))
    with Gradebook(db) as gb:
        return {g: gb.find_grade(g, a, a, student).score for g in auto}


def test_registry_lists_every_assignment_and_nothing_else_does():
    """The registry names every problem set with a source notebook; no other file of code (the
    check kit, the instructor's package, the tests, the benches) spells an assignment id out."""
    assert sorted(registry.ids()) == IDS
    for ps in registry.PROBLEM_SETS:
        assert ps.items() and importlib.import_module(ps.checks)
    spelt = []
    for top in ("course", "autograder", "tests", "bench"):
        for path in (ROOT / top).rglob("*.py"):
            if (
                "adversarial" in path.parts
            ):  # hostile notebooks' cells: data, not the project's code
                continue
            if path.name == "registry.py" and path.parent.name == "autograder":
                continue
            text = path.read_text(encoding="utf-8")
            spelt += [f"{path.relative_to(ROOT)}: {i}" for i in IDS if f'"{i}"' in text]
    assert not spelt, f"assignment ids spelt outside autograder/registry.py: {spelt}"


@pytest.mark.parametrize("a", IDS)
def test_committed_release_equals_a_fresh_one(course, a):
    d, _, _ = course
    committed = nbformat.read(ROOT / "assignments" / a / f"{a}.ipynb", 4)
    fresh = nbformat.read(d / "assignments" / a / f"{a}.ipynb", 4)

    def key(nb):
        return [(c.cell_type, c.source, nbgrader_meta(c)) for c in nb.cells]

    assert key(committed) == key(fresh), f"run `make release` and commit assignments/{a}"


@pytest.mark.parametrize("a", IDS)
def test_release_has_no_solutions_hidden_tests_or_outputs(a):
    source = (ROOT / "solutions" / a / f"{a}.ipynb").read_text()
    nb = nbformat.read(ROOT / "assignments" / a / f"{a}.ipynb", 4)
    text = "\n".join(c.source for c in nb.cells)
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
    src = nbformat.reads(source, 4)
    for c in src.cells:
        for region in re.findall(
            r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", c.source, re.S
        ):
            secret = [ln for ln in region.splitlines() if "hidden=True" in ln or "seed=" in ln]
            assert secret, f"{a}: hidden region without a seeded/hidden call"
            assert not any(ln.strip() in text for ln in secret)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_autograde_batches_never_break(course):
    assert course[2] == 0, "nbgrader autograde reported a failed notebook"


@pytest.mark.parametrize("a", IDS)
def test_source_notebook_scores_full_marks_cleanly(course, a):
    d, db, _ = course
    points = graded_cells(nbformat.read(ROOT / "solutions" / a / f"{a}.ipynb", 4))
    assert scores(db, "solved", a) == pytest.approx(points)
    for c in autograded(d, "solved", a).cells:
        if c.cell_type == "code":
            kinds = {(o.output_type, o.get("name")) for o in c.outputs}
            assert ("error", None) not in kinds and ("stream", "stderr") not in kinds, c.source


@pytest.mark.parametrize("a", IDS)
def test_autograde_skips_display_only_cells_and_runs_the_rest(course, a):
    d, _, _ = course
    for c in autograded(d, "solved", a).cells:
        if c.cell_type == "code" and c.source.strip():
            skipped = c.execution_count is None
            assert skipped == is_display_only(c), (skipped, c.source[:80])
    for c in autograded(d, "untouched", a).cells:  # the tagged test cells ran
        if nbgrader_meta(c).get("grade") and c.cell_type == "code":
            assert c.execution_count is not None and c.outputs, c.source[:80]


@pytest.mark.parametrize("a", SHOWN)
def test_display_only_cells_run_in_the_students_kernel(course, a, monkeypatch):
    """What the autograder skips must still work for the student: the solved release, top to
    bottom, with no errors and with output from every display-only cell."""
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the inline backend, as in JupyterLab
    d, _, _ = course
    nb = solved_notebook(d, a)
    shown = [i for i, c in enumerate(nb.cells) if is_display_only(c)]
    NotebookClient(nb, timeout=120, resources={"metadata": {"path": str(d)}}).execute()
    for c in nb.cells:
        if c.cell_type == "code":
            kinds = {(o.output_type, o.get("name")) for o in c.outputs}
            assert ("error", None) not in kinds and ("stream", "stderr") not in kinds, c.source
    assert all(nb.cells[i].outputs for i in shown)


@pytest.mark.parametrize("a", IDS)
def test_untouched_release_scores_zero_on_every_item(course, a):
    _, db, _ = course
    got = scores(db, "untouched", a)
    assert got and all(v == 0 for v in got.values()), got


@pytest.mark.parametrize("a", IDS)
def test_submitted_packages_never_reach_the_grading_kernel(course, a):
    d, db, _ = course
    folder = d / "autograded" / "untouched" / a
    assert folder.is_dir()
    assert not any((folder / name).exists() for name in ("course", "numpy", "sitecustomize.py"))
    assert all(v == 0 for v in scores(db, "untouched", a).values())


def test_ps2_items_no_fixture_touches_earn_full_marks(course):
    _, db, _ = course
    full = graded_cells(nbformat.read(ROOT / f"solutions/{PS2}/{PS2}.ipynb", 4))
    for group in GROUPS:
        touched = {g for name in group for g in FIXTURES[name]["scores"]}
        got = scores(db, "__".join(group), PS2)
        assert {g: got[g] for g in full if g not in touched} == {
            g: p for g, p in full.items() if g not in touched
        }, group


@pytest.mark.parametrize("name", list(FIXTURES))
def test_ps2_fixture_gets_expected_points_and_message(course, name):
    d, db, _ = course
    fixture = FIXTURES[name]
    got = scores(db, STUDENT[name], PS2)
    for gid, want in fixture["scores"].items():
        assert got[gid] == pytest.approx(want), (gid, got)
    outputs = {
        nbgrader_meta(c).get("grade_id"): unwrap("".join(o.get("text", "") for o in c.outputs))
        for c in autograded(d, STUDENT[name], PS2).cells
        if c.cell_type == "code"
    }
    for gid, phrases in fixture.get("messages", {}).items():
        for phrase in phrases:
            assert phrase in outputs[gid], f"{name}/{gid}: {phrase!r} not in\n{outputs[gid]}"
    for gid, phrases in fixture.get("absent", {}).items():
        for phrase in phrases:
            assert phrase not in outputs[gid], (
                f"{name}/{gid}: {phrase!r} should not be in\n{outputs[gid]}"
            )


def test_feedback_and_grade_table(course, tmp_path):
    d, db, _ = course
    feedback(d, db_url=db)
    html = (d / f"feedback/solved/{PS2}/{PS2}.html").read_text()
    assert "Linear (autograder, on data you have not seen): 10 / 10" in html
    assert "HIDDEN TESTS" not in html and "seed=2718" not in html and "_sys.modules" not in html
    out = grades(d, out=tmp_path / "grades.csv", db_url=db)
    rows = {(r["student"], r["assignment"]): r for r in csv.DictReader(out.open())}
    for a in IDS:
        assert float(rows["solved", a]["code_score"]) == float(rows["solved", a]["max_code_score"])
        assert float(rows["solved", a]["max_written_score"]) == written_points(a)
        assert float(rows["untouched", a]["code_score"]) == 0.0
        assert rows["solved", a]["sandbox"] == "bubblewrap"


def test_autograde_stops_and_says_how_to_fix_a_missing_sandbox(tmp_path, monkeypatch):
    d = copy_course(tmp_path / "course")
    submit(
        d,
        "someone",
        PS1,
        nbformat.read(d / f"assignments/{PS1}/{PS1}.ipynb", 4),
    )
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap on PATH
    with pytest.raises(SystemExit, match="apt-get install bubblewrap"):
        autograde(d, db_url=f"sqlite:///{tmp_path / 'gb.db'}")
    assert not (d / "autograded").exists()


def test_no_sandbox_is_an_explicit_choice_and_the_grade_table_says_so(tmp_path, capsys):
    d = copy_course(tmp_path / "course")
    db = f"sqlite:///{tmp_path / 'gb.db'}"
    submit(d, "trusted_ta", PS2, solved_notebook(d, PS2))
    assert autograde(d, db_url=db, sandbox=False, workers=1) == 0
    assert "WITHOUT a sandbox" in capsys.readouterr().out
    out = grades(d, out=tmp_path / "grades.csv", db_url=db)
    row = next(csv.DictReader(out.open()))
    assert row["sandbox"] == "none" and float(row["code_score"]) == sum(POINTS.values())
    assert float(row["max_written_score"]) == written_points(PS2) > 0
    assert "NO (none)" in capsys.readouterr().out
