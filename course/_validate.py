"""Input checks shared by every module, so that bad input fails with a message a student can act on."""

from __future__ import annotations

import numpy as np


def describe(a: object) -> str:
    """Short description of what was given: shape and dtype for arrays, the type otherwise."""
    if isinstance(a, np.ndarray):
        return f"an array of shape {a.shape} and dtype {a.dtype}"
    return f"a {type(a).__name__}"


def as_float_array(x: object, who: str, what: str = "input") -> np.ndarray:
    """Return ``x`` as a float64 array (a new one if it had to convert), or raise a clear ValueError.

    Integer and boolean arrays are accepted and converted; strings, objects and complex numbers are not.
    """
    if x is None:
        raise ValueError(
            f"{who} got None as its {what}; did a forward() or backward() forget to return?"
        )
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{who} got an {what} it cannot turn into an array: {exc}") from None
    if arr.dtype.kind in "biuf":
        return arr.astype(np.float64, copy=False)
    raise ValueError(f"{who} expected a numeric {what}; got {describe(arr)}")


def check_2d(x: np.ndarray, who: str, features: int | None = None, what: str = "input") -> None:
    """Require shape ``(N, features)`` with N >= 1 (any width if ``features`` is None)."""
    want = f"(N, {features})" if features is not None else "(N, D)"
    if x.ndim != 2:
        raise ValueError(
            f"{who} got {what} of shape {x.shape}; expected a 2-D batch {want} "
            f"(one example per row; use x.reshape(1, -1) for a single example)"
        )
    if x.shape[0] == 0:
        raise ValueError(f"{who} got an empty batch of shape {x.shape}; expected N >= 1 rows")
    if features is not None and x.shape[1] != features:
        raise ValueError(f"{who} got {what} of shape {x.shape}; expected {want}")


def check_same_shape(a: np.ndarray, expected: tuple[int, ...], who: str, what: str) -> None:
    """Require ``a.shape == expected``."""
    if a.shape != tuple(expected):
        raise ValueError(f"{who} got {what} of shape {a.shape}; expected shape {tuple(expected)}")


def class_labels(target: object, n: int, k: int, who: str) -> np.ndarray:
    """Turn integer labels of shape (N,) or target rows of shape (N, K) into (N, K) float rows.

    Integer labels must lie in ``0..k-1``; target rows must be non-negative and sum to 1.
    """
    t = np.asarray(target)
    if t.ndim == 1:
        if t.dtype.kind not in "iu":
            raise ValueError(
                f"{who} expected integer class labels of shape ({n},); got {describe(t)}. "
                f"Use labels.astype(int) if they are whole numbers stored as floats."
            )
        if t.shape[0] != n:
            raise ValueError(
                f"{who} got {t.shape[0]} labels for a batch of {n}; expected shape ({n},)"
            )
        bad = (t < 0) | (t >= k)
        if bad.any():
            raise ValueError(
                f"{who} got label {t[bad][0]} out of range; expected labels in 0..{k - 1} "
                f"for {k} classes"
            )
        rows = np.zeros((n, k))
        rows[np.arange(n), t] = 1.0
        return rows
    if t.ndim == 2:
        rows = as_float_array(t, who, "target")
        check_same_shape(rows, (n, k), who, "target rows")
        if (rows < 0).any() or not np.allclose(rows.sum(axis=1), 1.0):
            raise ValueError(
                f"{who} expected each target row to be a distribution (>= 0, sums to 1)"
            )
        return rows
    raise ValueError(
        f"{who} expected integer labels of shape ({n},) or one-hot rows of shape ({n}, {k}); "
        f"got {describe(t)}"
    )
