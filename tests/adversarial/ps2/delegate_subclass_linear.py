# class: delegation
# what: Linear subclasses course.modules.Linear and adds nothing (the reference does the maths)
# cell: linear
# ruff: noqa
from course.modules import Linear as _CourseLinear


class Linear(_CourseLinear):
    """y = x Wᵀ + b for a batch x of shape (N, in_features)."""

    def __init__(self, in_features, out_features, rng=None):
        super().__init__(in_features, out_features, rng=rng)
