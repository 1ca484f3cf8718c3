"""Optimizers from scratch, the 2-D test surfaces they are shown on, and `trajectory`.

Each optimizer is a `torch.optim.Optimizer` with PyTorch's argument names and defaults, so
`utils.optim.Adam` can replace `torch.optim.Adam` (parameter groups and `lr_scheduler` work).
Each `step()` is written with elementary tensor arithmetic; the update equation sits in a comment
above the line that computes it. Notation: theta parameters, g gradient, t step count (from 1),
lambda weight decay. `maximize`, `foreach`, `fused` and sparse gradients are not supported.
The tests check 200 steps against `torch.optim` in float64 to 1e-9 for every option.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch

from ._checks import check_bool, check_float, check_int, check_sequence

__all__ = ["SGD", "Adagrad", "Adadelta", "RMSprop", "Adam", "AdamW", "rosenbrock", "beale",
           "himmelblau", "saddle", "quadratic", "MINIMA", "trajectory"]


def _nonneg(name: str, value) -> float:
    return check_float(name, value, minimum=0.0)


def _unit(name: str, value, *, strict_max: bool = False) -> float:
    """A number in [0, 1] (or [0, 1) with strict_max)."""
    return check_float(name, value, minimum=0.0, maximum=1.0, strict_max=strict_max)


def _betas(betas) -> tuple[float, float]:
    check_sequence("betas", betas, length=2, what="a pair (beta1, beta2)")
    return (_unit("betas[0]", betas[0], strict_max=True),
            _unit("betas[1]", betas[1], strict_max=True))


class _FromScratch(torch.optim.Optimizer):
    """Shared `step` scaffolding: closure handling, then `_update` for each parameter."""

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None):
        """One update of every parameter that has a gradient; returns `closure()` if given."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.is_sparse:
                    raise RuntimeError(f"{type(self).__name__} does not support sparse gradients")
                self._update(p, p.grad, self.state[p], group)
        return loss

    def _update(self, p: torch.Tensor, g: torch.Tensor, state: dict, group: dict) -> None:
        raise NotImplementedError


class SGD(_FromScratch):
    """Stochastic gradient descent with optional (Nesterov) momentum and L2 weight decay."""

    def __init__(self, params: Iterable, lr: float = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False):
        lr, momentum = _nonneg("lr", lr), _nonneg("momentum", momentum)
        dampening, weight_decay = _unit("dampening", dampening), _nonneg("weight_decay",
                                                                           weight_decay)
        nesterov = check_bool("nesterov", nesterov)
        if nesterov and momentum == 0:
            raise ValueError(f"nesterov=True is not allowed with momentum={momentum}; "
                             "Nesterov momentum needs momentum > 0")
        if nesterov and dampening != 0:
            raise ValueError(f"nesterov=True is not allowed with dampening={dampening}; "
                             "Nesterov momentum needs dampening=0")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def _update(self, p, g, state, group):
        mu, tau, lam = group["momentum"], group["dampening"], group["weight_decay"]
        # g <- g + lambda * theta   (L2 penalty lambda/2 ||theta||^2)
        g = g + lam * p
        if mu != 0:
            if "momentum_buffer" not in state:
                # b_1 = g_1   (the first step starts the buffer at the gradient, undamped)
                b = g.clone()
            else:
                # b_t = mu * b_{t-1} + (1 - tau) * g_t
                b = mu * state["momentum_buffer"] + (1 - tau) * g
            state["momentum_buffer"] = b
            # Nesterov: d = g + mu * b (look ahead along the buffer); classical: d = b
            g = g + mu * b if group["nesterov"] else b
        # theta <- theta - lr * d
        p.sub_(group["lr"] * g)


class Adagrad(_FromScratch):
    """Adagrad: divide each coordinate's step by the root of its summed squared gradients."""

    def __init__(self, params: Iterable, lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10):
        defaults = dict(lr=_nonneg("lr", lr), lr_decay=_nonneg("lr_decay", lr_decay),
                        weight_decay=_nonneg("weight_decay", weight_decay),
                        initial_accumulator_value=_nonneg("initial_accumulator_value",
                                                          initial_accumulator_value),
                        eps=_nonneg("eps", eps))
        super().__init__(params, defaults)

    def _update(self, p, g, state, group):
        if "sum" not in state:
            state["step"] = 0
            # G_0 = initial_accumulator_value (every coordinate)
            state["sum"] = torch.full_like(p, group["initial_accumulator_value"])
        state["step"] += 1
        t = state["step"]
        # g <- g + lambda * theta
        g = g + group["weight_decay"] * p
        # lr_t = lr / (1 + (t - 1) * lr_decay)
        clr = group["lr"] / (1 + (t - 1) * group["lr_decay"])
        # G_t = G_{t-1} + g_t^2   (a sum: it only grows, so the step only shrinks)
        state["sum"] = state["sum"] + g * g
        # theta <- theta - lr_t * g_t / (sqrt(G_t) + eps)
        p.sub_(clr * g / (state["sum"].sqrt() + group["eps"]))


class Adadelta(_FromScratch):
    """Adadelta: step = RMS of past steps / RMS of gradients, so the units match theta's."""

    def __init__(self, params: Iterable, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0):
        defaults = dict(lr=_nonneg("lr", lr), rho=_unit("rho", rho), eps=_nonneg("eps", eps),
                        weight_decay=_nonneg("weight_decay", weight_decay))
        super().__init__(params, defaults)

    def _update(self, p, g, state, group):
        rho, eps = group["rho"], group["eps"]
        if "square_avg" not in state:
            state["square_avg"] = torch.zeros_like(p)  # E[g^2]_0 = 0
            state["acc_delta"] = torch.zeros_like(p)   # E[dx^2]_0 = 0
        # g <- g + lambda * theta
        g = g + group["weight_decay"] * p
        # E[g^2]_t = rho * E[g^2]_{t-1} + (1 - rho) * g_t^2
        state["square_avg"] = rho * state["square_avg"] + (1 - rho) * g * g
        # dx_t = sqrt(E[dx^2]_{t-1} + eps) / sqrt(E[g^2]_t + eps) * g_t
        dx = (state["acc_delta"] + eps).sqrt() / (state["square_avg"] + eps).sqrt() * g
        # E[dx^2]_t = rho * E[dx^2]_{t-1} + (1 - rho) * dx_t^2
        state["acc_delta"] = rho * state["acc_delta"] + (1 - rho) * dx * dx
        # theta <- theta - lr * dx_t   (PyTorch keeps an lr that multiplies the step; 1 = paper)
        p.sub_(group["lr"] * dx)


class RMSprop(_FromScratch):
    """RMSprop: Adagrad with a leaky average of squared gradients instead of a sum."""

    def __init__(self, params: Iterable, lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False):
        defaults = dict(lr=_nonneg("lr", lr), alpha=_unit("alpha", alpha),
                        eps=_nonneg("eps", eps), weight_decay=_nonneg("weight_decay",
                                                                      weight_decay),
                        momentum=_nonneg("momentum", momentum),
                        centered=check_bool("centered", centered))
        super().__init__(params, defaults)

    def _update(self, p, g, state, group):
        alpha, mu = group["alpha"], group["momentum"]
        if "square_avg" not in state:
            state["square_avg"] = torch.zeros_like(p)         # v_0 = 0
            if mu > 0:
                state["momentum_buffer"] = torch.zeros_like(p)  # b_0 = 0
            if group["centered"]:
                state["grad_avg"] = torch.zeros_like(p)       # m_0 = 0
        # g <- g + lambda * theta
        g = g + group["weight_decay"] * p
        # v_t = alpha * v_{t-1} + (1 - alpha) * g_t^2
        state["square_avg"] = alpha * state["square_avg"] + (1 - alpha) * g * g
        if group["centered"]:
            # m_t = alpha * m_{t-1} + (1 - alpha) * g_t;  scale = sqrt(v_t - m_t^2) + eps
            # (an estimate of the gradient's standard deviation instead of its RMS)
            state["grad_avg"] = alpha * state["grad_avg"] + (1 - alpha) * g
            scale = (state["square_avg"] - state["grad_avg"] ** 2).sqrt() + group["eps"]
        else:
            # scale = sqrt(v_t) + eps
            scale = state["square_avg"].sqrt() + group["eps"]
        if mu > 0:
            # b_t = mu * b_{t-1} + g_t / scale;  theta <- theta - lr * b_t
            state["momentum_buffer"] = mu * state["momentum_buffer"] + g / scale
            p.sub_(group["lr"] * state["momentum_buffer"])
        else:
            # theta <- theta - lr * g_t / scale
            p.sub_(group["lr"] * g / scale)


class Adam(_FromScratch):
    """Adam: momentum (first moment) divided by the root of the second moment, bias-corrected.

    `weight_decay` here is L2 regularisation (added to the gradient); see `AdamW` for decoupled
    decay.
    """

    _decoupled = False

    def __init__(self, params: Iterable, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False):
        defaults = dict(lr=_nonneg("lr", lr), betas=_betas(betas), eps=_nonneg("eps", eps),
                        weight_decay=_nonneg("weight_decay", weight_decay),
                        amsgrad=check_bool("amsgrad", amsgrad))
        super().__init__(params, defaults)

    def _update(self, p, g, state, group):
        (beta1, beta2), lr, lam = group["betas"], group["lr"], group["weight_decay"]
        if "exp_avg" not in state:
            state["step"] = 0
            state["exp_avg"] = torch.zeros_like(p)      # m_0 = 0
            state["exp_avg_sq"] = torch.zeros_like(p)   # v_0 = 0
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = torch.zeros_like(p)
        state["step"] += 1
        t = state["step"]
        if self._decoupled:
            # AdamW: theta <- theta * (1 - lr * lambda), outside the adaptive scaling
            p.mul_(1 - lr * lam)
        else:
            # Adam with L2: g <- g + lambda * theta, which the adaptive scaling then rescales
            g = g + lam * p
        # m_t = beta1 * m_{t-1} + (1 - beta1) * g_t
        state["exp_avg"] = beta1 * state["exp_avg"] + (1 - beta1) * g
        # v_t = beta2 * v_{t-1} + (1 - beta2) * g_t^2
        state["exp_avg_sq"] = beta2 * state["exp_avg_sq"] + (1 - beta2) * g * g
        v = state["exp_avg_sq"]
        if group["amsgrad"]:
            # AMSGrad: vmax_t = max(vmax_{t-1}, v_t), so the denominator never shrinks
            state["max_exp_avg_sq"] = torch.maximum(state["max_exp_avg_sq"], v)
            v = state["max_exp_avg_sq"]
        # m_hat = m_t / (1 - beta1^t);  v_hat = v_t / (1 - beta2^t)   (undo the pull towards 0)
        m_hat = state["exp_avg"] / (1 - beta1 ** t)
        v_hat = v / (1 - beta2 ** t)
        # theta <- theta - lr * m_hat / (sqrt(v_hat) + eps)
        p.sub_(lr * m_hat / (v_hat.sqrt() + group["eps"]))


class AdamW(Adam):
    """Adam with decoupled weight decay: theta <- theta (1 - lr lambda) before the Adam step."""

    _decoupled = True

    def __init__(self, params: Iterable, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad)


# ---------------------------------------------------------------------------------------------
# 2-D test surfaces. Each takes x of shape (..., 2) (a point, or a grid for contour plots) and
# returns f of shape (...). MINIMA lists the known global minima.


def rosenbrock(x: torch.Tensor, a: float = 1.0, b: float = 100.0) -> torch.Tensor:
    """f(x, y) = (a - x)^2 + b (y - x^2)^2: a curved, flat-bottomed valley; minimum (a, a^2)."""
    u, v = x[..., 0], x[..., 1]
    return (a - u) ** 2 + b * (v - u ** 2) ** 2


def beale(x: torch.Tensor) -> torch.Tensor:
    """Beale: sum_i (c_i - x + x y^i)^2, c = (1.5, 2.25, 2.625); flat plateaus, minimum (3, 0.5)."""
    u, v = x[..., 0], x[..., 1]
    return ((1.5 - u + u * v) ** 2 + (2.25 - u + u * v ** 2) ** 2
            + (2.625 - u + u * v ** 3) ** 2)


def himmelblau(x: torch.Tensor) -> torch.Tensor:
    """f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2: four minima, all with f = 0."""
    u, v = x[..., 0], x[..., 1]
    return (u ** 2 + v - 11) ** 2 + (u + v ** 2 - 7) ** 2


def saddle(x: torch.Tensor) -> torch.Tensor:
    """f(x, y) = x^2 + y^4 / 4 - y^2 / 2: a saddle at (0, 0), minima (0, +-1) with f = -1/4."""
    u, v = x[..., 0], x[..., 1]
    return u ** 2 + v ** 4 / 4 - v ** 2 / 2


def quadratic(condition_number: float = 10.0) -> Callable[[torch.Tensor], torch.Tensor]:
    """f(x, y) = (x^2 + kappa y^2) / 2, Hessian diag(1, kappa), condition number kappa; min (0, 0).

    Gradient descent converges for lr < 2 / kappa; the larger kappa, the narrower the ravine.
    """
    kappa = check_float("condition_number", condition_number, minimum=1.0)

    def f(x: torch.Tensor) -> torch.Tensor:
        return (x[..., 0] ** 2 + kappa * x[..., 1] ** 2) / 2

    f.__name__ = f"quadratic({kappa:g})"
    return f


MINIMA: dict[str, list[tuple[float, float]]] = {
    "rosenbrock": [(1.0, 1.0)],
    "beale": [(3.0, 0.5)],
    "himmelblau": [(3.0, 2.0), (-2.805118086952745, 3.131312518250573),
                   (-3.779310253377747, -3.283185991286170),
                   (3.584428340330492, -1.848126526964404)],
    "saddle": [(0.0, 1.0), (0.0, -1.0)],
    "quadratic": [(0.0, 0.0)],
}


def trajectory(make_optimizer: Callable[[list[torch.Tensor]], torch.optim.Optimizer],
               f: Callable[[torch.Tensor], torch.Tensor], start, steps: int) -> torch.Tensor:
    """The points an optimizer visits minimising f from `start`: a (steps + 1, 2) float64 tensor.

    `make_optimizer([theta])` builds the optimizer, e.g. `lambda p: SGD(p, lr=0.1)`. Row 0 is
    `start`; a run that diverges keeps going, so rows may become inf or nan.
    """
    steps = check_int("steps", steps, minimum=0)
    start = torch.as_tensor(start, dtype=torch.float64).detach().clone()
    if start.shape != (2,):
        raise ValueError(f"start has shape {tuple(start.shape)}; it must be a point of shape (2,)")
    if not bool(torch.isfinite(start).all()):
        raise ValueError(f"start={start.tolist()} is not allowed; start must be finite")
    theta = start.requires_grad_(True)
    optimizer = make_optimizer([theta])
    path = [theta.detach().clone()]
    for _ in range(steps):
        optimizer.zero_grad()
        f(theta).backward()
        optimizer.step()
        path.append(theta.detach().clone())
    return torch.stack(path)  # (steps + 1, 2)

