"""What the website build executed: every figure a lesson makes is there, and no stray output.

The website build (`jupyter-book build`) executes every notebook and keeps the executed copies,
with their outputs, under `_build/jupyter_execute/`. Those outputs are what the pages show, so
they are checked here, as a reader would see them:

- every code cell that makes a matplotlib figure has an image output (a build whose kernels ran
  with a non-inline backend, such as ``MPLBACKEND=Agg``, produced pages without a single figure
  and every other test passed);
- no cell prints the repr of an object by accident (``<matplotlib.legend.Legend at 0x...>``,
  ``Text(0.5, 1.0, 'title')``), which happens when a cell's last line returns an object.

Which cells make a figure is read from the notebook's source: a call of `plt.subplots` and
friends, or of a `utils` function that creates a figure (found in `utils` itself, so a new plot
helper is counted without editing this file). Animations (shown as HTML, their figure closed)
and ipywidgets explorers (their output lives in the widget) are not figures of the page.

A kernel started in this test process's environment must render inline figures: `.ci/run`
builds the website and runs these tests in the same environment, so that test fails when CI's
environment would strip the figures. Each check is shown failing on a fixture in
`tests/fixtures/executed/`.

Without a built site the build checks skip; with DLBOOK_REQUIRE_SITE=1 (CI) they fail.
"""

from __future__ import annotations

import ast
import functools
import os
import re
from pathlib import Path

import nbformat
import pytest
from book_rules import load_notebook, source, toc_files
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
EXECUTED = ROOT / "_build" / "jupyter_execute"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "executed"
REQUIRE_SITE = os.environ.get("DLBOOK_REQUIRE_SITE") == "1"

IMAGE_TYPES = ("image/svg+xml", "image/png", "image/jpeg", "image/gif")
REMOVED = {"remove-output", "remove-cell"}  # outputs that never reach the page
# Calls that create a matplotlib figure (pyplot's state machine or an explicit figure).
PYPLOT_FIGURE = re.compile(
    r"\bplt\.(subplots|subplot|figure|subplot_mosaic|plot|imshow|hist|scatter|bar|matshow)\(")
# Cells whose figure is not a figure of the page: animations and ipywidgets explorers.
NOT_A_PAGE_FIGURE = re.compile(r"\bto_jshtml\(|\banimation_html\(|\binteract(ive)?\(")
# The repr of an object, printed because a cell's last line returned it.
STRAY_REPR = re.compile(r" at 0x[0-9a-fA-F]{6,}>|^Text\(-?[\d.]+, -?[\d.]+, |^\[<matplotlib\.")


def unavailable(reason: str):
    if REQUIRE_SITE:
        pytest.fail(f"{reason} (DLBOOK_REQUIRE_SITE=1, so this is a failure)", pytrace=False)
    pytest.skip(reason)


def tags(cell: dict) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def code_of(cell: dict) -> str:
    """The cell's code without comments and string literals (a comment saying `plt.plot(` does
    not make a figure); the text as it is when it does not parse (IPython magics)."""
    text = source(cell)
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return text
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            node.value = ""
    return ast.unparse(tree)


@functools.lru_cache(maxsize=1)
def figure_makers() -> frozenset[str]:
    """Names of the `utils` functions that create a figure, directly or through one another."""
    bodies = {}
    for path in sorted((ROOT / "utils").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                bodies[node.name] = ast.unparse(node)
    makers = {name for name, body in bodies.items()
              if PYPLOT_FIGURE.search(body) and "to_jshtml" not in body}
    while True:  # a function that calls a maker is a maker (plot_curves -> subplots)
        calls = re.compile(r"\b(" + "|".join(sorted(makers)) + r")\(")
        grown = makers | {name for name, body in bodies.items()
                          if calls.search(body) and "to_jshtml" not in body}
        if grown == makers:
            return frozenset(makers)
        makers = grown


def makes_figure(cell: dict) -> bool:
    if cell["cell_type"] != "code" or tags(cell) & REMOVED:
        return False
    code = code_of(cell)
    if NOT_A_PAGE_FIGURE.search(code):
        return False
    makers = re.compile(r"\b(" + "|".join(sorted(figure_makers())) + r")\(")
    return bool(PYPLOT_FIGURE.search(code) or makers.search(code))


def images(cell: dict) -> int:
    return sum(1 for output in cell.get("outputs", [])
               if any(kind in output.get("data", {}) for kind in IMAGE_TYPES))


def expected_figures(nb: dict) -> int:
    """How many images the page of this executed notebook must show."""
    return sum(images(c) for c in nb["cells"]
               if c["cell_type"] == "code" and not tags(c) & REMOVED)


# --- the checks: each returns a list of problems --------------------------------------------

def missing_figure_problems(nb: dict, name: str) -> list[str]:
    """Every cell that makes a figure has at least one image output."""
    problems = []
    for i, cell in enumerate(nb["cells"]):
        if makes_figure(cell) and images(cell) == 0:
            first = next((line for line in source(cell).splitlines() if line.strip()), "")
            problems.append(f"{name}: cell {i} makes a figure but has no image output "
                            f"({first.strip()[:70]!r})")
    return problems


def stray_output_problems(nb: dict, name: str) -> list[str]:
    """No cell shows the repr of an object it returned by accident."""
    problems = []
    for i, cell in enumerate(nb["cells"]):
        for output in cell.get("outputs", []) if cell["cell_type"] == "code" else []:
            if output.get("output_type") != "execute_result":
                continue
            text = "".join(output.get("data", {}).get("text/plain", ""))
            if STRAY_REPR.search(text):
                problems.append(f"{name}: cell {i} shows a stray repr {text[:70]!r}; end the "
                                "cell with `;`, assign the result, or call plt.show()")
    return problems


# --- the book's executed notebooks -----------------------------------------------------------

NOTEBOOK_PAGES = [p for p in toc_files(ROOT) if (ROOT / f"{p}.ipynb").exists()]


def executed(page: str) -> dict:
    path = EXECUTED / f"{page}.ipynb"
    if not path.exists():
        unavailable(f"{path} not found: build the website first "
                    "(`jupyter-book build . -W --keep-going`)")
    return load_notebook(path)


@pytest.mark.parametrize("page", NOTEBOOK_PAGES)
def test_every_figure_cell_has_an_image(page):
    assert missing_figure_problems(executed(page), page) == []


@pytest.mark.parametrize("page", NOTEBOOK_PAGES)
def test_no_stray_output(page):
    assert stray_output_problems(executed(page), page) == []


def test_lessons_make_figures():
    """The count the browser tests compare against is not zero for the book as a whole."""
    counts = {page: expected_figures(executed(page)) for page in NOTEBOOK_PAGES}
    assert sum(counts.values()) > 0, counts
    assert any(makes_figure(c) for page in NOTEBOOK_PAGES
               for c in load_notebook(ROOT / f"{page}.ipynb")["cells"])


# --- the environment: a kernel started here renders inline figures --------------------------

FIGURE_CELLS = [
    "from utils.plot import use_svg\nuse_svg()",
    "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.plot([0, 1], [1, 0])\n"
    "plt.show()",
]


def run_figure_notebook(env: dict[str, str]) -> dict:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code) for code in FIGURE_CELLS]
    client = NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT)}})
    saved = os.environ.copy()
    os.environ.clear()
    os.environ.update(env)  # the kernel inherits the environment of the process that starts it
    try:
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return nb


def test_kernel_in_this_environment_renders_inline_figures():
    """`.ci/run` builds the site in this environment: its kernels must draw inline figures."""
    nb = run_figure_notebook(dict(os.environ))
    assert missing_figure_problems(nb, "a figure in this environment") == []
    assert "image/svg+xml" in nb.cells[1].outputs[0].data


# --- each check fails on its fixture ---------------------------------------------------------

def test_a_non_inline_backend_is_caught():
    """With MPLBACKEND=Agg (what CI once exported) the same figure never reaches the output."""
    nb = run_figure_notebook({**os.environ, "MPLBACKEND": "Agg"})
    assert missing_figure_problems(nb, "Agg") == [
        "Agg: cell 1 makes a figure but has no image output ('import matplotlib.pyplot as plt')"]


def test_fixture_missing_figure_and_stray_outputs_are_reported():
    nb = load_notebook(FIXTURES / "figures.ipynb")
    assert missing_figure_problems(nb, "fixture") == [
        "fixture: cell 2 makes a figure but has no image output ('fig, ax = subplots()  # "
        "drawn under a non-inline backend: no image')",
        "fixture: cell 3 makes a figure but has no image output "
        "(\"plot_curves({'loss': [3, 2, 1]})\")",
    ]
    assert stray_output_problems(nb, "fixture") == [
        "fixture: cell 4 shows a stray repr '<matplotlib.legend.Legend at 0x7f0c2a1b3d90>'; "
        "end the cell with `;`, assign the result, or call plt.show()",
        "fixture: cell 5 shows a stray repr \"Text(0.5, 1.0, 'loss')\"; end the cell with `;`, "
        "assign the result, or call plt.show()",
    ]
    assert expected_figures(nb) == 1  # only cell 1 has an image


def test_fixture_cells_that_are_not_page_figures_are_not_counted():
    nb = load_notebook(FIXTURES / "figures.ipynb")
    assert [makes_figure(c) for c in nb["cells"]] == [
        False,  # markdown
        True,   # a figure with its image
        True,   # a figure without image (reported above)
        True,   # a utils plot helper without image (reported above)
        False,  # a stray repr, no figure
        False,  # plt.title only: no new figure call
        False,  # an animation: shown as HTML
        False,  # a comment and a string that mention plt.plot(
    ]
