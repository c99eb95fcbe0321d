"""Sequential: a module made of modules."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Iterator

import numpy as np

from .base import Module


class Sequential(Module):
    """Chain of modules: forward runs them in order, backward in reverse (the recursive chain rule).

    ``params`` and ``grads`` are the children's arrays under keys like ``"0.weight"``; they are the
    same arrays, not copies, so updating one updates the child.
    """

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise ValueError(f"Sequential expected Module instances; item {i} is {m!r}")
        self.layers: list[Module] = list(modules)

    def __repr__(self) -> str:
        inner = ", ".join(repr(m) for m in self.layers)
        return f"Sequential({inner})"

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    @property  # type: ignore[override]
    def params(self) -> dict[str, np.ndarray]:
        return {f"{i}.{k}": v for i, m in enumerate(self.layers) for k, v in m.params.items()}

    @params.setter
    def params(self, value: dict) -> None:  # Module.__init__ assigns {}; children own the arrays
        pass

    @property  # type: ignore[override]
    def grads(self) -> dict[str, np.ndarray]:
        return {f"{i}.{k}": v for i, m in enumerate(self.layers) for k, v in m.grads.items()}

    @grads.setter
    def grads(self, value: dict) -> None:
        pass

    def modules(self) -> Iterator[Module]:
        yield self
        for m in self.layers:
            yield from m.modules()

    def zero_grad(self) -> None:
        for m in self.layers:
            m.zero_grad()

    def forward(self, x: np.ndarray) -> np.ndarray:
        for m in self.layers:
            x = m(x)
        return x

    def backward(self, grad_out: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Run each module's backward in reverse order and return ∂ℒ/∂x.

        With ``input_grad=False`` (a training step: nothing reads the gradient of the data) it
        returns None and does only the work parameter gradients need: layers before the first one
        with parameters are skipped, and that one is asked not to form its input gradient if its
        ``backward`` takes ``input_grad`` (the reference modules do; any other module runs as usual).
        """
        first = 0
        if not input_grad:
            with_params = [i for i, m in enumerate(self.layers) if m.params]
            if not with_params:
                return None
            first = with_params[0]
        for i in range(len(self.layers) - 1, first, -1):
            grad_out = self.layers[i].backward(grad_out)
        m = self.layers[first] if self.layers else None
        if m is None:
            return grad_out
        if input_grad:
            return m.backward(grad_out)
        if _takes_input_grad(m):
            m.backward(grad_out, input_grad=False)
        else:
            m.backward(grad_out)
        return None


@functools.cache
def _backward_takes_input_grad(cls: type) -> bool:
    try:
        return "input_grad" in inspect.signature(cls.backward).parameters
    except (TypeError, ValueError):  # a builtin or an odd callable: assume the plain interface
        return False


def _takes_input_grad(m: Module) -> bool:
    """Whether ``m.backward`` accepts ``input_grad``: a subclass that overrides backward with the
    plain signature (a student's module, a deliberate bug) gets called the plain way."""
    if "backward" in vars(m):  # replaced on this one instance
        try:
            return "input_grad" in inspect.signature(m.backward).parameters
        except (TypeError, ValueError):
            return False
    return _backward_takes_input_grad(type(m))
