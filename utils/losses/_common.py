"""What every loss shares: the reductions, the input checks and two small stable pieces."""

from __future__ import annotations

import torch

from .._checks import check_choice, check_tensor

REDUCTIONS: tuple[str, ...] = ("mean", "sum", "none")


def _reduce(loss: torch.Tensor, reduction: str) -> torch.Tensor:
    """Apply a reduction already checked by `_check_reduction`."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _check_reduction(reduction, allowed: tuple[str, ...] = REDUCTIONS) -> str:
    return check_choice("reduction", reduction, allowed)


def _check_pair(pred_name: str, pred, target,
                target_name: str = "target") -> tuple[torch.Tensor, torch.Tensor]:
    """Floating `pred` and a `target` of exactly its shape (cast to pred's dtype)."""
    pred = check_tensor(pred_name, pred, floating=True)
    target = check_tensor(target_name, target)
    if target.shape != pred.shape:
        raise ValueError(
            f"{target_name} has shape {tuple(target.shape)} but {pred_name} has shape "
            f"{tuple(pred.shape)}; they must be equal (no broadcasting: reshape one of them)")
    if target.dtype != pred.dtype:
        target = target.to(pred.dtype)
    return pred, target


def _first_bad(values: torch.Tensor, bad: torch.Tensor):
    """The first offending entry, as a Python number with the digits its dtype holds."""
    value = values.detach()[bad].flatten()[0].item()
    if values.is_floating_point() and values.dtype != torch.float64:
        value = float(f"{value:.7g}")  # float32's -0.1 shows as -0.1, not -0.10000000149
    return value


def _check_unit_interval(name: str, values: torch.Tensor, hint: str = "") -> None:
    bad = ~((values >= 0) & (values <= 1))  # NaN fails both comparisons, so it is bad too
    if bad.any():
        raise ValueError(f"{name} contains {_first_bad(values, bad)!r}; "
                         f"{name} must lie in [0, 1]{hint}")


def _positive_part(z: torch.Tensor) -> torch.Tensor:
    """max(0, z) with gradient 0 at z = 0, as ReLU and PyTorch's margin losses have."""
    return torch.where(z > 0, z, torch.zeros_like(z))


def _softplus(z: torch.Tensor) -> torch.Tensor:
    """log(1 + e^z) = max(z, 0) + log(1 + e^{-|z|}), finite for every finite z.

    max(z, 0) and -|z| are written with `where` (not relu/abs) so that their gradients at
    z = 0 are those of the z >= 0 branch, 1 and -1: the derivative there is 1 - 1/2 = 1/2.
    """
    nonneg = z >= 0
    positive_part = torch.where(nonneg, z, torch.zeros_like(z))
    neg_abs = torch.where(nonneg, -z, z)  # -|z| <= 0, so the exp cannot overflow
    return positive_part + torch.log1p(torch.exp(neg_abs))

