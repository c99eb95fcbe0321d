"""The explorers' numbers follow the theory, driven through their widget controls, with no frontend.

Each check compares against something computed independently (a Gaussian tail, a symmetry of the
activations, a plain Sequential.backward), never against a number copied from a run.
"""

from __future__ import annotations

import math

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

from course.modules import SoftmaxCrossEntropy
from course.widgets import (
    GradientFlowExplorer,
    SaturationExplorer,
    build_mlp,
    gradient_flow_explorer,
    gradient_flow_stats,
    saturation_explorer,
    saturation_stats,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def sat() -> SaturationExplorer:
    return saturation_explorer()


@pytest.fixture(scope="module")
def flow() -> GradientFlowExplorer:
    return gradient_flow_explorer()


# --- saturation explorer ------------------------------------------------------------------------
def test_sigmoid_saturation_rises_with_weight_scale(sat: SaturationExplorer) -> None:
    sat.set(activation="sigmoid", bias=0.0, input_spread=1.0)
    fractions, means = [], []
    for scale in (0.5, 1.0, 2.0, 4.0, 8.0):
        sat.controls["weight_scale"].value = scale
        fractions.append(sat.stats.saturated_fraction)
        means.append(sat.stats.mean_derivative)
    assert fractions[1] < 0.01, "at unit scale z ~ N(0, 1) almost never reaches |z| > 6"
    assert all(a <= b for a, b in zip(fractions, fractions[1:], strict=False)), fractions
    assert fractions[-1] > 0.3
    assert all(a > b for a, b in zip(means, means[1:], strict=False)), means
    assert max(means) <= 0.25, "σ′ ≤ 1/4 everywhere"


@pytest.mark.parametrize("scale", [2.0, 4.0, 6.0])
def test_sigmoid_saturated_fraction_matches_gaussian_tail(scale: float) -> None:
    # z ≈ N(0, scale²); σ′(z) < 1% of 1/4 exactly when |z| > z*, with σ(z*)(1 − σ(z*)) = 1/400.
    p = (1 + math.sqrt(1 - 4 / 400)) / 2
    z_star = math.log(p / (1 - p))
    predicted = math.erfc(z_star / (scale * math.sqrt(2)))
    measured = saturation_stats("sigmoid", weight_scale=scale).saturated_fraction
    assert measured == pytest.approx(predicted, abs=0.03)


def test_tanh_at_scale_s_saturates_like_sigmoid_at_2s() -> None:
    # tanh(z) = 2σ(2z) − 1, so tanh′(z) = 4σ′(2z): the same 1%-of-max test on the doubled z.
    for s in (0.5, 1.5, 3.0):
        t = saturation_stats("tanh", weight_scale=s)
        g = saturation_stats("sigmoid", weight_scale=2 * s)
        assert t.saturated_fraction == pytest.approx(g.saturated_fraction, abs=1e-3)
        assert t.mean_derivative == pytest.approx(4 * g.mean_derivative, rel=1e-9)


def test_bias_pushes_sigmoid_into_saturation_symmetrically() -> None:
    at = {b: saturation_stats("sigmoid", bias=b).saturated_fraction for b in (-6.0, 0.0, 6.0)}
    assert at[0.0] < 0.01
    assert at[6.0] > 0.4 and at[-6.0] > 0.4, "z ~ N(±6, 1) sits on the threshold |z| ≈ 6"
    assert at[6.0] == pytest.approx(at[-6.0], abs=0.03), "σ′ is even"


def test_dead_relus_follow_the_gaussian_cdf_and_leaky_relu_never_dies(
    sat: SaturationExplorer,
) -> None:
    sat.set(activation="relu", weight_scale=1.0, input_spread=1.0, bias=0.0)
    assert sat.stats.saturated_fraction == pytest.approx(0.5, abs=0.03)
    for b in (-2.0, -1.0, 1.0):
        sat.controls["bias"].value = b
        dead = 0.5 * math.erfc(b / math.sqrt(2))  # P(z < 0) for z ~ N(b, 1)
        assert sat.stats.saturated_fraction == pytest.approx(dead, abs=0.03)
    relu_dead = saturation_stats("relu", bias=-2.0).saturated_fraction
    leaky = saturation_stats("leaky ReLU", bias=-2.0)
    assert leaky.saturated_fraction < 0.01 < relu_dead
    assert leaky.derivatives.min() > 0, "a leaky ReLU always passes some gradient"


def test_peak_derivatives_come_from_the_modules() -> None:
    assert saturation_stats("sigmoid").max_derivative == pytest.approx(0.25)
    for name in ("tanh", "relu", "leaky_relu"):
        assert saturation_stats(name).max_derivative == pytest.approx(1.0)


def test_saturation_widget_updates_picture_and_readout(sat: SaturationExplorer) -> None:
    sat.set(activation="sigmoid", weight_scale=1.0, bias=0.0, input_spread=1.0)
    before_png, before_text, n = sat.png, sat.readout.value, sat.n_updates
    assert before_png.startswith(PNG_MAGIC)
    sat.controls["input_spread"].value = 3.0
    assert sat.n_updates == n + 1
    assert sat.png.startswith(PNG_MAGIC) and sat.png != before_png
    assert sat.readout.value != before_text
    assert f"{100 * sat.stats.saturated_fraction:.1f}%" in sat.readout.value
    assert sat.state == {
        "activation": "sigmoid",
        "weight_scale": 1.0,
        "bias": 0.0,
        "input_spread": 3.0,
    }
    sat.set(weight_scale=2.0, bias=1.0)
    assert sat.n_updates == n + 2, "set() changes several controls with one update"


def test_saturation_bad_input_is_named() -> None:
    with pytest.raises(ValueError, match="softplus.*sigmoid"):
        saturation_explorer(activation="softplus")
    with pytest.raises(ValueError, match="weight_scale must be a positive number"):
        saturation_stats("sigmoid", weight_scale=-1.0)
    with pytest.raises(ValueError, match="unknown control"):
        saturation_explorer().set(learning_rate=0.1)


# --- gradient-flow explorer ---------------------------------------------------------------------
def test_sigmoid_layer1_gradient_vanishes_with_depth(flow: GradientFlowExplorer) -> None:
    flow.set(activation="sigmoid", init="xavier", init_scale=1.0, width=64)
    first = []
    for depth in (2, 5, 10, 20):
        flow.controls["depth"].value = depth
        assert flow.stats.depth == depth
        first.append((flow.stats.weight_grad_norms[0], flow.stats.activation_grad_norms[0]))
    for series in zip(*first, strict=True):
        assert all(a > b for a, b in zip(series, series[1:], strict=False)), series
        assert series[-1] < 1e-6 * series[0]
    assert "vanishing" in flow.readout.value


def test_sigmoid_gradient_shrinks_layer_after_layer() -> None:
    norms = gradient_flow_stats(depth=15, activation="sigmoid").activation_grad_norms
    ratios = norms[:-1] / norms[1:]
    # σ′ ≤ 1/4 and Xavier keeps ‖Wᵀv‖ ≈ ‖v‖: every step back loses at least a factor of 2.
    assert (ratios < 0.5).all(), ratios


def test_relu_with_he_init_keeps_gradients_level(flow: GradientFlowExplorer) -> None:
    flow.set(activation="relu", init="he", init_scale=1.0, depth=20, width=64)
    for norms in (flow.stats.weight_grad_norms, flow.stats.activation_grad_norms):
        assert norms.max() / norms.min() < 10, norms
    assert 0.1 < flow.stats.first_to_last < 10
    assert "roughly level" in flow.readout.value
    # He init keeps E[h²] level too (Var(z) = 2/n · n · E[z²]/2).
    std = flow.stats.activation_std
    assert std.max() / std.min() < 3, std


def test_relu_init_scale_tips_into_exploding_or_vanishing(flow: GradientFlowExplorer) -> None:
    # ReLU passes half the units with slope 1 and He's std √(2/n) makes that exactly level, so
    # scaling every W by s multiplies the backpropagated gradient by about s per layer.
    for scale in (1.5, 0.5):
        flow.set(activation="relu", init="he", depth=20, init_scale=scale)
        expected = scale**19  # from layer L down to layer 1
        assert flow.stats.first_to_last == pytest.approx(expected, rel=0.5)
        assert ("exploding" if scale > 1 else "vanishing") in flow.readout.value


def test_tanh_passes_more_gradient_than_sigmoid() -> None:
    kw = dict(depth=10, init="xavier")
    assert (
        gradient_flow_stats(activation="tanh", **kw).first_to_last
        > 100 * gradient_flow_stats(activation="sigmoid", **kw).first_to_last
    )


def test_norms_match_a_plain_sequential_backward() -> None:
    stats = gradient_flow_stats(depth=6, width=32, init="lecun", activation="tanh", seed=3)
    net = build_mlp(6, 32, "lecun", 1.0, "tanh", seed=3)
    rng = np.random.default_rng(4)  # the stats draw their batch from seed + 1
    x, labels = rng.standard_normal((128, 32)), rng.integers(0, 10, size=128)
    loss = SoftmaxCrossEntropy()
    assert loss(net(x), labels) == pytest.approx(stats.loss)
    net.backward(loss.backward())
    expected = [np.linalg.norm(net.grads[f"{2 * i}.weight"]) for i in range(6)]
    np.testing.assert_allclose(stats.weight_grad_norms, expected, rtol=1e-12)


def test_gradient_flow_widget_updates_picture(flow: GradientFlowExplorer) -> None:
    flow.set(activation="sigmoid", init="xavier", init_scale=1.0, depth=10, width=64)
    before = flow.png
    flow.controls["width"].value = 128
    assert flow.png.startswith(PNG_MAGIC) and flow.png != before
    assert len(flow.stats.activations) == 10 and flow.stats.activations[0].shape == (128, 128)


def test_gradient_flow_bad_input_is_named() -> None:
    with pytest.raises(ValueError, match="unknown init scheme 'glorot'"):
        gradient_flow_stats(init="glorot")
    with pytest.raises(ValueError, match="depth must be an int >= 1"):
        gradient_flow_stats(depth=0)


def test_init_defaults_to_the_activation_and_says_so() -> None:
    for activation, scheme, name in (("relu", "he", "He"), ("leaky ReLU", "he", "He"),
                                     ("sigmoid", "xavier", "Xavier"), ("tanh", "xavier", "Xavier")):  # fmt: skip
        g = gradient_flow_explorer(activation=activation)
        assert g.state["init"] == "auto" and g.stats.init == scheme and g.stats.auto_init
        # The same numbers as asking for that scheme by name.
        named = gradient_flow_stats(activation=activation, init=scheme)
        np.testing.assert_array_equal(g.stats.activation_grad_norms, named.activation_grad_norms)
        assert f"init <b>{name}</b> (auto" in g.readout.value, g.readout.value
    # With the default, ReLU's gradient reaches layer 1 at about the size it left layer L (the
    # old Xavier default lost a factor of 19 over 10 layers).
    assert 0.3 < gradient_flow_stats(activation="relu").first_to_last < 3
    g.set(init="xavier")
    assert "auto" not in g.readout.value and "<b>Xavier</b>" in g.readout.value


def test_depth_and_loss_are_on_separate_readout_lines(flow: GradientFlowExplorer) -> None:
    flow.set(activation="tanh", init="auto", init_scale=1.0, depth=12, width=64)
    lines = flow.readout.value.split("<br>")
    assert len(lines) == 2
    for line in lines:  # the depth L and the loss ℒ look alike: never side by side
        assert not ("ℒ" in line and ("L =" in line or "ᴸ" in line)), line
    assert "L = 12" in lines[0] and "h⁽¹²⁾" in lines[1]


def test_heatmap_has_a_row_per_layer_and_no_empty_band(flow: GradientFlowExplorer) -> None:
    from io import BytesIO

    from PIL import Image

    for depth in (18, 7, 40):
        flow.set(activation="relu", init="auto", init_scale=1.0, depth=depth, width=64)
        ax = flow._ax_h
        for ticks in (flow._x_ticks, flow._y_ticks):  # layer numbers on both panels
            shown = ticks.shown
            assert shown and 1 <= min(shown) and max(shown) <= depth and max(shown) > 0.6 * depth
            # at the row centres, give or take half a pixel (labels sit on whole pixels)
            np.testing.assert_allclose(ticks.positions(), (np.array(shown) - 0.5) / depth,
                                       atol=0.5 / 200)  # fmt: skip
        assert flow._ax_n.get_xlim() == (0.5, depth + 0.5)  # the norm plot's x axis: layers 1..L
        rgb = np.asarray(Image.open(BytesIO(flow.png)).convert("RGB")).astype(int)
        # The heatmap's inside, in pixels (y counted from the top of the PNG), a pixel in from
        # the frame. An empty band would be rows of the axes' white background.
        x0, y0, x1, y1 = np.round(ax.get_window_extent().extents).astype(int)
        h = rgb.shape[0]
        inside = rgb[h - y1 + 2 : h - y0 - 2, x0 + 2 : x1 - 2]
        white_rows = (inside > 245).all(axis=2).all(axis=1)
        assert not white_rows.any(), f"depth {depth}: {white_rows.sum()} empty pixel rows"


def test_layer_histograms_match_numpy_histogram() -> None:
    from course.widgets.gradient_flow import _H_BINS, _layer_histograms

    rng = np.random.default_rng(5)
    layers = [rng.normal(0.4, 0.5, (32, 16)) for _ in range(7)]
    layers[2][0, :3] = (0.0, 1.0, 1.5)  # both edges and a value outside
    got = _layer_histograms(layers, 0.0, 1.0)
    want = [np.histogram(h, bins=_H_BINS, range=(0.0, 1.0))[0] for h in layers]
    np.testing.assert_array_equal(got, want)


def test_rescaled_cached_network_equals_a_fresh_one() -> None:
    # The explorer rescales cached draws instead of drawing again: same numbers as build_mlp.
    for scale in (0.5, 1.7, 0.5):
        stats = gradient_flow_stats(depth=4, width=16, init="he", init_scale=scale,
                                    activation="relu", batch=8)  # fmt: skip
        net = build_mlp(4, 16, "he", scale, "relu")
        rng = np.random.default_rng(1)  # gradient_flow_stats draws its batch from seed + 1
        x, labels = rng.standard_normal((8, 16)), rng.integers(0, 10, size=8)
        loss = SoftmaxCrossEntropy()
        assert loss(net(x), labels) == stats.loss
        net.backward(loss.backward())
        want = [np.linalg.norm(net.grads[f"{2 * i}.weight"]) for i in range(4)]
        np.testing.assert_array_equal(stats.weight_grad_norms, want)


def _pixels(png: bytes) -> np.ndarray:
    from io import BytesIO

    from PIL import Image

    return np.asarray(Image.open(BytesIO(png)).convert("RGB")).astype(int)


@pytest.mark.parametrize(
    "make, moves",
    [
        (saturation_explorer, [("weight_scale", 1.1), ("weight_scale", 1.2), ("bias", 0.5)]),
        (gradient_flow_explorer, [("init_scale", 1.05), ("init_scale", 1.1), ("depth", 11),
                                  ("depth", 12), ("init_scale", 1.15), ("activation", "relu")]),
    ],
)  # fmt: skip
def test_fast_frames_equal_a_full_redraw(make, moves) -> None:
    # Every shortcut (cached backgrounds, reused tick strips, painted heatmap) must give the
    # picture a from-scratch draw of the same state gives.
    e = make()
    for control, value in moves:
        e.controls[control].value = value
        fast, full = _pixels(e.png), _pixels(e.redraw_full())
        differ = int((np.abs(fast - full).sum(axis=2) > 30).sum())
        assert differ <= 0.0005 * fast[..., 0].size, f"{control}={value}: {differ} pixels differ"


# --- headless, the way nbclient and nbgrader run them ---------------------------------------------
def test_explorers_run_in_a_kernel_with_no_frontend() -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "from course.widgets import saturation_explorer, gradient_flow_explorer\n"
            "s = saturation_explorer()\ns"
        ),
        nbformat.v4.new_code_cell(
            "g = gradient_flow_explorer()\ng.controls['depth'].value = 20\n"
            "s.controls['weight_scale'].value = 4.0\n"
            "print(g.stats.depth, s.stats.saturated_fraction > 0.05)\ng"
        ),
    ]
    NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    outputs = [o for c in nb.cells for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    views = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(views) == 2, "each explorer displays itself as a widget"
    assert "20 True" in "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
