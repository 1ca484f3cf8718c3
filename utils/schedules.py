"""Learning-rate schedules as pure functions of the step, equal to `torch.optim.lr_scheduler`.

`step` counts the calls of `scheduler.step()` so far (PyTorch's `last_epoch`): step 0 is the
learning rate the optimizer's first update uses. Each function returns what the PyTorch
scheduler named in its docstring puts into `optimizer.param_groups[0]["lr"]` after `step` calls;
the tests check this against the schedulers themselves. PyTorch computes most schedules
recursively (each value from the previous one); these closed forms agree to rounding.
`scheduled_values` records what any PyTorch scheduler does to the learning rate and momentum.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch

from ._checks import check_callable, check_choice, check_float, check_int, check_sequence

__all__ = ["step_lr", "multistep_lr", "cosine_annealing_lr", "linear_lr", "warmup_cosine_lr",
           "one_cycle_lr", "one_cycle_momentum", "scheduled_values"]


def _lr(name: str, value) -> float:
    return check_float(name, value, minimum=0.0)


def step_lr(step: int, base_lr: float, step_size: int, gamma: float = 0.1) -> float:
    """Step decay, `StepLR`: the rate is multiplied by `gamma` every `step_size` steps."""
    step = check_int("step", step, minimum=0)
    base_lr, step_size = _lr("base_lr", base_lr), check_int("step_size", step_size, minimum=1)
    gamma = check_float("gamma", gamma, minimum=0.0)
    # eta_t = eta_0 * gamma^floor(t / step_size)
    return base_lr * gamma ** (step // step_size)


def multistep_lr(step: int, base_lr: float, milestones: Sequence[int],
                 gamma: float = 0.1) -> float:
    """Step decay at chosen steps, `MultiStepLR`: times `gamma` at each milestone passed."""
    step, base_lr = check_int("step", step, minimum=0), _lr("base_lr", base_lr)
    milestones = check_sequence("milestones", milestones, what="a sequence of steps")
    milestones = [check_int(f"milestones[{i}]", m, minimum=1) for i, m in enumerate(milestones)]
    gamma = check_float("gamma", gamma, minimum=0.0)
    # eta_t = eta_0 * gamma^(number of milestones <= t)
    return base_lr * gamma ** sum(step >= m for m in milestones)


def cosine_annealing_lr(step: int, base_lr: float, T_max: int, eta_min: float = 0.0) -> float:
    """Cosine annealing, `CosineAnnealingLR`: from `base_lr` at step 0 to `eta_min` at `T_max`.

    Past `T_max` the cosine goes on (back up to `base_lr` at `2 T_max`), as PyTorch's does.
    """
    step, base_lr = check_int("step", step, minimum=0), _lr("base_lr", base_lr)
    T_max, eta_min = check_int("T_max", T_max, minimum=1), _lr("eta_min", eta_min)
    # eta_t = eta_min + (eta_0 - eta_min) (1 + cos(pi t / T_max)) / 2
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * step / T_max)) / 2


def linear_lr(step: int, base_lr: float, start_factor: float = 1 / 3,
              end_factor: float = 1.0, total_iters: int = 5) -> float:
    """Linear change of the factor, `LinearLR` (a linear warm-up when start < end factor).

    The factor goes from `start_factor` at step 0 to `end_factor` at `total_iters`, then stays.
    """
    step, base_lr = check_int("step", step, minimum=0), _lr("base_lr", base_lr)
    start_factor = check_float("start_factor", start_factor, minimum=0.0, maximum=1.0,
                               strict_min=True)
    end_factor = check_float("end_factor", end_factor, minimum=0.0, maximum=1.0)
    total_iters = check_int("total_iters", total_iters, minimum=1)
    # eta_t = eta_0 * (s + (e - s) * min(t, T) / T)
    fraction = min(step, total_iters) / total_iters
    return base_lr * (start_factor + (end_factor - start_factor) * fraction)


def warmup_cosine_lr(step: int, base_lr: float, warmup_steps: int, total_steps: int,
                     start_factor: float = 0.01, eta_min: float = 0.0) -> float:
    """Linear warm-up, then cosine annealing: `SequentialLR` of `LinearLR(start_factor,
    total_iters=warmup_steps)` and `CosineAnnealingLR(T_max=total_steps - warmup_steps,
    eta_min)`, with `milestones=[warmup_steps]`.

    The rate rises from `start_factor * base_lr` to `base_lr` over `warmup_steps` steps, then
    falls along a cosine to `eta_min` at `total_steps`.
    """
    step, base_lr = check_int("step", step, minimum=0), _lr("base_lr", base_lr)
    warmup_steps = check_int("warmup_steps", warmup_steps, minimum=1)
    total_steps = check_int("total_steps", total_steps, minimum=1)
    if total_steps <= warmup_steps:
        raise ValueError(f"total_steps={total_steps} is not allowed with warmup_steps="
                         f"{warmup_steps}; total_steps must be larger, so that the cosine has "
                         "steps to anneal over")
    if step < warmup_steps:
        return linear_lr(step, base_lr, start_factor, 1.0, warmup_steps)
    return cosine_annealing_lr(step - warmup_steps, base_lr, total_steps - warmup_steps, eta_min)


def _one_cycle_phases(total_steps: int, pct_start: float, three_phase: bool):
    """(end_step, start, end) per phase; start/end name one of "low", "high", "final"."""
    total_steps = check_int("total_steps", total_steps, minimum=1)
    pct_start = check_float("pct_start", pct_start, minimum=0.0, maximum=1.0)
    if three_phase:
        return [(pct_start * total_steps - 1, "low", "high"),
                (2 * pct_start * total_steps - 2, "high", "low"),
                (total_steps - 1, "low", "final")]
    return [(pct_start * total_steps - 1, "low", "high"), (total_steps - 1, "high", "final")]


def _anneal(start: float, end: float, pct: float, strategy: str) -> float:
    if strategy == "cos":
        # start at pct = 0, end at pct = 1, along half a cosine
        return end + (start - end) / 2 * (math.cos(math.pi * pct) + 1)
    return start + (end - start) * pct


def _one_cycle(step, total_steps, pct_start, anneal_strategy, three_phase, values):
    step = check_int("step", step, minimum=0)
    phases = _one_cycle_phases(total_steps, pct_start, three_phase)
    check_choice("anneal_strategy", anneal_strategy, ("cos", "linear"))
    if step > total_steps:
        raise ValueError(f"step={step} is not allowed with total_steps={total_steps}; "
                         "OneCycleLR refuses to step more than total_steps times (step it "
                         "once per batch, with total_steps = epochs * batches per epoch)")
    start_step = 0.0
    for i, (end_step, start, end) in enumerate(phases):
        if step <= end_step or i == len(phases) - 1:
            if end_step == start_step:  # PyTorch divides by zero here
                raise ValueError(f"pct_start={pct_start} with total_steps={total_steps} is "
                                 f"not allowed; it gives phase {i + 1} of the cycle no steps")
            # pct: how far through this phase, 0 at its start and 1 at its end
            pct = (step - start_step) / (end_step - start_step)
            return _anneal(values[start], values[end], pct, anneal_strategy)
        start_step = end_step


def one_cycle_lr(step: int, max_lr: float, total_steps: int, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", div_factor: float = 25.0,
                 final_div_factor: float = 1e4, three_phase: bool = False) -> float:
    """The one-cycle learning rate, `OneCycleLR`, after `step` of its `total_steps` steps.

    It starts at `max_lr / div_factor` (whatever lr the optimizer was built with), rises to
    `max_lr` over the first `pct_start` of the steps, then falls to
    `max_lr / (div_factor * final_div_factor)` at `total_steps - 1` (cosine or linear).
    `three_phase=True`: up, back down to the start, then down to the final value.
    """
    max_lr = _lr("max_lr", max_lr)
    div_factor = check_float("div_factor", div_factor, minimum=0.0, strict_min=True)
    final_div_factor = check_float("final_div_factor", final_div_factor, minimum=0.0,
                                   strict_min=True)
    initial = max_lr / div_factor  # the lr of step 0
    values = {"low": initial, "high": max_lr, "final": initial / final_div_factor}
    return _one_cycle(step, total_steps, pct_start, anneal_strategy, three_phase, values)


def one_cycle_momentum(step: int, total_steps: int, pct_start: float = 0.3,
                       anneal_strategy: str = "cos", base_momentum: float = 0.85,
                       max_momentum: float = 0.95, three_phase: bool = False) -> float:
    """The momentum (SGD's `momentum`, Adam's `beta1`) that `OneCycleLR` sets at `step`.

    With `cycle_momentum=True` (the default) it moves opposite to the learning rate: from
    `max_momentum` down to `base_momentum` while the rate rises, and back up while it falls.
    """
    base_momentum = check_float("base_momentum", base_momentum, minimum=0.0, maximum=1.0)
    max_momentum = check_float("max_momentum", max_momentum, minimum=0.0, maximum=1.0)
    values = {"low": max_momentum, "high": base_momentum, "final": max_momentum}
    return _one_cycle(step, total_steps, pct_start, anneal_strategy, three_phase, values)


def scheduled_values(make_scheduler: Callable[[torch.optim.Optimizer], object], num_steps: int,
                     *, lr: float = 0.1, momentum: float = 0.0,
                     optimizer: str = "sgd") -> tuple[list[float], list[float]]:
    """The learning rate and momentum each of `num_steps` updates uses under a scheduler.

    Builds an optimizer on one dummy parameter (`torch.optim.SGD(lr=lr, momentum=momentum)`,
    or `torch.optim.Adam(lr=lr, betas=(momentum, 0.999))` for `optimizer="adam"`, whose
    "momentum" is beta1), calls `make_scheduler(optimizer)`, then `num_steps` times reads
    `param_groups[0]` and, between one update and the next, steps the optimizer and then the
    scheduler (`num_steps - 1` scheduler steps). Returns `(lrs, momenta)`, lists of
    `num_steps` floats.
    """
    check_callable("make_scheduler", make_scheduler, what="make_scheduler(optimizer)")
    num_steps = check_int("num_steps", num_steps, minimum=0)
    lr, momentum = _lr("lr", lr), check_float("momentum", momentum, minimum=0.0, maximum=1.0,
                                              strict_max=True)
    check_choice("optimizer", optimizer, ("sgd", "adam"))
    param = torch.zeros(1, requires_grad=True)
    if optimizer == "sgd":
        opt = torch.optim.SGD([param], lr=lr, momentum=momentum)
    else:
        opt = torch.optim.Adam([param], lr=lr, betas=(momentum, 0.999))
    scheduler = make_scheduler(opt)
    check_callable("make_scheduler(optimizer).step", getattr(scheduler, "step", None),
                   what="a learning-rate scheduler")
    lrs, momenta = [], []
    for t in range(num_steps):
        group = opt.param_groups[0]
        lrs.append(float(group["lr"]))
        momenta.append(float(group["momentum"] if optimizer == "sgd" else group["betas"][0]))
        if t < num_steps - 1:  # the scheduler steps between one update and the next
            opt.step()  # no gradient, nothing moves; PyTorch wants it before scheduler.step()
            scheduler.step()
    return lrs, momenta
