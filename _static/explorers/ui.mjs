// Small DOM helpers shared by the explorers: labelled controls named by PyTorch's argument
// names, outputs, SVG elements and axes.

const SVG_NS = "http://www.w3.org/2000/svg";
let counter = 0;

/** An element with attributes (`on*` functions become listeners) and children. */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  return fill(node, attrs, children);
}

/** The same for SVG elements. */
export function svg(tag, attrs = {}, ...children) {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

function fill(node, attrs, children) {
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else {
      node.setAttribute(key, value === true ? "" : String(value));
    }
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) {
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }
  return node;
}

/** A unique id for label/for and aria links. */
export function uid(prefix) {
  counter += 1;
  return `dl-${prefix}-${counter}`;
}

/**
 * One labelled control: `<label>` wrapping its text and an `<input>`/`<select>` whose name is
 * the PyTorch argument name. kind: "number", "select" (options: [[value, text], ...]) or
 * "checkbox". Returns {row, control}.
 */
export function field({ kind = "number", name, label, value, min, max, step, options, hint }) {
  const id = uid(name);
  let control;
  if (kind === "select") {
    control = h("select", { id, name },
      options.map(([v, text]) => h("option", { value: v }, text)));
    control.value = value;
  } else if (kind === "checkbox") {
    control = h("input", { id, name, type: "checkbox" });
    control.checked = Boolean(value);
  } else {
    control = h("input", { id, name, type: "number", min, max, step: step ?? "any",
      inputmode: "decimal", value });
  }
  const text = h("span", { class: "dl-label" }, h("code", {}, name),
    label ? h("span", { class: "dl-label-note" }, ` ${label}`) : null);
  const row = h("label", { class: `dl-field dl-field-${kind}`, for: id },
    kind === "checkbox" ? [control, text] : [text, control]);
  if (hint) row.title = hint;
  return { row, control };
}

/** `<output name=...>` with a visible label before it. */
export function output(name, label, attrs = {}) {
  const id = uid(name);
  const node = h("output", { id, name, ...attrs });
  const row = h("div", { class: "dl-result" }, h("span", { class: "dl-label", id: `${id}-label` },
    label), " ", node);
  node.setAttribute("aria-labelledby", `${id}-label`);
  return { row, node };
}

/** A number input's value: a number, or the text as typed ("" when it is not a number). */
export function readNumber(input) {
  const text = input.value.trim();
  if (text === "") return "";
  const v = Number(text);
  return Number.isNaN(v) ? text : v;
}

/** Every control of the explorer by name. */
export function controls(root) {
  const out = {};
  for (const c of root.querySelectorAll("input[name], select[name]")) out[c.name] = c;
  return out;
}

/** Mark the explorer as built: tests and readers' scripts wait for this event. */
export function announceReady(root) {
  root.dataset.ready = "true";
  root.dispatchEvent(new CustomEvent("dl-explorer-ready", { bubbles: true }));
}

/** The value of a CSS custom property of the explorer (so light and dark themes both work). */
export function cssColor(root, name, fallback) {
  return getComputedStyle(root).getPropertyValue(name).trim() || fallback;
}

export function reducedMotion() {
  return window.matchMedia?.("(prefers-reduced-motion: reduce)").matches ?? false;
}

/** About 5 round tick values covering [lo, hi]. */
export function ticks(lo, hi, count = 5) {
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
    out.push(Math.abs(t) < step * 1e-9 ? 0 : Number(t.toPrecision(12)));
  }
  return out;
}

/**
 * Axes in an SVG: the box (x0, y0, width, height) in pixels for data ranges xlim, ylim.
 * Returns {group, px, py} (data to pixel maps) with ticks and axis labels drawn.
 */
export function axes({ box, xlim, ylim, xlabel, ylabel }) {
  const [bx, by, bw, bh] = box;
  const px = (x) => bx + ((x - xlim[0]) / (xlim[1] - xlim[0])) * bw;
  const py = (y) => by + bh - ((y - ylim[0]) / (ylim[1] - ylim[0])) * bh;
  const group = svg("g", { class: "dl-axes" });
  group.append(svg("rect", { x: bx, y: by, width: bw, height: bh, class: "dl-frame" }));
  for (const t of ticks(...xlim)) {
    group.append(svg("line", { x1: px(t), x2: px(t), y1: by + bh, y2: by + bh + 5 }),
      svg("text", { x: px(t), y: by + bh + 18, "text-anchor": "middle" }, String(t)));
  }
  for (const t of ticks(...ylim)) {
    group.append(svg("line", { x1: bx - 5, x2: bx, y1: py(t), y2: py(t) }),
      svg("text", { x: bx - 8, y: py(t) + 4, "text-anchor": "end" }, String(t)));
  }
  group.append(svg("text", { x: bx + bw / 2, y: by + bh + 36, "text-anchor": "middle",
    class: "dl-axis-label" }, xlabel));
  group.append(svg("text", { x: bx - 40, y: by + bh / 2, "text-anchor": "middle",
    class: "dl-axis-label", transform: `rotate(-90 ${bx - 40} ${by + bh / 2})` }, ylabel));
  return { group, px, py };
}

/** x formatted with `digits` significant digits (NaN and infinities as Python writes them). */
export function sig(x, digits = 10) {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  return x.toPrecision(digits);
}
