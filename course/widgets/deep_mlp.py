"""The deep MLP behind the gradient-flow explorer, and what one backward pass through it shows.

The network is Sequential(Linear, g, Linear, g, ..., Linear → n_classes) with ``depth`` hidden
layers, freshly initialised by course.init. One batch goes forward and the softmax cross-entropy
of random labels goes backward. By the chain rule ∂ℒ/∂h⁽ˡ⁻¹⁾ = W⁽ˡ⁾ᵀ (g′(z⁽ˡ⁾) ⊙ ∂ℒ/∂h⁽ˡ⁾), so each
layer multiplies the backpropagated gradient by roughly (weight std · √width) · E[g′]-ish: below
1 it vanishes geometrically with depth, above 1 it explodes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ..init import SCHEMES, init_std, make_rng
from ..modules import Linear, Module, Sequential, SoftmaxCrossEntropy
from ._activations import activation_key, make_activation

AUTO = "auto"
# The scheme each activation is usually paired with: He keeps a ReLU net's variance (half the
# units are off, so twice the weight variance); Xavier balances it for tanh. σ gets Xavier too,
# the usual pairing, although σ′(0) = ¼ shrinks the gradient about 4× per layer (the explorer
# shows it; the same argument asks for 4× Xavier's std).
DEFAULT_INIT = {"relu": "he", "leaky_relu": "he", "sigmoid": "xavier", "tanh": "xavier"}
TINY = 1e-300  # floor for ratios and log plots of exactly-zero norms (all units dead)


@dataclass(frozen=True)
class GradientFlowStats:
    """Per hidden layer l = 1..depth: weight-gradient norms, activation-gradient norms, activations."""

    activation: str
    init: str  # the scheme used ("auto" resolved)
    auto_init: bool  # True when the scheme was chosen for the activation
    weight_grad_norms: np.ndarray  # ‖∂ℒ/∂W⁽ˡ⁾‖_F, shape (depth,)
    activation_grad_norms: np.ndarray  # ‖∂ℒ/∂h⁽ˡ⁾‖_F, shape (depth,)
    activation_std: np.ndarray  # std of h⁽ˡ⁾, shape (depth,)
    activations: list[np.ndarray]  # h⁽ˡ⁾, each (batch, width)
    loss: float

    @property
    def depth(self) -> int:
        return len(self.weight_grad_norms)

    @property
    def first_to_last(self) -> float:
        """‖∂ℒ/∂h⁽¹⁾‖ / ‖∂ℒ/∂h⁽ᴸ⁾‖: ≪ 1 means the gradient vanishes on its way down, ≫ 1 explodes."""
        a = self.activation_grad_norms
        return float(a[0] / max(a[-1], TINY))


def init_for(init: str, activation: str) -> str:
    """The weight-init scheme to use: ``init`` itself, or for "auto" the usual one for the
    activation (He for the ReLU family, Xavier for tanh and, as usually done, sigmoid)."""
    if init == AUTO:
        return DEFAULT_INIT[activation_key(activation)]
    if init not in SCHEMES:
        raise ValueError(f"unknown init scheme {init!r}; expected {AUTO!r} or one of {SCHEMES}")
    return init


def _check(depth, width, n_classes, init, init_scale, activation) -> tuple[str, float]:
    """Validate the network's settings; return the init scheme ("auto" resolved) and scale."""
    for name, v, lo in (("depth", depth, 1), ("width", width, 1), ("n_classes", n_classes, 2)):
        if not isinstance(v, int | np.integer) or v < lo:
            raise ValueError(f"{name} must be an int >= {lo}; got {v!r}")
    scale = float(init_scale)
    if not np.isfinite(scale) or scale <= 0:
        raise ValueError(f"init_scale must be a positive number; got {init_scale!r}")
    return init_for(init, activation), scale


class _LayerPool:
    """build_mlp's layers for one (width, activation, n_classes, seed), grown as deeper networks
    are asked for, with each layer's standard-normal draw Z. A slider move changes only the
    scale of the weights (W = std · scale · Z, the numbers ``rng.normal(0, std · scale)`` gives),
    so the explorer rescales these instead of building and drawing a network per frame."""

    def __init__(self, width: int, activation: str, n_classes: int, seed: int) -> None:
        self.width, self.activation = width, activation
        self._hidden_rng = make_rng(seed)
        self.hidden: list[tuple[Linear, Module, np.ndarray]] = []
        z = _output_rng(seed).standard_normal((n_classes, width))
        self.out = (Linear(width, n_classes, rng=0), z)

    def network(self, depth: int) -> tuple[Sequential, list[np.ndarray]]:
        while len(self.hidden) < depth:
            z = self._hidden_rng.standard_normal((self.width, self.width))
            self.hidden.append((Linear(self.width, self.width, rng=0),
                                make_activation(self.activation), z))  # fmt: skip
        used = self.hidden[:depth]
        layers = [m for lin, act, _ in used for m in (lin, act)] + [self.out[0]]
        return Sequential(*layers), [z for *_, z in used] + [self.out[1]]


@functools.lru_cache(maxsize=8)
def _pool(width: int, activation: str, n_classes: int, seed: int) -> _LayerPool:
    return _LayerPool(width, activation, n_classes, seed)


def _output_rng(seed: int) -> np.random.Generator:
    """The output layer's own generator, so that it, too, is the same at every depth."""
    return np.random.default_rng([seed, 1])


def build_mlp(
    depth: int,
    width: int,
    init: str = AUTO,
    init_scale: float = 1.0,
    activation: str = "sigmoid",
    n_classes: int = 10,
    seed: int = 0,
) -> Sequential:
    """Sequential of ``depth`` (Linear(width, width) + activation) blocks and a Linear output layer.

    One generator draws the hidden layers in order, so layer l's weights stay the same as depth
    grows; the output layer has a generator of its own, so it stays the same too.
    """
    init, scale = _check(depth, width, n_classes, init, init_scale, activation)
    rng = make_rng(seed)
    layers = []
    for _ in range(depth):
        layers += [Linear(width, width, init=init, rng=rng, init_scale=scale),
                   make_activation(activation)]  # fmt: skip
    layers.append(Linear(width, n_classes, init=init, rng=_output_rng(seed), init_scale=scale))
    return Sequential(*layers)


def gradient_flow_stats(
    depth: int = 10,
    width: int = 64,
    init: str = AUTO,
    init_scale: float = 1.0,
    activation: str = "sigmoid",
    *,
    batch: int = 128,
    n_classes: int = 10,
    seed: int = 0,
) -> GradientFlowStats:
    """Forward a standard-normal batch with random labels, backprop the loss, and measure each layer.

    ``init="auto"`` picks the usual scheme for the activation (He for ReLU, Xavier for tanh and σ);
    ``stats.init`` says which one was used."""
    key = activation_key(activation)
    auto = init == AUTO
    init, scale = _check(depth, width, n_classes, init, init_scale, key)
    net, draws = _pool(int(width), key, int(n_classes), int(seed)).network(int(depth))
    for lin, z in zip(net.layers[::2], draws, strict=True):
        np.multiply(z, scale * init_std(init, lin.in_features, lin.out_features),
                    out=lin.params["weight"])  # fmt: skip
        lin.zero_grad()
    rng = make_rng(seed + 1)
    x = rng.standard_normal((batch, width))
    labels = rng.integers(0, n_classes, size=batch)
    loss_fn = SoftmaxCrossEntropy()

    # Sequential's own loops, unrolled so we can keep every h⁽ˡ⁾ and ∂ℒ/∂h⁽ˡ⁾ along the way.
    hs = []
    h = x
    for m in net.layers:
        h = m(h)
        hs.append(h)
    loss = loss_fn(h, labels)
    grad = loss_fn.backward()
    grad_h = {}
    for i in reversed(range(1, len(net.layers))):
        grad_h[i] = grad  # ∂ℒ/∂(output of layer i)
        grad = net.layers[i].backward(grad)
    net.layers[0].backward(grad, input_grad=False)  # nobody looks at ∂ℒ/∂x

    act_idx = range(1, 2 * depth, 2)  # activation modules sit at odd positions
    lin_idx = range(0, 2 * depth, 2)
    return GradientFlowStats(
        activation=key,
        init=init,
        auto_init=auto,
        weight_grad_norms=np.array(
            [np.linalg.norm(net.layers[i].grads["weight"]) for i in lin_idx]
        ),
        activation_grad_norms=np.array([np.linalg.norm(grad_h[i]) for i in act_idx]),
        activation_std=np.array([hs[i].std() for i in act_idx]),
        activations=[hs[i] for i in act_idx],
        loss=float(loss),
    )
