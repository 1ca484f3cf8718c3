"""Softmax and log-softmax: not elementwise, they normalise along a dimension."""

from __future__ import annotations

import torch

from .elementwise import _check_x


def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Softmax along `dim`: e^{x_i} / sum_j e^{x_j}, computed as e^{x_i - m} / sum_j e^{x_j - m}.

    Subtracting m = max_j x_j changes nothing (shift invariance) and keeps every exponent <= 0.
    """
    x = _check_x(x)
    shifted = x - x.amax(dim=dim, keepdim=True)  # same shape as x; max along dim is 0
    e = torch.exp(shifted)
    return e / e.sum(dim=dim, keepdim=True)


def log_softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """log(softmax(x)) along `dim`, as (x_i - m) - log(sum_j e^{x_j - m}), with m = max_j x_j."""
    x = _check_x(x)
    shifted = x - x.amax(dim=dim, keepdim=True)
    return shifted - torch.log(torch.exp(shifted).sum(dim=dim, keepdim=True))
