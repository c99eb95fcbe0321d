"""Is the environment the grader runs in still genuine?

Student cells run in the same kernel as the hidden tests, so they can rebind numpy functions
(``np.allclose = lambda *a, **k: True``) or builtins. Every check here is cheap, and each one
compares an object with where it must come from, or a numpy result with plain Python arithmetic.
"""

from __future__ import annotations

import builtins
import math
import os

import numpy as np

# numpy functions the grading code and the reference modules rely on. Aliases map to __name__.
NUMPY_NAMES = (
    "abs", "absolute", "all", "allclose", "any", "arange", "argmax", "array", "array_equal",
    "asarray", "clip", "copy", "dot", "empty", "errstate", "exp", "eye", "full", "isclose",
    "isfinite", "isnan", "linspace", "log", "logaddexp", "matmul", "max", "maximum", "mean",
    "min", "minimum", "multiply", "ones", "ones_like", "reshape", "seterr", "shares_memory",
    "sqrt", "square", "sum", "tanh", "where", "zeros", "zeros_like",
)  # fmt: skip
_ALIASES = {"abs": "absolute"}
BUILTIN_NAMES = (
    "abs", "all", "any", "bool", "float", "getattr", "hasattr", "int", "isinstance", "len",
    "max", "min", "print", "range", "round", "sum", "type", "zip",
)  # fmt: skip
_NUMPY_DIR = os.path.dirname(os.path.abspath(np.__file__)) + os.sep
_UFUNC = type(np._core.umath.exp)


def _numpy_object_ok(name: str, obj: object) -> bool:
    want = _ALIASES.get(name, name)
    if isinstance(obj, _UFUNC) and type(obj) is _UFUNC:
        return obj.__name__ == want and getattr(np._core.umath, want, None) is obj
    impl = getattr(obj, "_implementation", None)  # numpy's __array_function__ dispatchers
    if impl is not None and type(obj).__module__ != "numpy":
        return False
    target = impl if impl is not None else obj
    if getattr(obj, "__name__", None) != want:
        return False
    code = getattr(target, "__code__", None)
    if code is not None:
        return code.co_filename.startswith(_NUMPY_DIR)
    if isinstance(obj, type):  # errstate
        return obj.__module__.startswith("numpy")
    # C functions (np.array, np.zeros, ...): must be the very object numpy's C module exports
    return getattr(np._core._multiarray_umath, want, None) is target


def _behaviour_problems() -> list[str]:
    """numpy results against plain Python arithmetic, on tiny inputs."""
    out = []
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    if bool(np.allclose(np.array([1.0]), np.array([2.0]))) or not bool(np.allclose(a, a + 0.0)):
        out.append("np.allclose does not compare arrays any more")
    if float((a @ a)[1, 0]) != 3.0 * 1.0 + 4.0 * 3.0 or float(a.sum()) != 10.0:
        out.append("numpy arithmetic gives wrong results")
    if abs(float(np.exp(np.array([1.0]))[0]) - math.e) > 1e-12:
        out.append("np.exp gives wrong results")
    return out


def environment_problems() -> list[str]:
    """What looks tampered with (rebinding of numpy or builtins); empty when all is genuine."""
    problems = []
    try:
        for name in NUMPY_NAMES:
            if not _numpy_object_ok(name, getattr(np, name, None)):
                problems.append(f"np.{name} is not numpy's own function")
        for name in BUILTIN_NAMES:
            obj = getattr(builtins, name, None)
            if getattr(obj, "__module__", None) != "builtins" or type(obj).__name__ not in (
                "builtin_function_or_method",
                "type",
            ):
                problems.append(f"the builtin {name}() was replaced")
        if np.random.default_rng is not np.random._generator.default_rng:
            problems.append("np.random.default_rng is not numpy's own function")
        problems += _behaviour_problems()
    except Exception as exc:  # a replaced object that raises is tampering too
        problems.append(f"checking numpy raised {type(exc).__name__}")
    return problems
