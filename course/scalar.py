"""A tiny scalar autodiff (micrograd-like) that can draw its own computational graph.

The lectures import everything from here. The pieces live in three files, one concept each:
:mod:`course.scalar_engine` (``Value`` and ``backward``), :mod:`course.scalar_graph` (topological
order, edges) and :mod:`course.scalar_draw` (``layout`` and ``draw``, matplotlib only).
"""

from .scalar_draw import draw, layout
from .scalar_engine import Value, values
from .scalar_graph import topological_order, trace

__all__ = ["Value", "values", "trace", "topological_order", "layout", "draw"]
