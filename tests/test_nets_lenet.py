"""Tests for the section "From dense networks to CNNs" of utils/nets.py."""

import pytest
import torch
from torch import nn

from utils.nets import dense_classifier, lenet5, small_cnn
from utils.summary import summary


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


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
                                                 ("tanh", nn.Tanh)])
@pytest.mark.parametrize("pool,pool_type", [("max", nn.MaxPool2d), ("avg", nn.AvgPool2d)])
def test_lenet5_variants(activation, act_type, pool, pool_type):
    net = lenet5(activation, pool)
    assert n_params(net) == 61_706
    assert isinstance(net.act1, act_type) and isinstance(net.act6, act_type)
    assert isinstance(net.s2, pool_type) and isinstance(net.s4, pool_type)
    assert net(torch.rand(3, 1, 28, 28)).shape == (3, 10)


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
