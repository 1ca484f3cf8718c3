"""Tests for utils/nets/small.py, the networks of "From dense networks to CNNs"."""

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from utils import count_params as n_params
from utils.nets import dense_classifier, lenet5, small_cnn
from utils.nets.small import ScaledTanh, Subsampling
from utils.summary import summary

seeds = st.integers(0, 2**31 - 1)


def test_experiment_nets_have_nearly_equal_parameter_counts():
    dense, cnn = dense_classifier(), small_cnn()
    # 784*8+8 + 8*8+8 + 8*10+10 and 6*(25+1) + 384*16+16 + 16*10+10
    assert n_params(dense) == 6_442 and n_params(cnn) == 6_486
    assert abs(n_params(cnn) - n_params(dense)) / n_params(dense) < 0.01
    x = torch.rand(5, 1, 28, 28)
    assert dense(x).shape == cnn(x).shape == (5, 10)
    assert sum(isinstance(m, nn.Conv2d) and m.out_channels == 6 for m in cnn.modules()) == 1


@pytest.mark.parametrize("hidden,num_classes", [(1, 2), (8, 10), (32, 3)])
def test_dense_classifier_sizes(hidden, num_classes):
    net = dense_classifier(hidden, num_classes, in_features=3 * 4 * 4)
    assert net(torch.rand(2, 3, 4, 4)).shape == (2, num_classes)
    assert n_params(net) == 48 * hidden + hidden + hidden * hidden + hidden \
        + hidden * num_classes + num_classes


def test_dense_net_does_not_care_about_pixel_order():
    """Permuting the pixels and the first layer's weight columns the same way changes nothing:
    why the dense net is unaffected by the permutation experiment."""
    torch.manual_seed(0)
    net = dense_classifier().double()
    x = torch.rand(16, 1, 28, 28, dtype=torch.float64)
    perm = torch.randperm(784)
    permuted = dense_classifier().double()
    permuted.load_state_dict(net.state_dict())
    with torch.no_grad():
        permuted[1].weight.copy_(net[1].weight[:, perm])  # W' = W P
    x_perm = x.flatten(1)[:, perm].view_as(x)
    torch.testing.assert_close(permuted(x_perm), net(x), rtol=1e-12, atol=1e-12)


def test_small_cnn_feature_maps_shift_with_the_input():
    """Convolution is translation-equivariant: shift the digit, the maps shift the same way."""
    torch.manual_seed(0)
    conv = small_cnn()[0].double()
    x = torch.zeros(1, 1, 28, 28, dtype=torch.float64)
    x[0, 0, 8:16, 6:14] = torch.rand(8, 8, dtype=torch.float64)
    shifted = torch.roll(x, shifts=(3, 5), dims=(2, 3))  # the patch stays inside the image
    torch.testing.assert_close(conv(shifted)[..., 3:, 5:], conv(x)[..., :-3, :-5])


@pytest.mark.parametrize("activation,act_type", [("relu", nn.ReLU), ("sigmoid", nn.Sigmoid),
                                                 ("tanh", nn.Tanh), ("scaled_tanh", ScaledTanh)])
@pytest.mark.parametrize("pool,pool_type,params", [("max", nn.MaxPool2d, 61_706),
                                                   ("avg", nn.AvgPool2d, 61_706),
                                                   ("subsample", Subsampling, 61_750)])
def test_lenet5_variants(activation, act_type, pool, pool_type, params):
    net = lenet5(activation, pool)
    assert n_params(net) == params
    assert isinstance(net.act1, act_type) and isinstance(net.act6, act_type)
    assert isinstance(net.s2, pool_type) and isinstance(net.s4, pool_type)
    # the paper's S layers are followed by the squashing function; plain pools are not
    acts = [name for name, m in net.named_children() if isinstance(m, act_type)]
    assert acts == (["act1", "act2", "act3", "act4", "act5", "act6"] if pool == "subsample"
                    else ["act1", "act3", "act5", "act6"])
    assert net(torch.rand(3, 1, 28, 28)).shape == (3, 10)


def test_lenet5_subsampling_layers_have_the_papers_parameter_counts():
    """S2: 6 maps x (coefficient + bias) = 12, S4: 16 x 2 = 32 (LeCun et al., 1998)."""
    net = lenet5("scaled_tanh", "subsample")
    rows = {r.name: r for r in summary(net, (1, 1, 28, 28), verbose=False).rows}
    assert (rows["s2"].params, rows["s4"].params) == (12, 32)
    assert rows["s2"].output_shape == (1, 6, 14, 14) and rows["s4"].output_shape == (1, 16, 5, 5)
    assert n_params(net) == n_params(lenet5()) + 12 + 32


def test_lenet5_per_layer_shapes_parameters_and_macs():
    s = summary(lenet5(), (1, 1, 28, 28), verbose=False)
    rows = {r.name: r for r in s.rows}
    expected = {  # name: (output shape, parameters, MACs)
        "c1": ((1, 6, 28, 28), 6 * (25 + 1), 6 * 28 * 28 * 25),
        "s2": ((1, 6, 14, 14), 0, 0),
        "c3": ((1, 16, 10, 10), 16 * (6 * 25 + 1), 16 * 10 * 10 * 6 * 25),
        "s4": ((1, 16, 5, 5), 0, 0),
        "c5": ((1, 120), 120 * 401, 120 * 400),
        "f6": ((1, 84), 84 * 121, 84 * 120),
        "output": ((1, 10), 850, 840),
    }
    for name, (shape, params, macs) in expected.items():
        assert (rows[name].output_shape, rows[name].params, rows[name].macs) == \
            (shape, params, macs), name
    assert s.total_params == 61_706 and s.total_macs == 416_520


def test_lenet5_c5_is_a_5x5_convolution_on_a_5x5_input():
    torch.manual_seed(0)
    net = lenet5().double()
    features = torch.rand(4, 16, 5, 5, dtype=torch.float64)  # what S4 outputs
    conv = nn.Conv2d(16, 120, 5).double()
    with torch.no_grad():
        conv.weight.copy_(net.c5.weight.view(120, 16, 5, 5))  # (out, C*H*W) -> (out, C, H, W)
        conv.bias.copy_(net.c5.bias)
    torch.testing.assert_close(conv(features).flatten(1), net.c5(features.flatten(1)))


def test_lenet5_num_classes():
    assert lenet5(num_classes=3)(torch.rand(2, 1, 28, 28)).shape == (2, 3)


@pytest.mark.parametrize("call,error,match", [
    (lambda: lenet5(activation="gelu"), ValueError, "activation='gelu'.*'relu', 'sigmoid'"),
    (lambda: lenet5(pool="min"), ValueError, "pool='min'.*'max', 'avg'"),
    (lambda: lenet5(num_classes=0), ValueError, "num_classes=0"),
    (lambda: dense_classifier(hidden=0), ValueError, "hidden=0"),
    (lambda: dense_classifier(in_features=2.5), TypeError, "in_features=2.5"),
    (lambda: small_cnn(channels=0), ValueError, "channels=0"),
    (lambda: small_cnn(hidden=-1), ValueError, "hidden=-1"),
])
def test_argument_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_lenet5_bad_arguments_name_the_argument_and_the_choices():
    with pytest.raises(ValueError, match="activation='gelu' is not allowed; choose one of "
                       "'relu', 'sigmoid', 'tanh', 'scaled_tanh'"):
        lenet5("gelu")
    with pytest.raises(ValueError, match="pool='sum' is not allowed; choose one of 'max', "
                       "'avg', 'subsample'"):
        lenet5(pool="sum")
    with pytest.raises(ValueError, match="num_classes=0"):
        lenet5(num_classes=0)


# --- the paper's pieces: ScaledTanh and Subsampling -------------------------------------------

@given(seed=seeds, shape=st.lists(st.integers(1, 5), min_size=0, max_size=3).map(tuple),
       scale=st.sampled_from([1e-3, 1.0, 10.0]))
def test_scaled_tanh_is_1_7159_tanh_of_two_thirds(seed, shape, scale):
    g = torch.Generator().manual_seed(seed)
    x = (torch.randn(shape, generator=g, dtype=torch.float64) * scale).requires_grad_()
    y = ScaledTanh()(x)
    torch.testing.assert_close(y, 1.7159 * torch.tanh(2 * x / 3), rtol=1e-12, atol=1e-12)
    # f'(a) = A S (1 - tanh(S a)^2), against autograd
    (grad,) = torch.autograd.grad(y.sum(), x)
    expected = 1.7159 * 2 / 3 * (1 - torch.tanh(2 * x.detach() / 3) ** 2)
    torch.testing.assert_close(grad, expected, rtol=1e-10, atol=1e-12)


def test_scaled_tanh_maps_one_to_one_and_has_a_gain_above_one():
    f = ScaledTanh()
    x = torch.tensor([-1.0, 0.0, 1.0], dtype=torch.float64, requires_grad=True)
    y = f(x)
    torch.testing.assert_close(y.detach(), torch.tensor([-1.0, 0.0, 1.0], dtype=torch.float64),
                               atol=1e-4, rtol=0)  # f(1) = 1, f(-1) = -1, odd
    (grad,) = torch.autograd.grad(y[1], x)
    assert math.isclose(grad[1].item(), 1.7159 * 2 / 3, rel_tol=1e-12)  # A S = 1.1439
    assert f(torch.tensor([1e4, -1e4])).tolist() == pytest.approx([1.7159, -1.7159])
    assert torch.autograd.gradcheck(f, (torch.randn(5, dtype=torch.float64, requires_grad=True),))


def _subsampling_reference(x, weight, bias, k):
    """w_c * (k^2 * average of the block) + b_c, with PyTorch's own average pool."""
    c = x.shape[1]
    return F.avg_pool2d(x, k) * (k * k) * weight.view(1, c, 1, 1) + bias.view(1, c, 1, 1)


@given(seed=seeds, n=st.integers(1, 3), c=st.integers(1, 4), h=st.integers(2, 9),
       w=st.integers(2, 9), k=st.integers(1, 3))
def test_subsampling_matches_average_pooling_times_a_coefficient_plus_a_bias(seed, n, c, h, w,
                                                                             k):
    g = torch.Generator().manual_seed(seed)
    h, w = max(h, k), max(w, k)
    layer = Subsampling(c, kernel_size=k).double()
    with torch.no_grad():
        layer.weight.copy_(torch.randn(c, generator=g))
        layer.bias.copy_(torch.randn(c, generator=g))
    x = torch.randn(n, c, h, w, generator=g, dtype=torch.float64, requires_grad=True)
    weight = layer.weight.detach().clone().requires_grad_()
    bias = layer.bias.detach().clone().requires_grad_()
    ours, ref = layer(x), _subsampling_reference(x, weight, bias, k)
    assert ours.shape == (n, c, h // k, w // k)  # what does not fill a block is dropped
    torch.testing.assert_close(ours, ref, rtol=1e-12, atol=1e-12)
    upstream = torch.randn(ours.shape, generator=g, dtype=torch.float64)
    got = torch.autograd.grad(ours, (x, layer.weight, layer.bias), upstream)
    want = torch.autograd.grad(ref, (x, weight, bias), upstream)
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


def test_fresh_subsampling_is_average_pooling_with_two_parameters_per_map():
    layer = Subsampling(6)
    assert n_params(layer) == 12
    x = torch.rand(2, 6, 14, 14)
    torch.testing.assert_close(layer(x), F.avg_pool2d(x, 2))


@pytest.mark.parametrize("make, error, match", [
    (lambda: Subsampling(0), ValueError, "channels=0"),
    (lambda: Subsampling(2.5), TypeError, "channels=2.5"),
    (lambda: Subsampling(3, kernel_size=0), ValueError, "kernel_size=0"),
    (lambda: Subsampling(6)(torch.rand(2, 4, 8, 8)), ValueError,
     r"x has shape \(2, 4, 8, 8\); Subsampling\(6\) needs \(N, 6, H, W\)"),
    (lambda: Subsampling(6)(torch.rand(6, 8, 8)), ValueError,
     r"x has shape \(6, 8, 8\); Subsampling\(6\) needs \(N, 6, H, W\)"),
    (lambda: Subsampling(2, kernel_size=3)(torch.rand(1, 2, 2, 5)), ValueError,
     "its maps must be at least kernel_size=3 on each side"),
    (lambda: Subsampling(2)(torch.ones(1, 2, 4, 4, dtype=torch.long)), TypeError,
     "x must be a floating-point tensor, got dtype torch.int64"),
    (lambda: Subsampling(2)([[1.0]]), TypeError, "x must be a torch.Tensor, got list"),
])
def test_subsampling_refuses_bad_input_with_a_clear_message(make, error, match):
    with pytest.raises(error, match=match):
        make()
