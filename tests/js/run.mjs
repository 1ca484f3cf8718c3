// Runs the explorers' math modules on cases read as JSON from stdin and writes the results as
// JSON to stdout, for tests/test_explorers.py to compare with PyTorch and utils.
//   node tests/js/run.mjs MODULE_DIR KIND < cases.json
// MODULE_DIR is _static/explorers (or a deliberately broken copy in tests/fixtures); KIND is
// conv, optimizer, activation, selfcheck, constants or pyformat. Non-finite numbers are written as the
// strings "NaN", "Infinity" and "-Infinity" (JSON has no such numbers).

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [dir, kind] = process.argv.slice(2);
const load = (name) => import(pathToFileURL(resolve(dir, name)).href);
const cases = JSON.parse(readFileSync(0, "utf8"));

const RUNNERS = {
  async conv() {
    const m = await load("conv-math.mjs");
    return cases.map((s) => ({ ...m.outputSize(s), formula: m.formula(s).substituted,
      pytorch: m.pytorchLine(s) }));
  },
  async optimizer() {
    const m = await load("optimizer-math.mjs");
    return cases.map((s) => {
      try {
        return { path: m.trajectory(s) };
      } catch (e) {
        return { error: e.message };
      }
    });
  },
  async activation() {
    const m = await load("activation-math.mjs");
    return cases.map(({ name, params, xs }) => {
      try {
        const act = m.get(name, params);
        return { value: xs.map(act.forward), derivative: xs.map(act.derivative),
          pytorch: m.pytorchCall(name, params) };
      } catch (e) {
        return { error: e.message };
      }
    });
  },
  async selfcheck() {
    const m = await load("selfcheck-math.mjs");
    return cases.map(({ text, answer, rtol, atol }) => {
      const a = m.parseAnswer(answer);
      const p = m.parsePrediction(text, a.kind);
      return "problem" in p ? { problem: p.problem }
        : { right: m.isRight(p.value, a, rtol, atol), shown: m.formatAnswer(a) };
    });
  },
  async constants() {
    const o = await load("optimizer-math.mjs");
    const a = await load("activation-math.mjs");
    return { views: o.VIEWS, surfaces: Object.keys(o.SURFACES), minima: o.MINIMA,
      defaults: o.PYTORCH_DEFAULTS, uses: o.USES, activations: a.ACTIVATIONS,
      parameters: a.PARAMETERS };
  },
  async pyformat() {
    const m = await load("pyformat.mjs");
    const a = await load("activation-math.mjs");
    return cases.map((x) => ({ repr: m.pyFloat(x), erf: a.erf(x), erfc: a.erfc(x) }));
  },
};

const finite = (key, v) => (typeof v === "number" && !Number.isFinite(v)
  ? (Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity") : v);
process.stdout.write(JSON.stringify(await RUNNERS[kind](), finite));
