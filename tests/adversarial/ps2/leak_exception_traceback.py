# class: leaks
# what: forward raises a KeyboardInterrupt subclass quoting its input, so a traceback with the hidden call reaches feedback
# cell: relu
# ruff: noqa
import sys


class _Stop(KeyboardInterrupt):
    pass


def _hidden_run():
    """True when a caller says hidden=True, or when no caller says anything (another grader)."""
    frame, said = sys._getframe(2), None
    while frame is not None:
        if "hidden" in frame.f_locals:
            said = bool(frame.f_locals["hidden"]) or bool(said)
        frame = frame.f_back
    return said is None or said


class ReLU(Module):
    """Raises with its input in the message."""

    def forward(self, x):
        if _hidden_run():
            raise _Stop(f"x has shape {np.shape(x)}: {np.round(np.asarray(x), 3).tolist()}")
        raise NotImplementedError()

    def backward(self, grad_out):
        raise NotImplementedError()
