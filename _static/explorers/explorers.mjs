// Loaded on every page of the book (html_js_files in _config.yml, as a module). It imports an
// explorer's code only on a page that has its <div class="dl-explorer" data-explorer="NAME">,
// and the self-check code only where a predict exercise left a <div class="dl-selfcheck">;
// on other pages it does nothing. Everything comes from this folder: no other host is asked.

const EXPLORERS = {
  conv: () => import("./conv.mjs"),
  optimizer: () => import("./optimizer.mjs"),
  activation: () => import("./activation.mjs"),
};

async function start() {
  for (const root of document.querySelectorAll("div.dl-explorer[data-explorer]")) {
    const name = root.dataset.explorer;
    if (!(name in EXPLORERS)) {
      console.error(`dl-explorer: no explorer called "${name}"; `
        + `choose one of ${Object.keys(EXPLORERS).join(", ")}`);
      continue;
    }
    const { mount } = await EXPLORERS[name]();
    mount(root);
  }
  const boxes = document.querySelectorAll("div.dl-selfcheck[data-answer]");
  if (boxes.length) {
    const { mount } = await import("./selfcheck.mjs");
    boxes.forEach(mount);
  }
}

start();
