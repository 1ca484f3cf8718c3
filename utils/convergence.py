"""Gradient descent and momentum on a quadratic: convergence rates from the eigenvalues.

On f(theta) = theta^T H theta / 2 every eigenvector of H is its own 1-D problem,
f = lambda x^2 / 2 with gradient lambda x. PyTorch's SGD with momentum mu and learning rate eta
(b_t = mu b_{t-1} + g_t, theta_t = theta_{t-1} - eta b_t) is there Polyak's heavy ball,

    x_t = x_{t-1} - eta lambda x_{t-1} + mu (x_{t-1} - x_{t-2}),

a linear map of the state (x_{t-1}, x_{t-2}) with the matrix R = [[1 + mu - eta lambda, -mu],
[1, 0]]. The distance to the minimum shrinks, in the long run, by the spectral radius of R per
step: the larger modulus of the roots of z^2 - (1 + mu - eta lambda) z + mu = 0 (Polyak 1964;
Goh 2017, "Why Momentum Really Works"). mu = 0 is plain gradient descent, factor |1 - eta lambda|.
The tests check the rates against `torch.linalg.eigvals` and against runs of `torch.optim.SGD`.
"""

from __future__ import annotations

import math

import torch

from ._checks import check_bool, check_float, check_int

__all__ = ["iteration_matrix", "convergence_rate", "optimal_gd", "optimal_momentum",
           "quadratic_distances", "measured_rate", "TINY"]

TINY = 1e-150  # distances below this are float64 noise: a norm squares them (underflow)


def _eigenvalues(eigenvalues) -> torch.Tensor:
    if isinstance(eigenvalues, (bool, str)) or eigenvalues is None:
        raise TypeError(f"eigenvalues={eigenvalues!r} is not allowed; eigenvalues must be a "
                        "number or a sequence (or 1-D tensor) of numbers")
    try:
        lam = torch.as_tensor(eigenvalues, dtype=torch.float64).detach().reshape(-1)
    except (TypeError, ValueError, RuntimeError):
        raise TypeError(f"eigenvalues={eigenvalues!r} is not allowed; eigenvalues must be a "
                        "number or a sequence (or 1-D tensor) of numbers") from None
    if lam.numel() == 0:
        raise ValueError("eigenvalues is empty; give at least one eigenvalue of H")
    if not bool(torch.isfinite(lam).all()) or bool((lam <= 0).any()):
        raise ValueError(f"eigenvalues={lam.tolist()} is not allowed; the eigenvalues of H "
                         "must be finite and > 0 (a positive definite quadratic)")
    return lam


def _hyper(name: str, value, *, maximum: float | None = None) -> torch.Tensor:
    """A non-negative float or float tensor (for grids of settings), as float64."""
    if isinstance(value, torch.Tensor):
        if not value.is_floating_point():
            raise TypeError(f"{name} must be a float or a floating-point tensor, got dtype "
                            f"{value.dtype}")
        value = value.detach().to(torch.float64)
        bad = ~torch.isfinite(value) | (value < 0)
        if maximum is not None:
            bad |= value >= maximum
        if bool(bad.any()):
            allowed = f"in [0, {maximum})" if maximum is not None else ">= 0"
            raise ValueError(f"{name} has entries {value[bad][:3].tolist()}; every entry must "
                             f"be finite and {allowed}")
        return value
    value = check_float(name, value, minimum=0.0, maximum=maximum,
                        strict_max=maximum is not None)
    return torch.tensor(value, dtype=torch.float64)


def iteration_matrix(lr: float, momentum: float, eigenvalue: float) -> torch.Tensor:
    """The 2x2 matrix R with (x_t, x_{t-1}) = R (x_{t-1}, x_{t-2}) along one eigenvector.

    R = [[1 + mu - eta lambda, -mu], [1, 0]] (float64). Its eigenvalues are the roots whose
    larger modulus `convergence_rate` gives.
    """
    lr = check_float("lr", lr, minimum=0.0)
    momentum = check_float("momentum", momentum, minimum=0.0, maximum=1.0, strict_max=True)
    lam = check_float("eigenvalue", eigenvalue, minimum=0.0, strict_min=True)
    return torch.tensor([[1 + momentum - lr * lam, -momentum], [1.0, 0.0]], dtype=torch.float64)


def convergence_rate(lr, momentum, eigenvalues):
    """The factor by which the distance to the minimum shrinks per step, in the long run.

    `lr` and `momentum` are floats, or tensors of settings (broadcast together: a grid);
    `eigenvalues` are the eigenvalues of H (a number, a sequence or a 1-D tensor, all > 0).
    Returns max over the eigenvalues of the spectral radius of R: a float for float settings,
    else a float64 tensor of the broadcast shape. A rate < 1 converges, >= 1 does not.
    """
    eta, mu = _hyper("lr", lr), _hyper("momentum", momentum, maximum=1.0)
    lam = _eigenvalues(eigenvalues)
    eta, mu = torch.broadcast_tensors(eta, mu)
    # the roots of z^2 - a z + mu = 0, a = 1 + mu - eta lambda, for every setting and lambda
    a = 1 + mu[..., None] - eta[..., None] * lam  # (..., n)
    disc = a * a - 4 * mu[..., None]
    # real roots (disc >= 0): the larger modulus is (|a| + sqrt(disc)) / 2;
    # complex pair (disc < 0): both have modulus sqrt(mu), since their product is mu
    real = (a.abs() + disc.clamp_min(0).sqrt()) / 2
    modulus = torch.where(disc >= 0, real, mu[..., None].sqrt().expand_as(a))
    rate = modulus.amax(dim=-1)
    if not isinstance(lr, torch.Tensor) and not isinstance(momentum, torch.Tensor):
        return rate.item()
    return rate


def _extremes(eig_min, eig_max) -> tuple[float, float]:
    low = check_float("eig_min", eig_min, minimum=0.0, strict_min=True)
    high = check_float("eig_max", eig_max, minimum=0.0, strict_min=True)
    if high < low:
        raise ValueError(f"eig_max={high} is not allowed with eig_min={low}; eig_max must be "
                         ">= eig_min")
    return low, high


def optimal_gd(eig_min: float, eig_max: float) -> tuple[float, float]:
    """Gradient descent's best learning rate and its rate: (2 / (m + L), (k - 1) / (k + 1)).

    m, L are the smallest and largest eigenvalues of H and k = L / m its condition number;
    this lr makes |1 - lr m| = |1 - lr L|, the two slowest directions equally slow.
    """
    m, big_l = _extremes(eig_min, eig_max)
    kappa = big_l / m
    return 2 / (m + big_l), (kappa - 1) / (kappa + 1)


def optimal_momentum(eig_min: float, eig_max: float) -> tuple[float, float, float]:
    """The heavy ball's best (lr, momentum) and its rate (Polyak 1964):

    lr = 4 / (sqrt(L) + sqrt(m))^2, momentum = ((sqrt(k) - 1) / (sqrt(k) + 1))^2, and the rate
    sqrt(momentum) = (sqrt(k) - 1) / (sqrt(k) + 1), k = L / m. With these, every eigenvalue in
    [m, L] has complex roots (or a double root at m and L) of modulus sqrt(momentum).
    """
    m, big_l = _extremes(eig_min, eig_max)
    root_k = math.sqrt(big_l / m)
    rate = (root_k - 1) / (root_k + 1)
    return 4 / (math.sqrt(big_l) + math.sqrt(m)) ** 2, rate ** 2, rate


def quadratic_distances(eigenvalues, lr: float, momentum: float = 0.0, num_steps: int = 100, *,
                        start=None, nesterov: bool = False) -> torch.Tensor:
    """Run `torch.optim.SGD` on f = sum_i lambda_i theta_i^2 / 2 and return ||theta_t||.

    `start` is theta_0 (default: all ones), in the eigenbasis (a diagonal H loses nothing:
    a rotation does not change distances). Returns a float64 tensor of `num_steps + 1`
    distances to the minimum at 0; a diverging run keeps going (inf or nan at the end).
    """
    lam = _eigenvalues(eigenvalues)
    lr = check_float("lr", lr, minimum=0.0)
    momentum = check_float("momentum", momentum, minimum=0.0, maximum=1.0, strict_max=True)
    num_steps = check_int("num_steps", num_steps, minimum=0)
    nesterov = check_bool("nesterov", nesterov)
    theta = torch.ones_like(lam) if start is None else torch.as_tensor(
        start, dtype=torch.float64).detach().clone().reshape(-1)
    if theta.shape != lam.shape:
        raise ValueError(f"start has {theta.numel()} entries; it must have one per eigenvalue "
                         f"({lam.numel()})")
    theta.requires_grad_(True)
    opt = torch.optim.SGD([theta], lr=lr, momentum=momentum, nesterov=nesterov)
    distances = [theta.detach().norm()]
    for _ in range(num_steps):
        # the gradient of f = sum_i lambda_i theta_i^2 / 2, written out: autograd would give
        # the same numbers at twice the cost
        theta.grad = lam * theta.detach()
        opt.step()
        distances.append(theta.detach().norm())
    return torch.stack(distances)  # (num_steps + 1,)


def measured_rate(distances, window: int = 20) -> float:
    """The rate a run shows at its end: (M_last / M_mid)^(1 / s).

    M_last is the largest distance in the last `window` entries, M_mid the largest in the
    `window` entries that end halfway through the run, s the number of steps between the two
    windows. Maxima over windows follow the envelope, so a run whose distance oscillates
    (momentum with complex roots) is measured as well as one that shrinks steadily. Entries
    from the first one below `TINY` = 1e-150 on are dropped (their squares underflow).
    """
    d = torch.as_tensor(distances, dtype=torch.float64).detach().reshape(-1)
    window = check_int("window", window, minimum=1)
    tiny = (d < TINY).nonzero()
    if len(tiny):  # beneath TINY the squares in a norm underflow: the rest is not the run's
        d = d[:tiny[0].item()]
    n = d.numel()
    if n < 4 * window:
        raise ValueError(f"distances has {n} entries above {TINY:g}; measured_rate needs at "
                         f"least 4 * window = {4 * window}, so that the two windows lie apart")
    half = n // 2
    mid, last = d[half - window:half].max(), d[n - window:].max()
    if not bool(torch.isfinite(last)):
        return math.inf  # diverged
    if last == 0:
        return 0.0  # landed exactly on the minimum
    return (last / mid).item() ** (1 / (n - half))
