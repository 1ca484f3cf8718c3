// The self-check boxes of predict exercises: each <div class="dl-selfcheck" data-answer=...>
// that `utils.exercises.check_prediction` wrote into the page becomes an answer box. The
// reader types a prediction, the box says right or wrong against the value the build
// computed, and then shows the explanation (the div's <p class="dl-selfcheck-why">).

import { formatAnswer, formatTolerance, isRight, parseAnswer, parsePrediction }
  from "./selfcheck-math.mjs";
import { h, uid } from "./ui.mjs";

const PLACEHOLDER = { number: "a number", bool: "True or False", string: "a word",
  shape: "a shape, e.g. (2, 3)" };

export function mount(box) {
  if (box.dataset.state) return; // already built
  let answer;
  try {
    answer = parseAnswer(box.dataset.answer);
  } catch (e) {
    console.error(`self-check ${box.dataset.label}: ${e.message}`);
    return;
  }
  const rtol = Number(box.dataset.rtol ?? 0) || 0;
  const atol = Number(box.dataset.atol ?? 0) || 0;
  const why = box.querySelector(".dl-selfcheck-why");
  const id = uid("prediction");
  const input = h("input", { id, name: "prediction", type: "text", autocomplete: "off",
    spellcheck: "false", placeholder: PLACEHOLDER[answer.kind] });
  const result = h("p", { class: "dl-selfcheck-result", role: "status", "aria-live": "polite" });
  const form = h("form", { class: "dl-selfcheck-form" },
    h("label", { for: id }, "Your prediction"), input,
    h("button", { type: "submit" }, "Check"));
  if (why) {
    why.hidden = true;
    if (!why.querySelector(".dl-selfcheck-why-label")) {
      why.prepend(h("strong", { class: "dl-selfcheck-why-label" }, "Why: "));
    }
  }
  box.prepend(h("p", { class: "dl-selfcheck-title" }, "Self-check: predict, then check"), form,
    result);
  box.dataset.state = "waiting";

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const parsed = parsePrediction(input.value, answer.kind);
    if ("problem" in parsed) {
      result.textContent = `Not checked: ${parsed.problem}.`;
      box.dataset.state = "unreadable";
      return;
    }
    const right = isRight(parsed.value, answer, rtol, atol);
    const tolerance = formatTolerance(rtol, atol);
    result.textContent = right ? `✓ Right: the run gives ${formatAnswer(answer)}.`
      : `✗ Not quite: the run gives ${formatAnswer(answer)}`
        + (tolerance ? ` (a prediction within ${tolerance} counts).` : ".");
    box.dataset.state = right ? "right" : "wrong";
    if (why) why.hidden = false;
  });
}
