"""Loss functions from elementary tensor operations, matching `torch.nn.functional`.

One module per topic, every name importable from `utils.losses`:
- `regression`: `mse`, `mae`, `msle`, `mape`, `huber`, `smooth_l1`, `gaussian_nll_loss`;
- `classification`: `binary_cross_entropy` (on probabilities), `binary_cross_entropy_with_logits`
  (with `pos_weight`), `hinge`, `exponential`, `nll_loss` and `cross_entropy` (class `weight`,
  label smoothing), `multiclass_hinge`;
- `divergence`: `kl_div`, with PyTorch's conventions (`input` is log q, "batchmean");
- `focal`: `sigmoid_focal_loss`, as `torchvision.ops.sigmoid_focal_loss`.

Every function takes `reduction` (`"mean"`, `"sum"` or `"none"` as in PyTorch; `kl_div` also
`"batchmean"`; `sigmoid_focal_loss` defaults to `"none"` as torchvision does) and checks its
input instead of broadcasting silently: elementwise losses need `pred` and `target` of exactly
the same shape, so an `(N,)` prediction against an `(N, 1)` target (which PyTorch broadcasts to
`(N, N)` with only a warning) raises `ValueError`. Class indices must lie in `[0, C)` (there is
no `ignore_index`), {-1, +1} labels must be exactly -1 or +1, probabilities must lie in [0, 1]
and log-probabilities must be <= 0.

Cross-entropy and BCE-with-logits are computed so that no intermediate overflows: every `exp`
sees a non-positive argument, so logits of any finite size give finite, exact losses.
"""

from ._common import REDUCTIONS
from .classification import (
    LOG_CLAMP,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    exponential,
    hinge,
    multiclass_hinge,
    nll_loss,
)
from .divergence import KL_REDUCTIONS, kl_div
from .focal import FOCAL_REDUCTIONS, sigmoid_focal_loss
from .regression import gaussian_nll_loss, huber, mae, mape, mse, msle, smooth_l1

__all__ = [
    "FOCAL_REDUCTIONS", "KL_REDUCTIONS", "LOG_CLAMP", "REDUCTIONS", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "cross_entropy", "exponential", "gaussian_nll_loss",
    "huber", "hinge", "kl_div", "mae", "mape", "mse", "msle", "multiclass_hinge", "nll_loss",
    "sigmoid_focal_loss", "smooth_l1",
]
