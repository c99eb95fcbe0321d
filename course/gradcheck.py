"""Numerical gradients and ``gradcheck``: compare a module's backward pass with central differences."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ._validate import as_float_array
from .modules.base import Loss, Module


def numerical_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6
) -> np.ndarray:
    """∂f/∂xᵢ ≈ (f(x + ε eᵢ) − f(x − ε eᵢ)) / 2ε, one coordinate at a time (2·x.size calls of f).

    ``x`` must be a float64 array; it is perturbed in place and restored exactly afterwards.
    Central differences have error O(ε²), against O(ε) for one-sided ones.
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise ValueError(f"numerical_gradient expected a float64 array to perturb; got {x!r:.60}")
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)  # views: perturbing flat perturbs x
    if not np.shares_memory(flat, x):
        raise ValueError("numerical_gradient needs a contiguous array it can perturb in place")
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        up = float(f(x))
        flat[i] = old - eps
        down = float(f(x))
        flat[i] = old
        gflat[i] = (up - down) / (2 * eps)
    return grad


def directional_derivative(
    f: Callable[[np.ndarray], float], x: np.ndarray, v: np.ndarray, eps: float = 1e-6
) -> float:
    """⟨∇f(x), v⟩ ≈ (f(x + εv) − f(x − εv)) / 2ε: two calls of f whatever the size of x.

    ``x`` is perturbed in place and restored afterwards.
    """
    old = x.copy()
    x += eps * v
    up = float(f(x))
    x[...] = old - eps * v
    down = float(f(x))
    x[...] = old
    return (up - down) / (2 * eps)


def rel_error(a: np.ndarray, b: np.ndarray, floor: float = 1e-8) -> float:
    """‖a − b‖ / max(‖a‖ + ‖b‖, floor), a number in [0, 1].

    In float64 with central differences (ε = 1e-6) a correct gradient gives about 1e-12 to 1e-8;
    1e-6 to 1e-4 is suspicious (too large an ε, or a kink); above 1e-3 something is wrong, unless
    a perturbation crossed a kink (a ReLU input within ε of 0), which alone can give 1e-3 to 1e-1
    in a small network (a bigger one dilutes it): move the inputs away from the kink and check again.
    ``floor`` stops two gradients that are both ≈ 0 from looking different.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error got arrays of shapes {a.shape} and {b.shape}; expected equal")
    diff = float(np.linalg.norm((a - b).ravel()))
    return diff / max(float(np.linalg.norm(a.ravel()) + np.linalg.norm(b.ravel())), floor)


@dataclass
class CheckRow:
    """One tensor's verdict."""

    name: str
    shape: tuple[int, ...]
    method: str
    error: float
    passed: bool
    note: str = ""


@dataclass
class GradcheckReport:
    """What ``gradcheck`` found: one row per tensor. Truthy when every row passed."""

    target: str
    tol: float
    rows: list[CheckRow] = field(default_factory=list)
    n_forward: int = 0

    @property
    def ok(self) -> bool:
        return all(r.passed for r in self.rows)

    def __bool__(self) -> bool:
        return self.ok

    @property
    def errors(self) -> dict[str, float]:
        """Relative error per tensor name."""
        return {r.name: r.error for r in self.rows}

    def failed(self) -> list[str]:
        return [r.name for r in self.rows if not r.passed]

    def _cells(self) -> list[tuple[str, ...]]:
        return [
            (
                r.name,
                str(r.shape),
                r.method,
                f"{r.error:.2e}",
                ("ok" if r.passed else "FAIL") + (f": {r.note}" if r.note else ""),
            )
            for r in self.rows
        ]

    def __str__(self) -> str:
        head = ("tensor", "shape", "method", "rel. error", "verdict")
        cells = [head, *self._cells()]
        widths = [max(len(c[i]) for c in cells) for i in range(len(head))]
        lines = [
            f"gradcheck {self.target}: {'PASS' if self.ok else 'FAIL'} "
            f"(tolerance {self.tol:.0e}, {self.n_forward} forward passes)"
        ]
        lines += [
            "  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells
        ]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        colour = "#1a7f37" if self.ok else "#cf222e"
        rows = "".join(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>"
            for cells in self._cells()
        )
        return (
            f"<p><b>gradcheck {html.escape(self.target)}: "
            f"<span style='color:{colour}'>{'PASS' if self.ok else 'FAIL'}</span></b> "
            f"(tolerance {self.tol:.0e}, {self.n_forward} forward passes)</p>"
            "<table><tr><th>tensor</th><th>shape</th><th>method</th><th>rel. error</th>"
            f"<th>verdict</th></tr>{rows}</table>"
        )


def gradcheck(
    module: Module,
    x: np.ndarray,
    target: np.ndarray | None = None,
    *,
    eps: float = 1e-6,
    tol: float = 1e-6,
    seed: int = 0,
    max_elementwise: int = 64,
    n_directions: int = 4,
) -> GradcheckReport:
    """Check ∂/∂input and every ∂/∂param of ``module`` at ``x`` against central differences.

    A module is reduced to the scalar f = Σ forward(x) ⊙ g with a random upstream gradient g, so
    backward(g) must equal ∇f. A loss (give ``target``) is checked with a random scalar grad_out.
    Tensors with at most ``max_elementwise`` entries are checked coordinate by coordinate; larger
    ones along ``n_directions`` random directions, so the cost does not grow with their size.
    """
    is_loss = isinstance(module, Loss) or target is not None
    _check_interface(module, is_loss)
    rng = np.random.default_rng(seed)
    x = as_float_array(x, "gradcheck", "x").copy()
    x_before = x.copy()
    report = GradcheckReport(repr(module), tol)

    def run(inp: np.ndarray):
        report.n_forward += 1
        return module.forward(inp, target) if is_loss else module.forward(inp)

    module.zero_grad()
    out = run(x)
    upstream = float(rng.uniform(0.5, 2.0)) if is_loss else rng.standard_normal(np.shape(out))
    dx = module.backward(upstream)

    def scalar(_perturbed: np.ndarray) -> float:
        # Whatever tensor is being perturbed (x or a parameter) is perturbed in place.
        return float(np.sum(np.asarray(run(x)) * upstream))

    analytic = {"input": dx}
    if not is_loss:
        analytic |= {k: np.array(v, dtype=np.float64, copy=True) for k, v in module.grads.items()}

    tensors = {"input": x} | ({} if is_loss else dict(module.params))
    for name, t in tensors.items():
        report.rows.append(
            _check_tensor(
                name, t, analytic.get(name), scalar, eps, tol, rng, max_elementwise, n_directions
            )
        )
    if not np.array_equal(x, x_before):
        report.rows.append(
            CheckRow(
                "input unchanged",
                x.shape,
                "compare",
                1.0,
                False,
                "forward/backward modified its input in place",
            )
        )
    return report


def _check_interface(module: object, is_loss: bool) -> None:
    """Fail early, naming what is missing, when ``module`` does not follow the course interface."""
    need = ["forward", "backward"] + ([] if is_loss else ["zero_grad", "params", "grads"])
    missing = [name for name in need if not hasattr(module, name)]
    if missing:
        raise ValueError(
            f"gradcheck expected a module with {', '.join(need)}; {type(module).__name__} has no "
            f"{', '.join(missing)} (subclass course.modules.Module and call super().__init__())"
        )
    if not is_loss:
        p, g = module.params, module.grads
        if not isinstance(p, dict) or not isinstance(g, dict) or p.keys() != g.keys():
            raise ValueError(
                f"gradcheck expected {type(module).__name__}.params and .grads to be dicts with the "
                f"same keys; got params keys {list(p) if isinstance(p, dict) else type(p).__name__} "
                f"and grads keys {list(g) if isinstance(g, dict) else type(g).__name__}"
            )


def _check_tensor(name, t, grad, scalar, eps, tol, rng, max_elementwise, n_directions) -> CheckRow:
    shape = tuple(t.shape)
    if grad is None:
        return CheckRow(name, shape, "-", 1.0, False, "no gradient returned")
    grad = np.asarray(grad)
    if grad.shape != t.shape:
        return CheckRow(
            name, shape, "-", 1.0, False, f"gradient has shape {grad.shape}, expected {shape}"
        )
    if not np.all(np.isfinite(grad)):
        return CheckRow(name, shape, "-", 1.0, False, "gradient contains nan or inf")

    if t.size <= max_elementwise:
        num = numerical_gradient(scalar, t, eps)
        err, method = rel_error(grad, num), f"elementwise ({t.size})"
    else:
        dirs = [rng.standard_normal(t.shape) for _ in range(n_directions)]
        num = np.array([directional_derivative(scalar, t, v, eps) for v in dirs])
        ana = np.array([float(np.sum(grad * v)) for v in dirs])
        err, method = rel_error(ana, num), f"{n_directions} random directions"
    return CheckRow(name, shape, method, err, bool(err < tol))
