"""Plain small CNNs for 32x32 RGB images (CIFAR-10 scale): one without, one with VGG blocks."""

from __future__ import annotations

from torch import nn

from .._checks import check_bool, check_int
from .classic import vgg_features


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
    check_bool("batch_norm", batch_norm)
    config = (w, w, "M", 2 * w, 2 * w, "M", 4 * w, 4 * w, "M")  # 32 -> 16 -> 8 -> 4
    return nn.Sequential(vgg_features(config, batch_norm), nn.AdaptiveAvgPool2d((1, 1)),
                         nn.Flatten(), nn.Linear(4 * w, num_classes))

