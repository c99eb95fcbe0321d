"""The shared catalogue of wrong answers tells every mistake apart, on every data set the grader
uses: the visible checks' data and each hidden test's. If two catalogued mistakes gave the same
result (as lr = 1 − μ made "lr applied twice" and the (1 − μ)g convention do), the grader would
name one for the other; if a mistake gave the right result, it would go unseen."""

from __future__ import annotations

import itertools

import nbformat
import numpy as np
import pytest
from grading_helpers import (  # the registry's ids
    PS1,
    PS2,
    PS3,
    answer_namespace,
    graded_cells,
    score,
    source_path,
)

from course.grading import diagnose, ps1, ps2, ps3

SETS = {PS1: ps1, PS2: ps2, PS3: ps3}
SLOW = {"fit_digits_test"}  # trains a network; it names no catalogued mistake


def _same(a: object, b: object) -> bool:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and diagnose.close(a, b)


def _comparisons(assignment: str) -> list[tuple[str, str, object, list]]:
    """(call, what, expected, wrong answers) of every comparison the solution's checks make."""
    nb = nbformat.read(source_path(assignment), 4)
    ns, checks = answer_namespace(nb), SETS[assignment]
    out = []
    for gid, (visible, hidden, _) in graded_cells(nb).items():
        if gid in SLOW:
            continue
        for call in (visible, hidden):
            diagnose.AUDIT = []
            try:
                score(call, ns, checks)
                out += [(call, *rec) for rec in diagnose.AUDIT]
            finally:
                diagnose.AUDIT = None
    return out


@pytest.mark.parametrize("assignment", list(SETS))
def test_every_catalogued_mistake_is_distinguishable(assignment):
    comparisons = _comparisons(assignment)
    assert len(comparisons) >= 2, "the audit saw too few comparisons to mean anything"
    clashes = []
    for call, what, expected, wrong in comparisons:
        for why, value in wrong:
            if _same(value, expected):
                clashes.append(f"{call} / {what}: '{why}' gives the right answer")
        for (why_a, a), (why_b, b) in itertools.combinations(wrong, 2):
            if _same(a, b):
                clashes.append(f"{call} / {what}: '{why_a}' and '{why_b}' give the same result")
    assert not clashes, "\n".join(clashes)
