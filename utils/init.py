"""Weight initialisation from scratch: gains, fans, Xavier/Glorot and He/Kaiming.

Names, defaults and semantics are those of `torch.nn.init`; `tests/test_init.py` checks each
function against it in float64 (the same generator gives the same numbers). The scale of every
init comes from one derivation (the "Initialisation" lesson): for `y = W x` with independent,
zero-mean weights and inputs, `Var(y) = n_in Var(w) Var(x)` forwards and
`Var(dL/dx) = n_out Var(w) Var(dL/dy)` backwards. Keeping the forward variance gives
`Var(w) = 1 / n_in` (LeCun), a compromise between both directions `2 / (n_in + n_out)` (Glorot
and Bengio, 2010), and a ReLU, which keeps half of the second moment, doubles it:
`Var(w) = 2 / n_in` (He et al., 2015). A uniform `U(-a, a)` has variance `a^2 / 3`, so its bound
is `a = sqrt(3) * std`.

The functions fill the tensor in place (without recording it for autograd, as `torch.nn.init`)
and return it. The random numbers come from `Tensor.uniform_` / `Tensor.normal_`, the same
primitives `torch.nn.init` draws from: what this module teaches is the scale, not the sampling.
"""

from __future__ import annotations

import math
import numbers
import warnings

import torch

from ._checks import check_choice, check_float, check_tensor

__all__ = ["calculate_gain", "fan_in_and_fan_out", "kaiming_normal_", "kaiming_uniform_",
           "xavier_normal_", "xavier_uniform_"]

LINEAR_NAMES = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                "conv_transpose3d")
NONLINEARITIES = (*LINEAR_NAMES, "sigmoid", "tanh", "relu", "leaky_relu", "selu")
MODES = ("fan_in", "fan_out")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor by which to scale a unit-gain init's std for `nonlinearity`.

    As `torch.nn.init.calculate_gain`: 1 for linear layers and sigmoid, 5/3 for tanh, sqrt(2)
    for ReLU, sqrt(2 / (1 + a^2)) for leaky ReLU with negative slope `param` (a = 0.01 when
    None), 3/4 for SELU. `param` is read for leaky ReLU only.
    """
    check_choice("nonlinearity", nonlinearity, NONLINEARITIES)
    if nonlinearity in LINEAR_NAMES or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        # E[relu(z)^2] = Var(z) / 2 for a symmetric z: the factor 2 puts back the lost half
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, bool) or not isinstance(param, numbers.Real):
            raise TypeError(f"param={param!r} is not allowed; for leaky_relu param is the "
                            "negative slope, a real number (or None for 0.01)")
        else:
            slope = param
        # E[leaky_relu(z)^2] = (1 + a^2) / 2 * Var(z)
        return math.sqrt(2.0 / (1 + slope ** 2))
    return 3.0 / 4  # selu: PyTorch's empirical value (pytorch/pytorch#50664)


def fan_in_and_fan_out(tensor: torch.Tensor) -> tuple[int, int]:
    """`(fan_in, fan_out)` of a weight laid out as PyTorch lays it out.

    A linear weight is `(out_features, in_features)`, a convolution's `(C_out, C_in, *kernel)`:
    each output sums over `fan_in = C_in * prod(kernel)` inputs, and each input reaches
    `fan_out = C_out * prod(kernel)` outputs. Needs at least 2 dimensions.
    """
    check_tensor("tensor", tensor)
    if tensor.dim() < 2:
        raise ValueError(f"tensor has shape {tuple(tensor.shape)}; fan_in and fan_out need a "
                         "tensor with at least 2 dimensions (out_features, in_features, ...)")
    receptive_field = 1
    for size in tensor.shape[2:]:  # the kernel's taps, 1 for a linear layer
        receptive_field *= size
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def _check_init_args(tensor, generator):
    check_tensor("tensor", tensor, floating=True)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, "
                        f"got {type(generator).__name__}")


def _fill_uniform_(tensor, bound, generator):
    with torch.no_grad():
        return tensor.uniform_(-bound, bound, generator=generator)


def _fill_normal_(tensor, std, generator):
    with torch.no_grad():
        return tensor.normal_(0.0, std, generator=generator)


def _xavier_std(tensor, gain) -> float:
    gain = check_float("gain", gain)
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    if fan_in + fan_out == 0:
        raise ValueError(f"tensor has shape {tuple(tensor.shape)}, so fan_in + fan_out = 0; "
                         "Xavier init needs at least one input or output")
    # Var(w) = 2 / (fan_in + fan_out): the mean of the forward and the backward condition
    return gain * math.sqrt(2.0 / (fan_in + fan_out))


def xavier_uniform_(tensor: torch.Tensor, gain: float = 1.0,
                    generator: torch.Generator | None = None) -> torch.Tensor:
    """Fill `tensor` from `U(-a, a)`, `a = gain * sqrt(6 / (fan_in + fan_out))`; return it."""
    _check_init_args(tensor, generator)
    std = _xavier_std(tensor, gain)
    return _fill_uniform_(tensor, math.sqrt(3.0) * std, generator)  # Var(U(-a, a)) = a^2 / 3


def xavier_normal_(tensor: torch.Tensor, gain: float = 1.0,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """Fill `tensor` from `N(0, std^2)`, `std = gain * sqrt(2 / (fan_in + fan_out))`."""
    _check_init_args(tensor, generator)
    return _fill_normal_(tensor, _xavier_std(tensor, gain), generator)


def _kaiming_std(tensor, a, mode, nonlinearity) -> float | None:
    """The He std, or None for a tensor with no elements (PyTorch warns and does nothing)."""
    check_choice("mode", mode, MODES)
    if isinstance(a, bool) or not isinstance(a, numbers.Real):
        raise TypeError(f"a={a!r} is not allowed; a is the negative slope of the leaky ReLU, a "
                        "real number")
    gain = calculate_gain(nonlinearity, a)
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return None
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    # Var(w) = gain^2 / fan: gain^2 = 2 / (1 + a^2) makes up for what the rectifier removes
    return gain / math.sqrt(fan)


def kaiming_uniform_(tensor: torch.Tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu",
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """Fill `tensor` from `U(-b, b)`, `b = sqrt(3) * gain / sqrt(fan)`; return it.

    `gain = calculate_gain(nonlinearity, a)`; `fan` is fan_in (keeps the forward variance) or
    fan_out (keeps the backward one). PyTorch's `nn.Linear` and `nn.Conv2d` use `a=sqrt(5)`:
    gain sqrt(1/3), so `b = 1 / sqrt(fan_in)` and `std = 1 / sqrt(3 fan_in)`.
    """
    _check_init_args(tensor, generator)
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return _fill_uniform_(tensor, math.sqrt(3.0) * std, generator)


def kaiming_normal_(tensor: torch.Tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu",
                    generator: torch.Generator | None = None) -> torch.Tensor:
    """Fill `tensor` from `N(0, std^2)`, `std = gain / sqrt(fan)`; return it."""
    _check_init_args(tensor, generator)
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return _fill_normal_(tensor, std, generator)
