"""Argument checks shared by every `utils` module.

Each helper raises an error whose message names the argument, shows its value and says what is
allowed, e.g. ``ValueError: stride=0 is not allowed; stride must be a positive integer``.

One rule for which error, everywhere in `utils`:

- ``TypeError``: the argument is the wrong *kind* of thing: a float or a bool where an integer
  is wanted, a string where a number is, a list where a tensor is, an integer tensor where a
  floating-point one is (its dtype is its element type), something not callable where a
  function is, a keyword the function does not take (as Python itself does for a call);
- ``ValueError``: the kind is right but the value is not allowed: out of range, not finite, a
  sequence of the wrong length, a tensor of the wrong shape, not one of the choices.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn


def check_int(name: str, value, *, minimum: int | None = None) -> int:
    """`value` as an int; raise if it is not an integer (bools are refused) or is < minimum."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}={value!r} is not allowed; {name} must be an integer")
    value = int(value)
    if minimum is not None and value < minimum:
        what = {0: "a non-negative integer", 1: "a positive integer"}.get(
            minimum, f"an integer >= {minimum}"
        )
        raise ValueError(f"{name}={value} is not allowed; {name} must be {what}")
    return value


def check_bool(name: str, value) -> bool:
    """`value` as a bool; raise TypeError for anything but True or False (1 and 0 included)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}={value!r} is not allowed; {name} must be True or False")
    return bool(value)


def check_sequence(name: str, value, *, length: int | None = None,
                   what: str | None = None) -> tuple:
    """`value` as a tuple; TypeError if it is not a sequence (a string is not), ValueError if
    it has not `length` entries. `what` describes the allowed value in both messages."""
    what = what or ("a sequence" if length is None else f"a sequence of {length} entries")
    if not isinstance(value, Sequence) or isinstance(value, (str, bytes)):
        if isinstance(value, (numbers.Number, str, bytes, type(None))):
            raise TypeError(f"{name}={value!r} is not allowed; {name} must be {what}")
        raise TypeError(f"{name} must be {what}, got {type(value).__name__}")
    if length is not None and len(value) != length:
        raise ValueError(f"{name}={tuple(value)!r} is not allowed; {name} must be {what}")
    return tuple(value)


def check_pair(name: str, value, *, minimum: int | None = None) -> tuple[int, int]:
    """An int or an (h, w) pair of ints, returned as a pair (PyTorch's `_pair`)."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        check_sequence(name, value, length=2, what="an int or an (h, w) pair")
        return (check_int(f"{name}[0]", value[0], minimum=minimum),
                check_int(f"{name}[1]", value[1], minimum=minimum))
    v = check_int(name, value, minimum=minimum)
    return v, v


def check_float(name: str, value, *, minimum: float | None = None, maximum: float | None = None,
                strict_min: bool = False, strict_max: bool = False) -> float:
    """Return `value` as a float; check it is a finite real number in the given range."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
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


def check_choice(name: str, value, choices):
    """Check that `value` is one of `choices`; the error lists them all.

    TypeError when no choice has the type of `value` (``reduction=None`` for string choices),
    ValueError when one does but `value` is not among them (``reduction='avg'``).
    """
    if value in choices:
        return value
    allowed = ", ".join(repr(c) for c in choices)
    error = ValueError if any(type(value) is type(c) for c in choices) else TypeError
    raise error(f"{name}={value!r} is not allowed; choose one of {allowed}")


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


def check_module(name: str, value) -> nn.Module:
    """Check that `value` is a `torch.nn.Module`."""
    if not isinstance(value, nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module, got {type(value).__name__}")
    return value


def check_callable(name: str, value, *, what: str = "a function") -> Callable:
    """Check that `value` can be called; `what` says what it should be."""
    if not callable(value):
        raise TypeError(f"{name}={value!r} is not allowed; {name} must be callable ({what})")
    return value
