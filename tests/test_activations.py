"""utils.activations against PyTorch: forwards against torch.nn.functional, derivatives against
autograd, in float64 on dense grids and random tensors; float32 stability over [-1e4, 1e4]."""

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from utils import activations as A

# The table of activations is utils.activations.SPECS: every activation with its defaults,
# then the parameter settings its spec lists as examples. Nothing here names an activation,
# except the list of the module's public functions below (the formula sheet's test looks for
# each name), which a test keeps equal to the registered names.
CONFIGS = [(name, {}) for name in A.ACTIVATIONS] + [
    (name, params) for name, spec in A.SPECS.items() for params in spec.examples]
IDS = [f"{n}-{p}" if p else n for n, p in CONFIGS]
PUBLIC = [A.sigmoid, A.tanh, A.relu, A.leaky_relu, A.elu, A.selu, A.gelu, A.silu, A.softplus,
          A.mish, A.softmax, A.log_softmax]


def torch_op(name):
    """PyTorch's function for activation `name`, as its spec gives it (checked below to be the
    torch.nn.functional op of the same name, so the oracle does not come from our table)."""
    return A.SPECS[name].torch_function

TIGHT = {"rtol": 1e-12, "atol": 1e-12}


def special_points(params):
    """Kinks, and the softplus switch point beta * x == threshold (both sides of it)."""
    pts = [0.0, -0.0, 1e-300, -1e-300, 1e-12, -1e-12, 1e-6, -1e-6, 1.0, -1.0, 50.0, -50.0,
           700.0, -700.0, 1e4, -1e4]
    if "threshold" in params or "beta" in params:
        beta, thr = params.get("beta", 1.0), params.get("threshold", 20.0)
        edge = thr / beta
        pts += [edge, math.nextafter(edge, math.inf), math.nextafter(edge, -math.inf)]
    return torch.tensor(pts, dtype=torch.float64)


def inputs64(params):
    gen = torch.Generator().manual_seed(0)
    grid = torch.linspace(-40, 40, 20001, dtype=torch.float64)  # includes 0 exactly
    fine = torch.linspace(-1e-3, 1e-3, 2001, dtype=torch.float64)
    rand = torch.randn(4096, generator=gen, dtype=torch.float64) * 10
    return torch.cat([grid, fine, rand, special_points(params)])


def autograd_derivative(fn, x, **params):
    x = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(fn(x, **params).sum(), x)
    return grad


def test_every_spec_names_pytorchs_op_and_module_of_the_same_name():
    x = torch.randn(64, dtype=torch.float64)
    for name, spec in A.SPECS.items():
        assert spec.name == name and getattr(A, name) is spec.forward
        # the oracle is PyTorch's op called `name`, not whatever the spec says
        same_name = getattr(torch.nn.functional, name)
        torch.testing.assert_close(spec.torch_function(x), same_name(x), rtol=0, atol=0)
        assert spec.torch_module.__name__.lower() == name.replace("_", "")  # LeakyReLU, ...
        for params in ({}, *spec.examples):
            layer = spec.torch_module(**params)  # the spec's parameters are nn's arguments
            torch.testing.assert_close(layer(x), same_name(x, **params), rtol=0, atol=0)
        assert {k for p in spec.examples for k in p} <= set(spec.defaults)


def test_spec_defaults_are_pytorchs_defaults():
    import inspect
    for name, spec in A.SPECS.items():
        signature = inspect.signature(spec.torch_module)  # F.gelu is a builtin without one
        theirs = {k: p.default for k, p in signature.parameters.items()
                  if k in spec.defaults}
        assert theirs == dict(spec.defaults), name
        assert dict(A.get(name).params) == dict(spec.defaults)


def test_the_public_functions_are_the_registered_activations_and_softmax():
    assert [f.__name__ for f in PUBLIC] == [*A.ACTIVATIONS, "softmax", "log_softmax"]


@pytest.mark.parametrize("fn", PUBLIC, ids=[f.__name__ for f in PUBLIC])
def test_public_function_matches_torch_nn_functional_of_the_same_name(fn):
    x = inputs64({}).reshape(-1, 2)
    theirs = getattr(torch.nn.functional, fn.__name__)
    torch.testing.assert_close(fn(x), theirs(x, dim=-1) if "softmax" in fn.__name__
                               else theirs(x), **TIGHT)


@pytest.mark.parametrize("name,params", CONFIGS, ids=IDS)
def test_forward_matches_torch_float64(name, params):
    x = inputs64(params)
    ours = getattr(A, name)(x, **params)
    torch.testing.assert_close(ours, torch_op(name)(x, **params), **TIGHT)
    torch.testing.assert_close(A.get(name, **params).forward(x), ours, rtol=0, atol=0)


@pytest.mark.parametrize("name,params", CONFIGS, ids=IDS)
def test_derivative_matches_autograd_float64(name, params):
    x = inputs64(params)
    ours = A.get(name, **params).derivative(x)
    torch.testing.assert_close(ours, autograd_derivative(torch_op(name), x, **params), **TIGHT)


@pytest.mark.parametrize("name,params", CONFIGS, ids=IDS)
def test_value_at_kinks_is_pytorchs_choice(name, params):
    x = torch.tensor([0.0, -0.0], dtype=torch.float64)
    expected = autograd_derivative(torch_op(name), x, **params)
    assert torch.equal(A.get(name, **params).derivative(x), expected)


def test_documented_kink_values():
    zero = torch.zeros(1, dtype=torch.float64)
    assert A.get("relu").derivative(zero).item() == 0.0
    assert A.get("leaky_relu", negative_slope=0.3).derivative(zero).item() == 0.3
    assert A.get("elu", alpha=2.0).derivative(zero).item() == 2.0
    assert A.get("selu").derivative(zero).item() == pytest.approx(A.SELU_SCALE * A.SELU_ALPHA)


@pytest.mark.parametrize("name,params", CONFIGS, ids=IDS)
def test_autograd_through_ours_equals_our_derivative(name, params):
    """Backpropagating through the from-scratch forward gives the analytic derivative."""
    x = inputs64(params)
    x = x[x.abs() > 1e-9]  # away from kinks, where one-sided choices may differ
    act = A.get(name, **params)
    torch.testing.assert_close(autograd_derivative(getattr(A, name), x, **params),
                               act.derivative(x), rtol=1e-10, atol=1e-12)


@settings(max_examples=60)
@given(slope=st.floats(-3, 3), alpha=st.floats(0, 5), beta=st.floats(0.05, 10),
       threshold=st.floats(-30, 30), seed=st.integers(0, 2**31 - 1))
def test_random_parameters_and_shapes(slope, alpha, beta, threshold, seed):
    gen = torch.Generator().manual_seed(seed)
    shape = tuple(int(s) for s in torch.randint(1, 6, (int(torch.randint(1, 4, (1,),
                                                                         generator=gen)),),
                                                generator=gen))
    x = torch.randn(shape, generator=gen, dtype=torch.float64) * 8
    for name, params in [("leaky_relu", {"negative_slope": slope}), ("elu", {"alpha": alpha}),
                         ("softplus", {"beta": beta, "threshold": threshold})]:
        act = A.get(name, **params)
        out = act.forward(x)
        assert out.shape == x.shape and out.dtype == x.dtype
        torch.testing.assert_close(out, torch_op(name)(x, **params), **TIGHT)
        torch.testing.assert_close(act.derivative(x),
                                   autograd_derivative(torch_op(name), x, **params), **TIGHT)


@pytest.mark.parametrize("name", A.ACTIVATIONS)
def test_shape_dtype_and_input_untouched(name):
    x = torch.randn(2, 3, 4, dtype=torch.float32)
    before = x.clone()
    act = A.get(name)
    for out in (act.forward(x), act.derivative(x)):
        assert out.shape == x.shape and out.dtype == torch.float32
    assert torch.equal(x, before)


# --- float32 stability over [-1e4, 1e4] ------------------------------------------------------

WIDE = torch.cat([torch.linspace(-1e4, 1e4, 200001, dtype=torch.float32),
                  torch.tensor([-1e4, -1e3, -100.0, -20.0, 0.0, 20.0, 100.0, 1e3, 1e4])])


@pytest.mark.parametrize("name,params", CONFIGS, ids=IDS)
def test_float32_wide_range_is_finite_and_close(name, params):
    act = A.get(name, **params)
    ours, theirs = act.forward(WIDE), torch_op(name)(WIDE, **params)
    assert torch.isfinite(theirs).all()
    assert torch.isfinite(ours).all(), f"{name} overflows"
    torch.testing.assert_close(ours, theirs, rtol=2e-6, atol=1e-6)
    d_ours = act.derivative(WIDE)
    d_theirs = autograd_derivative(torch_op(name), WIDE, **params)
    assert torch.isfinite(d_ours).all(), f"{name}' overflows"
    # float32 rounding of 1 - tanh^2 near saturation: a few 1e-6 absolute
    torch.testing.assert_close(d_ours, d_theirs, rtol=2e-5, atol=1e-5)
    # backpropagating through our forward stays finite too (no 0 * inf from torch.where)
    assert torch.isfinite(autograd_derivative(getattr(A, name), WIDE, **params)).all()


def test_extreme_values_saturate_exactly_in_float32():
    big = torch.tensor([-1e4, 1e4], dtype=torch.float32)
    assert A.sigmoid(big).tolist() == [0.0, 1.0]
    assert A.softplus(big).tolist() == [0.0, 1e4]
    assert A.tanh(big).tolist() == [-1.0, 1.0]
    assert A.softmax(torch.tensor([1e4, 0.0])).tolist() == [1.0, 0.0]
    assert A.log_softmax(torch.tensor([1e4, 0.0])).tolist() == [0.0, -1e4]


def test_tanh_is_accurate_near_zero():
    x = torch.tensor([1e-300, 1e-20, 1e-10, -1e-8], dtype=torch.float64)
    torch.testing.assert_close(A.tanh(x), torch.tanh(x), rtol=1e-15, atol=0)


def test_nan_propagates_like_pytorch():
    x = torch.tensor([float("nan")])
    for name in A.ACTIVATIONS:
        assert torch.isnan(A.get(name).forward(x)).all(), name


# --- softmax and log_softmax -----------------------------------------------------------------


@pytest.mark.parametrize("fn,oracle", [(A.softmax, F.softmax), (A.log_softmax, F.log_softmax)])
@pytest.mark.parametrize("dim", [0, 1, 2, -1, -2, -3])
def test_softmax_matches_torch_every_dim(fn, oracle, dim):
    gen = torch.Generator().manual_seed(dim + 3)
    x = torch.randn(3, 4, 5, generator=gen, dtype=torch.float64) * 20
    torch.testing.assert_close(fn(x, dim=dim), oracle(x, dim=dim), **TIGHT)
    # gradient of a weighted sum, through our ops, equals autograd through PyTorch's
    w = torch.randn(3, 4, 5, generator=gen, dtype=torch.float64)
    g_ours = autograd_derivative(lambda t: fn(t, dim=dim) * w, x)
    g_torch = autograd_derivative(lambda t: oracle(t, dim=dim) * w, x)
    torch.testing.assert_close(g_ours, g_torch, **TIGHT)


@settings(max_examples=100)
@given(values=st.lists(st.floats(-1e4, 1e4), min_size=1, max_size=12),
       shift=st.floats(-1e3, 1e3))
def test_softmax_stable_and_shift_invariant(values, shift):
    x = torch.tensor(values, dtype=torch.float64)
    p = A.softmax(x)
    assert torch.isfinite(p).all() and abs(p.sum().item() - 1) < 1e-12
    torch.testing.assert_close(p, F.softmax(x, dim=-1), **TIGHT)
    torch.testing.assert_close(A.softmax(x + shift), p, rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(A.log_softmax(x), F.log_softmax(x, dim=-1), rtol=1e-12,
                               atol=1e-9)


def test_softmax_float32_huge_logits():
    x = torch.tensor([[1e4, 0.0, -1e4], [1000.0, 999.0, 998.0]], dtype=torch.float32)
    for fn, oracle in [(A.softmax, F.softmax), (A.log_softmax, F.log_softmax)]:
        out = fn(x)
        assert torch.isfinite(out).all()
        torch.testing.assert_close(out, oracle(x, dim=-1))


def test_softmax_bad_dim_raises_like_torch():
    with pytest.raises(IndexError):
        A.softmax(torch.zeros(2, 3), dim=2)


# --- bad input -------------------------------------------------------------------------------


def test_unknown_name_lists_known_ones():
    with pytest.raises(ValueError, match="name='swish'.*'sigmoid', 'tanh', 'relu'.*'mish'"):
        A.get("swish")


def test_unexpected_parameter():
    with pytest.raises(TypeError, match="relu got unexpected parameter.*alpha.*none"):
        A.get("relu", alpha=1.0)
    with pytest.raises(TypeError, match="elu got unexpected parameter.*beta.*alpha"):
        A.get("elu", beta=1.0)


@pytest.mark.parametrize("fn", [A.sigmoid, A.tanh, A.relu, A.leaky_relu, A.elu, A.selu,
                                A.gelu, A.silu, A.softplus, A.mish, A.softmax, A.log_softmax])
def test_non_tensor_input(fn):
    with pytest.raises(TypeError, match="x must be a torch.Tensor, got list"):
        fn([1.0, 2.0])
    with pytest.raises(TypeError, match="x must be a floating-point tensor, got dtype torch.int64"):
        fn(torch.tensor([1, 2]))


def test_derivative_non_tensor_input():
    with pytest.raises(TypeError, match="x must be a torch.Tensor, got float"):
        A.get("tanh").derivative(1.0)


def test_negative_alpha():
    with pytest.raises(ValueError, match=r"alpha=-1.0 is not allowed; alpha must be >= 0.0"):
        A.elu(torch.zeros(2), alpha=-1.0)
    with pytest.raises(ValueError, match=r"alpha=-0.5 is not allowed"):
        A.get("elu", alpha=-0.5)


def test_unknown_approximate():
    with pytest.raises(ValueError, match="approximate='fast' is not allowed; choose one of "
                                         "'none', 'tanh'"):
        A.gelu(torch.zeros(2), approximate="fast")
    with pytest.raises(ValueError, match="approximate='erf'"):
        A.get("gelu", approximate="erf")


def test_bad_softplus_and_slope_parameters():
    with pytest.raises(ValueError, match="beta=0.0 is not allowed; beta must be > 0.0"):
        A.softplus(torch.zeros(2), beta=0.0)
    with pytest.raises(TypeError, match="threshold='20' is not allowed"):
        A.get("softplus", threshold="20")
    with pytest.raises(ValueError, match="negative_slope=nan is not allowed"):
        A.leaky_relu(torch.zeros(2), negative_slope=float("nan"))


def test_repr_and_call():
    act = A.get("gelu", approximate="tanh")
    assert repr(act) == "Activation('gelu', approximate='tanh')"
    assert repr(A.get("relu")) == "Activation('relu')"
    x = torch.randn(5)
    assert torch.equal(act(x), act.forward(x))


# --- PReLU, GLU and SwiGLU: against F.prelu, F.glu, a silu-gated glu, and autograd ------------

GATED = {"glu": (A.glu, A.glu_backward, lambda x, dim: F.glu(x, dim=dim)),
         # PyTorch has no swiglu op: the oracle is the definition in PyTorch's own ops
         "swiglu": (A.swiglu, A.swiglu_backward,
                    lambda x, dim: x.chunk(2, dim)[0] * F.silu(x.chunk(2, dim)[1]))}


def test_the_gated_functions_are_public():
    assert {"prelu", "prelu_backward", "glu", "glu_backward", "swiglu",
            "swiglu_backward"} <= set(A.__all__)
    assert not {"prelu", "glu", "swiglu"} & set(A.ACTIVATIONS)  # not elementwise: not in SPECS


prelu_cases = st.sampled_from([((), ()), ((5,), (1,)), ((5,), ()), ((4, 3), (3,)),
                               ((4, 3), (1,)), ((2, 3, 5), (3,)), ((2, 4, 3, 3), (4,)),
                               ((2, 4, 3, 3), ())])


@settings(max_examples=80)
@given(case=prelu_cases, seed=st.integers(0, 2**31 - 1), kinks=st.booleans())
def test_prelu_and_its_backward_match_pytorch(case, seed, kinks):
    x_shape, w_shape = case
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(x_shape, generator=gen, dtype=torch.float64) * 5
    if kinks:  # exact zeros, where PyTorch takes the slope a
        x = torch.where(torch.rand(x_shape, generator=gen) < 0.3, torch.zeros_like(x), x)
    weight = torch.randn(w_shape, generator=gen, dtype=torch.float64)
    grad_out = torch.randn(x_shape, generator=gen, dtype=torch.float64)
    torch.testing.assert_close(A.prelu(x, weight), F.prelu(x, weight), rtol=0, atol=0)
    xs, ws = x.clone().requires_grad_(), weight.clone().requires_grad_()
    F.prelu(xs, ws).backward(grad_out)
    grad_x, grad_w = A.prelu_backward(x, weight, grad_out)
    torch.testing.assert_close(grad_x, xs.grad, **TIGHT)
    torch.testing.assert_close(grad_w, ws.grad, **TIGHT)
    assert grad_w.shape == weight.shape
    # autograd through our forward gives the same numbers too
    xo, wo = x.clone().requires_grad_(), weight.clone().requires_grad_()
    A.prelu(xo, wo).backward(grad_out)
    torch.testing.assert_close(xo.grad, xs.grad, **TIGHT)
    torch.testing.assert_close(wo.grad, ws.grad, **TIGHT)


def test_prelu_with_one_slope_is_leaky_relu_and_nn_prelu_starts_at_a_quarter():
    x = torch.linspace(-5, 5, 101, dtype=torch.float64)
    for slope in (0.0, 0.25, -0.5, 1.0):
        torch.testing.assert_close(A.prelu(x, torch.tensor([slope], dtype=torch.float64)),
                                   A.leaky_relu(x, slope), rtol=0, atol=0)
    layer = torch.nn.PReLU(num_parameters=3)
    assert torch.equal(layer.weight.detach(), torch.full((3,), 0.25))
    images = torch.randn(2, 3, 4, 4)
    torch.testing.assert_close(A.prelu(images, layer.weight), layer(images), rtol=0, atol=0)


gated_shapes = st.sampled_from([((4,), 0), ((4,), -1), ((3, 6), -1), ((3, 6), 1), ((6, 3), 0),
                                ((2, 4, 6), -1), ((2, 4, 6), 1), ((2, 2, 2), 0)])


@pytest.mark.parametrize("name", sorted(GATED))
@settings(max_examples=60)
@given(case=gated_shapes, seed=st.integers(0, 2**31 - 1),
       scale=st.sampled_from([0.1, 1.0, 10.0, 50.0]))
def test_gated_units_and_backwards_match_pytorch_and_autograd(name, case, seed, scale):
    forward, backward, oracle = GATED[name]
    shape, dim = case
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, generator=gen, dtype=torch.float64) * scale
    expected = oracle(x, dim)
    out = forward(x, dim=dim)
    assert out.shape == expected.shape
    halved = list(shape)
    halved[dim] //= 2
    assert list(out.shape) == halved
    torch.testing.assert_close(out, expected, **TIGHT)
    grad_out = torch.randn(out.shape, generator=gen, dtype=torch.float64)
    xs = x.clone().requires_grad_()
    oracle(xs, dim).backward(grad_out)
    torch.testing.assert_close(backward(x, grad_out, dim=dim), xs.grad, **TIGHT)
    xo = x.clone().requires_grad_()
    forward(xo, dim=dim).backward(grad_out)  # autograd through our forward
    torch.testing.assert_close(xo.grad, xs.grad, **TIGHT)


def test_glu_halves_are_value_then_gate():
    x = torch.tensor([2.0, -3.0, 0.0, 100.0], dtype=torch.float64)  # a = (2, -3), b = (0, 100)
    torch.testing.assert_close(A.glu(x), torch.tensor([1.0, -3.0], dtype=torch.float64))
    torch.testing.assert_close(A.swiglu(x), torch.tensor([0.0, -300.0], dtype=torch.float64))
    big = torch.tensor([1.0, 1.0, -1e4, 1e4])  # float32: gates shut and open, no overflow
    assert A.glu(big).tolist() == [0.0, 1.0] and A.swiglu(big).tolist() == [-0.0, 1e4]


def test_gated_bad_input():
    with pytest.raises(ValueError, match=r"x has size 5 along dim=1; glu splits it into two "
                                         "halves, so it must be even"):
        A.glu(torch.zeros(2, 5))
    with pytest.raises(ValueError, match=r"x has size 3 along dim=0; swiglu splits"):
        A.swiglu(torch.zeros(3), dim=0)
    with pytest.raises(ValueError, match=r"dim=2 is not allowed; x has 2 dimension\(s\), so dim "
                                         r"must lie in \[-2, 1\]"):
        A.glu(torch.zeros(2, 4), dim=2)
    with pytest.raises(ValueError, match=r"x has shape \(\); glu needs a dimension to split"):
        A.glu(torch.tensor(1.0))
    with pytest.raises(TypeError, match="dim=1.0 is not allowed; dim must be an integer"):
        A.glu(torch.zeros(2, 4), dim=1.0)
    with pytest.raises(ValueError, match=r"grad_output has shape \(2, 4\); it must have the "
                                         r"output's shape \(2, 2\)"):
        A.glu_backward(torch.zeros(2, 4), torch.zeros(2, 4))
    with pytest.raises(TypeError, match="x must be a floating-point tensor"):
        A.swiglu(torch.zeros(4, dtype=torch.long))
    with pytest.raises(ValueError, match=r"weight has 3 entries, but x of shape \(2, 4, 5\) has "
                                         r"4 channel\(s\) along dim 1; weight must have 1 or 4"):
        A.prelu(torch.zeros(2, 4, 5), torch.zeros(3))
    with pytest.raises(ValueError, match=r"weight has 4 entries, but x of shape \(4,\) has 1 "):
        A.prelu(torch.zeros(4), torch.zeros(4))  # 1-D input: no channel dimension, as PyTorch
    with pytest.raises(ValueError, match=r"weight has shape \(1, 4\); it must have shape \(\) "):
        A.prelu(torch.zeros(2, 4), torch.zeros(1, 4))
    with pytest.raises(TypeError, match="weight must be a torch.Tensor, got float"):
        A.prelu(torch.zeros(2, 4), 0.25)
    with pytest.raises(ValueError, match=r"grad_output has shape \(3,\)"):
        A.prelu_backward(torch.zeros(2, 4), torch.zeros(4), torch.zeros(3))
