"""The focal loss of RetinaNet (Lin et al., 2017), as `torchvision.ops.sigmoid_focal_loss`.

Binary cross-entropy scaled by (1 - p_t)^gamma, where p_t is the probability the model gives
the true label: an example classified right with confidence (p_t near 1) keeps almost none of
its loss, so the many easy examples of a rare-object detector stop outweighing the hard ones.
"""

from __future__ import annotations

import torch

from .._checks import check_float
from ..activations import sigmoid
from ._common import _check_pair, _check_reduction, _check_unit_interval, _reduce
from .classification import binary_cross_entropy_with_logits

FOCAL_REDUCTIONS: tuple[str, ...] = ("none", "mean", "sum")  # torchvision's order and default


def _check_alpha(alpha) -> float:
    alpha = check_float("alpha", alpha)
    if not (0.0 <= alpha <= 1.0 or alpha == -1.0):
        raise ValueError(f"alpha={alpha} is not allowed; alpha must lie in [0, 1], or be -1 "
                         "for no class weighting")
    return alpha


def sigmoid_focal_loss(inputs: torch.Tensor, targets: torch.Tensor, alpha: float = 0.25,
                       gamma: float = 2.0, reduction: str = "none") -> torch.Tensor:
    """Focal loss on logits: l = -alpha_t (1 - p_t)^gamma log p_t (torchvision's definition).

    `inputs` are logits of any shape; `targets` the same shape, in [0, 1] (1 positive, 0
    negative). p_t = p for a positive and 1 - p for a negative, p = sigmoid(input);
    alpha_t = alpha for a positive and 1 - alpha for a negative (alpha = -1: no weighting).
    gamma = 0 and alpha = -1 give binary cross-entropy. -log p_t is computed as BCE on the
    logits and 1 - p_t as t sigmoid(-x) + (1 - t) sigmoid(x), so nothing overflows or cancels.
    Defaults and reductions ("none", "mean", "sum") are torchvision's.
    """
    inputs, targets = _check_pair("inputs", inputs, targets, target_name="targets")
    alpha = _check_alpha(alpha)
    gamma = check_float("gamma", gamma, minimum=0.0)
    reduction = _check_reduction(reduction, FOCAL_REDUCTIONS)
    _check_unit_interval("targets", targets)
    ce = binary_cross_entropy_with_logits(inputs, targets, reduction="none")  # -log p_t
    loss = ce
    if gamma != 0.0:  # (1 - p_t)^0 = 1, also where 1 - p_t = 0 (and its gradient is 0)
        # 1 - p_t = t (1 - p) + (1 - t) p, with 1 - p = sigmoid(-x)
        one_minus_p_t = targets * sigmoid(-inputs) + (1 - targets) * sigmoid(inputs)
        loss = one_minus_p_t ** gamma * ce
    if alpha >= 0:
        # alpha_t = alpha t + (1 - alpha) (1 - t)
        loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
    return _reduce(loss, reduction)
