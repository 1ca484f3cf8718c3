"""Loss functions from elementary tensor operations, matching `torch.nn.functional`.

Regression: `mse`, `mae`, `msle`, `mape`, `huber`, `smooth_l1`.
Classification: `binary_cross_entropy` (on probabilities), `binary_cross_entropy_with_logits`,
`nll_loss`, `cross_entropy` (with label smoothing), `hinge`, `multiclass_hinge`, `exponential`.

Every function takes `reduction="mean"` (`"mean"`, `"sum"` or `"none"`, as in PyTorch) and
checks its input instead of broadcasting silently: elementwise losses need `pred` and `target`
of exactly the same shape, so an `(N,)` prediction against an `(N, 1)` target (which PyTorch
broadcasts to `(N, N)` with only a warning) raises `ValueError`. Class indices must lie in
`[0, C)` (there is no `ignore_index`), {-1, +1} labels must be exactly -1 or +1 and
probabilities must lie in [0, 1].

Cross-entropy and BCE-with-logits are computed so that no intermediate overflows: every `exp`
sees a non-positive argument, so logits of any finite size give finite, exact losses.
"""

from __future__ import annotations

import torch

from ._checks import check_choice, check_float, check_tensor

REDUCTIONS: tuple[str, ...] = ("mean", "sum", "none")
# PyTorch's binary_cross_entropy clamps each log at -100, so a wrong certain answer costs 100
LOG_CLAMP = -100.0


# ---------------------------------------------------------------------------------------------
# Checks and the reduction
# ---------------------------------------------------------------------------------------------


def _reduce(loss: torch.Tensor, reduction: str) -> torch.Tensor:
    """Apply a reduction already checked by `_check_reduction`."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _check_reduction(reduction) -> str:
    return check_choice("reduction", reduction, REDUCTIONS)


def _check_pair(pred_name: str, pred, target) -> tuple[torch.Tensor, torch.Tensor]:
    """Floating `pred` and a `target` of exactly its shape (cast to pred's dtype)."""
    pred = check_tensor(pred_name, pred, floating=True)
    target = check_tensor("target", target)
    if target.shape != pred.shape:
        raise ValueError(
            f"target has shape {tuple(target.shape)} but {pred_name} has shape "
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


def _check_sign_labels(target: torch.Tensor) -> None:
    bad = (target != 1) & (target != -1)
    if bad.any():
        raise ValueError(f"target contains {_first_bad(target, bad)!r}; "
                         f"targets must be -1 or +1")


def _check_unit_interval(name: str, values: torch.Tensor) -> None:
    bad = ~((values >= 0) & (values <= 1))  # NaN fails both comparisons, so it is bad too
    if bad.any():
        raise ValueError(f"{name} contains {_first_bad(values, bad)!r}; "
                         f"{name} must lie in [0, 1]")


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


def _positive_part(z: torch.Tensor) -> torch.Tensor:
    """max(0, z) with gradient 0 at z = 0, as ReLU and PyTorch's margin losses have."""
    return torch.where(z > 0, z, torch.zeros_like(z))


def _pick(x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """x[n, target[n], ...]: the entry of each sample's own class; shape of target."""
    if x.dim() == 1:
        return x[target]  # () from (C,)
    return x.gather(1, target.unsqueeze(1)).squeeze(1)  # (N, 1, d...) -> (N, d...)


# ---------------------------------------------------------------------------------------------
# Regression losses: pred and target of the same shape, loss per element
# ---------------------------------------------------------------------------------------------


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


def binary_cross_entropy_with_logits(logits: torch.Tensor, target: torch.Tensor,
                                     reduction: str = "mean") -> torch.Tensor:
    """Binary cross-entropy on logits (F.binary_cross_entropy_with_logits), stable for any logit.

    l = -(y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))) = max(x, 0) - x y + log(1 + e^{-|x|});
    gradient sigmoid(x) - y. With y in {0, 1} and s = 2y - 1 in {-1, +1} this is the logistic
    loss log(1 + exp(-s x)) (F.soft_margin_loss). Every exp sees -|x| <= 0, and for hard labels
    no term cancels: a correct, confident prediction gets its tiny loss to full precision
    (PyTorch's (1 - y) x - log sigmoid(x) loses those digits when y = 0 and x << 0).
    """
    logits, target = _check_pair("logits", logits, target)
    reduction = _check_reduction(reduction)
    _check_unit_interval("target", target)
    x = logits
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


def nll_loss(log_probs: torch.Tensor, target: torch.Tensor,
             reduction: str = "mean") -> torch.Tensor:
    """Negative log-likelihood (F.nll_loss without weights): l_n = -log_probs[n, target[n]].

    `log_probs` is (N, C) (or (C,), or (N, C, d1, ...)), usually a log-softmax; `target` holds
    class indices in [0, C) of shape (N,) (or (), or (N, d1, ...)). Output: a scalar, or the
    target's shape for reduction="none".
    """
    log_probs, target = _check_class_input("log_probs", log_probs, target)
    reduction = _check_reduction(reduction)
    # l_n = -log p_{n, y_n}
    return _reduce(-_pick(log_probs, target), reduction)


def _log_softmax(logits: torch.Tensor, dim: int) -> torch.Tensor:
    """log softmax along `dim` through log-sum-exp with the max subtracted (no overflow)."""
    # the shift m cancels exactly, so it carries no gradient
    m = logits.detach().amax(dim=dim, keepdim=True)  # (N, 1, ...)
    shifted = logits - m  # <= 0, so exp(shifted) is in (0, 1]
    # log softmax(x)_c = (x_c - m) - log sum_k exp(x_k - m)
    return shifted - torch.log(torch.exp(shifted).sum(dim=dim, keepdim=True))


def cross_entropy(logits: torch.Tensor, target: torch.Tensor, label_smoothing: float = 0.0,
                  reduction: str = "mean") -> torch.Tensor:
    """Cross-entropy on logits (F.cross_entropy with class-index targets): log-softmax + NLL.

    With label smoothing eps the target distribution is (1 - eps) one_hot(y) + eps / C, so
    l_n = (1 - eps) (-log p_{n, y_n}) + eps / C sum_c (-log p_{n, c}) (Szegedy et al., 2016).
    The gradient with respect to the logits is p - target distribution. Shapes as `nll_loss`.
    """
    logits, target = _check_class_input("logits", logits, target)
    label_smoothing = check_float("label_smoothing", label_smoothing, minimum=0.0, maximum=1.0)
    reduction = _check_reduction(reduction)
    class_dim = 0 if logits.dim() == 1 else 1
    log_p = _log_softmax(logits, class_dim)  # same shape as logits
    nll = -_pick(log_p, target)  # shape of target
    if label_smoothing == 0.0:
        return _reduce(nll, reduction)
    num_classes = logits.shape[class_dim]
    uniform = -log_p.sum(dim=class_dim) / num_classes  # mean over classes of -log p_c
    # l_n = (1 - eps) nll_n + eps * mean_c(-log p_{n, c})
    loss = (1 - label_smoothing) * nll + label_smoothing * uniform
    return _reduce(loss, reduction)


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
