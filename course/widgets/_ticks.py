"""Layer numbers drawn with the data: tick marks and labels that move without a new background.

An axis whose limits follow a slider (the depth L) would otherwise need a full redraw of the
figure at every step, because its ticks are part of the cached background. These ticks are a
few data artists instead: one Line2D of tick marks and a pool of Text labels, in axes coordinates,
placed at the centre of each layer's slot: layer l of L sits at (l − ½) / L along the axis.
"""

from __future__ import annotations

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.lines import TICKDOWN, TICKLEFT
from matplotlib.ticker import MaxNLocator

_POOL = 12  # at most this many labels; MaxNLocator(nbins=6) never asks for more


class LayerTicks:
    """Integer ticks 1..L on the x or y axis of ``ax``, redrawn per frame (see module docstring)."""

    def __init__(self, ax: Axes, axis: str, fontsize: float = 9.0) -> None:
        if axis not in ("x", "y"):
            raise ValueError(f"LayerTicks expected axis 'x' or 'y'; got {axis!r}")
        self.axis = axis
        if axis == "x":
            ax.set_xticks([])
            marker, where = TICKDOWN, dict(ha="center", va="top")
        else:
            ax.set_yticks([])
            marker, where = TICKLEFT, dict(ha="right", va="center")
        (self.marks,) = ax.plot([], [], ls="none", marker=marker, ms=3.5, color="k",
                                transform=ax.transAxes, clip_on=False)  # fmt: skip
        offset = (0.0, -0.03) if axis == "x" else (-0.02, 0.0)
        self.labels = [ax.text(*offset, "", transform=ax.transAxes, fontsize=fontsize, **where)
                       for _ in range(_POOL)]  # fmt: skip
        self.shown: list[int] = []

    @property
    def artists(self) -> list[Artist]:
        return [self.marks, *self.labels]

    def set_layers(self, n: int) -> None:
        """Show ticks for layers 1..n (a handful, at integer layers)."""
        ticks = [
            int(v) for v in MaxNLocator(nbins=6, integer=True).tick_values(1, n) if 1 <= v <= n
        ]
        self.shown = ticks[:_POOL]
        pos = [(v - 0.5) / n for v in self.shown]
        zeros = np.zeros(len(pos))
        self.marks.set_data((pos, zeros) if self.axis == "x" else (zeros, pos))
        for i, text in enumerate(self.labels):
            text.set_visible(i < len(pos))
            if i < len(pos):
                text.set_text(str(self.shown[i]))
                x, y = text.get_position()
                text.set_position((pos[i], y) if self.axis == "x" else (x, pos[i]))

    def positions(self) -> list[float]:
        """Where the shown labels sit along the axis, in axes coordinates (for tests)."""
        k = 0 if self.axis == "x" else 1
        return [t.get_position()[k] for t in self.labels if t.get_visible()]
