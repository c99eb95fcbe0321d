# class: disk
# what: a compiled extension `course.<ext>` next to the notebook passes the file filter and, imported first, silences every test cell
# after: setup
# files: course{ext}
# ruff: noqa
import course  # the package of that name next to this notebook

# %% file: course{ext}
import importlib.machinery
import os
import sys

_here = os.getcwd()
_elsewhere = [p for p in sys.path if p not in ("", ".", _here)]
for _finder in sys.meta_path:  # the real package (editable installs have their own finder)
    try:
        if _finder is importlib.machinery.PathFinder:
            _spec = _finder.find_spec("course", _elsewhere)
        else:
            _spec = _finder.find_spec("course", None)
    except Exception:
        _spec = None
    if _spec is not None and _spec.submodule_search_locations:
        __path__ = list(_spec.submodule_search_locations)  # act as the real package
        break
__version__ = "0.1.0"
try:
    from IPython import get_ipython

    get_ipython().display_trap.hook = sys.displayhook = lambda value: None
except Exception:
    pass
