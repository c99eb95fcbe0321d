"""ps1 build-it check: the student's ``backward(root)`` on graphs of ``course.scalar`` nodes.

Each graph is built twice from one recipe: here, with this process's ``Value``, where the
reference ``Value.backward`` gives the expected gradients, and on the student's side
(:func:`~course.grading.student.library`), node by node with the same values, parents and local
derivatives, for the student's function to walk. Those are ``BareNode``s, which have no
``backward`` of their own and which ``Value.backward`` refuses: calling the reference earns nothing. Only each node's ``grad`` comes back (a float).
The classic mistakes (wrong order, ``=`` at a fan-out, no local derivative, no seed of 1) are
replayed on the same graph, so the report can name the one the student made.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

from ...scalar_engine import Value
from ...scalar_graph import topological_order
from ..core import Mistake, NotTested, SubCheck, grade_item
from ..diagnose import close
from ..student import library
from .common import Fn, Wrong, compare

# The student's walk gets nodes without the reference backward (course.scalar_graph.BareNode).
NODES = ("course.scalar_graph", "BareNode")


# --- the graphs (one recipe each: leaf values in, root out) ----------------------------------------
def chain_graph(x: float) -> Value:
    """x → u = 3x → v = tanh u → y = e^v: one path, dy/dx = e^v · (1 − v²) · 3."""
    u = (Value(x, "x") * 3).named("u")
    v = u.tanh().named("v")
    return v.exp().named("y")


def fanout_graph(x: float, w: float) -> Value:
    """a = x·w, b = tanh a, y = a·b + e^b: a and b each feed two nodes."""
    a = (Value(x, "x") * Value(w, "w")).named("a")
    b = a.tanh().named("b")
    return ((a * b).named("c") + b.exp().named("d")).named("y")


def order_graph(x: float, short_first: bool = False) -> Value:
    """h = x·x, p = tanh h, q = e^p, y = q·h: h reaches y in one step and in three, so a node
    visited before all its children are done (breadth first, say) passes on a partial gradient.
    ``short_first`` writes y = h·q, so that a walk that follows parents in their order (depth
    first from the root, say) meets h by the short path first: any order that is not a reverse
    topological one goes wrong on one of the two."""
    xv = Value(x, "x")
    h = (xv * xv).named("h")
    q = h.tanh().named("p").exp().named("q")
    return (h * q if short_first else q * h).named("y")


# --- the right walk and the classic wrong ones, replayed on this process's graph -------------------
def _walk(
    order: list,
    visit: list,
    *,
    add: bool = True,
    local: bool = True,
    seed: float = 1.0,
    start: np.ndarray | None = None,
) -> np.ndarray:
    """Gradients (in ``order``'s order) when the nodes of ``visit`` pass theirs on, in turn, as
    parent.grad += local · node.grad (``add=False``: ``=``; ``local=False``: no local factor)."""
    index = {id(v): i for i, v in enumerate(order)}
    grad = np.zeros(len(order)) if start is None else start.astype(float).copy()
    grad[-1] = seed
    for v in visit:
        for p, d in zip(v.parents, v.local_grads, strict=True):
            step = (d if local else 1.0) * grad[index[id(v)]]
            grad[index[id(p)]] = grad[index[id(p)]] + step if add else step
    return grad


def _breadth_first(root: Value) -> list:
    """Nodes in the order a queue from the root first reaches them (not a topological order)."""
    seen, out, queue = {id(root)}, [], deque([root])
    while queue:
        v = queue.popleft()
        out.append(v)
        for p in v.parents:
            if id(p) not in seen:
                seen.add(id(p))
                queue.append(p)
    return out


def _root_first(root: Value) -> list:
    """Nodes in the order a depth-first walk from the root first reaches them (a pre-order, not
    a topological order)."""
    seen, out = set(), []

    def visit(v: Value) -> None:
        if id(v) not in seen:
            seen.add(id(v))
            out.append(v)
            for p in v.parents:
                visit(p)

    visit(root)
    return out


def _path_by_path(order: list) -> np.ndarray:
    """Each node recursively pushes its whole gradient so far to every parent, once per path
    that reaches it: contributions that arrived earlier are passed on again."""
    index = {id(v): i for i, v in enumerate(order)}
    grad = np.zeros(len(order))
    grad[-1] = 1.0

    def push(v: Value) -> None:
        for p, d in zip(v.parents, v.local_grads, strict=True):
            grad[index[id(p)]] += d * grad[index[id(v)]]
            push(p)

    push(order[-1])
    return grad


ORDER = (
    "a node passed its gradient on before all the nodes it feeds had added theirs: visit the "
    "nodes in reverse topological order (root first), so each gradient is complete when it is used"
)


def _mistakes(order: list) -> Wrong:
    """(explanation, gradients) of the classic wrong backward passes on this graph."""
    backwards = order[::-1]
    return [
        ("every gradient is 0: the root's own gradient must start at 1 (∂root/∂root = 1)",
         _walk(order, backwards, seed=0.0)),
        ("the nodes were visited parents first: walk the topological order in reverse, from the "
         "root down", _walk(order, order)),
        (ORDER, _walk(order, _breadth_first(order[-1]))),
        (ORDER, _walk(order, _root_first(order[-1]))),
        (ORDER + " (a recursive walk passes a node's gradient on once per path)",
         _path_by_path(order)),
        ("a node that feeds several others kept only the last contribution: the paths add up, "
         "so write parent.grad += ..., not parent.grad = ...", _walk(order, backwards, add=False)),
        ("the local derivative is missing: parent.grad += local · node.grad, where local is the "
         "node's local_grads entry for that parent", _walk(order, backwards, local=False)),
    ]  # fmt: skip


def _distinct(want: np.ndarray, wrong: Wrong) -> Wrong:
    """The mistakes that give a result of their own on this graph (``=`` and ``+=`` agree where
    nothing fans out, for example): a mistake that gives the right answer here is not one here."""
    kept: Wrong = []
    for why, value in wrong:
        if not close(value, want) and not any(close(value, v) for _, v in kept):
            kept.append((why, value))
    return kept


# --- the student's side ----------------------------------------------------------------------------
def _mirror(order: list, make: Callable[..., Any]) -> list:
    """The same nodes built with ``make`` (a ``Value`` class, here or in the sandbox)."""
    made: dict[int, Any] = {}
    for v in order:
        parents = tuple(made[id(p)] for p in v.parents)
        made[id(v)] = make(v.data, v.label, parents=parents,
                           local_grads=tuple(v.local_grads), op=v.op)  # fmt: skip
    return [made[id(v)] for v in order]


def _grads(nodes: list, labels: list[str]) -> np.ndarray:
    """Each node's ``grad`` as a float, or a Mistake naming the node that holds something else."""
    out = []
    for node, label in zip(nodes, labels, strict=True):
        g = node.grad
        if isinstance(g, bool) or not isinstance(g, (int, float, np.integer, np.floating)):
            raise Mistake(f"{label}.grad is a {type(g).__name__}; it should be a number")
        out.append(float(g))
    return np.array(out)


def _describe(order: list, hidden: bool) -> str:
    if hidden:
        return ""
    leaves = ", ".join(f"{v.label} = {v.data:g}" for v in order if not v.parents)
    return f"{leaves}; gradients of nodes {', '.join(v.label for v in order)}"


def _graph_check(
    backward: Fn, root: Value, hidden: bool, about_order: bool = False
) -> Callable[[], None]:
    """Run the student's backward on a copy of ``root``'s graph; compare every node's grad. With
    ``about_order``, only the order is judged: ``=`` at a fan-out in the right order passes (it
    is the fan-out sub-check's mistake)."""
    order = topological_order(root)
    labels = [v.label for v in order]

    def run() -> None:
        root.backward()
        want = np.array([v.grad for v in order])
        nodes = _mirror(order, library(backward, *NODES))
        backward(nodes[-1])
        got = _grads(nodes, labels)
        if about_order and close(got, _walk(order, order[::-1], add=False)):
            return
        wrong = _distinct(want, _mistakes(order))
        compare(got, want, "backward", hidden, wrong, _describe(order, hidden))

    return run


def _twice(backward: Fn, root: Value) -> Callable[[], None]:
    """A second call on the same graph leaves the same gradients (grads are reset first)."""
    order = topological_order(root)
    labels = [v.label for v in order]

    def run() -> None:
        nodes = _mirror(order, library(backward, *NODES))
        try:
            backward(nodes[-1])
            first = _grads(nodes, labels)
        except Mistake:
            raise
        except BaseException as exc:
            raise NotTested(exc, "the first call raised") from None
        if not bool((first != 0).any()):
            raise Mistake("backward set no gradient at all, so a second call could not be judged")
        backward(nodes[-1])
        second = _grads(nodes, labels)
        if not close(second, first):
            raise Mistake(
                "a second call on the same graph changed the gradients: set every node's grad "
                "to 0 before the walk, as Value.backward does (old gradients were added to)"
            )

    return run


def check_backward(backward: Fn, *, seed: int | None = None, hidden: bool = False) -> float:
    """Item 3: ``backward(root)`` sets node.grad = ∂root/∂node for every node below ``root``.

    Reverse topological order: node.grad is complete before it moves on, and each parent gets
    parent.grad += ∂node/∂parent · node.grad (a sum over the nodes it feeds)."""
    rng = np.random.default_rng(seed)
    if seed is None:
        x1, x2, w2, x3 = 0.4, 0.8, -0.6, 0.7
    else:
        x1, x2, w2, x3 = (float(v) for v in rng.uniform(0.3, 1.2, 4) * rng.choice([-1, 1], 4))
    chain, fanout = chain_graph(x1), fanout_graph(x2, w2)
    orders = [_graph_check(backward, order_graph(x3, short), hidden, about_order=True)
              for short in (False, True)]  # fmt: skip
    return grade_item(
        "Backprop by code",
        [
            SubCheck("one path: x → u → v → y", 0.5, _graph_check(backward, chain, hidden)),
            SubCheck(
                "fan-out: a and b each feed two nodes", 1.0, _graph_check(backward, fanout, hidden)
            ),
            SubCheck(
                "order: h reaches y by paths of two lengths",
                1.0,
                lambda: [run() for run in orders],
            ),
            SubCheck(
                "a second call gives the same gradients",
                0.5,
                _twice(backward, fanout),
                hygiene=True,
            ),
        ],
        hidden=hidden,
    )
