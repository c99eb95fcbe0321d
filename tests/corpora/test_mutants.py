"""The mutant corpus of issue 11: realistic wrong answers and correct-but-unusual ones, each
graded on its own item, visible and hidden, and held to the points range a TA would give and the
words its hint must name (tests/mutants/README.md says how entries are written).

``python tests/corpora/test_mutants.py [OUT.md]`` writes a table of the entries that fail today, grouped
by pattern, for whoever is changing the grader.
"""

from __future__ import annotations

import copy
import functools
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import nbformat
import numpy as np
import pytest

sys.path.insert(
    0, str(Path(__file__).resolve().parents[1])
)  # for grading_helpers when run as a script
from grading_helpers import (  # noqa: E402
    ROOT,
    answer_namespace,
    grade_id,
    graded_cells,
    score,
    source_path,
)

from autograder import registry  # noqa: E402
from course.grading import ps1, ps2, ps3  # noqa: E402

# The corpus the tests grade; ``python tests/corpora/test_mutants.py OUT.md blind`` reports on the
# held-out one written blind to the checks (tests/mutants/blind/), which no test asserts on.
CORPUS = ROOT / "tests" / "mutants"
PROBLEM_SETS: dict[str, tuple[str, ModuleType]] = {
    ps.short: (ps.id, {"ps1": ps1, "ps2": ps2, "ps3": ps3}[ps.short])
    for ps in registry.PROBLEM_SETS
}
FD_TOL = (1e-5, 1e-7)  # central differences with ε = 1e-6 agree to about 1e-7 here
EPS = 1e-9  # scores are rounded to 1e-6 by the grader; ranges are written in halves and quarters


def load(ps: str) -> dict[str, dict]:
    """The entries of tests/mutants/<ps>.toml, by name."""
    return tomllib.loads((CORPUS / f"{ps}.toml").read_text(encoding="utf-8"))


def all_entries() -> list[tuple[str, str, dict]]:
    """(problem set, entry name, entry) for the whole corpus, in file order."""
    return [(ps, name, e) for ps in PROBLEM_SETS for name, e in load(ps).items()]


@functools.cache
def notebook(ps: str) -> nbformat.NotebookNode:
    return nbformat.read(source_path(PROBLEM_SETS[ps][0]), 4)


def is_correct(entry: dict) -> bool:
    """A correct-but-unusual answer: it must earn every point, with no hint at all."""
    return not entry["hint"]


def mutate(nb: nbformat.NotebookNode, entry: dict) -> nbformat.NotebookNode:
    """The solution notebook with the entry's text replaced (each ``old`` must be found in exactly
    one answer cell, and in no test cell) and its extra cell, if any, after cell ``after``."""
    nb = copy.deepcopy(nb)
    for old, new in entry.get("replace", []):
        answers = [c for c in nb.cells if c.cell_type == "code" and not _is_test(c)]
        hits = [c for c in answers if old in c.source]
        assert hits, f"text to replace not found in any answer cell: {old!r}"
        assert len(hits) == 1, f"text to replace is in {len(hits)} answer cells: {old!r}"
        assert not any(old in c.source for c in nb.cells if _is_test(c)), old
        for c in hits:
            c.source = c.source.replace(old, new)
    if "code" in entry:
        i = next(i for i, c in enumerate(nb.cells) if grade_id(c) == entry["after"])
        nb.cells.insert(i + 1, nbformat.v4.new_code_cell(entry["code"]))
    return nb


def _is_test(cell) -> bool:
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("grade"))


def hint_text(report: str) -> str:
    """The explanations in a report: every line but the title and the ✓/✗ lines (a sub-check's
    own name does not count as a hint)."""
    lines = report.splitlines()[1:]
    return "\n".join(x for x in lines if "✓" not in x and "✗" not in x)


def grade(ps: str, entry: dict) -> dict[str, tuple[float, str, float]]:
    """Grade the entry's item alone: kind ("visible" | "hidden") → (score, report, seconds)."""
    nb = mutate(notebook(ps), entry)
    visible, hidden, _ = graded_cells(nb)[entry["item"]]
    ns = answer_namespace(nb)
    out = {}
    for kind, call in (("visible", visible), ("hidden", hidden)):
        start = time.perf_counter()
        value, report = score(call, ns, PROBLEM_SETS[ps][1])
        out[kind] = (value, report, time.perf_counter() - start)
    return out


def missing_words(entry: dict, report: str) -> list[str]:
    """The entry's hint words that the report's explanations lack (case-insensitive; "a|b" is
    satisfied by either spelling)."""
    text = hint_text(report).lower()
    return [w for w in entry["hint"] if not any(a.lower() in text for a in w.split("|"))]


def problems(ps: str, entry: dict, results: dict) -> list[str]:
    """What is wrong with the grader's verdict on this entry (empty: the TA agrees). A run that
    loses points must name the bug with every hint word."""
    found = []
    full = graded_cells(notebook(ps))[entry["item"]][2]
    for kind, (value, report, _) in results.items():
        lo, hi = entry.get(f"{kind}_points", entry["points"])
        if not (type(value) is float and lo - EPS <= value <= hi + EPS):
            found.append(f"{kind}: {value!r} is outside [{lo:g}, {hi:g}]")
        lost = not isinstance(value, float) or value < full - EPS
        if lost and (missing := missing_words(entry, report)):
            found.append(f"{kind}: hint lacks {missing}")
        if is_correct(entry) and "✗" in report:
            found.append(f"{kind}: a correct answer is marked ✗")
    return found


def _param(ps: str, name: str, entry: dict):
    marks = [pytest.mark.slow] if entry.get("slow") else []
    return pytest.param(ps, name, id=f"{ps}-{name}", marks=marks)


ENTRIES = all_entries()


@pytest.mark.parametrize("ps,name", [_param(ps, n, e) for ps, n, e in ENTRIES])
def test_mutant_gets_what_a_ta_gives(ps, name):
    entry = load(ps)[name]
    results = grade(ps, entry)
    found = problems(ps, entry, results)
    reports = "\n".join(f"--- {k}\n{r}" for k, (_, r, _) in results.items())
    assert not found, f"{entry['why']}\n" + "\n".join(found) + "\n" + reports


def test_corpus_is_well_formed():
    """Every entry names a graded item, a range inside its points, a pattern and a reason; the
    corpus covers every item with at least 60 bugs and 12 correct-but-unusual answers."""
    keys = {"item", "replace", "code", "after", "points", "hidden_points", "visible_points"}
    keys |= {"hint", "why", "pattern", "slow"}
    bugs = correct = 0
    for ps, name, e in ENTRIES:
        cells = graded_cells(notebook(ps))
        assert e["item"] in cells, (ps, name, e["item"])
        assert set(e) <= keys, (ps, name, set(e) - keys)
        assert e["why"] and e["pattern"], (ps, name)
        full = cells[e["item"]][2]
        for k in ("points", "visible_points", "hidden_points"):
            if k in e:
                lo, hi = e[k]
                assert 0 <= lo <= hi <= full, (ps, name, k, e[k], full)
        if is_correct(e):
            correct += 1
            assert e["points"] == [full, full] and "hidden_points" not in e, (ps, name)
        else:
            bugs += 1
            assert e["points"][0] < full, (ps, name, "a bug must be able to cost something")
    assert bugs >= 60 and correct >= 12, (bugs, correct)
    covered = {(ps, e["item"]) for ps, _, e in ENTRIES if not is_correct(e)}
    for ps in PROBLEM_SETS:
        for item in graded_cells(notebook(ps)):
            assert (ps, item) in covered, f"no wrong answer for {ps} {item}"
    assert sum(e["item"] == "fit_digits_test" for _, _, e in ENTRIES) <= 2


# --- correct-but-unusual answers are correct: checked against the solution and by finite
# differences here, independently of the grader (which could be lenient) -----------------------
def _fd(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """∂f/∂x by central differences, one coordinate at a time (not course.gradcheck's)."""
    x, g = x.astype(np.float64), np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        up = f(x)
        x[i] = old - eps
        g[i] = (up - f(x)) / (2 * eps)
        x[i] = old
    return g


def _maths(name: str, params: dict) -> Callable:
    """The module's function written in autograd.numpy, for an independent autodiff gradient."""
    import autograd.numpy as anp

    def log_softmax(t):
        m = anp.max(t, axis=1, keepdims=True)
        return t - m - anp.log(anp.sum(anp.exp(t - m), axis=1, keepdims=True))

    def onehot(target, k):
        target = np.asarray(target)
        return target if target.ndim == 2 else np.eye(k)[target]

    return {
        "Linear": lambda t: t @ params["weight"].T + params["bias"],
        "ReLU": lambda t: anp.maximum(t, 0.0),
        "PReLU": lambda t: anp.where(t > 0, t, params.get("slope", 0.0) * t),
        "Sigmoid": lambda t: 1.0 / (1.0 + anp.exp(-t)),
        "Tanh": anp.tanh,
        "Softmax": lambda t: anp.exp(log_softmax(t)),
        "SoftmaxCrossEntropy": lambda t, y: (
            -anp.sum(onehot(y, t.shape[1]) * log_softmax(t)) / t.shape[0]
        ),
        "EuclideanLoss": lambda t, y: 0.5 * anp.sum((t - y) ** 2) / t.shape[0],
    }[name]


def _module_pairs(ref: Any, got: Any, args: tuple, rng: np.random.Generator) -> list[tuple]:
    """(what, reference value, entry's value) for forward, backward and parameter gradients, and
    the entry's backward against autograd and finite differences of its own forward."""
    from autograd import grad

    for k, v in getattr(ref, "params", {}).items():
        got.params[k][...] = v
    pairs = [("forward", ref.forward(*args), got.forward(*args))]
    loss = len(args) == 2
    g = 0.7 if loss else rng.normal(size=np.shape(pairs[0][1]))
    pairs.append(("backward", ref.backward(g), got.backward(g)))
    pairs += [(f"grads[{k}]", ref.grads[k], got.grads[k].copy()) for k in getattr(ref, "grads", {})]
    x, rest = args[0], args[1:]
    f = (lambda t: g * got.forward(t, *rest)) if loss else (lambda t: (g * got.forward(t)).sum())
    numeric = _fd(f, x)
    got.forward(*args)  # the finite differences left a perturbed input in its cache
    mine = got.backward(g)
    pairs.append(("backward vs finite differences", numeric, mine, FD_TOL))
    maths = _maths(type(ref).__name__, getattr(ref, "params", {}))
    auto = grad(lambda t: anp_sum(g * maths(t, *rest)))(x)
    pairs.append(("backward vs autograd", auto, mine))
    return pairs


def anp_sum(t: Any) -> Any:
    import autograd.numpy as anp

    return anp.sum(t)


def _pairs(ps: str, item: str, ref: dict, ns: dict) -> list[tuple]:
    """What to compare for one item's correct-but-unusual answer."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(5, 4)) * 2
    z = np.vstack([x, x[0] + 1000.0])
    labels = rng.integers(0, 4, 6)
    if ps == "ps1":
        from autograd import elementwise_grad as egrad
        from autograd import grad as agrad

        t = np.concatenate([x.ravel(), [-1000.0, -40.0, 0.0, 40.0, 1000.0]])
        act, grad = {"sigmoid_check": ("sigmoid", "sigmoid_grad_from_output"),
                     "tanh_check": ("tanh", "tanh_grad_from_output")}.get(item, (None, None))  # fmt: skip
        if act:
            y, maths = ref[act](x.ravel()), _maths(act.capitalize(), {})
            fd = _fd(lambda u: ns[act](u).sum(), x.ravel())
            auto = egrad(maths)(x.ravel())
            return [(act, ref[act](t), ns[act](t)), (grad, ref[grad](y), ns[grad](y)),
                    (f"{grad} vs finite differences", fd, ns[grad](y), FD_TOL),
                    (f"{grad} vs autograd", auto, ns[grad](y))]  # fmt: skip
        if item == "backward_check":
            return _backward_pairs(ref, ns)
        p, ce, grad = ref["softmax"](z), ref["cross_entropy"], "softmax_ce_grad"
        loss = lambda u: ce(ref["softmax"](u), labels[:5])  # noqa: E731
        if item == "softmax_check":
            return [("softmax", p, ns["softmax"](z.copy()))]
        if item == "ce_check":
            return [("cross_entropy", ce(p, labels), ns["cross_entropy"](p.copy(), labels))]
        auto = agrad(lambda u: _maths("SoftmaxCrossEntropy", {})(u, labels))(z)
        return [(grad, ref[grad](z, labels), ns[grad](z.copy(), labels)),
                (f"{grad} vs autograd", auto, ns[grad](z.copy(), labels)),
                (f"{grad} vs finite differences", _fd(loss, x), ns[grad](x, labels[:5]), FD_TOL)]  # fmt: skip
    if ps == "ps2":
        name, args = {
            "linear_test": ("Linear", (x,)), "relu_test": ("ReLU", (x,)),
            "sigmoid_test": ("Sigmoid", (x,)), "tanh_test": ("Tanh", (x,)),
            "softmax_test": ("Softmax", (x,)),
            "softmax_ce_test": ("SoftmaxCrossEntropy", (x, labels[:5])),
            "euclidean_test": ("EuclideanLoss", (x, rng.normal(size=(5, 4)))),
            "prelu_test": ("PReLU", (x,)),
        }[item]  # fmt: skip
        made = {"Linear": (4, 3), "PReLU": (4, -0.3)}.get(name, ())
        pairs = _module_pairs(ref[name](*made), ns[name](*made), args, rng)
        if name == "SoftmaxCrossEntropy":  # one-hot rows too
            onehot = (x, np.eye(4)[labels[:5]])
            pairs += _module_pairs(ref[name](), ns[name](), onehot, rng)
        return pairs
    return _ps3_pairs(item, ref, ns)


def _backward_pairs(ref: dict, ns: dict) -> list[tuple]:
    """ps1 backward(root) on a graph with fan-out and paths of two lengths, called twice, against
    the solution and autograd."""
    import autograd.numpy as anp
    from autograd import grad

    def f(a, b, value=anp):
        u = a * b
        h = value.tanh(u) if value is anp else u.tanh()
        return (h * a + value.exp(b) if value is anp else h * a + b.exp()) * h + u

    out = []
    for space in (ref, ns, ns):  # the entry twice: a second call must give the same gradients
        a, b = ns["Value"](0.7), ns["Value"](-1.3)
        space["backward"](f(a, b, value=None))
        out.append(np.array([a.grad, b.grad]))
    auto = np.array([grad(f, 0)(0.7, -1.3), grad(f, 1)(0.7, -1.3)])
    return [("backward", out[0], out[1]), ("a second call", out[0], out[2]),
            ("backward vs autograd", auto, out[1])]  # fmt: skip


def _ps3_pairs(item: str, ref: dict, ns: dict) -> list[tuple]:
    """ps3: the optimiser's parameter path, the trained parameters, the gradient-check errors on
    a network with one planted wrong gradient, and the network's wiring."""
    from course.data import make_blobs
    from course.modules import Linear, Sequential, SoftmaxCrossEntropy, Tanh

    rng = np.random.default_rng(9)
    if item == "momentum_sgd_test":
        paths = []
        for space in (ref, ns):
            net = Sequential(Linear(2, 3, rng=7), Linear(3, 1, rng=8))
            opt, path = space["MomentumSGD"](net, 0.1, 0.7), []
            for step in range(4):
                opt.zero_grad()
                for g in net.grads.values():
                    g += np.random.default_rng(step).normal(size=g.shape)
                opt.step()
                path.append(np.concatenate([p.ravel() for p in net.params.values()]))
            paths.append(np.array(path))
        return [("parameters after each step", *paths)]
    if item == "train_epochs_test":
        xb, yb = make_blobs(40, 3, seed=0)
        trained = []
        for space in (ref, ns):
            net = Sequential(Linear(2, 3, rng=0))
            opt = ref["MomentumSGD"](net, 0.1, 0.5)
            space["train_epochs"](net, SoftmaxCrossEntropy(), opt, xb, yb, 3, 16,
                                  np.random.default_rng(0))  # fmt: skip
            trained.append(np.concatenate([p.ravel() for p in net.params.values()]))
        return [("trained parameters", *trained)]
    if item == "network_gradcheck_test":

        class Off(Linear):  # a planted wrong weight gradient
            def backward(self, grad_out):
                dx = super().backward(grad_out)
                self.grads["weight"] += 1e-3 * self.params["weight"]
                return dx

        x, y = rng.normal(size=(6, 4)), rng.integers(0, 3, 6)
        errs = []
        for space in (ref, ns):
            net = Sequential(Off(4, 5, rng=1), Tanh(), Linear(5, 3, rng=2))
            out = space["network_gradcheck"](net, SoftmaxCrossEntropy(), x, y)
            errs.append(np.array([np.log10(out[k]) for k in sorted(out)]))
        return [("log10 of the errors", errs[0], errs[1], (0.05, 0.0))]
    if item == "build_mlp_test":
        x, pairs = rng.normal(size=(6, 5)), []
        for act, f in (("relu", lambda t: np.maximum(t, 0)), ("tanh", np.tanh)):
            model = ns["build_mlp"]([5, 7, 4, 3], act, 2)
            p = model.params
            h = x
            for i in (0, 2, 4):
                h = h @ p[f"{i}.weight"].T + p[f"{i}.bias"]
                h = f(h) if i < 4 else h
            pairs.append((f"{act} network", h, model.forward(x)))
        return pairs
    return []  # fit_digits: the grader's own accuracy is the check


@pytest.mark.parametrize(
    "ps,name", [pytest.param(ps, n, id=f"{ps}-{n}") for ps, n, e in ENTRIES if is_correct(e)]
)
def test_correct_answer_agrees_with_the_solution(ps, name):
    entry = load(ps)[name]
    ref, ns = answer_namespace(notebook(ps)), answer_namespace(mutate(notebook(ps), entry))
    with np.errstate(all="ignore"):
        pairs = _pairs(ps, entry["item"], ref, ns)
    if entry["item"] != "fit_digits_test":
        assert pairs, name
    for what, want, got, *tol in pairs:
        rtol, atol = tol[0] if tol else (1e-9, 1e-12)
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=what)


# --- the report for the lead: every failing entry, grouped by pattern --------------------------
def _row(ps: str, name: str, entry: dict, results: dict) -> str:
    def pts(kind: str) -> str:
        return f"{results[kind][0]:g}"

    lo, hi = entry["points"]
    want = f"[{lo:g}, {hi:g}]"
    if "hidden_points" in entry:
        want += " / hidden [{:g}, {:g}]".format(*entry["hidden_points"])
    full = graded_cells(notebook(ps))[entry["item"]][2]
    lost = [r for v, r, _ in results.values() if not isinstance(v, float) or v < full - EPS]
    missing = sorted({w for report in lost for w in missing_words(entry, report)})
    firsts = []
    for kind in ("visible", "hidden"):
        lines = results[kind][1].splitlines()
        for i, line in enumerate(lines):
            if "✗" in line:
                why = lines[i + 1].strip() if i + 1 < len(lines) else ""
                firsts.append(f"{kind}: {line.strip()} — {why}")
                break
    cell = "<br>".join(x.replace("|", "\\|") for x in firsts) or "(no ✗)"
    return (
        f"| {ps}-{name} | {pts('visible')} | {pts('hidden')} | {want} | "
        f"{', '.join(missing).replace('|', ' or ') or '—'} | {cell} |"
    )


def write_report(path: Path) -> None:
    """Grade the whole corpus and write the failures, grouped by pattern, to ``path``."""
    groups: dict[str, list[str]] = {}
    tally: dict[str, list[int]] = {}  # pattern → [entries, passing]
    count = {"bugs": 0, "correct": 0, "bugs ok": 0, "correct ok": 0}
    per_ps: dict[str, int] = {}
    seconds = 0.0
    for ps, name, entry in ENTRIES:
        results = grade(ps, entry)
        seconds += sum(t for _, _, t in results.values())
        found = problems(ps, entry, results)
        kind = "correct" if is_correct(entry) else "bugs"
        count[kind] += 1
        count[f"{kind} ok"] += not found
        per_ps[ps] = per_ps.get(ps, 0) + 1
        t = tally.setdefault(entry["pattern"], [0, 0])
        t[0], t[1] = t[0] + 1, t[1] + (not found)
        if found:
            row = _row(ps, name, entry, results)
            groups.setdefault(entry["pattern"], []).append(row + f" {entry['why']} |")
    head = [
        "# Mutant corpus against the current grader",
        "",
        f"Entries: {', '.join(f'{k} {v}' for k, v in per_ps.items())}; "
        f"{count['bugs']} bugs ({count['bugs ok']} get a TA's range and hint), "
        f"{count['correct']} correct-but-unusual ({count['correct ok']} get full marks). "
        f"Grading time {seconds:.0f} s. Written {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
        " against the grader in this working tree.",
        "",
        "Failing entries by pattern (scores visible / hidden; the TA's range; hint words missing; "
        "the first ✗ line of each report and its message).",
    ]
    body = ["", "| pattern | entries | pass |", "|---|---|---|"]
    body += [f"| {p} | {n} | {ok} |" for p, (n, ok) in sorted(tally.items())]
    for pattern in sorted(groups):
        body += ["", f"## {pattern} ({len(groups[pattern])})", ""]
        body += ["| entry | vis | hid | TA range | missing hint | first ✗ | why |"]
        body += ["|---|---|---|---|---|---|---|", *groups[pattern]]
    path.write_text("\n".join(head + body) + "\n", encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) > 2:  # a held-out corpus in a folder of tests/mutants/
        CORPUS = CORPUS / sys.argv[2]
        ENTRIES[:] = all_entries()
    write_report(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/mutants_report.md"))
