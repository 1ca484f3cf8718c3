// The activation explorer: an activation and its derivative, its parameters by PyTorch name,
// and the value and derivative at one x. The formulas come from activation-math.mjs.

import { ACTIVATIONS, PARAMETERS, get, pytorchCall } from "./activation-math.mjs";
import { announceReady, axes, controls, field, h, output, readNumber, sig, svg } from "./ui.mjs";

const NUMBERS = ["negative_slope", "alpha", "beta", "threshold", "x"];
const START = { activation: "leaky_relu", negative_slope: 0.1, alpha: 1.0, beta: 1.0,
  threshold: 20.0, approximate: "none", x: 1.0 };
const W = 640, H = 360, BOX = [64, 12, 560, 300];
const SAMPLES = 401;

export function mount(root) {
  root.replaceChildren();
  root.classList.add("dl-explorer-activation");
  const fields = [
    field({ kind: "select", name: "activation", label: "", value: START.activation,
      options: ACTIVATIONS.map((a) => [a, a]) }),
    field({ name: "negative_slope", label: "leaky_relu", value: START.negative_slope, step: "any" }),
    field({ name: "alpha", label: "elu", value: START.alpha, min: 0, step: "any" }),
    field({ name: "beta", label: "softplus", value: START.beta, min: 0, step: "any" }),
    field({ name: "threshold", label: "softplus", value: START.threshold, step: "any" }),
    field({ kind: "select", name: "approximate", label: "gelu", value: START.approximate,
      options: [["none", "none (exact, erf)"], ["tanh", "tanh"]] }),
    field({ name: "x", label: "input", value: START.x, step: "any" }),
  ];
  const valueOut = output("value", "f(x) =", { class: "dl-big" });
  const derivativeOut = output("derivative", "f′(x) =", { class: "dl-big" });
  const error = output("error", "Refused:", { class: "dl-error" });
  error.row.classList.add("dl-error-row");
  const code = h("output", { name: "pytorch" });
  const plot = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "dl-plot", role: "img" });
  const legend = h("ul", { class: "dl-legend" },
    h("li", {}, h("span", { class: "dl-swatch dl-swatch-curve" }), "f(x)"),
    h("li", {}, h("span", { class: "dl-swatch dl-swatch-derivative" }), "f′(x) (dashed)"),
    h("li", {}, h("span", { class: "dl-swatch dl-swatch-tangent" }), "tangent at x (slope f′(x))"));

  root.append(
    h("p", { class: "dl-explorer-title" }, "Activation explorer: each activation and its derivative"),
    h("div", { class: "dl-controls" }, fields.map((f) => f.row)),
    h("div", { class: "dl-results", "aria-live": "polite" }, valueOut.row, derivativeOut.row,
      error.row),
    h("pre", { class: "dl-code" }, h("code", {}, code)),
    plot, legend);

  const c = controls(root);

  function read() {
    const s = { activation: c.activation.value, approximate: c.approximate.value };
    for (const name of NUMBERS) s[name] = readNumber(c[name]);
    return s;
  }

  function draw(act, x) {
    const reach = Number.isFinite(x) ? Math.max(4, Math.ceil(Math.abs(x) + 0.5)) : 4;
    const xs = Array.from({ length: SAMPLES }, (_, i) => -reach + (2 * reach * i) / (SAMPLES - 1));
    const fs = xs.map(act.forward), ds = xs.map(act.derivative);
    const finite = [...fs, ...ds].filter(Number.isFinite);
    const lo = Math.max(-6, Math.min(-1, ...finite)), hi = Math.min(8, Math.max(1.5, ...finite));
    const pad = 0.08 * (hi - lo);
    const ylim = [lo - pad, hi + pad];
    const { group, px, py } = axes({ box: BOX, xlim: [-reach, reach], ylim, xlabel: "x",
      ylabel: "f(x), f′(x)" });
    const clamp = (v) => Math.max(-1e4, Math.min(1e4, v));
    const line = (ys) => xs.map((v, i) => `${px(v).toFixed(2)},${clamp(py(ys[i])).toFixed(2)}`).join(" ");
    const clipId = `dl-clip-${Math.random().toString(36).slice(2)}`;
    const parts = [group,
      svg("defs", {}, svg("clipPath", { id: clipId },
        svg("rect", { x: BOX[0], y: BOX[1], width: BOX[2], height: BOX[3] }))),
      svg("g", { "clip-path": `url(#${clipId})` },
        svg("line", { x1: BOX[0], x2: BOX[0] + BOX[2], y1: py(0), y2: py(0), class: "dl-zero-line" }),
        svg("polyline", { points: line(ds), class: "dl-derivative" }),
        svg("polyline", { points: line(fs), class: "dl-curve" }),
        ...marker(act, x, px, py))];
    plot.replaceChildren(...parts);
    plot.setAttribute("aria-label", `${act.name} and its derivative for x from ${-reach} to ${reach}`);
  }

  function marker(act, x, px, py) {
    if (!Number.isFinite(x)) return [];
    const f = act.forward(x), d = act.derivative(x), dx = 0.9;
    const out = [];
    if (Number.isFinite(f) && Number.isFinite(d)) {
      out.push(svg("line", { x1: px(x - dx), x2: px(x + dx), y1: py(f - d * dx), y2: py(f + d * dx),
        class: "dl-tangent" }));
    }
    out.push(svg("line", { x1: px(x), x2: px(x), y1: BOX[1], y2: BOX[1] + BOX[3], class: "dl-x-line" }));
    if (Number.isFinite(d)) out.push(svg("circle", { cx: px(x), cy: py(d), r: 5, class: "dl-derivative-point" }));
    if (Number.isFinite(f)) out.push(svg("circle", { cx: px(x), cy: py(f), r: 5, class: "dl-curve-point" }));
    return out;
  }

  function update() {
    const s = read();
    const own = Object.keys(PARAMETERS[s.activation] ?? {});
    for (const name of ["negative_slope", "alpha", "beta", "threshold", "approximate"]) {
      c[name].disabled = !own.includes(name);
      c[name].closest(".dl-field")?.classList.toggle("dl-unused", !own.includes(name));
    }
    const params = {};
    for (const name of own) params[name] = s[name];
    let act;
    try {
      act = get(s.activation, params);
      if (typeof s.x !== "number") {
        throw new Error(`x=${s.x === "" ? "''" : s.x} is not a number; type the input x`);
      }
    } catch (e) {
      error.node.value = e.message;
      error.row.hidden = false;
      valueOut.node.value = "";
      derivativeOut.node.value = "";
      code.value = "";
      if (act) draw(act, NaN);
      return;
    }
    error.node.value = "";
    error.row.hidden = true;
    valueOut.node.value = sig(act.forward(s.x));
    derivativeOut.node.value = sig(act.derivative(s.x));
    code.value = `y = ${pytorchCall(s.activation, params)}\n`
      + "dy_dx, = torch.autograd.grad(y.sum(), x)  # f'(x), elementwise";
    draw(act, s.x);
  }

  const onChange = (event) => {
    if (event.target.matches("input[name], select[name]")) update();
  };
  root.addEventListener("input", onChange);
  root.addEventListener("change", onChange);
  update();
  announceReady(root);
}
