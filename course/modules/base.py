"""The module interface every reference and student module follows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .._validate import as_float_array, check_2d, check_same_shape


class Module:
    """A differentiable building block.

    ``forward(x)`` returns the output and caches what ``backward`` needs.
    ``backward(grad_out)`` gets ∂ℒ/∂output, returns ∂ℒ/∂input and *adds* ∂ℒ/∂θ into ``grads``.
    ``params`` and ``grads`` are dicts of arrays with the same keys and shapes.
    """

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self._cache: Any = None

    # the interface ---------------------------------------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} does not implement forward()")

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} does not implement backward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def zero_grad(self) -> None:
        """Set every parameter gradient to 0, in place (so optimisers holding them stay valid)."""
        for g in self.grads.values():
            g.fill(0.0)

    def modules(self) -> Iterator[Module]:
        """This module and every module inside it, depth first."""
        yield self

    def num_params(self) -> int:
        """Total number of scalar parameters."""
        return sum(p.size for p in self.params.values())

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    # helpers for subclasses --------------------------------------------------------------------
    def _add_param(self, name: str, value: np.ndarray) -> None:
        self.params[name] = value
        self.grads[name] = np.zeros_like(value)

    def _cached(self) -> Any:
        """What forward() stored, or a RuntimeError if backward() came first."""
        if self._cache is None:
            raise RuntimeError(
                f"{self!r}: backward() was called before forward(); run forward on a batch first"
            )
        return self._cache

    def _grad_out(self, grad_out: object, shape: tuple[int, ...]) -> np.ndarray:
        """Check that grad_out has the shape of this module's last output."""
        g = as_float_array(grad_out, f"{self!r}.backward", "grad_out")
        check_same_shape(g, shape, f"{self!r}.backward", "grad_out")
        return g


class Loss(Module):
    """A module whose output is a scalar: it has a target and no parameters."""

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:  # type: ignore[override]
        raise NotImplementedError(f"{type(self).__name__} does not implement forward()")

    def __call__(self, pred: np.ndarray, target: np.ndarray) -> float:  # type: ignore[override]
        return self.forward(pred, target)

    def _pred(self, pred: np.ndarray) -> np.ndarray:
        pred = as_float_array(pred, repr(self), "prediction")
        check_2d(pred, repr(self), what="prediction")
        return pred

    def _scale(self, grad_out: object) -> float:
        """The upstream gradient of a scalar loss is itself a scalar."""
        g = np.asarray(grad_out, dtype=np.float64)
        if g.size != 1:
            raise ValueError(
                f"{self!r}.backward expected a scalar grad_out (the loss is a scalar); "
                f"got shape {g.shape}"
            )
        return float(g.reshape(()))
