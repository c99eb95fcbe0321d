"""Stochastic gradient descent with (heavy-ball) momentum."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .modules import Module


class SGD:
    """θ ← θ − η v with v ← μ v + ∂ℒ/∂θ (μ = 0 gives plain gradient descent; PyTorch's convention).

    ``params`` is a Module (e.g. a Sequential) or an iterable of Modules. Parameters are updated in
    place, so the modules see the new values; gradients are read fresh from ``grads`` every step.
    """

    def __init__(self, params: Module | Iterable[Module], lr: float, momentum: float = 0.0) -> None:
        if not lr > 0:
            raise ValueError(f"SGD expected a positive learning rate lr; got {lr!r}")
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"SGD expected momentum in [0, 1); got {momentum!r}")
        roots = [params] if isinstance(params, Module) else list(params)
        for m in roots:
            if not isinstance(m, Module):
                raise ValueError(f"SGD expected Modules to optimise; got {m!r}")
        self.roots = roots
        self.modules = [m for root in roots for m in root.modules()]
        self.lr, self.momentum = float(lr), float(momentum)
        self._velocity: dict[int, np.ndarray] = {}

    def zero_grad(self) -> None:
        """Clear every gradient before the next backward pass (they accumulate otherwise)."""
        for root in self.roots:  # a container's zero_grad clears its children
            root.zero_grad()

    def step(self) -> None:
        """Apply one update to every parameter: v ← μ v + ∂ℒ/∂θ (v = ∂ℒ/∂θ at first), θ ← θ − η v."""
        seen: set[int] = set()
        for m in self.modules:
            for name, p in m.params.items():
                # A container re-exports its children's arrays: update each array once.
                if id(p) in seen:
                    continue
                seen.add(id(p))
                g = m.grads[name]
                if self.momentum:
                    v = self._velocity.get(id(p))
                    # v starts as the first gradient (PyTorch's convention), then v ← μ v + ∂ℒ/∂θ.
                    v = g.copy() if v is None else self.momentum * v + g
                    self._velocity[id(p)] = v
                    p -= self.lr * v
                else:
                    p -= self.lr * g
