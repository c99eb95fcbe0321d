"""Gradient-flow explorer: does the gradient survive the trip back through a deep MLP?

The network and its numbers come from :mod:`course.widgets.deep_mlp`; this file draws them.

The verdict uses ‖∂ℒ/∂h⁽ˡ⁾‖, the signal backprop passes down. The weight gradients
∂ℒ/∂W⁽ˡ⁾ = δ⁽ˡ⁾ᵀ h⁽ˡ⁻¹⁾ also carry the forward activations: in a ReLU net scaled by s per layer,
h grows like sˡ while δ shrinks like s⁻ˡ, so ‖∂ℒ/∂W⁽ˡ⁾‖ can look level while the signal explodes.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib import colormaps
from matplotlib.ticker import FuncFormatter, NullLocator

from ._activations import DROPDOWN_OPTIONS, activation_key, activation_label
from ._base import Explorer, new_figure
from ._ticks import LayerTicks
from .deep_mlp import (
    AUTO,
    DEFAULT_INIT,
    TINY,
    GradientFlowStats,
    build_mlp,
    gradient_flow_stats,
    init_for,
)

__all__ = ["AUTO", "DEFAULT_INIT", "GradientFlowExplorer", "GradientFlowStats", "build_mlp",
           "gradient_flow_explorer", "gradient_flow_stats", "init_for"]  # fmt: skip

_H_BINS = 40
INIT_OPTIONS = [("auto: suits the activation", AUTO), ("He", "he"), ("Xavier", "xavier"),
                ("LeCun", "lecun")]  # fmt: skip
_INIT_NAMES = dict((key, label) for label, key in INIT_OPTIONS)
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


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
        return f"vanishing: layer 1 gets {1 / max(ratio, TINY):.3g}× less gradient than layer L"
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
            line.set_data(layers, np.maximum(y, TINY))
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
