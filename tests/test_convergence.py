"""utils.convergence: the heavy ball's rates against torch.linalg.eigvals of its matrix and
against runs of torch.optim.SGD on quadratics, the optimal settings, and every refusal."""

import math

import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from utils import convergence as C

pytestmark = pytest.mark.usefixtures("one_thread")  # tiny tensors (tests/conftest.py)


def spectral_radius(lr, momentum, lam):
    return torch.linalg.eigvals(C.iteration_matrix(lr, momentum, lam)).abs().max().item()


@settings(max_examples=300)
@given(st.floats(0.0, 3.0), st.floats(0.0, 0.999), st.floats(1e-3, 10.0))
def test_rate_is_the_spectral_radius_of_the_iteration(lr, momentum, lam):
    rate = C.convergence_rate(lr, momentum, lam)
    # eigvals of a defective (double-root) matrix are accurate to sqrt(machine epsilon) only
    assert rate == pytest.approx(spectral_radius(lr, momentum, lam), rel=1e-7, abs=1e-7)


@given(st.floats(0.0, 3.0), st.floats(0.0, 0.99),
       st.lists(st.floats(1e-2, 10.0), min_size=1, max_size=6))
def test_rate_is_the_slowest_eigenvalue_and_grids_broadcast(lr, momentum, lams):
    rate = C.convergence_rate(lr, momentum, lams)
    assert rate == max(C.convergence_rate(lr, momentum, lam) for lam in lams)
    grid = C.convergence_rate(torch.tensor([[lr], [lr / 2]], dtype=torch.float64),
                              torch.tensor([momentum, 0.0], dtype=torch.float64), lams)
    assert grid.shape == (2, 2) and grid[0, 0].item() == pytest.approx(rate, rel=1e-15)
    assert grid[1, 1].item() == pytest.approx(
        max(abs(1 - lr / 2 * lam) for lam in lams), rel=1e-12)  # mu = 0: |1 - lr lambda|


@settings(max_examples=50)
@given(st.floats(0.01, 1.5), st.floats(0.0, 0.95), st.integers(0, 2**16))
def test_the_recursion_is_torch_sgd(lr_scale, momentum, seed):
    gen = torch.Generator().manual_seed(seed)
    lam = torch.rand(4, generator=gen, dtype=torch.float64) * 5 + 0.1
    start = torch.randn(4, generator=gen, dtype=torch.float64)
    lr = lr_scale / lam.max().item()
    distances = C.quadratic_distances(lam, lr, momentum, 30, start=start)
    # x_t = x_{t-1} - lr lambda x_{t-1} + mu (x_{t-1} - x_{t-2}), with x_{-1} = x_0
    prev, x, by_hand = start.clone(), start.clone(), [start.norm()]
    for _ in range(30):
        x, prev = x - lr * lam * x + momentum * (x - prev), x
        by_hand.append(x.norm())
    torch.testing.assert_close(distances, torch.stack(by_hand), rtol=1e-10, atol=1e-300)


@settings(max_examples=40)
@given(st.floats(0.05, 1.9), st.floats(0.0, 0.95), st.integers(0, 2**16))
def test_measured_rate_of_torch_sgd_matches_the_formula(lr_scale, momentum, seed):
    """Random quadratics and settings that converge: a run of torch.optim.SGD shrinks at the
    predicted rate, to 1% of -log(rate) (the speed) once the run is long enough."""
    gen = torch.Generator().manual_seed(seed)
    lam = torch.rand(3, generator=gen, dtype=torch.float64) * 10 + 0.1
    lr = lr_scale / lam.max().item()
    rate = C.convergence_rate(lr, momentum, lam)
    assume(0.05 < rate < 0.95)
    # long enough for the slowest root to dominate, short of float64's floor
    steps = int(min(1200, math.log(1e-120) / math.log(rate)))
    measured = C.measured_rate(C.quadratic_distances(lam, lr, momentum, steps), window=10)
    # a double root adds a factor t: (t rho^t), whose share of the speed falls like 1/steps
    assert math.log(measured) == pytest.approx(math.log(rate), rel=0.02, abs=2 / steps)


@pytest.mark.parametrize("kappa", [1.0, 2.0, 10.0, 100.0, 1000.0])
def test_optimal_settings(kappa):
    m, big_l = 0.5, 0.5 * kappa
    lr, rate = C.optimal_gd(m, big_l)
    assert C.convergence_rate(lr, 0.0, [m, big_l]) == pytest.approx(rate, abs=1e-12)
    for other in (0.97 * lr, 1.03 * lr):  # any other lr is slower
        assert kappa == 1 or C.convergence_rate(other, 0.0, [m, big_l]) > rate
    lr_m, mu, rate_m = C.optimal_momentum(m, big_l)
    assert rate_m == pytest.approx(math.sqrt(mu), abs=1e-15)
    spectrum = torch.linspace(m, big_l, 50, dtype=torch.float64)
    assert C.convergence_rate(lr_m, mu, spectrum) == pytest.approx(rate_m, abs=1e-6)
    assert rate_m <= rate + 1e-12  # momentum is never slower at its best
    # nearby settings are slower (the optimum sits on the edge of the complex region)
    for dlr, dmu in ((1.05, 1.0), (0.95, 1.0), (1.0, 0.95)):
        if kappa > 1:
            assert C.convergence_rate(lr_m * dlr, min(mu * dmu, 0.999), [m, big_l]) > rate_m


@pytest.mark.parametrize("kappa", [10.0, 30.0])
def test_optimal_settings_on_a_torch_optim_sgd_run(kappa):
    """torch.optim.SGD itself, written out here with autograd (not through utils): every step
    is iteration_matrix applied to the last two iterates, and at the settings of optimal_gd and
    optimal_momentum the run shrinks at their predicted rate."""
    lams = torch.linspace(1.0, kappa, 5, dtype=torch.float64)
    lr_gd, rate_gd = C.optimal_gd(1.0, kappa)
    for lr, mu, rate in ((lr_gd, 0.0, rate_gd), C.optimal_momentum(1.0, kappa)):
        x = torch.ones(5, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.SGD([x], lr=lr, momentum=mu)
        steps = int(min(1500, math.log(1e-100) / math.log(rate)))
        prev, norms = x.detach().clone(), [1.0]
        for t in range(steps):
            opt.zero_grad()
            (0.5 * lams * x ** 2).sum().backward()
            before = x.detach().clone()
            opt.step()
            if t < 40:  # (x_t, x_{t-1}) = R (x_{t-1}, x_{t-2}), with x_{-1} = x_0
                for i in range(5):
                    matrix = C.iteration_matrix(lr, mu, lams[i].item())
                    step = matrix @ torch.stack([before[i], prev[i]])
                    scale = max(abs(before[i].item()), abs(prev[i].item()))
                    assert x[i].item() == pytest.approx(step[0].item(), rel=1e-12,
                                                         abs=1e-12 * scale)
            prev = before
            norms.append(x.detach().norm().item())
        measured = C.measured_rate(norms, window=10)
        # at the optimum the extreme eigenvalues sit on a double root (t rho^t): a few %
        assert math.log(measured) == pytest.approx(math.log(rate), rel=0.03, abs=2 / steps)


def test_rates_scale_with_kappa_and_its_root():
    """Steps per e-fold: GD ~ kappa / 2, momentum ~ sqrt(kappa) / 2, for large kappa."""
    for kappa in (1e4, 1e6):
        gd = -1 / math.log(C.optimal_gd(1.0, kappa)[1])
        hb = -1 / math.log(C.optimal_momentum(1.0, kappa)[2])
        assert gd == pytest.approx(kappa / 2, rel=1e-3)
        assert hb == pytest.approx(math.sqrt(kappa) / 2, rel=1e-3)


def test_divergence_boundary():
    """With momentum mu, gradient descent diverges once lr > 2 (1 + mu) / lambda_max."""
    for mu in (0.0, 0.5, 0.9):
        edge = 2 * (1 + mu) / 4.0
        assert C.convergence_rate(0.99 * edge, mu, [1.0, 4.0]) < 1
        assert C.convergence_rate(1.01 * edge, mu, [1.0, 4.0]) > 1
        assert C.measured_rate(C.quadratic_distances([1.0, 4.0], 1.01 * edge, mu, 400)) > 1


def test_measured_rate_edges():
    assert C.measured_rate(0.5 ** torch.arange(100.0)) == pytest.approx(0.5)
    assert C.measured_rate(torch.tensor([1.0] * 50 + [math.inf] * 50)) == math.inf
    # a run that reaches 0 exactly (lr = 1 / lambda) stops being measured at float64's floor
    d = C.quadratic_distances([2.0], 0.5, 0.0, 50, start=[1.0])
    assert d[1] == 0
    with pytest.raises(ValueError, match="distances has 1 entries above 1e-150"):
        C.measured_rate(d)
    with pytest.raises(ValueError, match="window=0 is not allowed"):
        C.measured_rate(torch.ones(100), window=0)


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: C.convergence_rate(0.1, 0.5, []), ValueError, "eigenvalues is empty"),
    (lambda: C.convergence_rate(0.1, 0.5, [1.0, -2.0]), ValueError,
     r"eigenvalues=\[1.0, -2.0\] is not allowed; the eigenvalues of H must be finite and > 0"),
    (lambda: C.convergence_rate(0.1, 0.5, "big"), TypeError, "eigenvalues='big' is not "
                                                             "allowed"),
    (lambda: C.convergence_rate(0.1, 1.0, [1.0]), ValueError,
     "momentum=1.0 is not allowed; momentum must be < 1.0"),
    (lambda: C.convergence_rate(-0.1, 0.5, [1.0]), ValueError,
     r"lr=-0.1 is not allowed; lr must be >= 0.0"),
    (lambda: C.convergence_rate(torch.tensor([0.1, -1.0]), 0.5, [1.0]), ValueError,
     r"lr has entries \[-1.0\]; every entry must be finite and >= 0"),
    (lambda: C.convergence_rate(0.1, torch.tensor([0.5, 1.0]), [1.0]), ValueError,
     r"momentum has entries \[1.0\]; every entry must be finite and in \[0, 1.0\)"),
    (lambda: C.convergence_rate(torch.tensor([1, 2]), 0.5, [1.0]), TypeError,
     "lr must be a float or a floating-point tensor, got dtype torch.int64"),
    (lambda: C.iteration_matrix(0.1, 0.5, 0.0), ValueError,
     "eigenvalue=0.0 is not allowed; eigenvalue must be > 0.0"),
    (lambda: C.optimal_gd(2.0, 1.0), ValueError,
     "eig_max=1.0 is not allowed with eig_min=2.0; eig_max must be >= eig_min"),
    (lambda: C.optimal_momentum(0.0, 1.0), ValueError,
     "eig_min=0.0 is not allowed; eig_min must be > 0.0"),
    (lambda: C.quadratic_distances([1.0, 2.0], 0.1, start=[1.0]), ValueError,
     r"start has 1 entries; it must have one per eigenvalue \(2\)"),
    (lambda: C.quadratic_distances([1.0], 0.1, num_steps=-1), ValueError,
     "num_steps=-1 is not allowed"),
    (lambda: C.quadratic_distances([1.0], 0.1, nesterov=1), TypeError,
     "nesterov=1 is not allowed; nesterov must be True or False"),
])
def test_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()
