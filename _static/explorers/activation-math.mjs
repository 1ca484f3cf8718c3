// The activations `utils.activations.get` accepts, with PyTorch's parameter names, defaults and
// choices at kinks (ReLU'(0) = 0, leaky ReLU'(0) = negative_slope, ELU'(0) = alpha), each
// written as in utils/activations.py. Parameters are checked as `get` checks them.
// No DOM here: tests/js/run.mjs runs this module under Node against torch and autograd.

import { pyFloat, pyRepr } from "./pyformat.mjs";

// Klambauer et al. (2017), eq. 14, PyTorch's constants
export const SELU_ALPHA = 1.6732632423543772848170429916717;
export const SELU_SCALE = 1.0507009873554804934193349852946;
const GELU_K = Math.sqrt(2 / Math.PI); // tanh approximation of GELU: k (x + c x^3)
const GELU_C = 0.044715;

export const ACTIVATIONS = ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "gelu",
  "silu", "softplus", "mish"];

/** Each activation's parameters and PyTorch's defaults (the others take none). */
export const PARAMETERS = {
  leaky_relu: { negative_slope: 0.01 },
  elu: { alpha: 1.0 },
  gelu: { approximate: "none" },
  softplus: { beta: 1.0, threshold: 20.0 },
};

export class ActivationError extends Error {}

// erfc(a) for a >= 0.8 by its continued fraction e^{-a^2}/sqrt(pi) / (a + (1/2)/(a + 1/(a + ...))),
// evaluated from the tail (400 terms reach 1e-16 at a = 0.8, 120 from a = 2)
function erfcLarge(a) {
  let f = a;
  for (let n = a >= 2 ? 120 : 400; n >= 1; n--) f = a + n / 2 / f;
  return Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
}

// erf(a) for 0 <= a < 2: 2/sqrt(pi) e^{-a^2} sum_n (2a^2)^n a / (1 3 5 ... (2n+1)), all terms > 0
function erfSmall(a) {
  let term = a, sum = a;
  for (let n = 0; n < 300 && term > sum * 1e-18; n++) {
    term *= (2 * a * a) / (2 * n + 3);
    sum += term;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-a * a) * sum;
}

/** The error function (JavaScript has none), to about 1e-16. */
export function erf(x) {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  return Math.sign(x) * (a < 2 ? erfSmall(a) : 1 - erfcLarge(a));
}

/** 1 - erf(x), without the cancellation of 1 - erf(x) for large x. */
export function erfc(x) {
  if (Number.isNaN(x)) return NaN;
  if (x >= 0.8) return erfcLarge(x);
  if (x <= -0.8) return 2 - erfcLarge(-x);
  return 1 - erf(x);
}

function sigmoid(x) {
  const e = Math.exp(-Math.abs(x)); // in (0, 1]: never overflows
  return x >= 0 ? 1 / (1 + e) : e / (1 + e);
}

function softplus(x, beta, threshold) {
  const bx = beta * x;
  return bx > threshold ? x : Math.log1p(Math.exp(bx)) / beta; // log(1 + e^{beta x}) / beta
}

const FORMULAS = {
  sigmoid: {
    forward: (x) => sigmoid(x),
    derivative: (x) => { const s = sigmoid(x); return s * (1 - s); }, // s (1 - s)
  },
  tanh: {
    forward: (x) => Math.tanh(x),
    derivative: (x) => { const t = Math.tanh(x); return 1 - t * t; }, // 1 - tanh^2
  },
  relu: {
    forward: (x) => (x <= 0 ? 0 : x), // NaN stays NaN
    derivative: (x) => (x > 0 ? 1 : 0), // 0 at x = 0, like autograd
  },
  leaky_relu: {
    forward: (x, p) => (x > 0 ? x : p.negative_slope * x),
    derivative: (x, p) => (x > 0 ? 1 : p.negative_slope),
  },
  elu: {
    forward: (x, p) => (x > 0 ? x : p.alpha * Math.expm1(Math.min(x, 0))),
    derivative: (x, p) => (x > 0 ? 1 : p.alpha * Math.exp(Math.min(x, 0))), // alpha e^x at 0
  },
  selu: {
    forward: (x) => SELU_SCALE * (x > 0 ? x : SELU_ALPHA * Math.expm1(Math.min(x, 0))),
    derivative: (x) => SELU_SCALE * (x > 0 ? 1 : SELU_ALPHA * Math.exp(Math.min(x, 0))),
  },
  gelu: {
    forward: (x, p) => {
      if (p.approximate === "tanh") {
        return 0.5 * x * (1 + Math.tanh(GELU_K * (x + GELU_C * x * x * x)));
      }
      return 0.5 * x * erfc(-x / Math.SQRT2); // x Phi(x), Phi(x) = erfc(-x / sqrt 2) / 2
    },
    derivative: (x, p) => {
      if (p.approximate === "tanh") {
        const t = Math.tanh(GELU_K * (x + GELU_C * x * x * x));
        // 0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3 c x^2)
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_K * (1 + 3 * GELU_C * x * x);
      }
      const cdf = 0.5 * erfc(-x / Math.SQRT2);
      const pdf = Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
      return cdf + x * pdf; // (x Phi(x))' = Phi(x) + x phi(x)
    },
  },
  silu: {
    forward: (x) => x * sigmoid(x),
    derivative: (x) => { const s = sigmoid(x); return s * (1 + x * (1 - s)); }, // s + x s (1 - s)
  },
  softplus: {
    forward: (x, p) => softplus(x, p.beta, p.threshold),
    // sigmoid(beta x), and 1 on the identity side beta x > threshold
    derivative: (x, p) => (p.beta * x > p.threshold ? 1 : sigmoid(p.beta * x)),
  },
  mish: {
    forward: (x) => x * Math.tanh(softplus(x, 1, 20)),
    derivative: (x) => {
      const t = Math.tanh(softplus(x, 1, 20));
      return t + x * (1 - t * t) * sigmoid(x); // tanh(sp) + x (1 - tanh^2(sp)) sigmoid(x)
    },
  },
};

// utils._checks.check_float and check_choice, with their messages
function checkFloat(name, value, { min = null, strictMin = false } = {}) {
  if (typeof value !== "number") {
    throw new ActivationError(`${name}=${pyRepr(value)} is not allowed; ${name} must be a real number`);
  }
  if (!Number.isFinite(value)) {
    throw new ActivationError(`${name}=${pyFloat(value)} is not allowed; ${name} must be finite`);
  }
  if (min !== null && (value < min || (strictMin && value === min))) {
    throw new ActivationError(`${name}=${pyFloat(value)} is not allowed; ${name} must be `
      + `${strictMin ? ">" : ">="} ${pyFloat(min)}`);
  }
  return value;
}

function checkParams(name, params) {
  const p = { ...PARAMETERS[name], ...params };
  if (name === "leaky_relu") checkFloat("negative_slope", p.negative_slope);
  if (name === "elu") checkFloat("alpha", p.alpha, { min: 0 });
  if (name === "gelu" && !["none", "tanh"].includes(p.approximate)) {
    throw new ActivationError(`approximate=${pyRepr(p.approximate)} is not allowed; choose one `
      + "of 'none', 'tanh'");
  }
  if (name === "softplus") {
    checkFloat("beta", p.beta, { min: 0, strictMin: true });
    checkFloat("threshold", p.threshold);
  }
  return p;
}

/** The activation `name` with `params` (only its own are read): {forward, derivative, params}. */
export function get(name, params = {}) {
  if (!ACTIVATIONS.includes(name)) {
    throw new ActivationError(`name=${pyRepr(String(name))} is not allowed; choose one of `
      + ACTIVATIONS.map((a) => `'${a}'`).join(", "));
  }
  const own = {};
  for (const key of Object.keys(PARAMETERS[name] ?? {})) {
    if (params[key] !== undefined) own[key] = params[key];
  }
  const p = checkParams(name, own);
  const { forward, derivative } = FORMULAS[name];
  return { name, params: p, forward: (x) => forward(x, p), derivative: (x) => derivative(x, p) };
}

/** The torch.nn.functional call, e.g. `F.leaky_relu(x, negative_slope=0.1)`. */
export function pytorchCall(name, params = {}) {
  const act = get(name, params);
  const fn = { sigmoid: "torch.sigmoid", tanh: "torch.tanh" }[name] ?? `F.${name}`;
  const args = Object.entries(act.params)
    .filter(([key, v]) => v !== PARAMETERS[name][key])
    .map(([key, v]) => `${key}=${typeof v === "string" ? pyRepr(v) : pyFloat(v)}`);
  return `${fn}(${["x", ...args].join(", ")})`;
}
