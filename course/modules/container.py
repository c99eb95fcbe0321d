"""Sequential: a module made of modules."""

from __future__ import annotations

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

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        for m in reversed(self.layers):
            grad_out = m.backward(grad_out)
        return grad_out
