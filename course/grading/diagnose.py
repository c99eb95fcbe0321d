"""Compare a submission's arrays with the reference and name the likely mistake.

Comparisons use only ndarray operators and methods (C slots that notebook code cannot rebind),
never ``np.allclose``. Messages never quote values; shapes only when ``hidden`` is false, because
hidden tests must not leak their data into the feedback.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .core import KnownMistake, Mistake

RTOL, ATOL = 1e-6, 1e-9

# A developer test sets this to a list to collect (what, expected, wrong answers) of every
# comparison: two catalogued mistakes must never give the same result on data the grader uses.
AUDIT: list | None = None


def audit(what: str, expected: object, wrong: Sequence[tuple[str, object]]) -> None:
    """Record a comparison for the developer test (see :data:`AUDIT`); nothing otherwise."""
    if AUDIT is not None:
        AUDIT.append((what, expected, list(wrong)))


def as_array(value: object, what: str) -> np.ndarray:
    """``value`` as a float64 array, or a Mistake naming what came back instead."""
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return value.astype(np.float64)
    if value is None:
        raise Mistake(f"{what} is None: did you forget a `return`?")
    if isinstance(value, (int, float, np.number)):
        return np.array(float(value))
    raise Mistake(f"{what} should be a NumPy float array; got a {type(value).__name__}")


def as_scalar(value: object, what: str) -> float:
    """A loss value as a Python float; a Mistake if it is not a single number."""
    if value is None:
        raise Mistake(f"{what} is None: did you forget a `return`?")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise Mistake(f"{what} should be a number; got a {type(value).__name__}") from None
    if arr.size != 1:
        raise Mistake(f"{what} should be a single number (the batch average); got an array")
    return float(arr.reshape(-1)[0])


def close(a: np.ndarray, b: np.ndarray, rtol: float = RTOL, atol: float = ATOL) -> bool:
    """|a − b| ≤ atol + rtol·|b| everywhere, same shape, NaN never close."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return False
    return bool((abs(a - b) <= atol + rtol * abs(b)).all())


def _shape_text(shape: tuple[int, ...], hidden: bool) -> str:
    return f" {shape}" if not hidden else ""


def check_shape(
    actual: np.ndarray, expected: np.ndarray, what: str, hidden: bool, expected_text: str
) -> None:
    """Same shape as the reference, else a Mistake (a transposed result is named as such)."""
    if actual.shape == expected.shape:
        return
    got = _shape_text(actual.shape, hidden)
    if actual.ndim == 2 and actual.shape == expected.shape[::-1]:
        hint = " and it holds the right numbers transposed" if close(actual.T, expected) else ""
        raise (KnownMistake if hint else Mistake)(
            f"{what} has the transposed shape{got}{hint}: it must be {expected_text} "
            "(every gradient has the shape of what it is the gradient of)"
        )
    raise Mistake(f"{what} has the wrong shape{got}; expected {expected_text}")


def check_finite(actual: np.ndarray, what: str, cause: str) -> None:
    """No inf or NaN, else a Mistake that names the likely cause."""
    if not bool(np.isfinite(actual).all()):
        raise Mistake(f"{what} contains inf or NaN: {cause}")


def check_values(
    actual: object,
    expected: np.ndarray,
    what: str,
    *,
    hidden: bool,
    expected_shape: str,
    wrong: Sequence[tuple[str, np.ndarray]] = (),
    rtol: float = RTOL,
    atol: float = ATOL,
) -> None:
    """``actual`` equals ``expected``; else the first matching known-wrong answer names the mistake.

    ``wrong`` lists (explanation, value a student with that mistake would get) pairs.
    """
    audit(what, expected, wrong)
    arr = as_array(actual, what)
    if _single_precision(actual) and close(arr, expected, max(rtol, 1e-5), max(atol, 1e-6)):
        raise KnownMistake(f"{what} is {actual.dtype}: right to its ~7 digits, but the course "
                      "computes in float64 (keep your arrays float64)")  # fmt: skip
    if isinstance(actual, np.ndarray) and actual.dtype.kind in "biu" and not close(arr, expected):
        raise KnownMistake(f"{what} is an integer array ({actual.dtype}) with wrong values: build "
                      "results as float arrays (np.empty_like(x) copies an integer input's dtype)")  # fmt: skip
    for why, value in wrong:  # a known mistake can change the shape, so look before the shape check
        if np.shape(value) != expected.shape and arr.shape == np.shape(value) and close(arr, value):
            raise KnownMistake(f"{what}: {why}")
    check_shape(arr, expected, what, hidden, expected_shape)
    if close(arr, expected, rtol, atol):
        return
    if not bool(np.isfinite(arr).all()):
        raise Mistake(f"{what} contains inf or NaN where the reference is finite")
    for why, value in wrong:
        if np.shape(value) == arr.shape and close(arr, value, rtol, atol):
            raise KnownMistake(f"{what}: {why}")
    if close(arr, -expected, rtol, atol):
        raise KnownMistake(f"{what} has the wrong sign")
    precision = (
        f" ({what} is {actual.dtype}: compute in float64)" if _single_precision(actual) else ""
    )
    if not precision and close(arr, expected, 1e-5, 1e-6):
        precision = (
            " (off by about 1e-6 relative, float32's precision: was something cast to float32?)"
        )
    raise Mistake(
        f"{what} does not match the reference"
        + (_worst(arr, expected) if not hidden else "")
        + precision
    )


def check_scalar(
    actual: object,
    expected: float,
    what: str,
    *,
    wrong: Sequence[tuple[str, float]] = (),
    rtol: float = RTOL,
) -> None:
    """A scalar (a loss) equals ``expected``; known-wrong values name the mistake."""
    audit(what, expected, wrong)
    x = as_scalar(actual, what)
    if abs(x - expected) <= ATOL + rtol * abs(expected):
        return
    if x != x or x in (float("inf"), float("-inf")):
        raise Mistake(f"{what} is inf or NaN where the reference is finite")
    for why, value in wrong:
        if abs(x - value) <= ATOL + rtol * abs(value):
            raise KnownMistake(f"{what}: {why}")
    raise Mistake(f"{what} does not match the reference")


def _single_precision(value: object) -> bool:
    return isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.dtype.itemsize < 8


def _worst(arr: np.ndarray, expected: np.ndarray) -> str:
    """Where the result is furthest off, as a relative error, with enough digits that the two
    numbers printed differ."""
    err = abs(arr - expected) / (abs(expected) + ATOL)
    i = np.unravel_index(int(err.argmax()), err.shape)
    a, b = float(arr[i]), float(expected[i])
    digits = next((d for d in range(6, 17) if f"{a:.{d}g}" != f"{b:.{d}g}"), 17)
    where = f"at index {tuple(int(k) for k in i)}" if arr.ndim else ""
    return f" (relative error {float(err[i]):.1e} {where}: {a:.{digits}g} vs {b:.{digits}g})"


def check_unchanged(before: np.ndarray, after: np.ndarray, what: str) -> None:
    """An input array was not modified in place."""
    if before.shape != after.shape or not bool((before == after).all()):
        raise Mistake(
            f"{what} was modified in place; make a new array instead (e.g. `x = x - m`, not "
            "`x -= m`), because the caller still needs the original"
        )
