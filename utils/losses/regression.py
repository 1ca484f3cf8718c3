"""Regression losses: a prediction and a target of the same shape, a loss per element.

`mse`, `mae`, `huber`, `smooth_l1` equal `F.mse_loss`, `F.l1_loss`, `F.huber_loss`,
`F.smooth_l1_loss`; `msle` and `mape` have no PyTorch twin. `gaussian_nll_loss` equals
`F.gaussian_nll_loss`: with a fixed variance it is MSE scaled by 1 / (2 var) plus a constant,
which is why MSE is the negative log-likelihood of a Gaussian model.
"""

from __future__ import annotations

import math
import numbers

import torch

from .._checks import check_bool, check_float, check_tensor
from ._common import _check_pair, _check_reduction, _first_bad, _reduce


def mse(pred: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Mean squared error (F.mse_loss): l = (pred - target)^2, gradient 2 (pred - target)."""
    pred, target = _check_pair("pred", pred, target)
    reduction = _check_reduction(reduction)
    # l_i = (x_i - y_i)^2
    return _reduce((pred - target) ** 2, reduction)


def mae(pred: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Mean absolute error (F.l1_loss): l = |pred - target|, gradient sign(pred - target)."""
    pred, target = _check_pair("pred", pred, target)
    reduction = _check_reduction(reduction)
    # l_i = |x_i - y_i|
    return _reduce((pred - target).abs(), reduction)


def msle(pred: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Mean squared log error: l = (log(1 + pred) - log(1 + target))^2.

    An error in ratio, not in difference: predicting 2 for 1 costs as much as 200 for 100.
    Both tensors must be > -1 so that the logs are defined (PyTorch has no such loss).
    """
    pred, target = _check_pair("pred", pred, target)
    reduction = _check_reduction(reduction)
    for name, values in (("pred", pred), ("target", target)):
        bad = ~(values > -1)
        if bad.any():
            raise ValueError(f"{name} contains {_first_bad(values, bad)!r}; msle needs "
                             f"{name} > -1 so that log(1 + {name}) is defined")
    # l_i = (log(1 + x_i) - log(1 + y_i))^2; log1p keeps the digits of small values
    return _reduce((torch.log1p(pred) - torch.log1p(target)) ** 2, reduction)


def mape(pred: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Mean absolute percentage error, as a fraction (0.1 is 10 %): l = |pred - target| / |target|.

    Undefined for a zero target, which raises ValueError (PyTorch has no such loss).
    """
    pred, target = _check_pair("pred", pred, target)
    reduction = _check_reduction(reduction)
    bad = target == 0
    if bad.any():
        raise ValueError("target contains 0.0; mape divides by |target|, so every target "
                         "must be non-zero")
    # l_i = |x_i - y_i| / |y_i|
    return _reduce((pred - target).abs() / target.abs(), reduction)


def huber(pred: torch.Tensor, target: torch.Tensor, delta: float = 1.0,
          reduction: str = "mean") -> torch.Tensor:
    """Huber loss (F.huber_loss): quadratic for |error| < delta, linear beyond.

    l = 0.5 d^2 if |d| < delta else delta (|d| - 0.5 delta), with d = pred - target; its
    gradient is d clipped to [-delta, delta] (Huber, 1964).
    """
    pred, target = _check_pair("pred", pred, target)
    delta = check_float("delta", delta, minimum=0.0, strict_min=True)
    reduction = _check_reduction(reduction)
    d = pred - target
    a = d.abs()
    # l_i = 0.5 d_i^2 (|d_i| < delta),  delta (|d_i| - delta / 2) (otherwise)
    loss = torch.where(a < delta, 0.5 * d * d, delta * (a - 0.5 * delta))
    return _reduce(loss, reduction)


def smooth_l1(pred: torch.Tensor, target: torch.Tensor, beta: float = 1.0,
              reduction: str = "mean") -> torch.Tensor:
    """Smooth L1 loss (F.smooth_l1_loss): huber(delta=beta) / beta, and mae when beta = 0.

    l = 0.5 d^2 / beta if |d| < beta else |d| - 0.5 beta; its gradient is d / beta clipped to
    [-1, 1], so its slope far from the target is 1 whatever beta is (Girshick, Fast R-CNN, 2015).
    """
    pred, target = _check_pair("pred", pred, target)
    beta = check_float("beta", beta, minimum=0.0)
    reduction = _check_reduction(reduction)
    d = pred - target
    a = d.abs()
    if beta == 0.0:
        return _reduce(a, reduction)
    # l_i = 0.5 d_i^2 / beta (|d_i| < beta),  |d_i| - beta / 2 (otherwise)
    loss = torch.where(a < beta, 0.5 * d * d / beta, a - 0.5 * beta)
    return _reduce(loss, reduction)


def _check_var(var, input: torch.Tensor) -> torch.Tensor:
    """`var` as a tensor that broadcasts to `input` the ways F.gaussian_nll_loss allows."""
    if isinstance(var, numbers.Real) and not isinstance(var, bool):
        var = check_float("var", var, minimum=0.0)
        return torch.full_like(input, var)
    var = check_tensor("var", var, floating=True)
    bad = ~(var >= 0)  # NaN is bad too
    if bad.any():
        raise ValueError(f"var contains {_first_bad(var, bad)!r}; a variance must be >= 0")
    if var.shape == input.shape:
        return var.to(input.dtype)  # one variance per prediction (heteroscedastic)
    if var.shape == input.shape[:-1]:
        return var.unsqueeze(-1).to(input.dtype)  # one per row of the last dimension
    mismatched = [v for i, v in zip(input.shape, var.shape) if i != v]
    if var.dim() == input.dim() and mismatched == [1]:
        return var.to(input.dtype)  # one dimension of size 1, broadcast along it
    raise ValueError(
        f"var has shape {tuple(var.shape)}, which does not fit input of shape "
        f"{tuple(input.shape)}; var must have the input's shape, the input's shape without its "
        "last dimension, or the input's shape with one dimension of size 1")


def gaussian_nll_loss(input: torch.Tensor, target: torch.Tensor, var, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> torch.Tensor:
    """Negative log-likelihood of `target` under N(input, var) (F.gaussian_nll_loss).

    l = 0.5 (log var + (input - target)^2 / var), plus 0.5 log(2 pi) when `full`: minus the log
    of the normal density. `var` is a tensor (the input's shape, the input's shape without its
    last dimension, or with one dimension of size 1) or a number, every entry >= 0. Like
    PyTorch, the variance used is max(var, eps) while the gradient reaches `var` as if it were
    not clamped. With one fixed variance, l = mse / (2 var) + a constant: the same minimiser.
    """
    input, target = _check_pair("input", input, target)
    var = _check_var(var, input)
    full = check_bool("full", full)
    eps = check_float("eps", eps, minimum=0.0)
    reduction = _check_reduction(reduction)
    # the value of max(var, eps), the gradient of var (PyTorch clamps a copy under no_grad)
    var = var + (var.clamp(min=eps) - var).detach()
    # l_i = 0.5 (log var_i + (x_i - y_i)^2 / var_i) [+ 0.5 log(2 pi)]
    loss = 0.5 * (torch.log(var) + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)
