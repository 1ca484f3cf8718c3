// How Python writes values in an error message, so the explorers' explanations read exactly
// like the ones `utils` raises (the tests compare them character for character).

/** repr() of a Python float: shortest round-trip digits, exponent form below 1e-4 or from 1e16. */
export function pyFloat(x) {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  const [mantissa, e] = Math.abs(x).toExponential().split("e"); // shortest digits, as Python
  const exp = Number(e);
  const digits = mantissa.replace(".", "");
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  if (exp >= 0) {
    return `${sign}${digits.slice(0, exp + 1).padEnd(exp + 1, "0")}.${digits.slice(exp + 1) || "0"}`;
  }
  return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
}

/** repr() of a Python str (single quotes unless the text holds one and no double quote). */
export function pyStr(s) {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  const body = s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/\t/g, "\\t");
  return quote + (quote === "'" ? body.replace(/'/g, "\\'") : body) + quote;
}

/** repr() of what a reader typed: an int, a float (`isFloat`, or not a whole number), a str. */
export function pyRepr(value, isFloat = false) {
  if (typeof value === "string") return pyStr(value);
  if (typeof value === "boolean") return value ? "True" : "False";
  if (!isFloat && Number.isInteger(value)) return String(value);
  return pyFloat(value);
}
