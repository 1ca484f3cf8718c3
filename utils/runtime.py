"""Reproducibility and device selection (the set-up cell's calls), timing and threads."""

from __future__ import annotations

import contextlib
import platform
import random
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch

from ._checks import check_callable, check_int


def set_seed(seed: int) -> None:
    """Seed Python's `random`, NumPy and PyTorch (CPU and every CUDA device).

    Call it before building each model that a lesson compares, so the comparison is fair.
    """
    seed = check_int("seed", seed, minimum=0)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # also seeds every CUDA device
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def get_device() -> torch.device:
    """The best device here: CUDA, then Apple's MPS, then the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def describe_device(device: torch.device | None = None) -> str:
    """One line naming the device and the library versions, for the set-up cell to print."""
    device = get_device() if device is None else torch.device(device)
    name = "CPU"
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
    elif device.type == "mps":
        name = "Apple MPS"
    return (f"device: {device.type} ({name}) | torch {torch.__version__} | "
            f"numpy {np.__version__} | python {platform.python_version()}")


# ---------------------------------------------------------------------------------------------
# Timing and threads
# ---------------------------------------------------------------------------------------------

_clock = time.perf_counter  # the clock median_time reads (a test replaces it by a fake one)


def synchronize(device: torch.device | str | None = None) -> None:
    """Wait until every queued operation on `device` has finished (CUDA and MPS queue work).

    Operations on a GPU return before they have run; a timer read without this measures only
    the launch. On the CPU it does nothing. `device=None` means `get_device()`.
    """
    device = get_device() if device is None else torch.device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def median_time(fn: Callable[[], object], *, repeats: int = 5, warmup: int = 1,
                device: torch.device | str | None = None) -> float:
    """The median wall time of `fn()` in seconds, over `repeats` timed calls.

    `warmup` untimed calls come first (the first call of an op pays for allocation and kernel
    selection). Each timed call is bracketed by `synchronize(device)` before and after, so a
    GPU timing covers the work, not just its launch; `device=None` means `get_device()`. The
    median, unlike the mean, ignores the odd call slowed down by another process.
    """
    check_callable("fn", fn, what="a function of no arguments")
    repeats = check_int("repeats", repeats, minimum=1)
    warmup = check_int("warmup", warmup, minimum=0)
    device = get_device() if device is None else torch.device(device)
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        synchronize(device)  # nothing queued earlier may count towards this call
        start = _clock()
        fn()
        synchronize(device)  # wait for the work fn queued, not just its launch
        times.append(_clock() - start)
    return statistics.median(times)


def torch_at_least(major: int, minor: int, version: str | None = None) -> bool:
    """Whether PyTorch (or the `version` string given, such as "2.14.1+cu130") is at least
    `major.minor`: for a lesson that asserts a fact of newer PyTorch only where it holds."""
    major, minor = check_int("major", major, minimum=0), check_int("minor", minor, minimum=0)
    text = torch.__version__ if version is None else version
    parts = str(text).split("+")[0].split(".")
    try:
        found = (int(parts[0]), int(parts[1]))
    except (IndexError, ValueError):
        raise ValueError(f"version={text!r} is not allowed; version must start with "
                         "'major.minor', such as '2.14.1+cu130'") from None
    return found >= (major, minor)


def num_threads(n: int) -> contextlib.AbstractContextManager[None]:
    """`with num_threads(1): ...` runs the block with `n` intra-op threads for torch.

    The previous count comes back when the block ends, also when it raises. As a decorator,
    `@num_threads(1)` above a `def` runs every call of that function so. Use it around the
    code that needs it (a timing of tiny operations, where threads only add overhead) instead
    of a global `torch.set_num_threads`, which a reader would copy into their own programs.
    """
    n = check_int("n", n, minimum=1)  # checked here, not at `with`, so the error points here
    return _threads(n)


@contextlib.contextmanager
def _threads(n: int):
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
