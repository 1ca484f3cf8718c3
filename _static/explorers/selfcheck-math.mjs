// The self-check boxes' rule, the one `utils.exercises.check_prediction` applies: a number is
// right within atol + rtol * |answer|, a shape when it has the answer's length and every entry
// is right, a word when it equals the answer ignoring case and surrounding spaces, True/False
// when it is the same. No DOM here: tests/js/run.mjs checks it against utils under Node.

const NON_FINITE = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity };

/** The answer of a box from its data-answer JSON: {kind, value}. */
export function parseAnswer(json) {
  const value = JSON.parse(json);
  if (typeof value === "string" && value in NON_FINITE) return { kind: "number", value: NON_FINITE[value] };
  if (typeof value === "number") return { kind: "number", value };
  if (typeof value === "boolean") return { kind: "bool", value };
  if (typeof value === "string") return { kind: "string", value };
  if (Array.isArray(value) && value.every((v) => typeof v === "number" || v in NON_FINITE)) {
    return { kind: "shape", value: value.map((v) => (typeof v === "number" ? v : NON_FINITE[v])) };
  }
  throw new Error(`data-answer=${json} is not a number, true/false, a string or a list of numbers`);
}

function parseNumber(text) {
  const t = text.trim().replace(/_/g, "").replace(/^\+/, "");
  const word = t.toLowerCase();
  if (["nan", "+nan", "-nan"].includes(word)) return NaN;
  if (["inf", "infinity"].includes(word)) return Infinity;
  if (["-inf", "-infinity"].includes(word)) return -Infinity;
  if (!/^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return null;
  return Number(t);
}

const HINTS = {
  number: "type a number, such as 0.25 or 1e-3",
  bool: "type True or False",
  string: "type a word",
  shape: "type a shape, such as (2, 3, 4)",
};

/** What the reader typed, read as the answer's kind: {value} or {problem} (what to type). */
export function parsePrediction(text, kind) {
  const t = String(text).trim();
  if (!t) return { problem: HINTS[kind] };
  if (kind === "number") {
    const v = parseNumber(t);
    return v === null ? { problem: HINTS.number } : { value: v };
  }
  if (kind === "bool") {
    const word = t.toLowerCase();
    if (["true", "yes"].includes(word)) return { value: true };
    if (["false", "no"].includes(word)) return { value: false };
    return { problem: HINTS.bool };
  }
  if (kind === "shape") {
    const inner = t.replace(/^torch\.Size\s*\(/i, "").replace(/[()[\]]/g, " ").trim();
    const parts = inner.split(/\s*[,x×*]\s*|\s+/).filter((part) => part !== "");
    const values = parts.map(parseNumber);
    return parts.length && values.every((v) => v !== null) ? { value: values }
      : { problem: HINTS.shape };
  }
  return { value: t };
}

function numberRight(p, a, rtol, atol) {
  if (Number.isNaN(a) || Number.isNaN(p)) return Number.isNaN(a) && Number.isNaN(p);
  if (!Number.isFinite(a) || !Number.isFinite(p)) return p === a;
  return Math.abs(p - a) <= atol + rtol * Math.abs(a);
}

/** Whether the prediction (already parsed) is right. */
export function isRight(predicted, answer, rtol, atol) {
  if (answer.kind === "bool") return predicted === answer.value;
  if (answer.kind === "string") {
    return typeof predicted === "string"
      && predicted.trim().toLowerCase() === answer.value.trim().toLowerCase();
  }
  if (answer.kind === "shape") {
    return Array.isArray(predicted) && predicted.length === answer.value.length
      && predicted.every((p, i) => numberRight(p, answer.value[i], rtol, atol));
  }
  return typeof predicted === "number" && numberRight(predicted, answer.value, rtol, atol);
}

/** Python's format(x, ".6g"), as the notebook prints numbers. */
export function formatG(x, digits = 6) {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const exp = Math.floor(Math.log10(Math.abs(Number(x.toPrecision(digits)))));
  if (exp < -4 || exp >= digits) {
    const [m, e] = x.toExponential(digits - 1).split("e");
    const mantissa = m.includes(".") ? m.replace(/0+$/, "").replace(/\.$/, "") : m;
    const n = Number(e);
    return `${mantissa}e${n < 0 ? "-" : "+"}${String(Math.abs(n)).padStart(2, "0")}`;
  }
  const fixed = x.toFixed(Math.max(0, digits - 1 - exp));
  return fixed.includes(".") ? fixed.replace(/0+$/, "").replace(/\.$/, "") : fixed;
}

/** The answer as the notebook's checker prints it: 0.25, True, (2, 3), (5,), 'relu'. */
export function formatAnswer(answer) {
  if (answer.kind === "bool") return answer.value ? "True" : "False";
  if (answer.kind === "number") return formatG(answer.value);
  if (answer.kind === "shape") {
    const inner = answer.value.map((v) => formatG(v)).join(", ");
    return answer.value.length === 1 ? `(${inner},)` : `(${inner})`;
  }
  return `'${answer.value}'`;
}

/** "5%", "0.01", "5% + 0.01" or "" (exact): the tolerance as the checker words it. */
export function formatTolerance(rtol, atol) {
  const parts = [];
  if (rtol) parts.push(`${formatG(100 * rtol)}%`);
  if (atol) parts.push(formatG(atol));
  return parts.join(" + ");
}
