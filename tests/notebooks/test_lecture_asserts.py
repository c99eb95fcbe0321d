"""The lectures' asserts can fail: mutate the formula under test and the assert must catch it.

Each entry of MUTATIONS is (notebook, original snippet, mutated snippet). The original must occur
exactly once in the notebook's code. For every notebook one kernel runs the cells in order; just
before the cell holding a snippet, the kernel forks, and the child runs that cell with the snippet
mutated (then, if that cell holds no assert, the following code cells up to and including the next
one that does). The child must stop with an AssertionError raised in those cells. The parent is
untouched and goes on with the original cells, so every mutation starts from the real state.

A static check also makes sure no lecture assert compares an expression with itself.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

LECTURES = Path(__file__).resolve().parents[2] / "lectures"
NOTEBOOKS = sorted(p.stem for p in LECTURES.glob("[0-9][0-9]_*.ipynb"))


def _nb(prefix: str) -> str:
    (name,) = [n for n in NOTEBOOKS if n.startswith(prefix)]
    return name


# (notebook, original, mutated): a sign flip, a dropped or extra factor, a swapped argument.
MUTATIONS: list[tuple[str, str, str]] = [
    # ---- Lecture 1
    (
        "01",
        "manual = np.exp(z2) / np.exp(z2).sum(axis=1, keepdims=True)",
        "manual = np.exp(z2) / np.exp(z2).sum(axis=0, keepdims=True)",
    ),
    ("01", "z1_n = W1 @ x[n] + b1", "z1_n = W1 @ x[n] - b1"),
    ("01", "* h_prev[i] for i in range(4)", "* h_prev[3 - i] for i in range(4)"),
    (
        "01",
        "by_hand = lin_c(np.tanh(lin_a(x_dag)) + lin_b(x_dag))",
        "by_hand = lin_c(np.tanh(lin_a(x_dag)) - lin_b(x_dag))",
    ),
    ("01", "return np.tanh(U @ x_t + V @ s_prev)", "return np.tanh(U @ x_t - V @ s_prev)"),
    ("01", 'neuron[0].params["bias"][...] = [0.1]', 'neuron[0].params["bias"][...] = [-0.1]'),
    (
        "01",
        "neuron = Sequential(Linear(2, 1, rng=0), Tanh())",
        "neuron = Sequential(Linear(2, 1, rng=0), Softmax())",
    ),
    ("01", 'f = (x * y).named("p") + x', 'f = (x * y).named("p") + y'),
    ("01", "return sum(count_paths(root, child)", "return max(count_paths(root, child)"),
    # ---- Lecture 2
    ("02", "err = np.abs(true_change - predicted)", "err = np.abs(true_change - 1.01 * predicted)"),
    (
        "02",
        "assert np.isclose(np.prod(on_path), x.grad)",
        "assert np.isclose(np.sum(on_path), x.grad)",
    ),
    ("02", "return [d * rest for c, d in", "return [d + rest for c, d in"),
    ("02", "v = v.tanh() + v * 0.9", "v = v.tanh() * 0.9"),
    ("02", "J_G = numerical_jacobian(G, x_vec)", "J_G = numerical_jacobian(G, x_vec + 0.1)"),
    ("02", "change3 = F3(G3(x3 + dx3)) - F3(G3(x3))", "change3 = G3(F3(x3 + dx3)) - G3(F3(x3))"),
    ("02", "right, wrong = J_F3 @ J_G3, J_G3 @ J_F3", "right, wrong = J_G3 @ J_F3, J_G3 @ J_F3"),
    ("02", "affine = lambda v: W @ v + bvec", "affine = lambda v: 2 * W @ v + bvec"),
    (
        "02",
        "grad_chain = W.T @ ((1 - np.tanh(z) ** 2) * c)",
        "grad_chain = W.T @ ((1 - np.tanh(z)) * c)",
    ),
    (
        "02",
        "J_soft = numerical_jacobian(softmax, z_vec)",
        "J_soft = numerical_jacobian(np.tanh, z_vec)",
    ),
    ("02", 's_ab = (a + b).named("s")', 's_ab = (a - b).named("s")'),
    ("02", "dx = g if x >= y else 0.0", "dx = g if x > y else 0.0"),
    ("02", 'fan = (q * q + q).named("fan")', 'fan = (q * q).named("fan")'),
    (
        "02",
        "grad[id(parent)] = grad[id(parent)] + contribution if",
        "grad[id(parent)] = grad[id(parent)] + 2 * contribution if",
    ),
    ("02", "dd = 2 * d * dd2", "dd = d * dd2"),
    ("02", "dx += dm if x >= z else 0.0", "dx += dm if x >= z else dm"),
    ("02", "grad_a = c * g_out * s * (1 - s)", "grad_a = c * g_out * s"),
    ("02", "u_sq = u * u", "u_sq = u * 1.5"),
    # ---- Lecture 3
    (
        "03",
        "z_units = np.array([sum(Ws[-1][i, j] * h_last[j]",
        "z_units = np.array([sum(Ws[-1][i, j] * h_last[i]",
    ),
    ("03", "dbs[l] = dz ", "dbs[l] = 2 * dz "),
    ("03", "* (1 - sigmoid(zs[l - 1]))", "* (1 + sigmoid(zs[l - 1]))"),
    ("03", "dw[kk][i, j] = hs[kk][i] * dz[j]", "dw[kk][i, j] = hs[kk][i] * dz[j] * 0.5"),
    ("03", "grads_W[kk] = y_prev @ dz", "grads_W[kk] = y_prev @ dz * 1.5"),
    ("03", "loss_of(Ws[:-1] + [W], bs, x, label)", "loss_of(Ws[:-1] + [W * 1.01], bs, x, label)"),
    (
        "03",
        "db_loop = sum(Gb[n] for n in range(Nb))",
        "db_loop = sum(Gb[n] for n in range(Nb - 1))",
    ),
    ("03", "np.sum((Hv @ Wv.T + bv) * Gb)", "np.sum((Hv @ Wv.T + bv) * Gb * 2)"),
    (
        "03",
        "for_W = products_with_shape(Gb, Hb, Wb.shape)",
        "for_W = products_with_shape(Gb, Hb, Wb.T.shape)",
    ),
    ("03", "G1 = (G2 @ W2) * H1 * (1 - H1)", "G1 = (G2 @ W2) * H1"),
    (
        "03",
        "f_num = lambda w: 0.5 * (yv - sigmoid(w[1] * sigmoid(w[0] * xv))) ** 2",
        "f_num = lambda w: 0.5 * (yv - sigmoid(w[1] * sigmoid(w[0] * xv))) ** 2 * 1.1",
    ),
    (
        "03",
        "t_fwd, t_bp = best_time(forward_only), best_time(forward_and_backward)",
        "t_fwd, t_bp = best_time(forward_only) / 10, best_time(forward_and_backward)",
    ),
    ("03", "numeric_probe.append((up - down) / 2e-6)", "numeric_probe.append((up - down) / 1e-6)"),
    ("03", "at_least = 8 * n * sum(widths_cached)", "at_least = 24 * n * sum(widths_cached)"),
    # ---- Lecture 4
    ("04", "W3l @ (W2l @ b1l + b2l) + b3l", "W3l @ (W2l @ b1l) + b3l"),
    (
        "04",
        "A_aug = np.hstack([X_lin, np.ones((len(X_lin), 1))])",
        "A_aug = np.hstack([X_lin, np.zeros((len(X_lin), 1))])",
    ),
    ("04", "s = sigmoid(z)\n", "s = sigmoid(2 * z)\n"),
    ("04", "2 * sigmoid(2 * z) - 1)", "2 * sigmoid(z) - 1)"),
    ("04", "d5 = sigmoid(5.0) * (1 - sigmoid(5.0))", "d5 = sigmoid(5.0) * sigmoid(5.0)"),
    ("04", "for v in np.linspace(0, 1, 11):", "for v in np.linspace(0, 1.1, 11):"),
    (
        "04",
        "g_max = numerical_gradient(lambda v: np.max(v), z3.copy())",
        "g_max = numerical_gradient(lambda v: np.min(v), z3.copy())",
    ),
    (
        "04",
        "mask[np.arange(len(windows)), windows.argmax(axis=1)] = 1.0",
        "mask = (windows == windows.max(axis=1, keepdims=True)).astype(float)",
    ),
    ("04", "return np.logaddexp(0.0, v)", "return np.logaddexp(0.0, v) * 1.0001"),
    ("04", "grad *= w * dact(zl)", "grad *= dact(zl)"),
    ("04", "rate = g_sig[-1] / g_sig[-2]", "rate = g_sig[-1] / g_sig[-3]"),
    ("04", "for ws in (0.25, 1, 2, 4, 8)]", "for ws in (8, 4, 2, 1, 0.25)]"),
    (
        "04",
        'tanh_flow = gradient_flow_stats(activation="tanh", init="xavier")',
        'tanh_flow = gradient_flow_stats(activation="sigmoid", init="xavier")',
    ),
    (
        "04",
        "dead_small, dead_huge = dead_after_training(0.1), dead_after_training(10.0)",
        "dead_small, dead_huge = dead_after_training(0.1), dead_after_training(0.1)",
    ),
    ("04", 'net[0].params["bias"][:] = bias_init', 'net[0].params["bias"][:] = -bias_init'),
    ("04", "b_in[0] = -1.0 - np.max(Xs @ W_in[0])", "b_in[0] = 1.0 - np.min(Xs @ W_in[0])"),
    ("04", "(1 - lr_wd * lam) * row_before", "(1 + lr_wd * lam) * row_before"),
    ("04", "x_far = -10 * b_in[0] * W_in[0]", "x_far = 10 * b_in[0] * W_in[0]"),
    (
        "04",
        "per_tanh, batch_tanh = weight_grads(Tanh, X_in, G_out)",
        "per_tanh, batch_tanh = weight_grads(Sigmoid, X_in, G_out)",
    ),
    ("04", "H_offset = H_centred + 1e4", "H_offset = H_centred + 0.0"),
    ("04", "z_sat = np.arctanh(np.sqrt(0.99))", "z_sat = np.arctanh(np.sqrt(0.9))"),
    (
        "04",
        "z_raw, z_norm = layer(pixels), layer(normed)",
        "z_raw, z_norm = layer(pixels), layer(pixels)",
    ),
    # ---- Lecture 5
    ("05", "return e / e.sum()", "return e / e.sum() ** 2"),
    (
        "05",
        "J_num = numerical_jacobian(softmax, z)",
        "J_num = numerical_jacobian(lambda v: softmax(v) + 1e-3 * v, z)",
    ),
    (
        "05",
        "bce_1 = lambda v: -np.log(sigmoid(v[0]))",
        "bce_1 = lambda v: 0.5 * (sigmoid(v[0]) - 0.9) ** 2",
    ),
    (
        "05",
        "J_num = numerical_jacobian(softmax, z)",
        "J_num = numerical_jacobian(lambda v: softmax(v) * np.arange(1.0, 6.0), z)",
    ),
    (
        "05",
        "J = np.diag(y_hat) - np.outer(y_hat, y_hat)",
        "J = np.diag(y_hat) - 2 * np.outer(y_hat, y_hat)",
    ),
    (
        "05",
        "shift_derivative = (softmax(z + eps) - softmax(z - eps)) / (2 * eps)",
        "shift_derivative = (softmax(z * (1 + eps)) - softmax(z * (1 - eps))) / (2 * eps)",
    ),
    ("05", "mod = Softmax(); mod(z[None, :])", "mod = Softmax(); mod(2 * z[None, :])"),
    (
        "05",
        "nll = -np.log(np.prod(P[np.arange(N), labels])) / N",
        "nll = -np.log(np.prod(P[np.arange(N), labels])) / (N - 1)",
    ),
    (
        "05",
        "entropy = float(-np.sum(y_soft * np.log(y_soft)))",
        "entropy = float(np.sum(y_soft * np.log(y_soft)))",
    ),
    (
        "05",
        "g_kl = numerical_gradient(lambda v: kl(y_soft, softmax(v))",
        "g_kl = numerical_gradient(lambda v: kl(softmax(v), y_soft)",
    ),
    ("05", "ce1 = lambda q: -np.sum(y1 * np.log(q))", "ce1 = lambda q: -np.sum(np.log(q))"),
    ("05", "- yh[i]) for i in range(K)])) < 1e-8", "- yh[lab]) for i in range(K)])) < 1e-8"),
    ("05", "ours = yh - y1\n", "ours = yh - 0.9 * y1\n"),
    (
        "05",
        "sce = SoftmaxCrossEntropy(); sce(Zb, labels)",
        "sce = SoftmaxCrossEntropy(); sce(Zb, (labels + 1) % K)",
    ),
    ("05", "(1 - yy) * np.log(1 - sigmoid(v[0])))", "(1 - yy) * np.log(1 - sigmoid(2 * v[0])))"),
    (
        "05",
        "se = lambda v: 0.5 * (sigmoid(v[0]) - 1) ** 2",
        "se = lambda v: (sigmoid(v[0]) - 1) ** 2",
    ),
    (
        "05",
        "-np.log(sigmoid(v[0])), np.array([z_far]))[0]",
        "0.5 * (sigmoid(v[0]) - 1) ** 2, np.array([z_far]))[0]",
    ),
    (
        "05",
        "square = lambda v: 0.5 * (v[0] - 1.0) ** 2",
        "square = lambda v: -np.log(sigmoid(v[0]))",
    ),
    (
        "05",
        "density = np.exp(-((Y - H) ** 2) / (2 * s**2))",
        "density = np.exp(-((Y - H) ** 2) / (s**2))",
    ),
    # ---- Lecture 6
    (
        "06",
        'return np.cos(self.params["theta"] * x) + np.pi',
        'return np.cos(self.params["theta"] * x) - np.pi',
    ),
    (
        "06",
        'analytic = cos_mod.grads["theta"].copy()',
        'analytic = 2 * cos_mod.grads["theta"].copy()',
    ),
    (
        "06",
        "dd = directional_derivative(f_theta, theta0.copy(), v)",
        "dd = directional_derivative(f_theta, theta0.copy(), ones)",
    ),
    ("06", "report = gradcheck(CosPlusPi(3, rng=1)", "report = gradcheck(Linear(3, 3, rng=1)"),
    ("06", "buggy = UnsummedBiasGradLinear(4, 3, rng=0)", "buggy = Linear(4, 3, rng=0)"),
    (
        "06",
        "bias0[j_k] -= kink_net[0](Xk)[n_k, j_k] - d",
        "bias0[j_k] -= kink_net[0](Xk)[n_k, j_k] - 1e-3",
    ),
    ("06", "shortfall[j] = 0.5 * g_h[n, j]", "shortfall[j] = 0.25 * g_h[n, j]"),
    (
        "06",
        "pred_big, meas_big = crossing_errors(bigger, X_big, T_big, check=2)",
        "pred_big, meas_big = crossing_errors(tiny, X_tiny, T_tiny, check=2)",
    ),
    (
        "06",
        "def backward(self, g): return -g / self.x**2",
        "def backward(self, g): return g / self.x**2",
    ),
    (
        "06",
        "return grad_out + self.inner.backward(grad_out)",
        "return self.inner.backward(grad_out)",
    ),
    (
        "06",
        'second.grads["weight"] = first.grads["weight"]',
        'second.grads["weight"] = first.grads["weight"].copy()',
    ),
    # ---- Lecture 7
    ("07", "expected = {k: v - 0.5 * net.grads[k]", "expected = {k: v + 0.5 * net.grads[k]"),
    (
        "07",
        "e2 = list(minibatches(10, 4, epoch_rng))",
        "e2 = list(minibatches(10, 4, np.random.default_rng(1)))",
    ),
    (
        "07",
        "combinations(range(10), 3)]), minlength=10)",
        "combinations(range(10), 4)]), minlength=10)",
    ),
    ("07", "full = grads_on(np.arange(10))", "full = grads_on(np.arange(9))"),
    (
        "07",
        "x_test = (rest.x_test - mean) / std",
        "x_test = (rest.x_test - rest.x_test.mean(axis=0)) / std",
    ),
    ("07", 'small_last[2].params["weight"] *= 1e-3', 'small_last[2].params["weight"] *= 1.0'),
    ("07", "opt = SGD(tiny_net, lr=0.5)", "opt = SGD(tiny_net, lr=0.005)"),
    ("07", "            opt.step()", "            pass"),
    (
        "07",
        'best_lr = max(lrs, key=lambda lr: runs[lr]["val_acc"][-1])',
        'best_lr = min(lrs, key=lambda lr: runs[lr]["val_acc"][-1])',
    ),
    (
        "07",
        'm.grads["weight"] += lam * m.params["weight"]',
        'm.grads["weight"] += 2 * lam * m.params["weight"]',
    ),
    ("07", "weight_decay=5e-3)", "weight_decay=0.0)"),
    (
        "07",
        "test_acc = accuracy(chosen, x_test, y_test)",
        "test_acc = accuracy(make_mlp(), x_test, y_test)",
    ),
    (
        "07",
        "model.backward(lossf.backward()); opt.step()\n    return model",
        "model.backward(lossf.backward())\n    return model",
    ),
    # ---- Lecture 8
    ("08", "p[...] = 0.3 ", "p[...] = rng.standard_normal(p.shape) "),
    (
        "08",
        'twin[2].params["weight"][...] = net[2].params["weight"][:, p]',
        'twin[2].params["weight"][...] = net[2].params["weight"]',
    ),
    (
        "08",
        "value[...] = 0.5 * (random_start.params[key] + twin.params[key])",
        "value[...] = random_start.params[key]",
    ),
    ("08", "predicted = n_in * v * np.mean(H_in**2)", "predicted = n_in * v * np.mean(H_in) ** 2"),
    ("08", "(0.5 * z_sym.var())", "(z_sym.var())"),
    ("08", '("he", 2 / 300)', '("he", 1 / 300)'),
    ("08", '"ReLU + Xavier": (relu, "xavier", 1.0)', '"ReLU + Xavier": (relu, "he", 1.0)'),
    ("08", '"sigmoid + Xavier": ("sigmoid", 1.0)', '"sigmoid + Xavier": ("sigmoid", 4.0)'),
    ("08", '"sigmoid + 4 x Xavier": ("sigmoid", 4.0)', '"sigmoid + 4 x Xavier": ("sigmoid", 1.5)'),
    (
        "08",
        "slope_sig = (sigmoid(1e-6) - sigmoid(-1e-6)) / 2e-6",
        "slope_sig = (sigmoid(1e-6) - sigmoid(-1e-6)) / 1e-6",
    ),
    (
        "08",
        'per_layer_sig = flow["sigmoid + Xavier"] ** (1 / 9)',
        'per_layer_sig = flow["sigmoid + Xavier"] ** (1 / 3)',
    ),
    (
        "08",
        "growth = {s: np.exp(np.mean(np.diff(np.log(gn))))",
        "growth = {s: np.exp(np.mean(np.diff(np.log(gn) / 2)))",
    ),
    ("08", "theta_hand = theta_hand - lr * v_hand", "theta_hand = theta_hand - lr * g"),
    ("08", "lr * g_const / (1 - mu), rtol=1e-9)", "lr * g_const, rtol=1e-9)"),
    ("08", "steps_to(descend(0.9, steps=1500))", "steps_to(descend(0.5, steps=1500))"),
    (
        "08",
        "n_tenth = steps_to(descend(0.9, lr=0.0008, steps=3000))",
        "n_tenth = steps_to(descend(0.9, lr=0.008, steps=3000))",
    ),
    (
        "08",
        "f_mom_wide = f_ravine(descend(0.9, lr=0.015, steps=300)[-1])",
        "f_mom_wide = f_ravine(descend(0.9, lr=0.02, steps=300)[-1])",
    ),
    # ---- Lecture 9
    ("09", "prelu = PReLU(3, init=0.01)", "prelu = PReLU(3, init=0.02)"),
    (
        "09",
        "per_example = r * np.where(x <= 0, x, 0.0)",
        "per_example = r * np.where(x > 0, x, 0.0)",
    ),
    ("09", "dx = prelu.backward(r)", "dx = prelu.backward(2 * r)"),
    ("09", "    twice.backward(r)", "    twice.backward(r / 2)"),
    ("09", "elu = ELU(0.5)\n", "elu = ELU(1.0)\n"),
    ("09", "elu_far = ELU(0.5)", "elu_far = ELU(5.0)"),
    ("09", "x_left = -10.0", "x_left = -3.0"),
    ("09", "np.argmax(np.exp(-b * d_grid**2) < 0.5)", "np.argmax(np.exp(-d_grid**2 / b) < 0.5)"),
    (
        "09",
        'self.grads["centres"] += np.sum(grad_out[:, :, None] * -2 * diff, axis=0)',
        'self.grads["centres"] += np.sum(grad_out[:, :, None] * 2 * diff, axis=0)',
    ),
    (
        "09",
        'library[1].params["weight"][...] = cascade[2].params["weight"]',
        'library[1].params["weight"][...] = 2 * cascade[2].params["weight"]',
    ),
    (
        "09",
        'self.grads["beta"] += np.sum(grad_out * -a2, axis=0)',
        'self.grads["beta"] += np.sum(grad_out * -a1 * a2, axis=0)',
    ),
    ("09", "rbf_loss = train(rbf_net, 1500)", "rbf_loss = train(rbf_net, 5)"),
    (
        "09",
        "centres = np.array([X[assign == j].mean(axis=0)",
        "centres = np.array([np.median(X[assign == j], axis=0)",
    ),
    (
        "09",
        "rbf_km = RBF(2, 3, centres=centres_km, beta=1.0)",
        "rbf_km = RBF(2, 3, centres=centres_km[::-1], beta=1.0)",
    ),
]

BY_NOTEBOOK: dict[str, list[tuple[str, str]]] = {}
for _prefix, _old, _new in MUTATIONS:
    BY_NOTEBOOK.setdefault(_nb(_prefix), []).append((_old, _new))


def _code_cells(name: str) -> list[tuple[int, str]]:
    nb = nbformat.read(LECTURES / f"{name}.ipynb", as_version=4)
    return [(i, c.source) for i, c in enumerate(nb.cells) if c.cell_type == "code"]


def _has_assert(source: str) -> bool:
    return any(isinstance(node, ast.Assert) for node in ast.walk(ast.parse(source)))


# ---------------------------------------------------------------- static checks


@pytest.mark.parametrize("prefix, old, new", MUTATIONS, ids=lambda v: str(v)[:40])
def test_snippet_occurs_exactly_once(prefix, old, new):
    name = _nb(prefix)
    hits = sum(src.count(old) for _, src in _code_cells(name))
    assert hits == 1, (
        f"{name}: {old!r} occurs {hits} times in the code cells (expected exactly once)"
    )
    assert old != new


_SAME_ARG_CALLS = {
    "allclose",
    "isclose",
    "array_equal",
    "array_equiv",
    "rel_error",
    "assert_allclose",
}


def _self_comparisons(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Assert):
            continue
        for sub in ast.walk(node.test):
            if isinstance(sub, ast.Compare):
                operands = [sub.left, *sub.comparators]
                dumps = [ast.dump(o) for o in operands]
                if len(set(dumps)) < len(dumps):
                    found.append(ast.unparse(sub))
            elif isinstance(sub, ast.Call) and len(sub.args) >= 2:
                func = sub.func
                fname = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if fname in _SAME_ARG_CALLS and ast.dump(sub.args[0]) == ast.dump(sub.args[1]):
                    found.append(ast.unparse(sub))
    return found


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_no_assert_compares_a_quantity_with_itself(name):
    bad = [(i, expr) for i, src in _code_cells(name) for expr in _self_comparisons(src)]
    assert not bad, f"{name}: asserts that compare something with itself: {bad}"


def test_self_comparison_check_can_fail():
    assert _self_comparisons("assert a == a") and _self_comparisons(
        "assert np.allclose(J, J, atol=0)"
    )
    assert _self_comparisons("assert x.shape == y.shape == x.shape")
    assert not _self_comparisons("assert np.allclose(J, J.T)")


# ---------------------------------------------------------------- mutation runs

_HARNESS = r'''
import json as _mj, os as _mos, signal as _msig, sys as _msys, traceback as _mtb
_MUTANT_RESULTS = []

def _run_mutant(key, sources):
    """Fork; in the child, run `sources` (the mutated cell, then any cells up to its assert)."""
    read_end, write_end = _mos.pipe()
    pid = _mos.fork()
    if pid == 0:
        try:
            _mos.close(read_end)
            _msys.stdout = _msys.stderr = open(_mos.devnull, "w")
            _msig.alarm(60)
            names = [f"<mutant {k}>" for k in range(len(sources))]
            try:
                for fname, src in zip(names, sources):
                    exec(compile(src, fname, "exec"), globals())
                out = {"outcome": "no error"}
            except AssertionError as exc:
                frames = [f for f in _mtb.extract_tb(exc.__traceback__) if f.filename in names]
                if frames:
                    src = sources[names.index(frames[-1].filename)]
                    line = src.splitlines()[frames[-1].lineno - 1].strip()
                    out = {"outcome": "AssertionError", "line": line}
                else:
                    out = {"outcome": "AssertionError outside the lecture's cells"}
            except BaseException as exc:
                out = {"outcome": f"{type(exc).__name__}: {str(exc)[:300]}"}
            _mos.write(write_end, _mj.dumps(out).encode())
        finally:
            _mos._exit(0)
    _mos.close(write_end)
    chunks = []
    while True:
        chunk = _mos.read(read_end, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    _mos.close(read_end)
    _mos.waitpid(pid, 0)
    data = b"".join(chunks).decode()
    result = _mj.loads(data) if data else {"outcome": "the child died without a report"}
    result["key"] = key
    _MUTANT_RESULTS.append(result)
'''


def _mutation_notebook(name: str) -> tuple[nbformat.NotebookNode, list[tuple[str, str]]]:
    nb = nbformat.read(LECTURES / f"{name}.ipynb", as_version=4)
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    plan: dict[int, list[tuple[int, list[str]]]] = {}
    mutations = BY_NOTEBOOK[name]
    for key, (old, new) in enumerate(mutations):
        (cell,) = [i for i in code if old in nb.cells[i].source]
        chain = [nb.cells[cell].source.replace(old, new)]
        pos = code.index(cell)
        source = nb.cells[cell].source
        while not _has_assert(
            source
        ):  # no assert in this cell: run on to the next one with an assert
            pos += 1
            assert pos < len(code), f"{name}: no assert after {old!r}"
            source = nb.cells[code[pos]].source
            chain.append(source)
        plan.setdefault(cell, []).append((key, chain))
    last = max(plan)
    cells = [nbformat.v4.new_code_cell(_HARNESS)]
    for i, cell in enumerate(nb.cells[: last + 1]):
        for key, chain in plan.get(i, []):
            cells.append(nbformat.v4.new_code_cell(f"_run_mutant({key}, {chain!r})"))
        cells.append(cell)
    cells.append(nbformat.v4.new_code_cell("print('@@' + _mj.dumps(_MUTANT_RESULTS))"))
    nb.cells = cells
    return nb, mutations


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(BY_NOTEBOOK))
def test_every_mutation_trips_an_assert(name, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("PYTHONHASHSEED", "0")
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(var, "1")  # one BLAS thread: also keeps fork() safe
    nb, mutations = _mutation_notebook(name)
    client = NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(LECTURES)}}
    )
    client.execute()  # an unmutated lecture cell that fails raises here
    text = "".join(
        o.get("text", "") for o in nb.cells[-1].outputs if o.get("output_type") == "stream"
    )
    results = {r["key"]: r for r in json.loads(re.search(r"@@(.*)", text).group(1))}
    survivors = []
    for key, (old, new) in enumerate(mutations):
        result = results.get(key, {"outcome": "never run"})
        if result["outcome"] != "AssertionError":
            survivors.append(f"{old!r} -> {new!r}: {result['outcome']}")
    assert not survivors, f"{name}: mutations no assert caught:\n" + "\n".join(survivors)
