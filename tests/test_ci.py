"""CI's own checks (`.ci/execution_record.py`, `.ci/benchmark.py`), each shown failing once on a
small fixture built here: the time budget of the website build, the check that replaces a
second execution of a notebook, and the fingerprint that decides when that replacement holds."""

import asyncio
import importlib.util
import queue
import shutil
import time
from pathlib import Path

import nbclient
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / ".ci" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


record = load("execution_record")
benchmark = load("benchmark")


def executed(*cells):
    """A notebook whose code cells carry (execution_count, outputs, tags)."""
    nb = nbformat.v4.new_notebook()
    for count, outputs, tags in cells:
        cell = nbformat.v4.new_code_cell("x = 1", execution_count=count, outputs=outputs)
        cell.metadata["tags"] = tags
        nb.cells.append(cell)
    return nb


ERROR = nbformat.v4.new_output("error", ename="AssertionError", evalue="the run learns",
                               traceback=[])


def test_execution_problems_pass_a_clean_run_and_an_expected_error():
    nb = executed((1, [], []), (2, [ERROR], ["raises-exception"]))
    assert record.execution_problems(nb) == []


def test_execution_problems_fail_on_a_broken_run():
    nb = executed((1, [ERROR], []), (None, [], []), (3, [], ["raises-exception"]))
    assert record.execution_problems(nb) == [
        "cell 0 raised AssertionError: the run learns",
        "cell 1 was not executed",
        "cell 2 is tagged raises-exception and did not raise",
    ]


def test_budget_problems():
    ok = {"a.ipynb": {"seconds": 59.0}, "b.ipynb": {"seconds": 20.0}}
    assert record.budget_problems(ok) == []
    slow = {"a.ipynb": {"seconds": 201.0}, "b.ipynb": None,
            **{f"{i}.ipynb": {"seconds": 50.0} for i in range(6)}}
    assert record.budget_problems(slow) == [
        "b.ipynb: the build has no execution of its current source",
        "a.ipynb: 201.0 s in the build, over the 60 s budget per notebook",
        "the book: 501.0 s in the build, over the 480 s budget",
    ]


def test_fingerprint_follows_utils_and_chapter_files(tmp_path):
    for name in ("pyproject.toml", "utils", "chapters/reference"):
        source, target = ROOT / name, tmp_path / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, target)
    before = record.fingerprint(tmp_path)
    assert record.fingerprint(tmp_path) == before
    (tmp_path / "chapters" / "reference" / "glossary.md").write_text("changed\n")
    after_chapter = record.fingerprint(tmp_path)
    assert after_chapter["files"] != before["files"]
    # a tool's cache under chapters/ (ruff's, Jupyter's checkpoints) is not an input
    for cache in (".ruff_cache/0.17.6/123", ".ipynb_checkpoints/glossary-checkpoint.md",
                  "reference/__pycache__/x.pyc"):
        (tmp_path / "chapters" / cache).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "chapters" / cache).write_bytes(b"cache")
    assert record.fingerprint(tmp_path) == after_chapter
    with open(tmp_path / "utils" / "__init__.py", "a") as f:
        f.write("\n# changed\n")
    assert record.fingerprint(tmp_path)["files"] != after_chapter["files"]
    assert record.newest_change(tmp_path).timestamp() >= (
        tmp_path / "utils" / "__init__.py").stat().st_mtime - 1


def test_benchmark_cell_times_and_stalls():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in "abc"])
    stamps = [("10:00:00", "10:00:02"), ("10:00:02.1", "10:00:03"), ("10:03:03", "10:03:04")]
    for cell, (start, end) in zip(nb.cells, stamps):
        cell.metadata["execution"] = {"iopub.execute_input": f"2026-12-01T{start}Z",
                                      "shell.execute_reply": f"2026-12-01T{end}Z"}
    assert [benchmark.cell_seconds(c) for c in nb.cells] == [2.0, 0.9, 1.0]
    # The client received cell 1's reply 180 s after the kernel sent it: a stall, not work.
    assert benchmark.largest_gap(nb.cells) == (1, 180.0)


def test_benchmark_replaces_only_the_readme_block(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# Book\n\n{benchmark.BEGIN}\nold table\n{benchmark.END}\n\n## Next\n")
    benchmark.replace_readme_table("| new |", readme)
    expected = f"# Book\n\n{benchmark.BEGIN}\n| new |\n{benchmark.END}\n\n## Next\n"
    assert readme.read_text() == expected
    readme.write_text("# Book without the markers\n")
    try:
        benchmark.replace_readme_table("| new |", readme)
    except SystemExit as error:
        assert "no <!-- benchmark-table -->" in str(error)
    else:
        raise AssertionError("a README without the markers was accepted")


def test_benchmark_polls_in_slices_so_a_stranded_reply_is_read():
    """A reply that a long poll would only find at its timeout is read at the next slice."""
    import asyncio
    import queue

    polls = []

    async def get_msg(timeout=None):
        polls.append(timeout)
        if len(polls) < 3:  # the first two slices see nothing (a lost wake-up)
            raise queue.Empty
        return {"msg_type": "execute_reply"}

    reply = asyncio.run(benchmark.sliced(get_msg, slice_s=0.01)(timeout=180))
    assert reply == {"msg_type": "execute_reply"} and polls == [0.01, 0.01, 0.01]

    async def never(timeout=None):
        raise queue.Empty

    try:
        asyncio.run(benchmark.sliced(never, slice_s=0.01)(timeout=0.05))
    except queue.Empty:
        pass
    else:
        raise AssertionError("the deadline passed without queue.Empty")


def test_fingerprint_ignores_metadata_outside_the_environment(tmp_path, monkeypatch):
    """`python -m pytest` puts the working directory on sys.path, and with it the editable
    install's dlbook_utils.egg-info: the test command must see the build's environment."""
    before = record.fingerprint()["distributions"]
    egg = tmp_path / "dlbook_utils.egg-info"
    egg.mkdir()
    (egg / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: dlbook-utils\nVersion: 9.9\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert record.fingerprint()["distributions"] == before


# --- the build's polling of kernel replies (_ext/nbclient_polling.py) -----------------------

def _lost_wake_up(arrives_after: float):
    """A channel's get_msg whose socket lost its wake-up: a reply that arrives after
    `arrives_after` seconds is seen by a poll that starts after it, and otherwise only when
    the poll's whole timeout has passed (the behaviour seen in the build)."""
    start = time.monotonic()

    async def get_msg(timeout=None):
        if time.monotonic() - start >= arrives_after:
            return {"msg": "reply"}
        await asyncio.sleep(timeout)
        if time.monotonic() - start >= arrives_after:
            return {"msg": "reply"}
        raise queue.Empty
    return get_msg


def test_sliced_polls_read_a_reply_whose_wake_up_was_lost():
    spec = importlib.util.spec_from_file_location("nbclient_polling",
                                                  ROOT / "_ext" / "nbclient_polling.py")
    polling = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(polling)

    def timed(get_msg, timeout):
        t0 = time.monotonic()
        result = asyncio.run(get_msg(timeout=timeout))
        return result, time.monotonic() - t0

    # one long poll (nbclient's own) waits out its whole timeout: the failure the fix is for
    reply, waited = timed(_lost_wake_up(0.05), timeout=1.0)
    assert reply == {"msg": "reply"} and waited >= 1.0
    # sliced polls read it within a slice
    reply, waited = timed(polling.sliced(_lost_wake_up(0.05), slice_s=0.1), timeout=1.0)
    assert reply == {"msg": "reply"} and waited < 0.5
    # a reply that never comes still times out at the timeout
    t0 = time.monotonic()
    with pytest.raises(queue.Empty):
        asyncio.run(polling.sliced(_lost_wake_up(99), slice_s=0.1)(timeout=0.3))
    assert 0.3 <= time.monotonic() - t0 < 0.6
    # the extension makes every NotebookClient wrap its channels so
    original = nbclient.NotebookClient.async_start_new_kernel_client
    try:
        polling.setup(None)
        assert (nbclient.NotebookClient.async_start_new_kernel_client
                is polling._start_with_sliced_polls)
    finally:
        nbclient.NotebookClient.async_start_new_kernel_client = original
