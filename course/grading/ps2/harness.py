"""Plumbing for the ps2 checks: build a student's module, call it, load parameters, make data.

The student's class is a local class in their kernel and a stand-in for the sandbox's class in
the autograder; everything here works on both (see :mod:`course.grading.student`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..core import Mistake, NotTested
from ..diagnose import as_array, close
from ..inplace import leave_inputs, own  # noqa: F401 (own is the checks' way to call)
from ..student import fill
from .edges import Result, attempt


def build(cls: Any, *args: Any) -> Any:
    """An instance of the student's class, with a clear message if that is impossible."""
    if not callable(cls):
        raise Mistake(f"expected your class, got a {type(cls).__name__}")
    m = cls(*args)
    for attr in ("forward", "backward"):
        if not callable(getattr(m, attr, None)):
            raise Mistake(f"{type(m).__name__} has no {attr}() method")
    return m


def param_dicts(m: Any) -> tuple[dict, dict]:
    """The module's params and grads dicts, checked against the interface."""
    params, grads = getattr(m, "params", None), getattr(m, "grads", None)
    if not isinstance(params, dict) or not isinstance(grads, dict):
        raise Mistake("the module needs dicts self.params and self.grads (the Module interface)")
    return params, grads


def load_params(m: Any, values: dict[str, np.ndarray], shapes: dict[str, str]) -> None:
    """Write known parameter values into the module, in place, and zero its gradients."""
    params, grads = param_dicts(m)
    for key, value in values.items():
        for d, name in ((params, "params"), (grads, "grads")):
            if key not in d:
                raise Mistake(f"self.{name} has no '{key}' entry")
            arr = d[key]
            if not isinstance(arr, np.ndarray) or arr.shape != value.shape:
                raise Mistake(
                    f"self.{name}['{key}'] should be a float array of shape {shapes[key]}"
                )
        fill(m, "params", key, value)
        fill(m, "grads", key, np.zeros_like(value))


def grad_of(m: Any, key: str) -> np.ndarray:
    """A copy of ``m.grads[key]`` as a float array."""
    _, grads = param_dicts(m)
    return as_array(grads.get(key), f"self.grads['{key}']").copy()


def normal(rng: np.random.Generator, shape: tuple[int, ...], scale: float = 1.0) -> np.ndarray:
    """Gaussian data with no exact zeros (keeps ReLU away from its kink)."""
    x = rng.normal(size=shape) * scale
    return np.where(abs(x) < 1e-3 * scale, 0.5 * scale, x)


def extreme(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Entries of magnitude about 1e3 with both signs, spread apart within each row."""
    return normal(rng, shape) * 300.0 + np.where(rng.random(shape) < 0.5, -1000.0, 1000.0)


def no_mutation(m: Any, inputs: tuple, grad_out: np.ndarray | None = None) -> None:
    """forward(*inputs), and backward(grad_out) if given, must not write into their arguments."""
    calls = [(m.forward, inputs)] + ([(m.backward, (grad_out,))] if grad_out is not None else [])
    leave_inputs(calls, chained=True)


def own_vjp(cls: Any, x: np.ndarray, g: np.ndarray) -> np.ndarray | None:
    """gᵀJ of the student's *own* forward at x, by central differences, one entry at a time:
    what their backward should return for the forward they wrote (None if forward fails)."""
    m = build(cls)
    out = np.zeros_like(x, dtype=np.float64)
    try:
        for i in np.ndindex(x.shape):
            h = 1e-6 * max(1.0, abs(float(x[i])))
            step = np.zeros_like(x, dtype=np.float64)
            step[i] = h
            up = as_array(own(m.forward, x + step), "forward(x)")
            down = as_array(own(m.forward, x - step), "forward(x)")
            out[i] = float(((up - down) * g).sum()) / (2 * h)
    except Exception:  # noqa: BLE001 (a forward that fails here has no derivative to match)
        return None
    return out


def fits_own_forward(mine: object, y: np.ndarray, dx: object, vjp: Callable[[], object]) -> bool:
    """The forward output ``mine`` is wrong (an array of the right shape) and ``dx`` is the
    backward that forward calls for (``vjp()``, nonzero). A bug in forward then costs forward's
    points only."""
    if not isinstance(mine, np.ndarray) or mine.shape != y.shape or close(mine, y):
        return False
    if not isinstance(dx, np.ndarray) or dx.shape != y.shape:
        return False
    want = vjp()
    if want is None or not abs(want).max() > 1e-6:
        return False
    return close(dx, want, rtol=1e-4, atol=1e-7)


def rescue(
    fresh: Callable[[], Any], x: np.ndarray, g: np.ndarray, keys: list[str], shapes: list[tuple]
) -> tuple[object, dict[str, np.ndarray]]:
    """After backward() raised adding into a parameter gradient (``grads['bias'] += g``): run it
    again on fresh modules, each with one gradient replaced by zeros of a shape such a line
    produces. The first run that returns gives (its input gradient, {key: what it added}), so
    each gradient is judged on its own; (None, {}) if none returns."""
    for key in keys:
        for shape in shapes:
            m = fresh()
            fill(m, "grads", key, np.zeros(shape), replace=True)
            own(m.forward, x)
            dx = attempt(lambda m=m: own(m.backward, g))
            if not isinstance(dx, BaseException):
                return dx, {k: grad_of(m, k) for k in keys}
    return None, {}


def accumulates(fresh: Callable[[], Any], batches: list[tuple], keys: list[str]) -> None:
    """Two backward() calls on one module add up to the two calls made on fresh modules (judged on
    what each call added; if backward() raised before adding anything, it is not tested). A
    gradient backward() never writes is the gradient sub-check's loss, not this one's."""
    raised: list[BaseException] = []

    def after(pairs: list[tuple]) -> dict[str, np.ndarray]:
        m = fresh()
        for xi, gi in pairs:
            own(m.forward, xi)
            out = attempt(lambda gi=gi: own(m.backward, gi))
            raised.extend([out] if isinstance(out, BaseException) else [])
        return {k: grad_of(m, k) for k in keys}

    both, first, last = after(batches), after(batches[:1]), after(batches[1:])
    written = [k for k in keys if (first[k] != 0).any()]
    if raised and len(written) < len(keys):  # what it never reached cannot be judged
        raise NotTested(raised[0], "backward() raised before adding the gradients")
    for key in written or keys:
        if close(both[key], first[key] + last[key]) and (first[key] != 0).any():
            continue
        if not (first[key] != 0).any():
            raise Mistake(f"backward() leaves self.grads['{key}'] at zero: it must add "
                          f"the gradient into it (self.grads['{key}'] += ...)")  # fmt: skip
        if close(both[key], last[key]):
            raise Mistake(
                f"after two backward() calls self.grads['{key}'] holds only the last one: "
                f"gradients must be added (self.grads['{key}'] += ...), not overwritten or "
                "reset, so that a parameter used twice gets the sum over both uses"
            )
        raise Mistake(
            f"self.grads['{key}'] after two backward() calls is not the sum of what each "
            "call adds on its own: add into it (+=) and do not change it anywhere else"
        )


Case = Callable[..., tuple]  # case(rows, offset=0, big=False) → (student's module, reference, x, g)


def layer_checks(
    case: Case, n: int, shapes: dict[str, str], y_shape: str, x_shape: str, cause: str = "overflow"
) -> tuple[Callable[..., list[Result]], Callable[[], None], Callable[[], None]]:
    """The three checks every module with parameters shares, on batches from ``case``: its results
    next to the reference's (forward, ∂ℒ/∂x, each gradient in ``shapes``) for the edge cases; that
    two backward() calls add up; that backward leaves its inputs as they were."""

    def results(rows: int = n, big: bool = False) -> list[Result]:
        m, ref, x, g = case(rows, big=big)
        y = attempt(lambda: own(m.forward, x))
        dx = y if isinstance(y, BaseException) else attempt(lambda: own(m.backward, g))
        want_y = ref.forward(x)
        out = [Result("forward(x)", y, want_y, y_shape, cause),
               Result("the input gradient", dx, ref.backward(g), x_shape, cause)]  # fmt: skip
        for key in shapes:
            got = dx if isinstance(dx, BaseException) else attempt(lambda k=key: grad_of(m, k))
            out.append(Result(f"self.grads['{key}']", got, ref.grads[key], shapes[key], cause))
        return out

    def accumulated() -> None:
        batches = [case(n, offset=i)[2:] for i in (0, 1)]
        accumulates(lambda: case(n)[0], batches, list(shapes))  # the same parameters each time

    def unchanged() -> None:
        m, _, x, g = case(n)
        no_mutation(m, (x,), g)

    return results, accumulated, unchanged
