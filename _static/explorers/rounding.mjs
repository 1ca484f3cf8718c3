// Two operations rounded once, as PyTorch's CPU kernels and C's libm round them, which
// JavaScript does not give: fma(a, b, c) = a * b + c (the fused multiply-add of add(alpha=...),
// addcmul and lerp) and powInt(b, t) = b^t for a whole t (Python's b ** t, as torch.optim's
// bias corrections compute it). Both are exact: BigInt mantissas, one rounding at the end.

const view = new DataView(new ArrayBuffer(8));

/** x = m * 2^e with m a signed BigInt (x finite). */
function split(x) {
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const exp = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & 0xfffffffffffffn;
  const m = exp === 0 ? frac : frac | 0x10000000000000n;
  return [bits >> 63n ? -m : m, (exp === 0 ? 1 : exp) - 1075];
}

function bitLength(n) {
  const hex = n.toString(16);
  return (hex.length - 1) * 4 + Number.parseInt(hex[0], 16).toString(2).length;
}

/** The double nearest to sum * 2^e (ties to even), sum a BigInt. */
function nearest(sum, e) {
  if (sum === 0n) return 0;
  const negative = sum < 0n;
  const mag = negative ? -sum : sum;
  // keep 53 significant bits, or fewer where the result is subnormal (its last bit is 2^-1074)
  const shift = Math.max(bitLength(mag) - 53, -1074 - e);
  let q = mag, k = e;
  if (shift > 0) {
    const s = BigInt(shift);
    q = mag >> s;
    const rest = mag - (q << s), half = 1n << (s - 1n);
    if (rest > half || (rest === half && (q & 1n))) q += 1n;
    k = e + shift;
  }
  let v = Number(q); // q <= 2^53: exact
  while (k > 600) { v *= 2 ** 600; k -= 600; }
  while (k < -600) { v *= 2 ** -600; k += 600; }
  v *= 2 ** k;
  return negative ? -v : v;
}

export function fma(a, b, c) {
  const product = a * b;
  if (!Number.isFinite(a) || !Number.isFinite(b) || !Number.isFinite(c) || a === 0 || b === 0
      || !Number.isFinite(product)) {
    return product + c; // nothing to fuse (zeros, infinities, NaN, or an overflow anyway)
  }
  if (c === 0) return product;
  const [ma, ea] = split(a), [mb, eb] = split(b), [mc, ec] = split(c);
  const ep = ea + eb;
  const e = Math.min(ep, ec);
  return nearest(((ma * mb) << BigInt(ep - e)) + (mc << BigInt(ec - e)), e); // exact sum
}

/** b^t for a whole number 0 <= t <= 10000, rounded once. */
export function powInt(b, t) {
  if (!Number.isInteger(t) || t < 0 || t > 10000 || !Number.isFinite(b) || b === 0) return b ** t;
  if (t === 0) return 1;
  const [m, e] = split(b);
  let acc = 1n;
  for (let i = 0; i < t; i++) acc *= m; // exact: at most 53 t bits
  const r = nearest(acc, e * t);
  return Number.isFinite(r) ? r : b ** t;
}
