"""ResNet (He et al., 2015): basic and bottleneck blocks, the ImageNet models and the CIFAR ones.

`residual=False` builds the plain network of the same depth, for the degradation experiment.
The ImageNet models register their tensors in torchvision's order and shapes (see
`utils.nets.load_weights_by_position`).
"""

from __future__ import annotations

import torch
from torch import nn

from .._checks import check_bool, check_choice, check_int


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
        self.residual = check_bool("residual", residual)
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
        self.residual = check_bool("residual", residual)
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

