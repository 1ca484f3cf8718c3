"""Reproducibility and device selection: the two calls every lesson's set-up cell makes."""

from __future__ import annotations

import platform
import random

import numpy as np
import torch

from ._checks import check_int


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
