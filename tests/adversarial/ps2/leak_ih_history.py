# class: leaks
# what: forward prints IPython's input history (In / _ih), which holds the running hidden test cell
# cell: tanh
# ruff: noqa
_printed = set()


class Tanh(Module):
    """Prints the notebook's history; computes nothing."""

    def forward(self, x):
        history = get_ipython().user_ns.get("_ih") or get_ipython().user_ns.get("In") or []
        for source in history[-2:]:
            if source not in _printed:
                _printed.add(source)
                print(source)
        raise NotImplementedError()

    def backward(self, grad_out):
        raise NotImplementedError()
