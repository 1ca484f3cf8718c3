// The convolution explorer: controls, the padded input with the current window, the output,
// the formula with the numbers put in and the PyTorch line. Sizes come from conv-math.mjs.
// The settings live in the URL hash (#conv:mode=conv&n=7&...), so a link shares them.

import { ARGUMENTS, DEFAULTS, MODES, formula, geometry, outputSize, pytorchLine }
  from "./conv-math.mjs";
import { announceReady, controls, cssColor, field, h, output, readNumber } from "./ui.mjs";

const HASH_PREFIX = "#conv:";
const NUMBERS = ["n", "kernel_size", "stride", "padding", "dilation", "output_padding"];
const MODE_NAMES = [["conv", "convolution (nn.Conv2d)"],
  ["conv_transpose", "transposed convolution (nn.ConvTranspose2d)"],
  ["max_pool", "max pooling (nn.MaxPool2d)"], ["avg_pool", "average pooling (nn.AvgPool2d)"]];
const FIELDS = [
  { name: "n", label: "input size (n × n)", min: 1, max: 32, step: 1 },
  { name: "kernel_size", label: "k", min: 1, max: 9, step: 1 },
  { name: "stride", label: "s", min: 1, max: 4, step: 1 },
  { name: "padding", label: "p", min: 0, max: 4, step: 1 },
  { name: "dilation", label: "d", min: 1, max: 4, step: 1 },
  { name: "output_padding", label: "transposed only", min: 0, max: 3, step: 1 },
];
const PLAY_MS = 700;

/** Settings from the URL hash, or null when the hash is not the explorer's. */
function readHash() {
  if (!location.hash.startsWith(HASH_PREFIX)) return null;
  const params = new URLSearchParams(location.hash.slice(HASH_PREFIX.length));
  const settings = {};
  for (const [key, value] of params) {
    if (key === "mode") settings.mode = value;
    else if (key === "ceil_mode") settings.ceil_mode = ["1", "true", "True"].includes(value);
    else if (NUMBERS.includes(key)) settings[key] = value === "" || Number.isNaN(Number(value)) ? value : Number(value);
  }
  return settings;
}

function writeHash(settings) {
  const params = new URLSearchParams();
  params.set("mode", settings.mode);
  for (const name of NUMBERS) params.set(name, String(settings[name]));
  params.set("ceil_mode", settings.ceil_mode ? "true" : "false");
  history.replaceState(null, "", HASH_PREFIX + params.toString());
}

export function mount(root) {
  root.replaceChildren();
  root.classList.add("dl-explorer-conv");
  const fields = [field({ kind: "select", name: "mode", label: "layer", value: DEFAULTS.mode,
    options: MODE_NAMES })];
  for (const f of FIELDS) fields.push(field({ ...f, value: DEFAULTS[f.name] }));
  fields.push(field({ kind: "checkbox", name: "ceil_mode", label: "pooling only",
    value: DEFAULTS.ceil_mode }));

  const size = output("output_size", "Output size o:", { class: "dl-big" });
  const error = output("error", "Refused:", { class: "dl-error" });
  error.row.classList.add("dl-error-row");
  const general = h("div", { class: "dl-formula-general" });
  const substituted = h("output", { name: "formula", class: "dl-formula-numbers" });
  const code = h("output", { name: "pytorch" });
  const canvas = h("canvas", { class: "dl-conv-canvas", role: "img" });
  const caption = h("p", { class: "dl-note" });
  const position = h("output", { name: "window", "aria-live": "polite" });
  const prev = h("button", { type: "button", name: "previous" }, "◀ Previous window");
  const play = h("button", { type: "button", name: "play", "aria-pressed": "false" }, "▶ Play");
  const next = h("button", { type: "button", name: "next" }, "Next window ▶");
  const legend = h("ul", { class: "dl-legend" },
    [["input", "input pixel"], ["pad", "padding"], ["zero", "zero between pixels (transposed)"],
      ["outside", "past the input (ceil_mode)"], ["window", "current window"],
      ["output", "output pixel"], ["current", "its output"]]
      .map(([kind, text]) => h("li", {}, h("span", { class: `dl-swatch dl-swatch-${kind}` }), text)));

  root.append(
    h("p", { class: "dl-explorer-title" }, "Convolution explorer: output sizes as PyTorch computes them"),
    h("div", { class: "dl-controls" }, fields.map((f) => f.row)),
    h("div", { class: "dl-results", "aria-live": "polite" }, size.row, error.row),
    h("div", { class: "dl-formula" }, general, substituted),
    h("pre", { class: "dl-code" }, h("code", {}, code)),
    h("div", { class: "dl-stepper" }, prev, play, next, position),
    canvas, caption, legend);

  const c = controls(root);
  const state = { index: 0, timer: null, geometry: null };

  const fromHash = readHash();
  if (fromHash) apply(fromHash);

  function apply(settings) {
    for (const [name, value] of Object.entries(settings)) {
      if (!c[name]) continue;
      if (c[name].type === "checkbox") c[name].checked = Boolean(value);
      else c[name].value = String(value);
    }
  }

  function read() {
    const s = { mode: c.mode.value, ceil_mode: c.ceil_mode.checked };
    for (const name of NUMBERS) s[name] = readNumber(c[name]);
    return s;
  }

  function update({ fromReader = false } = {}) {
    const s = read();
    const used = ARGUMENTS[s.mode] ?? [];
    for (const name of [...NUMBERS, "ceil_mode"]) {
      c[name].disabled = !used.includes(name);
      c[name].closest(".dl-field")?.classList.toggle("dl-unused", !used.includes(name));
    }
    const result = outputSize(s);
    size.node.value = result.output_size === null ? "" : String(result.output_size);
    error.node.value = result.error ?? "";
    error.row.hidden = !result.error;
    const f = formula(s);
    general.textContent = f.general;
    substituted.value = f.substituted;
    const o = result.output_size;
    code.value = `layer = ${pytorchLine(s)}\n`
      + (o === null ? `# PyTorch refuses this layer for a ${s.n} × ${s.n} input (see above)`
        : `layer(torch.zeros(1, 1, ${s.n}, ${s.n})).shape  # torch.Size([1, 1, ${o}, ${o}])`);
    state.geometry = geometry(s);
    const count = state.geometry ? state.geometry.output_size ** 2 : 0;
    state.index = Math.min(state.index, Math.max(0, count - 1));
    if (!count) stop();
    for (const b of [prev, play, next]) b.disabled = !count;
    draw();
    if (fromReader) writeHash(s);
  }

  function changed() {
    stop();
    state.index = 0; // new settings: start again from the first window
    update({ fromReader: true });
  }

  function draw() {
    const g = state.geometry;
    const width = Math.max(280, Math.min(root.clientWidth || 720, 900));
    const ctx = canvas.getContext("2d");
    const ratio = window.devicePixelRatio || 1;
    if (!g) {
      canvas.width = width * ratio;
      canvas.height = 40 * ratio;
      canvas.style.width = `${width}px`;
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.clearRect(0, 0, width, 40);
      position.value = "no windows: the layer is refused";
      caption.textContent = "";
      canvas.setAttribute("aria-label", "nothing to draw: the layer is refused");
      return;
    }
    const L = g.kinds.length, o = g.output_size;
    const cell = Math.max(2, Math.min(26, Math.floor((width - 40) / (L + o + 2))));
    const gap = 2 * cell + 16;
    const w = L * cell + gap + o * cell, hgt = Math.max(L, o) * cell + 24;
    canvas.width = Math.round(w * ratio);
    canvas.height = Math.round(hgt * ratio);
    canvas.style.width = `${w}px`;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, w, hgt);
    const colour = (name, fallback) => cssColor(root, `--dl-${name}`, fallback);
    const fills = { input: colour("input", "#9ecae1"), pad: colour("pad", "#e0e0e0"),
      zero: colour("zero", "#ffffff"), outside: colour("outside", "#f7f7f7") };
    const line = colour("grid", "#777777");
    const top = 20;
    const r = Math.floor(state.index / o), col = state.index % o;
    const rows = new Set(g.window(r)), cols = new Set(g.window(col));
    ctx.font = "12px system-ui, sans-serif";
    ctx.fillStyle = colour("text", "#222222");
    ctx.fillText(`input ${L} × ${L}`, 0, 13);
    ctx.fillText(`output ${o} × ${o}`, L * cell + gap, 13);
    const s = read();
    caption.textContent = s.mode === "conv_transpose"
      ? `Drawn as the equivalent stride-1 convolution: the ${s.n} input pixels with `
        + `${s.stride - 1} zero(s) between them and d·(k − 1) − p = ${s.dilation * (s.kernel_size - 1) - s.padding} `
        + `on each side${s.output_padding ? ` (${s.output_padding} more at the end)` : ""}, `
        + `${L} × ${L} in all; the window's taps are ${s.dilation} apart.`
      : `The ${s.n} × ${s.n} input with ${s.padding} pixel(s) of padding on each side, `
        + `${L} × ${L} as drawn; the window moves ${s.stride} pixel(s) at a time and its taps `
        + `are ${s.dilation} apart.`;
    for (let i = 0; i < L; i++) {
      for (let j = 0; j < L; j++) {
        const a = g.kinds[i], b = g.kinds[j];
        const kind = a === "outside" || b === "outside" ? "outside"
          : a === "pad" || b === "pad" ? "pad"
            : a === "zero" || b === "zero" ? "zero" : "input";
        ctx.fillStyle = fills[kind];
        ctx.fillRect(j * cell, top + i * cell, cell, cell);
        if (rows.has(i) && cols.has(j)) {
          ctx.fillStyle = colour("window", "#fd8d3c");
          ctx.globalAlpha = 0.8;
          ctx.fillRect(j * cell, top + i * cell, cell, cell);
          ctx.globalAlpha = 1;
        }
      }
    }
    if (cell >= 5) {
      ctx.strokeStyle = line;
      ctx.lineWidth = 0.5;
      for (let i = 0; i <= L; i++) {
        ctx.beginPath(); ctx.moveTo(0, top + i * cell); ctx.lineTo(L * cell, top + i * cell); ctx.stroke();
        ctx.beginPath(); ctx.moveTo(i * cell, top); ctx.lineTo(i * cell, top + L * cell); ctx.stroke();
      }
    }
    const ox = L * cell + gap;
    for (let i = 0; i < o; i++) {
      for (let j = 0; j < o; j++) {
        ctx.fillStyle = i === r && j === col ? colour("current", "#e6550d") : colour("output", "#a1d99b");
        ctx.fillRect(ox + j * cell, top + i * cell, cell, cell);
        if (cell >= 5) { ctx.strokeStyle = line; ctx.strokeRect(ox + j * cell, top + i * cell, cell, cell); }
      }
    }
    const taps = g.window(r);
    position.value = `window ${state.index + 1} of ${o * o}: output (${r}, ${col})`;
    canvas.setAttribute("aria-label", `Input drawn ${L} by ${L}, the window of output (${r}, ${col}) `
      + `covers rows ${taps[0]} to ${taps[taps.length - 1]} and columns ${g.window(col)[0]} to `
      + `${g.window(col)[taps.length - 1]}; output ${o} by ${o}.`);
  }

  function move(delta) {
    const count = state.geometry ? state.geometry.output_size ** 2 : 0;
    if (!count) return;
    state.index = (state.index + delta + count) % count;
    draw();
  }

  function stop() {
    if (state.timer) clearInterval(state.timer);
    state.timer = null;
    play.textContent = "▶ Play";
    play.setAttribute("aria-pressed", "false");
  }

  prev.addEventListener("click", () => { stop(); move(-1); });
  next.addEventListener("click", () => { stop(); move(1); });
  play.addEventListener("click", () => {
    if (state.timer) { stop(); return; }
    const count = state.geometry ? state.geometry.output_size ** 2 : 0;
    if (state.index >= count - 1) state.index = 0;
    draw();
    play.textContent = "❚❚ Pause";
    play.setAttribute("aria-pressed", "true");
    state.timer = setInterval(() => {
      if (state.index >= count - 1) { stop(); return; }
      move(1);
    }, PLAY_MS);
  });

  const onChange = (event) => {
    if (event.target.matches("input[name], select[name]")) changed();
  };
  root.addEventListener("input", onChange);
  root.addEventListener("change", onChange);
  window.addEventListener("hashchange", () => {
    const settings = readHash();
    if (settings) { apply(settings); update(); }
  });
  // the theme's light/dark switch changes the colours the canvas was drawn with
  new MutationObserver(() => draw()).observe(document.documentElement,
    { attributes: true, attributeFilter: ["data-theme", "data-mode", "class"] });
  let drawnWidth = root.clientWidth;
  if (typeof ResizeObserver !== "undefined") {
    new ResizeObserver(() => {
      if (root.clientWidth === drawnWidth) return;
      drawnWidth = root.clientWidth;
      requestAnimationFrame(draw); // outside the observer's callback: no resize loop
    }).observe(root);
  }

  update();
  if (fromHash) root.scrollIntoView({ block: "start" });
  announceReady(root);
}

export { MODES };
