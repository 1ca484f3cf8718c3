"""The exercise checkers. Each prints what the reader needs, in lines that fit the website's
output box (`utils.book.wrap`), and returns a `CheckResult`.

A `CheckResult` is truthy when the answer is right, so solution cells can `assert check...(...)`.
No checker raises for a wrong answer: a reader's attempt should print, not crash the notebook.
They raise only for a mistake of the exercise's author (no cases, a bug the cases do not show).

One checker per kind of exercise (the `:class:` of the `{exercise}` block):
- implement: `check(candidate, reference, cases)` runs both on every case and prints the first
  counterexample (input, expected, got);
- predict: `check_prediction(label, predicted, actual, *, why)` compares the reader's number,
  shape, True/False or word with the value the run computed, and prints the answer and why;
- diagnose: `check_fix(candidate, reference, cases, *, symptom, buggy)` compares the reader's
  fixed function with a correct one by behaviour, never by source text, and prints which
  behaviour still differs;
- design: `check_design(label, answer, requirements)` checks every requirement on the reader's
  design, so many designs pass, and prints each one that fails.

The self-check contract with the website
----------------------------------------
In an IPython kernel, the first `check_prediction` call for a label (per kernel) also
1. glues the answer as `f"{label}-answer"` (`utils.book.glue`), for ``{glue:text}`` in prose;
2. displays one output whose `text/html` is exactly

       <div class="dl-selfcheck" data-label="LABEL" data-answer='JSON' data-rtol="R"
       data-atol="A"><p class="dl-selfcheck-why" hidden>WHY</p></div>

   on one line, where LABEL is the exercise's label, JSON the answer as JSON (a number, `true`
   or `false`, a string, or a shape as a list of ints; a non-finite float as the string "NaN",
   "Infinity" or "-Infinity"), with `&`, `<`, `>` and `'` escaped as HTML entities, R and A
   the tolerances written with `format(x, "g")`, and WHY the one-sentence explanation,
   HTML-escaped. A prediction p of a number a is right when |p - a| <= A + R * |a|; a shape
   when it has the same length and every entry is right; a string when it equals the answer
   after stripping spaces and ignoring case; True/False when it is the same. The why is
   `hidden`, so Jupyter and Colab, which render the html too, do not show it before the reader
   has predicted; the website's script reveals it once the reader has checked an answer. Its
   `text/plain`, which only a frontend without HTML shows (terminal IPython, say), is the
   one line `[self-check box for LABEL: on the website]`, since the message is printed above.
Later calls with the same label (the solution cell, a re-run) only print, so a page has one
self-check box and one glue per label. Outside IPython the checker only prints.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import torch

from .book import GLUE_NAME, _in_ipython, glue, plain, wrap


def _say(message: str, quiet: bool) -> None:
    if not quiet:
        print(wrap(message))


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

    def _ipython_display_(self) -> None:
        """Show nothing as a cell's result: the checker has printed the message already, and a
        reader cell ending in `check(...)` would otherwise show it twice."""


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


def _compare_case(candidate, reference, case, atol, rtol):
    """None when `candidate` behaves like `reference` on `case`, else (expected, got) as text."""
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
    if ok:
        return None
    have = (f"raised {type(got_error).__name__}: {got_error}" if got_error is not None
            else _show(got))
    return want, have


def _first_failure(candidate, reference, cases: list, atol, rtol):
    """The first case on which `candidate` does not behave like `reference`, as (its index,
    the lines input / expected / got), or None when every case agrees."""
    for i, case in enumerate(cases):
        failure = _compare_case(candidate, reference, case, atol, rtol)
        if failure is not None:
            want, have = failure
            return i, (f"    input:    {_show(case)}\n"
                       f"    expected: {want}\n"
                       f"    got:      {have}")
    return None


def _result(name: str, passed: int, total: int, message: str, quiet: bool) -> CheckResult:
    _say(message, quiet)
    return CheckResult(name, passed, total, message)


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
    failure = _first_failure(candidate, reference, cases, atol, rtol)
    if failure is None:
        return _result(name, len(cases), len(cases), f"✓ {name}: all {len(cases)} cases pass",
                       quiet)
    i, lines = failure
    return _result(name, i, len(cases), f"✗ {name}: case {i + 1} of {len(cases)} fails\n"
                   + lines, quiet)


# --- predict ------------------------------------------------------------------------------

_SHOWN: set[str] = set()  # labels whose answer this kernel has already glued and displayed


def _answer(value):
    """Plain Python form of an answer: scalar tensors to numbers, shapes and lists to tuples."""
    value = plain(value)
    if isinstance(value, (torch.Size, tuple, list)):
        return tuple(_answer(v) for v in value)
    return value


def _valid_answer(value) -> bool:
    if isinstance(value, tuple):
        return all(_valid_answer(v) for v in value)
    return isinstance(value, (bool, int, float, str))


def _has_float(value) -> bool:
    if isinstance(value, tuple):
        return any(_has_float(v) for v in value)
    return isinstance(value, float)


def _kind(value) -> str:
    if isinstance(value, bool):
        return "True or False"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a word (a string)"
    if isinstance(value, tuple):
        return f"a shape, a tuple of {len(value)} entries"
    return type(value).__name__


def _same_kind(predicted, actual) -> bool:
    if isinstance(actual, bool) or isinstance(predicted, bool):
        return isinstance(actual, bool) and isinstance(predicted, bool)
    if isinstance(actual, (int, float)):
        return isinstance(predicted, (int, float))
    if isinstance(actual, tuple):
        return isinstance(predicted, tuple) and len(predicted) == len(actual)
    return type(predicted) is type(actual)


def _right(predicted, actual, rtol: float, atol: float) -> bool:
    """The rule the website's self-check box repeats: see the module docstring."""
    if isinstance(actual, bool) or isinstance(predicted, bool):
        return isinstance(actual, bool) and predicted is actual
    if isinstance(actual, str):
        return (isinstance(predicted, str)
                and predicted.strip().casefold() == actual.strip().casefold())
    if isinstance(actual, tuple):
        return (isinstance(predicted, tuple) and len(predicted) == len(actual)
                and all(_right(p, a, rtol, atol) for p, a in zip(predicted, actual)))
    if not isinstance(predicted, (int, float)):
        return False
    if math.isnan(actual) or math.isnan(predicted):
        return math.isnan(actual) and math.isnan(predicted)
    if math.isinf(actual) or math.isinf(predicted):
        return predicted == actual
    return abs(predicted - actual) <= atol + rtol * abs(actual)


def _fmt(value) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return format(value, ".6g")
    if isinstance(value, tuple):
        inner = ", ".join(_fmt(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return _show(value)


def _json_answer(value):
    if isinstance(value, tuple):
        return [_json_answer(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


def selfcheck_html(label: str, actual, why: str, rtol: float, atol: float) -> str:
    """The `<div class="dl-selfcheck">` the website turns into an answer box (contract above)."""
    answer = json.dumps(_json_answer(_answer(actual)), ensure_ascii=False, allow_nan=False)
    answer = (answer.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
              .replace("'", "&#x27;"))
    return (f'<div class="dl-selfcheck" data-label="{html.escape(label)}" '
            f"data-answer='{answer}' data-rtol=\"{format(rtol, 'g')}\" "
            f"data-atol=\"{format(atol, 'g')}\"><p class=\"dl-selfcheck-why\" hidden>"
            f"{html.escape(why)}</p></div>")


def check_prediction(label: str, predicted, actual, *, why: str, rtol: float | None = None,
                     atol: float = 0.0, quiet: bool = False) -> CheckResult:
    """Compare the reader's prediction with the value the run computed, and say why.

    `actual`: a number, True/False, a string, or a shape (tuple, list or `torch.Size`; a scalar
    tensor or NumPy number counts as a number). `predicted` is compared with it by the rule in
    the module docstring: numbers within `atol + rtol * |actual|` (`rtol` defaults to 0.05 when
    the answer holds a float, else 0: whole numbers and shapes exact), strings ignoring case.
    `predicted=None` means the reader has not predicted yet: the answer is not shown.
    `why` is one sentence that explains the answer; it is printed whenever a prediction is made.
    In IPython the first call per label also glues `f"{label}-answer"` and displays the
    self-check box for the website (module docstring).
    """
    if not isinstance(label, str) or not GLUE_NAME.fullmatch(label):
        raise ValueError(f"label {label!r} is not allowed: use the exercise's label (letters, "
                         "digits, '-', '_' and '.')")
    if not isinstance(why, str) or not why.strip():
        raise ValueError("why must be one sentence that explains the answer, got "
                         f"{why!r}")
    actual = _answer(actual)
    if not _valid_answer(actual):
        raise TypeError(f"actual must be a number, True/False, a string or a shape, got "
                        f"{type(actual).__name__}")
    if rtol is None:
        rtol = 0.05 if _has_float(actual) else 0.0
    if rtol < 0 or atol < 0:
        raise ValueError(f"rtol={rtol} and atol={atol} must both be >= 0")
    why = why.strip()
    if predicted is None:
        ok = False
        message = (f"○ {label}: no prediction yet. Write your prediction in place of None and "
                   "run this cell again.")
    else:
        predicted = _answer(predicted)
        ok = _right(predicted, actual, rtol, atol)
        if ok:
            message = f"✓ {label}: right, the run gives {_fmt(actual)}"
            if predicted != actual:
                message += f" (you predicted {_fmt(predicted)})"
            message += f".\n    Why: {why}"
        else:
            message = f"✗ {label}: the run gives {_fmt(actual)}, not {_fmt(predicted)}"
            if not _same_kind(predicted, actual):
                message += f" (the answer is {_kind(actual)})"
            elif _has_float(actual) or rtol or atol:
                allowed = [f"{format(100 * rtol, 'g')}%" if rtol else "",
                           format(atol, "g") if atol else ""]
                message += f" (a prediction within {' + '.join(a for a in allowed if a)} counts)"
            message += f".\n    Why: {why}"
    _say(message, quiet)
    if _in_ipython() and label not in _SHOWN:
        _SHOWN.add(label)
        glue(f"{label}-answer", actual, echo=False)
        from IPython.display import display
        display({"text/html": selfcheck_html(label, actual, why, rtol, atol),
                 "text/plain": f"[self-check box for {label}: on the website]"}, raw=True)
    return CheckResult(label, int(ok), 1, message)


# --- diagnose -----------------------------------------------------------------------------

def check_fix(candidate: Callable, reference: Callable, cases: Iterable, *, symptom: str,
              buggy: Callable | None = None, name: str | None = None, atol: float = 1e-6,
              rtol: float = 1e-5, quiet: bool = False) -> CheckResult:
    """Tell the reader's fixed function from the buggy one by what it does on `cases`.

    Cases and comparison as in `check`: the fix passes when it behaves like `reference` on
    every case. Otherwise it prints `symptom` (one sentence: what the bug does, as a reader
    would notice it) and the first case that still differs, expected vs got.
    `buggy`, the function as the exercise hands it out: when given, it must differ from
    `reference` on some case, else a `ValueError` says the cases cannot show the bug (so the
    book's build catches a diagnose exercise whose bug does not show).
    """
    for arg, fn in (("candidate", candidate), ("reference", reference), ("buggy", buggy)):
        if not callable(fn) and not (arg == "buggy" and fn is None):
            raise TypeError(f"{arg} must be a function, got {type(fn).__name__}")
    if not isinstance(symptom, str) or not symptom.strip():
        raise ValueError(f"symptom must be one sentence saying what the bug does, got {symptom!r}")
    name = name or getattr(candidate, "__name__", "your function")
    cases = list(cases)
    if not cases:
        raise ValueError("cases is empty; the checker needs at least one case")
    if buggy is not None and all(
            _compare_case(buggy, reference, case, atol, rtol) is None for case in cases):
        raise ValueError(f"the buggy version behaves like the reference on all {len(cases)} "
                         "cases, so they cannot tell a fix from the bug: add a case that "
                         "shows the bug")
    failure = _first_failure(candidate, reference, cases, atol, rtol)
    if failure is None:
        count = f"all {len(cases)} cases" if len(cases) > 1 else "the 1 case"
        return _result(name, len(cases), len(cases),
                       f"✓ {name}: fixed, it behaves like a correct version on {count}", quiet)
    i, lines = failure
    return _result(name, i, len(cases), f"✗ {name}: not fixed yet. {symptom.strip()}\n"
                   f"    still differs on case {i + 1} of {len(cases)}:\n" + lines, quiet)


# --- design -------------------------------------------------------------------------------

def check_design(label: str, answer, requirements: Mapping[str, Callable], *,
                 measure: Callable | None = None, quiet: bool = False) -> CheckResult:
    """Check every requirement on the reader's design; any design that meets them all passes.

    `requirements` maps a sentence ("the output is 56x56") to a predicate. Each predicate gets
    `measure(answer)` when `measure` is given (computed once: train the model, build the
    stack), else `answer`, and returns a bool, or `(bool, detail)` where `detail` says what was
    measured ("got 57x57"). A predicate that raises counts as failing, with the error shown.
    `answer=None` means the reader has not answered yet.
    """
    if not isinstance(requirements, Mapping) or not requirements:
        raise ValueError("requirements must be a non-empty dict of sentence -> predicate")
    for sentence, predicate in requirements.items():
        if not callable(predicate):
            raise TypeError(f"requirement {sentence!r} must map to a function, got "
                            f"{type(predicate).__name__}")
    total = len(requirements)
    if answer is None:
        message = (f"○ {label}: no design yet. Fill in your answer in place of None and run "
                   "this cell again.")
        _say(message, quiet)
        return CheckResult(label, 0, total, message)
    try:
        measured = measure(answer) if measure is not None else answer
    except Exception as error:
        message = (f"✗ {label}: your design could not be tried: "
                   f"{type(error).__name__}: {error}")
        _say(message, quiet)
        return CheckResult(label, 0, total, message)
    lines, passed = [], 0
    for sentence, predicate in requirements.items():
        detail = ""
        try:
            result = predicate(measured)
            if isinstance(result, tuple) and len(result) == 2:
                result, detail = result
            ok = bool(result)
        except Exception as error:
            ok, detail = False, f"raised {type(error).__name__}: {error}"
        passed += ok
        lines.append(f"    {'✓' if ok else '✗'} {sentence}" + (f" ({detail})" if detail else ""))
    if passed == total:
        head = f"✓ {label}: all {total} requirements hold"
    else:
        failing = total - passed
        head = (f"✗ {label}: {failing} of {total} requirement{'s' if total > 1 else ''} "
                f"fail{'s' if failing == 1 else ''}")
    message = "\n".join([head, *lines])
    _say(message, quiet)
    return CheckResult(label, passed, total, message)
