"""utils.losses against torch.nn.functional (the oracle) in float64: values and gradients."""

import functools
import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from utils import losses

REDUCTIONS = ("mean", "sum", "none")
TOL = dict(rtol=1e-10, atol=1e-12)
SETTINGS = settings(max_examples=40)  # deadline: the profile in tests/conftest.py

shapes = st.lists(st.integers(1, 5), min_size=0, max_size=3).map(tuple)
seeds = st.integers(0, 2**31 - 1)
scales = st.sampled_from([1e-3, 0.1, 1.0, 10.0, 1e3])


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _randn(shape, g, scale=1.0):
    return (torch.randn(shape, generator=g, dtype=torch.float64) * scale).requires_grad_()


def _value_and_grads(fn, *tensors, **kwargs):
    """fn's output and the gradient of (output * random weights).sum() w.r.t. each tensor."""
    tensors = [t.detach().clone().requires_grad_(t.requires_grad) for t in tensors]
    out = fn(*tensors, **kwargs)
    weights = torch.linspace(0.5, 1.5, out.numel(), dtype=out.dtype).reshape(out.shape)
    wanted = [t for t in tensors if t.requires_grad]
    grads = torch.autograd.grad((out * weights).sum(), wanted)
    return out.detach(), grads


def _assert_same(ours, theirs, *tensors, grad_tol=None, **kwargs):
    out_a, grads_a = _value_and_grads(ours, *tensors, **kwargs)
    out_b, grads_b = _value_and_grads(theirs, *tensors, **kwargs)
    assert out_a.shape == out_b.shape
    torch.testing.assert_close(out_a, out_b, **TOL)
    for ga, gb in zip(grads_a, grads_b):
        torch.testing.assert_close(ga, gb, **(grad_tol or TOL))


# ---------------------------------------------------------------------------------------------
# Elementwise losses against PyTorch
# ---------------------------------------------------------------------------------------------

REGRESSION = {
    "mse": (losses.mse, F.mse_loss),
    "mae": (losses.mae, F.l1_loss),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", sorted(REGRESSION))
@SETTINGS
@given(shape=shapes, seed=seeds, scale=scales)
def test_regression_losses_match_pytorch(name, reduction, shape, seed, scale):
    ours, theirs = REGRESSION[name]
    g = _gen(seed)
    pred, target = _randn(shape, g, scale), _randn(shape, g, scale)
    _assert_same(ours, theirs, pred, target, reduction=reduction)  # grads w.r.t. both


@pytest.mark.parametrize("reduction", REDUCTIONS)
@SETTINGS
@given(shape=shapes, seed=seeds, scale=scales,
       delta=st.floats(1e-3, 100.0, allow_nan=False, allow_infinity=False))
def test_huber_matches_pytorch(reduction, shape, seed, scale, delta):
    g = _gen(seed)
    pred, target = _randn(shape, g, scale), _randn(shape, g, scale)
    _assert_same(lambda p, t, **k: losses.huber(p, t, delta=delta, **k),
                 lambda p, t, **k: F.huber_loss(p, t, delta=delta, **k),
                 pred, target, reduction=reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@SETTINGS
@given(shape=shapes, seed=seeds, scale=scales,
       beta=st.one_of(st.just(0.0), st.floats(1e-3, 100.0)))
def test_smooth_l1_matches_pytorch(reduction, shape, seed, scale, beta):
    g = _gen(seed)
    pred, target = _randn(shape, g, scale), _randn(shape, g, scale)
    _assert_same(lambda p, t, **k: losses.smooth_l1(p, t, beta=beta, **k),
                 lambda p, t, **k: F.smooth_l1_loss(p, t, beta=beta, **k),
                 pred, target, reduction=reduction)


@SETTINGS
@given(shape=shapes, seed=seeds, scale=scales, beta=st.floats(1e-3, 100.0))
def test_smooth_l1_is_huber_divided_by_beta(shape, seed, scale, beta):
    g = _gen(seed)
    pred, target = _randn(shape, g, scale), _randn(shape, g, scale)
    for reduction in REDUCTIONS:
        a = losses.smooth_l1(pred, target, beta=beta, reduction=reduction)
        b = losses.huber(pred, target, delta=beta, reduction=reduction) / beta
        torch.testing.assert_close(a, b, **TOL)


def test_huber_at_the_kink_and_its_gradient_is_the_clipped_error():
    d = torch.tensor([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0], dtype=torch.float64,
                     requires_grad=True)
    loss = losses.huber(d, torch.zeros_like(d), delta=1.0, reduction="sum")
    (grad,) = torch.autograd.grad(loss, d)
    torch.testing.assert_close(grad, d.detach().clamp(-1, 1), **TOL)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@SETTINGS
@given(shape=shapes, seed=seeds, soft=st.booleans())
def test_binary_cross_entropy_matches_pytorch(reduction, shape, seed, soft):
    g = _gen(seed)
    # p in [1e-4, 1 - 1e-4]: PyTorch's backward clamps p (1 - p) at 1e-12, see the test below
    probs = (1e-4 + (1 - 2e-4) * torch.rand(shape, generator=g, dtype=torch.float64))
    target = torch.rand(shape, generator=g, dtype=torch.float64)
    if not soft:
        target = target.round()
    _assert_same(losses.binary_cross_entropy, F.binary_cross_entropy,
                 probs.requires_grad_(), target, reduction=reduction,
                 grad_tol=dict(rtol=1e-9, atol=1e-10))


def test_binary_cross_entropy_clamps_the_log_at_minus_100_like_pytorch():
    probs = torch.tensor([0.0, 1.0, 0.0, 1.0, 1e-50, 1 - 1e-16, 1e-300, 0.3],
                         dtype=torch.float64, requires_grad=True)
    target = torch.tensor([1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.5, 0.3], dtype=torch.float64)
    ours = losses.binary_cross_entropy(probs, target, reduction="none")
    theirs = F.binary_cross_entropy(probs, target, reduction="none")
    torch.testing.assert_close(ours, theirs, **TOL)
    assert ours[0].item() == ours[1].item() == 100.0  # a certain wrong answer costs 100
    assert ours[2].item() == ours[3].item() == 0.0
    (grad,) = torch.autograd.grad(ours.sum(), probs)
    assert torch.isfinite(grad).all()  # no NaN from log(0) where the loss is clamped
    assert grad[0].item() == 0.0  # flat where clamped; PyTorch's backward says -1e12 there
    (theirs_grad,) = torch.autograd.grad(theirs.sum(), probs)
    assert theirs_grad[0].item() == pytest.approx(-1e12, rel=1e-6)
    torch.testing.assert_close(grad[-1], theirs_grad[-1], **TOL)  # equal in the interior


@pytest.mark.parametrize("reduction", REDUCTIONS)
@SETTINGS
@given(shape=shapes, seed=seeds, scale=st.sampled_from([0.1, 1.0, 10.0, 100.0, 1e4]))
def test_binary_cross_entropy_with_logits_matches_pytorch(reduction, shape, seed, scale):
    g = _gen(seed)
    logits = _randn(shape, g, scale)
    target = torch.rand(shape, generator=g, dtype=torch.float64).requires_grad_()
    _assert_same(losses.binary_cross_entropy_with_logits, F.binary_cross_entropy_with_logits,
                 logits, target, reduction=reduction)  # grads w.r.t. logits and target


def test_bce_with_logits_keeps_the_digits_of_tiny_losses_for_both_labels():
    logits = torch.tensor([-30.0, 30.0, -5.0, 5.0, 0.0, 0.0], dtype=torch.float64,
                          requires_grad=True)
    target = torch.tensor([0.0, 1.0, 0.0, 1.0, 0.0, 1.0], dtype=torch.float64)
    loss = losses.binary_cross_entropy_with_logits(logits, target, reduction="none")
    expected = torch.tensor([math.log1p(math.exp(-30))] * 2 + [math.log1p(math.exp(-5))] * 2
                            + [math.log(2)] * 2, dtype=torch.float64)
    torch.testing.assert_close(loss, expected, rtol=1e-15, atol=0)
    single = losses.binary_cross_entropy_with_logits(torch.tensor([-30.0]), torch.zeros(1))
    assert single.item() > 0  # float32 too: ~9.4e-14, not 0
    (grad,) = torch.autograd.grad(loss.sum(), logits)
    torch.testing.assert_close(grad, torch.sigmoid(logits.detach()) - target, **TOL)
    assert grad[4].item() == 0.5 and grad[5].item() == -0.5  # sigmoid(0) - y at the kink


def test_logistic_loss_stays_finite_where_soft_margin_loss_overflows():
    scores = torch.tensor([-1000.0], dtype=torch.float64)
    assert F.soft_margin_loss(scores, torch.ones(1, dtype=torch.float64)).item() == math.inf
    assert losses.binary_cross_entropy_with_logits(scores, torch.ones(1, dtype=torch.float64)
                                                   ).item() == 1000.0


def test_binary_cross_entropy_with_logits_is_exact_for_huge_logits():
    logits = torch.tensor([1e4, -1e4, 1e4, -1e4, 0.0, 50.0], dtype=torch.float64,
                          requires_grad=True)
    target = torch.tensor([1.0, 0.0, 0.0, 1.0, 1.0, 0.25], dtype=torch.float64)
    loss = losses.binary_cross_entropy_with_logits(logits, target, reduction="none")
    # exact values: log(1 + e^-1e4) = 0 in float64, log 2, and (1 - y) x + log(1 + e^-x)
    expected = torch.tensor([0.0, 0.0, 1e4, 1e4, math.log(2), 37.5 + math.log1p(math.exp(-50))],
                            dtype=torch.float64)
    torch.testing.assert_close(loss, expected, **TOL)
    (grad,) = torch.autograd.grad(loss.sum(), logits)
    torch.testing.assert_close(grad, torch.sigmoid(logits.detach()) - target, **TOL)
    float32 = losses.binary_cross_entropy_with_logits(logits.detach().float(), target.float())
    assert torch.isfinite(float32)


@SETTINGS
@given(shape=shapes, seed=seeds, scale=st.sampled_from([1e-3, 0.1, 1.0, 10.0]))
def test_bce_with_logits_on_01_labels_is_soft_margin_on_pm1_labels(shape, seed, scale):
    # (F.soft_margin_loss computes log(1 + exp(-y s)) directly: inf once -y s > ~710)
    g = _gen(seed)
    scores = _randn(shape, g, scale)
    y01 = torch.randint(0, 2, shape, generator=g).double()
    y_pm = 2 * y01 - 1
    for reduction in ("mean", "none"):  # soft_margin_loss's "sum" is a sum too
        torch.testing.assert_close(
            losses.binary_cross_entropy_with_logits(scores, y01, reduction=reduction),
            F.soft_margin_loss(scores, y_pm, reduction=reduction), **TOL)


# ---------------------------------------------------------------------------------------------
# Losses PyTorch does not have: direct formulas and gradcheck
# ---------------------------------------------------------------------------------------------


def _pm1(shape, g):
    return 2.0 * torch.randint(0, 2, shape, generator=g).double() - 1


@pytest.mark.parametrize("reduction", REDUCTIONS)
@SETTINGS
@given(shape=shapes, seed=seeds)
def test_losses_without_a_pytorch_twin_match_their_formulas(reduction, shape, seed):
    g = _gen(seed)
    pos_pred = torch.rand(shape, generator=g, dtype=torch.float64) * 20 - 0.9  # > -1
    pos_target = torch.rand(shape, generator=g, dtype=torch.float64) * 20
    nonzero = (torch.rand(shape, generator=g, dtype=torch.float64) + 0.1) * _pm1(shape, g)
    pred = torch.randn(shape, generator=g, dtype=torch.float64) * 3
    y = _pm1(shape, g)

    def reduce(x):
        return {"mean": x.mean(), "sum": x.sum(), "none": x}[reduction]

    cases = [
        (losses.msle, (pos_pred, pos_target),
         lambda p, t: reduce((torch.log(1 + p) - torch.log(1 + t)) ** 2)),
        (losses.mape, (pred, nonzero), lambda p, t: reduce(torch.abs((p - t) / t))),
        (losses.hinge, (pred, y), lambda s, t: reduce(F.relu(1 - t * s))),
        (losses.exponential, (pred, y), lambda s, t: reduce(torch.exp(-t * s))),
    ]
    for fn, (a, b), formula in cases:
        _assert_same(fn, lambda p, t, formula=formula, **k: formula(p, t), a.requires_grad_(), b,
                     reduction=reduction, grad_tol=dict(rtol=1e-9, atol=1e-12))


@pytest.mark.parametrize("name", ["msle", "mape", "hinge", "exponential", "mse", "huber"])
def test_gradcheck(name):
    g = _gen(7)
    pred = torch.randn(4, 3, generator=g, dtype=torch.float64) * 2
    if name == "msle":
        pred, target = pred.abs(), torch.rand(4, 3, generator=g, dtype=torch.float64) * 5
    elif name in ("hinge", "exponential"):
        target = _pm1((4, 3), g)
    else:
        target = torch.randn(4, 3, generator=g, dtype=torch.float64) + 3
    fn = getattr(losses, name)
    assert torch.autograd.gradcheck(lambda p: fn(p, target, reduction="none"),
                                    (pred.requires_grad_(),))


def test_hinge_is_zero_beyond_margin_one_and_exponential_is_one_at_zero():
    s = torch.tensor([-2.0, 0.0, 0.5, 1.0, 3.0], dtype=torch.float64)
    y = torch.ones(5, dtype=torch.float64)
    torch.testing.assert_close(losses.hinge(s, y, reduction="none"),
                               torch.tensor([3.0, 1.0, 0.5, 0.0, 0.0], dtype=torch.float64))
    torch.testing.assert_close(losses.hinge(-s, -y, reduction="none"),
                               losses.hinge(s, y, reduction="none"))
    assert losses.exponential(s[1:2], y[1:2]).item() == 1.0


def test_msle_scores_ratios_and_mape_is_a_fraction():
    t = torch.tensor([1.0, 100.0], dtype=torch.float64)
    p = torch.tensor([3.0, 201.0], dtype=torch.float64)  # both (1 + p) / (1 + t) = 2
    per = losses.msle(p, t, reduction="none")
    torch.testing.assert_close(per, torch.full((2,), math.log(2) ** 2, dtype=torch.float64))
    assert losses.mape(torch.tensor([110.0]), torch.tensor([100.0])).item() == pytest.approx(0.1)


# ---------------------------------------------------------------------------------------------
# Multi-class losses against PyTorch
# ---------------------------------------------------------------------------------------------

class_shapes = st.sampled_from([(), (1,), (6,), (3, 2), (2, 3, 2)])  # extra dims after C


def _class_case(seed, num_classes, extra, scale):
    g = _gen(seed)
    n, *rest = extra if extra else (None,)
    if n is None:
        x = torch.randn(num_classes, generator=g, dtype=torch.float64) * scale  # (C,)
        target = torch.randint(0, num_classes, (), generator=g)
    else:
        x = torch.randn(n, num_classes, *rest, generator=g, dtype=torch.float64) * scale
        target = torch.randint(0, num_classes, (n, *rest), generator=g)
    return x.requires_grad_(), target


@pytest.mark.parametrize("reduction", REDUCTIONS)
@SETTINGS
@given(seed=seeds, num_classes=st.integers(1, 7), extra=class_shapes, scale=scales)
def test_nll_loss_matches_pytorch(reduction, seed, num_classes, extra, scale):
    x, target = _class_case(seed, num_classes, extra, scale)
    _assert_same(losses.nll_loss, F.nll_loss, x, target, reduction=reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@SETTINGS
@given(seed=seeds, num_classes=st.integers(1, 7), extra=class_shapes,
       scale=st.sampled_from([0.1, 1.0, 10.0, 1e3, 1e4]),
       label_smoothing=st.one_of(st.just(0.0), st.just(1.0), st.floats(0.0, 1.0)))
def test_cross_entropy_matches_pytorch(reduction, seed, num_classes, extra, scale,
                                       label_smoothing):
    x, target = _class_case(seed, num_classes, extra, scale)
    _assert_same(lambda a, b, **k: losses.cross_entropy(a, b, label_smoothing, **k),
                 lambda a, b, **k: F.cross_entropy(a, b, label_smoothing=label_smoothing, **k),
                 x, target, reduction=reduction, grad_tol=dict(rtol=1e-9, atol=1e-12))


def test_cross_entropy_is_exact_for_logits_of_ten_thousand():
    logits = torch.tensor([[1e4, 0.0, -1e4], [1e4, 1e4, -1e4], [-1e4, -1e4, -1e4]],
                          dtype=torch.float64, requires_grad=True)
    target = torch.tensor([0, 2, 1])
    loss = losses.cross_entropy(logits, target, reduction="none")
    # -log p_y = logsumexp(x) - x_y: 0, 1e4 + log 2 + 1e4, log 3
    expected = torch.tensor([0.0, 2e4 + math.log(2), math.log(3)], dtype=torch.float64)
    torch.testing.assert_close(loss, expected, **TOL)
    torch.testing.assert_close(loss, F.cross_entropy(logits, target, reduction="none"), **TOL)
    (grad,) = torch.autograd.grad(loss.sum(), logits)
    # d loss / d logits = softmax(x) - one_hot(y)
    expected_grad = torch.tensor([[0.0, 0, 0], [0.5, 0.5, -1], [1 / 3, -2 / 3, 1 / 3]],
                                 dtype=torch.float64)
    torch.testing.assert_close(grad, expected_grad, **TOL)
    float32 = losses.cross_entropy(logits.detach().float(), target)
    assert torch.isfinite(float32)


@SETTINGS
@given(seed=seeds, num_classes=st.integers(1, 6), n=st.integers(1, 5),
       eps=st.floats(0.0, 1.0))
def test_cross_entropy_gradient_is_p_minus_smoothed_target(seed, num_classes, n, eps):
    x, target = _class_case(seed, num_classes, (n,), 3.0)
    loss = losses.cross_entropy(x, target, label_smoothing=eps, reduction="sum")
    (grad,) = torch.autograd.grad(loss, x)
    q = (1 - eps) * F.one_hot(target, num_classes).double() + eps / num_classes
    torch.testing.assert_close(grad, torch.softmax(x.detach(), 1) - q, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@SETTINGS
@given(seed=seeds, num_classes=st.integers(1, 7), extra=st.sampled_from([(), (1,), (6,)]),
       scale=scales, margin=st.floats(-1.0, 3.0))
def test_multiclass_hinge_matches_pytorch(reduction, seed, num_classes, extra, scale, margin):
    x, target = _class_case(seed, num_classes, extra, scale)
    _assert_same(lambda a, b, **k: losses.multiclass_hinge(a, b, margin=margin, **k),
                 lambda a, b, **k: F.multi_margin_loss(a, b, margin=margin, **k),
                 x, target, reduction=reduction)


def test_multiclass_hinge_gradient_at_ties_matches_pytorch():
    scores = torch.tensor([[1.0, 0.0, 0.0], [2.0, 1.0, 3.0]], dtype=torch.float64,
                          requires_grad=True)  # margin - s_y + s_j is exactly 0 for some j
    target = torch.tensor([0, 0])
    _assert_same(losses.multiclass_hinge, F.multi_margin_loss, scores, target)


# ---------------------------------------------------------------------------------------------
# Shapes of the output and bad input
# ---------------------------------------------------------------------------------------------

ELEMENTWISE = ["mse", "mae", "msle", "mape", "huber", "smooth_l1", "binary_cross_entropy",
               "binary_cross_entropy_with_logits", "hinge", "exponential"]


def _valid_pair(name, shape):
    pred = torch.full(shape, 0.5)
    target = torch.ones(shape)
    return pred, target


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_reductions_have_the_right_shapes(name):
    fn = getattr(losses, name)
    pred, target = _valid_pair(name, (4, 3))
    assert fn(pred, target, reduction="none").shape == (4, 3)
    assert fn(pred, target, reduction="mean").shape == ()
    total = fn(pred, target, reduction="sum")
    torch.testing.assert_close(total, fn(pred, target, reduction="mean") * 12)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_no_silent_broadcasting_of_n_against_n_by_1(name):
    fn = getattr(losses, name)
    pred, _ = _valid_pair(name, (8,))
    _, target = _valid_pair(name, (8, 1))
    with pytest.raises(ValueError, match=r"shape \(8, 1\).*shape \(8,\)"):
        fn(pred, target)


@pytest.mark.parametrize("name", ELEMENTWISE + ["nll_loss", "cross_entropy", "multiclass_hinge"])
def test_unknown_reduction_is_refused(name):
    fn = getattr(losses, name)
    if name in ELEMENTWISE:
        a, b = _valid_pair(name, (3,))
    else:
        a, b = torch.zeros(2, 3), torch.tensor([0, 2])
    with pytest.raises(ValueError, match="reduction='avg'.*'mean', 'sum', 'none'"):
        fn(a, b, reduction="avg")


@pytest.mark.parametrize("name", ["nll_loss", "cross_entropy", "multiclass_hinge"])
@pytest.mark.parametrize("bad", [3, -1, 100])
def test_class_index_out_of_range(name, bad):
    fn = getattr(losses, name)
    with pytest.raises(ValueError, match=f"class index {bad}, outside \\[0, 3\\)"):
        fn(torch.zeros(2, 3), torch.tensor([0, bad]))


@pytest.mark.parametrize("name", ["nll_loss", "cross_entropy", "multiclass_hinge"])
def test_class_target_shape_and_dtype(name):
    fn = getattr(losses, name)
    with pytest.raises(ValueError, match=r"target has shape \(2, 1\).*needs target of shape"):
        fn(torch.zeros(2, 3), torch.tensor([[0], [1]]))
    with pytest.raises(TypeError, match="integer class indices.*float32"):
        fn(torch.zeros(2, 3), torch.tensor([0.0, 1.0]))


@pytest.mark.parametrize("name", ["hinge", "exponential"])
@pytest.mark.parametrize("bad", [0.0, 0.5, 2.0])
def test_sign_labels_must_be_plus_or_minus_one(name, bad):
    with pytest.raises(ValueError, match=f"target contains {bad}; targets must be -1 or \\+1"):
        getattr(losses, name)(torch.zeros(3), torch.tensor([1.0, bad, -1.0]))


@pytest.mark.parametrize("bad", [1.5, -0.1, float("nan")])
def test_probabilities_outside_unit_interval(bad):
    with pytest.raises(ValueError, match=f"probs contains {bad}; probs must lie in \\[0, 1\\]"):
        losses.binary_cross_entropy(torch.tensor([0.5, bad]), torch.tensor([1.0, 0.0]))
    with pytest.raises(ValueError, match=f"target contains {bad}; target must lie in"):
        losses.binary_cross_entropy(torch.tensor([0.5, 0.5]), torch.tensor([1.0, bad]))
    with pytest.raises(ValueError, match=f"target contains {bad}; target must lie in"):
        losses.binary_cross_entropy_with_logits(torch.zeros(2), torch.tensor([1.0, bad]))


def test_other_bad_arguments():
    x = torch.ones(3)
    with pytest.raises(ValueError, match="delta=0.0 is not allowed"):
        losses.huber(x, x, delta=0.0)
    with pytest.raises(ValueError, match="beta=-1.0 is not allowed"):
        losses.smooth_l1(x, x, beta=-1.0)
    with pytest.raises(ValueError, match="label_smoothing=1.5 is not allowed"):
        losses.cross_entropy(torch.zeros(2, 3), torch.tensor([0, 1]), label_smoothing=1.5)
    with pytest.raises(ValueError, match="pred contains -1.0; msle needs pred > -1"):
        losses.msle(torch.tensor([0.0, -1.0]), torch.ones(2))
    with pytest.raises(ValueError, match="target contains 0.0; mape divides by"):
        losses.mape(torch.ones(2), torch.tensor([1.0, 0.0]))
    with pytest.raises(TypeError, match="pred must be a floating-point tensor"):
        losses.mse(torch.tensor([1, 2]), torch.tensor([1, 2]))
    with pytest.raises(TypeError, match="pred must be a torch.Tensor, got list"):
        losses.mse([1.0], torch.ones(1))
    with pytest.raises(ValueError, match=r"scores has shape \(2, 3, 4\)"):
        losses.multiclass_hinge(torch.zeros(2, 3, 4), torch.zeros(2, 4, dtype=torch.long))


def test_public_api_is_the_chapters_list_of_losses():
    public = {n for n in losses.__all__ if callable(getattr(losses, n))}
    assert public == {"mse", "mae", "msle", "mape", "huber", "smooth_l1", "gaussian_nll_loss",
                      "binary_cross_entropy", "binary_cross_entropy_with_logits", "nll_loss",
                      "cross_entropy", "hinge", "multiclass_hinge", "exponential", "kl_div",
                      "sigmoid_focal_loss"}
    # every function is exported, and from a submodule of utils.losses (nothing re-exported
    # from elsewhere)
    for name in public:
        assert getattr(losses, name).__module__.startswith("utils.losses."), name
    defined = {n for n in dir(losses) if callable(getattr(losses, n))
               and getattr(getattr(losses, n), "__module__", "").startswith("utils.losses")
               and not n.startswith("_")}
    assert defined == public


# ---------------------------------------------------------------------------------------------
# Class weights and pos_weight against PyTorch
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@SETTINGS
@given(seed=seeds, num_classes=st.integers(1, 7), extra=class_shapes, scale=scales,
       label_smoothing=st.one_of(st.just(0.0), st.floats(0.0, 1.0)))
def test_weighted_cross_entropy_and_nll_match_pytorch(reduction, seed, num_classes, extra,
                                                      scale, label_smoothing):
    x, target = _class_case(seed, num_classes, extra, scale)
    weight = torch.rand(num_classes, generator=_gen(seed + 1), dtype=torch.float64) * 3 + 0.1
    _assert_same(
        lambda a, b, **k: losses.cross_entropy(a, b, label_smoothing, weight=weight, **k),
        lambda a, b, **k: F.cross_entropy(a, b, weight=weight, label_smoothing=label_smoothing,
                                          **k),
        x, target, reduction=reduction, grad_tol=dict(rtol=1e-9, atol=1e-12))
    _assert_same(lambda a, b, **k: losses.nll_loss(a, b, weight=weight, **k),
                 lambda a, b, **k: F.nll_loss(a, b, weight=weight, **k),
                 x, target, reduction=reduction)


def test_weighted_mean_is_the_weighted_average_of_the_samples_losses():
    logits = torch.randn(6, 3, generator=_gen(3), dtype=torch.float64)
    target = torch.tensor([0, 0, 0, 0, 1, 2])
    weight = torch.tensor([1.0, 4.0, 4.0], dtype=torch.float64)
    per_sample = losses.cross_entropy(logits, target, reduction="none")
    expected = (weight[target] * per_sample).sum() / weight[target].sum()
    torch.testing.assert_close(losses.cross_entropy(logits, target, weight=weight), expected,
                               **TOL)
    # equal weights change nothing
    torch.testing.assert_close(
        losses.cross_entropy(logits, target, weight=torch.full((3,), 2.5, dtype=torch.float64)),
        losses.cross_entropy(logits, target), **TOL)


pos_weight_shapes = st.sampled_from([((5,), ()), ((5,), (1,)), ((4, 3), (3,)), ((4, 3), (4, 3)),
                                     ((2, 3, 4), (4,)), ((2, 3, 4), (3, 1))])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@SETTINGS
@given(shapes=pos_weight_shapes, seed=seeds, scale=st.sampled_from([0.1, 1.0, 10.0, 100.0]),
       soft=st.booleans())
def test_bce_with_logits_pos_weight_matches_pytorch(reduction, shapes, seed, scale, soft):
    shape, weight_shape = shapes
    g = _gen(seed)
    logits = _randn(shape, g, scale)
    target = torch.rand(shape, generator=g, dtype=torch.float64)
    target = (target if soft else target.round()).requires_grad_()
    pos_weight = torch.rand(weight_shape, generator=g, dtype=torch.float64) * 20
    # PyTorch has no gradient w.r.t. pos_weight: compare the logits' and the target's
    ours = functools.partial(losses.binary_cross_entropy_with_logits, pos_weight=pos_weight)
    theirs = functools.partial(F.binary_cross_entropy_with_logits, pos_weight=pos_weight)
    _assert_same(ours, theirs, logits, target, reduction=reduction)


def test_pos_weight_one_is_plain_bce_and_weighs_only_the_positives():
    logits = torch.tensor([-30.0, -2.0, 0.0, 3.0, 40.0], dtype=torch.float64)
    for target in (torch.ones(5, dtype=torch.float64), torch.zeros(5, dtype=torch.float64)):
        plain = losses.binary_cross_entropy_with_logits(logits, target, reduction="none")
        one = losses.binary_cross_entropy_with_logits(logits, target, reduction="none",
                                                      pos_weight=torch.tensor(1.0))
        torch.testing.assert_close(one, plain, rtol=1e-15, atol=0)  # tiny losses kept exactly
        four = losses.binary_cross_entropy_with_logits(logits, target, reduction="none",
                                                       pos_weight=torch.tensor(4.0))
        torch.testing.assert_close(four, plain * (4.0 if target[0] == 1 else 1.0), **TOL)


def test_bad_weights_are_refused():
    logits, target = torch.zeros(2, 3), torch.tensor([0, 2])
    with pytest.raises(ValueError, match=r"weight has shape \(2,\); it must be \(3,\), one "):
        losses.cross_entropy(logits, target, weight=torch.ones(2))
    with pytest.raises(ValueError, match=r"weight contains -1.0; class weights must be finite"):
        losses.nll_loss(logits, target, weight=torch.tensor([1.0, -1.0, 1.0]))
    with pytest.raises(TypeError, match="weight must be a floating-point tensor"):
        losses.cross_entropy(logits, target, weight=torch.tensor([1, 2, 3]))
    with pytest.raises(ValueError, match=r"pos_weight contains nan; positive-class weights"):
        losses.binary_cross_entropy_with_logits(torch.zeros(3), torch.ones(3),
                                                pos_weight=torch.tensor([float("nan")]))
    with pytest.raises(ValueError, match=r"pos_weight has shape \(2,\), which does not "
                                         r"broadcast to logits of shape \(4, 3\)"):
        losses.binary_cross_entropy_with_logits(torch.zeros(4, 3), torch.ones(4, 3),
                                                pos_weight=torch.ones(2))
    with pytest.raises(ValueError, match=r"pos_weight has shape \(4, 1, 3\)"):  # would grow it
        losses.binary_cross_entropy_with_logits(torch.zeros(4, 3), torch.ones(4, 3),
                                                pos_weight=torch.ones(4, 1, 3))
    with pytest.raises(TypeError, match="pos_weight must be a torch.Tensor, got float"):
        losses.binary_cross_entropy_with_logits(torch.zeros(3), torch.ones(3), pos_weight=3.0)


# ---------------------------------------------------------------------------------------------
# Gaussian negative log-likelihood against PyTorch
# ---------------------------------------------------------------------------------------------


def _pytorch_gaussian_nll(input, target, var, **kwargs):
    """F.gaussian_nll_loss. PyTorch 2.1 (the lowest stack) takes `var` neither as a number nor
    with a size-1 dimension before the last one; there the same variances go in expanded to the
    input's shape (autograd sums the gradient back over the expanded dimensions)."""
    try:
        return F.gaussian_nll_loss(input, target, var, **kwargs)
    except (AttributeError, ValueError):
        if not isinstance(var, torch.Tensor):
            var = torch.full_like(input, var)
        elif var.dim() == input.dim():
            var = var.expand_as(input)
        else:
            raise
        return F.gaussian_nll_loss(input, target, var, **kwargs)


var_shapes = st.sampled_from([((5,), (5,)), ((4, 3), (4, 3)), ((4, 3), (4,)), ((4, 3), (4, 1)),
                              ((2, 3, 4), (2, 1, 4)), ((2, 3, 4), (2, 3)), ((3,), None)])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@SETTINGS
@given(shapes=var_shapes, seed=seeds, scale=scales, full=st.booleans(),
       eps=st.sampled_from([1e-6, 1e-2, 0.5]))
def test_gaussian_nll_loss_matches_pytorch(reduction, shapes, seed, scale, full, eps):
    shape, var_shape = shapes
    g = _gen(seed)
    pred, target = _randn(shape, g, scale), _randn(shape, g, scale)
    if var_shape is None:  # a number: the same variance for every prediction
        var = float(torch.rand((), generator=g)) * 3
        tensors = (pred, target)
        ours = lambda p, t, **k: losses.gaussian_nll_loss(p, t, var, **k)  # noqa: E731
        theirs = lambda p, t, **k: _pytorch_gaussian_nll(p, t, var, **k)  # noqa: E731
    else:
        # some variances below eps: clamped in the value, not in the gradient
        var = (torch.rand(var_shape, generator=g, dtype=torch.float64) ** 3 * 4
               ).requires_grad_()
        tensors = (pred, target, var)
        ours, theirs = losses.gaussian_nll_loss, _pytorch_gaussian_nll
    _assert_same(ours, theirs, *tensors, full=full, eps=eps, reduction=reduction,
                 grad_tol=dict(rtol=1e-9, atol=1e-10))


@SETTINGS
@given(seed=seeds, var=st.floats(1e-3, 1e3))
def test_gaussian_nll_with_a_fixed_variance_is_mse_scaled_plus_a_constant(seed, var):
    g = _gen(seed)
    pred, target = _randn((7, 2), g, 2.0), _randn((7, 2), g, 2.0)
    nll = losses.gaussian_nll_loss(pred, target, var, full=True)
    expected = losses.mse(pred, target) / (2 * var) + 0.5 * math.log(2 * math.pi * var)
    torch.testing.assert_close(nll, expected, **TOL)
    torch.testing.assert_close(nll, _pytorch_gaussian_nll(pred, target, var, full=True),
                               **TOL)


def test_gaussian_nll_bad_input():
    x = torch.zeros(4, 3)
    with pytest.raises(ValueError, match=r"var contains -1.0; a variance must be >= 0"):
        losses.gaussian_nll_loss(x, x, torch.tensor([1.0, -1.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match=r"var=-2.0 is not allowed; var must be >= 0.0"):
        losses.gaussian_nll_loss(x, x, -2.0)
    with pytest.raises(ValueError, match=r"var has shape \(3,\), which does not fit input of "
                                         r"shape \(4, 3\)"):
        losses.gaussian_nll_loss(x, x, torch.ones(3))
    with pytest.raises(ValueError, match=r"var has shape \(1, 1\)"):  # two size-1 dimensions
        losses.gaussian_nll_loss(x, x, torch.ones(1, 1))
    with pytest.raises(TypeError, match="full=1 is not allowed; full must be True or False"):
        losses.gaussian_nll_loss(x, x, 1.0, full=1)
    with pytest.raises(ValueError, match=r"eps=-1.0 is not allowed; eps must be >= 0.0"):
        losses.gaussian_nll_loss(x, x, 1.0, eps=-1.0)
    with pytest.raises(ValueError, match="reduction='batchmean' is not allowed"):
        losses.gaussian_nll_loss(x, x, 1.0, reduction="batchmean")


# ---------------------------------------------------------------------------------------------
# KL divergence against F.kl_div
# ---------------------------------------------------------------------------------------------

KL_REDUCTIONS = ("mean", "batchmean", "sum", "none")
kl_shapes = st.sampled_from([(1,), (6,), (1, 4), (5, 3), (2, 3, 4), (3, 2, 2, 2)])


def _distributions(shape, g, scale, zeros=False):
    """log q (a log-softmax along dim 1, or dim 0 for 1-D) and p (a softmax, some entries 0)."""
    dim = 1 if len(shape) > 1 else 0
    log_q = torch.log_softmax(torch.randn(shape, generator=g, dtype=torch.float64) * scale, dim)
    p = torch.softmax(torch.randn(shape, generator=g, dtype=torch.float64) * scale, dim)
    if zeros:
        p = torch.where(torch.rand(shape, generator=g, dtype=torch.float64) < 0.3,
                        torch.zeros_like(p), p)
    return log_q.requires_grad_(), p


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides:UserWarning")  # F.kl_div's "mean"
@pytest.mark.parametrize("reduction", KL_REDUCTIONS)
@SETTINGS
@given(shape=kl_shapes, seed=seeds, scale=st.sampled_from([0.1, 1.0, 5.0, 30.0]))
def test_kl_div_matches_pytorch(reduction, shape, seed, scale):
    g = _gen(seed)
    log_q, p = _distributions(shape, g, scale)
    p = p.clamp(min=1e-300).requires_grad_()  # > 0: the gradient w.r.t. p is finite
    _assert_same(losses.kl_div, F.kl_div, log_q, p, reduction=reduction)  # grads w.r.t. both
    log_p = torch.log(p.detach()).requires_grad_()
    _assert_same(lambda a, b, **k: losses.kl_div(a, b, log_target=True, **k),
                 lambda a, b, **k: F.kl_div(a, b, log_target=True, **k),
                 log_q, log_p, reduction=reduction)


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides:UserWarning")
@pytest.mark.parametrize("reduction", KL_REDUCTIONS)
@SETTINGS
@given(shape=kl_shapes, seed=seeds)
def test_kl_div_with_zero_probabilities_matches_pytorch(reduction, shape, seed):
    """0 log 0 = 0: a class the data never has costs nothing, whatever the model says."""
    g = _gen(seed)
    log_q, p = _distributions(shape, g, 3.0, zeros=True)
    _assert_same(losses.kl_div, F.kl_div, log_q, p, reduction=reduction)  # grad w.r.t. log q


@SETTINGS
@given(seed=seeds, n=st.integers(1, 6), num_classes=st.integers(1, 8),
       scale=st.sampled_from([0.1, 1.0, 5.0]))
def test_cross_entropy_is_entropy_plus_kl(seed, n, num_classes, scale):
    """-sum p log q = H(p) + KL(p || q) per row; batchmean is the mean of the rows' KL."""
    g = _gen(seed)
    log_q, p = _distributions((n, num_classes), g, scale)
    log_q = log_q.detach()
    kl_rows = losses.kl_div(log_q, p, reduction="none").sum(dim=1)  # (N,)
    torch.testing.assert_close(losses.kl_div(log_q, p, reduction="batchmean"), kl_rows.mean(),
                               **TOL)
    assert (kl_rows >= -1e-15).all()
    entropy = -(p * torch.log(p)).sum(dim=1)  # (N,)
    cross = F.cross_entropy(log_q, p, reduction="none")  # PyTorch, probability targets
    torch.testing.assert_close(cross, entropy + kl_rows, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(losses.kl_div(torch.log(p), p, reduction="sum"),
                               torch.zeros((), dtype=torch.float64), rtol=0, atol=1e-12)


def test_kl_div_bad_input_names_the_mistake():
    log_q = torch.log_softmax(torch.randn(2, 3), dim=1)
    p = torch.softmax(torch.randn(2, 3), dim=1)
    with pytest.raises(ValueError, match="reduction='avg' is not allowed; choose one of 'mean', "
                                         "'batchmean', 'sum', 'none'"):
        losses.kl_div(log_q, p, reduction="avg")
    with pytest.raises(ValueError, match=r"input contains 0\.\d+; input must hold "
                                         r"log-probabilities, which are <= 0 \(pass log_softmax"):
        losses.kl_div(p, p)  # probabilities where log-probabilities belong
    with pytest.raises(ValueError, match=r"target contains -0.5; target must lie in \[0, 1\] "
                                         r"\(probabilities; pass log_target=True"):
        losses.kl_div(log_q, torch.tensor([[0.5, 1.0, -0.5], [0.2, 0.3, 0.5]]))
    with pytest.raises(ValueError, match=r"target contains 0\.\d+; target must hold "
                                         r"log-probabilities, which are <= 0 with log_target"):
        losses.kl_div(log_q, p, log_target=True)
    with pytest.raises(ValueError, match="input contains nan"):
        losses.kl_div(torch.tensor([float("nan"), -1.0]), torch.tensor([0.5, 0.5]))
    with pytest.raises(TypeError, match="log_target='yes' is not allowed; log_target must be "
                                        "True or False"):
        losses.kl_div(log_q, p, log_target="yes")
    with pytest.raises(ValueError, match=r"target has shape \(3,\) but input has shape \(2, 3\)"):
        losses.kl_div(log_q, p[0])


# ---------------------------------------------------------------------------------------------
# Focal loss against torchvision.ops.sigmoid_focal_loss
# ---------------------------------------------------------------------------------------------

FOCAL_REDUCTIONS = ("none", "mean", "sum")


def _torchvision_focal(inputs, targets, alpha=0.25, gamma=2.0, reduction="none"):
    from torchvision.ops import sigmoid_focal_loss
    return sigmoid_focal_loss(inputs, targets, alpha=alpha, gamma=gamma, reduction=reduction)


@pytest.mark.parametrize("reduction", FOCAL_REDUCTIONS)
@SETTINGS
@given(shape=shapes, seed=seeds, scale=st.sampled_from([0.1, 1.0, 5.0, 20.0]),
       alpha=st.one_of(st.just(0.25), st.just(-1.0), st.just(0.0), st.just(1.0),
                       st.floats(0.0, 1.0)),
       gamma=st.one_of(st.sampled_from([0.0, 1.0, 2.0, 5.0]), st.floats(1.0, 6.0)),
       soft=st.booleans())
def test_sigmoid_focal_loss_matches_torchvision(reduction, shape, seed, scale, alpha, gamma,
                                                soft):
    g = _gen(seed)
    logits = _randn(shape, g, scale)
    targets = torch.rand(shape, generator=g, dtype=torch.float64)
    targets = (targets if soft else targets.round()).requires_grad_()
    # values and the gradients w.r.t. the logits and the targets, through torch.autograd
    _assert_same(losses.sigmoid_focal_loss, _torchvision_focal, logits, targets, alpha=alpha,
                 gamma=gamma, reduction=reduction, grad_tol=dict(rtol=1e-9, atol=1e-12))


@SETTINGS
@given(seed=seeds, gamma=st.floats(0.1, 1.0))
def test_sigmoid_focal_loss_with_gamma_below_one_matches_torchvision(seed, gamma):
    """(1 - p_t)^gamma has an infinite slope at 0 for gamma < 1: keep 1 - p_t away from 0."""
    g = _gen(seed)
    logits = _randn((20,), g, 3.0)
    targets = torch.rand(20, generator=g, dtype=torch.float64).round()
    _assert_same(losses.sigmoid_focal_loss, _torchvision_focal, logits, targets, alpha=0.25,
                 gamma=gamma, reduction="sum", grad_tol=dict(rtol=1e-9, atol=1e-12))


def test_focal_loss_is_bce_scaled_by_the_modulating_factor():
    logits = torch.tensor([-4.0, -1.0, 0.0, 2.2, 6.0], dtype=torch.float64)
    targets = torch.tensor([0.0, 1.0, 1.0, 1.0, 0.0], dtype=torch.float64)
    bce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    # gamma = 0 and no alpha: plain binary cross-entropy
    torch.testing.assert_close(losses.sigmoid_focal_loss(logits, targets, alpha=-1, gamma=0.0),
                               bce, **TOL)
    p_t = torch.where(targets == 1, torch.sigmoid(logits), torch.sigmoid(-logits))
    focal = losses.sigmoid_focal_loss(logits, targets, alpha=-1, gamma=2.0)
    torch.testing.assert_close(focal, (1 - p_t) ** 2 * bce, **TOL)
    # an easy example, p_t = 0.9, keeps (1 - 0.9)^2 = 1% of its cross-entropy
    easy = torch.tensor([math.log(9.0)], dtype=torch.float64)  # sigmoid(log 9) = 0.9
    one = torch.ones(1, dtype=torch.float64)
    ratio = (losses.sigmoid_focal_loss(easy, one, alpha=-1)
             / F.binary_cross_entropy_with_logits(easy, one)).item()
    assert ratio == pytest.approx(0.01, rel=1e-12)


def test_focal_loss_is_finite_and_exact_for_huge_logits():
    logits = torch.tensor([1e4, -1e4, 1e4, -1e4, 60.0], dtype=torch.float64, requires_grad=True)
    targets = torch.tensor([1.0, 0.0, 0.0, 1.0, 0.0], dtype=torch.float64)
    loss = losses.sigmoid_focal_loss(logits, targets, alpha=-1, gamma=2.0)
    # right and sure: 0; wrong and sure: (1 - 0)^2 * 1e4; 60 for a negative: about 60
    torch.testing.assert_close(loss.detach(),
                               torch.tensor([0.0, 0.0, 1e4, 1e4, 60.0], dtype=torch.float64),
                               **TOL)
    (grad,) = torch.autograd.grad(loss.sum(), logits)
    assert torch.isfinite(grad).all()
    assert torch.isfinite(losses.sigmoid_focal_loss(logits.detach().float(),
                                                    targets.float())).all()


def test_focal_loss_bad_input():
    x, t = torch.zeros(3), torch.tensor([0.0, 1.0, 1.0])
    with pytest.raises(ValueError, match=r"alpha=1.5 is not allowed; alpha must lie in \[0, 1\], "
                                         "or be -1 for no class weighting"):
        losses.sigmoid_focal_loss(x, t, alpha=1.5)
    with pytest.raises(ValueError, match=r"alpha=-0.5 is not allowed"):
        losses.sigmoid_focal_loss(x, t, alpha=-0.5)
    with pytest.raises(ValueError, match=r"gamma=-1.0 is not allowed; gamma must be >= 0.0"):
        losses.sigmoid_focal_loss(x, t, gamma=-1.0)
    with pytest.raises(ValueError, match="reduction='batchmean' is not allowed; choose one of "
                                         "'none', 'mean', 'sum'"):
        losses.sigmoid_focal_loss(x, t, reduction="batchmean")
    with pytest.raises(ValueError, match=r"targets contains 2.0; targets must lie in \[0, 1\]"):
        losses.sigmoid_focal_loss(x, torch.tensor([0.0, 2.0, 1.0]))
    with pytest.raises(ValueError, match=r"targets has shape \(3, 1\) but inputs has shape"):
        losses.sigmoid_focal_loss(x, t.unsqueeze(1))
    with pytest.raises(TypeError, match="inputs must be a floating-point tensor"):
        losses.sigmoid_focal_loss(torch.zeros(3, dtype=torch.long), t)
