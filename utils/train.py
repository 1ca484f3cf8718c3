"""Training loops: `fit` trains over epochs of a DataLoader, `train_steps` for a number of
steps over any iterable of batches (`random_batches` draws them from tensors), `evaluate`
measures. `History` and `StepHistory` record what happened."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import torch
from torch import nn
from tqdm.auto import tqdm

from ._checks import check_callable, check_float, check_int, check_module, check_tensor
from .runtime import get_device


@dataclass
class History:
    """Per-epoch records of a `fit` run; accuracies are None for non-classification tasks."""

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float | None] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float | None] = field(default_factory=list)
    epoch_time: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, list]:
        return {k: list(v) for k, v in self.__dict__.items()}


@dataclass
class StepHistory:
    """Per-step records of a `train_steps` run.

    `loss`, `grad_norm` (the total 2-norm of the gradients before clipping) and `lr` (the
    learning rate of the first parameter group, as used by that step) have one entry per step;
    `eval_value[i]` is `eval_fn(model)` after step `eval_step[i]` (steps count from 1).
    `stopped` says why the run ended early: "diverged" (a non-finite loss; that step updated
    nothing), "stop condition" (`stop(history)` returned True), or None (all steps ran).
    """

    loss: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    eval_step: list[int] = field(default_factory=list)
    eval_value: list[float] = field(default_factory=list)
    stopped: str | None = None

    @property
    def steps(self) -> int:
        """How many steps ran (a diverged step included)."""
        return len(self.loss)


def _num_correct(output: torch.Tensor, target: torch.Tensor) -> int | None:
    """Correct predictions for class-index targets with `(N, classes)` logits, else None."""
    if output.dim() == 2 and target.dim() == 1 and not target.is_floating_point():
        return int((output.argmax(dim=1) == target).sum())
    return None


# --- one training step, shared by fit and train_steps ------------------------------------------

def _forward(model, x, y, loss_fn, device):
    """The batch on `device`, the model's output and the loss."""
    x, y = x.to(device), y.to(device)
    output = model(x)
    return y, output, loss_fn(output, y)


def _update(loss, optimizer, max_grad_norm, measure):
    """zero_grad, backward, (clip), step. Returns the gradient norm before clipping when
    clipping or `measure`, else None."""
    optimizer.zero_grad()  # gradients accumulate unless cleared
    loss.backward()
    norm = None
    if max_grad_norm is not None or measure:
        params = [p for group in optimizer.param_groups for p in group["params"]
                  if p.grad is not None]
        if max_grad_norm is not None:
            # scales every gradient by min(1, max_norm / total norm); returns the norm before
            norm = nn.utils.clip_grad_norm_(params, max_grad_norm)
        else:
            norm = _total_norm([p.grad for p in params])
    optimizer.step()
    return norm


def _total_norm(grads: list[torch.Tensor]) -> torch.Tensor:
    """||g||_2 over all gradients at once, as `clip_grad_norm_` computes it (torch >= 2.1)."""
    if not grads:
        return torch.tensor(0.0)
    # ||g|| = sqrt(sum_i ||g_i||^2) = || (||g_1||, ..., ||g_n||) ||
    return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g.detach())
                                                 for g in grads]))


def _check_max_grad_norm(max_grad_norm) -> float | None:
    if max_grad_norm is None:
        return None
    return check_float("max_grad_norm", max_grad_norm, minimum=0.0, strict_min=True)


def _run_epoch(model, loader, loss_fn, device, optimizer=None, desc="", progress=True,
               max_grad_norm=None):
    training = optimizer is not None
    model.train(training)
    total_loss, total_correct, total, classification = 0.0, 0, 0, True
    with torch.set_grad_enabled(training):
        # iter() first: tqdm given the loader itself would draw from the loader's generator
        # once more and change the shuffle order, so fit and a hand-written loop would differ
        batches = tqdm(iter(loader), total=len(loader), desc=desc, leave=False,
                       disable=not progress)
        for x, y in batches:
            y, output, loss = _forward(model, x, y, loss_fn, device)
            if training:
                _update(loss, optimizer, max_grad_norm, measure=False)
            n = y.shape[0]
            total_loss += loss.item() * n  # loss_fn averages over the batch
            total += n
            correct = _num_correct(output, y)
            classification = classification and correct is not None
            total_correct += correct or 0
    if total == 0:
        raise ValueError("the data loader yielded no batches")
    return total_loss / total, (total_correct / total if classification else None)


def evaluate(model: nn.Module, loader, loss_fn, device: torch.device | str | None = None):
    """Mean loss and accuracy (None unless class-index targets) of `model` over `loader`."""
    device = get_device() if device is None else torch.device(device)
    model.to(device)
    return _run_epoch(model, loader, loss_fn, device, progress=False)


def fit(model: nn.Module, train_loader, loss_fn, optimizer: torch.optim.Optimizer,
        num_epochs: int, *, val_loader=None, device: torch.device | str | None = None,
        scheduler=None, max_grad_norm: float | None = None, progress: bool = True,
        verbose: bool = False) -> History:
    """Train `model` for `num_epochs` epochs and return its `History`.

    Each epoch: train mode, one pass over `train_loader` (zero_grad, forward, loss, backward,
    clipping to `max_grad_norm` if given, step), then, if given, eval mode over `val_loader`
    and one `scheduler.step()`.
    """
    num_epochs = check_int("num_epochs", num_epochs, minimum=1)
    max_grad_norm = _check_max_grad_norm(max_grad_norm)
    device = get_device() if device is None else torch.device(device)
    model.to(device)
    history = History()
    epochs = tqdm(range(num_epochs), desc="epochs", disable=not progress)
    for epoch in epochs:
        start = time.perf_counter()
        loss, acc = _run_epoch(model, train_loader, loss_fn, device, optimizer,
                               desc=f"epoch {epoch + 1}", progress=progress,
                               max_grad_norm=max_grad_norm)
        history.train_loss.append(loss)
        history.train_acc.append(acc)
        if val_loader is not None:
            val_loss, val_acc = _run_epoch(model, val_loader, loss_fn, device, progress=False)
            history.val_loss.append(val_loss)
            history.val_acc.append(val_acc)
        if scheduler is not None:
            scheduler.step()
        history.epoch_time.append(time.perf_counter() - start)
        if verbose:
            line = f"epoch {epoch + 1}: train loss {loss:.4f}"
            if acc is not None:
                line += f", train acc {acc:.3f}"
            if val_loader is not None:
                line += f", val loss {history.val_loss[-1]:.4f}"
                if history.val_acc[-1] is not None:
                    line += f", val acc {history.val_acc[-1]:.3f}"
            print(line)
    return history


# --- step-based training on tensors ------------------------------------------------------------

def random_batches(x: torch.Tensor, y: torch.Tensor, batch_size: int | None, num_steps: int, *,
                   generator: torch.Generator | None = None
                   ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """`num_steps` mini-batches `(x[idx], y[idx])`, each of `batch_size` rows drawn at random.

    Rows are drawn uniformly with replacement (`torch.randint`), a fresh draw every step, from
    `generator` (the global generator if None, so `utils.set_seed` makes it repeatable).
    `batch_size=None` gives the full batch `(x, y)` at every step (full-batch gradient descent).
    Checks the arguments at once; the batches are drawn lazily, one per step.
    """
    check_tensor("x", x)
    check_tensor("y", y)
    if x.dim() == 0 or y.dim() == 0 or len(x) != len(y):
        raise ValueError(f"x has shape {tuple(x.shape)} and y has shape {tuple(y.shape)}; "
                         "they must have the same (non-zero) number of rows")
    if len(x) == 0:
        raise ValueError("x and y have no rows; give at least one example")
    if batch_size is not None:
        batch_size = check_int("batch_size", batch_size, minimum=1)
        if batch_size > len(x):
            raise ValueError(f"batch_size={batch_size} is not allowed; there are only "
                             f"{len(x)} examples (batch_size=None gives the full batch)")
    num_steps = check_int("num_steps", num_steps, minimum=0)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, "
                        f"got {type(generator).__name__}")
    return _draw(x, y, batch_size, num_steps, generator)


def _draw(x, y, batch_size, num_steps, generator):
    for _ in range(num_steps):
        if batch_size is None:
            yield x, y
        else:
            idx = torch.randint(0, len(x), (batch_size,), generator=generator)  # (batch_size,)
            yield x[idx.to(x.device)], y[idx.to(y.device)]


def train_steps(model: nn.Module, batches: Iterable, loss_fn: Callable,
                optimizer: torch.optim.Optimizer, *, max_grad_norm: float | None = None,
                scheduler=None, eval_fn: Callable[[nn.Module], float] | None = None,
                eval_every: int = 1, stop: Callable[[StepHistory], bool] | None = None,
                device: torch.device | str | None = None) -> StepHistory:
    """Train `model` for one step per `(x, y)` batch of `batches`; return a `StepHistory`.

    Each step, in train mode: zero_grad, forward, `loss_fn(model(x), y)`, backward, clipping
    of the total gradient norm to `max_grad_norm` if given (`nn.utils.clip_grad_norm_` over the
    optimizer's parameters), `optimizer.step()`, then `scheduler.step()` if given (a scheduler
    here counts steps, not epochs). Every `eval_every` steps, `eval_fn(model)` runs in eval
    mode without gradients (train mode comes back after it). After each step `stop(history)`
    may end the run (a validation target reached). A non-finite loss ends it too, before that
    step changes anything: `history.stopped` says which. `device=None` means `get_device()`;
    the model and every batch are moved there.
    """
    check_module("model", model)
    check_callable("loss_fn", loss_fn, what="loss_fn(output, target) -> loss")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, "
                        f"got {type(optimizer).__name__}")
    max_grad_norm = _check_max_grad_norm(max_grad_norm)
    if scheduler is not None:
        check_callable("scheduler.step", getattr(scheduler, "step", None),
                       what="a learning-rate scheduler")
    if eval_fn is not None:
        check_callable("eval_fn", eval_fn, what="eval_fn(model) -> float")
    eval_every = check_int("eval_every", eval_every, minimum=1)
    if stop is not None:
        check_callable("stop", stop, what="stop(history) -> bool")
    device = get_device() if device is None else torch.device(device)
    model.to(device)
    model.train()
    history = StepHistory()
    for step, (x, y) in enumerate(batches, start=1):
        history.lr.append(float(optimizer.param_groups[0]["lr"]))
        _, _, loss = _forward(model, x, y, loss_fn, device)
        history.loss.append(loss.item())
        if not math.isfinite(history.loss[-1]):
            history.grad_norm.append(math.nan)  # no backward, no step: the weights stay
            history.stopped = "diverged"
            break
        norm = _update(loss, optimizer, max_grad_norm, measure=True)
        history.grad_norm.append(norm.item())
        if scheduler is not None:
            scheduler.step()
        if eval_fn is not None and step % eval_every == 0:
            model.eval()
            with torch.no_grad():
                value = eval_fn(model)
            model.train()
            history.eval_step.append(step)
            history.eval_value.append(float(value))
        if stop is not None and stop(history):
            history.stopped = "stop condition"
            break
    return history
