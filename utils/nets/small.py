"""The small networks of "From dense networks to CNNs": the dense vs CNN pair and LeNet-5.

The experiment's two nets have nearly the same number of parameters (6,442 and 6,486 for
28x28 grey inputs); the dense one sees the image as a flat vector, the CNN as a grid.
LeNet-5 comes in today's version (ReLU, max pooling) and with the two pieces of the 1998 paper
that this module can put back: its squashing function `ScaledTanh` and its trainable
`Subsampling` layers.
"""

from __future__ import annotations

import torch
from torch import nn

from .._checks import check_choice, check_int, check_tensor


def dense_classifier(hidden: int = 8, num_classes: int = 10,
                     in_features: int = 28 * 28) -> nn.Sequential:
    """Flatten, then two hidden Linear + ReLU layers of `hidden` units, then the class scores.

    Input (N, C, H, W) with C * H * W = `in_features`. Defaults: 784-8-8-10, 6,442 parameters.
    """
    hidden = check_int("hidden", hidden, minimum=1)
    num_classes = check_int("num_classes", num_classes, minimum=1)
    in_features = check_int("in_features", in_features, minimum=1)
    return nn.Sequential(
        nn.Flatten(),  # (N, C, H, W) -> (N, C*H*W): pixel order no longer matters to the net
        nn.Linear(in_features, hidden), nn.ReLU(),
        nn.Linear(hidden, hidden), nn.ReLU(),
        nn.Linear(hidden, num_classes),
    )


def small_cnn(channels: int = 6, hidden: int = 16, num_classes: int = 10) -> nn.Sequential:
    """One 5x5 convolution with `channels` feature maps, ReLU, 3x3 max pooling, then a
    `hidden`-unit dense layer and the class scores. For (N, 1, 28, 28) inputs.

    Defaults: conv 156 + dense 6,160 + output 170 = 6,486 parameters.
    """
    channels = check_int("channels", channels, minimum=1)
    hidden = check_int("hidden", hidden, minimum=1)
    num_classes = check_int("num_classes", num_classes, minimum=1)
    return nn.Sequential(
        nn.Conv2d(1, channels, kernel_size=5), nn.ReLU(),  # (N, channels, 24, 24)
        nn.MaxPool2d(3),  # (N, channels, 8, 8)
        nn.Flatten(),  # (N, channels * 64)
        nn.Linear(channels * 8 * 8, hidden), nn.ReLU(),
        nn.Linear(hidden, num_classes),
    )


class ScaledTanh(nn.Module):
    """LeNet-5's squashing function f(a) = A tanh(S a) with A = 1.7159 and S = 2/3.

    The squashing function of LeNet-5 (LeCun et al., 1998, Section II-B, eq. 6). Efficient
    BackProp (LeCun et al., 1998, Section 4.4) gives the constants' reason: f(1) = 1 and
    f(-1) = -1. The slope at the origin is A S = 1.1439. Elementwise, any shape.
    """

    amplitude = 1.7159  # A: the outputs lie in (-A, A)
    slope = 2 / 3  # S: f'(0) = A S

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # f(a) = A tanh(S a)
        return self.amplitude * torch.tanh(self.slope * x)

    def extra_repr(self) -> str:
        return f"amplitude={self.amplitude}, slope={self.slope:.4g}"


class Subsampling(nn.Module):
    """LeNet-5's sub-sampling layer (S2, S4): per map, a trainable coefficient times the sum of
    each non-overlapping `kernel_size` x `kernel_size` block, plus a trainable bias.

    Input (N, C, H, W) with C = `channels`; output (N, C, H // k, W // k) (rows and columns
    that do not fill a block are dropped, as `nn.AvgPool2d` does). Two parameters per map, as
    the paper counts them. The coefficient starts at 1 / k^2, so a fresh layer is average
    pooling (our choice; the paper does not say how it started them).
    """

    def __init__(self, channels: int, kernel_size: int = 2) -> None:
        super().__init__()
        self.channels = check_int("channels", channels, minimum=1)
        self.kernel_size = check_int("kernel_size", kernel_size, minimum=1)
        self.weight = nn.Parameter(torch.full((self.channels,), 1.0 / self.kernel_size ** 2))
        self.bias = nn.Parameter(torch.zeros(self.channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_tensor("x", x, floating=True)
        k = self.kernel_size
        if x.dim() != 4 or x.shape[1] != self.channels:
            raise ValueError(f"x has shape {tuple(x.shape)}; Subsampling({self.channels}) "
                             f"needs (N, {self.channels}, H, W)")
        n, c, h, w = x.shape
        if h < k or w < k:
            raise ValueError(f"x has shape {tuple(x.shape)}; its maps must be at least "
                             f"kernel_size={k} on each side")
        blocks = x[:, :, :h // k * k, :w // k * k]  # drop what does not fill a block
        blocks = blocks.reshape(n, c, h // k, k, w // k, k)  # (N, C, H/k, k, W/k, k)
        sums = blocks.sum(dim=(3, 5))  # (N, C, H/k, W/k)
        # y = w_c * (sum of the block) + b_c
        return sums * self.weight.view(1, c, 1, 1) + self.bias.view(1, c, 1, 1)

    def extra_repr(self) -> str:
        return f"{self.channels}, kernel_size={self.kernel_size}"


_ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh,
                "scaled_tanh": ScaledTanh}
_POOLS = ("max", "avg", "subsample")


def _s_layer(number: int, pool: str, channels: int, act) -> list[tuple[str, nn.Module]]:
    """S layer `number` (2 or 4): a 2x2 pool, or the paper's subsampling and the squashing
    function after it."""
    if pool == "max":
        return [(f"s{number}", nn.MaxPool2d(kernel_size=2, stride=2))]
    if pool == "avg":
        return [(f"s{number}", nn.AvgPool2d(kernel_size=2, stride=2))]
    return [(f"s{number}", Subsampling(channels)), (f"act{number}", act())]


def lenet5(activation: str = "relu", pool: str = "max", num_classes: int = 10) -> nn.Sequential:
    """LeNet-5 (LeCun et al., 1998) for (N, 1, 28, 28) inputs: 61,706 parameters (10 classes).

    C1 conv 5x5, 6 maps (padding 2, so 28x28 plays the paper's 32x32) -> S2 -> C3 conv 5x5, 16
    maps (all 6 inputs; the paper used a sparse table) -> S4 -> C5 120 -> F6 84 -> output.
    `activation`: "relu" (the default), "sigmoid", "tanh" or "scaled_tanh" (the paper's
    1.7159 tanh(2a/3), `ScaledTanh`), after C1, C3, C5 and F6. `pool`: "max" (the default) or
    "avg" (2x2 pools, no parameters), or "subsample", the paper's S layers: `Subsampling`
    (a trainable coefficient and bias per map: S2 has 12 parameters, S4 32, so 61,750 in all)
    followed by the activation. `lenet5("scaled_tanh", "subsample")` has the paper's activation
    and S layers but is still not its network: C3 reads every S2 map, the output is a linear
    layer (the paper's were radial basis functions), and the input is 28x28.
    """
    check_choice("activation", activation, tuple(_ACTIVATIONS))
    check_choice("pool", pool, _POOLS)
    num_classes = check_int("num_classes", num_classes, minimum=1)
    act = _ACTIVATIONS[activation]
    layers = [
        ("c1", nn.Conv2d(1, 6, kernel_size=5, padding=2)), ("act1", act()),  # (N, 6, 28, 28)
        *_s_layer(2, pool, 6, act),  # (N, 6, 14, 14)
        ("c3", nn.Conv2d(6, 16, kernel_size=5)), ("act3", act()),  # (N, 16, 10, 10)
        *_s_layer(4, pool, 16, act),  # (N, 16, 5, 5)
        ("flatten", nn.Flatten()),  # (N, 400)
        ("c5", nn.Linear(16 * 5 * 5, 120)), ("act5", act()),  # a 5x5 conv on 5x5 = a dense layer
        ("f6", nn.Linear(120, 84)), ("act6", act()),
        ("output", nn.Linear(84, num_classes)),
    ]
    net = nn.Sequential()
    for name, layer in layers:  # named layers: c1, s2, ... as in the paper
        net.add_module(name, layer)
    return net
