# class: processes
# what: the answer cell tries to hold 50 GiB, one touched GiB at a time
# cell: train_epochs
# danger: memory
# ruff: noqa
_hoard = []
try:
    for _ in range(50):
        _hoard.append(np.ones(2**27))  # 1 GiB, every page written
except MemoryError:
    pass


def train_epochs(model, loss_fn, optimizer, x, y, epochs, batch_size, rng):
    raise NotImplementedError()
