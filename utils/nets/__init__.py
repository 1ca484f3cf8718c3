"""Network definitions used by the lessons: one module per topic, every name importable here.

- `small`: "From dense networks to CNNs": `dense_classifier`, `small_cnn`, `lenet5`;
- `classic`: "Classic CNN architectures": AlexNet, VGG, GoogLeNet and their building blocks;
- `resnet`: residual blocks, `resnet` (ImageNet) and `cifar_resnet`;
- `cifar`: plain small CNNs for 32x32 images, `cifar_cnn` and `cifar_vgg`;
- `mlp`: `residual_mlp` (plain or residual fully connected nets) and `ParallelMLPs`, many of
  them trained in one pass;
- `weights`: `load_weights_by_position`, torchvision's weights into the book's models.
"""

from .cifar import cifar_cnn, cifar_vgg
from .classic import (
    GOOGLENET_INCEPTIONS,
    VGG,
    VGG_CONFIGS,
    AlexNet,
    ConvBNReLU,
    GoogLeNet,
    Inception,
    alexnet,
    googlenet,
    vgg,
    vgg_features,
)
from .mlp import MLPBlock, ParallelMLPs, ResidualMLP, residual_mlp
from .resnet import RESNET_DEPTHS, BasicBlock, Bottleneck, ResNet, cifar_resnet, resnet
from .small import dense_classifier, lenet5, small_cnn
from .weights import load_weights_by_position

__all__ = [
    "GOOGLENET_INCEPTIONS", "RESNET_DEPTHS", "VGG", "VGG_CONFIGS", "AlexNet", "BasicBlock",
    "Bottleneck", "ConvBNReLU", "GoogLeNet", "Inception", "MLPBlock", "ParallelMLPs", "ResNet",
    "ResidualMLP", "alexnet", "cifar_cnn", "cifar_resnet", "cifar_vgg", "dense_classifier",
    "googlenet", "lenet5", "load_weights_by_position", "residual_mlp", "resnet", "small_cnn",
    "vgg", "vgg_features",
]
