"""The notebook tests check the website build's execution instead of running a
notebook a second time, when that execution describes the current state.

`.ci/execution_record.py`, run right after the README's build command, writes
`_build/execution-record.json`: the build's jupyter-cache record of each
notebook and a fingerprint of everything else an execution depends on. When a
notebook's current code has that record and the fingerprint is the current
one, its nbval cells are replaced by one test that reads the build's executed
notebook: every code cell ran, none raised (except cells tagged
`raises-exception`, which must raise), so every `assert` in it held. The build
ran with `-W` and `nb_execution_raise_on_error`, which stop at a failing cell.

Without that file, or with any change since (a notebook's code, `utils/`, the
data files under `chapters/`, an installed package, the interpreter), nbval
executes the notebook as before: a reader running the test command alone gets
every notebook executed. DLBOOK_EXECUTE_NOTEBOOKS=1 always executes them.
"""

import importlib.util
import json
import os
from datetime import datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_SPEC = importlib.util.spec_from_file_location(
    "execution_record", ROOT / ".ci" / "execution_record.py")
record = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(record)


def reusable() -> tuple[dict[str, dict], str]:
    """({notebook: its current build execution}, why the others are not)."""
    if os.environ.get("DLBOOK_EXECUTE_NOTEBOOKS") == "1":
        return {}, "DLBOOK_EXECUTE_NOTEBOOKS=1"
    if not record.RECORD.exists():
        return {}, f"no {record.RECORD.relative_to(ROOT)}"
    saved = json.loads(record.RECORD.read_text(encoding="utf-8"))
    if saved["fingerprint"] != record.fingerprint():
        return {}, ("the environment or a file besides the notebooks changed "
                    "since the build")
    changed = record.newest_change()
    now = record.cache_records()
    current = {rel: r for rel, r in saved["notebooks"].items()
               if now.get(rel) == r
               and datetime.fromisoformat(r["created"]) > changed}
    return current, "their code changed since the build, or the build failed"


def pytest_report_header(config):
    if not (config.option.nbval or config.option.nbval_lax):
        return None
    current, why = reusable()
    total = len(record.toc_notebooks())
    return (f"notebooks: {len(current)} of {total} checked from the website "
            f"build's execution; the others are executed ({why})")


class BuildExecutedNotebook(pytest.File):
    """Stands in for nbval's collector of a notebook, which would start a
    kernel before its first cell runs."""

    def collect(self):
        return []


class BuildExecution(pytest.Item):
    """Passes when the build's executed copy of a notebook has every code cell
    executed and no error output, except in cells tagged raises-exception."""

    def __init__(self, *, info, **kwargs):
        super().__init__(**kwargs)
        self.info = info

    def runtest(self):
        from jupyter_cache import get_cache

        cache = get_cache(str(record.CACHE))
        nb = cache.get_cache_bundle(self.info["pk"]).nb
        problems = record.execution_problems(nb)
        assert not problems, "; ".join(problems)

    def reportinfo(self):
        return self.path, None, (
            f"{self.name}: executed by the website build in "
            f"{self.info['seconds']:.1f} s at {self.info['created']}")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    if not (config.option.nbval or config.option.nbval_lax):
        return
    current, _ = reusable()
    kept, replaced = [], {}
    for item in items:
        path = Path(str(item.path)).resolve()
        rel = (path.relative_to(ROOT).as_posix()
               if path.is_relative_to(ROOT) else None)
        if path.suffix == ".ipynb" and rel in current:
            if rel not in replaced:
                notebook = BuildExecutedNotebook.from_parent(
                    item.parent.parent, path=path)
                replaced[rel] = BuildExecution.from_parent(
                    notebook, name="executed-by-the-website-build",
                    info=current[rel])
                kept.append(replaced[rel])
        else:
            kept.append(item)
    items[:] = kept
