"""utils.rnn.perplexity against exp(F.cross_entropy) (the oracle) in float64, gradients included."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from utils.rnn import perplexity

TOL = dict(atol=1e-10, rtol=1e-10)


def oracle(logits, target, ignore_index=None):
    vocab = logits.shape[-1]
    return torch.exp(F.cross_entropy(logits.reshape(-1, vocab), target.reshape(-1),
                                     ignore_index=-100 if ignore_index is None else ignore_index))


@given(shape=st.lists(st.integers(1, 5), min_size=0, max_size=3), vocab=st.integers(1, 9),
       scale=st.floats(0.01, 30.0), ignore=st.booleans(), seed=st.integers(0, 10_000))
def test_matches_cross_entropy_values_and_gradients(shape, vocab, scale, ignore, seed):
    g = torch.Generator().manual_seed(seed)
    logits = (scale * torch.randn(*shape, vocab, generator=g, dtype=torch.float64)
              ).requires_grad_()
    target = torch.randint(0, vocab, tuple(shape), generator=g)
    ignore_index = None
    if ignore and target.numel() > 1:
        ignore_index = int(target.reshape(-1)[0])
        if (target == ignore_index).all():
            ignore_index = None
    ours, theirs = perplexity(logits, target, ignore_index), oracle(logits, target, ignore_index)
    torch.testing.assert_close(ours, theirs, **TOL)
    g_ours, = torch.autograd.grad(ours, logits)
    g_theirs, = torch.autograd.grad(theirs, logits)
    # the gradient is perplexity * d(nll)/d(logits): its rounding grows with the perplexity
    torch.testing.assert_close(g_ours, g_theirs, rtol=1e-10,
                               atol=1e-12 * max(1.0, theirs.item()))


def test_padding_targets_count_nowhere():
    torch.manual_seed(0)
    logits = torch.randn(2, 6, 5, dtype=torch.float64)
    target = torch.randint(0, 5, (2, 6))
    padded = target.clone()
    padded[1, 3:] = -1
    value = perplexity(logits, padded, ignore_index=-1)
    kept = torch.cat([logits[0], logits[1, :3]]), torch.cat([target[0], target[1, :3]])
    torch.testing.assert_close(value, perplexity(*kept), **TOL)
    torch.testing.assert_close(value, oracle(logits, padded, -1), **TOL)


@pytest.mark.parametrize("vocab", [1, 2, 27, 100])
def test_uniform_model_has_perplexity_vocab(vocab):
    logits = torch.zeros(50, vocab, dtype=torch.float64)
    target = torch.randint(0, vocab, (50,))
    torch.testing.assert_close(perplexity(logits, target),
                               torch.tensor(float(vocab), dtype=torch.float64), **TOL)


def test_confident_and_right_is_one_confident_and_wrong_is_large():
    logits = torch.tensor([[50.0, 0.0, 0.0]], dtype=torch.float64)
    assert math.isclose(perplexity(logits, torch.tensor([0])).item(), 1.0, abs_tol=1e-12)
    assert math.isclose(perplexity(logits, torch.tensor([1])).item(), math.exp(50), rel_tol=1e-9)


def test_huge_logits_stay_finite():
    logits = torch.tensor([[1000.0, 999.0], [-1000.0, 0.0]])       # float32, exp overflows
    value = perplexity(logits, torch.tensor([1, 1]))
    assert torch.isfinite(value)
    torch.testing.assert_close(value, oracle(logits, torch.tensor([1, 1])))


def test_bad_input():
    logits = torch.randn(4, 3, 5)
    target = torch.randint(0, 5, (4, 3))
    with pytest.raises(ValueError, match=r"target must have the shape of logits without its last "
                                         r"\(token\) dimension, \(4, 3\), got shape \(4, 5\)"):
        perplexity(logits, torch.zeros(4, 5, dtype=torch.long))
    with pytest.raises(ValueError, match=r"target holds 5; every target must be a token index in "
                                         r"\[0, 5\)"):
        perplexity(logits, torch.full((4, 3), 5))
    with pytest.raises(ValueError, match=r"target holds -2"):
        perplexity(logits, torch.full((4, 3), -2), ignore_index=-1)
    with pytest.raises(ValueError, match=r"every entry of target is ignore_index=0"):
        perplexity(logits, torch.zeros(4, 3, dtype=torch.long), ignore_index=0)
    with pytest.raises(TypeError, match=r"target must hold integer token indices, got dtype "
                                        r"torch.float32"):
        perplexity(logits, target.float())
    with pytest.raises(TypeError, match=r"logits must be a floating-point tensor"):
        perplexity(target, target)
    with pytest.raises(TypeError, match=r"ignore_index=0.5 is not allowed"):
        perplexity(logits, target, ignore_index=0.5)
    with pytest.raises(TypeError, match=r"target must be a torch.Tensor, got list"):
        perplexity(logits, [0, 1])
