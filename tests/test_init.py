"""utils.init against torch.nn.init (the oracle), in float64.

The same generator state gives the same numbers to the last bit when the scale is right, so
most tests compare exactly; the statistics tests check the scale itself, independent of torch.
"""

import math
import re
import warnings

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from utils import init

SETTINGS = settings(max_examples=60)
NAMES = init.NONLINEARITIES
FUNCTIONS = ("xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_")

weight_shapes = st.lists(st.integers(1, 6), min_size=2, max_size=5).map(tuple)
seeds = st.integers(0, 2**31 - 1)
slopes = st.floats(-3.0, 3.0, allow_nan=False) | st.integers(-3, 3)


def _pair(fn_name, shape, seed, **kwargs):
    """Our init with a generator seeded `seed`, and torch's after `torch.manual_seed(seed)`.

    A fresh CPU generator and the global one seeded alike give the same stream; torch.nn.init
    takes a `generator` only from PyTorch 2.2 on, so the oracle draws from the global one.
    """
    ours = torch.empty(shape, dtype=torch.float64)
    theirs = torch.empty(shape, dtype=torch.float64)
    out = getattr(init, fn_name)(ours, generator=torch.Generator().manual_seed(seed), **kwargs)
    torch.manual_seed(seed)
    getattr(nn.init, fn_name)(theirs, **kwargs)
    assert out is ours  # in place, and the tensor is returned
    return ours, theirs


@pytest.mark.parametrize("fn_name", FUNCTIONS)
def test_without_a_generator_the_global_one_is_used(fn_name):
    torch.manual_seed(7)
    ours = getattr(init, fn_name)(torch.empty(5, 4, dtype=torch.float64))
    torch.manual_seed(7)
    theirs = getattr(nn.init, fn_name)(torch.empty(5, 4, dtype=torch.float64))
    torch.testing.assert_close(ours, theirs, rtol=0, atol=0)


# --- gains and fans ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_calculate_gain_matches_pytorch(name):
    assert init.calculate_gain(name) == nn.init.calculate_gain(name)


@given(slope=slopes)
def test_leaky_relu_gain_matches_pytorch_for_any_slope(slope):
    ours = init.calculate_gain("leaky_relu", slope)
    assert ours == pytest.approx(nn.init.calculate_gain("leaky_relu", slope), rel=1e-15)
    assert ours == pytest.approx(math.sqrt(2 / (1 + slope ** 2)), rel=1e-15)


def test_gains_that_the_lesson_quotes():
    assert init.calculate_gain("relu") == math.sqrt(2)
    assert init.calculate_gain("tanh") == 5 / 3
    assert init.calculate_gain("leaky_relu", 0) == math.sqrt(2)
    # PyTorch's nn.Linear default, a = sqrt(5): gain^2 = 2 / (1 + 5) = 1/3
    assert init.calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3))


@given(shape=weight_shapes)
def test_fans_follow_pytorchs_weight_layout(shape):
    receptive = math.prod(shape[2:])
    assert init.fan_in_and_fan_out(torch.empty(shape)) == (shape[1] * receptive,
                                                            shape[0] * receptive)


def test_fans_of_pytorch_layers():
    assert init.fan_in_and_fan_out(nn.Linear(20, 7).weight) == (20, 7)
    assert init.fan_in_and_fan_out(nn.Conv2d(3, 16, 5).weight) == (3 * 25, 16 * 25)
    assert init.fan_in_and_fan_out(nn.Conv1d(4, 2, 3).weight) == (12, 6)
    # a transposed convolution stores (C_in, C_out / groups, k): PyTorch's fans read it as is
    assert init.fan_in_and_fan_out(nn.ConvTranspose2d(8, 4, 3).weight) == (36, 72)


# --- the four initialisers against torch.nn.init -----------------------------------------------

@SETTINGS
@given(shape=weight_shapes, seed=seeds, gain=st.floats(0.01, 5.0))
@pytest.mark.parametrize("fn_name", ["xavier_uniform_", "xavier_normal_"])
def test_xavier_matches_pytorch(fn_name, shape, seed, gain):
    ours, theirs = _pair(fn_name, shape, seed, gain=gain)
    torch.testing.assert_close(ours, theirs, rtol=1e-14, atol=0)


@SETTINGS
@given(shape=weight_shapes, seed=seeds, a=st.floats(0.0, 3.0) | st.just(0),
       mode=st.sampled_from(init.MODES), nonlinearity=st.sampled_from(NAMES))
@pytest.mark.parametrize("fn_name", ["kaiming_uniform_", "kaiming_normal_"])
def test_kaiming_matches_pytorch(fn_name, shape, seed, a, mode, nonlinearity):
    ours, theirs = _pair(fn_name, shape, seed, a=a, mode=mode, nonlinearity=nonlinearity)
    torch.testing.assert_close(ours, theirs, rtol=1e-14, atol=0)


@pytest.mark.parametrize("fn_name", FUNCTIONS)
def test_defaults_match_pytorch(fn_name):
    ours, theirs = _pair(fn_name, (9, 4, 3), seed=1)
    torch.testing.assert_close(ours, theirs, rtol=1e-14, atol=0)


def test_the_comparison_tells_fan_in_from_fan_out():
    """The exact comparison above can fail: the wrong mode gives other numbers."""
    ours, _ = _pair("kaiming_normal_", (8, 3), seed=0, mode="fan_out")
    _, theirs = _pair("kaiming_normal_", (8, 3), seed=0, mode="fan_in")
    assert not torch.allclose(ours, theirs)


def test_pytorch_linear_default_is_kaiming_uniform_with_a_sqrt5():
    torch.manual_seed(3)
    layer = nn.Linear(50, 30)
    torch.manual_seed(3)
    weight = init.kaiming_uniform_(torch.empty(30, 50), a=math.sqrt(5))
    torch.testing.assert_close(weight, layer.weight.detach(), rtol=0, atol=0)
    assert weight.abs().max() <= 1 / math.sqrt(50)  # the bound is 1 / sqrt(fan_in)


@pytest.mark.parametrize("fn_name", FUNCTIONS)
def test_parameters_are_filled_without_autograd_history(fn_name):
    weight = nn.Parameter(torch.zeros(6, 5))
    out = getattr(init, fn_name)(weight)
    assert out is weight and out.grad_fn is None and weight.requires_grad
    assert weight.abs().sum() > 0


# --- the scale itself (independent of torch) ---------------------------------------------------

@pytest.mark.parametrize("fn_name, kwargs, expected_std", [
    ("xavier_uniform_", {}, math.sqrt(2 / (400 + 300))),
    ("xavier_normal_", {"gain": 5 / 3}, 5 / 3 * math.sqrt(2 / (400 + 300))),
    ("kaiming_uniform_", {"nonlinearity": "relu"}, math.sqrt(2 / 300)),
    ("kaiming_normal_", {"nonlinearity": "relu", "mode": "fan_out"}, math.sqrt(2 / 400)),
    ("kaiming_normal_", {"a": 0.2}, math.sqrt(2 / (1.04 * 300))),
])
def test_the_std_is_the_derived_one(fn_name, kwargs, expected_std):
    weight = getattr(init, fn_name)(torch.empty(400, 300, dtype=torch.float64),
                                    generator=torch.Generator().manual_seed(0), **kwargs)
    # 120,000 draws: the sample std is within 1% of the true one
    assert weight.std().item() == pytest.approx(expected_std, rel=0.01)
    assert weight.mean().abs().item() < 0.02 * expected_std  # 6 standard errors


def test_uniform_bound_is_sqrt3_times_the_std():
    weight = init.kaiming_uniform_(torch.empty(200, 100, dtype=torch.float64),
                                   nonlinearity="relu")
    bound = math.sqrt(3) * math.sqrt(2 / 100)
    assert weight.abs().max().item() <= bound
    assert weight.abs().max().item() > 0.99 * bound


def test_zero_element_tensor_is_a_no_op_with_a_warning():
    empty = torch.empty(0, 3)
    with pytest.warns(UserWarning, match="zero-element"):
        assert init.kaiming_uniform_(empty) is empty
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nn.init.kaiming_uniform_(torch.empty(0, 3))  # PyTorch does the same


# --- bad input ---------------------------------------------------------------------------------

def test_unknown_nonlinearity_names_the_allowed_ones():
    with pytest.raises(ValueError, match=r"nonlinearity='Relu' is not allowed; choose one of "
                                         r"'linear', .*'relu', 'leaky_relu', 'selu'"):
        init.calculate_gain("Relu")
    with pytest.raises(ValueError):
        nn.init.calculate_gain("Relu")  # PyTorch refuses it too
    with pytest.raises(ValueError, match="nonlinearity='gelu' is not allowed"):
        init.kaiming_normal_(torch.empty(3, 3), nonlinearity="gelu")


def test_nonlinearity_that_is_not_a_string():
    with pytest.raises(TypeError, match="nonlinearity=None is not allowed; choose one of"):
        init.calculate_gain(None)


@pytest.mark.parametrize("param", ["0.1", True, [0.1]])
def test_leaky_relu_param_must_be_a_number(param):
    message = (f"param={param!r} is not allowed; for leaky_relu param is the negative "
               "slope, a real number (or None for 0.01)")
    with pytest.raises(TypeError, match=re.escape(message)):
        init.calculate_gain("leaky_relu", param)
    with pytest.raises(ValueError):
        nn.init.calculate_gain("leaky_relu", param)  # PyTorch: ValueError for every kind


@pytest.mark.parametrize("shape", [(), (5,)])
def test_fans_need_two_dimensions(shape):
    with pytest.raises(ValueError, match=rf"tensor has shape {re_shape(shape)}; fan_in and "
                                         r"fan_out need a tensor with at least 2 dimensions"):
        init.fan_in_and_fan_out(torch.empty(shape))
    for fn_name in FUNCTIONS:
        with pytest.raises(ValueError, match="at least 2 dimensions"):
            getattr(init, fn_name)(torch.empty(shape))


def re_shape(shape):
    return re.escape(str(tuple(shape)))


def test_bad_mode():
    with pytest.raises(ValueError, match="mode='fan_avg' is not allowed; choose one of "
                                         "'fan_in', 'fan_out'"):
        init.kaiming_uniform_(torch.empty(3, 4), mode="fan_avg")


def test_bad_a():
    with pytest.raises(TypeError, match="a='0.1' is not allowed; a is the negative slope"):
        init.kaiming_normal_(torch.empty(3, 4), a="0.1")


def test_bad_tensor_and_generator():
    with pytest.raises(TypeError, match="tensor must be a torch.Tensor, got list"):
        init.xavier_uniform_([[0.0, 0.0]])
    with pytest.raises(TypeError, match="tensor must be a floating-point tensor, got dtype "
                                        "torch.int64"):
        init.xavier_normal_(torch.zeros(3, 3, dtype=torch.int64))
    with pytest.raises(TypeError, match="generator must be a torch.Generator or None, got int"):
        init.kaiming_normal_(torch.empty(3, 3), generator=0)


@pytest.mark.parametrize("gain, error, message", [
    (float("nan"), ValueError, "gain=nan is not allowed; gain must be finite"),
    ("1", TypeError, "gain='1' is not allowed; gain must be a real number"),
])
def test_bad_gain(gain, error, message):
    with pytest.raises(error, match=message):
        init.xavier_uniform_(torch.empty(3, 3), gain=gain)


def test_xavier_with_no_fans():
    with pytest.raises(ValueError, match=r"tensor has shape \(0, 0\), so fan_in \+ fan_out = 0"):
        init.xavier_uniform_(torch.empty(0, 0))
