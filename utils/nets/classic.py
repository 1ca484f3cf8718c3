"""The classic architectures of "Classic CNN architectures": AlexNet, VGG and GoogLeNet.

Reference-size models register their parameters and buffers in exactly the order and shapes of
torchvision's models, so torchvision's weights copy in by position
(`utils.nets.load_weights_by_position`); the layer names are this book's own.
"""

from __future__ import annotations

import torch
from torch import nn

from .._checks import check_bool, check_choice, check_float, check_int


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
    check_bool("batch_norm", batch_norm)
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
    check_bool("five_by_five", five_by_five)
    return GoogLeNet(num_classes, five_by_five=five_by_five)

