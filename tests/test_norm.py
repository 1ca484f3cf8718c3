"""utils.norm against F.batch_norm, F.layer_norm, F.group_norm and nn.BatchNorm2d (the oracles),
in float64: values, gradients through autograd, running statistics and BN's compact backward."""

import re

import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from torch import nn

from utils import norm

SETTINGS = settings(max_examples=60)
TOL = dict(rtol=1e-10, atol=1e-12)
seeds = st.integers(0, 2**31 - 1)
spatial = st.lists(st.integers(1, 4), min_size=0, max_size=2).map(tuple)  # (), (L,), (H, W)
eps_values = st.sampled_from([1e-5, 1e-3, 1e-8, 0.5])  # recent PyTorch refuses eps=0 in training


def _randn(shape, g, scale=1.0, shift=0.0):
    return torch.randn(shape, generator=g, dtype=torch.float64) * scale + shift


def _grads(fn, tensors, weights):
    """Output of fn(*tensors) and the gradients of (output * weights).sum() w.r.t. tensors."""
    tensors = [t.detach().clone().requires_grad_() for t in tensors]
    out = fn(*tensors)
    grads = torch.autograd.grad((out * weights).sum(), tensors)
    return out.detach(), grads


def _compare(ours, theirs, tensors, g, eps=None):
    """Same output and the same gradient w.r.t. every tensor, for a random upstream gradient.

    With `eps`, the output's absolute tolerance allows for the rounding of x - mean (about
    |x| 2^-52) divided by the smallest possible std, sqrt(eps): a group of one value has x -
    mean = 0 exactly in our code, while PyTorch 2.1 returned 1.2e-12 for |x| ~ 5, eps = 1e-8.
    """
    probe = theirs(*tensors)
    weights = _randn(probe.shape, g)
    out_a, grads_a = _grads(ours, tensors, weights)
    out_b, grads_b = _grads(theirs, tensors, weights)
    tol = dict(TOL)
    if eps is not None:
        rounding = 4 * torch.finfo(torch.float64).eps * tensors[0].abs().max().item()
        tol["atol"] = max(TOL["atol"], rounding / eps**0.5)
    torch.testing.assert_close(out_a, out_b, **tol)
    for ga, gb in zip(grads_a, grads_b):
        torch.testing.assert_close(ga, gb, rtol=1e-9, atol=1e-10)


# --- batch norm ------------------------------------------------------------------------------

@SETTINGS
@given(n=st.integers(1, 5), c=st.integers(1, 4), rest=spatial, seed=seeds,
       training=st.booleans(), momentum=st.floats(0.0, 1.0), eps=eps_values,
       affine=st.booleans(), scale=st.sampled_from([1e-2, 1.0, 30.0]))
def test_batch_norm_matches_pytorch(n, c, rest, seed, training, momentum, eps, affine, scale):
    shape = (n, c, *rest)
    if training and n * torch.Size(rest).numel() == 1:
        n, shape = 2, (2, c, *rest)  # training needs two values per channel (tested below)
    g = torch.Generator().manual_seed(seed)
    x = _randn(shape, g, scale, shift=3.0)
    running = (_randn(c, g), torch.rand(c, generator=g, dtype=torch.float64) + 0.1)
    params = [_randn(c, g), _randn(c, g)] if affine else []
    stats = {"ours": [t.clone() for t in running], "theirs": [t.clone() for t in running]}

    def call(fn, key):
        def run(x, *wb):
            mean, var = (t.clone() for t in running)  # the gradient pass must not update twice
            out = fn(x, mean, var, *wb, training=training, momentum=momentum, eps=eps)
            stats[key] = [mean, var]
            return out
        return run

    _compare(call(norm.batch_norm, "ours"), call(F.batch_norm, "theirs"), [x, *params], g)
    for ours, theirs in zip(stats["ours"], stats["theirs"]):
        torch.testing.assert_close(ours, theirs, **TOL)  # updated in place, or left alone


@SETTINGS
@given(shape=st.tuples(st.integers(2, 6), st.integers(1, 3), st.integers(1, 3)), seed=seeds,
       momentum=st.floats(0.0, 1.0), steps=st.integers(1, 6))
def test_running_statistics_follow_pytorch_over_many_updates(shape, seed, momentum, steps):
    g = torch.Generator().manual_seed(seed)
    c = shape[1]
    ours = [torch.zeros(c, dtype=torch.float64), torch.ones(c, dtype=torch.float64)]
    theirs = [t.clone() for t in ours]
    for _ in range(steps):
        x = _randn(shape, g, scale=2.0, shift=5.0)
        norm.batch_norm(x, *ours, training=True, momentum=momentum)
        F.batch_norm(x, *theirs, training=True, momentum=momentum)
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b, **TOL)


def test_running_update_uses_the_unbiased_variance():
    x = torch.tensor([[1.0], [3.0]], dtype=torch.float64)  # (N=2, C=1): mean 2, var 1 (biased)
    mean, var = torch.zeros(1, dtype=torch.float64), torch.zeros(1, dtype=torch.float64)
    y = norm.batch_norm(x, mean, var, training=True, momentum=1.0, eps=0.0)
    assert mean.item() == 2.0 and var.item() == 2.0  # unbiased: 2 / (2 - 1)
    torch.testing.assert_close(y, torch.tensor([[-1.0], [1.0]], dtype=torch.float64))


def test_the_running_statistics_comparison_can_fail():
    """Had we stored the biased variance, the comparison with PyTorch would catch it."""
    x = _randn((4, 3), torch.Generator().manual_seed(0))
    theirs = torch.zeros(3, dtype=torch.float64)
    F.batch_norm(x, torch.zeros(3, dtype=torch.float64), theirs, training=True, momentum=1.0)
    biased = x.var(dim=0, unbiased=False)
    assert not torch.allclose(biased, theirs)


def test_evaluation_output_does_not_depend_on_the_batch():
    g = torch.Generator().manual_seed(1)
    x = _randn((8, 3, 2, 2), g)
    mean, var = _randn(3, g), torch.rand(3, generator=g, dtype=torch.float64) + 0.5
    alone = norm.batch_norm(x[:1], mean, var)
    in_batch = norm.batch_norm(x, mean, var)[:1]
    torch.testing.assert_close(alone, in_batch, rtol=0, atol=0)
    trained = norm.batch_norm(x, None, None, training=True)[:1]
    assert not torch.allclose(trained, alone)  # training mode uses the batch's statistics


def test_batch_norm_matches_the_module():
    torch.manual_seed(0)
    bn = nn.BatchNorm2d(4, momentum=0.3).double()
    nn.init.normal_(bn.weight)
    nn.init.normal_(bn.bias)
    mean, var = bn.running_mean.clone(), bn.running_var.clone()
    for _ in range(3):
        x = torch.randn(5, 4, 3, 3, dtype=torch.float64) * 2 + 1
        expected = bn(x)
        got = norm.batch_norm(x, mean, var, bn.weight, bn.bias, training=True, momentum=0.3)
        torch.testing.assert_close(got, expected, **TOL)
    torch.testing.assert_close(mean, bn.running_mean, **TOL)
    torch.testing.assert_close(var, bn.running_var, **TOL)
    bn.eval()
    x = torch.randn(2, 4, 3, 3, dtype=torch.float64)
    torch.testing.assert_close(norm.batch_norm(x, mean, var, bn.weight, bn.bias), bn(x), **TOL)


# --- the compact backward formula --------------------------------------------------------------

@SETTINGS
@given(n=st.integers(1, 5), c=st.integers(1, 4), rest=spatial, seed=seeds, eps=eps_values,
       affine=st.booleans(), scale=st.sampled_from([1e-2, 1.0, 30.0]))
def test_batch_norm_backward_matches_autograd(n, c, rest, seed, eps, affine, scale):
    if n * torch.Size(rest).numel() == 1:
        n = 2
    g = torch.Generator().manual_seed(seed)
    x = _randn((n, c, *rest), g, scale, shift=-2.0)
    weight = _randn(c, g) if affine else torch.ones(c, dtype=torch.float64)
    bias = _randn(c, g)
    dy = _randn(x.shape, g)
    leaves = [t.clone().requires_grad_() for t in (x, weight, bias)]
    F.batch_norm(leaves[0], None, None, leaves[1], leaves[2], training=True,
                 eps=eps).backward(dy)
    grads = norm.batch_norm_backward(dy, x, weight if affine else None, eps=eps)
    for ours, leaf in zip(grads, leaves):
        torch.testing.assert_close(ours, leaf.grad, rtol=1e-9, atol=1e-9)


def test_batch_norm_backward_gradient_sums_to_zero_per_channel():
    """sum(dx) = 0 and sum(dx * x_hat) = 0: shifting or scaling a channel changes nothing."""
    g = torch.Generator().manual_seed(2)
    x, dy = _randn((6, 3, 4), g), _randn((6, 3, 4), g)
    dx, _, _ = norm.batch_norm_backward(dy, x, None, eps=0.0)
    torch.testing.assert_close(dx.sum(dim=(0, 2)), torch.zeros(3, dtype=torch.float64),
                               rtol=0, atol=1e-12)


# --- layer norm and group norm -------------------------------------------------------------

@SETTINGS
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4).map(tuple),
       data=st.data(), seed=seeds, eps=eps_values, affine=st.booleans(),
       as_int=st.booleans())
def test_layer_norm_matches_pytorch(shape, data, seed, eps, affine, as_int):
    k = data.draw(st.integers(1, len(shape)))
    normalized = shape[-k:]
    arg = normalized[0] if as_int and k == 1 else normalized
    g = torch.Generator().manual_seed(seed)
    x = _randn(shape, g, scale=3.0, shift=1.0)
    params = [_randn(normalized, g), _randn(normalized, g)] if affine else []
    _compare(lambda x, *wb: norm.layer_norm(x, arg, *wb, eps=eps),
             lambda x, *wb: F.layer_norm(x, list(normalized), *wb, eps=eps), [x, *params], g,
             eps=eps)


@SETTINGS
@given(n=st.integers(1, 4), groups=st.integers(1, 4), per_group=st.integers(1, 3),
       rest=spatial, seed=seeds, eps=eps_values, affine=st.booleans())
def test_group_norm_matches_pytorch(n, groups, per_group, rest, seed, eps, affine):
    c = groups * per_group
    # F.group_norm refuses N * C/G * spatial == 1 (a check borrowed from batch norm); ours
    # gives 0 there, as for any group of one value
    assume(n * per_group * torch.Size(rest).numel() > 1)
    g = torch.Generator().manual_seed(seed)
    x = _randn((n, c, *rest), g, scale=2.0, shift=-1.0)
    params = [_randn(c, g), _randn(c, g)] if affine else []
    _compare(lambda x, *wb: norm.group_norm(x, groups, *wb, eps=eps),
             lambda x, *wb: F.group_norm(x, groups, *wb, eps=eps), [x, *params], g, eps=eps)


def test_group_norm_extremes_are_layer_norm_and_instance_norm():
    g = torch.Generator().manual_seed(3)
    x = _randn((3, 6, 4, 5), g)
    torch.testing.assert_close(norm.group_norm(x, 1), F.layer_norm(x, (6, 4, 5)), **TOL)
    torch.testing.assert_close(norm.group_norm(x, 6), F.instance_norm(x), **TOL)


def test_layer_and_group_norm_do_not_mix_examples():
    g = torch.Generator().manual_seed(4)
    x = _randn((5, 4, 3), g)
    torch.testing.assert_close(norm.layer_norm(x[2:3], (4, 3)), norm.layer_norm(x, (4, 3))[2:3],
                               rtol=0, atol=0)
    torch.testing.assert_close(norm.group_norm(x[2:3], 2), norm.group_norm(x, 2)[2:3],
                               rtol=0, atol=0)


# --- folding BN into the convolution ---------------------------------------------------------

@settings(max_examples=40)
@given(seed=seeds, in_per_group=st.integers(1, 3), out_per_group=st.integers(1, 3),
       groups=st.integers(1, 2), kernel=st.integers(1, 3), stride=st.integers(1, 2),
       padding=st.integers(0, 1), dilation=st.integers(1, 2), bias=st.booleans(),
       affine=st.booleans(), padding_mode=st.sampled_from(["zeros", "reflect"]))
def test_folded_convolution_equals_conv_then_bn_in_eval_mode(
        seed, in_per_group, out_per_group, groups, kernel, stride, padding, dilation, bias,
        affine, padding_mode):
    torch.manual_seed(seed % 2**32)
    cin, cout = in_per_group * groups, out_per_group * groups
    conv = nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding, dilation=dilation,
                     groups=groups, bias=bias, padding_mode=padding_mode).double()
    bn = nn.BatchNorm2d(cout, affine=affine, eps=1e-3).double()
    with torch.no_grad():
        bn.running_mean.normal_()
        bn.running_var.uniform_(0.2, 3.0)
        if affine:
            bn.weight.normal_()
            bn.bias.normal_()
    before = {k: v.clone() for k, v in [*conv.state_dict().items(), *bn.state_dict().items()]}
    folded = norm.fold_batch_norm(conv, bn.eval())
    x = torch.randn(2, cin, 7, 6, dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(folded(x), bn(conv(x)), **TOL)
    assert type(folded) is nn.Conv2d and folded.bias is not None
    assert folded.weight.dtype == torch.float64 and folded.padding_mode == padding_mode
    after = {**conv.state_dict(), **bn.state_dict()}
    assert all(torch.equal(before[k], after[k]) for k in before)  # the originals are untouched


def test_folding_removes_a_layer_from_a_trained_block():
    torch.manual_seed(0)
    block = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
    for _ in range(5):  # a few training-mode passes give the running statistics real values
        block(torch.randn(16, 3, 8, 8) * 2 + 1)
    block.eval()
    fused = nn.Sequential(norm.fold_batch_norm(block[0], block[1]), nn.ReLU()).eval()
    x = torch.randn(4, 3, 8, 8)
    with torch.no_grad():
        torch.testing.assert_close(fused(x), block(x), rtol=1e-5, atol=1e-5)
    assert len(fused) == len(block) - 1


# --- bad input ---------------------------------------------------------------------------------

def _x(*shape):
    return torch.randn(shape, dtype=torch.float64)


def test_batch_norm_refuses_one_value_per_channel_in_training():
    message = re.escape("x has shape (1, 3): one value per channel, so its variance is "
                        "undefined in training mode; training needs more than one value")
    with pytest.raises(ValueError, match=message):
        norm.batch_norm(_x(1, 3), None, None, training=True)
    with pytest.raises(ValueError, match=re.escape("x has shape (1, 2, 1, 1): one value")):
        norm.batch_norm(_x(1, 2, 1, 1), None, None, training=True)
    with pytest.raises(ValueError):
        F.batch_norm(_x(1, 3), None, None, training=True)  # PyTorch refuses it too
    norm.batch_norm(_x(1, 3), torch.zeros(3, dtype=torch.float64),
                    torch.ones(3, dtype=torch.float64))  # evaluation: fine


@pytest.mark.parametrize("momentum, message", [
    (-0.1, "momentum=-0.1 is not allowed; momentum must be >= 0.0"),
    (1.5, "momentum=1.5 is not allowed; momentum must be <= 1.0"),
])
def test_batch_norm_momentum_outside_0_1(momentum, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        norm.batch_norm(_x(4, 2), None, None, training=True, momentum=momentum)


@pytest.mark.parametrize("fn", [
    lambda eps: norm.batch_norm(_x(4, 2), None, None, training=True, eps=eps),
    lambda eps: norm.layer_norm(_x(4, 2), 2, eps=eps),
    lambda eps: norm.group_norm(_x(4, 2), 1, eps=eps),
    lambda eps: norm.batch_norm_backward(_x(4, 2), _x(4, 2), None, eps=eps),
])
def test_negative_eps(fn):
    with pytest.raises(ValueError, match=re.escape("eps=-1e-05 is not allowed; eps must be "
                                                   ">= 0.0")):
        fn(-1e-5)


def test_batch_norm_shapes_that_do_not_match():
    x = _x(4, 3, 2)
    with pytest.raises(ValueError, match=re.escape("running_mean has shape (2,); it must have "
                                                   "shape (3,), one value per normalised")):
        norm.batch_norm(x, torch.zeros(2, dtype=torch.float64), torch.ones(3, dtype=x.dtype))
    with pytest.raises(ValueError, match=re.escape("weight has shape (3, 1); it must have "
                                                   "shape (3,)")):
        norm.batch_norm(x, None, None, torch.ones(3, 1, dtype=x.dtype), training=True)
    with pytest.raises(ValueError, match=re.escape("x has shape (5,); it must have at least 2 "
                                                   "dimensions, (N, C, *)")):
        norm.batch_norm(_x(5), None, None, training=True)


def test_batch_norm_eval_needs_running_statistics():
    with pytest.raises(ValueError, match="running_mean and running_var are None, which is "
                                         r"allowed only in training mode \(training=True\)"):
        norm.batch_norm(_x(4, 3), None, None)


def test_batch_norm_kinds():
    with pytest.raises(TypeError, match="x must be a torch.Tensor, got list"):
        norm.batch_norm([[1.0, 2.0]], None, None, training=True)
    with pytest.raises(TypeError, match="x must be a floating-point tensor, got dtype "
                                        "torch.int64"):
        norm.batch_norm(torch.ones(4, 2, dtype=torch.int64), None, None, training=True)
    with pytest.raises(TypeError, match="training=1 is not allowed; training must be True or "
                                        "False"):
        norm.batch_norm(_x(4, 2), None, None, training=1)


def test_batch_norm_backward_bad_input():
    with pytest.raises(ValueError, match=re.escape("grad_output has shape (4, 3); it must have "
                                                   "the shape of x, (4, 2)")):
        norm.batch_norm_backward(_x(4, 3), _x(4, 2), None)
    with pytest.raises(ValueError, match=re.escape("x has shape (1, 2): one value per channel")):
        norm.batch_norm_backward(_x(1, 2), _x(1, 2), None)


def test_group_norm_groups_must_divide_channels():
    message = re.escape("num_groups=4 does not divide the 6 channels of x (shape (2, 6, 3)); "
                        "num_groups must be a divisor of 6")
    with pytest.raises(ValueError, match=message):
        norm.group_norm(_x(2, 6, 3), 4)
    with pytest.raises(RuntimeError):
        F.group_norm(_x(2, 6, 3), 4)  # PyTorch refuses it too
    with pytest.raises(ValueError, match="num_groups=0 is not allowed; num_groups must be a "
                                         "positive integer"):
        norm.group_norm(_x(2, 6, 3), 0)
    with pytest.raises(ValueError, match=re.escape("weight has shape (3,); it must have shape "
                                                   "(6,)")):
        norm.group_norm(_x(2, 6, 3), 3, torch.ones(3, dtype=torch.float64))


def test_layer_norm_shape_must_be_the_trailing_dimensions():
    message = re.escape("normalized_shape=[4, 3] does not match x of shape (2, 3, 4): it must "
                        "equal x's last 2 dimensions")
    with pytest.raises(ValueError, match=message):
        norm.layer_norm(_x(2, 3, 4), (4, 3))
    with pytest.raises(RuntimeError):
        F.layer_norm(_x(2, 3, 4), (4, 3))  # PyTorch refuses it too
    with pytest.raises(ValueError, match=re.escape("normalized_shape=[2, 3, 4, 5] does not "
                                                   "match")):
        norm.layer_norm(_x(2, 3, 4), (2, 3, 4, 5))
    with pytest.raises(ValueError, match=re.escape("weight has shape (4,); it must have shape "
                                                   "(3, 4)")):
        norm.layer_norm(_x(2, 3, 4), (3, 4), torch.ones(4, dtype=torch.float64))
    with pytest.raises(ValueError, match="normalized_shape=0 is not allowed"):
        norm.layer_norm(_x(2, 3, 4), 0)
    with pytest.raises(ValueError, match=re.escape("normalized_shape=() is not allowed")):
        norm.layer_norm(_x(2, 3, 4), ())


def test_fold_batch_norm_bad_input():
    conv = nn.Conv2d(3, 4, 3)
    with pytest.raises(ValueError, match="bn.num_features=5 does not match "
                                         "conv.out_channels=4; bn must follow conv directly"):
        norm.fold_batch_norm(conv, nn.BatchNorm2d(5))
    with pytest.raises(ValueError, match=r"bn has no running statistics "
                                         r"\(track_running_stats=False\)"):
        norm.fold_batch_norm(conv, nn.BatchNorm2d(4, track_running_stats=False))
    with pytest.raises(TypeError, match="conv must be an nn.Conv2d, got Conv1d"):
        norm.fold_batch_norm(nn.Conv1d(3, 4, 3), nn.BatchNorm2d(4))
    with pytest.raises(TypeError, match="bn must be an nn.BatchNorm2d, got BatchNorm1d"):
        norm.fold_batch_norm(conv, nn.BatchNorm1d(4))
    with pytest.raises(TypeError, match="bn must be a torch.nn.Module, got str"):
        norm.fold_batch_norm(conv, "bn")
