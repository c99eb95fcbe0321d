"""ps1 through the real sandbox: the student's own check and the autograder agree.

For the solution, the untouched release, every fixture of wrong answers and a few submissions that
exercise the channel, each graded item's call, visible and hidden, earns the same score with the
same report in-process (the student's kernel, where the checks get the real functions) and trusted
(the grader's process, where they get stand-ins for functions in the bubblewrap sandbox). One
sandbox per notebook: its cells run once, then every test call is scored against it.

``trusted_only`` fixtures use what only the student's kernel has (the reference course.functional);
they are checked against their expected scores and messages, through the sandbox only.
"""

from __future__ import annotations

import nbformat
import numpy as np
import pytest
from grading_helpers import (
    PS1,  # the registry's ids
    apply_fixture,
    assert_kernel_and_autograder_agree,
    graded_cells,
    load_fixtures,
    release_path,
    source_path,
)

from course.grading import ps1

pytestmark = pytest.mark.slow

ASSIGNMENT = PS1
FIXTURES = load_fixtures("ps1")
NB = nbformat.read(source_path(ASSIGNMENT), 4)
CELLS = graded_cells(NB)  # grade_id → (visible call, hidden call, points)

# What crosses the channel differently from a call in the same process: arguments changed in
# place, results that are not float arrays, the student's own exceptions, the test function f
# called back from the sandbox. One notebook, one kind of thing per function.
CHANNEL = {
    "replace": [
        [
            "def dy_dx(x):",
            "class NotYet(Exception):\n    pass\n\n\ndef dy_dx(x):\n    raise NotYet('soon')",
        ],
        ["a, b = x**2, np.sin(x)", "raise SystemExit(3)"],
        [  # graph nodes hashed into a set; a NumPy scalar stored as a node's grad
            "order = topological_order(root)",
            "order = list(topological_order(root))\n    assert len(set(order)) == len(order)",
        ],
        ["parent.grad += local * node.grad", "parent.grad += np.float64(local) * node.grad"],
        [  # f given an object of the student's (refused); NumPy methods on what f returns
            "return (f(x + eps) - f(x - eps)) / (2 * eps)",
            "class Mine:\n        def sin(self):\n            return 0.0\n\n"
            "    try:\n        f([Mine()])\n    except Exception:\n        pass\n"
            "    assert f(x).shape == np.shape(x)\n"
            "    return (f(x + eps) - f(x - eps)).astype(float) / (2 * eps)",
        ],
        [
            "return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))",
            "return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(np.float32)",
        ],
        ["return y * (1.0 - y)", "return (y * (1.0 - y)).tolist()"],
        ["return 2.0 * sigmoid(2.0 * np.asarray(x, dtype=np.float64)) - 1.0", "return tanh(x)"],
        ["return 1.0 - y * y", "return (1.0 - v * v for v in y)"],
        [
            "e = np.exp(z - z.max(axis=1, keepdims=True))",
            "z -= z.max(axis=1, keepdims=True)\n    e = np.exp(z)",
        ],
        [
            "return float(-np.log(p[np.arange(n), labels]).mean())",
            "return __import__('decimal').Decimal(float(-np.log(p[np.arange(n), labels]).mean()))",
        ],
        ["return grad / n", "return (grad / n).astype(complex)"],
    ]
}
# Cases where the channel could differ from the kernel: a grader function (the test function f)
# raising in the student's code, and a notebook that makes NumPy raise on floating-point errors.
EDGES = {
    # A callback's exception reaches the student's code as RuntimeError("TypeError: ...").
    "central_difference calls f(x, eps)": (
        [
            [
                "return (f(x + eps) - f(x - eps)) / (2 * eps)",
                "return (f(x + eps, eps) - f(x - eps, eps)) / (2 * eps)",
            ]
        ],
        "a callback's exception arrives in the sandbox as RuntimeError, not its own type",
    ),
    # In the kernel run_isolated runs every sub-check under np.errstate(all="ignore"); calls into
    # the sandbox run under the notebook's own setting, so exp(−1000) underflow raises there.
    "np.seterr(all='raise') in the setup cell": (
        [
            [
                "from course.grading import ps1",
                "from course.grading import ps1\nnp.seterr(all='raise')",
            ]
        ],
        "calls into the sandbox do not run under np.errstate(all='ignore') as sub-checks do",
    ),
}

NOTEBOOKS = {
    "solution": (lambda: NB, {}),
    "release": (lambda: nbformat.read(release_path(ASSIGNMENT), 4), {}),
    **{f"fixture {n}": (lambda f=f: apply_fixture(NB, f), f) for n, f in FIXTURES.items()},
    "channel": (lambda: apply_fixture(NB, CHANNEL), {}),
    **{n: (lambda r=r: apply_fixture(NB, {"replace": r}), {}) for n, (r, _) in EDGES.items()},
}
PARAMS = list(NOTEBOOKS)


def test_every_item_and_fixture_is_covered():
    assert len(CELLS) == 9 and all("hidden=True" in h for _, h, _ in CELLS.values())
    assert {f"fixture {n}" for n in FIXTURES} <= set(NOTEBOOKS)


@pytest.mark.parametrize("name", PARAMS)
def test_student_check_and_autograder_agree(name):
    build, fixture = NOTEBOOKS[name]
    assert_kernel_and_autograder_agree(build(), fixture, ASSIGNMENT, CELLS, ps1)


@pytest.fixture(autouse=True)
def _numpy_error_settings():
    """The np.seterr notebook runs its setup cell in this process too: restore the settings."""
    saved = np.geterr()
    yield
    np.seterr(**saved)
