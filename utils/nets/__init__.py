"""Network definitions used by the lessons: one module per topic, every name importable here.

- `small`: "From dense networks to CNNs": `dense_classifier`, `small_cnn`, `lenet5`;
- `classic`: "Classic CNN architectures": AlexNet, VGG, GoogLeNet and their building blocks;
- `resnet`: residual blocks, `resnet` (ImageNet) and `cifar_resnet`;
- `cifar`: plain small CNNs for 32x32 images, `cifar_cnn` and `cifar_vgg`;
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
from .resnet import RESNET_DEPTHS, BasicBlock, Bottleneck, ResNet, cifar_resnet, resnet
from .small import dense_classifier, lenet5, small_cnn
from .weights import load_weights_by_position

__all__ = [
    "GOOGLENET_INCEPTIONS", "RESNET_DEPTHS", "VGG", "VGG_CONFIGS", "AlexNet", "BasicBlock",
    "Bottleneck", "ConvBNReLU", "GoogLeNet", "Inception", "ResNet", "alexnet", "cifar_cnn",
    "cifar_resnet", "cifar_vgg", "dense_classifier", "googlenet", "lenet5",
    "load_weights_by_position", "resnet", "small_cnn", "vgg", "vgg_features",
]
