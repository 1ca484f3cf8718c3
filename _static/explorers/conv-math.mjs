// Output sizes of convolution, transposed convolution and pooling along one dimension, as
// `utils.conv` computes them (and PyTorch's nn.Conv2d, nn.ConvTranspose2d, nn.MaxPool2d and
// nn.AvgPool2d), refusing what they refuse with the same explanation, word for word.
// No DOM here: tests/js/run.mjs runs this module under Node against PyTorch.

import { pyRepr } from "./pyformat.mjs";

export const MODES = ["conv", "conv_transpose", "max_pool", "avg_pool"];

/** The arguments each mode takes (nn.AvgPool2d has no dilation, only pooling has ceil_mode). */
export const ARGUMENTS = {
  conv: ["n", "kernel_size", "stride", "padding", "dilation"],
  conv_transpose: ["n", "kernel_size", "stride", "padding", "output_padding", "dilation"],
  max_pool: ["n", "kernel_size", "stride", "padding", "dilation", "ceil_mode"],
  avg_pool: ["n", "kernel_size", "stride", "padding", "ceil_mode"],
};

export const DEFAULTS = {
  mode: "conv", n: 7, kernel_size: 3, stride: 2, padding: 1, dilation: 1, output_padding: 0,
  ceil_mode: false,
};

export class SizeError extends Error {}

const floorDiv = (a, b) => Math.floor(a / b); // Python's // on the small integers used here

// utils._checks.check_int: integers only, and at least `minimum`
function checkInt(name, value, minimum) {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new SizeError(`${name}=${pyRepr(value, true)} is not allowed; ${name} must be an integer`);
  }
  if (value < minimum) {
    const what = { 0: "a non-negative integer", 1: "a positive integer" }[minimum]
      ?? `an integer >= ${minimum}`;
    throw new SizeError(`${name}=${value} is not allowed; ${name} must be ${what}`);
  }
  return value;
}

export function convOutputSize(n, kernelSize, stride = 1, padding = 0, dilation = 1) {
  n = checkInt("n", n, 1);
  const k = checkInt("kernel_size", kernelSize, 1);
  const s = checkInt("stride", stride, 1);
  const p = checkInt("padding", padding, 0);
  const d = checkInt("dilation", dilation, 1);
  const span = d * (k - 1) + 1; // the input pixels one window covers
  if (span > n + 2 * p) {
    throw new SizeError(`kernel_size=${k} with dilation=${d} spans ${span} pixels, more than the `
      + `padded input (${n} + 2*${p} = ${n + 2 * p}); use a smaller kernel_size or `
      + "dilation, or more padding");
  }
  // o = floor((i + 2p - d(k-1) - 1) / s) + 1
  return floorDiv(n + 2 * p - d * (k - 1) - 1, s) + 1;
}

export function convTransposeOutputSize(n, kernelSize, stride = 1, padding = 0, outputPadding = 0,
  dilation = 1) {
  n = checkInt("n", n, 1);
  const k = checkInt("kernel_size", kernelSize, 1);
  const s = checkInt("stride", stride, 1);
  const p = checkInt("padding", padding, 0);
  const op = checkInt("output_padding", outputPadding, 0);
  const d = checkInt("dilation", dilation, 1);
  if (op >= s && op >= d) {
    throw new SizeError(`output_padding=${op} is not allowed; output_padding must be smaller `
      + `than stride (${s}) or dilation (${d})`);
  }
  // o = (i - 1) s - 2p + d(k-1) + output_padding + 1
  const out = (n - 1) * s - 2 * p + d * (k - 1) + op + 1;
  if (out < 1) {
    throw new SizeError(`padding=${p} is not allowed here: the output size would be ${out}; `
      + `padding must be at most ${floorDiv((n - 1) * s + d * (k - 1) + op, 2)} for `
      + `n=${n}, kernel_size=${k}, stride=${s}, dilation=${d}`);
  }
  return out;
}

export function poolOutputSize(n, kernelSize, stride = null, padding = 0, dilation = 1,
  ceilMode = false) {
  if (typeof ceilMode !== "boolean") {
    throw new SizeError(`ceil_mode=${pyRepr(ceilMode)} is not allowed; ceil_mode must be True or False`);
  }
  n = checkInt("n", n, 1);
  const k = checkInt("kernel_size", kernelSize, 1);
  const s = stride === null ? k : checkInt("stride", stride, 1);
  const p = checkInt("padding", padding, 0);
  const d = checkInt("dilation", dilation, 1);
  if (p > floorDiv(k, 2)) {
    throw new SizeError(`padding=${p} is not allowed; pooling padding must be at most half the `
      + `kernel_size (${k} // 2 = ${floorDiv(k, 2)})`);
  }
  const numerator = n + 2 * p - d * (k - 1) - 1;
  // o = floor((i + 2p - d(k-1) - 1) / s) + 1, or ceil(...) + 1 with ceil_mode
  let out = (ceilMode ? Math.ceil(numerator / s) : floorDiv(numerator, s)) + 1;
  // with ceil_mode the last window must start inside the input or the left padding
  if (ceilMode && (out - 1) * s >= n + p) out -= 1;
  if (out < 1) {
    throw new SizeError(`kernel_size=${k} with dilation=${d} spans ${d * (k - 1) + 1} pixels, `
      + `more than the padded input (${n} + 2*${p} = ${n + 2 * p}); the output `
      + `size would be ${out}, and it must be at least 1`);
  }
  return out;
}

/** Settings with the arguments a mode does not take set to PyTorch's values (dilation 1 ...). */
export function effective(settings) {
  const s = { ...DEFAULTS, ...settings };
  const used = ARGUMENTS[s.mode] ?? [];
  if (!used.includes("dilation")) s.dilation = 1;
  if (!used.includes("output_padding")) s.output_padding = 0;
  if (!used.includes("ceil_mode")) s.ceil_mode = false;
  return s;
}

/** `{output_size, error}` for settings {mode, n, kernel_size, ...}: one of the two is null. */
export function outputSize(settings) {
  const s = effective(settings);
  try {
    let size;
    if (s.mode === "conv") {
      size = convOutputSize(s.n, s.kernel_size, s.stride, s.padding, s.dilation);
    } else if (s.mode === "conv_transpose") {
      size = convTransposeOutputSize(s.n, s.kernel_size, s.stride, s.padding, s.output_padding,
        s.dilation);
    } else if (s.mode === "max_pool" || s.mode === "avg_pool") {
      size = poolOutputSize(s.n, s.kernel_size, s.stride, s.padding, s.dilation, s.ceil_mode);
    } else {
      throw new SizeError(`mode=${pyRepr(String(s.mode))} is not allowed; choose one of `
        + MODES.map((m) => `'${m}'`).join(", "));
    }
    return { output_size: size, error: null };
  } catch (error) {
    if (!(error instanceof SizeError)) throw error;
    return { output_size: null, error: error.message };
  }
}

/** The output-size formula, in general and with the settings' numbers put in. */
export function formula(settings) {
  const s = effective(settings);
  const { n, kernel_size: k, stride: st, padding: p, dilation: d, output_padding: op } = s;
  const { output_size: o } = outputSize(s);
  const result = o === null ? "" : ` = ${o}`;
  if (s.mode === "conv_transpose") {
    return {
      general: "o = (n − 1)·s − 2p + d·(k − 1) + output_padding + 1",
      substituted: `(${n} − 1)·${st} − 2·${p} + ${d}·(${k} − 1) + ${op} + 1${result}`,
    };
  }
  const [open, close] = s.ceil_mode ? ["⌈", "⌉"] : ["⌊", "⌋"];
  const isAvg = s.mode === "avg_pool";
  const general = isAvg ? `o = ${open}(n + 2p − k) / s${close} + 1`
    : `o = ${open}(n + 2p − d·(k − 1) − 1) / s${close} + 1`;
  const top = isAvg ? `${n} + 2·${p} − ${k}` : `${n} + 2·${p} − ${d}·(${k} − 1) − 1`;
  let substituted = `${open}(${top}) / ${st}${close} + 1`;
  if (o !== null) {
    const numerator = n + 2 * p - d * (k - 1) - 1;
    const raw = (s.ceil_mode ? Math.ceil(numerator / st) : floorDiv(numerator, st)) + 1;
    substituted += ` = ${open}${numerator} / ${st}${close} + 1`;
    if (raw !== o) substituted += ` − 1 (the last window would start in the right padding)`;
    substituted += result;
  }
  return { general, substituted };
}

/** The PyTorch line that builds the layer (one channel in and out), default arguments left out. */
export function pytorchLine(settings) {
  const s = effective(settings);
  const args = [`kernel_size=${s.kernel_size}`];
  const pool = s.mode === "max_pool" || s.mode === "avg_pool";
  if (pool ? s.stride !== s.kernel_size : s.stride !== 1) args.push(`stride=${s.stride}`);
  if (s.padding !== 0) args.push(`padding=${s.padding}`);
  if (s.mode === "conv_transpose" && s.output_padding !== 0) {
    args.push(`output_padding=${s.output_padding}`);
  }
  if (s.dilation !== 1) args.push(`dilation=${s.dilation}`);
  if (pool && s.ceil_mode) args.push("ceil_mode=True");
  const layer = { conv: "nn.Conv2d(1, 1, ", conv_transpose: "nn.ConvTranspose2d(1, 1, ",
    max_pool: "nn.MaxPool2d(", avg_pool: "nn.AvgPool2d(" }[s.mode];
  return `${layer}${args.join(", ")})`;
}

/**
 * What the explorer draws along one dimension: `cells` kinds ("input", "pad", "zero" for the
 * zeros a transposed convolution puts between input pixels, "outside" for the part of a
 * ceil_mode window past the padded input), and for output index r the cells of its window.
 * A transposed convolution is drawn as the equivalent convolution (stride 1): the input with
 * stride - 1 zeros between pixels, d(k-1) - p zeros on each side (output_padding more at the
 * end), then a window of k taps, d apart.
 */
export function geometry(settings) {
  const s = effective(settings);
  const { output_size: o, error } = outputSize(s);
  if (error) return null;
  const { n, kernel_size: k, stride, padding: p, dilation: d, output_padding: op } = s;
  let kinds, step;
  if (s.mode === "conv_transpose") {
    const q = d * (k - 1) - p; // zeros on each side of the stretched input (negative: cropped)
    const length = (n - 1) * stride + 1 + 2 * q + op;
    kinds = Array.from({ length }, (_, j) => {
      const t = j - q; // position in the stretched input
      if (t < 0 || t > (n - 1) * stride) return "pad";
      return t % stride === 0 ? "input" : "zero";
    });
    step = 1;
  } else {
    kinds = Array.from({ length: n + 2 * p }, (_, j) => (j < p || j >= p + n ? "pad" : "input"));
    step = stride;
  }
  const last = (o - 1) * step + d * (k - 1) + 1;
  while (kinds.length < last) kinds.push("outside");
  const window = (r) => Array.from({ length: k }, (_, i) => r * step + i * d);
  return { kinds, output_size: o, window };
}
