"""Shared by the ps1 checks: comparing with named wrong answers, inputs for visible and hidden runs.

``seed=None`` uses the fixed inputs of the notebook's visible checks; a seed draws other inputs
(for hidden tests), and ``hidden=True`` keeps them out of the report.

The checks call the student's functions directly: in the student's kernel they are the real
functions; in the autograder they are stand-ins for functions in the sandbox (which has no
course.functional to delegate to), so every argument is a fresh array, float or int, results come
back as plain data, and a test function passed in (``f`` of ``central_difference``) is called back.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..core import Mistake
from ..diagnose import as_array, check_values, close

Fn = Callable[..., object]
Wrong = list[tuple[str, np.ndarray]]


def compare(
    got: object,
    want: np.ndarray,
    what: str,
    hidden: bool,
    wrong: Wrong = (),
    inputs: str = "",
    rtol: float = 1e-6,
) -> None:
    """diagnose.check_values; on a visible run an unexplained mismatch also quotes the values."""
    try:
        check_values(
            got,
            want,
            what,
            hidden=hidden,
            expected_shape="the shape of the input",
            wrong=wrong,
            rtol=rtol,
        )
    except Mistake as exc:
        if hidden or not inputs or "does not match" not in str(exc):
            raise
        raise Mistake(
            f"{what} is off for {inputs}: expected {_fmt(want)}, got {_fmt(as_array(got, what))}"
        ) from None


def _fmt(a: np.ndarray) -> str:
    return np.array2string(np.asarray(a), precision=5, separator=", ", threshold=12)


def _points(
    seed: int | None, visible: list[float], lo: float = -2.0, hi: float = 2.0
) -> np.ndarray:
    """The fixed visible points, or 9 points drawn from ``seed`` for a hidden run."""
    if seed is None:
        return np.array(visible)
    return np.random.default_rng(seed).uniform(lo, hi, 9)


def _inputs(hidden: bool, x: np.ndarray) -> str:
    return "" if hidden else f"x = {_fmt(x)}"


def _finite(
    what: str, fn: Fn, x: np.ndarray, want: np.ndarray, cause: str, ordinary: tuple = ()
) -> None:
    """``fn(x)`` is finite for inputs far out in the tails, and right there if it is right on
    ``ordinary`` = (inputs, reference values) (a wrong formula is graded by its own sub-check)."""
    got = as_array(fn(x.copy()), what)
    if got.shape != want.shape or not bool(np.isfinite(got).all()):
        raise Mistake(f"{what} returns nan or inf for inputs of size ~1000: {cause}")
    if ordinary:
        try:
            right = close(as_array(fn(ordinary[0].copy()), what), ordinary[1])
        except Exception:  # noqa: BLE001 (its failure there is graded by its own sub-check)
            right = False
        if not right:
            return  # wrong on ordinary inputs too: only finiteness is asked here
    if not close(got, want, atol=1e-12):
        raise Mistake(f"{what} is finite but wrong for inputs of size ~1000")
