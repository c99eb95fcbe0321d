# class: leaks
# what: the loss keeps every input it sees in a global and a file; a cell after the test prints them
# cell: softmax_ce
# ruff: noqa
import json

SEEN = []


class SoftmaxCrossEntropy(Module):
    """Remembers its inputs; computes nothing."""

    def forward(self, pred, target):
        SEEN.append({"pred": np.shape(pred), "target": np.asarray(target).tolist()})
        with open("seen.json", "w") as f:
            json.dump(SEEN, f, default=str)
        raise NotImplementedError()

    def backward(self, grad_out=1.0):
        raise NotImplementedError()


# %% after: softmax_ce_test
for record in SEEN:
    print(
        "the check called forward with pred of shape",
        record["pred"],
        "and target",
        record["target"],
    )
with open("seen.json") as f:
    print(f.read())
