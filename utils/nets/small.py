"""The small networks of "From dense networks to CNNs": the dense vs CNN pair and LeNet-5.

The experiment's two nets have nearly the same number of parameters (6,442 and 6,486 for
28x28 grey inputs); the dense one sees the image as a flat vector, the CNN as a grid.
"""

from __future__ import annotations

from torch import nn

from .._checks import check_choice, check_int


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


_ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}
_POOLS = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}


def lenet5(activation: str = "relu", pool: str = "max", num_classes: int = 10) -> nn.Sequential:
    """LeNet-5 (LeCun et al., 1998) for (N, 1, 28, 28) inputs: 61,706 parameters (10 classes).

    C1 conv 5x5, 6 maps (padding 2, so 28x28 plays the paper's 32x32) -> S2 2x2 pool -> C3 conv
    5x5, 16 maps (all 6 inputs; the paper used a sparse table) -> S4 2x2 pool -> C5 120 -> F6 84
    -> output. `activation="sigmoid", pool="avg"` is close to the original (which used a scaled
    tanh and trainable subsampling); the defaults are the modern ReLU + max-pool version.
    """
    check_choice("activation", activation, tuple(_ACTIVATIONS))
    check_choice("pool", pool, tuple(_POOLS))
    num_classes = check_int("num_classes", num_classes, minimum=1)
    act, pooling = _ACTIVATIONS[activation], _POOLS[pool]
    layers = [
        ("c1", nn.Conv2d(1, 6, kernel_size=5, padding=2)), ("act1", act()),  # (N, 6, 28, 28)
        ("s2", pooling(kernel_size=2, stride=2)),  # (N, 6, 14, 14)
        ("c3", nn.Conv2d(6, 16, kernel_size=5)), ("act3", act()),  # (N, 16, 10, 10)
        ("s4", pooling(kernel_size=2, stride=2)),  # (N, 16, 5, 5)
        ("flatten", nn.Flatten()),  # (N, 400)
        ("c5", nn.Linear(16 * 5 * 5, 120)), ("act5", act()),  # a 5x5 conv on 5x5 = a dense layer
        ("f6", nn.Linear(120, 84)), ("act6", act()),
        ("output", nn.Linear(84, num_classes)),
    ]
    net = nn.Sequential()
    for name, layer in layers:  # named layers: c1, s2, ... as in the paper
        net.add_module(name, layer)
    return net
