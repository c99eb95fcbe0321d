"""course.scalar: forward values and gradients against the `autograd` package, and the drawing."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import autograd.numpy as anp
import matplotlib
import numpy as np
import pytest
from autograd import grad
from hypothesis import given, settings
from hypothesis import strategies as st

import course
from course.scalar import Value, draw, layout, topological_order, trace

matplotlib.use("Agg")

finite = st.floats(-3.0, 3.0, allow_nan=False)
positive = st.floats(0.2, 4.0)


def _f_generic(lib, x, y, z):
    """One expression using every operation; `lib` is autograd.numpy or our Value methods."""
    if lib is None:  # Value
        s, t, e, lg = x.sigmoid(), y.tanh(), (x * 0.5).exp(), z.log()
    else:
        s = 1.0 / (1.0 + lib.exp(-x))
        t, e, lg = lib.tanh(y), lib.exp(x * 0.5), lib.log(z)
    return s * t + e / z - lg * y + (x - y) ** 2 + z**0.5 - 3.0 * x + 2.0 / z - (1.0 - x) / 3.0 - y


@settings(max_examples=60, deadline=None)
@given(finite, finite, positive)
def test_gradients_match_autograd(x, y, z):
    vx, vy, vz = Value(x), Value(y), Value(z)
    out = _f_generic(None, vx, vy, vz)
    out.backward()
    expected = _f_generic(anp, x, y, z)
    assert out.data == pytest.approx(expected, rel=1e-12, abs=1e-12)
    for i, v in enumerate((vx, vy, vz)):
        g = grad(lambda a, b, c: _f_generic(anp, a, b, c), i)(x, y, z)
        assert v.grad == pytest.approx(g, rel=1e-9, abs=1e-12), f"argument {i}"


def test_shared_node_sums_over_paths():
    # f = w·x + w·y uses w on two paths: ∂f/∂w = x + y.
    w, x, y = Value(1.5), Value(2.0), Value(-0.5)
    f = w * x + w * y
    f.backward()
    assert w.grad == pytest.approx(1.5)
    h = Value(0.7)
    sq = h * h  # the same node twice as both parents of one child
    sq.backward()
    assert h.grad == pytest.approx(2 * 0.7)


def test_backward_twice_gives_same_grads():
    a = Value(0.3)
    f = (a * a).tanh() + a.exp()
    f.backward()
    first = a.grad
    f.backward()
    assert a.grad == pytest.approx(first)


def test_relu_and_sigmoid_extremes():
    assert Value(-2.0).relu().data == 0.0
    r = Value(0.0).relu()
    r.backward()  # the subgradient at the kink is 0, like course.modules.ReLU
    assert r.parents[0].grad == 0.0
    big = Value(800.0).sigmoid()
    small = Value(-800.0).sigmoid()
    assert big.data == 1.0 and 0.0 <= small.data < 1e-300
    assert math.isfinite(big.local_grads[0])


def test_deep_chain_does_not_recurse():
    v = x = Value(0.1)
    for _ in range(5000):
        v = v * 1.0001
    v.backward()
    assert x.grad == pytest.approx(1.0001**5000)


def test_bad_input_is_named():
    with pytest.raises(TypeError, match="real number"):
        Value("3")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Value or a real number"):
        Value(1.0) + "a"  # type: ignore[operator]
    with pytest.raises(TypeError, match="plain number as exponent"):
        Value(2.0) ** Value(2.0)  # type: ignore[operator]
    with pytest.raises(ValueError, match="positive"):
        Value(-1.0).log()


def test_trace_and_layout_follow_topological_depth():
    x, w, b = Value(1.0, "x"), Value(2.0, "w"), Value(0.5, "b")
    z = (x * w + b).named("z")
    out = z.sigmoid().named("out")
    nodes, edges = trace(out)
    assert nodes[-1] is out and set(map(id, nodes)) >= {id(x), id(w), id(b)}
    order = topological_order(out)
    index = {id(v): i for i, v in enumerate(order)}
    for p, c, _ in edges:
        assert index[id(p)] < index[id(c)]
    pos = layout(out)
    for p, c, _ in edges:
        assert pos[id(p)][0] < pos[id(c)][0]  # edges always point right
    assert pos[id(x)][0] == 0.0 and pos[id(out)][0] == max(px for px, _ in pos.values())


def test_draw_shows_values_gradients_and_local_derivatives():
    x, w = Value(2.0, "x"), Value(-3.0, "w")
    out = (x * w).named("z").tanh().named("h")
    out.backward()
    ax = draw(out)
    texts = [t.get_text() for t in ax.texts]
    assert any("z" in t and "-6" in t for t in texts)  # forward value on the node
    assert f"grad {w.grad:.4g}" in texts  # backward gradient under the node
    assert any(t == f"{x.data:.3g}" for t in texts)  # local derivative ∂z/∂w = x on the edge
    assert len(ax.patches) + len(ax.texts) > 0
    matplotlib.pyplot.close(ax.figure)
    with pytest.raises(TypeError, match="Value"):
        draw(np.float64(1.0))  # type: ignore[arg-type]


def test_operations_with_numbers_are_single_nodes():
    # x·0.5, 1 − x, x / 4 and −x each add ONE node (the number lives in the op), no constant leaf.
    x, y = Value(2.0, "x"), Value(5.0, "y")
    for expr, local, op in [
        (x * 0.5, 0.5, "×0.5"),
        (0.5 * x, 0.5, "×0.5"),
        (1.0 - x, -1.0, "1−·"),
        (x - 3.0, 1.0, "−3"),
        (x + 3.0, 1.0, "+3"),
        (x / 4.0, 0.25, "÷4"),
        (-x, -1.0, "−·"),
        (8.0 / x, -8.0 / 4.0, "8÷·"),
    ]:
        nodes, edges = trace(expr)
        assert len(nodes) == 2 and edges == [(x, expr, local)], op
        assert expr.op == op
    d = x - y  # subtraction of two variables is one node with local derivatives 1 and −1
    nodes, edges = trace(d)
    assert len(nodes) == 3 and [e[2] for e in edges] == [1.0, -1.0] and d.data == -3.0
    with pytest.raises(ZeroDivisionError, match="0"):
        x / 0.0
    with pytest.raises(ZeroDivisionError, match="divisor is 0"):
        x / Value(0.0)
    with pytest.raises(TypeError, match="Value or a real number"):
        "a" - x  # type: ignore[operator]


def _crossings(root: Value) -> int:
    """Pairs of edges between the same two adjacent columns that cross in the layout."""
    pos = layout(root)
    _, edges = trace(root)
    seg = [(pos[id(p)], pos[id(c)]) for p, c, _ in edges if pos[id(c)][0] - pos[id(p)][0] == 1]
    return sum(
        1
        for i, ((a0, a1)) in enumerate(seg)
        for (b0, b1) in seg[i + 1 :]
        if a0[0] == b0[0] and (a0[1] - b0[1]) * (a1[1] - b1[1]) < 0
    )


def test_layout_untangles_the_lecture_graphs():
    # Lecture 2's two-path example: in first-seen order x1's edge to (x1 + x3) crosses x2's edge
    # to x1·x2; the barycentre sweeps must remove that crossing.
    x1, x2, x3 = Value(0.5, "x1"), Value(-1.0, "x2"), Value(2.0, "x3")
    f = (x1 * x2).named("y1") * (x1 + x3).tanh().named("y2")
    assert _crossings(f) == 0


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports anywhere (top level or inside functions); course's own
    modules without the "course." prefix."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module.removeprefix("course."))
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def test_engine_and_drawing_are_split_without_an_import_cycle():
    files = {p.stem: p for p in (Path(course.__file__).parent).glob("scalar*.py")}
    assert {"scalar", "scalar_engine", "scalar_graph", "scalar_draw"} <= set(files)
    imports = {name: _imports(path) for name, path in files.items()}
    graph = {name: {m for m in found if m in files} for name, found in imports.items()}
    assert "scalar_engine" not in graph["scalar_draw"], "the drawing must not import the engine"
    assert not any(m.startswith("matplotlib") for m in imports["scalar_engine"]), "engine draws"

    def reaches(start: str, target: str, seen: frozenset = frozenset()) -> bool:
        return any(n == target or (n not in seen and reaches(n, target, seen | {n}))
                   for n in graph.get(start, ()))  # fmt: skip

    for name in graph:
        assert not reaches(name, name), f"{name} imports itself through {graph[name]}"
    # The lectures' import path still gives the whole toolkit, and Value.draw still draws.
    ax = (Value(1.0, "a") * 2.0).named("b").draw(show_grad=False)
    assert any("b" in t.get_text() for t in ax.texts)
    matplotlib.pyplot.close(ax.figure)
