"""utils.optim against torch.optim: 200 steps in float64 on a quadratic, on Rosenbrock and on a
small MLP with two parameter groups must give the same parameters to 1e-9, for every option, on
every problem where the run contracts (checked); where it does not, 20 steps to 1e-13."""

import math

import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from torch import nn

from utils import optim as O

pytestmark = pytest.mark.usefixtures("one_thread")  # tiny tensors (tests/conftest.py)


# (name, kwargs): every optimizer with its defaults and each option, alone and combined
CONFIGS = [
    ("SGD", {}),
    ("SGD", {"momentum": 0.9}),
    ("SGD", {"momentum": 0.9, "dampening": 0.5}),
    ("SGD", {"momentum": 0.8, "nesterov": True}),
    ("SGD", {"weight_decay": 0.1}),
    ("SGD", {"momentum": 0.5, "dampening": 0.1, "weight_decay": 0.05}),
    ("SGD", {"momentum": 0.9, "nesterov": True, "weight_decay": 0.05}),
    ("Adagrad", {}),
    ("Adagrad", {"lr_decay": 0.01}),
    ("Adagrad", {"weight_decay": 0.1}),
    ("Adagrad", {"initial_accumulator_value": 0.5}),
    ("Adagrad", {"eps": 1e-3}),
    ("Adagrad", {"lr_decay": 0.05, "weight_decay": 0.05, "initial_accumulator_value": 0.1}),
    ("Adadelta", {}),
    ("Adadelta", {"rho": 0.5}),
    ("Adadelta", {"eps": 1e-3, "lr": 0.1}),
    ("Adadelta", {"weight_decay": 0.1}),
    ("Adadelta", {"lr": 0.5, "rho": 0.95, "weight_decay": 0.01}),
    ("RMSprop", {}),
    ("RMSprop", {"alpha": 0.95}),
    ("RMSprop", {"centered": True}),
    ("RMSprop", {"momentum": 0.9}),
    ("RMSprop", {"centered": True, "momentum": 0.5}),
    ("RMSprop", {"weight_decay": 0.1}),
    ("RMSprop", {"eps": 1e-3, "centered": True, "momentum": 0.3, "weight_decay": 0.05}),
    ("Adam", {}),
    ("Adam", {"betas": (0.8, 0.99)}),
    ("Adam", {"amsgrad": True}),
    ("Adam", {"weight_decay": 0.1}),
    ("Adam", {"eps": 1e-3}),
    ("Adam", {"betas": (0.5, 0.99), "amsgrad": True, "weight_decay": 0.05}),
    ("AdamW", {}),
    ("AdamW", {"amsgrad": True}),
    ("AdamW", {"weight_decay": 0.5}),
    ("AdamW", {"weight_decay": 0.0}),
    ("AdamW", {"betas": (0.8, 0.95), "amsgrad": True, "weight_decay": 0.1}),
]
IDS = [f"{n}-{k}" if k else n for n, k in CONFIGS]
# Settings are chosen so the runs contract: where an optimizer keeps oscillating (e.g. Adam with
# beta1=0.5, Adadelta with eps=1e-3 and lr=1), rounding differences of 1e-16 between two correct
# implementations grow ~1e3x per 5 steps and no fixed tolerance can hold for 200 steps. The
# first-steps test below covers those chaotic settings instead, to 1e-13, and
# test_the_200_step_settings_contract checks that every pair the 200-step test keeps contracts.

# learning rates that keep each problem finite for 200 steps (an explicit lr in kwargs wins)
LRS = {
    "quadratic": {"SGD": 0.05, "Adagrad": 0.3, "Adadelta": 0.5, "RMSprop": 0.01, "Adam": 0.05,
                  "AdamW": 0.05},
    "rosenbrock": {"SGD": 2e-4, "Adagrad": 0.05, "Adadelta": 1.0, "RMSprop": 1e-3,
                   "Adam": 0.01, "AdamW": 0.01},
    "mlp": {"SGD": 0.05, "Adagrad": 0.05, "Adadelta": 1.0, "RMSprop": 1e-3, "Adam": 0.01,
            "AdamW": 0.01},
}


def make_problem(name: str):
    """(list of param groups as plain dicts without lr, loss function), all float64."""
    gen = torch.Generator().manual_seed(0)
    if name == "quadratic":
        q = torch.randn(6, 6, generator=gen, dtype=torch.float64)
        a = q @ q.T + 0.1 * torch.eye(6, dtype=torch.float64)  # (6, 6) symmetric positive
        b = torch.randn(6, generator=gen, dtype=torch.float64)
        x = torch.randn(6, generator=gen, dtype=torch.float64).requires_grad_()
        return [{"params": [x]}], lambda: 0.5 * x @ a @ x - b @ x
    if name == "rosenbrock":
        x = torch.tensor([-1.2, 1.0], dtype=torch.float64, requires_grad=True)
        return [{"params": [x]}], lambda: O.rosenbrock(x)
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2)).double()
    inputs = torch.randn(32, 3, generator=gen, dtype=torch.float64)  # (N, 3)
    targets = torch.randn(32, 2, generator=gen, dtype=torch.float64)  # (N, 2)
    # two groups: the second overrides the learning rate (and the weight decay where present)
    groups = [{"params": list(net[0].parameters())}, {"params": list(net[2].parameters())}]
    return groups, lambda: ((net(inputs) - targets) ** 2).mean()


def run(module, name, kwargs, problem, steps=200, shift=0.0):
    """The parameters after `steps` steps; `shift` moves every starting value by that much."""
    groups, loss_fn = make_problem(problem)
    with torch.no_grad():
        for group in groups:
            for p in group["params"]:
                p.add_(shift)
    kwargs = {"lr": LRS[problem][name], **kwargs}
    if len(groups) == 2:
        groups[1]["lr"] = kwargs["lr"] * 0.5
        if kwargs.get("weight_decay"):
            groups[1]["weight_decay"] = kwargs["weight_decay"] * 2
    opt = getattr(module, name)(groups, **kwargs)
    for _ in range(steps):
        opt.zero_grad()
        loss_fn().backward()
        opt.step()
    return [p.detach().clone() for g in opt.param_groups for p in g["params"]]


PROBLEMS = ["quadratic", "rosenbrock", "mlp"]
# (config id, problem) pairs whose 200 steps do not contract (measured by the test below): a
# 1e-12 change of the start ends more than 1e-9 away. They match for 20 steps instead. The test
# had passed on them only where both implementations happened to round alike: on another CPU,
# torch 2.1's RMSprop ended 1e-5 away from ours on the quadratic.
GROWING = {("Adadelta-{'rho': 0.5}", "rosenbrock"),
           ("Adadelta-{'eps': 0.001, 'lr': 0.1}", "rosenbrock"),
           ("RMSprop-{'alpha': 0.95}", "quadratic")}


def pairs(growing: bool):
    """Every (config, problem) pair whose membership of GROWING is `growing`."""
    return [pytest.param(name, kwargs, problem, id=f"{i}-{problem}")
            for (name, kwargs), i in zip(CONFIGS, IDS) for problem in PROBLEMS
            if ((i, problem) in GROWING) is growing]


@pytest.mark.parametrize(("name", "kwargs", "problem"), pairs(False) + pairs(True))
def test_the_200_step_settings_contract(name, kwargs, problem):
    """The premise of the 200-step test, checked: a change of 1e-12 at the start, ten thousand
    times a rounding difference of one step, ends within its 1e-9 tolerance; and the pairs left
    out for growing really do grow, so the list cannot hide a contracting pair."""
    end = run(torch.optim, name, kwargs, problem)
    moved = run(torch.optim, name, kwargs, problem, shift=1e-12)
    gap = max(float((a - b).abs().max()) for a, b in zip(end, moved))
    if (f"{name}-{kwargs}" if kwargs else name, problem) in GROWING:  # as IDS writes it
        assert gap > 1e-9, f"this pair contracts (gap {gap:.1e}): move it back to 200 steps"
    else:
        assert gap < 1e-9, f"1e-12 at the start grows to {gap:.1e} in 200 steps"


@pytest.mark.parametrize(("name", "kwargs", "problem"), pairs(False))
def test_matches_torch_for_200_steps(name, kwargs, problem):
    ours = run(O, name, kwargs, problem)
    theirs = run(torch.optim, name, kwargs, problem)
    start = [p.detach() for g in make_problem(problem)[0] for p in g["params"]]
    moved = max(float((a - s).abs().max()) for a, s in zip(theirs, start))
    assert moved > 1e-3, "the problem must actually move the parameters"
    for a, b in zip(ours, theirs):
        assert torch.isfinite(b).all()
        torch.testing.assert_close(a, b, rtol=0, atol=1e-9)


CHAOTIC = [("Adadelta", {"eps": 1e-3}), ("Adam", {"betas": (0.5, 0.9)}),
           ("Adam", {"betas": (0.0, 0.99), "amsgrad": True, "weight_decay": 0.05}),
           ("RMSprop", {"alpha": 0.9})]


OSCILLATING = ([(name, kwargs, problem) for name, kwargs in CHAOTIC
                for problem in ("quadratic", "mlp")]
               + [p.values for p in pairs(True)])


@pytest.mark.parametrize(("name", "kwargs", "problem"), OSCILLATING,
                         ids=[f"{n}-{k}-{p}" for n, k, p in OSCILLATING])
def test_oscillating_settings_match_for_20_steps(name, kwargs, problem):
    for a, b in zip(run(O, name, kwargs, problem, steps=20),
                    run(torch.optim, name, kwargs, problem, steps=20)):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-13)


unit = st.floats(0.0, 0.99)
small = st.floats(0.0, 0.5)
lr = st.floats(1e-4, 0.5)
RANDOM_KWARGS = st.one_of(
    st.builds(lambda lr, m, d, wd, nest: ("SGD", dict(lr=lr, momentum=m, weight_decay=wd,
                                                      dampening=0.0 if nest else d,
                                                      nesterov=nest and m > 0)),
              lr, unit, unit, small, st.booleans()),
    st.builds(lambda lr, dec, wd, init, eps: ("Adagrad", dict(
        lr=lr, lr_decay=dec, weight_decay=wd, initial_accumulator_value=init, eps=eps)),
              lr, small, small, small, st.floats(1e-10, 1e-2)),
    st.builds(lambda lr, rho, wd, eps: ("Adadelta", dict(lr=lr, rho=rho, weight_decay=wd,
                                                         eps=eps)),
              st.floats(0.01, 2.0), unit, small, st.floats(1e-8, 1e-2)),
    st.builds(lambda lr, a, wd, m, c: ("RMSprop", dict(lr=lr, alpha=a, weight_decay=wd,
                                                       momentum=m, centered=c)),
              lr, st.floats(0.5, 0.99), small, unit, st.booleans()),  # alpha=0 centred: 0/0
    st.builds(lambda name, lr, b1, b2, wd, ams: (name, dict(lr=lr, betas=(b1, b2),
                                                           weight_decay=wd, amsgrad=ams)),
              st.sampled_from(["Adam", "AdamW"]), lr, unit, unit, small, st.booleans()),
)


def ten_steps(module, config, seed, shift=0.0):
    """x after 10 steps on the random quadratic of `seed`, started `shift` away."""
    name, kwargs = config
    gen = torch.Generator().manual_seed(seed)
    q = torch.randn(4, 4, generator=gen, dtype=torch.float64)
    a = q @ q.T / 4 + 0.1 * torch.eye(4, dtype=torch.float64)  # (4, 4) symmetric positive
    x = (torch.randn(4, generator=gen, dtype=torch.float64) + shift).requires_grad_()
    opt = getattr(module, name)([x], **kwargs)
    for _ in range(10):
        opt.zero_grad()
        (0.5 * x @ a @ x).backward()
        opt.step()
    return x.detach()


@settings(max_examples=300)
@given(config=RANDOM_KWARGS, seed=st.integers(0, 2**16))
def test_random_settings_match_torch_for_10_steps(config, seed):
    """Random hyper-parameters (every option at once) on a random quadratic: 10 steps agree,
    wherever the run itself does not blow up rounding. Some draws do (Adam with beta2 near 0
    and a large lr steps by about lr * sign(g)): a start moved by 1e-13 ends 1e-5 away, so
    two correct implementations, rounding differently, differ by 1e-8 (seen with torch's
    AVX2 kernels). Such a draw is rejected, as the 200-step test leaves out growing runs."""
    theirs = ten_steps(torch.optim, config, seed)
    growth = (ten_steps(torch.optim, config, seed, shift=1e-13) - theirs).abs().max()
    assume(growth < 1e-11)  # a change of 1e-13 (a thousand roundings) grows at most 100 times
    ours = ten_steps(O, config, seed)
    torch.testing.assert_close(ours, theirs, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "Adadelta", "RMSprop", "Adam", "AdamW"])
def test_defaults_match_torch(name):
    """Every default torch.optim has, ours has too. Before torch 2.2, SGD's lr had no default
    (a required argument): there both get our lr, and the other defaults are compared."""
    p = [torch.zeros(1, requires_grad=True)]
    ours = getattr(O, name)(p).defaults
    try:
        theirs = getattr(torch.optim, name)(p).defaults
    except ValueError as error:
        if "required optimization parameter lr" not in str(error):
            raise
        theirs = getattr(torch.optim, name)(p, lr=ours["lr"]).defaults
    for key, value in ours.items():
        assert theirs[key] == value, key


def test_state_checkpoint_and_scheduler_work():
    x = torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True)
    opt = O.SGD([x], lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    for _ in range(5):
        opt.zero_grad()
        (x ** 2).sum().backward()
        opt.step()
        sched.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5 ** 2)
    assert "momentum_buffer" in opt.state_dict()["state"][0]


def test_closure_and_missing_grad():
    x = torch.tensor([3.0], requires_grad=True)
    unused = torch.tensor([5.0], requires_grad=True)
    opt = O.Adam([x, unused], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (x ** 2).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert float(loss.detach()) == 9.0
    assert float(x.detach()) == pytest.approx(2.9)  # Adam's first step has length lr
    assert float(unused.detach()) == 5.0 and len(opt.state[unused]) == 0


def test_add_param_group_fills_defaults():
    a, b = torch.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)
    opt = O.RMSprop([a], lr=0.1, centered=True)
    opt.add_param_group({"params": [b], "lr": 0.5})
    assert opt.param_groups[1]["centered"] is True and opt.param_groups[1]["lr"] == 0.5


@pytest.mark.parametrize(("name", "kwargs", "match"), [
    ("SGD", {"lr": -0.1}, r"lr=-0.1 "),
    ("SGD", {"lr": 0.1, "momentum": -0.5}, r"momentum=-0.5 "),
    ("SGD", {"lr": 0.1, "weight_decay": -1}, r"weight_decay=-1.0 "),
    ("SGD", {"lr": 0.1, "nesterov": True}, r"nesterov=True .*momentum=0"),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "nesterov": True},
     r"nesterov=True .*dampening=0.1"),
    ("SGD", {"lr": float("nan")}, r"lr=nan .*finite"),
    ("Adagrad", {"lr_decay": -1}, r"lr_decay=-1.0 "),
    ("Adagrad", {"initial_accumulator_value": -0.1}, r"initial_accumulator_value=-0.1 "),
    ("Adadelta", {"rho": 1.5}, r"rho=1.5 "),
    ("RMSprop", {"momentum": -0.9}, r"momentum=-0.9 "),
    ("RMSprop", {"alpha": -0.1}, r"alpha=-0.1 "),
    ("Adam", {"lr": -1e-3}, r"lr=-0.001 "),
    ("Adam", {"betas": (1.0, 0.999)}, r"betas\[0\]=1.0 .*< 1"),
    ("Adam", {"betas": (0.9, -0.1)}, r"betas\[1\]=-0.1 .*>= 0"),
    ("Adam", {"betas": (0.9,)}, r"betas=\(0.9,\)"),
    ("AdamW", {"weight_decay": -0.01}, r"weight_decay=-0.01 "),
    ("AdamW", {"eps": -1e-8}, r"eps=-1e-08 "),
])
def test_bad_arguments(name, kwargs, match):
    with pytest.raises(ValueError, match=match):
        getattr(O, name)([torch.zeros(1, requires_grad=True)], **kwargs)


def test_bad_type():
    with pytest.raises(TypeError, match="lr='0.1'"):
        O.SGD([torch.zeros(1, requires_grad=True)], lr="0.1")


# --- test surfaces ----------------------------------------------------------------------------

SURFACES = {"rosenbrock": O.rosenbrock, "beale": O.beale, "himmelblau": O.himmelblau,
            "saddle": O.saddle, "quadratic": O.quadratic(25.0)}


def grad_and_hessian(f, point):
    x = torch.tensor(point, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(f(x), x)
    h = torch.autograd.functional.hessian(f, x.detach())
    return g, h


@pytest.mark.parametrize("name", list(SURFACES))
def test_minima_are_global_minima(name):
    f = SURFACES[name]
    grid = torch.stack(torch.meshgrid(torch.linspace(-4.5, 4.5, 401, dtype=torch.float64),
                                      torch.linspace(-4.5, 4.5, 401, dtype=torch.float64),
                                      indexing="ij"), dim=-1)  # (401, 401, 2)
    lowest = float(f(grid).min())
    values = []
    for point in O.MINIMA[name]:
        g, h = grad_and_hessian(f, point)
        assert float(g.abs().max()) < 1e-7, f"gradient at {point} is {g}"
        assert float(torch.linalg.eigvalsh(h).min()) > 0, "a minimum has a positive Hessian"
        values.append(float(f(torch.tensor(point, dtype=torch.float64))))
    assert max(values) - min(values) < 1e-12, "all listed minima share the lowest value"
    assert values[0] <= lowest + 1e-12


def test_saddle_point_and_quadratic_condition_number():
    g, h = grad_and_hessian(O.saddle, (0.0, 0.0))
    eig = torch.linalg.eigvalsh(h)
    assert float(g.abs().max()) == 0 and eig[0] < 0 < eig[1]
    for kappa in (1.0, 10.0, 100.0):
        _, h = grad_and_hessian(O.quadratic(kappa), (0.3, -0.7))
        eig = torch.linalg.eigvalsh(h)
        assert float(eig[-1] / eig[0]) == pytest.approx(kappa)
    with pytest.raises(ValueError, match="condition_number=0.5"):
        O.quadratic(0.5)


def test_surfaces_accept_grids():
    grid = torch.randn(7, 5, 2, dtype=torch.float64)  # (H, W, 2)
    for f in SURFACES.values():
        out = f(grid)
        assert out.shape == (7, 5)
        torch.testing.assert_close(out[3, 2], f(grid[3, 2]))


# --- trajectory -------------------------------------------------------------------------------

def test_trajectory_is_gradient_descent():
    lr, kappa = 0.1, 4.0
    path = O.trajectory(lambda p: O.SGD(p, lr=lr), O.quadratic(kappa), (2.0, 1.0), steps=10)
    assert path.shape == (11, 2) and path.dtype == torch.float64
    # each coordinate is multiplied by (1 - lr * curvature) per step
    t = torch.arange(11, dtype=torch.float64)
    torch.testing.assert_close(path[:, 0], 2.0 * (1 - lr) ** t)
    torch.testing.assert_close(path[:, 1], 1.0 * (1 - lr * kappa) ** t)


def test_trajectory_diverges_without_error():
    path = O.trajectory(lambda p: O.SGD(p, lr=1.0), O.quadratic(10.0), (1.0, 1.0), steps=50)
    assert abs(float(path[-1, 1])) > 1e30  # |1 - 10| ** 50


def test_trajectory_bad_input():
    make = lambda p: O.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match=r"start=\[nan, 0.0\] .*finite"):
        O.trajectory(make, O.rosenbrock, (math.nan, 0.0), 5)
    with pytest.raises(ValueError, match=r"start=\[inf, 0.0\]"):
        O.trajectory(make, O.rosenbrock, torch.tensor([math.inf, 0.0]), 5)
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        O.trajectory(make, O.rosenbrock, (0.0, 0.0, 0.0), 5)
    with pytest.raises(ValueError, match="steps=-1"):
        O.trajectory(make, O.rosenbrock, (0.0, 0.0), -1)
