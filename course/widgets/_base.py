"""Plumbing shared by the explorers: controls → compute → in-place redraw → PNG in an Image widget.

Why an Image widget fed by Agg: it needs no ipympl or matplotlib frontend, renders identically
headless (nbclient, autograding) and in JupyterLab, and every update is a new ``<img>`` the browser
test can see.

Why blitting: a full Agg draw spends most of its ~50-100 ms laying out tick labels and legends.
The figure is built once; everything that depends only on a coarse *layout key* (axis limits,
static curves, titles) is drawn once per key into a cached background, and an update restores that
background and redraws only the few data artists (~1 ms) before encoding the PNG (~10 ms).
"""

from __future__ import annotations

import contextlib
import html
import time
from collections import OrderedDict, deque
from collections.abc import Hashable, Sequence
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ._png import encode_png

try:
    from threadpoolctl import ThreadpoolController
except ImportError:  # optional: without it updates are correct, just noisier in time
    ThreadpoolController = None

_MAX_BACKGROUNDS = 32  # cached layouts; each is one RGBA copy of the figure (< 1 MB)
_HISTORY = 256  # updates remembered per explorer (a few floats each), for benchmarks


def new_figure(width: float, height: float, dpi: int = 80) -> Figure:
    """A figure on its own Agg canvas: no pyplot, so nothing is shown twice by the inline backend."""
    fig = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


_controller = None


def single_threaded_blas() -> contextlib.AbstractContextManager:
    """Run the enclosed numpy code on one BLAS thread.

    The explorers' matrices are tiny (128 × 64): OpenBLAS's thread hand-off costs more than the
    product, and on a busy machine (2 cores, a browser, a server) it made updates 5-30× slower.
    """
    global _controller
    if ThreadpoolController is None:
        return contextlib.nullcontext()
    if _controller is None:
        _controller = ThreadpoolController()
    return _controller.limit(limits=1, user_api="blas")


def canvas_png(fig: Figure) -> bytes:
    """Encode what is on ``fig``'s Agg canvas now as PNG (no redraw)."""
    return encode_png(np.asarray(fig.canvas.buffer_rgba()))


def level(x: float, levels: Sequence[float]) -> float:
    """The smallest of the sorted ``levels`` that is >= x (the last one if none is)."""
    for v in levels:
        if x <= v:
            return v
    return levels[-1]


class Explorer:
    """Base class: subclasses pass controls, a figure and its data artists, and implement
    ``compute`` (state → stats, no drawing), ``layout_key`` (stats → hashable), ``set_layout``
    (key → static parts of the figure), ``draw`` (stats → data artists) and ``describe`` (readout).

    ``state`` is the dict of control values, ``stats`` the result of the last ``compute``,
    ``timings`` the seconds the last update spent computing, drawing, encoding and sending, and
    ``history`` the same for recent updates, with wall-clock start and end (``time.time()``) so a
    browser benchmark can line them up with key presses.
    """

    title = ""

    def __init__(
        self, controls: dict[str, widgets.ValueWidget], fig: Figure, dynamic: Sequence[Artist]
    ) -> None:
        self.controls = controls
        self.fig = fig
        self.dynamic = list(dynamic)
        for a in self.dynamic:
            a.set_animated(True)  # left out of full draws: they are blitted over the background
        self._backgrounds: OrderedDict[Hashable, Any] = OrderedDict()
        self._key: Hashable = object()
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self.readout = widgets.HTML(layout=widgets.Layout(min_height="1.6em"))
        self.n_updates = 0
        self.timings: dict[str, float] = {}
        self.history: deque[dict[str, float]] = deque(maxlen=_HISTORY)
        self.error: str | None = None
        self._paused = False
        rows = [
            widgets.HBox(list(controls.values())[i : i + 3]) for i in range(0, len(controls), 3)
        ]
        header = [widgets.HTML(f"<b>{html.escape(self.title)}</b>")] if self.title else []
        self.widget = widgets.VBox([*header, *rows, self.readout, self.image])
        for c in controls.values():
            c.observe(self._on_change, names="value")
        self.update()

    # what subclasses provide --------------------------------------------------------------------
    def compute(self, **state: Any) -> Any:
        raise NotImplementedError

    def layout_key(self, stats: Any) -> Hashable:
        raise NotImplementedError

    def set_layout(self, key: Any) -> None:
        raise NotImplementedError

    def draw(self, stats: Any) -> None:
        raise NotImplementedError

    def describe(self, stats: Any) -> str:
        raise NotImplementedError

    def blit(self) -> None:
        """Draw the data artists over the restored background (subclasses may reuse pixels)."""
        for a in self.dynamic:
            self.fig.draw_artist(a)

    def paint(self, pixels: np.ndarray) -> None:
        """Optional: write ready-made pixels straight into the canvas (an (H, W, 4) uint8 view,
        row 0 at the top), after the background is restored and before the data artists."""

    # the shared loop -----------------------------------------------------------------------------
    @property
    def state(self) -> dict[str, Any]:
        return {name: c.value for name, c in self.controls.items()}

    @property
    def png(self) -> bytes:
        """The picture the widget shows now, as PNG bytes."""
        return bytes(self.image.value)

    def set(self, **values: Any) -> None:
        """Set several controls at once (one update, not one per control)."""
        unknown = set(values) - set(self.controls)
        if unknown:
            raise ValueError(
                f"unknown control(s) {sorted(unknown)}; expected {list(self.controls)}"
            )
        self._paused = True
        try:
            for name, v in values.items():
                self.controls[name].value = v
        finally:
            self._paused = False
        self.update()

    def update(self) -> None:
        """Recompute from the controls, redraw in place, and push a new PNG and readout."""
        wall0 = time.time()
        t0 = time.perf_counter()
        with single_threaded_blas():
            self.stats = self.compute(**self.state)
        t1 = time.perf_counter()
        full = self._ensure_layout(self.layout_key(self.stats))
        self.draw(self.stats)
        canvas = self.fig.canvas
        canvas.restore_region(self._backgrounds[self._key])
        self.paint(np.asarray(canvas.buffer_rgba()))
        self.blit()
        t2 = time.perf_counter()
        png = canvas_png(self.fig)
        t3 = time.perf_counter()
        self.image.value = png
        self.readout.value = self.describe(self.stats)
        self.error = None
        self.n_updates += 1
        t4 = time.perf_counter()
        self.timings = {"compute": t1 - t0, "draw": t2 - t1, "encode": t3 - t2, "send": t4 - t3,
                        "total": t4 - t0, "full_redraw": float(full), "png_bytes": len(png)}  # fmt: skip
        self.history.append({**self.timings, "start": wall0, "end": wall0 + (t4 - t0)})

    def redraw_full(self) -> bytes:
        """Draw the whole figure from scratch and return it as PNG (the slow path, for benchmarks
        and for saving a figure)."""
        for a in self.dynamic:
            a.set_animated(False)
        try:
            self.fig.canvas.draw()
            self.paint(np.asarray(self.fig.canvas.buffer_rgba()))
            return canvas_png(self.fig)
        finally:
            for a in self.dynamic:
                a.set_animated(True)

    def _ensure_layout(self, key: Hashable) -> bool:
        """Switch to layout ``key``; draw and cache its background if new. True if it drew."""
        if key == self._key:
            return False
        self.set_layout(key)
        self._key = key
        if key in self._backgrounds:
            self._backgrounds.move_to_end(key)
            return False
        self.fig.canvas.draw()
        self._backgrounds[key] = self.fig.canvas.copy_from_bbox(self.fig.bbox)
        if len(self._backgrounds) > _MAX_BACKGROUNDS:
            self._backgrounds.popitem(last=False)
        return True

    def _on_change(self, change: dict) -> None:
        if self._paused:
            return
        try:
            self.update()
        except Exception as exc:  # a callback's traceback is invisible in JupyterLab: show it
            self.error = f"{type(exc).__name__}: {exc}"
            self.readout.value = f"<span style='color:#b00'>{html.escape(self.error)}</span>"
            raise

    # display -------------------------------------------------------------------------------------
    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.state.items())
        return f"{type(self).__name__}({args})"
