"""The formula sheet (chapters/reference/formula_sheet.md) is backed by tested code.

Each formula row of the sheet's tables names the `utils` function that computes it and links the
lesson that derives it. For every row this checks that
- the function exists in `utils` (and, for `get("name")`, that the name is known),
- the lesson exists and is in `_toc.yml`,
- the function is tested against PyTorch: some test in `tests/test_<module>.py` mentions the
  function (and the `get("name")` name, in its code or in its parametrisation) and, in its own
  code or in the module-level tables and helpers it uses, a PyTorch oracle (`torch.nn`,
  `F.<op>(`, `torch.optim`, autograd, `.backward(`, `FlopCounterMode`, `torchvision.models`).
The rule is shown failing on made-up rows and made-up test modules at the end.
"""

from __future__ import annotations

import ast
import functools
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest
from book_rules import toc_files

ROOT = Path(__file__).resolve().parents[1]
SHEET = ROOT / "chapters" / "reference" / "formula_sheet.md"
HEADER = ["Quantity", "Formula", "Computed by", "Derived in"]
CODE_REF = re.compile(
    r'`utils\.(?P<module>\w+)\.(?P<attr>\w+)(?:\("(?P<arg>\w+)"\))?(?P<rest>[^`]*)`')
LINK = re.compile(r"\]\((?P<target>[^)#\s]+\.(?:ipynb|md))(?:#[^)]*)?\)")
ORACLE = re.compile(
    r"\bF\.\w+\(|\btorch\.nn\b|\bnn\.[A-Z]\w*|\btorch\.optim\b|\btorch\.autograd\b|\bautograd\b"
    r"|\.backward\(|\bFlopCounterMode\b|\btorchvision\.models\b"
    r"|\btorch\.(?:sigmoid|tanh|relu|softmax|log_softmax)\b")


def split_row(line: str) -> list[str]:
    """The cells of a markdown table row (pipes inside `code` or $math$ do not split)."""
    cells, current, in_code, in_math = [], "", False, False
    for ch in line.strip().strip("|"):
        if ch == "`" and not in_math:
            in_code = not in_code
        elif ch == "$" and not in_code:
            in_math = not in_math
        if ch == "|" and not in_code and not in_math:
            cells.append(current.strip())
            current = ""
        else:
            current += ch
    cells.append(current.strip())
    return cells


def formula_rows(text: str) -> list[dict]:
    """Rows of the tables whose header is Quantity | Formula | Computed by | Derived in."""
    rows, in_table = [], False
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.lstrip().startswith("|"):
            in_table = False
            continue
        cells = split_row(line)
        if cells == HEADER:
            in_table = True
        elif in_table and not set("".join(cells)) <= set("-: "):
            rows.append({"line": number, **dict(zip(HEADER, cells)), "cells": len(cells)})
    return rows


# --- is a function tested against PyTorch? --------------------------------------------------

def _definitions(tree: ast.Module, text: str) -> dict[str, str]:
    """Module-level names -> the source that defines them (functions, classes, assignments)."""
    defs = {}
    for node in tree.body:
        segment = ast.get_source_segment(text, node) or ""
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            decorators = "".join((ast.get_source_segment(text, d) or "") + "\n"
                                 for d in node.decorator_list)
            defs[node.name] = decorators + segment
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        defs[name.id] = segment
    return defs


def extended_source(name: str, defs: dict[str, str]) -> str:
    """A test's source with the module-level tables and helpers it uses, transitively."""
    seen, todo, parts = set(), [name], []
    while todo:
        current = todo.pop()
        if current in seen or current not in defs:
            continue
        seen.add(current)
        parts.append(defs[current])
        todo += [n.id for n in ast.walk(ast.parse(defs[current])) if isinstance(n, ast.Name)]
    return "\n".join(parts)


def oracle_tests(test_source: str, attr: str, arg: str | None = None,
                 node_ids: tuple[str, ...] = ()) -> list[str]:
    """Names of the tests in `test_source` that exercise `attr` (and `arg`) against PyTorch.

    A name counts as exercised when it appears as a word in the test's extended source or in the
    parameters of one of its collected node ids (`test_x[sigmoid-...]`).
    """
    tree = ast.parse(test_source)
    defs = _definitions(tree, test_source)
    found = []
    for node in tree.body:
        if not (isinstance(node, ast.FunctionDef) and node.name.startswith("test")):
            continue
        code = extended_source(node.name, defs)
        params = " ".join(i.split("[", 1)[1] for i in node_ids
                          if i.split("::")[-1].split("[")[0] == node.name and "[" in i)
        words = [attr] + ([arg] if arg else [])
        if ORACLE.search(code) and all(
                re.search(rf"\b{w}\b", code) or re.search(rf"\b{w}\b", params) for w in words):
            found.append(node.name)
    return found


@functools.cache
def collected_ids(test_file: Path) -> tuple[str, ...]:
    """The node ids pytest collects from `test_file` (parametrised tests carry their params)."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-n", "0", "-p", "no:randomly",
         str(test_file)], capture_output=True, text=True, cwd=ROOT, timeout=300)
    return tuple(line for line in result.stdout.splitlines() if "::" in line)


def row_problems(row: dict, root: Path = ROOT, toc: list[str] | None = None,
                 test_sources: dict[str, str] | None = None) -> list[str]:
    """What is wrong with one formula row (empty when it is backed by tested code).

    `test_sources` maps a module name to its test file's text (read from tests/ when omitted).
    """
    where = f"line {row['line']} ({row['Quantity']})"
    if row["cells"] != len(HEADER):
        return [f"{where}: {row['cells']} cells, expected {len(HEADER)}"]
    problems = []
    if "$" not in row["Formula"]:
        problems.append(f"{where}: the Formula cell has no $math$")

    toc = toc_files(root) if toc is None else toc
    links = LINK.findall(row["Derived in"])
    if not links:
        problems.append(f"{where}: no link to the lesson that derives it")
    for target in links:
        path = (root / "chapters" / "reference" / target).resolve()
        page = path.relative_to(root.resolve()).with_suffix("").as_posix() if (
            root.resolve() in path.parents) else target
        if not path.exists():
            problems.append(f"{where}: the lesson {target} does not exist")
        elif page not in toc:
            problems.append(f"{where}: the lesson {target} is not in _toc.yml")

    refs = list(CODE_REF.finditer(row["Computed by"]))
    if not refs:
        return problems + [f"{where}: names no `utils.<module>.<function>`"]
    for ref in refs:
        module, attr, arg = ref["module"], ref["attr"], ref["arg"]
        label = ref.group(0)
        try:
            obj = getattr(importlib.import_module(f"utils.{module}"), attr)
        except (ImportError, AttributeError):
            problems.append(f"{where}: {label} does not exist")
            continue
        if not callable(obj):
            problems.append(f"{where}: {label} is not callable")
        if arg is not None:
            try:
                made = obj(arg)
            except (ValueError, TypeError) as error:
                problems.append(f"{where}: {label}: {error}")
                continue
            member = ref["rest"].lstrip(".").split("(")[0]
            if member and not callable(getattr(made, member, None)):
                problems.append(f"{where}: {label} has no method {member}")
        test_file = root / "tests" / f"test_{module}.py"
        if test_sources is not None:
            source = test_sources.get(module)
        else:
            source = test_file.read_text(encoding="utf-8") if test_file.exists() else None
        if source is None:
            problems.append(f"{where}: no tests/test_{module}.py")
            continue
        found = oracle_tests(source, attr, arg)
        if not found and arg is not None and test_sources is None:
            # the name may come from a parametrisation built at collection time
            found = oracle_tests(source, attr, arg, collected_ids(test_file))
        if not found:
            problems.append(f"{where}: no test in tests/test_{module}.py checks {label} "
                            f"against PyTorch")
    return problems


# --- the real sheet -------------------------------------------------------------------------

ROWS = formula_rows(SHEET.read_text(encoding="utf-8")) if SHEET.exists() else []


def test_the_sheet_is_in_the_toc_and_its_rows_are_well_formed():
    assert "chapters/reference/formula_sheet" in toc_files(ROOT)
    text = SHEET.read_text(encoding="utf-8")
    table_lines = [line for line in text.splitlines() if line.lstrip().startswith("|")]
    # every table line is a header, a separator or a formula row (nothing silently skipped)
    headers = [line for line in table_lines if split_row(line) == HEADER]
    separators = [line for line in table_lines if set(line) <= set("|-: ")]
    assert len(table_lines) == len(headers) + len(separators) + len(ROWS)


@pytest.mark.parametrize("row", ROWS, ids=[f"{r['line']}-{r['Quantity'][:40]}" for r in ROWS])
def test_formula_is_computed_by_a_utils_function_tested_against_pytorch(row):
    assert row_problems(row) == []


TOPICS = ("conv", "activations", "losses", "optim", "rnn")


def test_each_topic_module_a_lesson_uses_is_on_the_sheet():
    """A toc'd lesson that uses `utils.conv` (etc.) puts that module's formulas on the sheet."""
    on_sheet = {m for r in ROWS for m in re.findall(r"`utils\.(\w+)\.", r["Computed by"])}
    used = {}
    for page in toc_files(ROOT):
        path = ROOT / f"{page}.ipynb"
        if path.exists() and not page.startswith("chapters/reference/"):
            text = path.read_text(encoding="utf-8")
            for module in TOPICS:
                if re.search(rf"utils\.{module}\b|from utils import [^\n]*\b{module}\b", text):
                    used.setdefault(module, page)
    missing = {module: page for module, page in used.items() if module not in on_sheet}
    assert missing == {}, f"lessons use modules whose formulas are not on the sheet: {missing}"


# --- the rule fails when it should ----------------------------------------------------------

GOOD_TESTS = '''
import torch.nn.functional as F
from utils import conv, activations as A

TABLE = {"sigmoid": torch.sigmoid}

def helper(x):
    return x

def test_size_matches_conv2d():
    assert conv.conv_output_size(5, 3) == F.conv2d(x, w).shape[-1]

def test_named_by_table(name):
    assert getattr(A, name)(x) == TABLE[name](x)

def test_derivative_against_autograd(name):
    x.requires_grad_(True)
    A.get(name).derivative(x) == torch.autograd.grad(A.get(name)(x).sum(), x)[0]
'''

BAD_TESTS = '''
from utils import conv

def test_size_is_three():
    assert conv.conv_output_size(5, 3) == 3          # a hand-computed number, no oracle

def test_other_function_against_pytorch():
    layer = torch.nn.Conv2d(1, 1, 3)
    assert conv.conv2d_params(1, 1, 3) == sum(p.numel() for p in layer.parameters())
'''


def test_oracle_rule_accepts_tests_against_pytorch():
    assert oracle_tests(GOOD_TESTS, "conv_output_size") == ["test_size_matches_conv2d"]
    assert oracle_tests(GOOD_TESTS, "sigmoid") == ["test_named_by_table"]
    ids = ("tests/test_x.py::test_derivative_against_autograd[tanh]",
           "tests/test_x.py::test_derivative_against_autograd[sigmoid]")
    assert oracle_tests(GOOD_TESTS, "get", "tanh", ids) == ["test_derivative_against_autograd"]


def test_oracle_rule_rejects_tests_without_pytorch():
    assert oracle_tests(BAD_TESTS, "conv_output_size") == []
    ids = ("t.py::test_derivative_against_autograd[relu]",)
    assert oracle_tests(GOOD_TESTS, "get", "mish", ids) == []


def row(computed_by: str, derived_in: str = "[Lesson](../00_how_to_use/how_to_use.ipynb)",
        formula: str = "$o = i - k + 1$") -> dict:
    return {"line": 1, "Quantity": "q", "Formula": formula, "Computed by": computed_by,
            "Derived in": derived_in, "cells": 4}


def test_row_rule_reports_each_problem():
    tests = {"conv": BAD_TESTS, "activations": GOOD_TESTS}
    check = functools.partial(row_problems, test_sources=tests)
    assert check(row("`utils.activations.sigmoid`")) == []
    assert check(row("`utils.conv.conv_output_size`")) == [
        "line 1 (q): no test in tests/test_conv.py checks `utils.conv.conv_output_size` "
        "against PyTorch"]
    assert check(row("`utils.conv.no_such_function`")) == [
        "line 1 (q): `utils.conv.no_such_function` does not exist"]
    assert "name='nonsense' is not allowed" in " ".join(
        check(row('`utils.activations.get("nonsense").derivative`')))
    assert check(row("`utils.activations.sigmoid`", derived_in="the lesson")) == [
        "line 1 (q): no link to the lesson that derives it"]
    assert check(row("`utils.activations.sigmoid`", derived_in="[L](../99_x/x.ipynb)")) == [
        "line 1 (q): the lesson ../99_x/x.ipynb does not exist"]
    assert check(row("`utils.activations.sigmoid`", formula="o = i - k + 1")) == [
        "line 1 (q): the Formula cell has no $math$"]
    assert check(row("computed by hand")) == ["line 1 (q): names no `utils.<module>.<function>`"]
    assert check(row("`utils.nosuchmodule.f`")) == [
        "line 1 (q): `utils.nosuchmodule.f` does not exist"]


def test_table_parser_keeps_pipes_in_math_and_code():
    text = ("| Quantity | Formula | Computed by | Derived in |\n| --- | --- | --- | --- |\n"
            "| MAE | $\\frac{1}{N}\\sum |y - t|$ | `utils.losses.mae` | [L](x.ipynb) |\n\n"
            "| Other | table |\n| --- | --- |\n| a | b |\n")
    rows = formula_rows(text)
    assert len(rows) == 1 and rows[0]["Formula"] == "$\\frac{1}{N}\\sum |y - t|$"
    assert rows[0]["cells"] == 4
