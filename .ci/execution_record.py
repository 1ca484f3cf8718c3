#!/usr/bin/env python3
"""What the website build executed, read from its execution cache, for CI and the tests.

    .venv/bin/python .ci/execution_record.py            # after the README's build command

MyST-NB executes each notebook through jupyter-cache (`execute_notebooks: cache`) and stores
the executed notebook and its `execution_seconds` in `_build/.jupyter_cache`, keyed by a hash
of the notebook's code cells. This script, run right after the build:

1. prints each toc notebook's execution time in the build and fails when one took more than
   60 s or the book more than 8 minutes (the budget on the 2-core CI machine), so an outlier
   is caught where it happened instead of being averaged away;
2. writes `_build/execution-record.json`: for each notebook its cache record, and a
   fingerprint of everything else an execution depends on (the Python interpreter, every
   installed distribution and version, the contents of `utils/`, of the non-notebook files
   under `chapters/` and of `pyproject.toml`).

`chapters/conftest.py` reads that file: when a notebook's current source has a record that the
build made and the fingerprint is still the current one, the test command checks the build's
execution (no error output, every code cell executed) instead of executing the notebook a
second time. Without the file (a reader running the test command alone, or anything changed
since the build), nbval executes every notebook as before.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "_build" / ".jupyter_cache"
RECORD = ROOT / "_build" / "execution-record.json"
NOTEBOOK_LIMIT_S, BOOK_LIMIT_S = 60.0, 8 * 60.0


def toc_notebooks(root: Path = ROOT) -> list[Path]:
    toc = (root / "_toc.yml").read_text(encoding="utf-8")
    files = re.findall(r"^\s*-?\s*file:\s*(\S+)", toc, re.MULTILINE)
    return [root / f"{f}.ipynb" for f in files if (root / f"{f}.ipynb").exists()]


def input_files(root: Path = ROOT) -> list[Path]:
    """The files besides the notebooks that an execution reads from the repository.

    Tools' caches are not among them: `__pycache__` and hidden folders such as
    `.ipynb_checkpoints` and `.ruff_cache` (ruff keeps its cache next to `chapters/ruff.toml`,
    so a lint run after the build made the next test run execute every notebook again)."""
    def cache(path: Path) -> bool:
        parts = path.relative_to(root).parts[:-1]
        return any(part == "__pycache__" or part.startswith(".") for part in parts)

    return [root / "pyproject.toml", *sorted((root / "utils").rglob("*.py")),
            *sorted(p for p in (root / "chapters").rglob("*")
                    if p.is_file() and p.suffix != ".ipynb" and not cache(p))]


def newest_change(root: Path = ROOT) -> datetime:
    """When an input file last changed. (The environment is compared by name and version in
    `fingerprint`: the README's commands reinstall the editable project on every run, which
    rewrites site-packages without changing anything an execution depends on.)"""
    return datetime.fromtimestamp(max(p.stat().st_mtime for p in input_files(root)), UTC)


def fingerprint(root: Path = ROOT) -> dict:
    """What a notebook's execution depends on besides its own code cells."""
    files = hashlib.sha256()
    for path in input_files(root):
        files.update(path.relative_to(root).as_posix().encode() + b"\0")
        files.update(path.read_bytes() + b"\0")
    # Only the environment's own folders: `python -m pytest` also puts the working directory
    # on sys.path, where the editable install leaves dlbook_utils.egg-info.
    folders = [p for p in sys.path if p and Path(p).resolve().is_relative_to(Path(sys.prefix))]
    dists = sorted({f"{d.metadata['Name']}=={d.version}"
                    for d in metadata.distributions(path=folders)})
    return {"python": sys.executable, "version": sys.version,
            "distributions": hashlib.sha256("\n".join(dists).encode()).hexdigest(),
            "files": files.hexdigest()}


def cache_records(root: Path = ROOT, cache_path: Path | None = None) -> dict[str, dict | None]:
    """For each toc notebook (relative path): its cache record for the current source, or None."""
    import nbformat
    from jupyter_cache import get_cache

    cache = get_cache(str(cache_path or root / "_build" / ".jupyter_cache"))
    records = {}
    for path in toc_notebooks(root):
        rel = path.relative_to(root).as_posix()
        try:
            record = cache.match_cache_notebook(nbformat.read(path, as_version=4))
        except KeyError:
            records[rel] = None
            continue
        created = record.created.replace(tzinfo=UTC)  # jupyter-cache stores UTC
        records[rel] = {"pk": record.pk, "hashkey": record.hashkey,
                        "seconds": record.data.get("execution_seconds"),
                        "created": created.isoformat()}
    return records


def execution_problems(nb) -> list[str]:
    """What is wrong with an executed notebook: a code cell that did not run, an error output
    (outside cells tagged raises-exception), or a raises-exception cell that did not raise."""
    problems = []
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code" or not "".join(cell["source"]).strip():
            continue
        tags = cell.get("metadata", {}).get("tags", [])
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if cell.get("execution_count") is None:
            problems.append(f"cell {index} was not executed")
        elif "raises-exception" in tags and not errors:
            problems.append(f"cell {index} is tagged raises-exception and did not raise")
        elif "raises-exception" not in tags and errors:
            problems.append(f"cell {index} raised {errors[0]['ename']}: {errors[0]['evalue']}")
    return problems


def budget_problems(records: dict[str, dict | None], notebook_limit: float = NOTEBOOK_LIMIT_S,
                    book_limit: float = BOOK_LIMIT_S) -> list[str]:
    problems = [f"{rel}: the build has no execution of its current source"
                for rel, r in records.items() if r is None]
    problems += [f"{rel}: {r['seconds']:.1f} s in the build, over the {notebook_limit:.0f} s "
                 "budget per notebook" for rel, r in records.items()
                 if r is not None and r["seconds"] > notebook_limit]
    total = sum(r["seconds"] for r in records.values() if r is not None)
    if total > book_limit:
        problems.append(f"the book: {total:.1f} s in the build, over the {book_limit:.0f} s "
                        "budget")
    return problems


def main() -> int:
    if not CACHE.exists():
        print(f"no {CACHE.relative_to(ROOT)}: run the README's build command first",
              file=sys.stderr)
        return 1
    records = cache_records()
    print(f"{'notebook':70s} {'seconds':>8s}  executed at")
    for rel, r in records.items():
        print(f"{rel:70s} {r['seconds']:8.1f}  {r['created']}" if r else f"{rel:70s} {'-':>8s}")
    total = sum(r["seconds"] for r in records.values() if r)
    print(f"{'total':70s} {total:8.1f}")
    problems = budget_problems(records)
    # Only executions made after the last change of an input or of the environment describe
    # the current state; older ones (a cache kept from an earlier build) are not recorded.
    changed = newest_change()
    current = {rel: r for rel, r in records.items()
               if r is not None and datetime.fromisoformat(r["created"]) > changed}
    RECORD.write_text(json.dumps({"fingerprint": fingerprint(), "notebooks": current},
                                 indent=1) + "\n", encoding="utf-8")
    print(f"written {RECORD.relative_to(ROOT)}: {len(current)} of {len(records)} executions "
          f"made after the last change of an input ({changed:%Y-%m-%d %H:%M:%S} UTC)")
    for problem in problems:
        print(f"FAIL {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
