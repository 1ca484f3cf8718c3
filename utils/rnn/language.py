"""Measuring a language model: perplexity.

A model that gives the next token probabilities p(y_t | y_<t) has a mean negative
log-likelihood per token, `nll = -(1/n) sum_t log p(y_t | y_<t)` (in nats), and a perplexity
`exp(nll)`: the number of equally likely tokens a uniform guesser would choose from to be as
uncertain. A uniform model over V tokens has perplexity V; a perfect one, 1.
"""

from __future__ import annotations

import torch

from .._checks import check_int, check_tensor

__all__ = ["perplexity"]


def perplexity(logits: torch.Tensor, target: torch.Tensor,
               ignore_index: int | None = None) -> torch.Tensor:
    """`exp` of the mean negative log-likelihood of `target` under `softmax(logits)`.

    `logits` `(..., V)` (scores over V tokens, the token dimension last, as a language model
    returns them: `(N, V)` or `(N, T, V)`); `target` `(...)` integer tokens in [0, V), the
    shape of `logits` without its last dimension. Targets equal to `ignore_index` (padding)
    count neither in the sum nor in the mean. Returns a scalar tensor (differentiable):
    `exp(F.cross_entropy(logits.reshape(-1, V), target.reshape(-1), ignore_index=...))`.
    """
    check_tensor("logits", logits, floating=True)
    check_tensor("target", target)
    if target.is_floating_point() or target.is_complex() or target.dtype == torch.bool:
        raise TypeError(f"target must hold integer token indices, got dtype {target.dtype}")
    if logits.dim() < 1 or tuple(target.shape) != tuple(logits.shape[:-1]):
        raise ValueError(f"target must have the shape of logits without its last (token) "
                         f"dimension, {tuple(logits.shape[:-1])}, got shape "
                         f"{tuple(target.shape)} for logits of shape {tuple(logits.shape)}")
    vocab = logits.shape[-1]
    keep = torch.ones_like(target, dtype=torch.bool)
    if ignore_index is not None:
        ignore_index = check_int("ignore_index", ignore_index)
        keep = target != ignore_index
    count = int(keep.sum())
    if count == 0:
        raise ValueError(f"no target to measure: every entry of target is ignore_index="
                         f"{ignore_index} (or target is empty)")
    kept = target[keep]                                   # (n,)
    if kept.min() < 0 or kept.max() >= vocab:
        bad = kept[(kept < 0) | (kept >= vocab)][0].item()
        raise ValueError(f"target holds {bad}; every target must be a token index in "
                         f"[0, {vocab}) (V = logits.shape[-1]) or ignore_index={ignore_index}")
    scores = logits[keep]                                 # (n, V)
    # log softmax(z)_y = z_y - log sum_j exp(z_j), with the max taken out for stability
    # (shifting by the max first keeps every number small, so float32 loses nothing to it)
    top = scores.max(dim=-1, keepdim=True).values.detach()      # (n, 1)
    shifted = scores - top                                      # (n, V), max 0
    log_p = (shifted.gather(-1, kept[:, None]).squeeze(-1)
             - shifted.exp().sum(dim=-1).log())                 # (n,)
    # perplexity = exp(-(1/n) sum log p(y))
    return (-log_p.mean()).exp()
