"""Classification losses: binary on probabilities or logits, margins, and multi-class.

Binary: `binary_cross_entropy` (probabilities), `binary_cross_entropy_with_logits` (with
`pos_weight`), `hinge`, `exponential`. Multi-class, for inputs (C,), (N, C) or (N, C, d1, ...)
and class-index targets: `nll_loss` and `cross_entropy` (both with class `weight`;
`cross_entropy` with label smoothing too), `multiclass_hinge`. Each equals its
`torch.nn.functional` namesake where PyTorch has one.
"""

from __future__ import annotations

import torch

from .._checks import check_float, check_tensor
from ._common import (
    _check_pair,
    _check_reduction,
    _check_unit_interval,
    _first_bad,
    _positive_part,
    _reduce,
    _softplus,
)

# PyTorch's binary_cross_entropy clamps each log at -100, so a wrong certain answer costs 100
LOG_CLAMP = -100.0


# ---------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------


def _check_sign_labels(target: torch.Tensor) -> None:
    bad = (target != 1) & (target != -1)
    if bad.any():
        raise ValueError(f"target contains {_first_bad(target, bad)!r}; "
                         f"targets must be -1 or +1")


def _check_class_input(name: str, x, target) -> tuple[torch.Tensor, torch.Tensor]:
    """`x` is (C,), (N, C) or (N, C, d1, ...); `target` holds class indices of its shape minus C."""
    x = check_tensor(name, x, floating=True)
    target = check_tensor("target", target)
    if x.dim() == 0:
        raise ValueError(f"{name} has shape (); it must be (C,), (N, C) or (N, C, d1, ...)")
    if target.is_floating_point() or target.is_complex() or target.dtype == torch.bool:
        raise TypeError(f"target must hold integer class indices, got dtype {target.dtype}")
    class_dim = 0 if x.dim() == 1 else 1
    expected = x.shape[:class_dim] + x.shape[class_dim + 1:]
    if target.shape != expected:
        raise ValueError(
            f"target has shape {tuple(target.shape)} but {name} of shape {tuple(x.shape)} "
            f"needs target of shape {tuple(expected)} (one class index per sample)")
    num_classes = x.shape[class_dim]
    bad = (target < 0) | (target >= num_classes)
    if bad.any():
        raise ValueError(f"target contains class index {_first_bad(target, bad)}, outside "
                         f"[0, {num_classes}) for {name} with C={num_classes} classes")
    return x, target.long()


def _check_weights(name: str, weights, x: torch.Tensor, shape_text: str) -> torch.Tensor:
    """Non-negative, finite floating-point weights, cast to x's dtype."""
    weights = check_tensor(name, weights, floating=True)
    bad = ~((weights >= 0) & torch.isfinite(weights))
    if bad.any():
        raise ValueError(f"{name} contains {_first_bad(weights, bad)!r}; {shape_text} weights "
                         "must be finite and >= 0")
    return weights.to(x.dtype)


def _pick(x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """x[n, target[n], ...]: the entry of each sample's own class; shape of target."""
    if x.dim() == 1:
        return x[target]  # () from (C,)
    return x.gather(1, target.unsqueeze(1)).squeeze(1)  # (N, 1, d...) -> (N, d...)


# ---------------------------------------------------------------------------------------------
# Binary classification
# ---------------------------------------------------------------------------------------------


def _clamped_log(p: torch.Tensor) -> torch.Tensor:
    """max(log p, -100) for p in [0, 1], with a zero (not NaN) gradient where it is clamped."""
    positive = p > 0
    safe = torch.where(positive, p, torch.ones_like(p))  # log(1) = 0: no -inf, no 0/0 gradient
    return torch.where(positive, torch.log(safe), torch.full_like(p, LOG_CLAMP)).clamp(
        min=LOG_CLAMP)


def _clamped_log1m(p: torch.Tensor) -> torch.Tensor:
    """max(log(1 - p), -100), via log1p(-p) (PyTorch's choice: exact for small p)."""
    below_one = p < 1
    safe = torch.where(below_one, p, torch.zeros_like(p))
    return torch.where(below_one, torch.log1p(-safe), torch.full_like(p, LOG_CLAMP)).clamp(
        min=LOG_CLAMP)


def binary_cross_entropy(probs: torch.Tensor, target: torch.Tensor,
                         reduction: str = "mean") -> torch.Tensor:
    """Binary cross-entropy on probabilities (F.binary_cross_entropy).

    l = -(y max(log p, -100) + (1 - y) max(log(1 - p), -100)), p and y in [0, 1] (y may be
    soft). The clamp at -100 keeps a confidently wrong p = 0 or 1 finite (loss 100). Where it is
    clamped the loss is flat, so its gradient is 0; PyTorch's backward instead returns
    (p - y) / max(p (1 - p), 1e-12) everywhere, which agrees wherever p (1 - p) > 1e-12.
    """
    probs, target = _check_pair("probs", probs, target)
    reduction = _check_reduction(reduction)
    _check_unit_interval("probs", probs)
    _check_unit_interval("target", target)
    # l_i = (y_i - 1) max(log(1 - p_i), -100) - y_i max(log p_i, -100)
    loss = (target - 1) * _clamped_log1m(probs) - target * _clamped_log(probs)
    return _reduce(loss, reduction)


def _check_pos_weight(pos_weight, logits: torch.Tensor) -> torch.Tensor:
    pos_weight = _check_weights("pos_weight", pos_weight, logits, "positive-class")
    try:
        shape = torch.broadcast_shapes(pos_weight.shape, logits.shape)
    except RuntimeError:
        shape = None
    if shape != logits.shape:
        raise ValueError(
            f"pos_weight has shape {tuple(pos_weight.shape)}, which does not broadcast to "
            f"logits of shape {tuple(logits.shape)}; give one weight, or one per class along "
            "the last dimension")
    return pos_weight


def binary_cross_entropy_with_logits(logits: torch.Tensor, target: torch.Tensor,
                                     reduction: str = "mean",
                                     pos_weight: torch.Tensor | None = None) -> torch.Tensor:
    """Binary cross-entropy on logits (F.binary_cross_entropy_with_logits), stable for any logit.

    l = -(y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))) = max(x, 0) - x y + log(1 + e^{-|x|});
    gradient sigmoid(x) - y. With y in {0, 1} and s = 2y - 1 in {-1, +1} this is the logistic
    loss log(1 + exp(-s x)) (F.soft_margin_loss). Every exp sees -|x| <= 0, and for hard labels
    no term cancels: a correct, confident prediction gets its tiny loss to full precision
    (PyTorch's (1 - y) x - log sigmoid(x) loses those digits when y = 0 and x << 0).

    `pos_weight` (w, broadcast against the logits: one number, or one per class along the last
    dimension) multiplies the positive term: l = -(w y log sigmoid(x) + (1 - y) log(1 -
    sigmoid(x))). w = (negatives / positives) makes the two classes weigh the same in total.
    """
    logits, target = _check_pair("logits", logits, target)
    reduction = _check_reduction(reduction)
    _check_unit_interval("target", target)
    x = logits
    if pos_weight is not None:
        w = _check_pos_weight(pos_weight, logits)
        # -log sigmoid(x) = softplus(-x), -log(1 - sigmoid(x)) = softplus(x): two terms >= 0
        # l_i = w y_i softplus(-x_i) + (1 - y_i) softplus(x_i)
        loss = w * target * _softplus(-x) + (1 - target) * _softplus(x)
        return _reduce(loss, reduction)
    nonneg = x >= 0
    # max(x, 0) and -|x| written with where (not relu/abs) so their gradients at x = 0 are
    # those of the x >= 0 branch: 1 and -1, giving sigmoid(0) - y = 0.5 - y there
    positive_part = torch.where(nonneg, x, torch.zeros_like(x))
    neg_abs = torch.where(nonneg, -x, x)
    # l_i = max(x_i, 0) - x_i y_i + log(1 + e^{-|x_i|})
    loss = positive_part - x * target + torch.log1p(torch.exp(neg_abs))
    return _reduce(loss, reduction)


def hinge(scores: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Hinge loss of the support vector machine: l = max(0, 1 - y s), y in {-1, +1}.

    Zero once the margin y s reaches 1; gradient -y while the margin is below 1.
    """
    scores, target = _check_pair("scores", scores, target)
    reduction = _check_reduction(reduction)
    _check_sign_labels(target)
    # l_i = max(0, 1 - y_i s_i)
    return _reduce(_positive_part(1 - target * scores), reduction)


def exponential(scores: torch.Tensor, target: torch.Tensor,
                reduction: str = "mean") -> torch.Tensor:
    """Exponential loss of AdaBoost: l = exp(-y s), y in {-1, +1}; gradient -y exp(-y s)."""
    scores, target = _check_pair("scores", scores, target)
    reduction = _check_reduction(reduction)
    _check_sign_labels(target)
    # l_i = exp(-y_i s_i)
    return _reduce(torch.exp(-target * scores), reduction)


# ---------------------------------------------------------------------------------------------
# Multi-class classification: input (C,), (N, C) or (N, C, d1, ...), class-index targets
# ---------------------------------------------------------------------------------------------


def _check_class_weight(weight, x: torch.Tensor) -> torch.Tensor | None:
    if weight is None:
        return None
    num_classes = x.shape[0 if x.dim() == 1 else 1]
    weight = _check_weights("weight", weight, x, "class")
    if weight.shape != (num_classes,):
        raise ValueError(f"weight has shape {tuple(weight.shape)}; it must be ({num_classes},), "
                         f"one weight per class")
    return weight


def _weighted_reduce(loss: torch.Tensor, sample_weight: torch.Tensor | None,
                     reduction: str) -> torch.Tensor:
    """Like `_reduce`, but "mean" with class weights divides by the sum of the samples'
    weights sum_n w_{y_n}, not by N (PyTorch's weighted mean)."""
    if reduction == "mean" and sample_weight is not None:
        return loss.sum() / sample_weight.sum()
    return _reduce(loss, reduction)


def nll_loss(log_probs: torch.Tensor, target: torch.Tensor, reduction: str = "mean",
             weight: torch.Tensor | None = None) -> torch.Tensor:
    """Negative log-likelihood (F.nll_loss): l_n = -w_{y_n} log_probs[n, target[n]].

    `log_probs` is (N, C) (or (C,), or (N, C, d1, ...)), usually a log-softmax; `target` holds
    class indices in [0, C) of shape (N,) (or (), or (N, d1, ...)). `weight`, one number >= 0
    per class (all 1 when None), scales each sample's loss by its class's weight; the "mean"
    is then sum_n l_n / sum_n w_{y_n}, a weighted average. Output: a scalar, or the target's
    shape for reduction="none".
    """
    log_probs, target = _check_class_input("log_probs", log_probs, target)
    weight = _check_class_weight(weight, log_probs)
    reduction = _check_reduction(reduction)
    # l_n = -w_{y_n} log p_{n, y_n}
    loss = -_pick(log_probs, target)
    sample_weight = None if weight is None else weight[target]  # shape of target
    if sample_weight is not None:
        loss = sample_weight * loss
    return _weighted_reduce(loss, sample_weight, reduction)


def _log_softmax(logits: torch.Tensor, dim: int) -> torch.Tensor:
    """log softmax along `dim` through log-sum-exp with the max subtracted (no overflow)."""
    # the shift m cancels exactly, so it carries no gradient
    m = logits.detach().amax(dim=dim, keepdim=True)  # (N, 1, ...)
    shifted = logits - m  # <= 0, so exp(shifted) is in (0, 1]
    # log softmax(x)_c = (x_c - m) - log sum_k exp(x_k - m)
    return shifted - torch.log(torch.exp(shifted).sum(dim=dim, keepdim=True))


def cross_entropy(logits: torch.Tensor, target: torch.Tensor, label_smoothing: float = 0.0,
                  reduction: str = "mean", weight: torch.Tensor | None = None) -> torch.Tensor:
    """Cross-entropy on logits (F.cross_entropy with class-index targets): log-softmax + NLL.

    With label smoothing eps the target distribution is (1 - eps) one_hot(y) + eps / C, so
    l_n = (1 - eps) (-log p_{n, y_n}) + eps / C sum_c (-log p_{n, c}) (Szegedy et al., 2016).
    The gradient with respect to the logits is p - target distribution. Shapes as `nll_loss`.

    Class `weight` w (one number >= 0 per class), as PyTorch: l_n = (1 - eps) w_{y_n}
    (-log p_{n, y_n}) + eps / C sum_c w_c (-log p_{n, c}), and "mean" divides the sum by
    sum_n w_{y_n}. Weights larger for a rare class make its mistakes cost more.
    """
    logits, target = _check_class_input("logits", logits, target)
    label_smoothing = check_float("label_smoothing", label_smoothing, minimum=0.0, maximum=1.0)
    reduction = _check_reduction(reduction)
    weight = _check_class_weight(weight, logits)
    class_dim = 0 if logits.dim() == 1 else 1
    log_p = _log_softmax(logits, class_dim)  # same shape as logits
    nll = -_pick(log_p, target)  # shape of target
    sample_weight = None
    if weight is not None:
        sample_weight = weight[target]  # w_{y_n}, shape of target
        nll = sample_weight * nll
    if label_smoothing == 0.0:
        return _weighted_reduce(nll, sample_weight, reduction)
    num_classes = logits.shape[class_dim]
    if weight is not None:
        shape = [1] * logits.dim()
        shape[class_dim] = num_classes
        log_p = log_p * weight.reshape(shape)  # w_c log p_{n, c}
    uniform = -log_p.sum(dim=class_dim) / num_classes  # mean over classes of -w_c log p_{n, c}
    # l_n = (1 - eps) nll_n + eps * mean_c(-w_c log p_{n, c})
    loss = (1 - label_smoothing) * nll + label_smoothing * uniform
    return _weighted_reduce(loss, sample_weight, reduction)


def multiclass_hinge(scores: torch.Tensor, target: torch.Tensor, margin: float = 1.0,
                     reduction: str = "mean") -> torch.Tensor:
    """Multi-class hinge loss (F.multi_margin_loss with p=1, no weights), Weston-Watkins style.

    l_n = sum_{j != y_n} max(0, margin - s_{n, y_n} + s_{n, j}) / C for `scores` (N, C) or (C,)
    and class indices `target` (N,) or ().
    """
    scores = check_tensor("scores", scores, floating=True)
    if scores.dim() not in (1, 2):
        raise ValueError(f"scores has shape {tuple(scores.shape)}; it must be (C,) or (N, C)")
    scores, target = _check_class_input("scores", scores, target)
    margin = check_float("margin", margin)
    reduction = _check_reduction(reduction)
    batched = scores if scores.dim() == 2 else scores.unsqueeze(0)  # (N, C)
    y = target.reshape(-1)  # (N,)
    num_classes = batched.shape[1]
    correct = batched.gather(1, y.unsqueeze(1))  # (N, 1): s_{n, y_n}
    # max(0, margin - s_{n, y_n} + s_{n, j}) for every j, then drop j = y_n
    violations = _positive_part(margin - correct + batched)  # (N, C)
    others = torch.arange(num_classes, device=y.device) != y.unsqueeze(1)  # (N, C)
    loss = (violations * others).sum(dim=1) / num_classes  # (N,)
    return _reduce(loss if scores.dim() == 2 else loss[0], reduction)
