"""utils.losses against torch.nn.functional (the oracle) in float64: values and gradients."""

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
    public = {n for n in dir(losses) if not n.startswith("_") and callable(getattr(losses, n))
              and getattr(getattr(losses, n), "__module__", "") == "utils.losses"}
    assert public == {"mse", "mae", "msle", "mape", "huber", "smooth_l1",
                      "binary_cross_entropy", "binary_cross_entropy_with_logits", "nll_loss",
                      "cross_entropy", "hinge", "multiclass_hinge", "exponential"}
