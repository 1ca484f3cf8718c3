// The 2-D surfaces of `utils.optim` and seven optimizers, step for step as torch.optim computes
// them (its single-tensor code path: the same operations in the same order), in float64.
// No DOM here: tests/js/run.mjs runs this module under Node against torch.optim.

import { fma, powInt } from "./rounding.mjs";
import { pyFloat, pyRepr } from "./pyformat.mjs";

// f(x, y) and its gradient; names and formulas as in utils/optim.py. Each gradient is
// computed with the operations autograd performs for utils.optim's expression, in its order
// (pow(t, 2) backward is g (2 t), a sum of contributions is added in the order autograd adds
// them), so a step gives the same bits as torch.optim's on the same point.
export const SURFACES = {
  rosenbrock: {
    // f = (a - x)^2 + b (y - x^2)^2, a = 1, b = 100
    f: (x, y) => (1 - x) ** 2 + 100 * (y - x * x) ** 2,
    grad: (x, y) => {
      const gd = 100 * (2 * (y - x * x)); // d/d(y - x^2)
      return [-gd * (2 * x) + -(2 * (1 - x)), gd];
    },
  },
  beale: {
    // f = sum_i (c_i - x + x y^i)^2, c = (1.5, 2.25, 2.625)
    f: (x, y) => (1.5 - x + x * y) ** 2 + (2.25 - x + x * y * y) ** 2
      + (2.625 - x + x * y * y * y) ** 2,
    grad: (x, y) => {
      const y2 = y * y, y3 = y * y * y;
      const g1 = 2 * (1.5 - x + x * y), g2 = 2 * (2.25 - x + x * y2);
      const g3 = 2 * (2.625 - x + x * y3);
      // autograd adds the terms last to first: T3's product, T3's -x, then T2's, then T1's
      const gx = g3 * y3 + -g3 + g2 * y2 + -g2 + g1 * y + -g1;
      const gy = g3 * x * (3 * (y * y)) + g2 * x * (2 * y) + g1 * x;
      return [gx, gy];
    },
  },
  himmelblau: {
    // f = (x^2 + y - 11)^2 + (x + y^2 - 7)^2
    f: (x, y) => (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2,
    grad: (x, y) => {
      const a = x * x + y - 11, b = x + y * y - 7;
      return [4 * x * a + 2 * b, 2 * a + 4 * y * b];
    },
  },
  saddle: {
    // f = x^2 + y^4 / 4 - y^2 / 2
    f: (x, y) => x * x + y ** 4 / 4 - y * y / 2,
    grad: (x, y) => [2 * x, -0.5 * (2 * y) + 0.25 * (4 * (y * y * y))],
  },
  quadratic: {
    // f = (x^2 + kappa y^2) / 2, kappa = condition_number
    f: (x, y, kappa) => (x * x + kappa * y * y) / 2,
    grad: (x, y, kappa) => [0.5 * (2 * x), 0.5 * kappa * (2 * y)],
  },
};

// utils.optim.MINIMA, for the stars on the plot
export const MINIMA = {
  rosenbrock: [[1, 1]],
  beale: [[3, 0.5]],
  himmelblau: [[3, 2], [-2.805118086952745, 3.131312518250573],
    [-3.779310253377747, -3.28318599128617], [3.584428340330492, -1.848126526964404]],
  saddle: [[0, 1], [0, -1]],
  quadratic: [[0, 0]],
};

// The lesson's boxes, starts and learning rates (chapters/05_optimizers, "the optimizers on
// four surfaces"); nesterov takes momentum's, himmelblau has values of our own.
export const VIEWS = {
  quadratic: { xlim: [-4.5, 1], ylim: [-2, 2], start: [-4, 1.5],
    lr: { sgd: 0.15, momentum: 0.05, nesterov: 0.05, adagrad: 1, rmsprop: 0.05, adam: 0.2,
      adamw: 0.2 } },
  rosenbrock: { xlim: [-2, 2], ylim: [-1, 3], start: [-1.5, 2],
    lr: { sgd: 2e-3, momentum: 1e-3, nesterov: 1e-3, adagrad: 1, rmsprop: 0.03, adam: 0.1,
      adamw: 0.1 } },
  saddle: { xlim: [-1.5, 1.5], ylim: [-1.5, 1.5], start: [1, 1e-3],
    lr: { sgd: 0.05, momentum: 0.02, nesterov: 0.02, adagrad: 0.3, rmsprop: 0.01, adam: 0.05,
      adamw: 0.05 } },
  beale: { xlim: [-0.5, 4], ylim: [-1, 2], start: [1, 1.5],
    lr: { sgd: 0.01, momentum: 5e-3, nesterov: 5e-3, adagrad: 0.5, rmsprop: 0.03, adam: 0.1,
      adamw: 0.1 } },
  himmelblau: { xlim: [-5, 5], ylim: [-5, 5], start: [0, 0],
    lr: { sgd: 0.01, momentum: 2e-3, nesterov: 2e-3, adagrad: 0.5, rmsprop: 0.05, adam: 0.1,
      adamw: 0.1 } },
};

export const OPTIMIZERS = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"];

/** The hyper-parameters each optimizer reads (the others are ignored). */
export const USES = {
  sgd: ["lr", "weight_decay"],
  momentum: ["lr", "momentum", "weight_decay"],
  nesterov: ["lr", "momentum", "weight_decay"],
  adagrad: ["lr", "eps", "weight_decay"],
  rmsprop: ["lr", "alpha", "eps", "weight_decay"],
  adam: ["lr", "beta1", "beta2", "eps", "weight_decay"],
  adamw: ["lr", "beta1", "beta2", "eps", "weight_decay"],
};

/** PyTorch's defaults (torch.optim.SGD, Adagrad, RMSprop, Adam, AdamW). */
export const PYTORCH_DEFAULTS = {
  sgd: { lr: 1e-3, weight_decay: 0 },
  momentum: { lr: 1e-3, momentum: 0, weight_decay: 0 },
  nesterov: { lr: 1e-3, momentum: 0, weight_decay: 0 },
  adagrad: { lr: 1e-2, eps: 1e-10, weight_decay: 0 },
  rmsprop: { lr: 1e-2, alpha: 0.99, eps: 1e-8, weight_decay: 0 },
  adam: { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0 },
  adamw: { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 1e-2 },
};

export class SettingError extends Error {}

function checkFloat(name, value, { min = null, max = null, strictMax = false } = {}) {
  if (typeof value !== "number") {
    throw new SettingError(`${name}=${pyRepr(value)} is not allowed; ${name} must be a real number`);
  }
  if (!Number.isFinite(value)) {
    throw new SettingError(`${name}=${pyFloat(value)} is not allowed; ${name} must be finite`);
  }
  if (min !== null && value < min) {
    throw new SettingError(`${name}=${pyFloat(value)} is not allowed; ${name} must be >= ${pyFloat(min)}`);
  }
  if (max !== null && (value > max || (strictMax && value === max))) {
    throw new SettingError(`${name}=${pyFloat(value)} is not allowed; ${name} must be `
      + `${strictMax ? "<" : "<="} ${pyFloat(max)}`);
  }
  return value;
}

// torch.lerp on the CPU: fma(w, end - start, start) for |w| < 0.5, else
// fma(w - 1, end - start, end)
const lerp = (start, end, w) => (Math.abs(w) < 0.5 ? fma(w, end - start, start)
  : fma(w - 1, end - start, end));

// PyTorch's CPU kernels fuse: t.add(u, alpha=a) is fma(a, u, t), t.addcmul(u, u, value=v) is
// fma(v * u, u, t); addcdiv is not fused (t + v * u / w). The lines below say which op each is.

/**
 * One optimizer as torch.optim builds it, for a 2-vector: `step(p, g)` updates p in place.
 * `h` holds lr, momentum, alpha, beta1, beta2, eps, weight_decay (PyTorch's meaning).
 */
function makeOptimizer(name, h) {
  const state = { step: 0 };
  const wd = h.weight_decay;
  // g <- g + lambda theta   (grad.add(param, alpha=weight_decay))
  const decay = (g, p) => (wd !== 0 ? fma(wd, p, g) : g);
  const sgd = (mu, nesterov) => (p, grad) => {
    for (let i = 0; i < 2; i++) {
      let g = decay(grad[i], p[i]);
      if (mu !== 0) {
        state.buf ??= [null, null];
        // b_1 = g_1;  b_t = mu b_{t-1} + (1 - dampening) g_t, dampening 0
        state.buf[i] = state.buf[i] === null ? g : fma(1, g, state.buf[i] * mu);
        // Nesterov: d = g + mu b (grad.add(buf, alpha=momentum)); classical: d = b
        g = nesterov ? fma(mu, state.buf[i], g) : state.buf[i];
      }
      p[i] = fma(-h.lr, g, p[i]); // theta <- theta - lr d   (param.add_(d, alpha=-lr))
    }
  };
  if (name === "sgd") return sgd(0, false);
  if (name === "momentum") return sgd(h.momentum, false);
  if (name === "nesterov") return sgd(h.momentum, true);
  if (name === "adagrad") {
    return (p, grad) => {
      state.step += 1;
      state.sum ??= [0, 0]; // initial_accumulator_value = 0
      const clr = h.lr / (1 + (state.step - 1) * 0); // lr_decay = 0
      for (let i = 0; i < 2; i++) {
        const g = decay(grad[i], p[i]);
        state.sum[i] = fma(1 * g, g, state.sum[i]); // G_t = G_{t-1} + g_t^2
        const std = Math.sqrt(state.sum[i]) + h.eps;
        p[i] = p[i] + (-clr * g) / std; // theta <- theta - lr g / (sqrt(G) + eps)
      }
    };
  }
  if (name === "rmsprop") {
    return (p, grad) => {
      state.square ??= [0, 0];
      for (let i = 0; i < 2; i++) {
        const g = decay(grad[i], p[i]);
        // v_t = alpha v_{t-1} + (1 - alpha) g^2   (momentum 0, centered False)
        state.square[i] = fma((1 - h.alpha) * g, g, state.square[i] * h.alpha);
        const avg = Math.sqrt(state.square[i]) + h.eps;
        p[i] = p[i] + (-h.lr * g) / avg; // theta <- theta - lr g / (sqrt(v) + eps)
      }
    };
  }
  if (name === "adam" || name === "adamw") {
    const decoupled = name === "adamw";
    return (p, grad) => {
      state.step += 1;
      state.m ??= [0, 0];
      state.v ??= [0, 0];
      const t = state.step;
      for (let i = 0; i < 2; i++) {
        let g = grad[i];
        if (wd !== 0) {
          if (decoupled) p[i] = p[i] * (1 - h.lr * wd); // AdamW: theta (1 - lr lambda)
          else g = decay(g, p[i]); // Adam: L2 in the gradient
        }
        state.m[i] = lerp(state.m[i], g, 1 - h.beta1); // m_t = b1 m + (1 - b1) g
        // v_t = b2 v + (1 - b2) g^2
        state.v[i] = fma((1 - h.beta2) * g, g, state.v[i] * h.beta2);
        // bias corrections 1 - beta^t (Python's beta ** t, rounded once) and sqrt(1 - beta2^t)
        const bc1 = 1 - powInt(h.beta1, t), bc2 = 1 - powInt(h.beta2, t);
        const stepSize = h.lr / bc1;
        const denom = Math.sqrt(state.v[i]) / Math.sqrt(bc2) + h.eps; // sqrt(v_hat) + eps
        p[i] = p[i] + (-stepSize * state.m[i]) / denom; // theta - lr m_hat / (sqrt(v_hat) + eps)
      }
    };
  }
  throw new SettingError(`optimizer=${JSON.stringify(name)} is not allowed; choose one of `
    + OPTIMIZERS.join(", "));
}

/** Settings with PyTorch's defaults for whatever is missing, checked as torch.optim checks. */
export function checked(settings) {
  const name = settings.optimizer;
  if (!OPTIMIZERS.includes(name)) {
    throw new SettingError(`optimizer=${JSON.stringify(name)} is not allowed; choose one of `
      + OPTIMIZERS.join(", "));
  }
  if (!(settings.surface in SURFACES)) {
    throw new SettingError(`surface=${JSON.stringify(settings.surface)} is not allowed; choose `
      + `one of ${Object.keys(SURFACES).join(", ")}`);
  }
  const h = { ...PYTORCH_DEFAULTS[name] };
  for (const key of USES[name]) if (settings[key] !== undefined) h[key] = settings[key];
  checkFloat("lr", h.lr, { min: 0 });
  checkFloat("weight_decay", h.weight_decay, { min: 0 });
  if ("momentum" in h) checkFloat("momentum", h.momentum, { min: 0 });
  if (name === "nesterov" && h.momentum === 0) {
    throw new SettingError(`nesterov=True is not allowed with momentum=${pyFloat(h.momentum)}; `
      + "Nesterov momentum needs momentum > 0");
  }
  if ("alpha" in h) checkFloat("alpha", h.alpha, { min: 0, max: 1 });
  if ("eps" in h) checkFloat("eps", h.eps, { min: 0 });
  if ("beta1" in h) checkFloat("beta1", h.beta1, { min: 0, max: 1, strictMax: true });
  if ("beta2" in h) checkFloat("beta2", h.beta2, { min: 0, max: 1, strictMax: true });
  const kappa = settings.condition_number ?? 10;
  if (settings.surface === "quadratic") checkFloat("condition_number", kappa, { min: 1 });
  const steps = settings.steps ?? 100;
  if (!Number.isInteger(steps) || steps < 0) {
    throw new SettingError(`steps=${steps} is not allowed; steps must be a non-negative integer`);
  }
  checkFloat("x0", settings.x0);
  checkFloat("y0", settings.y0);
  return { name, surface: settings.surface, kappa, steps, h, start: [settings.x0, settings.y0] };
}

/** The points visited, start first: steps + 1 pairs [x, y] (may turn inf/NaN if it diverges). */
export function trajectory(settings) {
  const { name, surface, kappa, steps, h, start } = checked(settings);
  const { grad } = SURFACES[surface];
  const step = makeOptimizer(name, h);
  const p = [...start];
  const path = [[...p]];
  for (let t = 0; t < steps; t++) {
    step(p, grad(p[0], p[1], kappa));
    path.push([...p]);
  }
  return path;
}

/** f at (x, y) on a surface (condition_number for the quadratic). */
export function value(surface, x, y, kappa = 10) {
  return SURFACES[surface].f(x, y, kappa);
}
