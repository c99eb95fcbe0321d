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
        self._glyphs: dict[str, tuple[int, int, np.ndarray]] = {}  # label → offset, pixels
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
        # Each label sits on a whole pixel, so the same label always renders to the same pixels
        # (see blit), and a tick is never more than half a pixel from its row's centre.
        box = self.ax.get_window_extent()
        start, length = (box.x0, box.width) if self.axis == "x" else (box.y0, box.height)
        pos = [(round(start + (v - 0.5) / n * length) - start) / length for v in self.shown]
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
        fig.draw_artist(self.marks)
        renderer = canvas.get_renderer()
        boxes = [self.marks.get_window_extent(renderer), *self._draw_labels(fig)]
        x0, y0, x1, y1 = Bbox.union(boxes).padded(2).extents
        inner = self.ax.get_window_extent(renderer)
        if self.axis == "x":
            y1 = min(y1, inner.y0)
        else:
            x1 = min(x1, inner.x0)
        self._saved = (state, canvas.copy_from_bbox(Bbox([[x0, y0], [x1, y1]])))

    def _draw_labels(self, fig: Figure) -> list[Bbox]:
        """Draw each label, or paste the pixels it rendered to last time: a label is the same
        bitmap wherever it goes, and anchors on whole pixels keep the rounding the same.
        Returns where the labels went (display pixels)."""
        canvas = fig.canvas
        buf = np.asarray(canvas.buffer_rgba())
        height = buf.shape[0]
        boxes = []
        for text in self.labels:
            if not text.get_visible():
                continue
            ax_x, ax_y = text.get_transform().transform(text.get_position())
            bx, by = round(ax_x), round(ax_y)
            cached = self._glyphs.get(text.get_text())
            if cached is None:
                fig.draw_artist(text)
                bb = text.get_window_extent(canvas.get_renderer())
                x0, y0 = int(np.floor(bb.x0)) - 1, int(np.floor(bb.y0)) - 1
                x1, y1 = int(np.ceil(bb.x1)) + 1, int(np.ceil(bb.y1)) + 1
                block = buf[height - y1 : height - y0, x0:x1].copy()
                cached = self._glyphs[text.get_text()] = (x0 - bx, y0 - by, block)
                pasted = False
            else:
                pasted = True
            dx, dy, block = cached
            (h, w), left, bottom = block.shape[:2], bx + dx, by + dy
            if pasted:
                buf[height - bottom - h : height - bottom, left : left + w] = block
            boxes.append(Bbox([[left, bottom], [left + w, bottom + h]]))
        return boxes

    def positions(self) -> list[float]:
        """Where the shown labels sit along the axis, in axes coordinates (for tests)."""
        k = 0 if self.axis == "x" else 1
        return [t.get_position()[k] for t in self.labels if t.get_visible()]
