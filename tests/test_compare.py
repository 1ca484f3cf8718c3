"""Tests for utils/compare.py, the rule for comparing set-ups over seeds."""

import statistics

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from utils.compare import beyond_spread, mean_and_std

runs = st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=6)


@given(a=runs, b=runs)
def test_beyond_spread_is_the_gap_against_the_sum_of_the_sample_stds(a, b):
    gap = abs(statistics.fmean(b) - statistics.fmean(a))
    spread = statistics.stdev(a) + statistics.stdev(b)
    if abs(gap - spread) > 1e-9 * (1 + spread):  # away from a tie, where rounding decides
        assert beyond_spread(a, b) == (gap > spread)
    assert beyond_spread(a, b) == beyond_spread(b, a)  # symmetric
    as_tensor = lambda v: torch.tensor(v, dtype=torch.float64)  # noqa: E731
    assert beyond_spread(as_tensor(a), as_tensor(b)) == beyond_spread(a, b)


@given(a=runs)
def test_mean_and_std_are_torchs_sample_statistics(a):
    mean, std = mean_and_std(a)
    t = torch.tensor(a, dtype=torch.float64)
    assert mean == pytest.approx(t.mean().item(), abs=1e-9)
    assert std == pytest.approx(t.std().item(), abs=1e-9)
    assert std == pytest.approx(statistics.stdev(a), rel=1e-9, abs=1e-9)


def test_examples_either_side_of_the_rule():
    base = [0.80, 0.82, 0.84]  # mean 0.82, std 0.02
    assert beyond_spread(base, [0.90, 0.91, 0.92])  # gap 0.09 > 0.02 + 0.01
    assert not beyond_spread(base, [0.83, 0.85, 0.87])  # gap 0.03 < 0.02 + 0.02
    assert not beyond_spread([1.0, 1.0], [1.0, 1.0])  # no gap, no spread: not different
    assert beyond_spread([1.0, 1.0], [2.0, 2.0])  # a gap and no spread


@pytest.mark.parametrize("call, error, match", [
    (lambda: beyond_spread([0.5], [0.6, 0.7]), ValueError,
     r"a has shape \(1,\); it must hold one value per seed, at least 2"),
    (lambda: beyond_spread([0.5, 0.6], torch.ones(2, 2)), ValueError,
     r"b has shape \(2, 2\); it must hold one value per seed"),
    (lambda: beyond_spread([0.5, float("nan")], [0.6, 0.7]), ValueError,
     "a holds a value that is not finite"),
    (lambda: beyond_spread("abc", [0.6, 0.7]), TypeError,
     "a must be a sequence of numbers or a 1-D tensor, got str"),
    (lambda: mean_and_std(3.0), ValueError, r"values has shape \(\); it must hold one value"),
])
def test_bad_input_is_refused_with_the_argument_and_what_is_allowed(call, error, match):
    with pytest.raises(error, match=match):
        call()
