"""Elementwise activation functions from elementary tensor operations, with their derivatives.

Each module-level function takes a floating-point tensor and returns one of the same shape,
matching the `torch.nn.functional` function of the same name and its argument names and
defaults. They are written so that no intermediate overflows for inputs anywhere in float32's
range: every `exp` sees a non-positive argument (or one capped by a threshold), which also
keeps autograd through `torch.where` free of `0 * inf = nan`.

Everything about one activation stands in one block below: its forward, its derivative, and a
`Spec` registered right after them with its defaults, its PyTorch equivalents (function and
module) and a few parameter settings worth checking besides the defaults. `SPECS` holds the
specs by name (in `ACTIVATIONS` order); the tests, the lessons and the website's activation
explorer read it, so adding an elementwise activation is one new block here. (Activations
with a learned tensor parameter or a gate, which are not elementwise functions of x with
number parameters, live in `gated.py`.)

`get(name, **params)` returns an `Activation` whose `derivative(x)` is the elementwise
derivative, with PyTorch's choice at kinks (the value autograd gives there): ReLU'(0) = 0,
leaky ReLU'(0) = negative_slope, ELU'(0) = alpha, SELU'(0) = scale * alpha.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import torch
import torch.nn.functional as F
from torch import nn

from .._checks import check_choice, check_float, check_tensor

# Klambauer et al. (2017), "Self-Normalizing Neural Networks", eq. 14 (PyTorch's constants)
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
# sqrt(2 / pi), the constant of the tanh approximation of GELU (Hendrycks & Gimpel, 2016)
_GELU_K = math.sqrt(2.0 / math.pi)
_GELU_C = 0.044715


@dataclass(frozen=True)
class Spec:
    """One activation: forward, derivative, parameters and the PyTorch equivalents.

    `forward(x, **params)` and `derivative(x, **params)` are this module's functions;
    `torch_function(x, **params)` (in `torch.nn.functional`) and `torch_module(**params)` (in
    `torch.nn`) are PyTorch's, with the same parameter names. `defaults` are PyTorch's defaults;
    `check(params)` returns the parameters validated; `examples` are parameter settings besides
    the defaults that the tests check against PyTorch (and a lesson may plot).
    """

    name: str
    forward: Callable[..., torch.Tensor]
    derivative: Callable[..., torch.Tensor]
    torch_function: Callable[..., torch.Tensor]
    torch_module: type[nn.Module]
    defaults: Mapping[str, object] = field(default_factory=dict)
    check: Callable[[dict], dict] = field(default=lambda params: params)
    examples: tuple[dict, ...] = ()


_SPECS: dict[str, Spec] = {}


def _register(spec: Spec) -> None:
    _SPECS[spec.name] = spec


def _check_x(x) -> torch.Tensor:
    return check_tensor("x", x, floating=True)


def _check_alpha(alpha) -> float:
    return check_float("alpha", alpha, minimum=0.0)


def _check_approximate(approximate) -> str:
    return check_choice("approximate", approximate, ("none", "tanh"))


def _softplus_params(beta, threshold) -> tuple[float, float]:
    return (check_float("beta", beta, minimum=0.0, strict_min=True),
            check_float("threshold", threshold))


# ---------------------------------------------------------------------------------------------
# The activations: forward, derivative, spec
# ---------------------------------------------------------------------------------------------


def sigmoid(x: torch.Tensor) -> torch.Tensor:
    """Logistic sigmoid, range (0, 1): 1 / (1 + exp(-x)), computed without overflow."""
    x = _check_x(x)
    e = torch.exp(-x.abs())  # in (0, 1]: never overflows
    # x >= 0: 1 / (1 + e^-x);   x < 0: e^x / (1 + e^x)   (the same number, rearranged)
    return torch.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _d_sigmoid(x):
    s = sigmoid(x)
    return s * (1.0 - s)  # s' = s (1 - s)


_register(Spec("sigmoid", sigmoid, _d_sigmoid, torch.sigmoid, nn.Sigmoid))


def tanh(x: torch.Tensor) -> torch.Tensor:
    """Hyperbolic tangent, range (-1, 1): (e^x - e^-x) / (e^x + e^-x)."""
    x = _check_x(x)
    m = torch.expm1(-2.0 * x.abs())  # e^{-2|x|} - 1 in (-1, 0]; expm1 keeps digits near 0
    # tanh|x| = (1 - e^{-2|x|}) / (1 + e^{-2|x|}) = -m / (2 + m); tanh is odd
    return torch.sign(x) * (-m / (2.0 + m))


def _d_tanh(x):
    t = tanh(x)
    return 1.0 - t * t  # tanh' = 1 - tanh^2


_register(Spec("tanh", tanh, _d_tanh, torch.tanh, nn.Tanh))


def relu(x: torch.Tensor) -> torch.Tensor:
    """Rectified linear unit, range [0, inf): max(x, 0). NaN stays NaN, as in PyTorch."""
    x = _check_x(x)
    return torch.where(x <= 0, torch.zeros_like(x), x)


def _d_relu(x):
    return (x > 0).to(x.dtype)  # 0 at x = 0, like autograd


_register(Spec("relu", relu, _d_relu, F.relu, nn.ReLU))


def leaky_relu(x: torch.Tensor, negative_slope: float = 0.01) -> torch.Tensor:
    """Leaky ReLU: x for x > 0, negative_slope * x otherwise (Maas et al., 2013)."""
    x = _check_x(x)
    negative_slope = check_float("negative_slope", negative_slope)
    return torch.where(x > 0, x, negative_slope * x)


def _d_leaky_relu(x, negative_slope=0.01):
    return torch.where(x > 0, torch.ones_like(x), torch.full_like(x, negative_slope))


_register(Spec(
    "leaky_relu", leaky_relu, _d_leaky_relu, F.leaky_relu, nn.LeakyReLU,
    defaults={"negative_slope": 0.01},
    check=lambda p: {"negative_slope": check_float("negative_slope", p["negative_slope"])},
    examples=({"negative_slope": 0.2}, {"negative_slope": -0.5}, {"negative_slope": 0.0})))


def elu(x: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """Exponential linear unit, range (-alpha, inf): x for x > 0, alpha (e^x - 1) otherwise."""
    x = _check_x(x)
    alpha = _check_alpha(alpha)
    # alpha * (e^x - 1) on min(x, 0) only, so e^x cannot overflow in the unused branch
    return torch.where(x > 0, x, alpha * torch.expm1(x.clamp(max=0.0)))


def _d_elu(x, alpha=1.0):
    # x > 0: 1;   x <= 0: alpha e^x   (PyTorch takes the exponential side at 0)
    return torch.where(x > 0, torch.ones_like(x), alpha * torch.exp(x.clamp(max=0.0)))


_register(Spec("elu", elu, _d_elu, F.elu, nn.ELU, defaults={"alpha": 1.0},
               check=lambda p: {"alpha": _check_alpha(p["alpha"])},
               examples=({"alpha": 0.5}, {"alpha": 2.0}, {"alpha": 0.0})))


def selu(x: torch.Tensor) -> torch.Tensor:
    """Scaled ELU, range (-scale * alpha, inf): SELU_SCALE * elu(x, SELU_ALPHA)."""
    x = _check_x(x)
    return SELU_SCALE * elu(x, SELU_ALPHA)


def _d_selu(x):
    return SELU_SCALE * _d_elu(x, SELU_ALPHA)


_register(Spec("selu", selu, _d_selu, F.selu, nn.SELU))


def gelu(x: torch.Tensor, approximate: str = "none") -> torch.Tensor:
    """Gaussian error linear unit x * Phi(x), Phi the standard normal CDF.

    `approximate="tanh"`: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
    """
    x = _check_x(x)
    approximate = _check_approximate(approximate)
    if approximate == "tanh":
        # 0.5 x (1 + tanh(k (x + c x^3)))
        return 0.5 * x * (1.0 + tanh(_GELU_K * (x + _GELU_C * x * x * x)))
    # Phi(x) = (1 + erf(x / sqrt 2)) / 2
    return 0.5 * x * (1.0 + torch.erf(x * (1.0 / math.sqrt(2.0))))


def _d_gelu(x, approximate="none"):
    if approximate == "tanh":
        t = tanh(_GELU_K * (x + _GELU_C * x * x * x))
        # d/dx [0.5 x (1 + t)] = 0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3 c x^2)
        return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * _GELU_K * (1.0 + 3.0 * _GELU_C * x * x)
    cdf = 0.5 * (1.0 + torch.erf(x * (1.0 / math.sqrt(2.0))))
    pdf = torch.exp(-0.5 * x * x) * (1.0 / math.sqrt(2.0 * math.pi))
    return cdf + x * pdf  # (x Phi(x))' = Phi(x) + x phi(x)


_register(Spec("gelu", gelu, _d_gelu, F.gelu, nn.GELU, defaults={"approximate": "none"},
               check=lambda p: {"approximate": _check_approximate(p["approximate"])},
               examples=({"approximate": "tanh"},)))


def silu(x: torch.Tensor) -> torch.Tensor:
    """SiLU / Swish (beta = 1): x * sigmoid(x), range about [-0.278, inf)."""
    x = _check_x(x)
    return x * sigmoid(x)


def _d_silu(x):
    s = sigmoid(x)
    return s * (1.0 + x * (1.0 - s))  # (x s)' = s + x s (1 - s)


_register(Spec("silu", silu, _d_silu, F.silu, nn.SiLU))


def softplus(x: torch.Tensor, beta: float = 1.0, threshold: float = 20.0) -> torch.Tensor:
    """Softplus, range (0, inf): log(1 + e^{beta x}) / beta, and x where beta x > threshold.

    Like PyTorch, it switches to the identity where beta * x > threshold (the two differ by
    less than e^{-threshold} / beta there).
    """
    x = _check_x(x)
    beta, threshold = _softplus_params(beta, threshold)
    bx = beta * x
    linear = bx > threshold
    safe = torch.where(linear, torch.zeros_like(bx), bx)  # e^safe cannot overflow
    # log(1 + e^{beta x}) / beta
    return torch.where(linear, x, torch.log1p(torch.exp(safe)) / beta)


def _d_softplus(x, beta=1.0, threshold=20.0):
    bx = beta * x
    # softplus' = sigmoid(beta x), and 1 on the identity side beta x > threshold
    return torch.where(bx > threshold, torch.ones_like(x), sigmoid(bx))


_register(Spec(
    "softplus", softplus, _d_softplus, F.softplus, nn.Softplus,
    defaults={"beta": 1.0, "threshold": 20.0},
    check=lambda p: dict(zip(("beta", "threshold"),
                             _softplus_params(p["beta"], p["threshold"]))),
    examples=({"beta": 2.0}, {"beta": 0.5, "threshold": 5.0}, {"beta": 3.0, "threshold": -1.0})))


def mish(x: torch.Tensor) -> torch.Tensor:
    """Mish (Misra, 2019): x * tanh(softplus(x)), range about [-0.309, inf)."""
    x = _check_x(x)
    return x * tanh(softplus(x))


def _d_mish(x):
    t = tanh(softplus(x))
    # (x tanh(sp(x)))' = tanh(sp) + x (1 - tanh^2(sp)) sigmoid(x)
    return t + x * (1.0 - t * t) * sigmoid(x)


_register(Spec("mish", mish, _d_mish, F.mish, nn.Mish))

SPECS: Mapping[str, Spec] = MappingProxyType(_SPECS)  # read-only: register above, not later
ACTIVATIONS: tuple[str, ...] = tuple(_SPECS)


# ---------------------------------------------------------------------------------------------
# One activation with fixed parameters
# ---------------------------------------------------------------------------------------------


class Activation:
    """One activation with fixed parameters: `forward(x)` and its elementwise `derivative(x)`.

    Build it with `get(name, **params)`. Also callable: `act(x)` is `act.forward(x)`. `spec`
    is its `Spec` (e.g. `act.spec.torch_module(**act.params)` is PyTorch's layer).
    """

    def __init__(self, name: str, params: dict):
        self.name = name
        self.params = dict(params)
        self.spec = SPECS[name]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The activation applied elementwise; same shape and dtype as `x`."""
        return self.spec.forward(x, **self.params)

    def derivative(self, x: torch.Tensor) -> torch.Tensor:
        """d forward(x) / dx elementwise; same shape and dtype as `x`."""
        return self.spec.derivative(_check_x(x), **self.params)

    __call__ = forward

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"Activation({self.name!r}{', ' + args if args else ''})"


def get(name: str, **params) -> Activation:
    """The activation called `name` (one of `ACTIVATIONS`) with parameters `params`.

    Parameters and defaults are PyTorch's: leaky_relu(negative_slope=0.01), elu(alpha=1.0),
    gelu(approximate="none"), softplus(beta=1.0, threshold=20.0); the others take none.
    """
    check_choice("name", name, ACTIVATIONS)
    spec = SPECS[name]
    unknown = sorted(set(params) - set(spec.defaults))
    if unknown:
        allowed = ", ".join(spec.defaults) if spec.defaults else "none"
        raise TypeError(f"{name} got unexpected parameter(s) {', '.join(unknown)}; "
                        f"its parameters are: {allowed}")
    return Activation(name, spec.check({**spec.defaults, **params}))
