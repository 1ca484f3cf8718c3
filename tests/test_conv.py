"""utils.conv against PyTorch: size formulas on thousands of random configurations (including
the configurations PyTorch refuses), implementations and gradients in float64 to 1e-10."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from utils import conv

# deadline and health checks come from the profile in tests/conftest.py
FAST = settings(max_examples=1000)
SOME = settings(max_examples=60)
TOL = dict(atol=1e-10, rtol=1e-10)

sizes = st.integers(1, 24)
kernels = st.integers(1, 6)
strides = st.integers(1, 4)
paddings = st.integers(0, 4)
dilations = st.integers(1, 3)


def pairs(s):
    return st.tuples(s, s)


def torch_shape(make):
    """The (h, w) output shape PyTorch produces, or None when PyTorch refuses the configuration."""
    try:
        with torch.no_grad():
            return tuple(make().shape[2:])
    except RuntimeError:
        return None


def ours(fn, *args, **kwargs):
    """Our output size, or None when we refuse (always with a ValueError)."""
    try:
        return fn(*args, **kwargs)
    except ValueError:
        return None


# ------------------------------------------------------------------ size formulas vs PyTorch

# The modules call these functional ops; calling them directly on a (1, 1, H, W) input is ~20x
# cheaper than building a module per example. `test_modules_agree_on_a_table` uses the modules.
ONE = torch.zeros(1, 1, 1, 1)


@FAST
@given(pairs(sizes), pairs(kernels), pairs(strides), pairs(paddings), pairs(dilations))
def test_conv_output_size_matches_conv2d(n, k, s, p, d):
    x, w = torch.zeros(1, 1, *n), ONE.expand(1, 1, *k)
    expected = torch_shape(lambda: F.conv2d(x, w, stride=s, padding=p, dilation=d))
    assert ours(conv.conv_output_size, n, k, s, p, d) == expected
    if expected is not None:  # the int form agrees with each dimension
        assert conv.conv_output_size(n[0], k[0], s[0], p[0], d[0]) == expected[0]


@FAST
@given(pairs(sizes), pairs(kernels), pairs(strides), pairs(paddings), pairs(st.integers(0, 3)),
       pairs(dilations))
def test_conv_transpose_output_size_matches_conv_transpose2d(n, k, s, p, op, d):
    x, w = torch.zeros(1, 1, *n), ONE.expand(1, 1, *k)
    expected = torch_shape(lambda: F.conv_transpose2d(x, w, stride=s, padding=p,
                                                      output_padding=op, dilation=d))
    if expected is not None and min(expected) == 0:
        expected = None  # PyTorch returns an empty map here; we refuse a zero output size
    assert ours(conv.conv_transpose_output_size, n, k, s, p, op, d) == expected


@FAST
@given(pairs(sizes), pairs(kernels), pairs(strides) | st.none(), pairs(paddings),
       pairs(dilations), st.booleans())
def test_pool_output_size_matches_max_pool2d(n, k, s, p, d, ceil_mode):
    x = torch.zeros(1, 1, *n)
    expected = torch_shape(lambda: F.max_pool2d(x, k, stride=s, padding=p, dilation=d,
                                                ceil_mode=ceil_mode))
    assert ours(conv.pool_output_size, n, k, s, p, d, ceil_mode) == expected


@FAST
@given(pairs(sizes), pairs(kernels), pairs(strides) | st.none(), pairs(paddings), st.booleans())
def test_pool_output_size_matches_avg_pool2d(n, k, s, p, ceil_mode):
    x = torch.zeros(1, 1, *n)
    expected = torch_shape(lambda: F.avg_pool2d(x, k, stride=s, padding=p, ceil_mode=ceil_mode))
    assert ours(conv.pool_output_size, n, k, s, p, 1, ceil_mode) == expected


@pytest.mark.parametrize("n, k, s, p, d", [
    (5, 3, 1, 0, 1), (5, 3, 1, 1, 1), (7, 3, 2, 1, 1), (8, 3, 2, 1, 1), (10, 3, 1, 0, 2),
    (26, 2, 2, 0, 1), (32, 5, 3, 2, 1), ((9, 12), (3, 2), (2, 3), (1, 0), (1, 2)),
])
def test_modules_agree_on_a_table(n, k, s, p, d):
    x = torch.zeros(1, 1, *(n if isinstance(n, tuple) else (n, n)))
    with torch.no_grad():
        y = nn.Conv2d(1, 1, k, s, p, d)(x)
        assert tuple(y.shape[2:]) == conv.conv_output_size(tuple(x.shape[2:]), k, s, p, d)
        t = nn.ConvTranspose2d(1, 1, k, s, p, dilation=d)(y)
        assert tuple(t.shape[2:]) == conv.conv_transpose_output_size(tuple(y.shape[2:]), k, s,
                                                                     p, 0, d)
        pk = 2 * p + 1 if isinstance(p, int) else tuple(2 * q + 1 for q in p)
        for layer in (nn.MaxPool2d(pk, s, p, d), nn.AvgPool2d(pk, s, p)):
            dil = d if isinstance(layer, nn.MaxPool2d) else 1
            assert tuple(layer(x).shape[2:]) == conv.pool_output_size(tuple(x.shape[2:]), pk,
                                                                      s, p, dil)


@SOME
@given(st.integers(1, 30), kernels, strides, dilations)
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
def test_same_padding_matches_tensorflow_rule(n, k, s, d):
    before, after = conv.same_padding(n, k, s, d)
    assert 0 <= after - before <= 1  # the extra pixel goes at the end
    x = torch.arange(float(n)).reshape(1, 1, 1, n)
    padded = torch.cat([torch.zeros(1, 1, 1, before), x, torch.zeros(1, 1, 1, after)], dim=3)
    y = F.conv2d(padded, torch.ones(1, 1, 1, k), stride=s, dilation=(1, d))
    assert y.shape[-1] == -(-n // s)  # 'SAME' means ceil(n / s) outputs
    if s == 1:  # PyTorch's padding='same' (stride 1 only) pads the same way
        same = F.conv2d(x, torch.ones(1, 1, 1, k), padding="same", dilation=(1, d))
        assert torch.equal(same, y)


def test_same_padding_worked_examples():
    assert conv.same_padding(5, 3) == (1, 1)
    assert conv.same_padding(5, 4) == (1, 2)  # even kernel: extra pixel after
    assert conv.same_padding(6, 3, stride=2) == (0, 1)  # TF 'SAME' is not symmetric here
    assert conv.same_padding(7, 1, stride=3) == (0, 0)


@SOME
@given(st.lists(st.tuples(st.integers(1, 4), st.integers(1, 3), st.integers(1, 2)),
                min_size=1, max_size=4))
def test_receptive_field_matches_autograd(layers):
    r, j = conv.receptive_field(layers)
    width = r + 2 * j  # room for three neighbouring output units
    x = torch.zeros(1, 1, 1, width, dtype=torch.float64, requires_grad=True)
    y = x
    for k, s, d in layers:  # all-ones kernels: nothing cancels, every reached pixel counts
        y = F.conv2d(y, torch.ones(1, 1, 1, k, dtype=torch.float64), stride=(1, s),
                     dilation=(1, d))
    assert y.shape[-1] >= 2

    def reached(col):
        (g,) = torch.autograd.grad(y[0, 0, 0, col], x, retain_graph=True)
        return g[0, 0, 0].nonzero().flatten()

    first, second = reached(0), reached(1)
    assert first.max() - first.min() + 1 == r
    assert second.min() - first.min() == j


def test_receptive_field_worked_examples():
    assert conv.receptive_field([(3, 1)] * 3) == (7, 1)
    assert conv.receptive_field([(5, 1)]) == (5, 1)
    assert conv.receptive_field([(3, 1), (2, 2), (3, 1)]) == (8, 2)
    assert conv.receptive_field([(3, 1, 2)]) == (5, 1)
    assert conv.receptive_field([]) == (1, 1)


@SOME
@given(st.integers(1, 5), st.integers(1, 5), pairs(kernels), st.booleans())
def test_conv2d_params_matches_nn_conv2d(c_in, c_out, k, bias):
    layer = nn.Conv2d(c_in, c_out, k, bias=bias, device="meta")
    assert conv.conv2d_params(c_in, c_out, k, bias) == sum(p.numel() for p in layer.parameters())


@settings(max_examples=30)
@given(st.integers(1, 4), st.integers(1, 4), pairs(st.integers(1, 3)), pairs(sizes),
       pairs(st.integers(0, 1)), pairs(st.integers(1, 2)))
def test_conv2d_macs_is_half_the_flops_pytorch_counts(c_in, c_out, k, n, p, s):
    out = ours(conv.conv_output_size, n, k, s, p)
    assume(out is not None)  # a window larger than the padded input: nothing to count
    x, w = torch.zeros(1, c_in, *n), torch.zeros(c_out, c_in, *k)
    with FlopCounterMode(display=False) as counter:
        F.conv2d(x, w, stride=s, padding=p)
    assert counter.get_total_flops() == 2 * conv.conv2d_macs(c_in, c_out, k, out)


def test_worked_counts_from_the_chapter():
    assert conv.conv2d_params(3, 64, 3) == 1_792
    assert conv.conv2d_macs(3, 64, 3, 224) == 86_704_128
    assert conv.conv2d_params(3, 100, 3) == 2_800
    assert conv.conv2d_params(1, 6, 10) == 606
    assert conv.pool_output_size(26, 2, 2) == 13


# ------------------------------------------------------------------ implementations vs PyTorch

configs = st.fixed_dictionaries({
    "n": st.integers(1, 2), "c_in": st.integers(1, 3), "c_out": st.integers(1, 3),
    "size": pairs(st.integers(3, 9)), "k": pairs(st.integers(1, 4)), "s": pairs(strides),
    "p": pairs(st.integers(0, 2)), "d": pairs(st.integers(1, 2)), "bias": st.booleans(),
})


def make(cfg, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(cfg["n"], cfg["c_in"], *cfg["size"], dtype=torch.float64, generator=g)
    w = torch.randn(cfg["c_out"], cfg["c_in"], *cfg["k"], dtype=torch.float64, generator=g)
    b = torch.randn(cfg["c_out"], dtype=torch.float64, generator=g) if cfg["bias"] else None
    return x, w, b


def fits(cfg):
    return ours(conv.conv_output_size, cfg["size"], cfg["k"], cfg["s"], cfg["p"],
                cfg["d"]) is not None


@SOME
@given(configs, st.integers(0, 2**16))
def test_im2col_matches_unfold_exactly(cfg, seed):
    assume(fits(cfg))
    x, _, _ = make(cfg, seed)
    kw = dict(stride=cfg["s"], padding=cfg["p"], dilation=cfg["d"])
    assert torch.equal(conv.im2col(x, cfg["k"], **kw), F.unfold(x, cfg["k"], **kw))


@SOME
@given(configs, st.integers(0, 2**16))
def test_conv2d_forward_and_backward_match_pytorch(cfg, seed):
    assume(fits(cfg))
    x, w, b = make(cfg, seed)
    kw = dict(stride=cfg["s"], padding=cfg["p"], dilation=cfg["d"])
    x.requires_grad_(True)
    w.requires_grad_(True)
    bias = torch.zeros(cfg["c_out"], dtype=torch.float64) if b is None else b
    bias.requires_grad_(True)
    expected = F.conv2d(x, w, b, **kw)
    torch.testing.assert_close(conv.conv2d_im2col(x, w, b, **kw), expected, **TOL)
    torch.testing.assert_close(conv.conv2d_naive(x, w, b, **kw), expected, **TOL)
    grad = torch.randn_like(expected)
    wanted = torch.autograd.grad(F.conv2d(x, w, bias, **kw), (x, w, bias), grad)
    got = conv.conv2d_backward(grad, x.detach(), w.detach(), **kw)
    for name, a, e in zip(("grad_x", "grad_weight", "grad_bias"), got, wanted):
        assert a.shape == e.shape, name
        torch.testing.assert_close(a, e, **TOL, msg=name)


pool_configs = st.fixed_dictionaries({
    "size": pairs(st.integers(2, 9)), "k": pairs(st.integers(1, 4)),
    "s": pairs(strides) | st.none(), "p": pairs(st.integers(0, 2)),
})


@SOME
@given(pool_configs, st.integers(0, 2**16))
def test_pooling_forward_and_backward_match_pytorch(cfg, seed):
    assume(ours(conv.pool_output_size, cfg["size"], cfg["k"], cfg["s"], cfg["p"]) is not None)
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(2, 3, *cfg["size"], dtype=torch.float64, generator=g, requires_grad=True)
    kw = dict(kernel_size=cfg["k"], stride=cfg["s"], padding=cfg["p"])
    for ours_fwd, ours_bwd, theirs in ((conv.max_pool2d, conv.max_pool2d_backward, F.max_pool2d),
                                       (conv.avg_pool2d, conv.avg_pool2d_backward, F.avg_pool2d)):
        expected = theirs(x, **kw)
        torch.testing.assert_close(ours_fwd(x.detach(), **kw), expected, **TOL)
        grad = torch.randn(expected.shape, dtype=torch.float64, generator=g)
        (wanted,) = torch.autograd.grad(expected, x, grad)
        torch.testing.assert_close(ours_bwd(grad, x.detach(), **kw), wanted, **TOL)


def test_max_pool_backward_ties_go_to_the_first_maximum_like_pytorch():
    x = torch.ones(1, 1, 4, 4, dtype=torch.float64, requires_grad=True)
    y = F.max_pool2d(x, 3, stride=1, padding=1)
    grad = torch.arange(1.0, 17.0, dtype=torch.float64).reshape(y.shape)
    (wanted,) = torch.autograd.grad(y, x, grad)
    torch.testing.assert_close(conv.max_pool2d_backward(grad, x.detach(), 3, 1, 1), wanted, **TOL)


def test_avg_pool_counts_zero_padding():
    x = torch.ones(1, 1, 2, 2, dtype=torch.float64)
    # each 3x3 window around a corner holds 4 ones and 5 padding zeros
    torch.testing.assert_close(conv.avg_pool2d(x, 3, stride=1, padding=1),
                               torch.full((1, 1, 2, 2), 4 / 9, dtype=torch.float64))


# ------------------------------------------------------------------ bad input

@pytest.mark.parametrize("call, error, match", [
    (lambda: conv.conv_output_size(5.0, 3), TypeError, r"n=5\.0 .* must be an integer"),
    (lambda: conv.conv_output_size(5, "3"), TypeError, r"kernel_size='3'"),
    (lambda: conv.conv_output_size(5, 3, padding=-1), ValueError, r"padding=-1 .* non-negative"),
    (lambda: conv.conv_output_size(5, 3, stride=0), ValueError, r"stride=0 .* positive"),
    (lambda: conv.conv_output_size(5, 3, dilation=0), ValueError, r"dilation=0"),
    (lambda: conv.conv_output_size(0, 3), ValueError, r"n=0 .* positive"),
    (lambda: conv.conv_output_size(8, 7, padding=2, dilation=2), ValueError,
     r"kernel_size=7 with dilation=2 spans 13 pixels, more than the padded input "
     r"\(8 \+ 2\*2 = 12\)"),
    (lambda: conv.conv_output_size((5, 5, 5), 3), ValueError, r"n=\(5, 5, 5\) .* \(h, w\) pair"),
    (lambda: conv.conv_transpose_output_size(4, 3, stride=2, output_padding=2), ValueError,
     r"output_padding=2 .* smaller than stride \(2\) or dilation \(1\)"),
    (lambda: conv.conv_transpose_output_size(1, 1, padding=1), ValueError,
     r"padding=1 .* output size would be -1"),
    (lambda: conv.pool_output_size(6, 3, padding=2), ValueError,
     r"padding=2 .* at most half the kernel_size \(3 // 2 = 1\)"),
    (lambda: conv.pool_output_size(2, 3, stride=1, padding=1, dilation=2), ValueError,
     r"output size would be 0, and it must be at least 1"),
    (lambda: conv.pool_output_size(6, 2, ceil_mode=1), TypeError, r"ceil_mode=1"),
    (lambda: conv.same_padding(5, 0), ValueError, r"kernel_size=0"),
    (lambda: conv.receptive_field([(3, 1), (3,)]), ValueError, r"layers\[1\]=\(3,\)"),
    (lambda: conv.receptive_field([(3, 0)]), ValueError, r"layers\[0\] stride=0"),
    (lambda: conv.receptive_field(7), TypeError, r"layers=7"),
    (lambda: conv.conv2d_params(3, 0, 3), ValueError, r"out_channels=0"),
    (lambda: conv.conv2d_params(3, 4, 3, bias=1), TypeError, r"bias=1"),
    (lambda: conv.conv2d_macs(3, 4, 3, output_size=2.5), TypeError, r"output_size=2\.5"),
    (lambda: conv.im2col(torch.zeros(1, 1, 4, 4), 3, padding=-1), ValueError, r"padding=-1"),
    (lambda: conv.im2col(torch.zeros(1, 4, 4), 3), ValueError, r"x must have 4 dimensions"),
    (lambda: conv.im2col(torch.zeros(1, 1, 4, 4, dtype=torch.long), 3), TypeError,
     r"x must be a floating-point tensor"),
    (lambda: conv.conv2d_im2col(torch.zeros(1, 3, 4, 4), torch.zeros(2, 4, 3, 3)), ValueError,
     r"weight has in_channels=4 .* x has 3 channels"),
    (lambda: conv.conv2d_naive(torch.zeros(1, 3, 4, 4), torch.zeros(2, 3, 3, 3),
                               torch.zeros(3)), ValueError, r"bias has shape \(3,\)"),
    (lambda: conv.conv2d_im2col(torch.zeros(1, 1, 2, 2), torch.zeros(1, 1, 3, 3)), ValueError,
     r"kernel_size=3 with dilation=1 spans 3 pixels"),
    (lambda: conv.conv2d_backward(torch.zeros(1, 1, 3, 3), torch.zeros(1, 1, 4, 4),
                                  torch.zeros(1, 1, 3, 3)), ValueError,
     r"grad_output has shape \(1, 1, 3, 3\); it must be the output shape \(1, 1, 2, 2\)"),
    (lambda: conv.max_pool2d(torch.zeros(1, 1, 4, 4), 2, stride=0), ValueError, r"stride=0"),
    (lambda: conv.avg_pool2d(torch.zeros(1, 1, 4, 4), 2, padding=2), ValueError, r"padding=2"),
    (lambda: conv.max_pool2d_backward(torch.zeros(1, 1, 3, 3), torch.zeros(1, 1, 4, 4), 2),
     ValueError, r"grad_output has shape"),
    (lambda: conv.avg_pool2d_backward([[1.0]], torch.zeros(1, 1, 4, 4), 2), TypeError,
     r"grad_output must be a torch.Tensor"),
])
def test_bad_input_names_the_argument_and_what_is_allowed(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ------------------------------------------------------------------ groups

group_configs = st.fixed_dictionaries({
    "n": st.integers(1, 2), "groups": st.integers(1, 4), "per_in": st.integers(1, 3),
    "per_out": st.integers(1, 3), "size": pairs(st.integers(3, 8)), "k": pairs(st.integers(1, 3)),
    "s": pairs(st.integers(1, 3)), "p": pairs(st.integers(0, 2)), "d": pairs(st.integers(1, 2)),
    "bias": st.booleans(),
})


@SOME
@given(group_configs, st.integers(0, 2**16))
def test_grouped_conv2d_forward_and_gradients_match_pytorch(cfg, seed):
    g = cfg["groups"]
    c_in, c_out = g * cfg["per_in"], g * cfg["per_out"]
    assume(ours(conv.conv_output_size, cfg["size"], cfg["k"], cfg["s"], cfg["p"],
                cfg["d"]) is not None)
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(cfg["n"], c_in, *cfg["size"], dtype=torch.float64, generator=gen)
    w = torch.randn(c_out, cfg["per_in"], *cfg["k"], dtype=torch.float64, generator=gen)
    b = torch.randn(c_out, dtype=torch.float64, generator=gen) if cfg["bias"] else None
    leaves = [t.requires_grad_(True) for t in (x, w, b) if t is not None]
    kw = dict(stride=cfg["s"], padding=cfg["p"], dilation=cfg["d"], groups=g)
    expected = F.conv2d(x, w, b, **kw)
    grad = torch.randn(expected.shape, dtype=torch.float64, generator=gen)
    wanted = torch.autograd.grad(expected, leaves, grad)
    for fn in (conv.conv2d_im2col, conv.conv2d_naive):
        y = fn(x, w, b, **kw)
        torch.testing.assert_close(y, expected, **TOL)
        for a, e in zip(torch.autograd.grad(y, leaves, grad), wanted):
            torch.testing.assert_close(a, e, **TOL)


@SOME
@given(st.integers(1, 4), st.integers(1, 3), st.integers(1, 3), pairs(st.integers(1, 4)),
       st.booleans(), pairs(sizes))
def test_grouped_params_and_macs_match_nn_conv2d_and_flop_counter(g, per_in, per_out, k, bias,
                                                                   n):
    c_in, c_out = g * per_in, g * per_out
    out = ours(conv.conv_output_size, n, k)
    assume(out is not None)
    layer = nn.Conv2d(c_in, c_out, k, bias=bias, groups=g, device="meta")
    assert conv.conv2d_params(c_in, c_out, k, bias, groups=g) == sum(
        p.numel() for p in layer.parameters())
    x, w = torch.zeros(1, c_in, *n), torch.zeros(c_out, per_in, *k)
    with FlopCounterMode(display=False) as counter:
        F.conv2d(x, w, groups=g)
    assert counter.get_total_flops() == 2 * conv.conv2d_macs(c_in, c_out, k, out, groups=g)


@pytest.mark.parametrize("c_in, c_out, k", [(32, 64, 3), (64, 128, 3), (128, 128, 5),
                                            (16, 24, 7)])
def test_depthwise_separable_macs_ratio_is_mobilenets(c_in, c_out, k):
    """MobileNet: depthwise + pointwise over standard = 1/C_out + 1/k^2 (per output pixel)."""
    size = 14
    layers = (nn.Conv2d(c_in, c_in, k, padding=k // 2, groups=c_in, bias=False),
              nn.Conv2d(c_in, c_out, 1, bias=False),
              nn.Conv2d(c_in, c_out, k, padding=k // 2, bias=False))
    x = torch.zeros(1, c_in, size, size, device="meta")
    flops = []
    for layer in layers:
        with FlopCounterMode(display=False) as counter:
            layer.to("meta")(x)
        flops.append(counter.get_total_flops())
    ours_macs = [conv.conv2d_macs(c_in, c_in, k, size, groups=c_in),
                 conv.conv2d_macs(c_in, c_out, 1, size), conv.conv2d_macs(c_in, c_out, k, size)]
    assert [2 * m for m in ours_macs] == flops
    ratio = (ours_macs[0] + ours_macs[1]) / ours_macs[2]
    assert ratio == pytest.approx(1 / c_out + 1 / k**2, rel=1e-12)


# ------------------------------------------------------------------ col2im and transposed

@SOME
@given(configs, st.integers(0, 2**16))
def test_col2im_matches_fold_and_is_the_adjoint_of_im2col(cfg, seed):
    assume(fits(cfg))
    x, _, _ = make(cfg, seed)
    kw = dict(kernel_size=cfg["k"], stride=cfg["s"], padding=cfg["p"], dilation=cfg["d"])
    cols = torch.randn_like(F.unfold(x, **kw))
    folded = conv.col2im(cols, cfg["size"], **kw)
    torch.testing.assert_close(folded, F.fold(cols, cfg["size"], **kw), **TOL)
    # <im2col(x), cols> = <x, col2im(cols)>: the adjoint
    torch.testing.assert_close((conv.im2col(x, **kw) * cols).sum(), (x * folded).sum(), **TOL)


transposed_configs = st.fixed_dictionaries({
    "n": st.integers(1, 2), "c_in": st.integers(1, 3), "c_out": st.integers(1, 3),
    "size": pairs(st.integers(1, 6)), "k": pairs(st.integers(1, 4)), "s": pairs(strides),
    "p": pairs(st.integers(0, 3)), "op": pairs(st.integers(0, 3)), "d": pairs(st.integers(1, 3)),
    "bias": st.booleans(),
})


@settings(max_examples=150)
@given(transposed_configs, st.integers(0, 2**16))
def test_conv_transpose2d_forward_and_gradients_match_pytorch(cfg, seed):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(cfg["n"], cfg["c_in"], *cfg["size"], dtype=torch.float64, generator=gen)
    w = torch.randn(cfg["c_in"], cfg["c_out"], *cfg["k"], dtype=torch.float64, generator=gen)
    b = torch.randn(cfg["c_out"], dtype=torch.float64, generator=gen) if cfg["bias"] else None
    kw = dict(stride=cfg["s"], padding=cfg["p"], output_padding=cfg["op"], dilation=cfg["d"])
    try:
        expected = F.conv_transpose2d(x, w, b, **kw)
    except RuntimeError:
        expected = None  # PyTorch refuses: so must we, with a ValueError that says why
    if expected is not None and min(expected.shape[2:]) == 0:
        expected = None  # PyTorch returns an empty map; we refuse a zero output size
    if expected is None:
        with pytest.raises(ValueError, match=r"output_padding=\d+ is not allowed|padding=\d+ is "
                                             r"not allowed here"):
            conv.conv_transpose2d(x, w, b, **kw)
        return
    leaves = [t.requires_grad_(True) for t in (x, w, b) if t is not None]
    expected = F.conv_transpose2d(x, w, b, **kw)
    y = conv.conv_transpose2d(x, w, b, **kw)
    torch.testing.assert_close(y, expected, **TOL)
    grad = torch.randn(expected.shape, dtype=torch.float64, generator=gen)
    for a, e in zip(torch.autograd.grad(y, leaves, grad),
                    torch.autograd.grad(expected, leaves, grad)):
        torch.testing.assert_close(a, e, **TOL)


@SOME
@given(configs, st.integers(0, 2**16))
def test_conv_transpose2d_is_the_input_gradient_of_conv2d(cfg, seed):
    assume(fits(cfg))
    x, w, _ = make(cfg, seed)
    kw = dict(stride=cfg["s"], padding=cfg["p"], dilation=cfg["d"])
    y = F.conv2d(x.requires_grad_(True), w, **kw)
    grad = torch.randn_like(y)
    (wanted,) = torch.autograd.grad(y, x, grad)
    # the floor of the size formula drops r = (H + 2p - d(k-1) - 1) mod s rows (r < s):
    # output_padding = r gives them back, so the transposed convolution has x's size
    r = tuple((n + 2 * p - d * (k - 1) - 1) % s for n, k, s, p, d in zip(
        cfg["size"], cfg["k"], cfg["s"], cfg["p"], cfg["d"]))
    got = conv.conv_transpose2d(grad, w, output_padding=r, **kw)
    torch.testing.assert_close(got, wanted, **TOL)


def test_conv_transpose2d_stamps_the_kernel_at_stride_spacing():
    """One input pixel of value 2 stamps 2 * kernel; two pixels' stamps add where they overlap."""
    k = torch.arange(1.0, 10.0, dtype=torch.float64).reshape(1, 1, 3, 3)
    x = torch.zeros(1, 1, 2, 2, dtype=torch.float64)
    x[0, 0, 0, 0] = 2.0
    y = conv.conv_transpose2d(x, k, stride=2)  # (1, 1, 5, 5)
    torch.testing.assert_close(y[0, 0, :3, :3], 2 * k[0, 0])
    assert y[0, 0, 3:].abs().sum() == 0 and y[0, 0, :, 3:].abs().sum() == 0
    overlap = conv.conv_transpose2d(torch.ones(1, 1, 3, 3, dtype=torch.float64),
                                    torch.ones(1, 1, 3, 3, dtype=torch.float64), stride=2)
    torch.testing.assert_close(overlap, F.conv_transpose2d(
        torch.ones(1, 1, 3, 3, dtype=torch.float64), torch.ones(1, 1, 3, 3, dtype=torch.float64),
        stride=2))
    assert overlap[0, 0, 2, 2] == 4 and overlap[0, 0, 2, 1] == 2 and overlap[0, 0, 1, 1] == 1


# ------------------------------------------------------------------ checkerboard score

def fft_periodic_share(y, period):
    """The same statistic from the Fourier transform: the energy at the frequencies of a
    pattern that repeats every `period` pixels, over the energy at all non-zero frequencies."""
    h, w = y.shape[-2] // period * period, y.shape[-1] // period * period
    energy = torch.fft.fft2(y[..., :h, :w]).abs() ** 2  # (..., h, w)
    periodic = torch.zeros(h, w, dtype=torch.bool)
    periodic[::h // period, ::w // period] = True  # frequencies u = a h / period, v = b w / period
    periodic[0, 0] = False  # the mean is not a pattern
    everything = torch.ones(h, w, dtype=torch.bool)
    everything[0, 0] = False
    return energy[..., periodic].sum(-1) / energy[..., everything].sum(-1)


@SOME
@given(st.integers(1, 3), st.integers(2, 12), st.integers(2, 12), st.integers(2, 3),
       st.floats(0.0, 3.0), st.integers(0, 2**16))
def test_checkerboard_score_is_the_periodic_share_of_the_fourier_energy(c, h, w, period,
                                                                      strength, seed):
    assume(h >= period and w >= period)
    gen = torch.Generator().manual_seed(seed)
    pattern = torch.randn(period, period, dtype=torch.float64, generator=gen)
    y = torch.randn(c, h, w, dtype=torch.float64, generator=gen)
    y = y + strength * pattern.repeat(h // period + 1, w // period + 1)[:h, :w]
    torch.testing.assert_close(conv.checkerboard_score(y, period), fft_periodic_share(y, period),
                               **TOL)


def test_checkerboard_score_of_pytorchs_transposed_convolutions():
    """A constant image through F.conv_transpose2d with an all-ones kernel: k=3, s=2 overlaps
    unevenly (a pure period-2 pattern, score 1), k=4, s=2 evenly (score 0)."""
    ones = torch.ones(1, 1, 8, 8, dtype=torch.float64)
    k3 = F.conv_transpose2d(ones, torch.ones(1, 1, 3, 3, dtype=torch.float64), stride=2,
                            padding=1, output_padding=1)[0, 0, 2:-2, 2:-2]  # (12, 12)
    k4 = F.conv_transpose2d(ones, torch.ones(1, 1, 4, 4, dtype=torch.float64), stride=2,
                            padding=1)[0, 0, 2:-2, 2:-2]
    torch.testing.assert_close(conv.checkerboard_score(k3), torch.tensor(1.0,
                                                                         dtype=torch.float64))
    assert conv.checkerboard_score(k4) == 0


def test_checkerboard_score_worked_examples():
    pattern = torch.tensor([[4.0, 2.0], [2.0, 1.0]], dtype=torch.float64)  # k=3, s=2 overlaps
    assert conv.checkerboard_score(pattern.repeat(5, 6)) == 1  # a pure period-2 pattern
    assert conv.checkerboard_score(torch.full((6, 6), 3.0)) == 0  # constant: nothing to explain
    smooth = torch.linspace(0, 1, 20, dtype=torch.float64).repeat(20, 1)
    nearest = smooth.repeat_interleave(2, 0).repeat_interleave(2, 1)  # no pattern of period 2
    assert conv.checkerboard_score(nearest) == 0
    assert conv.checkerboard_score(torch.zeros(2, 3, 4, 4)).shape == (2, 3)


# ------------------------------------------------------------------ bad input: the new arguments

@pytest.mark.parametrize("call, error, match", [
    (lambda: conv.conv2d_params(6, 8, 3, groups=4), ValueError,
     r"groups=4 is not allowed: in_channels=6 is not divisible by 4; groups must divide both "
     r"in_channels \(6\) and out_channels \(8\): one of 1, 2"),
    (lambda: conv.conv2d_macs(6, 9, 3, 5, groups=2), ValueError,
     r"groups=2 is not allowed: out_channels=9 is not divisible by 2; .* one of 1, 3"),
    (lambda: conv.conv2d_params(4, 4, 3, groups=0), ValueError, r"groups=0 .* positive"),
    (lambda: conv.conv2d_params(4, 4, 3, groups=2.0), TypeError, r"groups=2\.0 .* integer"),
    (lambda: conv.conv2d_im2col(torch.zeros(1, 6, 5, 5), torch.zeros(4, 3, 3, 3), groups=4),
     ValueError, r"groups=4 is not allowed: in_channels=6 is not divisible by 4"),
    (lambda: conv.conv2d_naive(torch.zeros(1, 6, 5, 5), torch.zeros(3, 3, 3, 3), groups=2),
     ValueError, r"groups=2 is not allowed: out_channels=3 is not divisible by 2"),
    (lambda: conv.conv2d_im2col(torch.zeros(1, 6, 5, 5), torch.zeros(4, 2, 3, 3), groups=2),
     ValueError, r"weight has 2 input channels per group .* in groups=2 give 3 per group; "
                 r"weight must be \(out_channels, 3, kh, kw\)"),
    (lambda: conv.conv_transpose2d(torch.zeros(1, 1, 4, 4), torch.zeros(1, 1, 3, 3), stride=2,
                                   output_padding=2), ValueError,
     r"output_padding=2 is not allowed; output_padding must be smaller than stride \(2\) or "
     r"dilation \(1\)"),
    (lambda: conv.conv_transpose2d(torch.zeros(1, 3, 4, 4), torch.zeros(2, 3, 3, 3)), ValueError,
     r"weight has in_channels=2 .* x has 3 channels .* \(in_channels, out_channels, kh, kw\) = "
     r"\(3, out_channels, kh, kw\)"),
    (lambda: conv.conv_transpose2d(torch.zeros(1, 1, 1, 1), torch.zeros(1, 1, 1, 1), padding=1),
     ValueError, r"padding=1 is not allowed here: the output size would be -1"),
    (lambda: conv.conv_transpose2d(torch.zeros(1, 1, 2, 2), torch.zeros(1, 2, 3, 3),
                                   torch.zeros(3)), ValueError, r"bias has shape \(3,\)"),
    (lambda: conv.conv_transpose2d(torch.zeros(1, 1, 2, 2, dtype=torch.long),
                                   torch.zeros(1, 1, 3, 3)), TypeError,
     r"x must be a floating-point tensor"),
    (lambda: conv.col2im(torch.zeros(1, 9, 5), (4, 4), 3), ValueError,
     r"cols has shape \(1, 9, 5\); .* \(N, C\*9, 4\)"),
    (lambda: conv.checkerboard_score(torch.zeros(4, 4), period=1), ValueError,
     r"period=1 is not allowed; period must be an integer >= 2"),
    (lambda: conv.checkerboard_score(torch.zeros(8)), ValueError,
     r"y must have at least 2 dimensions"),
    (lambda: conv.checkerboard_score(torch.zeros(1, 5), period=2), ValueError,
     r"height and width must be at least 2"),
])
def test_bad_new_arguments_name_the_argument_and_what_is_allowed(call, error, match):
    with pytest.raises(error, match=match):
        call()
