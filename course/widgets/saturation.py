"""Saturation explorer: where do a layer's pre-activations fall on g, and what does that do to g′?

One layer z = x Wᵀ + b with x ~ N(0, spread²) and W ~ N(0, scale²/fan_in) (LeCun init times
``weight_scale``), so std(z) ≈ weight_scale · input_spread. A unit is *saturated* on an example when
g′(z) < 1% of max g′: almost no gradient flows back through it.
"""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from ..init import make_rng
from ..modules import Linear
from ._activations import (
    DROPDOWN_OPTIONS,
    activation_key,
    activation_label,
    forward_and_derivative,
    peak_derivative,
)
from ._base import Explorer, level, new_figure

SATURATION_THRESHOLD = 0.01  # a unit is saturated when g′ < 1% of its maximum
_Z_BINS = 80
_D_BINS = 50
_D_TOP = 1.02  # the derivative histogram spans [0, 1.02 · max g′]
_Z_RANGES = (6.0, 12.0, 24.0, 48.0)
_FRAC_TOPS = (0.1, 0.25, 0.5, 1.0)
_G_YLIM = {"sigmoid": (-0.05, 1.1), "tanh": (-1.1, 1.25)}


@dataclass(frozen=True)
class SaturationStats:
    """What one setting of the controls gives: pre-activations z, local derivatives g′(z), summaries."""

    activation: str
    pre_activations: np.ndarray  # (n_examples, n_units)
    derivatives: np.ndarray  # g′(z), same shape
    max_derivative: float  # max over z of g′ (1/4 for the sigmoid)
    saturated_fraction: float  # fraction of (example, unit) pairs with g′ < 1% of max
    mean_derivative: float

    @property
    def threshold(self) -> float:
        return SATURATION_THRESHOLD * self.max_derivative


def _positive(name: str, v: float) -> float:
    v = float(v)
    if not np.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a positive number; got {v!r}")
    return v


def saturation_stats(
    activation: str = "sigmoid",
    weight_scale: float = 1.0,
    bias: float = 0.0,
    input_spread: float = 1.0,
    *,
    n_examples: int = 256,
    fan_in: int = 64,
    n_units: int = 128,
    seed: int = 0,
) -> SaturationStats:
    """Forward a batch through Linear + activation and measure how saturated the units are.

    The same seed gives the same standard-normal draws, so moving a slider rescales one sample
    instead of drawing a new one (the picture changes smoothly).
    """
    key = activation_key(activation)
    weight_scale = _positive("weight_scale", weight_scale)
    input_spread = _positive("input_spread", input_spread)
    if not np.isfinite(float(bias)):
        raise ValueError(f"bias must be a finite number; got {bias!r}")
    rng = make_rng(seed)
    x = input_spread * rng.standard_normal((n_examples, fan_in))
    layer = Linear(fan_in, n_units, init="lecun", rng=rng, init_scale=weight_scale)
    layer.params["bias"][:] = float(bias)
    z = layer(x)
    _, d = forward_and_derivative(key, z)
    peak = peak_derivative(key)
    return SaturationStats(
        activation=key,
        pre_activations=z,
        derivatives=d,
        max_derivative=peak,
        saturated_fraction=float(np.mean(d < SATURATION_THRESHOLD * peak)),
        mean_derivative=float(d.mean()),
    )


class SaturationExplorer(Explorer):
    """Controls: activation, weight scale, bias, input spread. ``stats`` is a SaturationStats."""

    title = "Saturation explorer: pre-activations z = w·x + b on g(z) and g′(z)"

    def __init__(
        self,
        activation: str = "sigmoid",
        weight_scale: float = 1.0,
        bias: float = 0.0,
        input_spread: float = 1.0,
        seed: int = 0,
    ) -> None:
        self.seed = seed
        style = {"description_width": "initial"}
        controls = {
            "activation": widgets.Dropdown(
                options=DROPDOWN_OPTIONS, value=activation_key(activation), description="activation"
            ),
            "weight_scale": widgets.FloatSlider(
                value=_positive("weight_scale", weight_scale), min=0.1, max=8.0, step=0.1,
                description="weight scale", style=style,
            ),
            "bias": widgets.FloatSlider(
                value=float(bias), min=-6.0, max=6.0, step=0.25, description="bias", style=style
            ),
            "input_spread": widgets.FloatSlider(
                value=_positive("input_spread", input_spread), min=0.1, max=4.0, step=0.1,
                description="input spread", style=style,
            ),
        }  # fmt: skip
        fig = new_figure(9.6, 3.4)
        self._ax_g, self._ax_d = fig.subplots(1, 2)
        fig.subplots_adjust(left=0.06, right=0.98, bottom=0.15, top=0.88, wspace=0.22)
        ax = self._ax_g
        self._z_hist = ax.stairs(np.zeros(_Z_BINS), np.arange(_Z_BINS + 1.0), fill=True,
                                 color="0.8", label="distribution of z")  # fmt: skip
        (self._g_line,) = ax.plot([], [], color="C0", lw=2, label="g(z)")
        (self._dg_line,) = ax.plot([], [], color="C3", lw=2, label="g′(z)")
        self._thr_g = ax.axhline(0.0, color="C3", ls=":", lw=1, label="1% of max g′")
        ax.set_xlabel("pre-activation z")
        ax.legend(loc="upper left", fontsize=8, frameon=False)
        ax = self._ax_d
        self._d_hist = ax.stairs(np.zeros(_D_BINS), np.arange(_D_BINS + 1.0), fill=True, color="C3",
                                 alpha=0.6)  # fmt: skip
        self._thr_d = ax.axvline(0.0, color="k", ls=":", lw=1, label="saturation threshold")
        self._mean_d = ax.axvline(0.0, color="C0", lw=1.5, label="mean g′")
        ax.set_xlabel("local derivative g′(z)")
        ax.set_ylabel("fraction of (unit, example) pairs")
        ax.legend(loc="upper right", fontsize=8, frameon=False)
        # Blitted in this order: the histogram of z first, the curves over it.
        dynamic = [
            self._z_hist,
            self._g_line,
            self._dg_line,
            self._thr_g,
            self._d_hist,
            self._mean_d,
        ]
        super().__init__(controls, fig, dynamic)

    def compute(self, **state) -> SaturationStats:
        return saturation_stats(**state, seed=self.seed)

    def layout_key(self, s: SaturationStats) -> tuple:
        # Show where the mass of z is, and never less than the bend of g (|z| ≤ 6); the range
        # snaps to a few levels so that most slider moves reuse a cached background.
        r = level(1.05 * float(np.quantile(np.abs(s.pre_activations), 0.995)), _Z_RANGES)
        frac_peak = np.histogram(
            s.derivatives, bins=_D_BINS, range=(0.0, _D_TOP * s.max_derivative)
        )[0]
        ytop = level(1.05 * frac_peak.max() / s.derivatives.size, _FRAC_TOPS)
        return (s.activation, r, ytop)

    def set_layout(self, key: tuple) -> None:
        activation, r, ytop = key
        grid = np.linspace(-r, r, 401).reshape(1, -1)
        g, dg = forward_and_derivative(activation, grid)
        self._g_line.set_data(grid[0], g[0])
        self._dg_line.set_data(grid[0], dg[0])
        thr = SATURATION_THRESHOLD * peak_derivative(activation)
        self._thr_g.set_ydata([thr, thr])
        self._ax_g.set_xlim(-r, r)
        # ReLU's g(z) = z leaves the top of the axes: its derivative is the point here.
        self._ax_g.set_ylim(*_G_YLIM.get(activation, (-0.15, 1.6)))
        self._ax_g.set_title(f"{activation_label(activation)} and its derivative", fontsize=10)
        self._thr_d.set_xdata([thr, thr])
        self._ax_d.set_xlim(0.0, _D_TOP * peak_derivative(activation))
        self._ax_d.set_ylim(0.0, ytop)
        self._ax_d.set_title("histogram of the local derivatives g′(z)", fontsize=10)

    def draw(self, s: SaturationStats) -> None:
        r = self._ax_g.get_xlim()[1]
        # Clipped, so that mass beyond the widest range piles up in the edge bins, not vanishes.
        z = np.clip(s.pre_activations, -r, r)
        counts, edges = np.histogram(z, bins=_Z_BINS, range=(-r, r))
        top = 0.85 * self._ax_g.get_ylim()[1]  # the histogram's shape matters, not its units
        self._z_hist.set_data(top * counts / max(counts.max(), 1), edges)
        counts, edges = np.histogram(s.derivatives, bins=_D_BINS,
                                     range=(0.0, _D_TOP * s.max_derivative))  # fmt: skip
        self._d_hist.set_data(counts / s.derivatives.size, edges)
        self._mean_d.set_xdata([s.mean_derivative, s.mean_derivative])

    def describe(self, s: SaturationStats) -> str:
        return (
            f"saturated: <b>{100 * s.saturated_fraction:.1f}%</b> of units "
            f"(g′ &lt; 1% of its max {s.max_derivative:g}) &nbsp;·&nbsp; "
            f"mean g′ = <b>{s.mean_derivative:.4f}</b>"
        )


def saturation_explorer(
    activation: str = "sigmoid",
    weight_scale: float = 1.0,
    bias: float = 0.0,
    input_spread: float = 1.0,
    seed: int = 0,
) -> SaturationExplorer:
    """Show the saturation explorer (in Jupyter it displays itself; headless, read ``.stats``)."""
    return SaturationExplorer(activation, weight_scale, bias, input_spread, seed)
