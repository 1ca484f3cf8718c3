"""Activation functions from elementary tensor operations, tested against PyTorch.

Every name is importable from `utils.activations`:
- `elementwise`: sigmoid, tanh, ReLU, leaky ReLU, ELU, SELU, GELU, SiLU, softplus and Mish, each
  with its analytic derivative and a `Spec` in `SPECS`; `get(name, **params)` gives one with
  fixed parameters (`forward`, `derivative`). The website's activation explorer offers exactly
  these (`ACTIVATIONS`);
- `softmax`: softmax and log-softmax along a dimension, in their stable forms;
- `gated`: PReLU (a learned slope per channel), GLU and SwiGLU (one half of the input gates the
  other), each with its backward.
"""

from .elementwise import (
    ACTIVATIONS,
    SELU_ALPHA,
    SELU_SCALE,
    SPECS,
    Activation,
    Spec,
    elu,
    gelu,
    get,
    leaky_relu,
    mish,
    relu,
    selu,
    sigmoid,
    silu,
    softplus,
    tanh,
)
from .gated import glu, glu_backward, prelu, prelu_backward, swiglu, swiglu_backward
from .softmax import log_softmax, softmax

__all__ = [
    "ACTIVATIONS", "SELU_ALPHA", "SELU_SCALE", "SPECS", "Activation", "Spec", "elu", "gelu",
    "get", "glu", "glu_backward", "leaky_relu", "log_softmax", "mish", "prelu",
    "prelu_backward", "relu", "selu", "sigmoid", "silu", "softmax", "softplus", "swiglu",
    "swiglu_backward", "tanh",
]
