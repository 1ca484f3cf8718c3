"""Argument checks shared by every `utils` module.

Each helper raises an error whose message names the argument, shows its value and says what is
allowed, e.g. ``ValueError: stride=0 is not allowed; stride must be a positive integer``.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import torch


def check_int(name: str, value, *, minimum: int | None = None) -> int:
    """`value` as an int; raise if it is not an integer (bools are refused) or is < minimum."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}={value!r} is not allowed; {name} must be an integer")
    value = int(value)
    if minimum is not None and value < minimum:
        what = {0: "a non-negative integer", 1: "a positive integer"}.get(
            minimum, f"an integer >= {minimum}"
        )
        raise ValueError(f"{name}={value} is not allowed; {name} must be {what}")
    return value


def check_pair(name: str, value, *, minimum: int | None = None) -> tuple[int, int]:
    """An int or an (h, w) pair of ints, returned as a pair (PyTorch's `_pair`)."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        if len(value) != 2:
            raise ValueError(
                f"{name}={tuple(value)!r} is not allowed; {name} must be an int or an (h, w) pair"
            )
        return (check_int(f"{name}[0]", value[0], minimum=minimum),
                check_int(f"{name}[1]", value[1], minimum=minimum))
    v = check_int(name, value, minimum=minimum)
    return v, v


def check_float(name: str, value, *, minimum: float | None = None, maximum: float | None = None,
                strict_min: bool = False, strict_max: bool = False) -> float:
    """Return `value` as a float; check it is a finite real number in the given range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}={value!r} is not allowed; {name} must be a real number")
    value = float(value)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{name}={value} is not allowed; {name} must be finite")
    if minimum is not None and (value < minimum or (strict_min and value == minimum)):
        op = ">" if strict_min else ">="
        raise ValueError(f"{name}={value} is not allowed; {name} must be {op} {minimum}")
    if maximum is not None and (value > maximum or (strict_max and value == maximum)):
        op = "<" if strict_max else "<="
        raise ValueError(f"{name}={value} is not allowed; {name} must be {op} {maximum}")
    return value


def check_choice(name: str, value, choices) -> str:
    """Check that `value` is one of `choices`; the error lists them all."""
    if value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name}={value!r} is not allowed; choose one of {allowed}")
    return value


def check_tensor(name: str, value, *, ndim: int | None = None,
                 floating: bool = False) -> torch.Tensor:
    """Check that `value` is a tensor (optionally of a given rank, floating point)."""
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if ndim is not None and value.dim() != ndim:
        raise ValueError(
            f"{name} must have {ndim} dimensions, got shape {tuple(value.shape)}"
        )
    if floating and not value.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {value.dtype}")
    return value
