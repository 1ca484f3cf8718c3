"""The exercise checker: run a reader's function against the reference on many cases.

`check` prints a pass, or the first counterexample with expected vs got, and returns a
`CheckResult` that is truthy when every case passed, so solution cells can `assert check(...)`.
It never raises for a wrong answer: a reader's attempt should print, not crash the notebook.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import torch


@dataclass
class CheckResult:
    name: str
    passed: int
    total: int
    message: str

    def __bool__(self) -> bool:
        return self.passed == self.total and self.total > 0

    def __repr__(self) -> str:
        return self.message


def _close(expected, got, atol: float, rtol: float) -> bool:
    if isinstance(expected, torch.Tensor) or isinstance(got, torch.Tensor):
        if not (isinstance(expected, torch.Tensor) and isinstance(got, torch.Tensor)):
            return False
        if expected.shape != got.shape:
            return False
        return bool(torch.allclose(got.to(expected.dtype), expected, atol=atol, rtol=rtol,
                                   equal_nan=True))
    if isinstance(expected, np.ndarray):
        got = np.asarray(got)
        return got.shape == expected.shape and bool(
            np.allclose(got, expected, atol=atol, rtol=rtol, equal_nan=True))
    if isinstance(expected, (tuple, list)):
        return (isinstance(got, (tuple, list)) and len(got) == len(expected)
                and all(_close(e, g, atol, rtol) for e, g in zip(expected, got)))
    if isinstance(expected, dict):
        return (isinstance(got, dict) and got.keys() == expected.keys()
                and all(_close(expected[k], got[k], atol, rtol) for k in expected))
    if isinstance(expected, bool) or isinstance(got, bool):
        return expected is got or (isinstance(got, (bool, np.bool_)) and bool(got) == expected)
    if isinstance(expected, int):
        if isinstance(got, float):  # e.g. `/` where `//` was meant: right value, wrong type
            return False
        try:
            return int(got) == expected and float(got) == float(expected)
        except (TypeError, ValueError):
            return False
    if isinstance(expected, float) or isinstance(got, float):
        try:
            return math.isclose(float(got), float(expected), rel_tol=rtol, abs_tol=atol) or (
                math.isnan(float(got)) and math.isnan(float(expected)))
        except (TypeError, ValueError):
            return False
    return got == expected


def _show(value, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + " ..."


def _call(fn, case):
    if isinstance(case, dict):
        return fn(**case)
    if isinstance(case, tuple):
        return fn(*case)
    return fn(case)


def _copy(case):
    """Fresh tensors for each call, so a function that modifies its input cannot hide a bug."""
    if isinstance(case, torch.Tensor):
        return case.clone()
    if isinstance(case, tuple):
        return tuple(_copy(c) for c in case)
    if isinstance(case, list):
        return [_copy(c) for c in case]
    if isinstance(case, dict):
        return {k: _copy(v) for k, v in case.items()}
    return case


def check(candidate: Callable, reference: Callable, cases: Iterable, *, name: str | None = None,
          atol: float = 1e-6, rtol: float = 1e-5, quiet: bool = False) -> CheckResult:
    """Compare `candidate(*case)` with `reference(*case)` for every case.

    A case is a tuple of positional arguments, a dict of keyword arguments, or a single argument.
    Tensors, arrays and floats are compared with `atol`/`rtol`; everything else exactly. When the
    reference raises for a case, the candidate passes if it raises an exception of the same type.
    """
    if not callable(candidate):
        raise TypeError(f"candidate must be a function, got {type(candidate).__name__}")
    if not callable(reference):
        raise TypeError(f"reference must be a function, got {type(reference).__name__}")
    name = name or getattr(candidate, "__name__", "your function")
    cases = list(cases)
    if not cases:
        raise ValueError("cases is empty; the checker needs at least one case")
    for i, case in enumerate(cases):
        try:
            expected, expected_error = _call(reference, _copy(case)), None
        except Exception as error:  # the reference refuses this input: so must the candidate
            expected, expected_error = None, error
        try:
            got, got_error = _call(candidate, _copy(case)), None
        except Exception as error:
            got, got_error = None, error
        if expected_error is not None:
            ok = got_error is not None and isinstance(got_error, type(expected_error))
            want = f"raises {type(expected_error).__name__}"
        else:
            ok = got_error is None and _close(expected, got, atol, rtol)
            want = _show(expected)
        if not ok:
            have = (f"raised {type(got_error).__name__}: {got_error}" if got_error is not None
                    else _show(got))
            message = (f"✗ {name}: case {i + 1} of {len(cases)} fails\n"
                       f"    input:    {_show(case)}\n"
                       f"    expected: {want}\n"
                       f"    got:      {have}")
            if not quiet:
                print(message)
            return CheckResult(name, i, len(cases), message)
    message = f"✓ {name}: all {len(cases)} cases pass"
    if not quiet:
        print(message)
    return CheckResult(name, len(cases), len(cases), message)
