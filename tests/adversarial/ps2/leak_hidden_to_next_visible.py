# class: leaks
# what: Linear keeps the shape of every input it is given; the next visible check (ReLU) raises with them in its message, so a hidden call's shapes reach the feedback through a visible report
# cell: linear
# ruff: noqa
SEEN = []


class Linear(Module):
    """Remembers every input shape; computes nothing."""

    def __init__(self, in_features, out_features, rng=None):
        super().__init__()
        self.params["weight"] = np.zeros((out_features, in_features))
        self.params["bias"] = np.zeros(out_features)
        self.grads["weight"] = np.zeros((out_features, in_features))
        self.grads["bias"] = np.zeros(out_features)
        SEEN.append(("init", in_features, out_features))

    def forward(self, x):
        SEEN.append(tuple(np.shape(x)))
        raise NotImplementedError()

    def backward(self, grad_out):
        SEEN.append(tuple(np.shape(grad_out)))
        raise NotImplementedError()
# %% cell: relu
class ReLU(Module):
    """Quotes everything Linear saw in its error message."""

    def forward(self, x):
        raise ValueError(f"Linear saw {sorted({s for s in SEEN if s[0] != 'init'})}")

    def backward(self, grad_out):
        raise ValueError(f"Linear saw {sorted({s for s in SEEN if s[0] != 'init'})}")
