"""Activations that are not elementwise functions of x with number parameters.

- `prelu(x, weight)`: leaky ReLU whose negative slope is a learned tensor, one per channel
  (He et al., 2015), as `F.prelu`;
- `glu(x, dim)`: the gated linear unit (Dauphin et al., 2017), as `F.glu`: x is split into two
  halves a, b along `dim` and the output a * sigmoid(b) has half the size;
- `swiglu(x, dim)`: the same with the gate swish(b) = b * sigmoid(b) (Shazeer, 2020). PyTorch
  has no op for it; the tests build it from `F.silu`.

Each comes with its backward, `*_backward(..., grad_output)`, the vector-Jacobian product that
autograd computes (the tests compare them): for these the Jacobian is not diagonal, so a single
elementwise `derivative(x)` as in `elementwise.py` cannot describe it.
"""

from __future__ import annotations

import torch

from .._checks import check_int, check_tensor
from .elementwise import _check_x, _d_sigmoid, _d_silu, sigmoid, silu

# ---------------------------------------------------------------------------------------------
# PReLU: a learned negative slope per channel
# ---------------------------------------------------------------------------------------------


def _prelu_weight(x: torch.Tensor, weight) -> torch.Tensor:
    """`weight` reshaped to broadcast along x's channel dimension (dim 1), in x's dtype."""
    weight = check_tensor("weight", weight, floating=True)
    if weight.dim() > 1:
        raise ValueError(f"weight has shape {tuple(weight.shape)}; it must have shape () or "
                         "(C,): one slope, or one per channel")
    channels = x.shape[1] if x.dim() >= 2 else 1  # PyTorch: no channel dimension below 2-D
    if weight.numel() not in (1, channels):
        raise ValueError(f"weight has {weight.numel()} entries, but x of shape "
                         f"{tuple(x.shape)} has {channels} channel(s) along dim 1; weight must "
                         f"have 1 or {channels} entries")
    weight = weight.to(x.dtype)
    if weight.numel() == 1 or x.dim() < 2:
        return weight.reshape(())
    return weight.reshape(1, channels, *([1] * (x.dim() - 2)))  # (1, C, 1, ...)


def prelu(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Parametric ReLU (F.prelu): x for x > 0, else a_c x, a_c the slope of x's channel c.

    `weight` is one slope (shape () or (1,)) or one per channel (shape (C,), C = x.shape[1]).
    nn.PReLU starts every slope at 0.25 and learns it with the other weights.
    """
    x = _check_x(x)
    a = _prelu_weight(x, weight)
    # y = x (x > 0),  a_c x (x <= 0)
    return torch.where(x > 0, x, a * x)


def prelu_backward(x: torch.Tensor, weight: torch.Tensor,
                   grad_output: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(dL/dx, dL/dweight) from dL/dy = `grad_output`: dy/dx = 1 or a_c (a_c at x = 0, as
    PyTorch), dy/da_c = x where x <= 0, summed over every position of channel c."""
    x = _check_x(x)
    a = _prelu_weight(x, weight)
    grad_output = _check_grad_output(grad_output, x.shape)
    positive = x > 0
    grad_x = grad_output * torch.where(positive, torch.ones_like(x), a.expand_as(x))
    per_element = grad_output * torch.where(positive, torch.zeros_like(x), x)  # dL/da at each x
    if a.dim() == 0:
        grad_weight = per_element.sum()
    else:
        dims = [d for d in range(x.dim()) if d != 1]
        grad_weight = per_element.sum(dim=dims)  # (C,)
    return grad_x, grad_weight.reshape(weight.shape).to(weight.dtype)


# ---------------------------------------------------------------------------------------------
# Gated units: two halves, one gating the other
# ---------------------------------------------------------------------------------------------


def _check_grad_output(grad_output, shape) -> torch.Tensor:
    grad_output = check_tensor("grad_output", grad_output, floating=True)
    if grad_output.shape != shape:
        raise ValueError(f"grad_output has shape {tuple(grad_output.shape)}; it must have the "
                         f"output's shape {tuple(shape)}")
    return grad_output


def _halves(x: torch.Tensor, dim, name: str) -> tuple[torch.Tensor, torch.Tensor, int]:
    """The two halves a, b of x along `dim` (a first), and dim as a non-negative index."""
    dim = check_int("dim", dim)
    if x.dim() == 0:
        raise ValueError(f"x has shape (); {name} needs a dimension to split in two")
    if not -x.dim() <= dim < x.dim():
        raise ValueError(f"dim={dim} is not allowed; x has {x.dim()} dimension(s), so dim "
                         f"must lie in [{-x.dim()}, {x.dim() - 1}]")
    dim %= x.dim()
    size = x.shape[dim]
    if size % 2:
        raise ValueError(f"x has size {size} along dim={dim}; {name} splits it into two "
                         "halves, so it must be even")
    half = size // 2
    return x.narrow(dim, 0, half), x.narrow(dim, half, half), dim


def glu(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Gated linear unit (F.glu): a * sigmoid(b), a and b the first and second half of x
    along `dim` (even size 2H there; the output has size H)."""
    x = _check_x(x)
    a, b, _ = _halves(x, dim, "glu")
    # GLU(a, b) = a * sigmoid(b): the gate sigmoid(b) in (0, 1) lets a fraction of a through
    return a * sigmoid(b)


def glu_backward(x: torch.Tensor, grad_output: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """dL/dx from dL/dy = `grad_output` (the output's shape): dy/da = sigmoid(b),
    dy/db = a sigmoid(b) (1 - sigmoid(b)); the two halves joined along `dim`."""
    x = _check_x(x)
    a, b, dim = _halves(x, dim, "glu")
    g = _check_grad_output(grad_output, a.shape)
    return torch.cat([g * sigmoid(b), g * a * _d_sigmoid(b)], dim=dim)


def swiglu(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """SwiGLU's gating: a * swish(b) = a * b * sigmoid(b), halves of x along `dim` as in `glu`.

    In a Transformer's feed-forward block (Shazeer, 2020) x is the output of one linear layer
    of width 2H (the two halves are x V and x W), and a second layer maps the H gated values
    back: W2 (xV * swish(xW)).
    """
    x = _check_x(x)
    a, b, _ = _halves(x, dim, "swiglu")
    # SwiGLU(a, b) = a * silu(b)
    return a * silu(b)


def swiglu_backward(x: torch.Tensor, grad_output: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """dL/dx from dL/dy = `grad_output`: dy/da = swish(b), dy/db = a swish'(b) with
    swish'(b) = sigmoid(b) (1 + b (1 - sigmoid(b)))."""
    x = _check_x(x)
    a, b, dim = _halves(x, dim, "swiglu")
    g = _check_grad_output(grad_output, a.shape)
    return torch.cat([g * silu(b), g * a * _d_silu(b)], dim=dim)
