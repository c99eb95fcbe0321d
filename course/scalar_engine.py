"""The scalar autodiff engine (micrograd-like): ``Value`` and its backward pass.

Every ``Value`` remembers its parents and the *local* derivative ∂self/∂parent, computed during the
forward pass. ``backward()`` then applies the chain rule in reverse topological order:
parent.grad += local · child.grad, so a node used on several paths gets the sum over paths.
Drawing lives in :mod:`course.scalar_draw`; :mod:`course.scalar` gathers both.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Real
from typing import Any

from .scalar_graph import topological_order

__all__ = ["Value", "values"]


def _is_number(x: object) -> bool:
    return isinstance(x, Real) and not isinstance(x, (bool, Value))


def _as_number(x: object, op: str) -> Real:
    if _is_number(x):
        return x  # type: ignore[return-value]
    raise TypeError(
        f"Value {op} expected a Value or a real number; got {type(x).__name__} {x!r:.40}"
    )


def _as_value(x: object, op: str) -> Value:
    if isinstance(x, Value):
        return x
    if isinstance(x, Real) and not isinstance(x, bool):
        return Value(float(x))
    raise TypeError(
        f"Value {op} expected a Value or a real number; got {type(x).__name__} {x!r:.40}"
    )


class Value:
    """A scalar with a gradient slot: ``data`` is the forward value, ``grad`` is ∂root/∂self.

    Supported: +, −, *, /, ** (number exponent), exp, log, tanh, sigmoid, relu. An operation with a
    plain number (``x * 0.5``, ``1 - x``) is one node whose op shows the number.
    """

    __slots__ = ("data", "grad", "label", "op", "parents", "local_grads")

    def __init__(
        self,
        data: float,
        label: str = "",
        *,
        parents: tuple[Value, ...] = (),
        local_grads: tuple[float, ...] = (),
        op: str = "",
    ) -> None:
        if isinstance(data, bool) or not isinstance(data, Real):
            raise TypeError(f"Value expected a real number; got {type(data).__name__} {data!r:.40}")
        if len(parents) != len(local_grads):
            raise ValueError("Value needs one local derivative per parent")
        self.data = float(data)
        self.grad = 0.0
        self.label = label
        self.op = op
        self.parents = parents
        self.local_grads = local_grads

    def __repr__(self) -> str:
        name = f"{self.label}=" if self.label else ""
        return f"Value({name}{self.data:.4g}, grad={self.grad:.4g})"

    def named(self, label: str) -> Value:
        """Give the node a name for drawings; returns self so it can be chained."""
        self.label = label
        return self

    # arithmetic ------------------------------------------------------------------------------
    # An operation with a plain number becomes ONE node with the number in its op ("×0.5", "−1"),
    # not an extra constant leaf: drawings stay small and every edge carries a real variable.
    def _with_constant(self, data: float, local: float, op: str) -> Value:
        return Value(data, parents=(self,), local_grads=(local,), op=op)

    def __add__(self, other: object) -> Value:
        if _is_number(other):
            c = float(other)
            return self._with_constant(self.data + c, 1.0, f"+{c:g}" if c >= 0 else f"−{-c:g}")
        o = _as_value(other, "+")
        return Value(self.data + o.data, parents=(self, o), local_grads=(1.0, 1.0), op="+")

    __radd__ = __add__

    def __sub__(self, other: object) -> Value:
        if _is_number(other):
            return self + (-float(other))
        o = _as_value(other, "-")
        # ∂(a−b)/∂a = 1 and ∂(a−b)/∂b = −1
        return Value(self.data - o.data, parents=(self, o), local_grads=(1.0, -1.0), op="−")

    def __rsub__(self, other: object) -> Value:
        c = float(_as_number(other, "-"))
        return self._with_constant(c - self.data, -1.0, f"{c:g}−·")

    def __neg__(self) -> Value:
        return self._with_constant(-self.data, -1.0, "−·")

    def __mul__(self, other: object) -> Value:
        if _is_number(other):
            c = float(other)
            return self._with_constant(self.data * c, c, f"×{c:g}")
        o = _as_value(other, "*")
        # ∂(ab)/∂a = b and ∂(ab)/∂b = a
        return Value(self.data * o.data, parents=(self, o), local_grads=(o.data, self.data), op="×")

    __rmul__ = __mul__

    def __truediv__(self, other: object) -> Value:
        if _is_number(other):
            c = float(other)
            if c == 0.0:
                raise ZeroDivisionError("Value / 0: division by zero")
            return self._with_constant(self.data / c, 1.0 / c, f"÷{c:g}")
        o = _as_value(other, "/")
        if o.data == 0.0:
            raise ZeroDivisionError("Value / Value: the divisor is 0")
        # ∂(a/b)/∂a = 1/b and ∂(a/b)/∂b = −a/b²
        return Value(
            self.data / o.data,
            parents=(self, o),
            local_grads=(1.0 / o.data, -self.data / o.data**2),
            op="÷",
        )

    def __rtruediv__(self, other: object) -> Value:
        c = float(_as_number(other, "/"))
        if self.data == 0.0:
            raise ZeroDivisionError(f"{c:g} / Value: the divisor is 0")
        return self._with_constant(c / self.data, -c / self.data**2, f"{c:g}÷·")

    def __pow__(self, k: object) -> Value:
        if isinstance(k, Value) or not _is_number(k):
            raise TypeError(f"Value ** expects a plain number as exponent; got {type(k).__name__}")
        k = float(k)
        if self.data == 0.0 and k < 1.0:
            raise ValueError(f"Value ** {k}: the derivative is undefined at 0")
        return Value(
            self.data**k, parents=(self,), local_grads=(k * self.data ** (k - 1),), op=f"^{k:g}"
        )

    # elementary functions ----------------------------------------------------------------------
    def exp(self) -> Value:
        e = math.exp(self.data)
        return Value(e, parents=(self,), local_grads=(e,), op="exp")

    def log(self) -> Value:
        if self.data <= 0.0:
            raise ValueError(f"Value.log expected a positive number; got {self.data!r}")
        return Value(math.log(self.data), parents=(self,), local_grads=(1.0 / self.data,), op="log")

    def tanh(self) -> Value:
        t = math.tanh(self.data)
        return Value(t, parents=(self,), local_grads=(1.0 - t * t,), op="tanh")

    def sigmoid(self) -> Value:
        # Stable for large |x|: exp of a non-positive number only.
        z = math.exp(-abs(self.data))
        s = 1.0 / (1.0 + z) if self.data >= 0 else z / (1.0 + z)
        return Value(s, parents=(self,), local_grads=(s * (1.0 - s),), op="σ")

    def relu(self) -> Value:
        # At the kink we use the subgradient 0, like the reference ReLU module.
        return Value(
            max(self.data, 0.0), parents=(self,), local_grads=(float(self.data > 0),), op="relu"
        )

    # backward ----------------------------------------------------------------------------------
    def backward(self) -> None:
        """Fill ``grad`` of every node below with ∂self/∂node (previous grads are reset first)."""
        if not isinstance(self, Value):  # Value.backward(node): the build-it check's nodes
            raise TypeError(
                f"Value.backward works on Values; got a {type(self).__name__}. The build-it "
                f"check grades your own walk: use topological_order(root)"
            )
        order = topological_order(self)
        for v in order:
            v.grad = 0.0
        self.grad = 1.0
        for v in reversed(order):  # every child is finished before its parents are visited
            for p, local in zip(v.parents, v.local_grads, strict=True):
                p.grad += local * v.grad

    def draw(self, **kwargs: Any):
        """Draw the graph that ends at this node; see :func:`course.scalar_draw.draw`."""
        # Imported on first use: the engine stays free of matplotlib, and scalar_draw never
        # imports the engine (it walks nodes through scalar_graph), so there is no cycle.
        from .scalar_draw import draw

        return draw(self, **kwargs)


def values(xs: Iterable[float], prefix: str = "x") -> list[Value]:
    """Convenience: wrap numbers as named leaves ``x1, x2, ...``."""
    return [Value(float(x), f"{prefix}{i + 1}") for i, x in enumerate(xs)]
