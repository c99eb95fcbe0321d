"""A tiny scalar autodiff (micrograd-like) that can draw its own computational graph.

Every ``Value`` remembers its parents and the *local* derivative ∂self/∂parent, computed during the
forward pass. ``backward()`` then applies the chain rule in reverse topological order:
parent.grad += local · child.grad, so a node used on several paths gets the sum over paths.
``draw()`` lays nodes out by topological depth with matplotlib only (no graphviz needed).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Real
from typing import Any

__all__ = ["Value", "trace", "topological_order", "layout", "draw"]


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
        order = topological_order(self)
        for v in order:
            v.grad = 0.0
        self.grad = 1.0
        for v in reversed(order):  # every child is finished before its parents are visited
            for p, local in zip(v.parents, v.local_grads, strict=True):
                p.grad += local * v.grad

    def draw(self, **kwargs: Any):
        """Draw the graph that ends at this node; see :func:`draw`."""
        return draw(self, **kwargs)


def topological_order(root: Value) -> list[Value]:
    """Every node that ``root`` depends on, parents before children, ``root`` last."""
    order: list[Value] = []
    seen: set[int] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:  # iterative DFS so deep chains do not hit the recursion limit
        v, done = stack.pop()
        if done:
            order.append(v)
            continue
        if id(v) in seen:
            continue
        seen.add(id(v))
        stack.append((v, True))
        stack.extend((p, False) for p in reversed(v.parents) if id(p) not in seen)
    return order


def trace(root: Value) -> tuple[list[Value], list[tuple[Value, Value, float]]]:
    """Nodes (topological order) and edges (parent, child, ∂child/∂parent) below ``root``."""
    nodes = topological_order(root)
    edges = [(p, v, d) for v in nodes for p, d in zip(v.parents, v.local_grads, strict=True)]
    return nodes, edges


def layout(root: Value, sweeps: int = 4) -> dict[int, tuple[float, float]]:
    """Position (x, y) per node id: x = depth (longest path from a leaf; a leaf sits just left of its
    first user), y = rank within its column.

    Columns are reordered by the mean height of each node's neighbours, sweeping left to right
    (parents) and back (children) a few times: the usual barycentre heuristic, which removes most
    edge crossings in the small graphs of the lectures.
    """
    nodes = topological_order(root)
    depth: dict[int, int] = {}
    for v in nodes:
        depth[id(v)] = 1 + max((depth[id(p)] for p in v.parents), default=-1)
    # Pull each leaf right, next to its first user, so constants do not stretch across the page.
    first_use: dict[int, int] = {}
    children: dict[int, list[Value]] = {}
    for v in nodes:
        for p in v.parents:
            first_use[id(p)] = min(first_use.get(id(p), depth[id(v)]), depth[id(v)])
            children.setdefault(id(p), []).append(v)
    for v in nodes:
        if not v.parents and id(v) in first_use:
            depth[id(v)] = first_use[id(v)] - 1
    columns: dict[int, list[Value]] = {}
    for v in nodes:
        columns.setdefault(depth[id(v)], []).append(v)
    y: dict[int, float] = {}

    def place(col: list[Value]) -> None:
        n = len(col)
        for i, v in enumerate(col):
            y[id(v)] = (n - 1) / 2.0 - i

    for d in sorted(columns):
        place(columns[d])

    def mean_height(v: Value, neighbours: list[Value]) -> float:
        return sum(y[id(u)] for u in neighbours) / len(neighbours) if neighbours else y[id(v)]

    for _ in range(sweeps):
        for d in sorted(columns)[1:]:
            columns[d].sort(key=lambda v: -mean_height(v, list(v.parents)))
            place(columns[d])
        for d in sorted(columns, reverse=True)[1:]:
            columns[d].sort(key=lambda v: -mean_height(v, children.get(id(v), [])))
            place(columns[d])
    return {id(v): (float(depth[id(v)]), y[id(v)]) for v in nodes}


def _count(edges: list[tuple[Value, Value, float]], p: Value, c: Value) -> int:
    return sum(1 for a, b, _ in edges if a is p and b is c)


def _node_text(v: Value) -> str:
    name = v.label or v.op or "const"
    if v.op and v.label:
        name = f"{v.label} ({v.op})"
    return f"{name}\n{v.data:.4g}"


def draw(
    root: Value,
    ax: Any = None,
    *,
    show_grad: bool = True,
    edge_labels: bool = True,
    title: str | None = None,
):
    """Draw the graph of ``root`` left to right: each node shows its name and forward value (black)
    and, if ``show_grad``, its gradient ∂root/∂node below it (red); each edge shows the local
    derivative ∂child/∂parent (blue). Leaves are yellow, computed nodes blue. A caption says which
    colour is which.

    Returns the matplotlib Axes.
    """
    import matplotlib.pyplot as plt  # imported here so `import course.scalar` stays light

    if not isinstance(root, Value):
        raise TypeError(f"draw expected a Value; got {type(root).__name__}")
    nodes, edges = trace(root)
    pos = layout(root)
    n_cols = 1 + max(int(x) for x, _ in pos.values())
    n_rows = max(sum(1 for x, _ in pos.values() if int(x) == c) for c in range(n_cols))
    if ax is None:
        _, ax = plt.subplots(figsize=(max(4.0, 1.9 * n_cols), 0.7 + 1.25 * max(n_rows, 1.5)))
    half_w = (
        0.22  # about half the width of a node box, in data units: arrows start and end at the boxes
    )
    seen_pairs: dict[tuple[int, int], int] = {}
    for p, c, d in edges:
        (x0, y0), (x1, y1) = pos[id(p)], pos[id(c)]
        # A node used twice by the same child (h·h) gets two arcs, bent apart.
        k = seen_pairs.get((id(p), id(c)), 0)
        seen_pairs[(id(p), id(c))] = k + 1
        rad = (0.3 if k % 2 == 0 else -0.3) * (1 + k // 2) if _count(edges, p, c) > 1 else 0.0
        if not rad and x1 - x0 > 1:  # an edge that skips a column bends outwards, around the nodes
            rad = -0.12 if y0 + y1 >= 0 else 0.12
        ax.annotate(
            "",
            xy=(x1 - half_w, y1),
            xytext=(x0 + half_w, y0),
            arrowprops=dict(
                arrowstyle="-|>",
                color="0.55",
                lw=1.1,
                shrinkA=0,
                shrinkB=0,
                mutation_scale=10,
                connectionstyle=f"arc3,rad={rad}",
            ),
        )
        if edge_labels:  # at the middle of the edge (arcs bulge sideways by about rad/2)
            sx, sy, ex, ey = x0 + half_w, y0, x1 - half_w, y1
            lx, ly = (sx + ex) / 2 + rad * 0.5 * (ey - sy), (sy + ey) / 2 - rad * 0.5 * (ex - sx)
            ax.text(
                lx,
                ly,
                f"{d:.3g}",
                color="tab:blue",
                fontsize=9,
                ha="center",
                va="center",
                bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.9),
                zorder=3,
            )
    for v in nodes:
        x, yv = pos[id(v)]
        face = "#fff4d6" if not v.parents else "#e8f0fe"
        ax.text(
            x,
            yv,
            _node_text(v),
            ha="center",
            va="center",
            fontsize=9,
            bbox=dict(boxstyle="round,pad=0.35", fc=face, ec="0.3"),
            zorder=4,
        )
        if show_grad:  # the backward quantity sits under the box, in red
            ax.text(
                x,
                yv - 0.27,
                f"grad {v.grad:.4g}",
                ha="center",
                va="top",
                fontsize=9,
                color="tab:red",
                zorder=4,
            )
    ax.set_xlim(-0.55, n_cols - 0.45)
    ax.set_ylim(-(max(n_rows, 1.5) / 2.0) - 0.2, max(n_rows, 1.5) / 2.0)
    ax.axis("off")
    if title:
        ax.set_title(title)
    if show_grad or edge_labels:
        name = root.label or "root"
        parts = ["box: name, forward value"]
        if edge_labels:
            parts.append("blue on an edge: local derivative ∂(head)/∂(tail)")
        if show_grad:
            parts.append(f"red: grad = ∂{name}/∂(node)")
        ax.text(0.0, 0.0, "   ·   ".join(parts), transform=ax.transAxes, fontsize=8, color="0.35")
    return ax


def values(xs: Iterable[float], prefix: str = "x") -> list[Value]:
    """Convenience: wrap numbers as named leaves ``x1, x2, ...``."""
    return [Value(float(x), f"{prefix}{i + 1}") for i, x in enumerate(xs)]
