#!/usr/bin/env python3
"""Execute every notebook of the book as Jupyter does and report times, memory and device.

    python .ci/benchmark.py                      # all notebooks in _toc.yml order
    python .ci/benchmark.py chapters/01_convolution/convolution_arithmetic.ipynb
    python .ci/benchmark.py --output _build/benchmark.md
    python .ci/benchmark.py --readme             # also replace the README's benchmark table

Each notebook runs in a fresh kernel with the inline backend, so every figure is rendered (as
SVG, the set-up cell's choice) the way a reader's Jupyter renders it; MPLBACKEND is removed
from the kernels' environment if it is set. The wall time includes the kernel's start. Each
cell's time comes from the kernel's own timestamps (nbclient's record_timing), and the slowest
cells of each notebook are named. Peak memory is the kernel's peak resident set size (and the
peak CUDA allocation on a GPU). The device is read from the kernel as data: the device
`utils.get_device()` returns and, on CUDA, `torch.cuda.get_device_name`. Budget on a 2-core
CPU: 60 s per notebook, 8 min in all. This is a benchmark to run and report, not a test: it
fails only when a notebook fails.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
NOTEBOOK_BUDGET_S, BOOK_BUDGET_S = 60.0, 8 * 60.0
SLOWEST = 3  # cells named per notebook
STALL_S = 5.0  # a longer wait between two cells is reported as a stall
BUSY_CORES = 0.3  # cores busy with other work, just before a notebook, that make a run not idle
BEGIN, END = "<!-- benchmark-table -->", "<!-- /benchmark-table -->"

# Appended to each notebook in memory (never saved): the kernel reports its own facts as JSON.
PROBE = """
import json, resource, torch
import utils
_device = utils.get_device()
_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
if _device.type == "cuda":
    _name, _gpu_mb = torch.cuda.get_device_name(_device), torch.cuda.max_memory_allocated() / 2**20
else:
    _name, _gpu_mb = ("Apple MPS" if _device.type == "mps" else "CPU"), None
print("BENCHMARK " + json.dumps({"peak_mb": _peak_mb, "gpu_mb": _gpu_mb, "device": _device.type,
                                 "device_name": _name, "torch": torch.__version__}))
"""


sys.path.insert(0, str(ROOT / "_ext"))
from nbclient_polling import sliced  # noqa: E402  (the website build polls the same way)


class Client(NotebookClient):
    """nbclient waits for a cell's reply in one poll as long as the cell's timeout. When the
    wake-up of the client's socket is lost, the reply that has arrived is only read when that
    poll times out (seen on this machine: one cell of the optimizers lesson waited 600 s for a
    reply the kernel had sent; in the website build the timeout is 180 s). Polling in
    one-second slices reads such a reply within a second, so a lost wake-up cannot pass for
    the notebook's time (`_ext/nbclient_polling.py` does the same for the website build)."""

    async def async_start_new_kernel_client(self):
        kc = await super().async_start_new_kernel_client()
        for channel in (kc.shell_channel, kc.iopub_channel):
            channel.get_msg = sliced(channel.get_msg)
        return kc


def busy_cores(seconds: float = 1.0) -> float:
    """How many cores other processes keep busy right now (sampled from /proc/stat, Linux).
    The previous notebook's kernel has exited when this runs, so it is the others' load."""
    def sample():
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return sum(values), values[3] + values[4]  # all jiffies, idle + iowait
    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except OSError:
        return 0.0
    return (1 - (idle1 - idle0) / max(1, total1 - total0)) * (os.cpu_count() or 1)


def toc_notebooks() -> list[Path]:
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    files = re.findall(r"^\s*-?\s*file:\s*(\S+)", toc, re.MULTILINE)
    return [ROOT / f"{f}.ipynb" for f in files if (ROOT / f"{f}.ipynb").exists()]


def cell_seconds(cell) -> float | None:
    """The kernel's execution time of one executed cell (from nbclient's record_timing)."""
    timing = cell.get("metadata", {}).get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return None
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


def largest_gap(cells) -> tuple[int, float]:
    """(index of the cell, seconds) of the longest wait between a cell's reply and the next cell's
    start, both stamped by the kernel. The client sends the next cell as soon as it has the
    reply, so a long gap is time the reply spent reaching the client, not work."""
    timed = [(i, c["metadata"]["execution"]) for i, c in enumerate(cells)
             if {"iopub.execute_input", "shell.execute_reply"}
             <= set(c.get("metadata", {}).get("execution", {}))]
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    gaps = [(i, (parse(nxt["iopub.execute_input"]) - parse(cur["shell.execute_reply"]))
             .total_seconds()) for (i, cur), (_, nxt) in zip(timed, timed[1:])]
    return max(gaps, key=lambda g: g[1], default=(-1, 0.0))


def first_line(source: str) -> str:
    lines = [line for line in source.splitlines() if line.strip() and not line.startswith("#")]
    text = (lines[0] if lines else source.strip().splitlines()[0]).strip()
    return text if len(text) <= 60 else text[:57] + "..."


def figure_count(cells) -> int:
    return sum(1 for c in cells for o in c.get("outputs", [])
               if {"image/svg+xml", "image/png"} & set(o.get("data", {})))


def run(path: Path, timeout: int) -> dict:
    nb = nbformat.read(path, as_version=4)
    code_cells = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    client = Client(nb, timeout=timeout, kernel_name="python3", record_timing=True,
                    resources={"metadata": {"path": str(path.parent)}})
    load = busy_cores()
    start = time.perf_counter()
    client.execute()
    wall = time.perf_counter() - start
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.get("name") == "stdout")
    probe = json.loads(text.split("BENCHMARK ", 1)[1])
    cells = [{"index": i, "seconds": cell_seconds(c), "line": first_line(c.source)}
             for i, c in code_cells if c.source.strip()]
    timed = [c for c in cells if c["seconds"] is not None]
    slowest = sorted(timed, key=lambda c: -c["seconds"])[:SLOWEST]
    gap_cell, gap = largest_gap(nb.cells)
    return {"wall_s": wall, "cells_s": sum(c["seconds"] for c in timed), "cells": cells,
            "slowest": slowest, "figures": figure_count(nb.cells[:-1]),
            "largest_gap": {"after_cell": gap_cell, "seconds": gap}, "busy_before": load,
            **probe}


def conv_speed(repeats: int = 50) -> str:
    """The speed target: conv2d_im2col at most 5x F.conv2d for x (8, 16, 32, 32), 32 3x3 kernels."""
    import torch
    import torch.nn.functional as F

    from utils.conv import conv2d_im2col

    x, w, b = torch.randn(8, 16, 32, 32), torch.randn(32, 16, 3, 3), torch.randn(32)

    def best(fn):
        fn()  # warm-up
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return sorted(times)[len(times) // 2]  # median

    ours = best(lambda: conv2d_im2col(x, w, b, padding=1))
    torch_s = best(lambda: F.conv2d(x, w, b, padding=1))
    return (f"conv2d_im2col vs F.conv2d, x (8, 16, 32, 32), 32 3x3 kernels, padding 1, median of "
            f"{repeats}: {ours * 1e3:.2f} ms vs {torch_s * 1e3:.2f} ms = {ours / torch_s:.1f}x "
            f"({'within' if ours <= 5 * torch_s else '**over**'} the 5x target)")


def report(rows: list[tuple[str, dict]], conv: str | None) -> str:
    total = sum(r["wall_s"] for _, r in rows)
    devices = sorted({f"{r['device']} ({r['device_name']})" for _, r in rows})
    torch_versions = sorted({r["torch"] for _, r in rows})
    loads = [r["busy_before"] for _, r in rows]
    lines = [
        f"Benchmark: {platform.node()}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPU cores, Python {platform.python_version()}, "
        f"torch {', '.join(torch_versions)}, device {', '.join(devices)}, "
        f"{time.strftime('%Y-%m-%d %H:%M')}; figures rendered inline (SVG), one notebook at a "
        "time, each in a fresh kernel; cores busy with other work just before a notebook: "
        f"{min(loads, default=0):.2f} to {max(loads, default=0):.2f}",
        "",
        "| notebook | wall s | slowest cell | figures | peak memory MB | peak GPU MB | device "
        "| within 60 s |",
        "| --- | ---: | --- | ---: | ---: | ---: | --- | --- |",
    ]
    for rel, r in rows:
        gpu = f"{r['gpu_mb']:.0f}" if r["gpu_mb"] is not None else "-"
        ok = "yes" if r["wall_s"] <= NOTEBOOK_BUDGET_S else "**no**"
        top = r["slowest"][0] if r["slowest"] else None
        slow = f"cell {top['index']}: {top['seconds']:.1f} s" if top else "-"
        lines.append(f"| {rel} | {r['wall_s']:.1f} | {slow} | {r['figures']} | "
                     f"{r['peak_mb']:.0f} | {gpu} | {r['device']} | {ok} |")
    lines.append(f"| **total ({len(rows)} notebooks)** | **{total:.1f}** | | | | | | "
                 f"{'yes' if total <= BOOK_BUDGET_S else '**no**'} (8 min) |")
    if conv:
        lines += ["", conv]
    lines += ["", f"The {SLOWEST} slowest cells of each notebook (cell index counts every "
              "cell, markdown included, from 0):", ""]
    for rel, r in rows:
        cells = "; ".join(f"cell {c['index']} {c['seconds']:.1f} s `{c['line']}`"
                          for c in r["slowest"])
        lines.append(f"- {rel}: {cells}")
    return "\n".join(lines)


def replace_readme_table(table: str, readme: Path = README) -> None:
    text = readme.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{readme} has no {BEGIN} ... {END} block to replace")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{BEGIN}\n{table}\n{END}{tail}", encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every toc notebook")
    parser.add_argument("--output", type=Path, default=ROOT / "_build" / "benchmark.md")
    parser.add_argument("--json", type=Path, default=None, help="also write every cell's time")
    parser.add_argument("--readme", action="store_true",
                        help="replace the README's table (only with every toc notebook)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    parser.add_argument("--allow-busy", action="store_true",
                        help=f"write the README table even if other work kept more than "
                             f"{BUSY_CORES} cores busy before a notebook")
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in args.notebooks] or toc_notebooks()
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    if args.readme and args.notebooks:
        parser.error("--readme needs the whole book (no notebook arguments)")
    if os.environ.pop("MPLBACKEND", None) is not None:
        print("MPLBACKEND removed from the kernels' environment: a reader's Jupyter renders "
              "figures inline", flush=True)

    rows, failed = [], []
    for path in paths:
        rel = path.relative_to(ROOT).as_posix()
        print(f"running {rel} ...", flush=True)
        try:
            r = run(path, args.timeout)
        except Exception as error:  # report every failing notebook, then exit non-zero
            failed.append(rel)
            print(f"  FAILED: {type(error).__name__}: {str(error)[:500]}", flush=True)
            continue
        rows.append((rel, r))
        slow = ", ".join(f"cell {c['index']} {c['seconds']:.1f} s" for c in r["slowest"])
        print(f"  {r['wall_s']:.1f} s ({r['cells_s']:.1f} s in cells; slowest {slow}; "
              f"{r['busy_before']:.2f} cores busy before), "
              f"{r['figures']} figures, {r['peak_mb']:.0f} MB, {r['device']} "
              f"({r['device_name']})", flush=True)
        if r["largest_gap"]["seconds"] > STALL_S:
            print(f"  STALL: cell {r['largest_gap']['after_cell']}'s reply reached the client "
                  f"{r['largest_gap']['seconds']:.0f} s after the kernel sent it", flush=True)

    table = report(rows, conv_speed() if not args.notebooks else None)
    print("\n" + table)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(table + "\n", encoding="utf-8")
    print(f"\nwritten to {args.output}")
    if args.json:
        args.json.write_text(json.dumps(dict(rows), indent=1) + "\n", encoding="utf-8")
    if failed:
        print(f"{len(failed)} notebook(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    busy = [rel for rel, r in rows if r["busy_before"] > BUSY_CORES]
    if args.readme and busy and not args.allow_busy:
        print(f"README not changed: the machine was busy (over {BUSY_CORES} cores) "
              f"before {', '.join(busy)}; other processes' load slows the kernels "
              "(--allow-busy writes it anyway)", file=sys.stderr)
        return 1
    if args.readme:
        replace_readme_table(table)
        print(f"README table replaced ({README})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
