#!/usr/bin/env python3
"""Execute every notebook of the book once and report wall time, peak memory and device.

    python .ci/benchmark.py                      # all notebooks in _toc.yml order
    python .ci/benchmark.py chapters/01_convolution/convolution_arithmetic.ipynb
    python .ci/benchmark.py --output _build/benchmark.md

Each notebook runs in a fresh kernel, as nbval and the website build run it; the wall time
includes the kernel's start. Peak memory is the kernel's peak resident set size (and the peak
CUDA allocation when a GPU is used). Budget on a 2-core CPU: 60 s per notebook, 8 min in all.
This is a benchmark to run and report, not a test: it fails only when a notebook fails.
"""

from __future__ import annotations

import argparse
import platform
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_BUDGET_S, BOOK_BUDGET_S = 60.0, 8 * 60.0

# Appended to each notebook in memory (never saved): the kernel reports its own peak memory.
PROBE = """
import json, resource, sys, torch
_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
_gpu_mb = torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() else None
import utils
print("BENCHMARK " + json.dumps({"peak_mb": _peak_mb, "gpu_mb": _gpu_mb,
                                 "device": utils.describe_device().split(" |")[0][8:]}))
"""


def toc_notebooks() -> list[Path]:
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    files = re.findall(r"^\s*-?\s*file:\s*(\S+)", toc, re.MULTILINE)
    return [ROOT / f"{f}.ipynb" for f in files if (ROOT / f"{f}.ipynb").exists()]


def run(path: Path, timeout: int) -> dict:
    import json
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    wall = time.perf_counter() - start
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.get("name") == "stdout")
    probe = json.loads(text.split("BENCHMARK ", 1)[1])
    return {"wall_s": wall, **probe}


def conv_speed(repeats: int = 50) -> str:
    """Issue 3's target: conv2d_im2col at most 5x F.conv2d for x (8, 16, 32, 32), 32 3x3 kernels."""
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every toc notebook")
    parser.add_argument("--output", type=Path, default=ROOT / "_build" / "benchmark.md")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in args.notebooks] or toc_notebooks()
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")

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
        print(f"  {r['wall_s']:.1f} s, {r['peak_mb']:.0f} MB, {r['device']}", flush=True)

    total = sum(r["wall_s"] for _, r in rows)
    lines = [
        f"Benchmark: {platform.node()}, {platform.processor() or platform.machine()}, "
        f"{__import__('os').cpu_count()} CPU cores, Python {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d %H:%M')}",
        "",
        "| notebook | wall s | peak memory MB | peak GPU MB | device | within 60 s |",
        "| --- | ---: | ---: | ---: | --- | --- |",
    ]
    for rel, r in rows:
        gpu = f"{r['gpu_mb']:.0f}" if r["gpu_mb"] is not None else "-"
        ok = "yes" if r["wall_s"] <= NOTEBOOK_BUDGET_S else "**no**"
        lines.append(f"| {rel} | {r['wall_s']:.1f} | {r['peak_mb']:.0f} | {gpu} | "
                     f"{r['device']} | {ok} |")
    lines.append(f"| **total ({len(rows)} notebooks)** | **{total:.1f}** | | | | "
                 f"{'yes' if total <= BOOK_BUDGET_S else '**no**'} (8 min) |")
    if not args.notebooks:
        lines += ["", conv_speed()]
    table = "\n".join(lines)
    print("\n" + table)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(table + "\n", encoding="utf-8")
    print(f"\nwritten to {args.output}")
    if failed:
        print(f"{len(failed)} notebook(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
