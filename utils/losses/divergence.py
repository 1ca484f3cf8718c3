"""The Kullback-Leibler divergence with PyTorch's conventions (F.kl_div).

KL(p || q) = sum_c p_c (log p_c - log q_c) >= 0, zero only when q = p. PyTorch's argument
order is the reverse of the notation: `input` is log q (the model's log-probabilities, e.g. a
log-softmax) and `target` is p (the data's distribution), or log p with `log_target=True`.
"""

from __future__ import annotations

import torch

from .._checks import check_bool
from ._common import _check_pair, _check_reduction, _check_unit_interval, _first_bad

KL_REDUCTIONS: tuple[str, ...] = ("mean", "batchmean", "sum", "none")


def _check_log_probabilities(name: str, values: torch.Tensor, hint: str) -> None:
    bad = ~(values <= 0)  # log-probabilities are <= 0 (-inf allowed); NaN is bad too
    if bad.any():
        raise ValueError(f"{name} contains {_first_bad(values, bad)!r}; {name} must hold "
                         f"log-probabilities, which are <= 0{hint}")


def kl_div(input: torch.Tensor, target: torch.Tensor, reduction: str = "mean",
           log_target: bool = False) -> torch.Tensor:
    """Pointwise KL terms target * (log target - input), reduced (F.kl_div).

    `input`: log-probabilities log q, any shape (for a batch of distributions, (N, C) with the
    classes along dim 1). `target`: probabilities p of the same shape, in [0, 1] (a term with
    p = 0 is 0, since p log p -> 0), or log p when `log_target=True` (then the term is
    e^target (target - input)). Reductions: "batchmean" = sum / N, which is the mean over the
    batch of KL(p_n || q_n), the quantity the mathematics means; "mean" = sum / numel (PyTorch's
    default, which also divides by C); "sum"; "none" (the pointwise terms).
    Gradient with respect to `input`: -p, divided as the reduction divides.
    Refused: an `input` entry > 0 (probabilities where log-probabilities belong: pass
    log_softmax, not softmax), a `target` outside [0, 1] (or > 0 with log_target=True).
    """
    input, target = _check_pair("input", input, target)
    reduction = _check_reduction(reduction, KL_REDUCTIONS)
    log_target = check_bool("log_target", log_target)
    _check_log_probabilities("input", input, " (pass log_softmax(logits), not probabilities)")
    if log_target:
        _check_log_probabilities("target", target, " with log_target=True")
        # l_i = e^{t_i} (t_i - x_i): p log p - p log q with p = e^t
        terms = torch.exp(target) * (target - input)
    else:
        _check_unit_interval("target", target,
                             " (probabilities; pass log_target=True for log-probabilities)")
        positive = target > 0
        safe = torch.where(positive, target, torch.ones_like(target))  # log 1 = 0 where p = 0
        # l_i = p_i log p_i - p_i x_i, with 0 log 0 = 0
        p_log_p = torch.where(positive, target * torch.log(safe), torch.zeros_like(target))
        terms = p_log_p - target * input
    if reduction == "none":
        return terms
    if reduction == "sum":
        return terms.sum()
    if reduction == "batchmean":
        return terms.sum() / (input.shape[0] if input.dim() > 0 else 1)
    return terms.mean()
