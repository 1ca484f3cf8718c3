"""Synthetic sequence tasks, built by code and deterministic for a seed."""

from __future__ import annotations

import torch

from .._checks import check_int


def adding_problem(n: int, seq_len: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """The adding problem (Hochreiter & Schmidhuber, 1997), in its common two-marker form.

    Each sequence has two features per step: a value drawn uniformly from [0, 1), and a marker
    that is 1 at exactly two steps (one in each half of the sequence) and 0 elsewhere. The target
    is the sum of the two marked values. Predicting the mean target, 1.0, gives a mean squared
    error of 1/6 (the variance of a sum of two uniforms): the baseline a model must beat.

    Returns `x` of shape `(n, seq_len, 2)` and `y` of shape `(n,)`, both float32.
    """
    n = check_int("n", n, minimum=1)
    seq_len = check_int("seq_len", seq_len, minimum=1)
    if seq_len < 2:
        raise ValueError(f"seq_len={seq_len} is not allowed; the adding problem needs "
                         "seq_len >= 2 to place its two markers")
    seed = check_int("seed", seed, minimum=0)
    g = torch.Generator().manual_seed(seed)
    values = torch.rand(n, seq_len, generator=g)                       # (n, T)
    half = seq_len // 2
    first = torch.randint(0, half, (n,), generator=g)                  # one marker per half
    second = torch.randint(half, seq_len, (n,), generator=g)
    markers = torch.zeros(n, seq_len)
    rows = torch.arange(n)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = torch.stack([values, markers], dim=-1)                         # (n, T, 2)
    y = values[rows, first] + values[rows, second]                     # (n,)
    return x, y
