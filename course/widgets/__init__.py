"""Interactive explorers for the lectures (ipywidgets 8 + matplotlib's Agg, no ipympl needed).

- :func:`saturation_explorer`: where pre-activations fall on g and g′; how many units saturate.
- :func:`gradient_flow_explorer`: gradient norm per layer of a deep MLP; vanishing and exploding.

Each returns an explorer that displays itself in Jupyter; its numbers live in ``.stats`` (computed
by :func:`saturation_stats` / :func:`gradient_flow_stats`, usable without any widget) and its control
values in ``.state``, so tests and autograding need no frontend.
"""

from .gradient_flow import (
    GradientFlowExplorer,
    GradientFlowStats,
    build_mlp,
    gradient_flow_explorer,
    gradient_flow_stats,
)
from .saturation import (
    SATURATION_THRESHOLD,
    SaturationExplorer,
    SaturationStats,
    saturation_explorer,
    saturation_stats,
)

__all__ = [
    "saturation_explorer",
    "gradient_flow_explorer",
    "SaturationExplorer",
    "GradientFlowExplorer",
    "SaturationStats",
    "GradientFlowStats",
    "saturation_stats",
    "gradient_flow_stats",
    "build_mlp",
    "SATURATION_THRESHOLD",
]
