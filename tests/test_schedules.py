"""utils.schedules against torch.optim.lr_scheduler: the rate every step of a run uses, for
random settings of every schedule, and what OneCycleLR does to the momentum."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from utils import schedules as SCH

S = torch.optim.lr_scheduler
RTOL = 1e-10  # PyTorch's recursive forms against our closed forms: rounding only


def torch_values(make_scheduler, num_steps, lr, *, momentum=0.0, adam=False):
    """What each of num_steps updates uses under a PyTorch scheduler (lr, momentum)."""
    param = torch.zeros(1, requires_grad=True)
    opt = (torch.optim.Adam([param], lr=lr, betas=(momentum, 0.999)) if adam
           else torch.optim.SGD([param], lr=lr, momentum=momentum))
    scheduler = make_scheduler(opt)
    lrs, momenta = [], []
    for t in range(num_steps):
        group = opt.param_groups[0]
        lrs.append(group["lr"])
        momenta.append(group["betas"][0] if adam else group["momentum"])
        if t < num_steps - 1:  # the scheduler steps between updates
            opt.step()
            scheduler.step()
    return lrs, momenta


def assert_same(ours, theirs, rtol=RTOL):
    assert len(ours) == len(theirs)
    for t, (a, b) in enumerate(zip(ours, theirs)):
        assert math.isclose(a, b, rel_tol=rtol, abs_tol=1e-300), (t, a, b)


base_lr = st.floats(1e-4, 2.0)


@given(base_lr, st.integers(1, 30), st.floats(0.05, 1.0), st.integers(1, 120))
def test_step_lr(lr, step_size, gamma, num_steps):
    theirs, _ = torch_values(lambda o: S.StepLR(o, step_size, gamma), num_steps, lr)
    assert_same([SCH.step_lr(t, lr, step_size, gamma) for t in range(num_steps)], theirs)


@given(base_lr, st.lists(st.integers(1, 100), min_size=1, max_size=4, unique=True),
       st.floats(0.05, 1.0), st.integers(1, 120))
def test_multistep_lr(lr, milestones, gamma, num_steps):
    theirs, _ = torch_values(lambda o: S.MultiStepLR(o, sorted(milestones), gamma),
                             num_steps, lr)
    ours = [SCH.multistep_lr(t, lr, milestones, gamma) for t in range(num_steps)]
    assert_same(ours, theirs)


@given(base_lr, st.integers(1, 60), st.floats(0.0, 1.0), st.integers(1, 150))
def test_cosine_annealing_lr(lr, T_max, min_fraction, num_steps):
    """Also past T_max, where PyTorch's cosine goes back up."""
    eta_min = lr * min_fraction
    theirs, _ = torch_values(lambda o: S.CosineAnnealingLR(o, T_max, eta_min), num_steps, lr)
    ours = [SCH.cosine_annealing_lr(t, lr, T_max, eta_min) for t in range(num_steps)]
    # the recursion loses digits where the rate is tiny, next to eta_min
    for a, b in zip(ours, theirs):
        assert math.isclose(a, b, rel_tol=1e-8, abs_tol=1e-12 * lr)


@given(base_lr, st.floats(0.01, 1.0), st.floats(0.0, 1.0), st.integers(1, 50),
       st.integers(1, 80))
def test_linear_lr(lr, start_factor, end_factor, total_iters, num_steps):
    theirs, _ = torch_values(lambda o: S.LinearLR(o, start_factor, end_factor, total_iters),
                             num_steps, lr)
    ours = [SCH.linear_lr(t, lr, start_factor, end_factor, total_iters)
            for t in range(num_steps)]
    for a, b in zip(ours, theirs):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12 * lr)


@given(base_lr, st.integers(1, 30), st.integers(1, 60), st.floats(0.001, 1.0),
       st.floats(0.0, 0.1))
def test_warmup_cosine_lr_is_sequential_lr(lr, warmup, cosine_steps, start_factor,
                                           min_fraction):
    total = warmup + cosine_steps
    eta_min = lr * min_fraction

    def make(o):
        return S.SequentialLR(o, [S.LinearLR(o, start_factor, 1.0, warmup),
                                  S.CosineAnnealingLR(o, cosine_steps, eta_min)],
                              milestones=[warmup])

    theirs, _ = torch_values(make, total + 1, lr)
    ours = [SCH.warmup_cosine_lr(t, lr, warmup, total, start_factor, eta_min)
            for t in range(total + 1)]
    for a, b in zip(ours, theirs):
        assert math.isclose(a, b, rel_tol=1e-8, abs_tol=1e-12 * lr)


one_cycle_settings = st.fixed_dictionaries({
    "max_lr": st.floats(1e-4, 2.0), "total_steps": st.integers(2, 300),
    "pct_start": st.floats(0.05, 0.95), "anneal_strategy": st.sampled_from(["cos", "linear"]),
    "div_factor": st.floats(1.5, 100.0), "final_div_factor": st.floats(1.0, 1e5),
    "three_phase": st.booleans(), "base_momentum": st.floats(0.5, 0.9),
    "max_momentum": st.floats(0.9, 0.99)})


@settings(max_examples=200)
@given(one_cycle_settings, st.booleans())
def test_one_cycle_lr_and_momentum(kw, adam):
    """Every step of the cycle, its last included, for SGD's momentum and for Adam's beta1."""
    lr_kw = {k: kw[k] for k in ("max_lr", "total_steps", "pct_start", "anneal_strategy",
                                "div_factor", "final_div_factor", "three_phase")}
    mom_kw = {k: kw[k] for k in ("total_steps", "pct_start", "anneal_strategy", "three_phase",
                                 "base_momentum", "max_momentum")}
    try:
        theirs = torch_values(lambda o: S.OneCycleLR(o, **kw), kw["total_steps"] + 1, 0.5,
                              momentum=0.9, adam=adam)
    except (ValueError, ZeroDivisionError):  # a phase of no steps: PyTorch divides by zero
        with pytest.raises(ValueError, match="gives phase"):
            for t in range(kw["total_steps"] + 1):
                SCH.one_cycle_lr(t, **lr_kw)
        return
    steps = range(kw["total_steps"] + 1)
    for ours, their in ((list(SCH.one_cycle_lr(t, **lr_kw) for t in steps), theirs[0]),
                        (list(SCH.one_cycle_momentum(t, **mom_kw) for t in steps), theirs[1])):
        for a, b in zip(ours, their):
            assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-15)


def test_one_cycle_replaces_lr_and_momentum_and_refuses_extra_steps():
    """The optimizer's own lr and momentum are gone at once; step total_steps + 1 raises."""
    lrs, momenta = SCH.scheduled_values(lambda o: S.OneCycleLR(o, max_lr=5e-3, total_steps=6),
                                        7, lr=3e-3, momentum=0.0)
    assert lrs[0] == pytest.approx(5e-3 / 25) and momenta[0] == 0.95
    assert lrs == pytest.approx([SCH.one_cycle_lr(t, 5e-3, 6) for t in range(7)])
    with pytest.raises(ValueError, match="Tried to step"):
        SCH.scheduled_values(lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=6), 8)
    with pytest.raises(ValueError, match=r"step=7 is not allowed with total_steps=6"):
        SCH.one_cycle_lr(7, 1.0, 6)


def test_one_cycle_shape():
    """Starts at max_lr / div_factor, peaks at max_lr, ends at max_lr / (div * final_div)."""
    lrs = [SCH.one_cycle_lr(t, 1.0, 100) for t in range(100)]
    assert lrs[0] == pytest.approx(1 / 25) and max(lrs) == pytest.approx(1.0)
    assert lrs.index(max(lrs)) == 29 and lrs[-1] == pytest.approx(1 / 25 / 1e4)


def test_scheduled_values_adam_and_its_checks():
    lrs, betas = SCH.scheduled_values(
        lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=10), 10, optimizer="adam",
        momentum=0.9)
    assert betas == pytest.approx([SCH.one_cycle_momentum(t, 10) for t in range(10)])
    assert SCH.scheduled_values(lambda o: S.StepLR(o, 2), 4, lr=1.0)[0] == pytest.approx(
        [1.0, 1.0, 0.1, 0.1])
    with pytest.raises(TypeError, match="make_scheduler.*callable"):
        SCH.scheduled_values(None, 3)
    with pytest.raises(ValueError, match="optimizer='rmsprop' is not allowed; choose one of "
                                         "'sgd', 'adam'"):
        SCH.scheduled_values(lambda o: S.StepLR(o, 2), 3, optimizer="rmsprop")
    with pytest.raises(TypeError, match=r"make_scheduler\(optimizer\).step"):
        SCH.scheduled_values(lambda o: None, 3)


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: SCH.step_lr(-1, 0.1, 10), ValueError, "step=-1 is not allowed; step must be a "
                                                    "non-negative integer"),
    (lambda: SCH.step_lr(1.5, 0.1, 10), TypeError, "step=1.5 is not allowed; step must be an "
                                                    "integer"),
    (lambda: SCH.step_lr(1, -0.1, 10), ValueError, r"base_lr=-0.1 is not allowed; base_lr "
                                                    "must be >= 0"),
    (lambda: SCH.step_lr(1, 0.1, 0), ValueError, "step_size=0 is not allowed; step_size must "
                                                  "be a positive integer"),
    (lambda: SCH.multistep_lr(1, 0.1, 30), TypeError, "milestones=30 is not allowed; "
                                                       "milestones must be a sequence"),
    (lambda: SCH.multistep_lr(1, 0.1, [30, 0]), ValueError, r"milestones\[1\]=0 is not "
                                                             "allowed"),
    (lambda: SCH.cosine_annealing_lr(1, 0.1, 0), ValueError, "T_max=0 is not allowed"),
    (lambda: SCH.linear_lr(1, 0.1, start_factor=0.0), ValueError,
     "start_factor=0.0 is not allowed; start_factor must be > 0.0"),
    (lambda: SCH.linear_lr(1, 0.1, end_factor=1.5), ValueError,
     "end_factor=1.5 is not allowed; end_factor must be <= 1.0"),
    (lambda: SCH.warmup_cosine_lr(1, 0.1, 10, 10), ValueError,
     "total_steps=10 is not allowed with warmup_steps=10; total_steps must be larger"),
    (lambda: SCH.one_cycle_lr(1, 0.1, 10, anneal_strategy="cosine"), ValueError,
     "anneal_strategy='cosine' is not allowed; choose one of 'cos', 'linear'"),
    (lambda: SCH.one_cycle_lr(1, 0.1, 10, pct_start=1.5), ValueError,
     "pct_start=1.5 is not allowed; pct_start must be <= 1.0"),
    (lambda: SCH.one_cycle_lr(0, 0.1, 10, pct_start=0.1), ValueError,
     "pct_start=0.1 with total_steps=10 is not allowed; it gives phase 1 of the cycle no "
     "steps"),
    (lambda: SCH.one_cycle_lr(1, 0.1, 10, div_factor=0), ValueError,
     "div_factor=0.0 is not allowed; div_factor must be > 0.0"),
    (lambda: SCH.one_cycle_momentum(1, 10, max_momentum=1.2), ValueError,
     "max_momentum=1.2 is not allowed; max_momentum must be <= 1.0"),
])
def test_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()
