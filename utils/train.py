"""The training loop every lesson uses: `fit` trains, `evaluate` measures, `History` records."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import torch
from torch import nn
from tqdm.auto import tqdm

from ._checks import check_int
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


def _num_correct(output: torch.Tensor, target: torch.Tensor) -> int | None:
    """Correct predictions for class-index targets with `(N, classes)` logits, else None."""
    if output.dim() == 2 and target.dim() == 1 and not target.is_floating_point():
        return int((output.argmax(dim=1) == target).sum())
    return None


def _run_epoch(model, loader, loss_fn, device, optimizer=None, desc="", progress=True):
    training = optimizer is not None
    model.train(training)
    total_loss, total_correct, total, classification = 0.0, 0, 0, True
    with torch.set_grad_enabled(training):
        # iter() first: tqdm given the loader itself would draw from the loader's generator
        # once more and change the shuffle order, so fit and a hand-written loop would differ
        batches = tqdm(iter(loader), total=len(loader), desc=desc, leave=False,
                       disable=not progress)
        for x, y in batches:
            x, y = x.to(device), y.to(device)
            output = model(x)
            loss = loss_fn(output, y)
            if training:
                optimizer.zero_grad()  # gradients accumulate unless cleared
                loss.backward()
                optimizer.step()
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
        scheduler=None, progress: bool = True, verbose: bool = False) -> History:
    """Train `model` for `num_epochs` epochs and return its `History`.

    Each epoch: train mode, one pass over `train_loader` (zero_grad, forward, loss, backward,
    step), then, if given, eval mode over `val_loader` and one `scheduler.step()`.
    """
    num_epochs = check_int("num_epochs", num_epochs, minimum=1)
    device = get_device() if device is None else torch.device(device)
    model.to(device)
    history = History()
    epochs = tqdm(range(num_epochs), desc="epochs", disable=not progress)
    for epoch in epochs:
        start = time.perf_counter()
        loss, acc = _run_epoch(model, train_loader, loss_fn, device, optimizer,
                               desc=f"epoch {epoch + 1}", progress=progress)
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
