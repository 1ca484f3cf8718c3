"""The rules that keep the book whole, as functions returning a list of problems.

`tests/test_book.py` applies them to the real book and, to show each rule can fail, to the bad
book in `tests/fixtures/bad_book/`.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import yaml

SOLUTION_CHECK = re.compile(r"^\s*assert\s+[\w.]*check\w*\(", re.MULTILINE)
EXERCISE = re.compile(r"^[:`]{3,}\{exercise\}", re.MULTILINE)
LESSON_DIR = re.compile(r"^\d\d_")


def load_notebook(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def repository_url(root: Path) -> str:
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    return config["repository"]["url"]


def toc_files(root: Path) -> list[str]:
    """Every `file:` of `_toc.yml` (and its root), without suffix, in reading order."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    found = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                found.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({k: v for k, v in toc.items() if k != "root"})
    return [re.sub(r"\.(ipynb|md)$", "", f) for f in found]


def notebooks(root: Path) -> list[Path]:
    skip = {".ipynb_checkpoints", "_build"}
    return sorted(p for p in (root / "chapters").rglob("*.ipynb") if not skip & set(p.parts))


def lessons(root: Path) -> list[Path]:
    """Notebooks in the numbered chapter folders (reference pages are not lessons)."""
    return [p for p in notebooks(root) if LESSON_DIR.match(p.parent.name)]


def toc_problems(root: Path) -> list[str]:
    listed = toc_files(root)
    problems = [f"_toc.yml lists {f}, which has no .ipynb or .md file" for f in listed
                if not any((root / f"{f}{ext}").exists() for ext in (".ipynb", ".md"))]
    problems += [f"_toc.yml lists {f} twice" for f in sorted(set(listed)) if listed.count(f) > 1]
    listed_set = set(listed)
    for nb in notebooks(root):
        rel = nb.relative_to(root).with_suffix("").as_posix()
        if rel not in listed_set:
            problems.append(f"{rel}.ipynb is not in _toc.yml, so the website never shows it")
    return problems


def stored_output_problems(path: Path) -> list[str]:
    nb = load_notebook(path)
    return [f"{path.name}: cell {i} has stored outputs or an execution count"
            for i, c in enumerate(nb["cells"])
            if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))]


def setup_cell(nb: dict) -> str:
    code = [source(c) for c in nb["cells"] if c["cell_type"] == "code"]
    return code[0] if code else ""


# The first code cell of every notebook, byte for byte; {repo_url} is repository.url of
# _config.yml. It installs utils on Colab (never torch), renders SVG, seeds and picks the device;
# the lesson's own imports go in the next code cell.
SETUP_CELL = """\
# Set-up (the same first lines in every lesson). On Colab this installs the
# book's small `utils` package without touching Colab's PyTorch; everywhere
# else it installs nothing.
import sys

# the repository's URL, as repository.url in _config.yml
REPO_URL = "{repo_url}"
if "google.colab" in sys.modules:
    import subprocess

    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet",
                    "--no-deps", f"git+{{REPO_URL}}.git"], check=True)

import utils
from utils.plot import use_svg

use_svg()
utils.set_seed(0)
device = utils.get_device()
print(utils.describe_device(device))"""


def setup_cell_source(repo_url: str) -> str:
    """SETUP_CELL for this repository."""
    return SETUP_CELL.format(repo_url=repo_url)


def setup_problems(path: Path, repo_url: str) -> list[str]:
    """The first code cell is SETUP_CELL (with this repository's URL), byte for byte."""
    cell, expected = setup_cell(load_notebook(path)), setup_cell_source(repo_url)
    if cell == expected:
        return []
    got, want = cell.split("\n"), expected.split("\n")
    line = next((i for i, (g, w) in enumerate(zip(got, want)) if g != w), min(len(got), len(want)))
    found = got[line] if line < len(got) else "(the cell ends)"
    wanted = want[line] if line < len(want) else "(the end of the cell)"
    return [f"{path.name}: the first code cell is not SETUP_CELL (tests/book_rules.py): line "
            f"{line + 1} is {found!r}, expected {wanted!r}"]


def skeleton_problems(path: Path) -> list[str]:
    """Title; goal with 'What you will learn' and 'Prerequisites'; Summary; Exercises."""
    nb = load_notebook(path)
    name = path.name
    cells = nb["cells"]
    problems = []
    if not cells or cells[0]["cell_type"] != "markdown" or not source(cells[0]).startswith("# "):
        problems.append(f"{name}: the first cell must be a markdown cell starting with '# Title'")
    markdown = "\n".join(source(c) for c in cells if c["cell_type"] == "markdown")
    for phrase in ("What you will learn", "Prerequisites"):
        if phrase not in markdown:
            problems.append(f"{name}: the goal paragraph lacks '{phrase}'")
    headings = re.findall(r"^##\s+(.+?)\s*$", markdown, re.MULTILINE)
    for section in ("Summary", "Exercises"):
        if section not in headings:
            problems.append(f"{name}: no '## {section}' section")
    if "Summary" in headings and "Exercises" in headings and (
            headings.index("Summary") > headings.index("Exercises")):
        problems.append(f"{name}: '## Summary' must come before '## Exercises'")
    if not EXERCISE.search(markdown):
        problems.append(f"{name}: no {{exercise}} block")
    return problems


def solution_problems(path: Path) -> list[str]:
    """Each solution cell is hidden on the site and in Jupyter and asserts its checker passes."""
    nb = load_notebook(path)
    name = path.name
    problems = []
    solutions = [c for c in nb["cells"]
                 if c["cell_type"] == "code" and "solution" in c["metadata"].get("tags", [])]
    markdown = "\n".join(source(c) for c in nb["cells"] if c["cell_type"] == "markdown")
    exercises = len(EXERCISE.findall(markdown))
    if len(solutions) < exercises:
        problems.append(f"{name}: {exercises} exercises but only {len(solutions)} solution cells")
    for c in solutions:
        first = source(c).strip().splitlines()[0] if source(c).strip() else "(empty)"
        if "hide-input" not in c["metadata"].get("tags", []):
            problems.append(f"{name}: solution cell '{first}' lacks the hide-input tag")
        if not c["metadata"].get("jupyter", {}).get("source_hidden"):
            problems.append(f"{name}: solution cell '{first}' is not collapsed in Jupyter")
        if not SOLUTION_CHECK.search(source(c)):
            problems.append(f"{name}: solution cell '{first}' does not `assert check(...)`")
    return problems


def colab_block(cell: str) -> str:
    """The statements of a set-up cell up to and including its `if "google.colab" ...` block."""
    tree = ast.parse(cell)
    kept = []
    for stmt in tree.body:
        kept.append(stmt)
        if isinstance(stmt, ast.If) and "google.colab" in ast.unparse(stmt.test):
            return ast.unparse(ast.Module(body=kept, type_ignores=[]))
    raise ValueError("the set-up cell has no `if \"google.colab\" in sys.modules:` block")


# --- exercises: kinds, hints, reader cells, checker cells --------------------------------------

KINDS = ("predict", "diagnose", "design", "implement")
READER_MARKERS = ("# your code here", "my_prediction = None")
SOLUTIONS_HEADING = re.compile(r"^###\s+Solutions\s*$", re.MULTILINE)
EXERCISES_HEADING = re.compile(r"^##\s+Exercises\s*$", re.MULTILINE)
DIRECTIVE = re.compile(r"^(?P<fence>:{3,}|`{3,})\{(?P<name>[\w:-]+)\}[ \t]*(?P<title>.*)$",
                       re.MULTILINE)
OPTION = re.compile(r"^:(?P<key>[\w-]+):[ \t]*(?P<value>.*)$")
REFERENCE_NAME = re.compile(r"^_?reference", re.IGNORECASE)


def directives(text: str) -> list[dict]:
    """The MyST directives opened in `text`: name, title, options and offset, in order."""
    found = []
    for m in DIRECTIVE.finditer(text):
        options = {}
        for line in text[m.end():].lstrip("\n").splitlines():
            option = OPTION.match(line.strip())
            if not option:
                break
            options[option["key"]] = option["value"].strip()
        found.append({"name": m["name"], "title": m["title"].strip(), "options": options,
                      "offset": m.start()})
    return found


def is_reader_cell(cell: dict) -> bool:
    return cell["cell_type"] == "code" and any(m in source(cell) for m in READER_MARKERS)


def is_solution_cell(cell: dict) -> bool:
    return cell["cell_type"] == "code" and "solution" in cell["metadata"].get("tags", [])


def exercise_stream(nb: dict) -> list[tuple[int, str, dict]]:
    """(cell index, what, details) in reading order: exercises, hints, the Solutions heading,
    reader cells, solution cells and other code cells."""
    stream = []
    for i, cell in enumerate(nb["cells"]):
        text = source(cell)
        if cell["cell_type"] == "markdown":
            events = [(d["offset"], "exercise", d) for d in directives(text)
                      if d["name"] == "exercise"]
            events += [(d["offset"], "hint", d) for d in directives(text)
                       if d["name"] == "admonition" and re.match(r"Hint\b", d["title"])]
            for what, heading in (("exercises-heading", EXERCISES_HEADING),
                                  ("solutions-heading", SOLUTIONS_HEADING)):
                events += [(m.start(), what, {}) for m in heading.finditer(text)]
            stream += [(i, what, d) for _, what, d in sorted(events, key=lambda e: e[0])]
        elif is_solution_cell(cell):
            stream.append((i, "solution", {}))
        elif is_reader_cell(cell):
            stream.append((i, "reader", {}))
        elif cell["cell_type"] == "code":
            stream.append((i, "code", {}))
    return stream


def _reader_cell_definitions(text: str) -> list[str]:
    """What a reader cell defines besides the reader's own stub (the def holding the marker)."""
    try:
        tree = ast.parse(text)
    except SyntaxError as error:
        return [f"does not parse ({error.msg}), so it cannot be checked"]
    found = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            segment = "\n".join(text.splitlines()[node.lineno - 1:node.end_lineno])
            if any(m in segment for m in READER_MARKERS):
                continue  # the reader's stub: what they write or fix
            what = "a reference" if REFERENCE_NAME.match(node.name) else "a function"
            found.append(f"defines {what} `{node.name}` beside the reader's stub")
        else:
            lines = sorted({sub.lineno for sub in ast.walk(node) if isinstance(sub, ast.Lambda)})
            found += [f"has a lambda on line {n} (a visible reference?)" for n in lines]
    return found


def exercise_problems(path: Path) -> list[str]:
    """The exercise rules (README, "Adding a lesson") for one lesson.

    - each `{exercise}` has a `:label:` and a `:class:` holding exactly one of KINDS;
    - the lesson has at least one predict, one diagnose and one design exercise, and implement
      exercises are at most a third of all;
    - each exercise is followed by exactly one Hint (`{admonition} Hint` with `:class:
      dropdown`) before the next exercise or the Solutions heading;
    - a reader cell (one holding `# your code here` or `my_prediction = None`) defines nothing
      but the reader's stub (the def that holds the marker): no other def or class (a
      `_reference*` one least of all) and no lambda, since whatever it holds the reader sees;
    - every other code cell between `## Exercises` and `### Solutions` is a checker cell,
      tagged `remove-input` and collapsed in Jupyter (`"jupyter": {"source_hidden": true}`).
    """
    nb = load_notebook(path)
    name = path.name
    stream = exercise_stream(nb)
    problems = []
    exercises = [(i, d) for i, what, d in stream if what == "exercise"]
    kinds = []
    for _, d in exercises:
        label = d["options"].get("label")
        title = f"exercise '{d['title']}'"
        if not label:
            problems.append(f"{name}: {title} has no :label:")
        classes = d["options"].get("class", "").split()
        found = [c for c in classes if c in KINDS]
        if len(found) != 1:
            problems.append(f"{name}: {title} has :class: {' '.join(classes) or '(none)'}; it "
                            f"needs exactly one of {', '.join(KINDS)}")
        kinds += found[:1]
    labels = [d["options"].get("label") for _, d in exercises if d["options"].get("label")]
    problems += [f"{name}: label {label} is used by {labels.count(label)} exercises"
                 for label in sorted(set(labels)) if labels.count(label) > 1]
    for kind in ("predict", "diagnose", "design"):
        if kind not in kinds:
            problems.append(f"{name}: no {kind} exercise (each lesson needs a predict, a "
                            "diagnose and a design exercise)")
    if exercises and 3 * kinds.count("implement") > len(exercises):
        problems.append(f"{name}: {kinds.count('implement')} of {len(exercises)} exercises are "
                        "implement; at most a third may be")
    # hints: one between each exercise and the next exercise or the Solutions heading
    marks = [k for k, (_, what, _) in enumerate(stream) if what in ("exercise",
                                                                     "solutions-heading")]
    for a, b in zip(marks, marks[1:] + [len(stream)]):
        if stream[a][1] != "exercise":
            continue
        hints = [d for _, what, d in stream[a + 1:b] if what == "hint"]
        title = f"exercise '{stream[a][2]['title']}'"
        if len(hints) != 1:
            problems.append(f"{name}: {title} is followed by {len(hints)} Hint admonitions "
                            "before the next exercise; it needs exactly one")
        for hint in hints:
            if "dropdown" not in hint["options"].get("class", "").split():
                problems.append(f"{name}: the Hint after {title} lacks :class: dropdown, so it "
                                "is not hidden until opened")
    # reader cells and checker cells
    section = False
    for i, what, _ in stream:
        cell = nb["cells"][i]
        if what == "exercises-heading":
            section = True
        elif what == "solutions-heading":
            section = False
        elif what == "reader":
            problems += [f"{name}: reader cell {i} {p}: a reference belongs in utils or in a "
                         "hidden checker cell (remove-input) before it"
                         for p in _reader_cell_definitions(source(cell))]
        elif what == "code" and section:
            first = source(cell).strip().splitlines()[0] if source(cell).strip() else "(empty)"
            if "remove-input" not in cell["metadata"].get("tags", []):
                problems.append(f"{name}: checker cell {i} '{first}' lacks the remove-input tag")
            if not cell["metadata"].get("jupyter", {}).get("source_hidden"):
                problems.append(f"{name}: checker cell {i} '{first}' is not collapsed in "
                                "Jupyter (metadata jupyter.source_hidden)")
    return problems


def exercise_kinds(path: Path) -> dict[str, list[str]]:
    """The lesson's exercise labels by kind (for the note that lists them)."""
    found = {kind: [] for kind in (*KINDS, "none")}
    for _, what, d in exercise_stream(load_notebook(path)):
        if what == "exercise":
            kind = next((c for c in d["options"].get("class", "").split() if c in KINDS), "none")
            found[kind].append(d["options"].get("label", d["title"]))
    return found


# --- where the solutions sit: what chapters/intro.md tells the reader -------------------------

# chapters/intro.md says this (tests/test_book.py checks the sentence is there): change both.
INTRO_SOLUTIONS = ("The solutions sit under **Solutions**, after the last exercise of the "
                   "lesson")


def solution_place_problems(path: Path) -> list[str]:
    """Solutions sit where the intro says: under one `### Solutions` heading that follows the
    lesson's last exercise and last reader cell, and every code cell after it is a solution."""
    nb = load_notebook(path)
    name = path.name
    stream = exercise_stream(nb)
    headings = [k for k, (_, what, _) in enumerate(stream) if what == "solutions-heading"]
    if len(headings) != 1:
        return [f"{name}: {len(headings)} '### Solutions' headings; the lesson needs one, after "
                "its exercises"]
    (h,) = headings
    problems = []
    for k, (i, what, d) in enumerate(stream):
        if k < h and what == "solution":
            problems.append(f"{name}: solution cell {i} comes before '### Solutions'")
        if k > h and what in ("exercise", "reader"):
            thing = f"exercise '{d['title']}'" if what == "exercise" else f"reader cell {i}"
            problems.append(f"{name}: {thing} comes after '### Solutions'")
        if k > h and what == "code":
            problems.append(f"{name}: code cell {i} after '### Solutions' is not a solution "
                            "cell (tag it solution or move it up)")
    return problems


# --- typed measured numbers in prose ------------------------------------------------------------

_SPACE = r"[ \t\u00a0\u202f]"
TYPED_NUMBER = re.compile(
    rf"(?<![\w.])\d[\d,]*(?:\.\d+)?{_SPACE}?(?:%|percent\b|per{_SPACE}cent\b)"  # 12%, 12.5 percent
    rf"|(?<![\w.])\d+(?:\.\d+)?{_SPACE}?[x×](?![\w×])(?!{_SPACE}?\d)"  # 10x, 2.4×, not 3x3
    rf"|(?<![\w.])\d[\d,]*(?:\.\d+)?{_SPACE}+times\b",  # 10 times
    re.IGNORECASE)
_CODE_FENCE = re.compile(r"^(?P<f>`{3,}|~{3,})(?!\{(?!code|math))[^\n]*\n.*?^(?P=f)[ \t]*$",
                         re.MULTILINE | re.DOTALL)
_NOT_PROSE = [
    re.compile(r"\$\$.*?\$\$", re.DOTALL),
    re.compile(r"\\begin\{(\w+\*?)\}.*?\\end\{\1\}", re.DOTALL),
    re.compile(r"\\\[.*?\\\]", re.DOTALL),
    re.compile(r"\\\(.*?\\\)", re.DOTALL),
    re.compile(r"(?<![\\$])\$(?!\$)[^\n$]+?(?<!\\)\$"),
    re.compile(r"(`+)[^`].*?\1", re.DOTALL),  # inline code, and the content of every role
    re.compile(r"<[^<>\n]+>"),  # HTML tags and their attributes (width="80%")
    re.compile(r"\]\([^)\s]*\)|https?://\S+"),  # link targets
    re.compile(r"^[ \t]*:[\w-]+:.*$", re.MULTILINE),  # directive options (:width: 80%)
]


def prose(text: str) -> str:
    """`text` with code fences, math, inline code and roles' content, HTML tags, link targets
    and directive options blanked out; newlines are kept, so line numbers still match."""
    blank = lambda m: re.sub(r"[^\n]", " ", m.group(0))  # noqa: E731
    text = _CODE_FENCE.sub(blank, text)
    for pattern in _NOT_PROSE:
        text = pattern.sub(blank, text)
    return text


def typed_number_problems(text: str, where: str) -> list[str]:
    """Percentages, `Nx`/`N×` ratios and "N times" typed into prose (evidence rule (b)).

    Measured numbers belong in a glue role (``{glue:text}`tag-acc:.1f`%`` passes: the digits
    come from the run), an assert or a citation; a line holding a `{cite` role is exempt, and so
    are math, code fences, inline code, HTML attributes, link targets and directive options.
    What it misses: numbers in words ("ten times", "a third", "doubles"); bare typed numbers
    with no unit (an accuracy "0.93", "600 steps", "31.8 s", "about 91 in 100"); ratios written
    as "N-fold" or "by a factor of N"; a number typed inside math (`$12\\%$`) or inline code;
    any figure on a line that also cites something, even when the figure is not the cited one.
    Sizes like 3x3 or 224×224 are not ratios and pass.
    """
    lines = text.splitlines()
    problems = []
    for n, line in enumerate(prose(text).splitlines()):
        if "{cite" in lines[n]:
            continue
        for m in TYPED_NUMBER.finditer(line):
            problems.append(f"{where}: line {n + 1}: typed number '{m.group(0).strip()}' in "
                            "prose; glue it, assert it, cite it, or word it as a hypothesis")
    return problems


def notebook_typed_number_problems(path: Path) -> list[str]:
    nb = load_notebook(path)
    return [p for i, c in enumerate(nb["cells"]) if c["cell_type"] == "markdown"
            for p in typed_number_problems(source(c), f"{path.name} cell {i}")]


def pages(root: Path) -> list[Path]:
    """The `.md` pages under chapters/ (the intro and the reference pages)."""
    return sorted(p for p in (root / "chapters").rglob("*.md") if "_build" not in p.parts)
