"""Network definitions used by the lessons.

Two sections: the small networks of "From dense networks to CNNs" (LeNet-5 and the dense vs
CNN experiment), and the classic architectures of "Classic CNN architectures" (AlexNet, VGG,
GoogLeNet, ResNet and their CIFAR-scale variants).
"""

from __future__ import annotations

import torch
from torch import nn

from ._checks import check_choice, check_float, check_int

# ----------------------------------------------------------------------------------------------
# From dense networks to CNNs
# ----------------------------------------------------------------------------------------------
# The experiment's two nets have nearly the same number of parameters (6,442 and 6,486 for
# 28x28 grey inputs); the dense one sees the image as a flat vector, the CNN as a grid.


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


# ----------------------------------------------------------------------------------------------
# Classic CNN architectures
# ----------------------------------------------------------------------------------------------
# Reference-size models (`alexnet`, `vgg`, `googlenet`, `resnet`) register their parameters
# and buffers in exactly the order and shapes of torchvision's models, so torchvision's weights
# copy in by position (`load_weights_by_position`); the layer names are this book's own.


class AlexNet(nn.Module):
    """AlexNet (Krizhevsky, Sutskever and Hinton, 2012) as one tower, torchvision's layout.

    The paper split the layers over two GPUs (48 + 48 first-layer filters, ...) and used local
    response normalisation; this single-tower version has neither (as torchvision's). Input
    (N, 3, H, W) with H, W >= 63; the adaptive pool makes the classifier see (N, 256, 6, 6).
    """

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5) -> None:
        super().__init__()
        num_classes = check_int("num_classes", num_classes, minimum=1)
        dropout = check_float("dropout", dropout, minimum=0.0, maximum=1.0)
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2), nn.ReLU(),  # (N, 64, 55, 55)
            nn.MaxPool2d(kernel_size=3, stride=2),  # overlapping: window 3 > stride 2; 27x27
            nn.Conv2d(64, 192, kernel_size=5, padding=2), nn.ReLU(),
            nn.MaxPool2d(kernel_size=3, stride=2),  # (N, 192, 13, 13)
            nn.Conv2d(192, 384, kernel_size=3, padding=1), nn.ReLU(),
            nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(),
            nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(),
            nn.MaxPool2d(kernel_size=3, stride=2),  # (N, 256, 6, 6)
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(),
            nn.Dropout(dropout), nn.Linear(4096, 4096), nn.ReLU(),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.avgpool(self.features(x))  # (N, 256, 6, 6)
        return self.classifier(torch.flatten(x, 1))  # (N, 9216) -> (N, num_classes)


def alexnet(num_classes: int = 1000) -> AlexNet:
    """AlexNet for 224x224 RGB images: 61,100,840 parameters with 1000 classes."""
    return AlexNet(num_classes)


# Numbers are 3x3 convolutions (padding 1) with that many output channels, "M" a 2x2 max pool.
VGG_CONFIGS: dict[str, tuple] = {
    "vgg11": (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    "vgg13": (64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    "vgg16": (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
              512, 512, 512, "M"),
    "vgg19": (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
              512, 512, 512, 512, "M"),
}


def vgg_features(config, batch_norm: bool = False, in_channels: int = 3) -> nn.Sequential:
    """The convolutional part of a VGG net: 3x3 conv (+ BatchNorm) + ReLU, "M" = 2x2 max pool."""
    layers: list[nn.Module] = []
    for v in config:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))  # halves H and W
            continue
        layers.append(nn.Conv2d(in_channels, v, kernel_size=3, padding=1))  # keeps H and W
        if batch_norm:
            layers.append(nn.BatchNorm2d(v))
        layers.append(nn.ReLU())
        in_channels = v
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """VGG (Simonyan and Zisserman, 2014): `vgg_features`, a 7x7 adaptive pool, three FC layers."""

    def __init__(self, config, batch_norm: bool = False, num_classes: int = 1000,
                 dropout: float = 0.5) -> None:
        super().__init__()
        num_classes = check_int("num_classes", num_classes, minimum=1)
        dropout = check_float("dropout", dropout, minimum=0.0, maximum=1.0)
        self.features = vgg_features(config, batch_norm)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.avgpool(self.features(x))  # (N, 512, 7, 7)
        return self.classifier(torch.flatten(x, 1))  # (N, 25088) -> (N, num_classes)


def vgg(name: str, batch_norm: bool = False, num_classes: int = 1000) -> VGG:
    """VGG-11/13/16/19 (`name` in "vgg11", "vgg13", "vgg16", "vgg19"), optionally with BatchNorm."""
    check_choice("name", name, tuple(VGG_CONFIGS))
    if not isinstance(batch_norm, bool):
        raise TypeError(f"batch_norm={batch_norm!r} is not allowed; batch_norm must be a bool")
    return VGG(VGG_CONFIGS[name], batch_norm, num_classes)


class ConvBNReLU(nn.Sequential):
    """Conv2d without bias, BatchNorm2d, ReLU: GoogLeNet's and ResNet's basic unit."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 padding: int = 0, eps: float = 1e-5) -> None:
        super().__init__(
            nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding,
                      bias=False),  # the BatchNorm's shift makes a bias redundant
            nn.BatchNorm2d(out_channels, eps=eps),
            nn.ReLU(),
        )


class Inception(nn.Module):
    """The Inception module (Szegedy et al., 2014): four branches concatenated on channels.

    1x1 | 1x1 reduce -> 3x3 | 1x1 reduce -> "5x5" | 3x3 max pool -> 1x1 projection.
    Output (N, ch1x1 + ch3x3 + ch5x5 + pool_proj, H, W). torchvision (and its weights) uses a
    3x3 kernel in the "5x5" branch; `five_by_five=True` gives the paper's 5x5 (padding 2).
    """

    def __init__(self, in_channels: int, ch1x1: int, ch3x3red: int, ch3x3: int, ch5x5red: int,
                 ch5x5: int, pool_proj: int, five_by_five: bool = False) -> None:
        super().__init__()
        k = 5 if five_by_five else 3
        eps = 1e-3  # as in torchvision's GoogLeNet
        self.branch1 = ConvBNReLU(in_channels, ch1x1, 1, eps=eps)
        self.branch2 = nn.Sequential(ConvBNReLU(in_channels, ch3x3red, 1, eps=eps),
                                     ConvBNReLU(ch3x3red, ch3x3, 3, padding=1, eps=eps))
        self.branch3 = nn.Sequential(ConvBNReLU(in_channels, ch5x5red, 1, eps=eps),
                                     ConvBNReLU(ch5x5red, ch5x5, k, padding=k // 2, eps=eps))
        self.branch4 = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1, ceil_mode=True),
                                     ConvBNReLU(in_channels, pool_proj, 1, eps=eps))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branches = [self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)]
        return torch.cat(branches, dim=1)  # (N, sum of branch channels, H, W)


# (in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj) of GoogLeNet's modules
GOOGLENET_INCEPTIONS: dict[str, tuple[int, ...]] = {
    "3a": (192, 64, 96, 128, 16, 32, 32), "3b": (256, 128, 128, 192, 32, 96, 64),
    "4a": (480, 192, 96, 208, 16, 48, 64), "4b": (512, 160, 112, 224, 24, 64, 64),
    "4c": (512, 128, 128, 256, 24, 64, 64), "4d": (512, 112, 144, 288, 32, 64, 64),
    "4e": (528, 256, 160, 320, 32, 128, 128),
    "5a": (832, 256, 160, 320, 32, 128, 128), "5b": (832, 384, 192, 384, 48, 128, 128),
}


class GoogLeNet(nn.Module):
    """GoogLeNet (Inception v1) without the auxiliary classifiers, torchvision's layout."""

    def __init__(self, num_classes: int = 1000, dropout: float = 0.2,
                 five_by_five: bool = False) -> None:
        super().__init__()
        num_classes = check_int("num_classes", num_classes, minimum=1)
        dropout = check_float("dropout", dropout, minimum=0.0, maximum=1.0)
        eps = 1e-3
        self.stem = nn.Sequential(
            ConvBNReLU(3, 64, 7, stride=2, padding=3, eps=eps),  # (N, 64, 112, 112)
            nn.MaxPool2d(3, stride=2, ceil_mode=True),  # (N, 64, 56, 56)
            ConvBNReLU(64, 64, 1, eps=eps),
            ConvBNReLU(64, 192, 3, padding=1, eps=eps),
            nn.MaxPool2d(3, stride=2, ceil_mode=True),  # (N, 192, 28, 28)
        )
        layers: list[nn.Module] = []
        for name, channels in GOOGLENET_INCEPTIONS.items():
            if name in ("4a", "5a"):
                pool = 3 if name == "4a" else 2
                layers.append(nn.MaxPool2d(pool, stride=2, ceil_mode=True))  # halves H and W
            layers.append(Inception(*channels, five_by_five=five_by_five))
        self.inceptions = nn.Sequential(*layers)  # (N, 1024, 7, 7) at 224x224
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(1024, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.avgpool(self.inceptions(self.stem(x)))  # (N, 1024, 1, 1)
        return self.fc(self.dropout(torch.flatten(x, 1)))  # (N, num_classes)


def googlenet(num_classes: int = 1000, *, five_by_five: bool = False) -> GoogLeNet:
    """GoogLeNet without auxiliary heads: 6,624,904 parameters with 1000 classes.

    `five_by_five=True` uses the paper's 5x5 kernels in the third branch (torchvision's
    weights need the default, 3x3).
    """
    if not isinstance(five_by_five, bool):
        raise TypeError(f"five_by_five={five_by_five!r} is not allowed; it must be a bool")
    return GoogLeNet(num_classes, five_by_five=five_by_five)


class BasicBlock(nn.Module):
    """ResNet's basic block: two 3x3 conv-BN layers and a shortcut, ReLU after the sum.

    out = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)). The shortcut is the identity
    when the shape is kept, else a 1x1 convolution with `stride` + BN (the projection).
    `residual=False` drops the shortcut: the "plain" block of the degradation experiment.
    Input (N, in_channels, H, W) -> (N, out_channels, ceil(H / stride), ceil(W / stride)).
    """

    expansion = 1

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1,
                 residual: bool = True) -> None:
        super().__init__()
        in_channels = check_int("in_channels", in_channels, minimum=1)
        out_channels = check_int("out_channels", out_channels, minimum=1)
        stride = check_int("stride", stride, minimum=1)
        self.residual = residual
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut = _projection(in_channels, out_channels, stride, residual)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))  # (N, C_out, H', W')
        out = self.bn2(self.conv2(out))
        if self.residual:
            # y = F(x) + x, or F(x) + W_s x when the shape changes
            out = out + (x if self.shortcut is None else self.shortcut(x))
        return self.relu(out)


class Bottleneck(nn.Module):
    """ResNet's bottleneck block: 1x1 reduce to `width`, 3x3 (with `stride`), 1x1 expand x4.

    Output channels `width * expansion`; the stride sits on the 3x3 convolution (torchvision's
    "ResNet v1.5"). Shortcut as in `BasicBlock`.
    """

    expansion = 4

    def __init__(self, in_channels: int, width: int, stride: int = 1,
                 residual: bool = True) -> None:
        super().__init__()
        in_channels = check_int("in_channels", in_channels, minimum=1)
        width = check_int("width", width, minimum=1)
        stride = check_int("stride", stride, minimum=1)
        out_channels = width * self.expansion
        self.residual = residual
        self.conv1 = nn.Conv2d(in_channels, width, 1, bias=False)  # reduce channels
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, out_channels, 1, bias=False)  # expand channels
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU()
        self.shortcut = _projection(in_channels, out_channels, stride, residual)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))  # (N, width, H, W)
        out = self.relu(self.bn2(self.conv2(out)))  # (N, width, H', W')
        out = self.bn3(self.conv3(out))  # (N, 4 width, H', W')
        if self.residual:
            out = out + (x if self.shortcut is None else self.shortcut(x))
        return self.relu(out)


def _projection(in_channels: int, out_channels: int, stride: int,
                residual: bool) -> nn.Module | None:
    """1x1 conv with `stride` + BN when a residual block changes the shape, else None."""
    if not residual or (stride == 1 and in_channels == out_channels):
        return None
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                         nn.BatchNorm2d(out_channels))


class ResNet(nn.Module):
    """A ResNet: a stem, stages of residual blocks (the first of each stage may downsample),
    global average pooling and one linear layer.

    stem="imagenet": 7x7 stride-2 conv + BN + ReLU + 3x3 stride-2 max pool (He et al., 2015);
    stem="cifar": 3x3 conv + BN + ReLU (He et al., section 4.2). `residual=False` builds the
    plain network of the same depth (no shortcuts) for the degradation experiment.
    """

    def __init__(self, block: type[BasicBlock] | type[Bottleneck], blocks_per_stage,
                 widths, num_classes: int = 1000, stem: str = "imagenet",
                 residual: bool = True) -> None:
        super().__init__()
        num_classes = check_int("num_classes", num_classes, minimum=1)
        check_choice("stem", stem, ("imagenet", "cifar"))
        if len(blocks_per_stage) != len(widths):
            raise ValueError(f"blocks_per_stage={tuple(blocks_per_stage)} and "
                             f"widths={tuple(widths)} must have the same length")
        if stem == "imagenet":
            self.stem = nn.Sequential(
                nn.Conv2d(3, widths[0], 7, stride=2, padding=3, bias=False),  # (N, 64, H/2, W/2)
                nn.BatchNorm2d(widths[0]), nn.ReLU(),
                nn.MaxPool2d(3, stride=2, padding=1))  # (N, 64, H/4, W/4)
        else:
            self.stem = nn.Sequential(nn.Conv2d(3, widths[0], 3, padding=1, bias=False),
                                      nn.BatchNorm2d(widths[0]), nn.ReLU())
        stages, in_channels = [], widths[0]
        for i, (n, width) in enumerate(zip(blocks_per_stage, widths)):
            n = check_int(f"blocks_per_stage[{i}]", n, minimum=1)
            blocks = []
            for j in range(n):
                stride = 2 if i > 0 and j == 0 else 1  # each later stage halves H and W
                blocks.append(block(in_channels, width, stride, residual=residual))
                in_channels = width * block.expansion
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(in_channels, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):  # He initialisation, as in the ResNet paper
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.avgpool(self.stages(self.stem(x)))  # (N, C, 1, 1)
        return self.fc(torch.flatten(x, 1))  # (N, num_classes)


RESNET_DEPTHS: dict[int, tuple[type[BasicBlock] | type[Bottleneck], tuple[int, ...]]] = {
    18: (BasicBlock, (2, 2, 2, 2)), 34: (BasicBlock, (3, 4, 6, 3)),
    50: (Bottleneck, (3, 4, 6, 3)), 101: (Bottleneck, (3, 4, 23, 3)),
    152: (Bottleneck, (3, 8, 36, 3)),
}


def resnet(depth: int, num_classes: int = 1000) -> ResNet:
    """ResNet-18/34 (BasicBlock) or ResNet-50/101/152 (Bottleneck) for 224x224 images."""
    check_choice("depth", depth, tuple(RESNET_DEPTHS))
    block, blocks_per_stage = RESNET_DEPTHS[depth]
    return ResNet(block, blocks_per_stage, (64, 128, 256, 512), num_classes)


def cifar_resnet(depth: int = 20, num_classes: int = 10, width: int = 16,
                 residual: bool = True) -> ResNet:
    """The CIFAR ResNet of He et al. (2015, section 4.2): depth = 6n + 2 layers with weights.

    A 3x3 stem, three stages of n BasicBlocks with `width`, 2 `width`, 4 `width` channels at
    32x32, 16x16, 8x8, global average pooling and a linear layer. `residual=False` gives the
    plain net of the same depth. Projection shortcuts (their option B) where the shape changes.
    """
    depth = check_int("depth", depth, minimum=1)
    if depth < 8 or (depth - 2) % 6:
        raise ValueError(f"depth={depth} is not allowed; depth must be 6n + 2 with n >= 1 "
                         "(8, 14, 20, 32, 44, 56, 110, ...)")
    width = check_int("width", width, minimum=1)
    n = (depth - 2) // 6
    return ResNet(BasicBlock, (n, n, n), (width, 2 * width, 4 * width), num_classes,
                  stem="cifar", residual=residual)


def cifar_cnn(num_classes: int = 10, width: int = 32, image_size: int = 32) -> nn.Sequential:
    """A plain small CNN for RGB images of `image_size` (a multiple of 8, default CIFAR's 32):
    three conv-ReLU-maxpool stages, then one linear layer on the flattened maps."""
    num_classes = check_int("num_classes", num_classes, minimum=1)
    w = check_int("width", width, minimum=1)
    image_size = check_int("image_size", image_size, minimum=8)
    if image_size % 8:
        raise ValueError(f"image_size={image_size} is not allowed; image_size must be a "
                         "multiple of 8 (three 2x2 poolings)")
    side = image_size // 8
    return nn.Sequential(
        nn.Conv2d(3, w, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (N, w, S/2, S/2)
        nn.Conv2d(w, 2 * w, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (N, 2w, S/4, S/4)
        nn.Conv2d(2 * w, 4 * w, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (N, 4w, S/8, S/8)
        nn.Flatten(), nn.Linear(4 * w * side * side, num_classes),  # (N, 4w S^2/64) -> classes
    )


def cifar_vgg(num_classes: int = 10, width: int = 32, batch_norm: bool = True) -> nn.Sequential:
    """A VGG-style net for 32x32 RGB: three blocks of two 3x3 convs (+ BN) + max pool, then
    global average pooling and one linear layer."""
    num_classes = check_int("num_classes", num_classes, minimum=1)
    w = check_int("width", width, minimum=1)
    config = (w, w, "M", 2 * w, 2 * w, "M", 4 * w, 4 * w, "M")  # 32 -> 16 -> 8 -> 4
    return nn.Sequential(vgg_features(config, batch_norm), nn.AdaptiveAvgPool2d((1, 1)),
                         nn.Flatten(), nn.Linear(4 * w, num_classes))


def load_weights_by_position(model: nn.Module, source: nn.Module | dict) -> nn.Module:
    """Copy `source`'s parameters and buffers into `model` in registration order.

    For models whose layers are named differently but registered in the same order with the
    same shapes (this module's reference nets and torchvision's). `source` is a module or a
    state dict. Raises ValueError naming the first mismatch. Returns `model`.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    src = source.state_dict() if isinstance(source, nn.Module) else source
    if not isinstance(src, dict):
        raise TypeError(f"source must be a torch.nn.Module or a state dict, "
                        f"got {type(source).__name__}")
    dst = model.state_dict()
    if len(src) != len(dst):
        raise ValueError(f"source has {len(src)} tensors but model has {len(dst)}; "
                         "the two architectures differ")
    new_state = {}
    for i, ((name, target), (src_name, value)) in enumerate(zip(dst.items(), src.items())):
        if target.shape != value.shape:
            raise ValueError(f"tensor {i}: model's {name} has shape {tuple(target.shape)} but "
                             f"source's {src_name} has shape {tuple(value.shape)}")
        new_state[name] = value
    model.load_state_dict(new_state)
    return model
