"""Data sets for the lessons, offline first: one module per topic, every name importable here.

- `sequences`: synthetic sequence tasks (`adding_problem`);
- `images`: the image loaders `load_mnist`, `load_fashion_mnist`, `load_cifar10` and
  `ImageDataset`; real files when at hand, a download when the host answers, otherwise one
  printed line and an offline stand-in of the same shape, dtype, value range and classes;
- `standins`: those stand-ins, rendered by code (`synthetic_digits`, `synthetic_shapes`);
- `idx`: LeCun's IDX file format (`read_idx`);
- `network`: the quick probe that tells a loader whether a download can work.
"""

from .idx import read_idx
from .images import (
    CIFAR10_CLASSES,
    DATA_ENV,
    DIGIT_CLASSES,
    FASHION_CLASSES,
    STANDIN_SEEDS,
    STANDIN_SIZES,
    ImageDataset,
    default_root,
    load_cifar10,
    load_fashion_mnist,
    load_mnist,
)
from .sequences import adding_problem
from .standins import DIGIT_FONTS, SHAPE_CLASSES, synthetic_digits, synthetic_shapes

__all__ = [
    "CIFAR10_CLASSES", "DATA_ENV", "DIGIT_CLASSES", "DIGIT_FONTS", "FASHION_CLASSES",
    "SHAPE_CLASSES", "STANDIN_SEEDS", "STANDIN_SIZES", "ImageDataset", "adding_problem",
    "default_root", "load_cifar10", "load_fashion_mnist", "load_mnist", "read_idx",
    "synthetic_digits", "synthetic_shapes",
]
