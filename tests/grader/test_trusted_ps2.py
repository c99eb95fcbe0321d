"""ps2 through the real sandbox: the student's own check and the autograder agree.

For the solution, the untouched release and every fixture of wrong answers, each graded item's
call, visible and hidden, earns the same score with the same report in the student's kernel
(in-process, the real classes) and in the autograder (the grader's process, stand-ins for the
classes in the bubblewrap sandbox). ``trusted_only`` fixtures tamper with their own kernel or use
what only it has (the reference modules); they are held to their expected scores through the
sandbox only.
"""

from __future__ import annotations

import nbformat
import pytest
from grading_helpers import (
    PS2,  # the registry's ids
    apply_fixture,
    assert_kernel_and_autograder_agree,
    graded_cells,
    load_fixtures,
    release_path,
    source_path,
)

from course.grading import ps2

pytestmark = pytest.mark.slow
ASSIGNMENT = PS2
FIXTURES = load_fixtures("ps2")
NB = nbformat.read(source_path(ASSIGNMENT), 4)
CELLS = graded_cells(NB)
# Right answers that cross the channel differently from a call in the same process.
CHANNEL = [
    ["return x @ self.params[\"weight\"].T + self.params[\"bias\"]",
     "return np.add(np.matmul(x, self.params[\"weight\"].T), self.params[\"bias\"])"],
    ["return grad_out * self._cache", "return (grad_out * self._cache).astype(np.float32)"],
    ["return float(0.5 * (diff * diff).sum() / pred.shape[0])",
     "return np.float64(0.5 * (diff * diff).sum() / pred.shape[0])"],
]  # fmt: skip
NOTEBOOKS = {
    "solution": (lambda: NB, {}),
    "release": (lambda: nbformat.read(release_path(ASSIGNMENT), 4), {}),
    **{f"fixture {n}": (lambda f=f: apply_fixture(NB, f), f) for n, f in FIXTURES.items()},
    "channel": (lambda: apply_fixture(NB, {"replace": CHANNEL}), {}),
}


def test_every_item_and_fixture_is_covered():
    assert len(CELLS) == 8 and all("hidden=True" in h for _, h, _ in CELLS.values())
    assert {f"fixture {n}" for n in FIXTURES} <= set(NOTEBOOKS)


@pytest.mark.parametrize("name", list(NOTEBOOKS))
def test_student_check_and_autograder_agree(name):
    build, fixture = NOTEBOOKS[name]
    assert_kernel_and_autograder_agree(build(), fixture, ASSIGNMENT, CELLS, ps2)
