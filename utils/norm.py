"""Normalisation layers from scratch: batch, layer and group norm, BN's backward, BN folding.

Arguments, defaults and results are those of `F.batch_norm`, `F.layer_norm` and
`F.group_norm`; `tests/test_norm.py` checks each against them in float64, values and gradients.
Each normalises with the mean and the biased variance of a group of values,

    x_hat = (x - mean) / sqrt(var + eps),    y = weight * x_hat + bias,

and they differ only in the group: batch norm averages each channel over the batch and every
position, `(N, *spatial)`; layer norm each example over its last dimensions; group norm each
example over a group of channels and every position. Elementary tensor operations only.
"""

from __future__ import annotations

import torch
from torch import nn

from ._checks import check_bool, check_float, check_int, check_module, check_tensor

__all__ = ["batch_norm", "batch_norm_backward", "fold_batch_norm", "group_norm", "layer_norm"]


# --- argument checks ---------------------------------------------------------------------------

def _check_x(x, min_dim: int = 2) -> torch.Tensor:
    check_tensor("x", x, floating=True)
    if x.dim() < min_dim:
        raise ValueError(f"x has shape {tuple(x.shape)}; it must have at least {min_dim} "
                         "dimensions, (N, C, *)")
    return x


def _check_eps(eps) -> float:
    return check_float("eps", eps, minimum=0.0)


def _check_per_channel(name, value, shape) -> torch.Tensor | None:
    """`value` is None or a floating tensor of exactly `shape` (one entry per channel)."""
    if value is None:
        return None
    check_tensor(name, value, floating=True)
    if tuple(value.shape) != tuple(shape):
        raise ValueError(f"{name} has shape {tuple(value.shape)}; it must have shape "
                         f"{tuple(shape)}, one value per normalised feature")
    return value


def _per_channel(t: torch.Tensor, dim: int) -> torch.Tensor:
    """A (C,) tensor shaped (1, C, 1, ..., 1) to broadcast against a `dim`-dimensional x."""
    return t.reshape(1, -1, *([1] * (dim - 2)))


def _moments(x: torch.Tensor, dims: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Mean and biased variance over `dims` (kept), and how many values each averages."""
    count = 1
    for d in dims:
        count *= x.shape[d]
    mean = x.sum(dim=dims, keepdim=True) / count
    var = ((x - mean) ** 2).sum(dim=dims, keepdim=True) / count  # biased: divides by count
    return mean, var, count


# --- batch norm --------------------------------------------------------------------------------

def batch_norm(x: torch.Tensor, running_mean: torch.Tensor | None,
               running_var: torch.Tensor | None, weight: torch.Tensor | None = None,
               bias: torch.Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> torch.Tensor:
    """Batch normalisation of `x`, `(N, C)`, `(N, C, L)` or `(N, C, H, W)` (any `(N, C, *)`).

    Training: each channel is normalised with the mean and biased variance of its `N * L` (or
    `N * H * W`) values in this batch, and, when given, the running statistics are updated in
    place, `running = (1 - momentum) * running + momentum * batch`, with the *unbiased*
    variance (divided by count - 1), as `F.batch_norm` does. Evaluation: the running
    statistics are used instead, so each example's output no longer depends on the batch.
    `weight` (gamma) and `bias` (beta) are `(C,)`, None meaning 1 and 0.
    """
    x = _check_x(x)
    training = check_bool("training", training)
    momentum = check_float("momentum", momentum, minimum=0.0, maximum=1.0)
    eps = _check_eps(eps)
    channels = x.shape[1]
    for name, value in (("running_mean", running_mean), ("running_var", running_var),
                        ("weight", weight), ("bias", bias)):
        _check_per_channel(name, value, (channels,))
    dims = (0, *range(2, x.dim()))  # every axis but the channels: (N, *spatial)
    if training:
        count = x.numel() // channels if channels else 0
        if count <= 1:
            raise ValueError(f"x has shape {tuple(x.shape)}: one value per channel, so its "
                             "variance is undefined in training mode; training needs more than "
                             "one value per channel (a batch of 2 or more, or spatial size)")
        mean, var, count = _moments(x, dims)  # (1, C, 1, ...)
        if running_mean is not None or running_var is not None:
            with torch.no_grad():
                if running_mean is not None:
                    # running <- (1 - m) running + m batch
                    running_mean.mul_(1 - momentum).add_(momentum * mean.reshape(-1))
                if running_var is not None:
                    unbiased = var.reshape(-1) * count / (count - 1)
                    running_var.mul_(1 - momentum).add_(momentum * unbiased)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("running_mean and running_var are None, which is allowed only in "
                             "training mode (training=True): evaluation normalises with them")
        mean, var = _per_channel(running_mean, x.dim()), _per_channel(running_var, x.dim())
    # x_hat = (x - mean) / sqrt(var + eps)
    y = (x - mean) / torch.sqrt(var + eps)
    if weight is not None:
        y = y * _per_channel(weight, x.dim())
    if bias is not None:
        y = y + _per_channel(bias, x.dim())
    return y


def batch_norm_backward(grad_output: torch.Tensor, x: torch.Tensor,
                        weight: torch.Tensor | None, eps: float = 1e-5
                        ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Gradients of training-mode batch norm: `(grad_x, grad_weight, grad_bias)`.

    With `m` values per channel, `x_hat` as in the forward pass and `sigma = sqrt(var + eps)`:

        grad_bias   = sum(dy)
        grad_weight = sum(dy * x_hat)
        grad_x      = weight / (m * sigma) * (m * dy - sum(dy) - x_hat * sum(dy * x_hat))

    sums over the channel's `m` values. `weight=None` means 1 (the gradients returned for
    weight and bias are then those a gamma of ones and a beta of zeros would get).
    """
    x = _check_x(x)
    check_tensor("grad_output", grad_output, floating=True)
    if grad_output.shape != x.shape:
        raise ValueError(f"grad_output has shape {tuple(grad_output.shape)}; it must have the "
                         f"shape of x, {tuple(x.shape)}")
    eps = _check_eps(eps)
    channels = x.shape[1]
    _check_per_channel("weight", weight, (channels,))
    dims = (0, *range(2, x.dim()))
    if x.numel() // max(channels, 1) <= 1:
        raise ValueError(f"x has shape {tuple(x.shape)}: one value per channel; training-mode "
                         "batch norm needs more than one value per channel")
    mean, var, m = _moments(x, dims)
    sigma = torch.sqrt(var + eps)  # (1, C, 1, ...)
    x_hat = (x - mean) / sigma
    dy = grad_output
    sum_dy = dy.sum(dim=dims, keepdim=True)
    sum_dy_xhat = (dy * x_hat).sum(dim=dims, keepdim=True)
    gamma = (torch.ones_like(sigma) if weight is None
             else _per_channel(weight, x.dim()))
    # dx = gamma / (m sigma) * (m dy - sum(dy) - x_hat sum(dy x_hat))
    grad_x = gamma / (m * sigma) * (m * dy - sum_dy - x_hat * sum_dy_xhat)
    return grad_x, sum_dy_xhat.reshape(-1), sum_dy.reshape(-1)


# --- layer norm and group norm -------------------------------------------------------------------

def _normalized_shape(value) -> tuple[int, ...]:
    if isinstance(value, (list, tuple, torch.Size)):
        shape = tuple(check_int(f"normalized_shape[{i}]", v, minimum=1)
                      for i, v in enumerate(value))
    else:
        shape = (check_int("normalized_shape", value, minimum=1),)
    if not shape:
        raise ValueError("normalized_shape=() is not allowed; give at least one dimension")
    return shape


def layer_norm(x: torch.Tensor, normalized_shape, weight: torch.Tensor | None = None,
               bias: torch.Tensor | None = None, eps: float = 1e-5) -> torch.Tensor:
    """Normalise each example over its last `len(normalized_shape)` dimensions.

    `normalized_shape` (an int or a sequence) must equal the trailing dimensions of `x`, e.g.
    `(C, H, W)` for an `(N, C, H, W)` input or `(D,)` for tokens `(N, T, D)`; `weight` and
    `bias` have that shape (an affine map per element, not per channel). No running statistics:
    training and evaluation compute the same thing.
    """
    check_tensor("x", x, floating=True)
    shape = _normalized_shape(normalized_shape)
    if x.dim() < len(shape) or tuple(x.shape[x.dim() - len(shape):]) != shape:
        raise ValueError(f"normalized_shape={list(shape)} does not match x of shape "
                         f"{tuple(x.shape)}: it must equal x's last {len(shape)} dimensions")
    eps = _check_eps(eps)
    _check_per_channel("weight", weight, shape)
    _check_per_channel("bias", bias, shape)
    dims = tuple(range(x.dim() - len(shape), x.dim()))
    mean, var, _ = _moments(x, dims)
    y = (x - mean) / torch.sqrt(var + eps)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


def group_norm(x: torch.Tensor, num_groups: int, weight: torch.Tensor | None = None,
               bias: torch.Tensor | None = None, eps: float = 1e-5) -> torch.Tensor:
    """Normalise each example over groups of `C / num_groups` channels and every position.

    `x` is `(N, C, *)`; `num_groups` must divide `C`. `num_groups=1` is layer norm over
    `(C, *spatial)` (with a per-channel affine), `num_groups=C` is instance norm. `weight` and
    `bias` are `(C,)`. The statistics of one example never depend on the rest of the batch.
    """
    x = _check_x(x)
    num_groups = check_int("num_groups", num_groups, minimum=1)
    channels = x.shape[1]
    if channels % num_groups:
        raise ValueError(f"num_groups={num_groups} does not divide the {channels} channels of "
                         f"x (shape {tuple(x.shape)}); num_groups must be a divisor of "
                         f"{channels}")
    eps = _check_eps(eps)
    _check_per_channel("weight", weight, (channels,))
    _check_per_channel("bias", bias, (channels,))
    n = x.shape[0]
    grouped = x.reshape(n, num_groups, -1)  # (N, G, C/G * spatial)
    mean, var, _ = _moments(grouped, (2,))
    y = ((grouped - mean) / torch.sqrt(var + eps)).reshape(x.shape)  # (N, C, *)
    if weight is not None:
        y = y * _per_channel(weight, x.dim())
    if bias is not None:
        y = y + _per_channel(bias, x.dim())
    return y


# --- folding batch norm into the convolution before it -------------------------------------------

def fold_batch_norm(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    """A new `nn.Conv2d` equal to `bn(conv(x))` in evaluation mode: one layer instead of two.

    In evaluation, BN is a fixed affine map per channel, `y = s (z - mean) + beta` with
    `s = gamma / sqrt(running_var + eps)`, so it folds into the convolution's weights and bias:

        W' = s W (per output channel),    b' = s (b - mean) + beta.

    `conv` and `bn` are left unchanged. In training mode BN uses the batch's statistics, which
    no fixed convolution can reproduce, so the folded layer is for inference only.
    """
    check_module("conv", conv)
    check_module("bn", bn)
    if type(conv) is not nn.Conv2d:
        raise TypeError(f"conv must be an nn.Conv2d, got {type(conv).__name__}")
    if not isinstance(bn, nn.BatchNorm2d):
        raise TypeError(f"bn must be an nn.BatchNorm2d, got {type(bn).__name__}")
    if bn.num_features != conv.out_channels:
        raise ValueError(f"bn.num_features={bn.num_features} does not match "
                         f"conv.out_channels={conv.out_channels}; bn must follow conv directly")
    if bn.running_mean is None or bn.running_var is None:
        raise ValueError("bn has no running statistics (track_running_stats=False), so it "
                         "normalises with each batch's statistics even in evaluation and "
                         "cannot be folded into a fixed convolution")
    folded = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size,
                       stride=conv.stride, padding=conv.padding, dilation=conv.dilation,
                       groups=conv.groups, bias=True, padding_mode=conv.padding_mode,
                       device=conv.weight.device, dtype=conv.weight.dtype)
    with torch.no_grad():
        gamma = bn.weight if bn.affine else torch.ones_like(bn.running_mean)
        beta = bn.bias if bn.affine else torch.zeros_like(bn.running_mean)
        scale = gamma / torch.sqrt(bn.running_var + bn.eps)  # (C_out,)
        conv_bias = conv.bias if conv.bias is not None else torch.zeros_like(scale)
        folded.weight.copy_(conv.weight * scale.reshape(-1, 1, 1, 1))  # W' = s W
        folded.bias.copy_(scale * (conv_bias - bn.running_mean) + beta)  # b' = s (b - mu) + beta
    return folded
