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


def setup_problems(path: Path, repo_url: str) -> list[str]:
    """First code cell: installs utils on Colab from the configured URL, seeds, picks a device."""
    cell = setup_cell(load_notebook(path))
    name = path.name
    problems = []
    if f'REPO_URL = "{repo_url}"' not in cell:
        problems.append(f"{name}: set-up cell must set REPO_URL = \"{repo_url}\" (_config.yml)")
    if '"google.colab" in sys.modules' not in cell:
        problems.append(f"{name}: set-up cell has no Colab block")
    for call in ("set_seed(", "get_device()", "describe_device("):
        if call not in cell:
            problems.append(f"{name}: set-up cell does not call {call.rstrip('(')}")
    return problems


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
