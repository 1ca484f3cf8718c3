"""Network definitions used by the lessons.

Two sections: the small networks of "From dense networks to CNNs" (LeNet-5 and the dense vs
CNN experiment), and the classic architectures of "Classic CNN architectures" (AlexNet, VGG,
GoogLeNet, ResNet and their CIFAR-scale variants).
"""

from __future__ import annotations



# ----------------------------------------------------------------------------------------------
# From dense networks to CNNs
# ----------------------------------------------------------------------------------------------


# ----------------------------------------------------------------------------------------------
# Classic CNN architectures
# ----------------------------------------------------------------------------------------------
