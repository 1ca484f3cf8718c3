"""The website's explorers and self-check boxes, checked against PyTorch.

Two layers:

- The math modules of `_static/explorers/` (`*-math.mjs`, no DOM) are run with Node on fixtures
  this file generates from `torch` and `utils` at test time: thousands of random convolution
  and pooling settings (PyTorch's sizes, its refusals and `utils.conv`'s explanations), 100-step
  trajectories of every optimizer on every surface against `torch.optim`, every activation's
  value and derivative on a grid against `torch.nn.functional` and autograd, and the
  self-check rule against `utils.exercises.check_prediction`.
- Browser tests (marker `browser`) drive each explorer through its contract (controls named by
  PyTorch's arguments, `<output>` elements) in headless Chromium and compare what the page
  shows with PyTorch; they also check the URL hash round trip of the convolution explorer,
  that nothing is requested from another host (all such requests are blocked), no console
  errors, labels and Tab order, the width and the contrast of text in light and dark mode,
  the self-check boxes, and take a screenshot of each explorer
  (`_build/screenshots/explorer-NAME.png`). They run on a fixture page that loads the real
  scripts (`tests/fixtures/explorers/index.html`) and on the built site's pages that carry the
  explorer's `<div class="dl-explorer">` (skipped, saying why, while no page does).

Every check is a function returning a list of problems, so the same code shows each problem
on deliberately broken fixtures: `tests/fixtures/explorers/broken_math/` (math modules with one
bug each) and `tests/fixtures/explorers/broken.html` (the real explorers, sabotaged).

Without Node or Chromium the tests skip, saying why; with DLBOOK_REQUIRE_SITE=1 they fail.
"""

from __future__ import annotations

import html
import json
import math
import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import test_website
import torch
import torch.nn.functional as F
from test_website import (
    SCREENSHOTS,
    SITE,
    TIMEOUT_MS,
    console_problems,
    is_local,
    new_context,
    open_page,
    serve,
    unavailable,
)
from torch import nn

from utils import activations as A
from utils import conv
from utils import optim as O
from utils.exercises import check_prediction, selfcheck_html

browser = test_website.browser  # the module-scoped headless Chromium fixture, reused

ROOT = Path(__file__).resolve().parents[1]
EXPLORERS = ROOT / "_static" / "explorers"
RUNNER = ROOT / "tests" / "js" / "run.mjs"
FIXTURES = ROOT / "tests" / "fixtures" / "explorers"
BROKEN_MATH = FIXTURES / "broken_math"
FIXTURE_PAGE = "tests/fixtures/explorers/index.html"
NAMES = ["conv", "optimizer", "activation"]
MODES = ["conv", "conv_transpose", "max_pool", "avg_pool"]
OPTIMIZERS = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"]
SURFACES = list(O.MINIMA)  # rosenbrock, beale, himmelblau, saddle, quadratic
ARGUMENTS = {  # what each mode of the convolution explorer takes (nn.AvgPool2d: no dilation)
    "conv": ["n", "kernel_size", "stride", "padding", "dilation"],
    "conv_transpose": ["n", "kernel_size", "stride", "padding", "output_padding", "dilation"],
    "max_pool": ["n", "kernel_size", "stride", "padding", "dilation", "ceil_mode"],
    "avg_pool": ["n", "kernel_size", "stride", "padding", "ceil_mode"],
}
USES = {  # the hyper-parameters each optimizer of the playground reads
    "sgd": ["lr", "weight_decay"], "momentum": ["lr", "momentum", "weight_decay"],
    "nesterov": ["lr", "momentum", "weight_decay"], "adagrad": ["lr", "eps", "weight_decay"],
    "rmsprop": ["lr", "alpha", "eps", "weight_decay"],
    "adam": ["lr", "beta1", "beta2", "eps", "weight_decay"],
    "adamw": ["lr", "beta1", "beta2", "eps", "weight_decay"],
}
TRAJECTORY_RTOL, TRAJECTORY_ATOL = 1e-6, 1e-9
ACTIVATION_RTOL, ACTIVATION_ATOL = 1e-12, 1e-14
CONV_CASES, TRAJECTORIES_PER_PAIR = 4000, 6


# --- running the JavaScript with Node --------------------------------------------------------

def node() -> str:
    path = shutil.which("node")
    if path is None:
        unavailable("node not found: the explorers' math runs under Node 18+ (apt-get install "
                    "nodejs)")
    return path


def run_js(kind: str, cases: list, directory: Path = EXPLORERS) -> list:
    """The results of `tests/js/run.mjs DIRECTORY KIND` on `cases` (non-finite numbers back)."""
    done = subprocess.run([node(), str(RUNNER), str(directory), kind], input=json.dumps(cases),
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"node failed:\n{done.stderr[-3000:]}"
    special = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}

    def back(value):
        if isinstance(value, list):
            return [back(v) for v in value]
        if isinstance(value, dict):
            return {k: back(v) for k, v in value.items()}
        return special.get(value, value) if isinstance(value, str) else value

    return back(json.loads(done.stdout))


# --- the oracles: PyTorch, and utils for the explanations -----------------------------------

def torch_size(s: dict) -> int | None:
    """The output length PyTorch gives along one dimension, or None when it refuses."""
    mode, n, k = s["mode"], s["n"], s["kernel_size"]
    try:
        x = torch.zeros(1, 1, n, dtype=torch.float64)
        if mode == "conv":
            y = F.conv1d(x, torch.zeros(1, 1, k, dtype=torch.float64), stride=s["stride"],
                         padding=s["padding"], dilation=s["dilation"])
        elif mode == "conv_transpose":
            y = F.conv_transpose1d(x, torch.zeros(1, 1, k, dtype=torch.float64),
                                   stride=s["stride"], padding=s["padding"],
                                   output_padding=s["output_padding"], dilation=s["dilation"])
        elif mode == "max_pool":
            y = F.max_pool1d(x, k, s["stride"], s["padding"], s["dilation"],
                             ceil_mode=s["ceil_mode"])
        else:
            y = F.avg_pool1d(x, k, s["stride"], s["padding"], ceil_mode=s["ceil_mode"])
    except (RuntimeError, TypeError, ValueError):
        return None
    return y.shape[-1]


def utils_size(s: dict) -> tuple[int | None, str | None]:
    """(size, None) from utils.conv, or (None, the explanation it raises)."""
    try:
        if s["mode"] == "conv":
            return conv.conv_output_size(s["n"], s["kernel_size"], s["stride"], s["padding"],
                                         s["dilation"]), None
        if s["mode"] == "conv_transpose":
            return conv.conv_transpose_output_size(s["n"], s["kernel_size"], s["stride"],
                                                   s["padding"], s["output_padding"],
                                                   s["dilation"]), None
        dilation = s["dilation"] if s["mode"] == "max_pool" else 1
        return conv.pool_output_size(s["n"], s["kernel_size"], s["stride"], s["padding"],
                                     dilation, s["ceil_mode"]), None
    except (TypeError, ValueError) as error:
        return None, str(error)


def conv_settings(count: int, seed: int) -> list[dict]:
    """Random settings within the explorer's ranges, a few with a value the checks refuse."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        mode = MODES[i % len(MODES)]
        s = {"mode": mode, "n": rng.randint(1, 20), "kernel_size": rng.randint(1, 9),
             "stride": rng.randint(1, 4), "padding": rng.randint(0, 4),
             "dilation": rng.randint(1, 4), "output_padding": rng.randint(0, 3),
             "ceil_mode": rng.random() < 0.5}
        if rng.random() < 0.08:  # a value of the wrong kind or out of range
            name = rng.choice([a for a in ARGUMENTS[mode] if a != "ceil_mode"])
            s[name] = rng.choice([0, -1, -3, 2.5])
        # the arguments a mode does not take keep PyTorch's values (the explorer disables them)
        if "dilation" not in ARGUMENTS[mode]:
            s["dilation"] = 1
        if "output_padding" not in ARGUMENTS[mode]:
            s["output_padding"] = 0
        if "ceil_mode" not in ARGUMENTS[mode]:
            s["ceil_mode"] = False
        out.append(s)
    return out


def surface_function(s: dict):
    if s["surface"] == "quadratic":
        return O.quadratic(s["condition_number"])
    return getattr(O, s["surface"])


def make_torch_optimizer(s: dict):
    """torch.optim's optimizer for the playground's settings (PyTorch's defaults otherwise)."""
    name, lr, wd = s["optimizer"], s["lr"], s["weight_decay"]

    def make(params):
        if name in ("sgd", "momentum", "nesterov"):
            return torch.optim.SGD(params, lr=lr, momentum=0 if name == "sgd" else s["momentum"],
                                   nesterov=name == "nesterov", weight_decay=wd)
        if name == "adagrad":
            return torch.optim.Adagrad(params, lr=lr, eps=s["eps"], weight_decay=wd)
        if name == "rmsprop":
            return torch.optim.RMSprop(params, lr=lr, alpha=s["alpha"], eps=s["eps"],
                                       weight_decay=wd)
        cls = torch.optim.Adam if name == "adam" else torch.optim.AdamW
        return cls(params, lr=lr, betas=(s["beta1"], s["beta2"]), eps=s["eps"], weight_decay=wd)

    return make


def torch_trajectory(s: dict) -> torch.Tensor:
    return O.trajectory(make_torch_optimizer(s), surface_function(s), (s["x0"], s["y0"]),
                        s["steps"])


def optimizer_settings(per_pair: int, seed: int, views: dict) -> list[dict]:
    """Random hyper-parameters and starts for every optimizer on every surface; the learning
    rate around the lesson's value for the pair (x1/4 to x2), the start inside the plot."""
    rng = random.Random(seed)
    log_uniform = lambda lo, hi: 10 ** rng.uniform(math.log10(lo), math.log10(hi))
    out = []
    for surface in SURFACES:
        view = views[surface]
        for name in OPTIMIZERS:
            for _ in range(per_pair):
                out.append({
                    "optimizer": name, "surface": surface, "steps": 100,
                    "lr": view["lr"][name] * log_uniform(0.25, 2.0),
                    "momentum": rng.uniform(0.5, 0.95), "alpha": rng.uniform(0.9, 0.999),
                    "beta1": rng.uniform(0.8, 0.95), "beta2": rng.uniform(0.99, 0.9999),
                    "eps": log_uniform(1e-10, 1e-6),
                    "weight_decay": 0.0 if rng.random() < 0.5 else log_uniform(1e-4, 1e-1),
                    "condition_number": rng.uniform(1.0, 100.0),
                    "x0": rng.uniform(*view["xlim"]), "y0": rng.uniform(*view["ylim"])})
    return out


def point_difference(got, expected) -> tuple[bool, float]:
    """(within TRAJECTORY_RTOL relative, TRAJECTORY_ATOL absolute; the relative difference)."""
    if not (math.isfinite(expected) and math.isfinite(got)):
        return (math.isnan(got) and math.isnan(expected)) or got == expected, 0.0
    gap = abs(got - expected)
    return gap <= TRAJECTORY_RTOL * abs(expected) + TRAJECTORY_ATOL, gap / max(abs(expected),
                                                                               1e-300)


def activation_grid(params: dict) -> list[float]:
    xs = [round(-10 + 0.01 * i, 10) for i in range(2001)]
    xs += [0.0, -0.0, 1e-300, -1e-300, 1e-8, -1e-8, 37.5, -37.5, 745.0, -745.0]
    if "beta" in params:  # around softplus's switch to the identity, beta * x = threshold
        edge = params["threshold"] / params["beta"]
        xs += [edge, math.nextafter(edge, math.inf), math.nextafter(edge, -math.inf)]
    return xs


def activation_cases(seed: int) -> list[dict]:
    """Every activation with PyTorch's defaults, utils' examples and random parameters."""
    rng = random.Random(seed)
    cases = []
    for name, spec in A.SPECS.items():
        settings = [dict(spec.defaults)] + [{**spec.defaults, **e} for e in spec.examples]
        for _ in range(3):
            random_params = {"negative_slope": rng.uniform(-1, 1), "alpha": rng.uniform(0, 3),
                             "beta": rng.uniform(0.2, 5), "threshold": rng.uniform(0.5, 30),
                             "approximate": rng.choice(["none", "tanh"])}
            settings.append({k: random_params[k] for k in spec.defaults})
        for params in settings:
            cases.append({"name": name, "params": params, "xs": activation_grid(params)})
    return cases


def torch_activation(name: str, params: dict, xs: list[float]):
    """PyTorch's values and autograd's derivatives, float64."""
    x = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    y = A.SPECS[name].torch_function(x, **params)
    (grad,) = torch.autograd.grad(y.sum(), x)
    return y.detach().tolist(), grad.tolist()


def utils_activation_error(name: str, params: dict) -> str | None:
    try:
        A.get(name, **params)
    except (TypeError, ValueError) as error:
        return str(error)
    return None


# --- the comparisons: each returns (problems, facts) ----------------------------------------

def conv_problems(directory: Path = EXPLORERS, count: int = CONV_CASES, seed: int = 0):
    settings = conv_settings(count, seed)
    results = run_js("conv", settings, directory)
    problems, refused, layers_checked = [], 0, 0
    for s, got in zip(settings, results):
        expected = torch_size(s)
        size, explanation = utils_size(s)
        where = json.dumps(s)
        refused += expected is None
        if (expected is None) != (size is None) or (size is not None and size != expected):
            problems.append(f"utils.conv disagrees with PyTorch on {where}: {size} vs {expected}")
        if expected is None:
            if got["output_size"] is not None:
                problems.append(f"PyTorch refuses {where}, the explorer gives {got['output_size']}")
            elif got["error"] != explanation:
                problems.append(f"explanation for {where}: {got['error']!r}, utils.conv says "
                                f"{explanation!r}")
        elif got["output_size"] != expected:
            problems.append(f"output size for {where}: {got['output_size']} (error "
                            f"{got['error']!r}), PyTorch gives {expected}")
        elif not got["formula"].endswith(f"= {expected}"):
            problems.append(f"the formula for {where} does not end in = {expected}: "
                            f"{got['formula']!r}")
        elif layers_checked < 400 and isinstance(s["n"], int) and s["n"] <= 12:
            # the PyTorch line the explorer shows builds a layer of that output size
            layer = eval(got["pytorch"], {"nn": nn})  # noqa: S307 - our own generated line
            shape = tuple(layer(torch.zeros(1, 1, s["n"], s["n"])).shape)
            layers_checked += 1
            if shape != (1, 1, expected, expected):
                problems.append(f"{got['pytorch']} gives {shape} for {where}, not {expected}")
    return problems, {"configurations": count, "refused": refused, "layers": layers_checked}


def optimizer_problems(directory: Path = EXPLORERS, per_pair: int = TRAJECTORIES_PER_PAIR,
                       seed: int = 0):
    views = run_js("constants", [], EXPLORERS)["views"]  # the lesson's boxes and lrs
    settings = optimizer_settings(per_pair, seed, views)
    results = run_js("optimizer", settings, directory)
    problems, largest, points, diverged = [], 0.0, 0, 0
    for s, got in zip(settings, results):
        expected = torch_trajectory(s).tolist()
        where = json.dumps(s)
        if "error" in got:
            problems.append(f"{where}: the explorer refuses it: {got['error']}")
            continue
        diverged += not all(math.isfinite(v) for p in expected for v in p)
        got["path"] = [[float(v) for v in p] for p in got["path"]]  # JSON may give ints
        bad = None
        for t, (p, q) in enumerate(zip(got["path"], expected)):
            for axis in range(2):
                ok, gap = point_difference(p[axis], q[axis])
                points += 1
                largest = max(largest, gap if math.isfinite(q[axis]) and abs(q[axis]) > 1e-3
                              else 0.0)
                if not ok and bad is None:
                    bad = f"step {t}: {p} vs torch.optim {q}"
        if len(got["path"]) != len(expected):
            bad = f"{len(got['path'])} points, torch.optim has {len(expected)}"
        if bad:
            problems.append(f"{s['optimizer']} on {s['surface']} ({where}): {bad}")
    return problems, {"trajectories": len(settings), "coordinates": points,
                      "largest_relative": largest, "diverged": diverged}


def activation_problems(directory: Path = EXPLORERS, seed: int = 0):
    cases = activation_cases(seed)
    results = run_js("activation", cases, directory)
    problems, values = [], 0
    largest = {"value_relative": 0.0, "value_absolute": 0.0, "derivative_relative": 0.0,
               "derivative_absolute": 0.0}
    for case, got in zip(cases, results):
        name, params = case["name"], case["params"]
        if "error" in got:
            problems.append(f"{name}({params}): the explorer refuses it: {got['error']}")
            continue
        expected = dict(zip(("value", "derivative"), torch_activation(name, params, case["xs"])))
        for what in ("value", "derivative"):
            for x, g, e in zip(case["xs"], got[what], expected[what]):
                values += 1
                gap = abs(g - e)
                if not (gap <= ACTIVATION_RTOL * abs(e) + ACTIVATION_ATOL or g == e):
                    problems.append(f"{name}({params}) {what} at x={x!r}: {g!r}, PyTorch "
                                    f"{'autograd ' if what == 'derivative' else ''}gives {e!r}")
                    break
                largest[f"{what}_absolute"] = max(largest[f"{what}_absolute"], gap)
                if abs(e) > 1e-3:
                    largest[f"{what}_relative"] = max(largest[f"{what}_relative"], gap / abs(e))
        # the torch.nn.functional call the explorer shows computes the same values
        x = torch.tensor(case["xs"][:50], dtype=torch.float64)
        shown = eval(got["pytorch"], {"F": F, "torch": torch, "x": x})  # noqa: S307
        if not torch.allclose(shown, torch.tensor(expected["value"][:50], dtype=torch.float64)):
            problems.append(f"{got['pytorch']} does not compute {name}({params})")
    bad_params = [("elu", {"alpha": -1.0}), ("softplus", {"beta": 0.0}),
                  ("softplus", {"beta": -2.5}), ("leaky_relu", {"negative_slope": ""}),
                  ("gelu", {"approximate": "exact"}), ("softplus", {"threshold": ""}),
                  ("elu", {"alpha": 1e-05 - 1})]
    refusals = run_js("activation", [{"name": n, "params": p, "xs": [0.0]}
                                     for n, p in bad_params], directory)
    for (name, params), got in zip(bad_params, refusals):
        expected = utils_activation_error(name, {**A.SPECS[name].defaults, **params})
        if got.get("error") != expected:
            problems.append(f"{name}({params}): the explorer says {got.get('error')!r}, "
                            f"utils.activations.get says {expected!r}")
    return problems, {"settings": len(cases), "values": values, "largest": largest,
                      "refusals": len(bad_params)}


def selfcheck_cases(seed: int) -> list[dict]:
    """Answers as check_prediction gets them, and predictions as a reader types them."""
    rng = random.Random(seed)
    tolerances = [(0.0, 0.0), (0.05, 0.0), (0.01, 0.0), (0.0, 0.5), (0.1, 1e-3), (1e-6, 0.0)]
    cases = []
    for _ in range(300):
        rtol, atol = rng.choice(tolerances)
        actual = rng.choice([rng.randint(-50, 200), rng.uniform(-10, 10),
                             10 ** rng.uniform(-8, 8)])
        width = atol + rtol * abs(actual)
        for k in (-2.0, -1.0001, -0.9999, 0.0, 0.5, 0.9999, 1.0001, 3.0):
            predicted = actual + k * width if width else actual + (k != 0) * k
            cases.append((actual, predicted, repr(predicted), rtol, atol))
        shown = format(actual, ".6g")  # as the notebook prints it, typed back
        cases.append((actual, float(shown), shown, rtol, atol))
    for actual in (True, False):
        for text, predicted in (("True", True), ("false", False), (" yes ", True), ("no", False)):
            cases.append((actual, predicted, text, 0.0, 0.0))
    for text in ("relu", " ReLU ", "RELU", "tanh", "re lu"):
        cases.append(("relu", text, text, 0.0, 0.0))
    shapes = [((2, 16, 7, 7), "(2, 16, 7, 7)", (2, 16, 7, 7)), ((2, 16, 7, 7), "[2,16,7,7]",
              (2, 16, 7, 7)), ((2, 16, 7, 7), "2 x 16 x 7 x 7", (2, 16, 7, 7)),
              ((2, 16, 7, 7), "torch.Size([2, 16, 7, 7])", (2, 16, 7, 7)),
              ((2, 16, 7, 7), "(2, 16, 7)", (2, 16, 7)), ((2, 16, 7, 7), "(2, 16, 8, 7)",
              (2, 16, 8, 7)), ((5,), "(5,)", (5,)), ((5,), "5", (5,))]
    for actual, text, predicted in shapes:
        cases.append((actual, predicted, text, 0.0, 0.0))
    cases.append((math.inf, math.inf, "inf", 0.05, 0.0))
    cases.append((math.nan, math.nan, "nan", 0.05, 0.0))
    cases.append((math.nan, 1.0, "1", 0.05, 0.0))
    return cases


def box_attributes(markup: str) -> dict:
    """data-answer (as the browser reads it: entities decoded), data-rtol and data-atol."""
    found = re.search(r"data-answer='([^']*)' data-rtol=\"([^\"]*)\" data-atol=\"([^\"]*)\"",
                      markup)
    assert found, markup
    return {"answer": html.unescape(found[1]), "rtol": float(found[2]), "atol": float(found[3])}


def selfcheck_problems(directory: Path = EXPLORERS, seed: int = 0):
    cases = selfcheck_cases(seed)
    inputs = []
    for actual, _, text, rtol, atol in cases:
        inputs.append({"text": text, **box_attributes(selfcheck_html("t-ex", actual, "w", rtol,
                                                                     atol))})
    results = run_js("selfcheck", inputs, directory)
    problems = []
    for (actual, predicted, text, rtol, atol), got in zip(cases, results):
        expected = bool(check_prediction("t-ex", predicted, actual, why="w", rtol=rtol,
                                         atol=atol, quiet=True))
        if got.get("right") != expected:
            problems.append(f"answer {actual!r}, typed {text!r} (rtol={rtol}, atol={atol}): "
                            f"the box says {got}, check_prediction says {expected}")
    return problems, {"cases": len(cases)}


# --- the math modules against PyTorch (Node) --------------------------------------------------

def test_conv_sizes_match_pytorch():
    problems, facts = conv_problems()
    print(f"conv explorer: {facts}")
    assert facts["refused"] > CONV_CASES // 5, "too few refused settings to test the refusals"
    assert problems == [], "\n".join(problems[:20])


def test_optimizer_trajectories_match_torch_optim():
    problems, facts = optimizer_problems()
    print(f"optimizer playground: {facts}")
    assert facts["trajectories"] == len(OPTIMIZERS) * len(SURFACES) * TRAJECTORIES_PER_PAIR
    assert problems == [], "\n".join(problems[:20])


def test_optimizer_constants_match_pytorch_and_utils():
    """PyTorch's defaults, the surfaces' names and their minima, as the playground has them."""
    constants = run_js("constants", [])
    assert sorted(constants["surfaces"]) == sorted(O.MINIMA)
    for surface, minima in O.MINIMA.items():
        flat = [v for m in constants["minima"][surface] for v in m]
        assert flat == pytest.approx([v for m in minima for v in m]), surface
    classes = {"sgd": torch.optim.SGD, "momentum": torch.optim.SGD, "nesterov": torch.optim.SGD,
               "adagrad": torch.optim.Adagrad, "rmsprop": torch.optim.RMSprop,
               "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}
    import inspect

    from torch.optim.optimizer import required
    for name, cls in classes.items():
        signature = inspect.signature(cls).parameters
        defaults = {k: v.default for k, v in signature.items()}
        if "betas" in defaults:
            defaults["beta1"], defaults["beta2"] = defaults["betas"]
        for key, value in constants["defaults"][name].items():
            if defaults[key] is required:  # SGD's lr has a default only since PyTorch 2.2
                assert (name, key) in {("sgd", "lr"), ("momentum", "lr"), ("nesterov", "lr")}
                continue
            assert value == float(defaults[key]), f"{name} {key}: {value} vs {defaults[key]}"
        assert sorted(constants["defaults"][name]) == sorted(USES[name]), name
        assert sorted(constants["uses"][name]) == sorted(USES[name]), name


def test_activations_match_pytorch_and_autograd():
    problems, facts = activation_problems()
    print(f"activation explorer: {facts}")
    assert problems == [], "\n".join(problems[:20])


def test_activation_names_and_defaults_are_utils():
    constants = run_js("constants", [])
    assert constants["activations"] == list(A.ACTIVATIONS)
    for name, spec in A.SPECS.items():
        assert constants["parameters"].get(name, {}) == dict(spec.defaults), name


def test_selfcheck_rule_is_check_predictions():
    problems, facts = selfcheck_problems()
    assert facts["cases"] > 2000
    assert problems == [], "\n".join(problems[:20])


def test_python_float_repr_and_erf():
    """The explanations print floats as Python does; erf (JavaScript has none) to 1e-15."""
    rng = random.Random(0)
    xs = [0.0, -0.0, 1.0, 2.5, 1e-5, 1e-4, 1.5e-05, 1e15, 1e16, 1.2345e16, 123.0, 0.1, 1 / 3,
          -1e-300, 5e-324, 1.7976931348623157e308, 2.0, 1e22]
    xs += [rng.uniform(-1, 1) * 10 ** rng.uniform(-12, 20) for _ in range(2000)]
    xs += [rng.uniform(-7, 7) for _ in range(2000)]
    results = run_js("pyformat", xs)
    for x, got in zip(xs, results):
        assert got["repr"] == repr(x), x
        assert got["erf"] == pytest.approx(math.erf(x), rel=1e-15, abs=1e-300), x
        assert got["erfc"] == pytest.approx(math.erfc(x), rel=2e-14, abs=1e-300), x


# --- the same comparisons catch a broken math module -----------------------------------------

def test_broken_math_modules_are_caught():
    """Each module in tests/fixtures/explorers/broken_math/ has one bug; each check finds it."""
    problems, _ = conv_problems(BROKEN_MATH, count=800)
    report = "\n".join(problems)
    assert re.search(r'output size for \{"mode": "max_pool".*"dilation": [2-4]', report), report
    assert "larger than the input" in report, report  # an explanation worded differently
    problems, _ = optimizer_problems(BROKEN_MATH, per_pair=1)
    assert problems and all(p.startswith("nesterov on") for p in problems), problems
    problems, _ = activation_problems(BROKEN_MATH)
    assert any(p.startswith("gelu({'approximate': 'tanh'}) derivative") for p in problems), \
        problems
    assert all(p.startswith("gelu") or "softplus" in p for p in problems), problems
    assert any("utils.activations.get says 'beta=0.0 is not allowed" in p for p in problems)
    problems, _ = selfcheck_problems(BROKEN_MATH)
    assert problems and all("atol=0.5" in p or "atol=0.001" in p for p in problems), problems[:5]


def test_fixture_selfchecks_are_what_utils_writes():
    """The fixture page's self-check divs are exactly utils.exercises.selfcheck_html's output."""
    page = (FIXTURES / "index.html").read_text(encoding="utf-8")
    expected = [
        selfcheck_html("fixture-ex-size", 4, "A 3x3 kernel with stride 2 and padding 1 halves 7 "
                       "pixels, rounding down: floor(6 / 2) + 1 = 4.", 0.0, 0.0),
        selfcheck_html("fixture-ex-ratio", 0.25, "Sigmoid's derivative s(1 - s) is largest at "
                       "s = 1/2, where it is 1/4.", 0.05, 0.0),
        selfcheck_html("fixture-ex-shape", (2, 16, 7, 7), "Channels become out_channels; 14 "
                       "pixels with stride 2 give 7 <per> side & more.", 0.0, 0.0),
        selfcheck_html("fixture-ex-bool", True, "Adam divides by the root of the second moment, "
                       "so its step is about lr.", 0.0, 0.0),
        selfcheck_html("fixture-ex-word", "relu", "Only ReLU is exactly zero for every negative "
                       "input.", 0.0, 0.0),
    ]
    for markup in expected:
        assert markup in page, f"the fixture lacks {markup}"


# --- the browser: serving, finding pages, driving controls ----------------------------------

@pytest.fixture(scope="module")
def repo_server():
    with serve(ROOT) as base:
        yield base


@pytest.fixture(scope="module")
def site_server():
    if not (SITE / "index.html").exists():
        unavailable(f"{SITE} has no built website: run `jupyter-book build . -W --keep-going`")
    with serve(SITE) as base:
        yield base


def site_pages_with(marker: str) -> list[str]:
    """The built site's pages (paths under _build/html) whose HTML contains `marker`."""
    return sorted(p.relative_to(SITE).as_posix() for p in SITE.rglob("*.html")
                  if "_static" not in p.parts and marker in p.read_text(encoding="utf-8",
                                                                        errors="replace"))


def page_url(request, variant: str, marker: str) -> str:
    """The fixture page, or the first page of the built site that carries `marker`."""
    if variant == "fixture":
        return request.getfixturevalue("repo_server") + FIXTURE_PAGE
    base = request.getfixturevalue("site_server")
    pages = site_pages_with(marker)
    if not pages:
        unavailable(f"no page of {SITE} carries {marker}: the lessons' Explorer sections do not "
                    "have the explorer's div yet (or the site was built before they did)")
    return base + pages[0]


def explorer_marker(name: str) -> str:
    return f'data-explorer="{name}"'


def root_of(page, name: str):
    root = page.locator(f'div.dl-explorer[data-explorer="{name}"]').first
    root.wait_for(state="attached", timeout=TIMEOUT_MS)
    page.wait_for_function(
        "(name) => document.querySelector(`div.dl-explorer[data-explorer=\"${name}\"]`)"
        "?.dataset.ready === 'true'", arg=name, timeout=TIMEOUT_MS)
    return root


def set_controls(root, settings: dict):
    """Set each control as a reader would: choose an option, tick a box, type a value.

    The controls' kinds are read in one call for all of them (one round trip to the browser
    instead of one per control: the conv contract sets thousands of controls)."""
    kinds = root.evaluate(
        "(r, names) => names.map(n => { const e = r.querySelector(`[name=\"${n}\"]`);"
        " return e === null ? null : (e.tagName === 'SELECT' ? 'select' : e.type); })",
        list(settings))
    missing = [name for name, kind in zip(settings, kinds) if kind is None]
    assert missing == [], f"the explorer has no control named {missing}"
    for (name, value), kind in zip(settings.items(), kinds):
        control = root.locator(f'[name="{name}"]').first
        if kind == "select":
            control.select_option(str(value))
        elif kind == "checkbox":
            control.set_checked(bool(value))
        else:
            control.fill(value if isinstance(value, str) else repr(value))


def outputs(root) -> dict:
    return root.evaluate("r => Object.fromEntries([...r.querySelectorAll('output[name]')]"
                         ".map(o => [o.name, o.value]))")


def visible_settings(s: dict, names: list[str]) -> dict:
    return {k: s[k] for k in names}


# --- the browser checks: each returns a list of problems -----------------------------------

def conv_contract_problems(page, settings: list[dict]) -> list[str]:
    root = root_of(page, "conv")
    problems = []
    for s in settings:
        set_controls(root, {"mode": s["mode"]})
        set_controls(root, visible_settings(s, ARGUMENTS[s["mode"]]))
        shown = outputs(root)
        expected = torch_size(s)
        _, explanation = utils_size(s)
        where = json.dumps(visible_settings(s, ["mode", *ARGUMENTS[s["mode"]]]))
        if expected is None:
            if shown["output_size"] != "" or shown["error"] != explanation:
                problems.append(f"conv {where}: PyTorch refuses it; the page shows output_size="
                                f"{shown['output_size']!r}, error={shown['error']!r}, utils.conv "
                                f"says {explanation!r}")
        elif shown["output_size"] != str(expected) or shown["error"] != "":
            problems.append(f"conv {where}: output_size={shown['output_size']!r} error="
                            f"{shown['error']!r}, PyTorch gives {expected}")
    return problems


def optimizer_contract_problems(page, settings: list[dict]) -> list[str]:
    root = root_of(page, "optimizer")
    problems = []
    for s in settings:
        set_controls(root, {"surface": s["surface"], "optimizer": s["optimizer"]})
        names = [*USES[s["optimizer"]], "steps", "x0", "y0"]
        if s["surface"] == "quadratic":
            names.append("condition_number")
        set_controls(root, visible_settings(s, names))
        shown = outputs(root)["final_point"].split()
        expected = torch_trajectory(s)[-1].tolist()
        ok = len(shown) == 2 and all(
            point_difference(float(g), e)[0] for g, e in zip(shown, expected))
        # at least 6 significant digits (the mantissa's digits after any leading zeros)
        digits = [len(re.sub(r"[^0-9]", "", g.split("e")[0]).lstrip("0")) for g in shown]
        if not ok or any(d < 6 for d, e in zip(digits, expected) if e and math.isfinite(e)):
            where = json.dumps(visible_settings(s, ["optimizer", "surface", *names]))
            problems.append(f"optimizer {where}: final_point={' '.join(shown)!r}, torch.optim "
                            f"gives {expected}")
    return problems


def activation_contract_problems(page, cases: list[tuple[str, dict, float]]) -> list[str]:
    root = root_of(page, "activation")
    problems = []
    for name, params, x in cases:
        set_controls(root, {"activation": name, **params, "x": x})
        shown = outputs(root)
        (value,), (derivative,) = torch_activation(name, params, [x])
        for what, expected in (("value", value), ("derivative", derivative)):
            try:
                got = float(shown[what])
            except ValueError:
                got = math.nan
            if not abs(got - expected) <= 1e-9 * abs(expected) + 1e-12:
                problems.append(f"activation {name}({params}) at x={x}: {what}="
                                f"{shown[what]!r}, PyTorch gives {expected!r}")
    return problems


def hash_problems(context, url: str, s: dict) -> list[str]:
    """The conv explorer's settings go into the URL hash; opening that URL restores them."""
    visit = open_page(context, url)
    root = root_of(visit.page, "conv")
    set_controls(root, {"mode": s["mode"]})
    set_controls(root, visible_settings(s, ARGUMENTS[s["mode"]]))
    before = {**outputs(root), **control_values(root)}
    shared = visit.page.evaluate("() => location.href")
    visit.page.close()
    if "#conv:" not in shared:
        return [f"the URL does not hold the settings after changing them: {shared}"]
    again = open_page(context, shared)
    after = {**outputs(root_of(again.page, "conv")), **control_values(root_of(again.page, "conv"))}
    again.page.close()
    return [f"{key}: {before[key]!r} before sharing, {after.get(key)!r} from the shared URL"
            for key in before if after.get(key) != before[key] and key != "window"]


def control_values(root) -> dict:
    return root.evaluate("r => Object.fromEntries([...r.querySelectorAll('input[name], "
                         "select[name]')].map(c => [c.name, c.type === 'checkbox' ? "
                         "String(c.checked) : c.value]))")


def label_problems(root) -> list[str]:
    """Every input, select and button inside the explorer has a name a screen reader reads."""
    missing = root.evaluate("""r => [...r.querySelectorAll("input, select, button, output")]
        .filter(e => {
            const byLabel = [...(e.labels || [])].map(l => l.textContent.trim()).join(" ");
            const byAria = e.getAttribute("aria-label") || (e.getAttribute("aria-labelledby")
                || "").split(/\\s+/).map(id => document.getElementById(id)?.textContent || "")
                .join(" ");
            const own = e.tagName === "BUTTON" ? e.textContent.trim() : "";
            return !(byLabel || byAria.trim() || own) && !(e.tagName === "OUTPUT"
                && e.closest(".dl-code, .dl-formula, .dl-stepper"));
        }).map(e => e.name || e.outerHTML.slice(0, 60))""")
    return [f"{name} has no label" for name in missing]


def tab_problems(page, root) -> list[str]:
    """Tab from the first control reaches every enabled control of the explorer, in order."""
    names = root.evaluate("""r => {
        const focusable = "input, select, button, [tabindex]:not([tabindex^='-'])";
        const items = [...r.querySelectorAll(focusable)]
            .filter(e => !e.disabled && e.offsetParent !== null);
        items.forEach((e, i) => { e.dataset.tabOrder = String(i); });
        items[0]?.focus();
        return items.map(e => e.name || e.textContent.trim());
    }""")
    reached = {0} if names else set()
    for _ in range(len(names) + 3):
        page.keyboard.press("Tab")
        order = page.evaluate("() => document.activeElement?.dataset?.tabOrder ?? null")
        if order is None:
            break
        reached.add(int(order))
    return [f"{name} is not reachable by Tab" for i, name in enumerate(names)
            if i not in reached]


def width_problems(root) -> list[str]:
    width = root.evaluate("r => [r.scrollWidth, r.clientWidth]")
    if width[0] > width[1] + 1:
        return [f"the explorer is wider than the page's content ({width[0]} px in {width[1]} px)"]
    return []


def contrast_problems(page, root, theme: str) -> list[str]:
    """Text inside the explorer has a contrast of at least 4.5 with what is behind it."""
    page.evaluate("(theme) => { document.documentElement.dataset.theme = theme; "
                  "document.documentElement.dataset.mode = theme; }", theme)
    low = root.evaluate("""r => {
        const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
        const lum = ([R, G, B]) => [R, G, B].map(v => { v /= 255;
            return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
            .reduce((a, v, i) => a + v * [0.2126, 0.7152, 0.0722][i], 0);
        const background = e => {
            for (; e; e = e.parentElement) {
                const c = rgb(getComputedStyle(e).backgroundColor);
                if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
            }
            return [255, 255, 255];
        };
        const out = [];
        const texts = [...r.querySelectorAll("*")].filter(e => [...e.childNodes]
            .some(n => n.nodeType === 3 && n.textContent.trim()));
        for (const e of texts) {
            if (e.closest(".dl-unused, [aria-hidden='true']")) continue;
            if (e.closest("svg") && !e.closest("text")) continue;
            if (e.closest("[hidden]") || e.offsetParent === null && !e.closest("svg")) continue;
            const style = getComputedStyle(e);
            const fg = rgb(e.closest("svg") ? style.fill : style.color).slice(0, 3);
            const bg = background(e.closest("svg") ? r : e);
            const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
            const ratio = (a + 0.05) / (b + 0.05);
            if (ratio < 4.5) out.push(`${e.textContent.trim().slice(0, 30)} (${ratio.toFixed(2)})`);
        }
        return out;
    }""")
    page.evaluate("() => { document.documentElement.dataset.theme = 'light'; "
                  "document.documentElement.dataset.mode = 'light'; }")
    return [f"{theme} mode: low contrast text {t}" for t in low]


def request_problems(requests: list[str]) -> list[str]:
    return [f"request to another host: {url}" for url in dict.fromkeys(requests)
            if not is_local(url)]


def selfcheck_box_problems(page, box) -> list[str]:
    """A wrong prediction is called wrong, the right one right, and the why shows only after."""
    answer = json.loads(box.get_attribute("data-answer"))
    label = box.get_attribute("data-label")
    if isinstance(answer, bool):
        right, wrong = str(answer), str(not answer)
    elif isinstance(answer, str) and answer not in ("NaN", "Infinity", "-Infinity"):
        right, wrong = answer.upper(), answer + "x"
    elif isinstance(answer, list):
        right, wrong = f"({', '.join(map(str, answer))})", f"({', '.join(map(str, answer[:-1]))})"
    else:
        right, wrong = repr(answer), repr(answer * 3 + 7)
    problems = []
    why = box.locator(".dl-selfcheck-why")
    if why.count() and why.first.is_visible():
        problems.append(f"{label}: the why is visible before any prediction")
    field = box.get_by_label("Your prediction")
    for typed, verdict in ((wrong, "wrong"), (right, "right")):
        field.fill(typed)
        field.press("Enter")
        state = box.get_attribute("data-state")
        text = box.locator(".dl-selfcheck-result").text_content() or ""
        if state != verdict or ("Right" in text) != (verdict == "right"):
            problems.append(f"{label}: {typed!r} was called {state} ({text.strip()!r}); it is "
                            f"{verdict}")
        if why.count() and not why.first.is_visible():
            problems.append(f"{label}: the why is still hidden after checking {typed!r}")
    return problems


def selfcheck_page_problems(page) -> list[str]:
    page.wait_for_function("() => [...document.querySelectorAll('div.dl-selfcheck')]"
                           ".every(b => b.dataset.state)", timeout=TIMEOUT_MS)
    boxes = page.locator("div.dl-selfcheck")
    problems = []
    for i in range(boxes.count()):
        problems += selfcheck_box_problems(page, boxes.nth(i))
    return problems


def browser_conv_cases(seed: int) -> list[dict]:
    """Settings for the convolution explorer in the browser, refused ones included."""
    return [s for s in conv_settings(48, seed)
            if all(isinstance(s[a], (int, bool)) for a in ARGUMENTS[s["mode"]])]


def browser_optimizer_cases(seed: int) -> list[dict]:
    """Every optimizer and every surface at least once, random hyper-parameters and steps."""
    rng = random.Random(seed)
    settings = optimizer_settings(1, seed, run_js("constants", [])["views"])
    pairs = [(OPTIMIZERS[i % len(OPTIMIZERS)], SURFACES[i % len(SURFACES)]) for i in range(10)]
    cases = [next(s for s in settings if (s["optimizer"], s["surface"]) == pair)
             for pair in pairs]
    for s in cases:
        s["steps"] = rng.randint(1, 100)
    return cases


def browser_activation_cases() -> list[tuple[str, dict, float]]:
    """Every activation with parameters other than PyTorch's defaults, at three inputs."""
    act_cases = []
    for name, spec in A.SPECS.items():
        params = dict(spec.defaults)
        if "negative_slope" in params:
            params["negative_slope"] = 0.2
        if "alpha" in params:
            params["alpha"] = 1.7
        if "beta" in params:
            params.update(beta=2.0, threshold=5.0)
        if "approximate" in params:
            params["approximate"] = "tanh"
        for x in (-2.5, 0.0, 1.3):
            act_cases.append((name, params, x))
    return act_cases


VARIANTS = ["fixture", "site"]


@pytest.mark.browser
@pytest.mark.parametrize("variant", VARIANTS)
def test_conv_explorer_matches_pytorch(browser, request, variant):
    url = page_url(request, variant, explorer_marker("conv"))
    conv_cases = browser_conv_cases(1)
    with new_context(browser) as context:
        visit = open_page(context, url)
        problems = conv_contract_problems(visit.page, conv_cases) + console_problems(visit)
    assert len(conv_cases) > 30
    assert problems == [], "\n".join(problems)


@pytest.mark.browser
@pytest.mark.parametrize("variant", VARIANTS)
def test_optimizer_explorer_matches_torch_optim(browser, request, variant):
    url = page_url(request, variant, explorer_marker("optimizer"))
    opt_cases = browser_optimizer_cases(2)
    with new_context(browser) as context:
        visit = open_page(context, url)
        problems = optimizer_contract_problems(visit.page, opt_cases) + console_problems(visit)
    assert problems == [], "\n".join(problems)


def step_drawn(root) -> tuple[int, int]:
    """(steps drawn, steps in all) from the playground's `step` output."""
    found = re.fullmatch(r"step (\d+) of (\d+)", outputs(root)["step"])
    assert found, outputs(root)["step"]
    return int(found[1]), int(found[2])


def drawing_problems(page, root) -> list[str]:
    """A click on the contour plot starts a trajectory that is drawn step by step (fewer
    points than steps at first, all of them a moment later); Step draws one step at a time."""
    plot = root.locator("svg.dl-contour")
    box = plot.bounding_box()
    plot.click(position={"x": box["width"] * 0.3, "y": box["height"] * 0.4})
    count = "r => r.querySelector('polyline.dl-path')?.getAttribute('points').trim()" \
            ".split(/\\s+/).length ?? 0"
    drawn, total = step_drawn(root)
    problems = []
    if drawn >= total or root.evaluate(count) >= total + 1:
        problems.append(f"the trajectory appeared at once, not step by step ({drawn} of {total})")
    page.wait_for_timeout(2500)
    if step_drawn(root)[0] != total:
        problems.append(f"the trajectory is not drawn to the end: {outputs(root)['step']}")
    for _ in range(2):  # from the last step, Step starts again at 0, then 1
        root.get_by_role("button", name="Step").click()
    if step_drawn(root)[0] != 1 or root.evaluate(count) != 2:
        problems.append(f"two Steps after the end should show step 1 (2 points): "
                        f"{outputs(root)['step']}, {root.evaluate(count)} points")
    return problems


@pytest.mark.browser
@pytest.mark.parametrize("variant", VARIANTS)
def test_optimizer_click_sets_the_start(browser, request, variant):
    """A click on the plot sets x0, y0; the trajectory from there is drawn step by step, the
    Step button draws one step at a time, and the final point is torch.optim's."""
    url = page_url(request, variant, explorer_marker("optimizer"))
    with new_context(browser) as context:
        visit = open_page(context, url)
        root = root_of(visit.page, "optimizer")
        set_controls(root, {"surface": "himmelblau", "optimizer": "adam"})
        problems = drawing_problems(visit.page, root)
        assert problems == [], "\n".join(problems)
        values = control_values(root)
        x0, y0 = float(values["x0"]), float(values["y0"])
        assert -5 < x0 < 0 and 0 < y0 < 5, (x0, y0)  # left of centre, above it
        s = {"optimizer": "adam", "surface": "himmelblau", **{k: float(values[k]) for k in
             ("lr", "beta1", "beta2", "eps", "weight_decay")}, "steps": int(values["steps"]),
             "x0": x0, "y0": y0}
        shown = [float(v) for v in outputs(root)["final_point"].split()]
        expected = torch_trajectory(s)[-1].tolist()
        assert all(point_difference(g, e)[0] for g, e in zip(shown, expected)), (shown, expected)
        assert console_problems(visit) == []


@pytest.mark.browser
@pytest.mark.parametrize("variant", VARIANTS)
def test_activation_explorer_matches_pytorch(browser, request, variant):
    url = page_url(request, variant, explorer_marker("activation"))
    act_cases = browser_activation_cases()
    with new_context(browser) as context:
        visit = open_page(context, url)
        problems = activation_contract_problems(visit.page, act_cases) + console_problems(visit)
    assert problems == [], "\n".join(problems)


def window_problems(page, s: dict, steps: int) -> list[str]:
    """Next/Previous/Play move the drawn window; the window of output t covers the padded
    input's rows and columns that F.unfold gives output t (convolution and pooling)."""
    root = root_of(page, "conv")
    set_controls(root, {"mode": s["mode"]})
    set_controls(root, visible_settings(s, ARGUMENTS[s["mode"]]))
    size, k, st, d = s["n"] + 2 * s["padding"], s["kernel_size"], s["stride"], s["dilation"]
    grid = torch.arange(size * size, dtype=torch.float64).reshape(1, 1, size, size)
    windows = F.unfold(grid, k, dilation=d, stride=st)[0].long()  # (k*k, L)
    problems = []
    for t in range(steps):
        label = root.locator("canvas").get_attribute("aria-label")
        found = re.search(r"covers rows (\d+) to (\d+) and columns (\d+) to (\d+)", label)
        rows, cols = windows[:, t] // size, windows[:, t] % size
        expected = [rows.min().item(), rows.max().item(), cols.min().item(), cols.max().item()]
        got = [int(v) for v in found.groups()] if found else None
        if got != expected:
            problems.append(f"window {t + 1}: the drawing says {label!r}; F.unfold covers rows "
                            f"{expected[0]}-{expected[1]}, columns {expected[2]}-{expected[3]}")
        root.get_by_role("button", name="Next window").click()
    root.get_by_role("button", name="Previous window").click()
    shown = outputs(root)["window"]
    if not shown.startswith(f"window {steps} of {windows.shape[1]}"):
        problems.append(f"after {steps} x Next and one Previous the page says {shown!r}")
    root.get_by_role("button", name="Play").click()
    page.wait_for_timeout(1600)
    played = int(re.match(r"window (\d+)", outputs(root)["window"])[1])
    if played <= steps:
        problems.append(f"Play did not move the window in 1.6 s (still window {played})")
    return problems


@pytest.mark.browser
@pytest.mark.parametrize("variant", VARIANTS)
def test_conv_window_steps_through_the_input(browser, request, variant):
    url = page_url(request, variant, explorer_marker("conv"))
    cases = [{"mode": "conv", "n": 7, "kernel_size": 3, "stride": 2, "padding": 1,
              "dilation": 2, "output_padding": 0, "ceil_mode": False},
             {"mode": "max_pool", "n": 8, "kernel_size": 2, "stride": 2, "padding": 1,
              "dilation": 1, "output_padding": 0, "ceil_mode": False}]
    with new_context(browser) as context:
        visit = open_page(context, url)
        problems = [p for s in cases for p in window_problems(visit.page, s, 5)]
        problems += console_problems(visit)
    assert problems == [], "\n".join(problems)


HASH_CASES = [
    {"mode": "conv_transpose", "n": 5, "kernel_size": 4, "stride": 3, "padding": 1,
     "dilation": 2, "output_padding": 2, "ceil_mode": False},
    {"mode": "max_pool", "n": 9, "kernel_size": 3, "stride": 2, "padding": 1, "dilation": 2,
     "output_padding": 0, "ceil_mode": True},
    {"mode": "conv", "n": 4, "kernel_size": 7, "stride": 1, "padding": 0, "dilation": 1,
     "output_padding": 0, "ceil_mode": False},  # refused: the explanation comes back too
]


@pytest.mark.browser
@pytest.mark.parametrize("variant", VARIANTS)
def test_conv_settings_round_trip_through_the_url(browser, request, variant):
    url = page_url(request, variant, explorer_marker("conv"))
    with new_context(browser) as context:
        problems = [p for s in HASH_CASES for p in hash_problems(context, url, s)]
    assert problems == [], "\n".join(problems)


@pytest.mark.browser
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("name", NAMES)
def test_explorer_is_usable(browser, request, variant, name):
    """Offline, no console errors, labelled, reachable by Tab, fits the content column, text
    readable in light and dark mode; and a screenshot of it in each mode for a reviewer."""
    url = page_url(request, variant, explorer_marker(name))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with new_context(browser) as context:
        requests: list[str] = []
        context.on("request", lambda r: requests.append(r.url))
        visit = open_page(context, url)
        page = visit.page
        root = root_of(page, name)
        root.scroll_into_view_if_needed()
        page.wait_for_timeout(1800)  # the optimizer's trajectory is drawn step by step
        problems = (label_problems(root) + tab_problems(page, root) + width_problems(root)
                    + contrast_problems(page, root, "light") + contrast_problems(page, root, "dark")
                    + request_problems(requests) + console_problems(visit))
        root.screenshot(path=str(SCREENSHOTS / f"explorer-{name}.png"))
        page.evaluate("() => { document.documentElement.dataset.theme = 'dark'; "
                      "document.documentElement.dataset.mode = 'dark'; }")
        page.wait_for_timeout(100)
        root.screenshot(path=str(SCREENSHOTS / f"explorer-{name}-dark.png"))
    assert (SCREENSHOTS / f"explorer-{name}.png").stat().st_size > 10_000
    assert problems == [], "\n".join(problems)


@pytest.mark.browser
@pytest.mark.parametrize("variant", VARIANTS)
def test_selfcheck_boxes(browser, request, variant):
    url = page_url(request, variant, 'class="dl-selfcheck"')
    with new_context(browser) as context:
        requests: list[str] = []
        context.on("request", lambda r: requests.append(r.url))
        visit = open_page(context, url)
        problems = (selfcheck_page_problems(visit.page) + request_problems(requests)
                    + console_problems(visit))
        visit.page.locator("div.dl-selfcheck").first.screenshot(
            path=str(SCREENSHOTS / "selfcheck.png"))
    assert problems == [], "\n".join(problems)


def quiet_page_problems(context, url: str) -> list[str]:
    """On a page without explorers or self-checks, explorers.mjs imports nothing else and adds
    nothing to the page."""
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    visit = open_page(context, url)
    visit.page.wait_for_timeout(300)
    problems = [f"{u.rsplit('/', 1)[-1].split('?')[0]} loaded on a page without explorers"
                for u in requests if ".mjs" in u and "/explorers.mjs" not in u]
    if visit.page.locator(".dl-explorer, .dl-selfcheck, .dl-explorer-title").count():
        problems.append("an explorer was added to a page that has none")
    return problems + console_problems(visit)


@pytest.mark.browser
def test_page_without_explorers_loads_nothing_more(browser, repo_server):
    """explorers.mjs is on every page; where no explorer or self-check is, it imports nothing."""
    with new_context(browser) as context:
        problems = quiet_page_problems(context, f"{repo_server}tests/fixtures/explorers/none.html")
    assert problems == [], "\n".join(problems)


@pytest.mark.browser
def test_page_that_loads_an_explorer_eagerly_is_reported(browser, repo_server):
    with new_context(browser) as context:
        problems = quiet_page_problems(context,
                                       f"{repo_server}tests/fixtures/explorers/eager.html")
    assert "conv.mjs loaded on a page without explorers" in problems, problems


# --- the browser checks fail on a broken page -----------------------------------------------

@pytest.mark.browser
def test_broken_page_reports_each_problem(browser, repo_server):
    """tests/fixtures/explorers/broken.html sabotages the real explorers once per check."""
    url = f"{repo_server}tests/fixtures/explorers/broken.html"
    conv_cases = [{"mode": "max_pool", "n": 9, "kernel_size": 3, "stride": 2, "padding": 1,
                   "dilation": 2, "output_padding": 0, "ceil_mode": False}]
    opt_cases = [{"optimizer": "adam", "surface": "beale", "lr": 0.05, "beta1": 0.9,
                  "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0, "steps": 50, "x0": 1.0,
                  "y0": 1.5, "momentum": 0.9, "alpha": 0.99, "condition_number": 10.0}]
    with new_context(browser) as context:
        requests: list[str] = []
        context.on("request", lambda r: requests.append(r.url))
        visit = open_page(context, url)
        page = visit.page
        page.wait_for_function("() => window.sabotaged === true", timeout=TIMEOUT_MS)
        problems = conv_contract_problems(page, conv_cases)
        problems += optimizer_contract_problems(page, opt_cases)
        problems += activation_contract_problems(page, [("elu", {"alpha": 1.0}, -1.0)])
        conv_root = root_of(page, "conv")
        problems += label_problems(conv_root) + tab_problems(page, conv_root)
        problems += width_problems(conv_root) + contrast_problems(page, conv_root, "dark")
        problems += selfcheck_page_problems(page)
        problems += request_problems(requests) + console_problems(visit)
        problems += drawing_problems(page, root_of(page, "optimizer"))
        problems += window_problems(page, {"mode": "conv", "n": 7, "kernel_size": 3, "stride": 2,
                                           "padding": 1, "dilation": 1, "output_padding": 0,
                                           "ceil_mode": False}, 3)
        problems += hash_problems(context, url, HASH_CASES[0])
    report = "\n".join(problems)
    expected = {
        "wrong size": 'conv {"mode": "max_pool", "n": 9, "kernel_size": 3, "stride": 2, '
                      '"padding": 1, "dilation": 2, "ceil_mode": false}: output_size=\'5\'',
        "wrong trajectory": 'optimizer {"optimizer": "adam", "surface": "beale"',
        "value gone without the CDN": "activation elu({'alpha': 1.0}) at x=-1.0: value=''",
        "no label": "stride has no label",
        "not reachable": "padding is not reachable by Tab",
        "too wide": "the explorer is wider than the page's content",
        "low contrast": "dark mode: low contrast text dilation",
        "why shown early": "fixture-ex-size: the why is visible before any prediction",
        "wrong called right": "fixture-ex-size: '19' was called right",
        "external request": "request to another host: https://cdn.jsdelivr.net/npm/",
        "console error": "console error: deliberate console error from broken.mjs",
        "hash not kept": "the URL does not hold the settings after changing them",
        "window drawn wrong": "window 2: the drawing says 'the window covers rows 0 to 0",
        "play does nothing": "Play did not move the window in 1.6 s",
        "trajectory at once": "the trajectory appeared at once, not step by step",
    }
    print(f"broken page, reported:\n{report}")
    missing = {what: text for what, text in expected.items() if text not in report}
    assert missing == {}, f"not reported: {missing}\nreported:\n{report}"
