"""Max and average pooling from scratch, and their backward passes."""

from __future__ import annotations

import torch

from .._checks import check_pair, check_tensor
from .sizes import Pair, pool_output_size
from .windows import _fold, _pad, _windows


def _pool_geometry(x: torch.Tensor, kernel_size, stride, padding):
    check_tensor("x", x, ndim=4, floating=True)
    k = check_pair("kernel_size", kernel_size, minimum=1)
    s = k if stride is None else check_pair("stride", stride, minimum=1)
    p = check_pair("padding", padding, minimum=0)
    out = pool_output_size(tuple(x.shape[2:]), k, s, p)
    return k, s, p, (1, 1), out


def max_pool2d(x: torch.Tensor, kernel_size: Pair, stride: Pair | None = None,
               padding: Pair = 0) -> torch.Tensor:
    """Max pooling: the largest value of each window; padding counts as -inf (never chosen).

    x (N, C, H, W) -> (N, C, H_out, W_out), sizes from `pool_output_size`.
    """
    k, s, p, d, out = _pool_geometry(x, kernel_size, stride, padding)
    windows = _windows(_pad(x, p, float("-inf")), k, s, d, out)  # (N, C, kh*kw, oh, ow)
    return windows.max(dim=2).values


def avg_pool2d(x: torch.Tensor, kernel_size: Pair, stride: Pair | None = None,
               padding: Pair = 0) -> torch.Tensor:
    """Average pooling: each window's sum / (kh*kw); zero padding is counted (PyTorch's default
    `count_include_pad=True`). x (N, C, H, W) -> (N, C, H_out, W_out)."""
    k, s, p, d, out = _pool_geometry(x, kernel_size, stride, padding)
    windows = _windows(_pad(x, p), k, s, d, out)  # (N, C, kh*kw, oh, ow)
    return windows.sum(dim=2) / (k[0] * k[1])


def _check_pool_grad(grad_output, x, out):
    check_tensor("grad_output", grad_output, ndim=4, floating=True)
    expected = (*x.shape[:2], *out)
    if tuple(grad_output.shape) != expected:
        raise ValueError(f"grad_output has shape {tuple(grad_output.shape)}; it must be the "
                         f"output shape {expected}")


def max_pool2d_backward(grad_output: torch.Tensor, x: torch.Tensor, kernel_size: Pair,
                        stride: Pair | None = None, padding: Pair = 0) -> torch.Tensor:
    """Gradient of `max_pool2d` w.r.t. x: each window sends its gradient to its maximum
    (the first one on ties, as PyTorch); overlapping windows add up. Returns (N, C, H, W)."""
    k, s, p, d, out = _pool_geometry(x, kernel_size, stride, padding)
    _check_pool_grad(grad_output, x, out)
    windows = _windows(_pad(x, p, float("-inf")), k, s, d, out)  # (N, C, kh*kw, oh, ow)
    winner = windows.argmax(dim=2, keepdim=True)  # (N, C, 1, oh, ow)
    routed = torch.zeros_like(windows).scatter_(2, winner, grad_output[:, :, None])
    return _fold(routed, x.shape, k, s, p, d, out)


def avg_pool2d_backward(grad_output: torch.Tensor, x: torch.Tensor, kernel_size: Pair,
                        stride: Pair | None = None, padding: Pair = 0) -> torch.Tensor:
    """Gradient of `avg_pool2d` w.r.t. x: every pixel of a window gets g / (kh*kw), including
    the padding, which is then cropped away. Returns (N, C, H, W)."""
    k, s, p, d, out = _pool_geometry(x, kernel_size, stride, padding)
    _check_pool_grad(grad_output, x, out)
    share = grad_output / (k[0] * k[1])  # (N, C, oh, ow)
    windows = share[:, :, None].expand(-1, -1, k[0] * k[1], -1, -1)  # (N, C, kh*kw, oh, ow)
    return _fold(windows, x.shape, k, s, p, d, out)
