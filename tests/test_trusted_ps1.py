"""ps1 through the real sandbox: the student's own check and the autograder agree.

For the solution, the untouched release and every fixture of wrong answers, each graded item's
call, visible and hidden, earns the same score with the same report in-process (the student's
kernel, where the checks get the real functions) and trusted (the grader's process, where they get
stand-ins for functions in the bubblewrap sandbox). One sandbox per notebook: its cells run once,
then every test call is scored against it.

``trusted_only`` fixtures use what only the student's kernel has (the reference course.functional);
they are checked against their expected scores and messages, through the sandbox only.
"""

from __future__ import annotations

import nbformat
import pytest
from grading_helpers import (
    answer_namespace,
    apply_fixture,
    graded_cells,
    load_fixtures,
    release_path,
    score,
    source_path,
)

from course.grading import ps1
from course.grading.engine.remote import World
from course.grading.engine.runner import (
    code_cells,
    is_test_cell,
    library_for,
    run_cell,
    run_checks,
)
from course.grading.engine.session import Session

pytestmark = pytest.mark.slow

ASSIGNMENT = "ps1_chain_rule"
FIXTURES = load_fixtures("ps1")
NB = nbformat.read(source_path(ASSIGNMENT), 4)
CELLS = graded_cells(NB)  # grade_id → (visible call, hidden call, points)
NOTEBOOKS = {
    "solution": lambda: NB,
    "release": lambda: nbformat.read(release_path(ASSIGNMENT), 4),
    **{f"fixture {n}": (lambda f=f: apply_fixture(NB, f)) for n, f in FIXTURES.items()},
}


def trusted_scores(nb: nbformat.NotebookNode) -> dict[tuple[str, str], tuple[float, str]]:
    """(grade_id, "visible" | "hidden") → (score, report), the way autograde scores them: the
    notebook's non-test code cells in one sandbox, then each call by the grader's own checks."""
    out = {}
    with Session(library_for(ASSIGNMENT)) as session:
        for _, cell in code_cells(nb):
            if not is_test_cell(cell):
                run_cell(session, cell.source, 120.0)
        world = World(session)
        for gid, (visible, hidden, points) in CELLS.items():
            for kind, call in (("visible", visible), ("hidden", hidden)):
                report, value = run_checks(world, call, ps1, points)
                out[gid, kind] = (value, report)
    return out


def test_every_item_is_checked():
    assert len(CELLS) == 8 and len(NOTEBOOKS) == 2 + len(FIXTURES)
    assert all("hidden=True" in hidden for _, hidden, _ in CELLS.values())


@pytest.mark.parametrize("name", list(NOTEBOOKS))
def test_student_check_and_autograder_agree(name):
    fixture = FIXTURES.get(name.removeprefix("fixture "), {})
    nb = NOTEBOOKS[name]()
    trusted = trusted_scores(nb)
    if fixture.get("trusted_only"):
        for gid, (_, _, points) in CELLS.items():
            want = fixture["scores"].get(gid, points)
            pair = tuple(want) if isinstance(want, list) else (want, want)
            for kind, expected in zip(("visible", "hidden"), pair, strict=True):
                value, report = trusted[gid, kind]
                assert value == expected, f"{gid} {kind}: got {value}, want {expected}\n{report}"
                for phrase in fixture.get("messages", {}).get(gid, []):
                    assert phrase in report, f"{gid} {kind}: {phrase!r} missing from\n{report}"
        return
    ns = answer_namespace(nb)
    for gid, (visible, hidden, _) in CELLS.items():
        for kind, call in (("visible", visible), ("hidden", hidden)):
            own_value, own_report = score(call, ns, ps1)
            value, report = trusted[gid, kind]
            assert value == own_value, (
                f"{gid} {kind}: the student's check gives {own_value}, the autograder {value}\n"
                f"--- student's check\n{own_report}--- autograder\n{report}"
            )
            assert report == own_report, (
                f"{gid} {kind}: the reports differ\n--- student's check\n{own_report}"
                f"--- autograder\n{report}"
            )
