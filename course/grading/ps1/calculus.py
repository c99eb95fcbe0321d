"""ps1 checks for the chain rule: one path, a sum over paths, and central differences."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..core import Mistake, SubCheck, grade_item
from ..diagnose import as_array, close
from ..inplace import in_place_check
from .common import Fn, Wrong, _fmt, _inputs, _points, compare


# --- items 1 and 2: derivatives of composite functions ---------------------------------------------
def _pointwise(
    name: str, fn: Fn, want: Callable, wrong: Callable, x: np.ndarray, hidden: bool
) -> list:
    """A plain float first, then a whole array (vectorised numpy code, input left unchanged)."""

    def one_point() -> None:
        x0 = np.asarray(x[0])
        got = fn(float(x0))
        compare(got, want(x0), name, hidden, wrong(x0), f"x = {float(x0):g}" * (not hidden))

    def array() -> None:
        try:
            got = fn(x.copy())
        except (TypeError, ValueError) as exc:
            try:
                fn(float(x[0]))
            except Exception:
                raise exc from None
            raise Mistake(
                f"{name} works for a float but raises {type(exc).__name__} on an array: use "
                "numpy's elementwise functions (np.exp, np.sin), not math.* or float()"
            ) from None
        compare(got, want(x), name, hidden, wrong(x), _inputs(hidden, x))

    return [
        SubCheck(f"{name} at one point (a float)", 0.75, one_point),
        SubCheck(f"{name} elementwise on an array", 0.75, array),
        in_place_check(lambda: [(fn, (x,)), (fn, (float(x[0]),))]),  # ran and changed nothing
    ]


def chain_reference(x: np.ndarray) -> np.ndarray:
    """y = e^v, v = sin u, u = 2x:  dy/dx = e^v · cos u · 2 (one factor per edge of the path)."""
    return np.exp(np.sin(2 * x)) * np.cos(2 * x) * 2


def _chain_wrong(x: np.ndarray) -> Wrong:
    ev, cos_u = np.exp(np.sin(2 * x)), np.cos(2 * x)
    return [
        (
            "the innermost edge du/dx = 2 is missing: every edge on the path contributes a factor",
            ev * cos_u,
        ),
        ("the middle edge dv/du = cos u is missing", ev * 2),
        ("only the outer derivative e^v is there; multiply by each edge's local derivative", ev),
        ("the outermost edge dy/dv = e^v is missing", cos_u * 2),
        (
            "cos is evaluated at the wrong point: dv/du = cos u is taken at u = 2x, not at x",
            ev * np.cos(x) * 2,
        ),
        (
            "the outer edge is dy/dv = e^v, taken at v = sin u and multiplied by the inner "
            "derivatives, not e raised to the inner derivatives",
            np.exp(cos_u * 2),
        ),
    ]


def check_chain(dy_dx: Fn, *, seed: int | None = None, hidden: bool = False) -> float:
    """Item 1: ``dy_dx(x)`` for y = exp(sin(2x))."""
    x = _points(seed, [0.3, -1.2, 0.0, 0.7, 2.5])
    checks = _pointwise("dy_dx", dy_dx, chain_reference, _chain_wrong, x, hidden)
    return grade_item("Chain rule along one path", checks, hidden=hidden)


def dag_reference(x: np.ndarray) -> np.ndarray:
    """a = x², b = sin x, y = a·b + e^b:  dy/dx = ∂y/∂a · da/dx + ∂y/∂b · db/dx."""
    a, b = x**2, np.sin(x)
    return b * 2 * x + (a + np.exp(b)) * np.cos(x)


def _dag_wrong(x: np.ndarray) -> Wrong:
    a, b = x**2, np.sin(x)
    via_a, via_b = b * 2 * x, (a + np.exp(b)) * np.cos(x)
    return [
        (
            "only the path through b = sin x is counted; x also reaches y through a = x². "
            "Add up the contributions of all paths",
            via_b,
        ),
        (
            "only the path through a = x² is counted; x also reaches y through b = sin x. "
            "Add up the contributions of all paths",
            via_a,
        ),
        ("the two paths are multiplied; their contributions must be added", via_a * via_b),
        ("∂y/∂b misses the e^b term (y = a·b + e^b depends on b twice)", via_a + a * np.cos(x)),
        ("∂y/∂b misses the a term: ∂y/∂b = a + e^b", via_a + np.exp(b) * np.cos(x)),
        ("da/dx for a = x² is 2x, not x", b * x + via_b),
        ("∂y/∂b = a + e^b: the exponential is of b, not of a", via_a + (a + np.exp(a)) * np.cos(x)),
    ]


def check_dag(dy_dx: Fn, *, seed: int | None = None, hidden: bool = False) -> float:
    """Item 2: ``dag_dy_dx(x)`` for the graph where x feeds two paths."""
    x = _points(seed, [0.5, -1.0, 1.7, 0.0, -2.2])
    checks = _pointwise("dag_dy_dx", dy_dx, dag_reference, _dag_wrong, x, hidden)
    return grade_item("Chain rule summed over paths", checks, hidden=hidden)


# --- item 3: central difference --------------------------------------------------------------------
def _plain_numbers(name: str, t: object) -> None:
    """Raise TypeError unless ``t`` is a real number, an array of them, or a list/tuple of these.

    Anything else is refused before it is touched: in the autograder it would be a stand-in for an
    object of the student's, and using it would call back into their code."""
    if isinstance(t, (list, tuple)):
        for item in t:
            _plain_numbers(name, item)
        return
    if isinstance(t, np.ndarray) and t.dtype.kind in "biuf":
        return
    if isinstance(t, (bool, int, float, np.bool_, np.integer, np.floating)):
        return
    raise TypeError(f"{name}() takes real numbers or arrays of them, not {type(t).__name__}")


def _test_function(name: str, fn: Callable[[object], object]) -> Callable[[object], np.ndarray]:
    """``fn`` as the ``f`` given to the student's central_difference, the same on both sides.

    In the autograder ``f`` is called back over the channel: a NumPy scalar would arrive as a
    Python float (no ``.shape``, no ``.astype``), so ``f`` always returns an array (0-d for a
    float), which arrives as an array; and it accepts only plain numbers and arrays."""

    def f(t):
        _plain_numbers(name, t)
        return np.asarray(fn(t))

    f.__name__ = f.__qualname__ = name  # "sin() takes 1 positional argument ..."
    return f


def check_central_difference(
    central_difference: Fn, *, seed: int | None = None, hidden: bool = False
) -> float:
    """Item 3: ``central_difference(f, x, eps)`` = (f(x + ε) − f(x − ε)) / 2ε."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, 6) if seed is not None else np.array([1.0, -0.5, 2.0])
    c = float(rng.uniform(1.5, 3.0)) if seed is not None else 2.0

    # the central difference of c·x³ with step ε is exactly 3c·x² + c·ε²
    cube = _test_function("cube", lambda t: c * np.asarray(t, dtype=np.float64) ** 3)

    def formula() -> None:
        eps = 0.1
        got = central_difference(cube, x.copy(), eps)
        want = 3 * c * x**2 + c * eps**2
        wrong = [
            (
                "that is the one-sided (f(x + ε) − f(x)) / ε; use f(x + ε) and f(x − ε)",
                (cube(x + eps) - cube(x)) / eps,
            ),
            (
                "that is the one-sided (f(x) − f(x − ε)) / ε; use f(x + ε) and f(x − ε)",
                (cube(x) - cube(x - eps)) / eps,
            ),
            ("x + ε and x − ε are 2ε apart: divide by 2ε, not ε", 2 * want),
            (
                "only f(x − ε) is divided by 2ε (operator precedence): put the numerator in "
                "parentheses, (f(x + ε) − f(x − ε)) / (2ε)",
                cube(x + eps) - cube(x - eps) / (2 * eps),
            ),
            (
                "`/ 2 * eps` divides by 2 and then multiplies by ε (operator precedence): "
                "write `/ (2 * eps)`, with parentheses",
                want * eps**2,
            ),
            ("the result is half what it should be: divide by 2ε once", want / 2),
            (
                "the step eps it was given is ignored: use the argument eps",
                3 * c * x**2 + c * 1e-10,
            ),
        ]
        compare(
            got,
            want,
            "central_difference",
            hidden,
            wrong,
            f"f(x) = {c:g}·x³, x = {_fmt(x)}, eps = {eps}",
        )

    def accurate() -> None:
        got = as_array(
            central_difference(_test_function("sin", np.sin), x.copy(), 1e-5), "central_difference"
        )
        if not close(got, np.cos(x), rtol=1e-7, atol=1e-9):
            raise Mistake(
                "with f = sin and eps = 1e-5 the result should match cos x to about 1e-9 "
                "everywhere; it does not (is it the centred formula, elementwise?)"
            )

    def plain_float() -> None:
        got = central_difference(_test_function("exp", np.exp), 0.5, 1e-5)
        compare(
            got,
            np.asarray(np.exp(0.5)),
            "central_difference",
            hidden,
            (),
            "f = exp, x = 0.5",
            rtol=1e-7,
        )

    return grade_item(
        "Central-difference derivative",
        [
            SubCheck("the centred formula, with the given eps", 1.0, formula),
            SubCheck("accurate to ~1e-9 on sin, elementwise", 0.25, accurate),
            SubCheck("works for a plain float x", 0.25, plain_float),
            in_place_check(lambda: [(central_difference, (cube, x, 0.1))]),
        ],
        hidden=hidden,
    )
