// The optimizer playground: a contour plot of one of the lesson's surfaces, a click sets the
// start, and the trajectory is drawn step by step. The steps come from optimizer-math.mjs.

import { MINIMA, OPTIMIZERS, PYTORCH_DEFAULTS, SURFACES, USES, VIEWS, checked, trajectory, value }
  from "./optimizer-math.mjs";
import { pyFloat } from "./pyformat.mjs";
import { announceReady, axes, controls, field, h, output, readNumber, reducedMotion, sig, svg }
  from "./ui.mjs";

const NAMES = { sgd: "SGD", momentum: "SGD with momentum", nesterov: "SGD with Nesterov momentum",
  adagrad: "Adagrad", rmsprop: "RMSprop", adam: "Adam", adamw: "AdamW" };
const TORCH = { sgd: "SGD", momentum: "SGD", nesterov: "SGD", adagrad: "Adagrad",
  rmsprop: "RMSprop", adam: "Adam", adamw: "AdamW" };
const NUMBERS = ["condition_number", "lr", "momentum", "alpha", "beta1", "beta2", "eps",
  "weight_decay", "steps", "x0", "y0"];
// the lesson's "explore learning rate and momentum" figure: SGD with momentum on a ravine
const START = { optimizer: "momentum", surface: "quadratic", condition_number: 50, lr: 0.02,
  momentum: 0.8, alpha: 0.99, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0, steps: 60,
  x0: -4, y0: 0.8 };
const FIELDS = [
  { name: "condition_number", label: "κ of the quadratic", min: 1, step: "any" },
  { name: "lr", label: "learning rate", min: 0, step: "any" },
  { name: "momentum", label: "momentum and nesterov only", min: 0, step: "any" },
  { name: "alpha", label: "RMSprop's average", min: 0, max: 1, step: "any" },
  { name: "beta1", label: "betas[0]", min: 0, max: 0.999999, step: "any" },
  { name: "beta2", label: "betas[1]", min: 0, max: 0.999999, step: "any" },
  { name: "eps", label: "ε", min: 0, step: "any" },
  { name: "weight_decay", label: "λ (AdamW: decoupled)", min: 0, step: "any" },
  { name: "steps", label: "", min: 0, max: 1000, step: 1 },
  { name: "x0", label: "start x (or click the plot)", step: "any" },
  { name: "y0", label: "start y", step: "any" },
];
const W = 640, H = 420, BOX = [64, 12, 560, 360];
const LEVELS = 25;

// viridis, lightened so the trajectory stands out; low values dark
const PALETTE = ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779",
  "#6ece58", "#b5de2b", "#fde725"];

function mix(hex, t) {
  const n = parseInt(hex.slice(1), 16);
  const c = [n >> 16, (n >> 8) & 255, n & 255].map((v) => Math.round(v + (255 - v) * t));
  return c;
}

function bandColour(i, count) {
  const x = (i / Math.max(1, count - 1)) * (PALETTE.length - 1);
  const a = Math.floor(x), f = x - a;
  const ca = mix(PALETTE[a], 0.45), cb = mix(PALETTE[Math.min(a + 1, PALETTE.length - 1)], 0.45);
  return ca.map((v, k) => Math.round(v + (cb[k] - v) * f));
}

function pytorchLine(s) {
  const args = [`lr=${pyFloat(s.lr)}`];
  const d = PYTORCH_DEFAULTS[s.optimizer];
  if (s.optimizer === "momentum" || s.optimizer === "nesterov") args.push(`momentum=${pyFloat(s.momentum)}`);
  if (s.optimizer === "nesterov") args.push("nesterov=True");
  if (s.optimizer === "rmsprop" && s.alpha !== d.alpha) args.push(`alpha=${pyFloat(s.alpha)}`);
  if ((s.optimizer === "adam" || s.optimizer === "adamw") && (s.beta1 !== d.beta1 || s.beta2 !== d.beta2)) {
    args.push(`betas=(${pyFloat(s.beta1)}, ${pyFloat(s.beta2)})`);
  }
  if ("eps" in d && s.eps !== d.eps) args.push(`eps=${pyFloat(s.eps)}`);
  if (s.weight_decay !== d.weight_decay) args.push(`weight_decay=${pyFloat(s.weight_decay)}`);
  return `torch.optim.${TORCH[s.optimizer]}([p], ${args.join(", ")})`;
}

export function mount(root) {
  root.replaceChildren();
  root.classList.add("dl-explorer-optimizer");
  const fields = [
    field({ kind: "select", name: "optimizer", label: "", value: START.optimizer,
      options: OPTIMIZERS.map((o) => [o, NAMES[o]]) }),
    field({ kind: "select", name: "surface", label: "", value: START.surface,
      options: Object.keys(SURFACES).map((s) => [s, s]) }),
    ...FIELDS.map((f) => field({ ...f, value: START[f.name] })),
  ];
  const finalPoint = output("final_point", "Point after the last step (x y):", { class: "dl-big" });
  const finalValue = output("final_value", "f there:");
  const stepOut = output("step", "Drawn:");
  const error = output("error", "Refused:", { class: "dl-error" });
  error.row.classList.add("dl-error-row");
  const note = h("p", { class: "dl-note" });
  const code = h("output", { name: "pytorch" });
  const replay = h("button", { type: "button", name: "replay" }, "▶ Replay");
  const stepButton = h("button", { type: "button", name: "step_once" }, "Step ▶");

  const plot = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "dl-plot dl-contour", role: "img",
    "aria-label": "contour plot of the surface; click to set the start" });
  const clipId = `dl-clip-${Math.random().toString(36).slice(2)}`;
  plot.append(svg("defs", {}, svg("clipPath", { id: clipId },
    svg("rect", { x: BOX[0], y: BOX[1], width: BOX[2], height: BOX[3] }))));
  const heat = svg("image", { x: BOX[0], y: BOX[1], width: BOX[2], height: BOX[3],
    preserveAspectRatio: "none" });
  const axisLayer = svg("g", {});
  const pathLayer = svg("g", { "clip-path": `url(#${clipId})` });
  plot.append(heat, axisLayer, pathLayer);

  root.append(
    h("p", { class: "dl-explorer-title" }, "Optimizer playground: torch.optim's steps on the lesson's surfaces"),
    h("div", { class: "dl-controls" }, fields.map((f) => f.row)),
    h("p", { class: "dl-hint" }, "Changing the optimizer or the surface loads the lesson's "
      + "learning rate for the pair and PyTorch's defaults for the rest; click the plot to set "
      + "the start."),
    h("div", { class: "dl-results", "aria-live": "polite" }, finalPoint.row, finalValue.row,
      error.row),
    h("pre", { class: "dl-code" }, h("code", {}, code)),
    h("div", { class: "dl-stepper" }, replay, stepButton, stepOut.row),
    plot, note);

  const c = controls(root);
  const state = { path: [], shown: 0, frame: null, surfaceKey: null, map: null };

  function read() {
    const s = { optimizer: c.optimizer.value, surface: c.surface.value };
    for (const name of NUMBERS) s[name] = readNumber(c[name]);
    return s;
  }

  function preset(changed) {
    const s = read();
    const view = VIEWS[s.surface];
    const d = PYTORCH_DEFAULTS[s.optimizer];
    c.lr.value = String(view.lr[s.optimizer]);
    for (const name of ["alpha", "beta1", "beta2", "eps"]) {
      c[name].value = String(PYTORCH_DEFAULTS[name === "alpha" ? "rmsprop" : "adam"][name]);
    }
    if ("eps" in d) c.eps.value = String(d.eps);
    c.weight_decay.value = String(d.weight_decay);
    if (changed === "surface") {
      c.x0.value = String(view.start[0]);
      c.y0.value = String(view.start[1]);
    }
  }

  function drawSurface(s) {
    const key = `${s.surface}:${s.condition_number}`;
    if (state.surfaceKey === key) return;
    state.surfaceKey = key;
    const { xlim, ylim } = VIEWS[s.surface];
    const kappa = typeof s.condition_number === "number" ? s.condition_number : 10;
    const [, , bw, bh] = BOX;
    const z = new Float64Array(bw * bh);
    let lo = Infinity, hi = -Infinity;
    for (let j = 0; j < bh; j++) {
      const y = ylim[1] - ((j + 0.5) / bh) * (ylim[1] - ylim[0]);
      for (let i = 0; i < bw; i++) {
        const x = xlim[0] + ((i + 0.5) / bw) * (xlim[1] - xlim[0]);
        const v = value(s.surface, x, y, kappa);
        z[j * bw + i] = v;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    // levels spaced geometrically above the minimum, as utils.optim_figures.plot_contours
    const span = Math.max(hi - lo, 1e-12);
    const levels = Array.from({ length: LEVELS },
      (_, k) => lo + span * 10 ** (-4 + (4 * k) / (LEVELS - 1)));
    const band = new Uint8Array(bw * bh);
    for (let k = 0; k < z.length; k++) {
      let b = 0;
      while (b < LEVELS && z[k] > levels[b]) b++;
      band[k] = b;
    }
    const canvas = document.createElement("canvas");
    canvas.width = bw;
    canvas.height = bh;
    const ctx = canvas.getContext("2d");
    const img = ctx.createImageData(bw, bh);
    const colours = Array.from({ length: LEVELS + 1 }, (_, k) => bandColour(k, LEVELS + 1));
    for (let j = 0; j < bh; j++) {
      for (let i = 0; i < bw; i++) {
        const k = j * bw + i;
        const edge = (i + 1 < bw && band[k + 1] !== band[k]) || (j + 1 < bh && band[k + bw] !== band[k]);
        const [r, g, b] = edge ? colours[band[k]].map((v) => v * 0.55) : colours[band[k]];
        img.data.set([r, g, b, 255], 4 * k);
      }
    }
    ctx.putImageData(img, 0, 0);
    heat.setAttribute("href", canvas.toDataURL("image/png"));
    const { group, px, py } = axes({ box: BOX, xlim, ylim, xlabel: "x", ylabel: "y" });
    axisLayer.replaceChildren(group);
    state.map = { px, py, xlim, ylim };
  }

  function drawPath() {
    if (!state.map) return;
    const { px, py } = state.map;
    const n = state.shown;
    const points = state.path.slice(0, n + 1).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    const layer = [];
    for (const [mx, my] of MINIMA[read().surface] ?? []) {
      layer.push(svg("text", { x: px(mx), y: py(my) + 6, "text-anchor": "middle", class: "dl-star", "aria-hidden": "true" }, "★"));
    }
    if (points.length) {
      // clamp far-away points so the polyline stays drawable
      const clamp = (v) => Math.max(-1e4, Math.min(1e4, v));
      const d = points.map(([x, y]) => `${clamp(px(x)).toFixed(2)},${clamp(py(y)).toFixed(2)}`).join(" ");
      layer.push(svg("polyline", { points: d, class: "dl-path-halo" }),
        svg("polyline", { points: d, class: "dl-path" }));
      if (points.length <= 301) {
        for (const [x, y] of points) layer.push(svg("circle", { cx: px(x), cy: py(y), r: 2.2, class: "dl-path-point" }));
      }
      const [sx, sy] = points[0];
      layer.push(svg("circle", { cx: px(sx), cy: py(sy), r: 5.5, class: "dl-start" }));
      const [ex, ey] = points[points.length - 1];
      layer.push(svg("circle", { cx: px(ex), cy: py(ey), r: 4.5, class: "dl-current" }));
    }
    pathLayer.replaceChildren(...layer);
    stepOut.node.value = `step ${n} of ${state.path.length - 1}`;
  }

  function animate() {
    cancelAnimationFrame(state.frame);
    const total = state.path.length - 1;
    if (reducedMotion() || total <= 0) {
      state.shown = Math.max(0, total);
      drawPath();
      return;
    }
    const per = Math.max(1, Math.ceil(total / 90)); // about 1.5 s whatever the step count
    state.shown = 0;
    const tick = () => {
      state.shown = Math.min(total, state.shown + per);
      drawPath();
      if (state.shown < total) state.frame = requestAnimationFrame(tick);
    };
    drawPath();
    state.frame = requestAnimationFrame(tick);
  }

  function update() {
    const s = read();
    for (const name of ["lr", "momentum", "alpha", "beta1", "beta2", "eps", "weight_decay"]) {
      const used = USES[s.optimizer].includes(name);
      c[name].disabled = !used;
      c[name].closest(".dl-field")?.classList.toggle("dl-unused", !used);
    }
    c.condition_number.disabled = s.surface !== "quadratic";
    c.condition_number.closest(".dl-field")?.classList.toggle("dl-unused", s.surface !== "quadratic");
    try {
      checked(s);
    } catch (e) {
      error.node.value = e.message;
      error.row.hidden = false;
      finalPoint.node.value = "";
      finalValue.node.value = "";
      state.path = [];
      state.shown = 0;
      note.textContent = "";
      if (SURFACES[s.surface]) drawSurface({ ...s, condition_number: 10 });
      drawPath();
      return;
    }
    error.node.value = "";
    error.row.hidden = true;
    drawSurface(s);
    state.path = trajectory(s);
    const [x, y] = state.path[state.path.length - 1];
    finalPoint.node.value = `${sig(x)} ${sig(y)}`;
    finalValue.node.value = sig(value(s.surface, x, y, s.condition_number), 8);
    const bad = state.path.findIndex(([px, py]) => !Number.isFinite(px) || !Number.isFinite(py));
    note.textContent = bad >= 0 ? `The run diverges: the point is no longer a finite number after `
      + `step ${bad}. A smaller lr keeps it finite.` : "";
    code.value = pytorchLine(s);
    animate();
  }

  const onChange = (event) => {
    const name = event.target.name;
    if (!event.target.matches("input[name], select[name]")) return;
    if (event.type === "change" && (name === "optimizer" || name === "surface")) preset(name);
    update();
  };
  root.addEventListener("input", onChange);
  root.addEventListener("change", onChange);

  plot.addEventListener("click", (event) => {
    if (!state.map) return;
    const point = plot.createSVGPoint();
    point.x = event.clientX;
    point.y = event.clientY;
    const local = point.matrixTransform(plot.getScreenCTM().inverse());
    const [bx, by, bw, bh] = BOX;
    if (local.x < bx || local.x > bx + bw || local.y < by || local.y > by + bh) return;
    const { xlim, ylim } = state.map;
    const x = xlim[0] + ((local.x - bx) / bw) * (xlim[1] - xlim[0]);
    const y = ylim[1] - ((local.y - by) / bh) * (ylim[1] - ylim[0]);
    c.x0.value = String(Number(x.toFixed(3)));
    c.y0.value = String(Number(y.toFixed(3)));
    update();
  });
  replay.addEventListener("click", animate);
  stepButton.addEventListener("click", () => {
    cancelAnimationFrame(state.frame);
    const total = Math.max(0, state.path.length - 1);
    state.shown = state.shown >= total ? 0 : state.shown + 1;
    drawPath();
  });

  update();
  announceReady(root);
}
