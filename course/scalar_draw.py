"""Drawing a scalar computational graph with matplotlib only (no graphviz needed).

``layout`` places each node by topological depth and untangles the columns; ``draw`` puts boxes
(name, forward value, gradient) and arrows (local derivatives) on an Axes. Nodes are read through
their attributes (``parents``, ``local_grads``, ``data``, ``grad``, ``label``, ``op``), so this
file does not import the engine: :meth:`course.scalar_engine.Value.draw` imports this one.
"""

from __future__ import annotations

from typing import Any

from .scalar_graph import Node, topological_order, trace

__all__ = ["layout", "draw"]


def _is_node(x: object) -> bool:
    return all(hasattr(x, a) for a in ("parents", "local_grads", "data", "grad", "label", "op"))


def layout(root: Node, sweeps: int = 4) -> dict[int, tuple[float, float]]:
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
    children: dict[int, list[Node]] = {}
    for v in nodes:
        for p in v.parents:
            first_use[id(p)] = min(first_use.get(id(p), depth[id(v)]), depth[id(v)])
            children.setdefault(id(p), []).append(v)
    for v in nodes:
        if not v.parents and id(v) in first_use:
            depth[id(v)] = first_use[id(v)] - 1
    columns: dict[int, list[Node]] = {}
    for v in nodes:
        columns.setdefault(depth[id(v)], []).append(v)
    y: dict[int, float] = {}

    def place(col: list[Node]) -> None:
        n = len(col)
        for i, v in enumerate(col):
            y[id(v)] = (n - 1) / 2.0 - i

    for d in sorted(columns):
        place(columns[d])

    def mean_height(v: Node, neighbours: list[Node]) -> float:
        return sum(y[id(u)] for u in neighbours) / len(neighbours) if neighbours else y[id(v)]

    for _ in range(sweeps):
        for d in sorted(columns)[1:]:
            columns[d].sort(key=lambda v: -mean_height(v, list(v.parents)))
            place(columns[d])
        for d in sorted(columns, reverse=True)[1:]:
            columns[d].sort(key=lambda v: -mean_height(v, children.get(id(v), [])))
            place(columns[d])
    return {id(v): (float(depth[id(v)]), y[id(v)]) for v in nodes}


def _count(edges: list[tuple[Node, Node, float]], p: Node, c: Node) -> int:
    return sum(1 for a, b, _ in edges if a is p and b is c)


def _node_text(v: Node) -> str:
    name = v.label or v.op or "const"
    if v.op and v.label:
        name = f"{v.label} ({v.op})"
    return f"{name}\n{v.data:.4g}"


def draw(
    root: Node,
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

    if not _is_node(root):
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
