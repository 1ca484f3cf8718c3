"""The book's rule for comparing two training set-ups run with several seeds.

A lesson that compares set-ups trains each with the same seeds and reports, per set-up, the mean
and the standard deviation of a measurement over the seeds (the sample standard deviation, as
`torch.std`). It calls two set-ups different only when their means differ by more than the sum
of their standard deviations: when the bands mean +- std do not overlap. With three seeds the
spread is rough, so a difference that passes is a finding about those set-ups, and one that
does not is not shown either way.
"""

from __future__ import annotations

import torch

__all__ = ["beyond_spread", "mean_and_std"]


def _values(name: str, values) -> torch.Tensor:
    """`values` (a sequence of numbers or a 1-D tensor) as a float64 tensor of >= 2 values."""
    try:
        t = torch.as_tensor(values, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError):
        raise TypeError(f"{name} must be a sequence of numbers or a 1-D tensor, "
                        f"got {type(values).__name__}") from None
    if t.dim() != 1 or len(t) < 2:
        raise ValueError(f"{name} has shape {tuple(t.shape)}; it must hold one value per seed, "
                         "at least 2 (a spread needs two runs)")
    if not torch.isfinite(t).all():
        raise ValueError(f"{name} holds a value that is not finite ({t.tolist()}); a run that "
                         "diverged has no spread to compare")
    return t


def mean_and_std(values) -> tuple[float, float]:
    """The mean and the sample standard deviation (`torch.std`, n - 1) of one value per seed."""
    t = _values("values", values)
    return t.mean().item(), t.std().item()


def beyond_spread(a, b) -> bool:
    """True when the means of `a` and `b` (one value per seed each) differ by more than
    `std(a) + std(b)`; False when the difference is within the spread, ties included."""
    a, b = _values("a", a), _values("b", b)
    # |mean(b) - mean(a)| > std(a) + std(b)
    return bool((b.mean() - a.mean()).abs() > a.std() + b.std())
