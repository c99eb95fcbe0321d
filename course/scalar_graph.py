"""Walking a computational graph of scalar nodes: topological order and the list of edges.

Shared by the engine (``backward`` visits nodes in reverse topological order) and the drawing
(``layout`` puts each node one column right of its deepest parent). It needs only two attributes of
a node, ``parents`` and ``local_grads``, and the drawing reads a few more (``Node``); it imports
neither file: no import cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

__all__ = ["BareNode", "Node", "topological_order", "trace"]


class Node(Protocol):
    """A graph node as the walk reads it (parents, ∂node/∂parent for each) and as the drawing
    labels it (forward value, gradient, name, operation)."""

    parents: Sequence[Node]
    local_grads: Sequence[float]
    data: float
    grad: float
    label: str
    op: str


class BareNode:
    """A node with a ``Value``'s fields and none of its maths: its ``backward`` only says to write
    the walk. ps1's build-it check hands a student's ``backward(root)`` graphs of these, so the
    walk it grades is theirs; ``Value.backward`` refuses them too. (Its slots differ from ``Value``'s, so a
    ``node.__class__ = Value`` does not turn one into the other.)"""

    __slots__ = ("parents", "local_grads", "data", "grad", "label", "op", "__weakref__")

    def __init__(
        self,
        data: float,
        label: str = "",
        *,
        parents: tuple[BareNode, ...] = (),
        local_grads: tuple[float, ...] = (),
        op: str = "",
    ) -> None:
        self.data, self.grad, self.label, self.op = float(data), 0.0, label, op
        self.parents, self.local_grads = tuple(parents), tuple(local_grads)

    def __repr__(self) -> str:
        return f"Node({self.label}={self.data:.4g}, grad={self.grad:.4g})"

    def backward(self) -> None:
        raise TypeError(
            "this check grades your own walk: its nodes have no backward() to call. Use "
            "topological_order(root) and the steps of the question"
        )


def topological_order(root: Node) -> list:
    """Every node that ``root`` depends on, parents before children, ``root`` last."""
    order: list = []
    seen: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
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


def trace(root: Node) -> tuple[list, list[tuple]]:
    """Nodes (topological order) and edges (parent, child, ∂child/∂parent) below ``root``."""
    nodes = topological_order(root)
    edges = [(p, v, d) for v in nodes for p, d in zip(v.parents, v.local_grads, strict=True)]
    return nodes, edges
