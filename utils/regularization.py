"""Regularisation from scratch: inverted dropout, the L2 penalty, and early stopping.

- `dropout(x, p, training, generator)` is `F.dropout` written with elementary operations: in
  training each element is zeroed independently with probability `p` and the survivors are
  scaled by 1/(1 - p), so the expected output equals the input and evaluation needs no change
  ("inverted" dropout; Srivastava et al. 2014 scale the weights at test time instead, which
  gives the same expected values). `Dropout` is the module, as `nn.Dropout`.
- `l2_penalty(parameters, weight_decay)` is (lambda/2) sum ||theta||^2, the term that "L2 in
  the loss" adds; its gradient lambda * theta is exactly what `weight_decay=lambda` adds to the
  gradient inside `torch.optim.SGD` and `torch.optim.Adam`. Decoupled weight decay
  (`torch.optim.AdamW`, Loshchilov & Hutter 2019) shrinks the weights outside the gradient.
- `early_stopping(values, patience)` says where training that watches a validation curve stops
  and which evaluation's weights to keep; `EarlyStopping` does the same during a run of
  `utils.train.train_steps` (its `stop=` argument) and keeps the best weights.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Sequence

import torch
from torch import nn

from ._checks import check_bool, check_choice, check_float, check_int, check_module, check_tensor

__all__ = ["dropout", "Dropout", "l2_penalty", "early_stopping", "EarlyStopping"]


def _check_p(p) -> float:
    return check_float("p", p, minimum=0.0, maximum=1.0)


def _check_generator(generator) -> torch.Generator | None:
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, "
                        f"got {type(generator).__name__}")
    return generator


def dropout(x: torch.Tensor, p: float = 0.5, training: bool = True,
            generator: torch.Generator | None = None) -> torch.Tensor:
    """Inverted dropout, as `F.dropout(x, p, training)`.

    In training, each element of `x` is kept independently with probability 1 - p and divided
    by 1 - p, else set to 0; `p=1` zeroes everything. Out of training (`training=False`) it
    returns `x` itself. The mask is drawn from `generator` (the global one if None), so a seeded
    generator gives the same mask again. Any shape; the output has the shape of `x`. The
    gradient is the mask divided by 1 - p: dropped elements get none.
    """
    check_tensor("x", x, floating=True)
    p = _check_p(p)
    training = check_bool("training", training)
    generator = _check_generator(generator)
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0  # 1/(1 - p) would be infinite; every element is dropped
    # one uniform number per element, u in [0, 1): P(u >= p) = 1 - p, independently
    u = torch.rand(x.shape, generator=generator, dtype=x.dtype, device=x.device)
    keep = (u >= p).to(x.dtype)  # m ~ Bernoulli(1 - p)
    # y = m * x / (1 - p), so E[y] = x
    return x * keep / (1.0 - p)


class Dropout(nn.Module):
    """`nn.Dropout(p)` built on `dropout`: active in train mode, the identity in eval mode."""

    def __init__(self, p: float = 0.5, generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.p = _check_p(p)
        self.generator = _check_generator(generator)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return dropout(x, self.p, self.training, self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}"


def l2_penalty(parameters: Iterable[torch.Tensor], weight_decay: float) -> torch.Tensor:
    """(weight_decay / 2) * sum of the squared entries of every tensor in `parameters`.

    Added to a loss, its gradient weight_decay * theta is what `weight_decay=` adds inside
    `torch.optim.SGD` and `torch.optim.Adam` (every parameter, biases too), so the two give the
    same steps. `parameters`: `model.parameters()` or any iterable of tensors. A 0-dim tensor.
    """
    weight_decay = check_float("weight_decay", weight_decay, minimum=0.0)
    if isinstance(parameters, torch.Tensor):
        parameters = [parameters]
    params = list(parameters)
    if not params:
        raise ValueError("parameters is empty; give the tensors to penalise "
                         "(e.g. model.parameters())")
    for i, p in enumerate(params):
        check_tensor(f"parameters[{i}]", p, floating=True)
    # lambda/2 * sum_i ||theta_i||^2, whose gradient is lambda * theta
    return weight_decay / 2 * sum((p * p).sum() for p in params)


def _improves(value: float, best: float, mode: str, min_delta: float) -> bool:
    if mode == "min":
        return value < best - min_delta
    return value > best + min_delta


def _check_stopping(patience, mode, min_delta) -> tuple[int, str, float]:
    patience = check_int("patience", patience, minimum=1)
    mode = check_choice("mode", mode, ("min", "max"))
    min_delta = check_float("min_delta", min_delta, minimum=0.0)
    return patience, mode, min_delta


def early_stopping(values: Sequence[float], patience: int, *, mode: str = "min",
                   min_delta: float = 0.0) -> tuple[int, int | None]:
    """Where early stopping on the validation curve `values` stops, and what it keeps.

    `values[i]` is the i-th evaluation (a validation loss for `mode="min"`, an accuracy for
    `mode="max"`). An evaluation *improves* when it beats the best so far by more than
    `min_delta`, computed as `value < best - min_delta` (`value > best + min_delta` for
    "max"); the first one always does. Training stops at the first evaluation that comes
    `patience` evaluations after the last improvement (Prechelt 1998 compares rules of this
    kind with other stopping criteria).

    Returns `(best, stop)`: `best` the index of the last improvement up to the stop (the
    weights to restore), `stop` the index of the evaluation at which training stops, or None
    when the curve ends first (then `best` is the last improvement of the whole curve).
    """
    patience, mode, min_delta = _check_stopping(patience, mode, min_delta)
    if isinstance(values, torch.Tensor):
        values = values.tolist()
    values = [check_float(f"values[{i}]", v) for i, v in enumerate(values)]
    if not values:
        raise ValueError("values is empty; give the validation curve, one value per evaluation")
    best, best_value = 0, values[0]
    for i in range(1, len(values)):
        if _improves(values[i], best_value, mode, min_delta):
            best, best_value = i, values[i]
        elif i - best >= patience:
            return best, i
    return best, None


class EarlyStopping:
    """Early stopping for `train_steps(..., eval_fn=..., stop=EarlyStopping(...))`.

    After each new evaluation in `history.eval_value` it applies the rule of `early_stopping`
    (same `patience`, `mode`, `min_delta`; patience counts evaluations, not steps) and returns
    True when training should stop. With `model` given, it copies the model's weights at every
    improvement; `restore()` loads the best ones back. `best_step` and `best_value` say which
    evaluation was best; `stop_step` is the step at which it stopped (None while running).
    """

    def __init__(self, patience: int, *, mode: str = "min", min_delta: float = 0.0,
                 model: nn.Module | None = None) -> None:
        self.patience, self.mode, self.min_delta = _check_stopping(patience, mode, min_delta)
        self.model = None if model is None else check_module("model", model)
        self.best_value = math.inf if self.mode == "min" else -math.inf
        self.best_index: int | None = None
        self.best_step: int | None = None
        self.stop_step: int | None = None
        self._seen = 0
        self._state = None

    def __call__(self, history) -> bool:
        values = history.eval_value
        stop = False
        while self._seen < len(values):  # each evaluation once, in order
            i, value = self._seen, float(values[self._seen])
            self._seen += 1
            if self.best_index is None or _improves(value, self.best_value, self.mode,
                                                    self.min_delta):
                self.best_index, self.best_value = i, value
                self.best_step = history.eval_step[i]
                if self.model is not None:
                    self._state = copy.deepcopy(self.model.state_dict())
            elif i - self.best_index >= self.patience:
                self.stop_step = history.eval_step[i]
                stop = True
                break
        return stop

    def restore(self) -> nn.Module:
        """Load the best evaluation's weights into the model; return the model."""
        if self.model is None:
            raise ValueError("restore() needs the model: pass EarlyStopping(..., model=model)")
        if self._state is None:
            raise ValueError("nothing to restore yet: no evaluation has been seen")
        self.model.load_state_dict(self._state)
        return self.model
