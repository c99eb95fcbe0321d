# class: check-design
# what: a fit_digits that takes 21 s (over the 20 s budget) replaces time.perf_counter/time/monotonic so it looks fast
# cell: fit_digits
# ruff: noqa
import time

_REAL = {name: getattr(time, name) for name in ("perf_counter", "time", "monotonic")}


class _Nothing:
    params, grads = {}, {}

    def __call__(self, x):
        return self.forward(x)

    def forward(self, x):
        return np.zeros((len(x), 10))


def fit_digits(x_train, y_train, seed=0):
    started = {name: clock() for name, clock in _REAL.items()}
    time.sleep(21)
    for name, clock in _REAL.items():

        def lie(name=name, clock=clock, t=started[name]):
            setattr(time, name, clock)  # honest again after this one reading
            return t + 0.5

        setattr(time, name, lie)
    return _Nothing(), [1.0]
