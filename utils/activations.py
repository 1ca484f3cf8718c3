"""Activation functions from elementary tensor operations, with their analytic derivatives.

Each module-level function takes a floating-point tensor and returns one of the same shape,
matching the `torch.nn.functional` function of the same name and its argument names and
defaults. They are written so that no intermediate overflows for inputs anywhere in float32's
range: every `exp` sees a non-positive argument (or one capped by a threshold), which also
keeps autograd through `torch.where` free of `0 * inf = nan`.

`get(name, **params)` returns an `Activation` whose `derivative(x)` is the elementwise
derivative, with PyTorch's choice at kinks (the value autograd gives there): ReLU'(0) = 0,
leaky ReLU'(0) = negative_slope, ELU'(0) = alpha, SELU'(0) = scale * alpha.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from ._checks import check_choice, check_float, check_tensor

# Klambauer et al. (2017), "Self-Normalizing Neural Networks", eq. 14 (PyTorch's constants)
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
# sqrt(2 / pi), the constant of the tanh approximation of GELU (Hendrycks & Gimpel, 2016)
_GELU_K = math.sqrt(2.0 / math.pi)
_GELU_C = 0.044715

ACTIVATIONS: tuple[str, ...] = (
    "sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "gelu", "silu", "softplus", "mish",
)


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
# Forward functions
# ---------------------------------------------------------------------------------------------


def sigmoid(x: torch.Tensor) -> torch.Tensor:
    """Logistic sigmoid, range (0, 1): 1 / (1 + exp(-x)), computed without overflow."""
    x = _check_x(x)
    e = torch.exp(-x.abs())  # in (0, 1]: never overflows
    # x >= 0: 1 / (1 + e^-x);   x < 0: e^x / (1 + e^x)   (the same number, rearranged)
    return torch.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def tanh(x: torch.Tensor) -> torch.Tensor:
    """Hyperbolic tangent, range (-1, 1): (e^x - e^-x) / (e^x + e^-x)."""
    x = _check_x(x)
    m = torch.expm1(-2.0 * x.abs())  # e^{-2|x|} - 1 in (-1, 0]; expm1 keeps digits near 0
    # tanh|x| = (1 - e^{-2|x|}) / (1 + e^{-2|x|}) = -m / (2 + m); tanh is odd
    return torch.sign(x) * (-m / (2.0 + m))


def relu(x: torch.Tensor) -> torch.Tensor:
    """Rectified linear unit, range [0, inf): max(x, 0). NaN stays NaN, as in PyTorch."""
    x = _check_x(x)
    return torch.where(x <= 0, torch.zeros_like(x), x)


def leaky_relu(x: torch.Tensor, negative_slope: float = 0.01) -> torch.Tensor:
    """Leaky ReLU: x for x > 0, negative_slope * x otherwise (Maas et al., 2013)."""
    x = _check_x(x)
    negative_slope = check_float("negative_slope", negative_slope)
    return torch.where(x > 0, x, negative_slope * x)


def elu(x: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """Exponential linear unit, range (-alpha, inf): x for x > 0, alpha (e^x - 1) otherwise."""
    x = _check_x(x)
    alpha = _check_alpha(alpha)
    # alpha * (e^x - 1) on min(x, 0) only, so e^x cannot overflow in the unused branch
    return torch.where(x > 0, x, alpha * torch.expm1(x.clamp(max=0.0)))


def selu(x: torch.Tensor) -> torch.Tensor:
    """Scaled ELU, range (-scale * alpha, inf): SELU_SCALE * elu(x, SELU_ALPHA)."""
    x = _check_x(x)
    return SELU_SCALE * elu(x, SELU_ALPHA)


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


def silu(x: torch.Tensor) -> torch.Tensor:
    """SiLU / Swish (beta = 1): x * sigmoid(x), range about [-0.278, inf)."""
    x = _check_x(x)
    return x * sigmoid(x)


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


def mish(x: torch.Tensor) -> torch.Tensor:
    """Mish (Misra, 2019): x * tanh(softplus(x)), range about [-0.309, inf)."""
    x = _check_x(x)
    return x * tanh(softplus(x))


def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Softmax along `dim`: e^{x_i} / sum_j e^{x_j}, computed as e^{x_i - m} / sum_j e^{x_j - m}.

    Subtracting m = max_j x_j changes nothing (shift invariance) and keeps every exponent <= 0.
    """
    x = _check_x(x)
    shifted = x - x.amax(dim=dim, keepdim=True)  # same shape as x; max along dim is 0
    e = torch.exp(shifted)
    return e / e.sum(dim=dim, keepdim=True)


def log_softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """log(softmax(x)) along `dim`, as (x_i - m) - log(sum_j e^{x_j - m}), with m = max_j x_j."""
    x = _check_x(x)
    shifted = x - x.amax(dim=dim, keepdim=True)
    return shifted - torch.log(torch.exp(shifted).sum(dim=dim, keepdim=True))


# ---------------------------------------------------------------------------------------------
# Derivatives
# ---------------------------------------------------------------------------------------------


def _d_sigmoid(x):
    s = sigmoid(x)
    return s * (1.0 - s)  # s' = s (1 - s)


def _d_tanh(x):
    t = tanh(x)
    return 1.0 - t * t  # tanh' = 1 - tanh^2


def _d_relu(x):
    return (x > 0).to(x.dtype)  # 0 at x = 0, like autograd


def _d_leaky_relu(x, negative_slope=0.01):
    return torch.where(x > 0, torch.ones_like(x), torch.full_like(x, negative_slope))


def _d_elu(x, alpha=1.0):
    # x > 0: 1;   x <= 0: alpha e^x   (PyTorch takes the exponential side at 0)
    return torch.where(x > 0, torch.ones_like(x), alpha * torch.exp(x.clamp(max=0.0)))


def _d_selu(x):
    return SELU_SCALE * _d_elu(x, SELU_ALPHA)


def _d_gelu(x, approximate="none"):
    if approximate == "tanh":
        t = tanh(_GELU_K * (x + _GELU_C * x * x * x))
        # d/dx [0.5 x (1 + t)] = 0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3 c x^2)
        return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * _GELU_K * (1.0 + 3.0 * _GELU_C * x * x)
    cdf = 0.5 * (1.0 + torch.erf(x * (1.0 / math.sqrt(2.0))))
    pdf = torch.exp(-0.5 * x * x) * (1.0 / math.sqrt(2.0 * math.pi))
    return cdf + x * pdf  # (x Phi(x))' = Phi(x) + x phi(x)


def _d_silu(x):
    s = sigmoid(x)
    return s * (1.0 + x * (1.0 - s))  # (x s)' = s + x s (1 - s)


def _d_softplus(x, beta=1.0, threshold=20.0):
    bx = beta * x
    # softplus' = sigmoid(beta x), and 1 on the identity side beta x > threshold
    return torch.where(bx > threshold, torch.ones_like(x), sigmoid(bx))


def _d_mish(x):
    t = tanh(softplus(x))
    # (x tanh(sp(x)))' = tanh(sp) + x (1 - tanh^2(sp)) sigmoid(x)
    return t + x * (1.0 - t * t) * sigmoid(x)


@dataclass(frozen=True)
class _Spec:
    forward: Callable
    derivative: Callable
    check: Callable[[dict], dict] = field(default=lambda params: params)
    defaults: dict = field(default_factory=dict)


def _check_softplus(params):
    beta, threshold = _softplus_params(params["beta"], params["threshold"])
    return {"beta": beta, "threshold": threshold}


_SPECS: dict[str, _Spec] = {
    "sigmoid": _Spec(sigmoid, _d_sigmoid),
    "tanh": _Spec(tanh, _d_tanh),
    "relu": _Spec(relu, _d_relu),
    "leaky_relu": _Spec(
        leaky_relu, _d_leaky_relu,
        lambda p: {"negative_slope": check_float("negative_slope", p["negative_slope"])},
        {"negative_slope": 0.01}),
    "elu": _Spec(elu, _d_elu, lambda p: {"alpha": _check_alpha(p["alpha"])}, {"alpha": 1.0}),
    "selu": _Spec(selu, _d_selu),
    "gelu": _Spec(gelu, _d_gelu, lambda p: {"approximate": _check_approximate(p["approximate"])},
                  {"approximate": "none"}),
    "silu": _Spec(silu, _d_silu),
    "softplus": _Spec(softplus, _d_softplus, _check_softplus,
                      {"beta": 1.0, "threshold": 20.0}),
    "mish": _Spec(mish, _d_mish),
}


class Activation:
    """One activation with fixed parameters: `forward(x)` and its elementwise `derivative(x)`.

    Build it with `get(name, **params)`. Also callable: `act(x)` is `act.forward(x)`.
    """

    def __init__(self, name: str, params: dict):
        self.name = name
        self.params = dict(params)
        self._spec = _SPECS[name]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The activation applied elementwise; same shape and dtype as `x`."""
        return self._spec.forward(x, **self.params)

    def derivative(self, x: torch.Tensor) -> torch.Tensor:
        """d forward(x) / dx elementwise; same shape and dtype as `x`."""
        return self._spec.derivative(_check_x(x), **self.params)

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
    spec = _SPECS[name]
    unknown = sorted(set(params) - set(spec.defaults))
    if unknown:
        allowed = ", ".join(spec.defaults) if spec.defaults else "none"
        raise TypeError(f"{name} got unexpected parameter(s) {', '.join(unknown)}; "
                        f"its parameters are: {allowed}")
    return Activation(name, spec.check({**spec.defaults, **params}))
