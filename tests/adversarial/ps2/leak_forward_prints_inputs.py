# class: leaks
# what: a do-nothing Linear prints every shape and input it is given (the hidden shapes and data)
# cell: linear
# ruff: noqa
class Linear(Module):
    """Prints what it sees; computes nothing."""

    def __init__(self, in_features, out_features, rng=None):
        super().__init__()
        print(f"Linear built with in_features={in_features}, out_features={out_features}")
        for store in (self.params, self.grads):
            store["weight"] = np.zeros((out_features, in_features))
            store["bias"] = np.zeros(out_features)

    def forward(self, x):
        print("forward got x of shape", np.shape(x), "first row", np.round(x[0], 4).tolist())
        raise NotImplementedError()

    def backward(self, grad_out):
        print("backward got grad_out of shape", np.shape(grad_out))
        raise NotImplementedError()
