"""Tests that keep the book whole. Each rule is shown failing once on tests/fixtures/bad_book."""

import subprocess
import sys
import types
from pathlib import Path

import pytest
from book_rules import (
    INTRO_SOLUTIONS,
    colab_block,
    exercise_problems,
    lessons,
    load_notebook,
    notebook_typed_number_problems,
    notebooks,
    pages,
    repository_url,
    setup_cell,
    setup_cell_source,
    setup_problems,
    skeleton_problems,
    solution_place_problems,
    solution_problems,
    stored_output_problems,
    toc_files,
    toc_problems,
    typed_number_problems,
)

ROOT = Path(__file__).resolve().parents[1]
BAD = Path(__file__).resolve().parent / "fixtures" / "bad_book"
URL = repository_url(ROOT)
NOTEBOOKS = notebooks(ROOT)
LESSONS = lessons(ROOT)


def ids(paths):
    return [p.relative_to(ROOT).as_posix() for p in paths]


def test_the_book_has_lessons():
    assert LESSONS, "no lesson notebooks found under chapters/NN_*/"
    assert toc_files(ROOT)[0] == "chapters/intro"


def test_toc_and_notebooks_agree():
    assert toc_problems(ROOT) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_notebook_is_stored_without_outputs(path):
    assert stored_output_problems(path) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_notebook_set_up_cell(path):
    assert setup_problems(path, URL) == []


@pytest.mark.parametrize("path", LESSONS, ids=ids(LESSONS))
def test_lesson_follows_the_skeleton(path):
    assert skeleton_problems(path) == []


@pytest.mark.parametrize("path", LESSONS, ids=ids(LESSONS))
def test_every_exercise_has_a_hidden_solution_that_runs_its_checker(path):
    assert solution_problems(path) == []


def test_exercise_labels_are_unique_across_the_book():
    import re
    labels = []
    for path in NOTEBOOKS:
        for cell in load_notebook(path)["cells"]:
            if cell["cell_type"] == "markdown":
                text = "".join(cell["source"])
                labels += re.findall(r"^:label:\s*(\S+)", text, re.MULTILINE)
    duplicates = sorted({label for label in labels if labels.count(label) > 1})
    assert duplicates == []


@pytest.mark.parametrize("path", LESSONS, ids=ids(LESSONS))
def test_exercises_have_kinds_hints_and_hidden_references(path):
    assert exercise_problems(path) == []


@pytest.mark.parametrize("path", LESSONS, ids=ids(LESSONS))
def test_solutions_sit_where_the_intro_says(path):
    assert solution_place_problems(path) == []


def test_the_intro_says_where_the_solutions_sit():
    assert INTRO_SOLUTIONS in (ROOT / "chapters" / "intro.md").read_text(encoding="utf-8")


PAGES = pages(ROOT)


@pytest.mark.parametrize("path", NOTEBOOKS + PAGES, ids=ids(NOTEBOOKS + PAGES))
def test_prose_has_no_typed_measured_numbers(path):
    if path.suffix == ".ipynb":
        assert notebook_typed_number_problems(path) == []
    else:
        assert typed_number_problems(path.read_text(encoding="utf-8"), path.name) == []


# --- the Colab set-up cell ------------------------------------------------------------------

def run_colab_block(cell, monkeypatch, on_colab):
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append((a, k)))
    if on_colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    exec(compile(colab_block(cell), "<set-up cell>", "exec"), {})
    return calls


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_set_up_cell_installs_only_utils_on_colab(path, monkeypatch):
    cell = setup_cell(load_notebook(path))
    calls = run_colab_block(cell, monkeypatch, on_colab=True)
    assert len(calls) == 1
    (command,), kwargs = calls[0]
    assert command == [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                       f"git+{URL}.git"]
    assert kwargs == {"check": True}
    assert not any("torch" in part for part in command), "must not reinstall Colab's torch"


@pytest.mark.parametrize("path", NOTEBOOKS[:1], ids=ids(NOTEBOOKS[:1]))
def test_set_up_cell_does_nothing_elsewhere(path, monkeypatch):
    assert run_colab_block(setup_cell(load_notebook(path)), monkeypatch, on_colab=False) == []


# --- each rule fails on the bad book --------------------------------------------------------

BAD_NB = BAD / "chapters" / "01_bad" / "bad.ipynb"


def test_bad_fixture_toc_problems_are_reported():
    problems = toc_problems(BAD)
    assert any("chapters/01_bad/missing" in p and "no .ipynb" in p for p in problems)
    assert any("unlisted.ipynb is not in _toc.yml" in p for p in problems)
    assert any("twice" in p for p in problems)


def test_bad_fixture_stored_outputs_are_reported():
    assert any("cell 1 has stored outputs" in p for p in stored_output_problems(BAD_NB))


def test_bad_fixture_set_up_cell_problems_are_reported():
    assert setup_problems(BAD_NB, URL) == [
        "bad.ipynb: the first code cell is not SETUP_CELL (tests/book_rules.py): line 1 is "
        "'import sys', expected '# Set-up (the same first lines in every lesson). On Colab "
        "this installs the'"]


def test_bad_fixture_old_set_up_cell_is_not_setup_cell():
    """The book's old first cell had every piece the old substring rule looked for."""
    old = BAD / "chapters" / "01_bad" / "old_setup.ipynb"
    cell = setup_cell(load_notebook(old))
    assert f'REPO_URL = "{URL}"' in cell and "describe_device(" in cell  # the old rule passed
    assert setup_problems(old, URL) == [
        "old_setup.ipynb: the first code cell is not SETUP_CELL (tests/book_rules.py): line 1 "
        "is \"# Set-up (the same first lines in every lesson). On Colab this installs the "
        "book's small\", expected '# Set-up (the same first lines in every lesson). On Colab "
        "this installs the'"]


def test_setup_cell_fits_the_code_box_and_imports_only_what_every_lesson_uses():
    cell = setup_cell_source(URL)
    assert max(len(line) for line in cell.splitlines()) <= 80
    assert f'REPO_URL = "{URL}"' in cell.splitlines()  # its own line, no trailing comment
    assert [line for line in cell.splitlines() if line.startswith(("import ", "from "))] == [
        "import sys", "import utils", "from utils.plot import use_svg"]


def test_bad_fixture_skeleton_problems_are_reported():
    problems = skeleton_problems(BAD_NB)
    assert any("Prerequisites" in p for p in problems)
    assert any("'## Summary' must come before" in p for p in problems)


def test_bad_fixture_solution_problems_are_reported():
    problems = solution_problems(BAD_NB)
    assert any("2 exercises but only 1 solution" in p for p in problems)
    assert any("does not `assert check(...)`" in p for p in problems)
    assert any("hide-input" in p for p in problems)
    assert any("not collapsed" in p for p in problems)


BAD_EXERCISES = BAD / "chapters" / "01_bad" / "bad_exercises.ipynb"


def test_bad_fixture_exercise_problems_are_reported():
    problems = exercise_problems(BAD_EXERCISES)
    expected = [
        "exercise 'B: two kinds, two hints' has :class: predict design; it needs exactly one",
        "exercise 'C: no kind, a repeated label, no hint' has :class: (none)",
        "exercise 'D: no label' has no :label:",
        "label bad-ex-a is used by 2 exercises",
        "no diagnose exercise",
        "no design exercise",
        "3 of 6 exercises are implement; at most a third may be",
        "exercise 'B: two kinds, two hints' is followed by 2 Hint admonitions",
        "the Hint after exercise 'B: two kinds, two hints' lacks :class: dropdown",
        "exercise 'C: no kind, a repeated label, no hint' is followed by 0 Hint admonitions",
        "reader cell 5 defines a reference `_reference_double` beside the reader's stub",
        "reader cell 5 has a lambda on line 10",
        "checker cell 7 'def _reference_triple(x):' lacks the remove-input tag",
        "checker cell 7 'def _reference_triple(x):' is not collapsed in Jupyter",
    ]
    for text in expected:
        assert any(text in p for p in problems), text
    assert len(problems) == len(expected)  # the good exercise A and its cells pass
    assert "no predict exercise" not in " ".join(problems)


def test_bad_fixture_solution_place_problems_are_reported():
    assert solution_place_problems(BAD_EXERCISES) == [
        "bad_exercises.ipynb: solution cell 9 comes before '### Solutions'",
        "bad_exercises.ipynb: code cell 12 after '### Solutions' is not a solution cell "
        "(tag it solution or move it up)"]


def test_bad_fixture_typed_numbers_are_reported():
    found = [p.split("typed number ")[1].split(" in prose")[0]
             for p in notebook_typed_number_problems(BAD_EXERCISES)]
    # and not the glued %, 3x3, 224×224, math, code, HTML, link, cited line, fence, :width:
    assert found == ["'91%'", "'12 %'", "'12.5 percent'", "'800x'", "'2.4×'", "'10 times'"]
    page = BAD / "chapters" / "01_bad" / "claims.md"
    assert typed_number_problems(page.read_text(encoding="utf-8"), page.name) == [
        "claims.md: line 3: typed number '93%' in prose; glue it, assert it, cite it, or word "
        "it as a hypothesis"]


def test_bad_fixture_wrong_colab_install_is_caught(monkeypatch):
    calls = run_colab_block(setup_cell(load_notebook(BAD_NB)), monkeypatch, on_colab=True)
    (command,), _ = calls[0]
    assert any("torch" in part for part in command)  # the test above would reject this cell


# --- the README's commands are what CI runs ----------------------------------------------------

def test_readme_commands_are_marked_for_ci():
    import re
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = {}
    for marker in ("build-command", "test-command"):
        m = re.search(rf"<!-- {marker} -->\s*```bash\n(.+?)\n```", readme, re.S)
        assert m, f"README.md has no <!-- {marker} --> block for .ci/run to run"
        commands[marker] = m.group(1)
    assert "jupyter-book build . -W --keep-going" in commands["build-command"]
    assert commands["test-command"].endswith("python -m pytest")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    # .ci/run's `readme NAME` step reads the block marked NAME with readme_command and runs it
    assert 'command=$(readme_command "$1")' in ci
    for marker in ("build-command", "test-command"):
        assert re.search(rf"^step \"[^\"]+\" readme {marker}$", ci, re.M), (
            f".ci/run has no step running the README's {marker}")
