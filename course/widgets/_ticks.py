"""Layer numbers drawn with the data: tick marks and labels that move without a new background.

An axis whose limits follow a slider (the depth L) would otherwise need a full redraw of the
figure at every step, because its ticks are part of the cached background. These ticks are a
few data artists instead: one Line2D of tick marks and a pool of Text labels, in axes coordinates,
placed at the centre of each layer's slot: layer l of L sits at (l − ½) / L along the axis.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import TICKDOWN, TICKLEFT
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import Bbox

_POOL = 12  # at most this many labels; MaxNLocator(nbins=6) never asks for more


class LayerTicks:
    """Integer ticks 1..L on the x or y axis of ``ax``, redrawn per frame (see module docstring)."""

    def __init__(self, ax: Axes, axis: str, fontsize: float = 9.0) -> None:
        if axis not in ("x", "y"):
            raise ValueError(f"LayerTicks expected axis 'x' or 'y'; got {axis!r}")
        self.axis, self.ax = axis, ax
        self._saved: tuple[Hashable, object] | None = None
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
        self.n, self.shown = 0, []

    @property
    def artists(self) -> list[Artist]:
        return [self.marks, *self.labels]

    def set_layers(self, n: int) -> None:
        """Show ticks for layers 1..n (a handful, at integer layers)."""
        ticks = [
            int(v) for v in MaxNLocator(nbins=6, integer=True).tick_values(1, n) if 1 <= v <= n
        ]
        self.n, self.shown = n, ticks[:_POOL]
        pos = [(v - 0.5) / n for v in self.shown]
        zeros = np.zeros(len(pos))
        self.marks.set_data((pos, zeros) if self.axis == "x" else (zeros, pos))
        for i, text in enumerate(self.labels):
            text.set_visible(i < len(pos))
            if i < len(pos):
                text.set_text(str(self.shown[i]))
                x, y = text.get_position()
                text.set_position((pos[i], y) if self.axis == "x" else (x, pos[i]))

    def blit(self, fig: Figure, key: Hashable) -> None:
        """Draw the ticks, or, if the layers and the background ``key`` are those of the last
        draw, put back that draw's pixels (text rendering was most of a frame's drawing time).
        The saved strip stops at the axes' frame, so it never holds stale data from inside."""
        canvas = fig.canvas
        state = (key, self.n)  # the labels and where they sit depend on n alone
        if self._saved is not None and self._saved[0] == state:
            canvas.restore_region(self._saved[1])
            return
        for a in self.artists:
            fig.draw_artist(a)
        renderer = canvas.get_renderer()
        box = Bbox.union([a.get_window_extent(renderer) for a in self.artists if a.get_visible()])
        x0, y0, x1, y1 = box.padded(2).extents
        inner = self.ax.get_window_extent(renderer)
        if self.axis == "x":
            y1 = min(y1, inner.y0)
        else:
            x1 = min(x1, inner.x0)
        self._saved = (state, canvas.copy_from_bbox(Bbox([[x0, y0], [x1, y1]])))

    def positions(self) -> list[float]:
        """Where the shown labels sit along the axis, in axes coordinates (for tests)."""
        k = 0 if self.axis == "x" else 1
        return [t.get_position()[k] for t in self.labels if t.get_visible()]
