"""Gradient-flow explorer: does the gradient survive the trip back through a deep MLP?

The network is Sequential(Linear, g, Linear, g, ..., Linear → n_classes) with ``depth`` hidden
layers, freshly initialised by course.init. One batch goes forward and the softmax cross-entropy
of random labels goes backward. By the chain rule ∂ℒ/∂h⁽ˡ⁻¹⁾ = W⁽ˡ⁾ᵀ (g′(z⁽ˡ⁾) ⊙ ∂ℒ/∂h⁽ˡ⁾), so each
layer multiplies the backpropagated gradient by roughly (weight std · √width) · E[g′]-ish: below
1 it vanishes geometrically with depth, above 1 it explodes.

The verdict uses ‖∂ℒ/∂h⁽ˡ⁾‖, the signal backprop passes down. The weight gradients
∂ℒ/∂W⁽ˡ⁾ = δ⁽ˡ⁾ᵀ h⁽ˡ⁻¹⁾ also carry the forward activations: in a ReLU net scaled by s per layer,
h grows like sˡ while δ shrinks like s⁻ˡ, so ‖∂ℒ/∂W⁽ˡ⁾‖ can look level while the signal explodes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
from matplotlib import colormaps
from matplotlib.ticker import FuncFormatter, NullLocator

from ..init import SCHEMES, init_std, make_rng
from ..modules import Linear, Sequential, SoftmaxCrossEntropy
from ._activations import DROPDOWN_OPTIONS, activation_key, activation_label, make_activation
from ._base import Explorer, new_figure
from ._ticks import LayerTicks

_H_BINS = 40
AUTO = "auto"
INIT_OPTIONS = [("auto: suits the activation", AUTO), ("He", "he"), ("Xavier", "xavier"),
                ("LeCun", "lecun")]  # fmt: skip
_INIT_NAMES = dict((key, label) for label, key in INIT_OPTIONS)
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
# The scheme each activation is usually paired with: He keeps a ReLU net's variance (half the
# units are off, so twice the weight variance); Xavier balances it for σ and tanh.
DEFAULT_INIT = {"relu": "he", "leaky_relu": "he", "sigmoid": "xavier", "tanh": "xavier"}
_TINY = 1e-300  # floor for log-scale plotting of exactly-zero norms (all units dead)


@dataclass(frozen=True)
class GradientFlowStats:
    """Per hidden layer l = 1..depth: weight-gradient norms, activation-gradient norms, activations."""

    activation: str
    init: str  # the scheme used ("auto" resolved)
    auto_init: bool  # True when the scheme was chosen for the activation
    weight_grad_norms: np.ndarray  # ‖∂ℒ/∂W⁽ˡ⁾‖_F, shape (depth,)
    activation_grad_norms: np.ndarray  # ‖∂ℒ/∂h⁽ˡ⁾‖_F, shape (depth,)
    activation_std: np.ndarray  # std of h⁽ˡ⁾, shape (depth,)
    activations: list[np.ndarray]  # h⁽ˡ⁾, each (batch, width)
    loss: float

    @property
    def depth(self) -> int:
        return len(self.weight_grad_norms)

    @property
    def first_to_last(self) -> float:
        """‖∂ℒ/∂h⁽¹⁾‖ / ‖∂ℒ/∂h⁽ᴸ⁾‖: ≪ 1 means the gradient vanishes on its way down, ≫ 1 explodes."""
        a = self.activation_grad_norms
        return float(a[0] / max(a[-1], _TINY))


def init_for(init: str, activation: str) -> str:
    """The weight-init scheme to use: ``init`` itself, or for "auto" the usual one for the
    activation (He for the ReLU family, Xavier for sigmoid and tanh)."""
    if init == AUTO:
        return DEFAULT_INIT[activation_key(activation)]
    if init not in SCHEMES:
        raise ValueError(f"unknown init scheme {init!r}; expected {AUTO!r} or one of {SCHEMES}")
    return init


def _check(depth, width, n_classes, init, init_scale, activation) -> tuple[str, float]:
    """Validate the network's settings; return the init scheme ("auto" resolved) and scale."""
    for name, v, lo in (("depth", depth, 1), ("width", width, 1), ("n_classes", n_classes, 2)):
        if not isinstance(v, int | np.integer) or v < lo:
            raise ValueError(f"{name} must be an int >= {lo}; got {v!r}")
    scale = float(init_scale)
    if not np.isfinite(scale) or scale <= 0:
        raise ValueError(f"init_scale must be a positive number; got {init_scale!r}")
    return init_for(init, activation), scale


@functools.lru_cache(maxsize=4)
def _network(depth: int, width: int, activation: str, n_classes: int, seed: int):
    """A build_mlp network and its standard-normal weight draws, in build_mlp's order. A slider
    move changes only the scale of the weights (Wᵢ = std · scale · Zᵢ, the same numbers
    ``rng.normal(0, std · scale)`` gives), so the explorer rescales these instead of redrawing."""
    net = build_mlp(depth, width, "lecun", 1.0, activation, n_classes, seed)
    rng = make_rng(seed)
    draws = [rng.standard_normal(m.params["weight"].shape) for m in net.layers[::2]]
    return net, draws


def build_mlp(
    depth: int,
    width: int,
    init: str = AUTO,
    init_scale: float = 1.0,
    activation: str = "sigmoid",
    n_classes: int = 10,
    seed: int = 0,
) -> Sequential:
    """Sequential of ``depth`` (Linear(width, width) + activation) blocks and a Linear output layer.

    One generator draws every layer in order, so layer 1's weights stay the same as depth grows.
    """
    init, scale = _check(depth, width, n_classes, init, init_scale, activation)
    rng = make_rng(seed)
    layers = []
    for _ in range(depth):
        layers += [Linear(width, width, init=init, rng=rng, init_scale=scale),
                   make_activation(activation)]  # fmt: skip
    layers.append(Linear(width, n_classes, init=init, rng=rng, init_scale=scale))
    return Sequential(*layers)


def gradient_flow_stats(
    depth: int = 10,
    width: int = 64,
    init: str = AUTO,
    init_scale: float = 1.0,
    activation: str = "sigmoid",
    *,
    batch: int = 128,
    n_classes: int = 10,
    seed: int = 0,
) -> GradientFlowStats:
    """Forward a standard-normal batch with random labels, backprop the loss, and measure each layer.

    ``init="auto"`` picks the scheme that suits the activation (He for ReLU, Xavier for σ/tanh);
    ``stats.init`` says which one was used."""
    key = activation_key(activation)
    auto = init == AUTO
    init, scale = _check(depth, width, n_classes, init, init_scale, key)
    net, draws = _network(int(depth), int(width), key, int(n_classes), int(seed))
    for lin, z in zip(net.layers[::2], draws, strict=True):
        np.multiply(z, scale * init_std(init, lin.in_features, lin.out_features),
                    out=lin.params["weight"])  # fmt: skip
        lin.zero_grad()
    rng = make_rng(seed + 1)
    x = rng.standard_normal((batch, width))
    labels = rng.integers(0, n_classes, size=batch)
    loss_fn = SoftmaxCrossEntropy()

    # Sequential's own loops, unrolled so we can keep every h⁽ˡ⁾ and ∂ℒ/∂h⁽ˡ⁾ along the way.
    hs = []
    h = x
    for m in net.layers:
        h = m(h)
        hs.append(h)
    loss = loss_fn(h, labels)
    grad = loss_fn.backward()
    grad_h = {}
    for i in reversed(range(1, len(net.layers))):
        grad_h[i] = grad  # ∂ℒ/∂(output of layer i)
        grad = net.layers[i].backward(grad)
    net.layers[0].backward(grad, input_grad=False)  # nobody looks at ∂ℒ/∂x

    act_idx = range(1, 2 * depth, 2)  # activation modules sit at odd positions
    lin_idx = range(0, 2 * depth, 2)
    return GradientFlowStats(
        activation=key,
        init=init,
        auto_init=auto,
        weight_grad_norms=np.array(
            [np.linalg.norm(net.layers[i].grads["weight"]) for i in lin_idx]
        ),
        activation_grad_norms=np.array([np.linalg.norm(grad_h[i]) for i in act_idx]),
        activation_std=np.array([hs[i].std() for i in act_idx]),
        activations=[hs[i] for i in act_idx],
        loss=float(loss),
    )


def _layer_histograms(activations: list[np.ndarray], lo: float, hi: float) -> np.ndarray:
    """Counts of each layer's values in _H_BINS equal bins over [lo, hi] (like np.histogram per
    layer: the top edge belongs to the last bin, values outside are left out), in one bincount."""
    depth = len(activations)
    t = (np.stack(activations).reshape(depth, -1) - lo) * (_H_BINS / (hi - lo))
    inside = (t >= 0) & (t <= _H_BINS)
    k = np.minimum(t, _H_BINS - 1).astype(np.intp) + (np.arange(depth) * _H_BINS)[:, None]
    counts = np.bincount(k[inside], minlength=depth * _H_BINS)
    return counts.reshape(depth, _H_BINS).astype(np.float64)


def _power_of_ten(v: float, _pos: object = None) -> str:
    """Tick label 10ⁿ for a power of ten, in Unicode superscripts."""
    return "10" + str(int(round(np.log10(v)))).translate(_SUPERSCRIPT).replace("-", "⁻")


def _verdict(ratio: float) -> str:
    if ratio < 0.1:
        return f"vanishing: layer 1 gets {1 / max(ratio, _TINY):.3g}× less gradient than layer L"
    if ratio > 10:
        return f"exploding: layer 1 gets {ratio:.3g}× more gradient than layer L"
    return "roughly level: every layer gets a gradient of similar size"


class GradientFlowExplorer(Explorer):
    """Controls: depth, width, init scheme, init scale, activation. ``stats`` is a GradientFlowStats."""

    title = "Gradient-flow explorer: gradient norm per layer in a freshly initialised deep MLP"

    def __init__(
        self,
        depth: int = 10,
        width: int = 64,
        init: str = AUTO,
        init_scale: float = 1.0,
        activation: str = "sigmoid",
        seed: int = 0,
    ) -> None:
        self.seed = seed
        init_for(init, activation)  # a bad scheme fails here, with its message
        style = {"description_width": "initial"}
        controls = {
            "depth": widgets.IntSlider(value=depth, min=1, max=40, description="depth", style=style),
            "width": widgets.IntSlider(value=width, min=8, max=256, step=8, description="width",
                                       style=style),
            "init": widgets.Dropdown(options=INIT_OPTIONS, value=init, description="init"),
            "init_scale": widgets.FloatSlider(value=init_scale, min=0.25, max=3.0, step=0.05,
                                              description="init scale", style=style),
            "activation": widgets.Dropdown(options=DROPDOWN_OPTIONS, value=activation_key(activation),
                                           description="activation"),
        }  # fmt: skip
        fig = new_figure(9.6, 3.6)
        self._ax_n, self._ax_h = fig.subplots(1, 2)
        fig.subplots_adjust(left=0.09, right=0.97, bottom=0.14, top=0.88, wspace=0.25)
        ax = self._ax_n
        (self._w_line,) = ax.semilogy([], [], "o-", color="C3", ms=4, label="‖∂ℒ/∂W⁽ˡ⁾‖")
        (self._h_line,) = ax.semilogy([], [], "s--", color="C1", ms=3, label="‖∂ℒ/∂h⁽ˡ⁾‖")
        (self._s_line,) = ax.semilogy([], [], "^:", color="C0", ms=3, label="std of h⁽ˡ⁾")
        ax.set_xlabel("layer l (1 = next to the input)")
        ax.xaxis.set_label_coords(0.5, -0.12)  # below the layer numbers
        ax.set_ylabel("norm / std (log scale)")
        ax.yaxis.set_minor_locator(NullLocator())  # minor log ticks made each new layout slow
        # 10⁻³ in Unicode, not mathtext: parsing "$10^{-3}$" was a third of a new layout's time.
        ax.yaxis.set_major_formatter(FuncFormatter(_power_of_ten))
        # Above the axes: the lines move, so no spot inside is reliably free.
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3, fontsize=8, frameon=False)
        # x runs over the layers 1..L exactly, like the heatmap's rows; the numbers move with L.
        self._x_ticks = LayerTicks(ax, "x")
        ax = self._ax_h
        # The heatmap fills the axes whatever the depth (one row per layer, no empty band), so a
        # depth change needs no new background: the layer numbers are drawn with the data. It is
        # painted as ready-made pixels straight into the canvas (see paint): an AxesImage's
        # resampling cost ~10 ms a frame, more than everything else drawn.
        self._cmap = colormaps["magma"]
        self._heat: tuple[int, int, np.ndarray] | None = None  # (left, top, RGBA pixels)
        self._y_ticks = LayerTicks(ax, "y")
        ax.set_ylabel("layer l")
        ax.yaxis.set_label_coords(-0.09, 0.5)  # clear of the layer numbers
        ax.set_autoscale_on(False)  # limits come from set_layout, not from the image extent
        ax.set_title("histogram of h⁽ˡ⁾ per layer (colour: density in each row)", fontsize=10)
        dynamic = [self._w_line, self._h_line, self._s_line, *self._x_ticks.artists,
                   *self._y_ticks.artists]  # fmt: skip
        super().__init__(controls, fig, dynamic)

    def compute(self, **state) -> GradientFlowStats:
        return gradient_flow_stats(**state, seed=self.seed)

    def layout_key(self, s: GradientFlowStats) -> tuple:
        series = np.concatenate([s.weight_grad_norms, s.activation_grad_norms, s.activation_std])
        finite = np.log10(series[np.isfinite(series) & (series > 0)])
        lo, hi = (finite.min(), finite.max()) if finite.size else (-3.0, 0.0)
        # y-limits snap to whole multiples of 3 decades, x-limits to a few depths, the ReLU
        # histogram range to powers of 2, so most slider moves reuse a cached background.
        # Far down (vanishing), the bottom snaps to 6 decades: fewer new layouts as depth grows.
        step = 3 if lo >= -6 else 6
        decades = (step * int(np.floor(lo / step)), 3 * int(np.ceil(hi / 3 + 1e-9)))
        if s.activation == "sigmoid":
            h_range = (0.0, 1.0)
        elif s.activation == "tanh":
            h_range = (-1.0, 1.0)
        else:
            top = float(np.quantile(np.concatenate([h.ravel() for h in s.activations]), 0.99))
            top = 2.0 ** np.ceil(np.log2(max(top, 1e-12)))
            h_range = (-0.05 * top, top)
        # No depth here: both panels' layer axes are drawn with the data (LayerTicks).
        return (s.activation, decades, h_range)

    def set_layout(self, key: tuple) -> None:
        activation, (lo, hi), (h_lo, h_hi) = key
        self._ax_n.set_ylim(10.0**lo, 10.0**hi)
        self._ax_h.set_xlim(h_lo, h_hi)
        self._ax_h.set_xlabel(f"activation value h = {activation_label(activation)}(z)")

    def draw(self, s: GradientFlowStats) -> None:
        layers = np.arange(1, s.depth + 1)
        series = (s.weight_grad_norms, s.activation_grad_norms, s.activation_std)
        for line, y in zip((self._w_line, self._h_line, self._s_line), series, strict=True):
            line.set_data(layers, np.maximum(y, _TINY))
        H = _layer_histograms(s.activations, *self._ax_h.get_xlim())
        # Scale each row by its second-highest bin (colours clip at 1), so ReLU's spike at 0 does
        # not hide the rest of the distribution.
        H /= np.maximum(np.sort(H, axis=1)[:, -2:-1], 1.0)
        self._paste_heatmap(H)
        self._ax_n.set_xlim(0.5, s.depth + 0.5)  # no ticks in the background: free to move
        self._x_ticks.set_layers(s.depth)
        self._y_ticks.set_layers(s.depth)

    def _paste_heatmap(self, H: np.ndarray) -> None:
        """Colour H (layers × bins, values in [0, 1]) and stretch it over the heatmap axes' pixels
        inside the frame, nearest-neighbour, so each layer is a band of equal height; layer 1 at
        the bottom."""
        box = self._ax_h.get_window_extent()  # display pixels, y up from the bottom
        fig_h = int(round(self.fig.bbox.height))
        x0, x1 = int(np.ceil(box.x0)) + 1, int(np.floor(box.x1))
        top, bottom = fig_h - int(np.floor(box.y1)), fig_h - int(np.ceil(box.y0)) - 1
        rgba = self._cmap(np.clip(H, 0.0, 1.0), bytes=True)  # (layers, bins, 4)
        h, w = bottom - top, x1 - x0
        rows = (h - 1 - np.arange(h)) * H.shape[0] // h  # image rows run top-down
        cols = np.arange(w) * H.shape[1] // w
        self._heat = (x0, top, rgba[rows][:, cols])

    def blit(self) -> None:
        # Ticks first: their saved strips end at the frames, the data is drawn after them.
        self._x_ticks.blit(self.fig, self._key)
        self._y_ticks.blit(self.fig, self._key)
        for line in (self._w_line, self._h_line, self._s_line):
            self.fig.draw_artist(line)

    def paint(self, pixels: np.ndarray) -> None:
        if self._heat is not None:
            x0, top, heat = self._heat
            pixels[top : top + heat.shape[0], x0 : x0 + heat.shape[1]] = heat

    def describe(self, s: GradientFlowStats) -> str:
        # Two lines: the network (depth L, init) and the gradients (loss ℒ), so L and ℒ never
        # sit side by side; the last layer is named by its number.
        why = (
            f" (auto: the usual choice for {activation_label(s.activation)})" if s.auto_init else ""
        )
        last = str(s.depth).translate(_SUPERSCRIPT)
        return (
            f"network: L = {s.depth} hidden layers, init <b>{_INIT_NAMES[s.init]}</b>{why}<br>"
            f"‖∂ℒ/∂h⁽¹⁾‖ = <b>{s.activation_grad_norms[0]:.3g}</b>, "
            f"‖∂ℒ/∂h⁽{last}⁾‖ = <b>{s.activation_grad_norms[-1]:.3g}</b>, "
            f"‖∂ℒ/∂W⁽¹⁾‖ = {s.weight_grad_norms[0]:.3g} &nbsp;·&nbsp; "
            f"{_verdict(s.first_to_last)}"
        )


def gradient_flow_explorer(
    depth: int = 10,
    width: int = 64,
    init: str = AUTO,
    init_scale: float = 1.0,
    activation: str = "sigmoid",
    seed: int = 0,
) -> GradientFlowExplorer:
    """Show the gradient-flow explorer (in Jupyter it displays itself; headless, read ``.stats``)."""
    return GradientFlowExplorer(depth, width, init, init_scale, activation, seed)
