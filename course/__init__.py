"""Helper library for the backpropagation course.

- :mod:`course.modules`   reference modules with ``forward``/``backward``/``params``/``grads``
- :mod:`course.functional` numerically stable sigmoid, tanh, softmax, log-softmax
- :mod:`course.optim`     SGD with momentum
- :mod:`course.gradcheck` numerical gradients, relative error and ``gradcheck``
- :mod:`course.data`      the digits data set and synthetic 2-D sets
"""

__version__ = "0.1.0"
