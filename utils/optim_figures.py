"""Figures for the optimizers chapter: contour plots of 2-D surfaces with optimizer paths, and
the same as an animation. Figures return `(fig, ax)`, animations `(fig, anim)` (the contract
of `utils.plot`); render an animation with `animation_html(fig, anim)`, re-exported here."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.animation import FuncAnimation

from ._checks import check_float, check_int, check_sequence
from .plot import animation_html, subplots

__all__ = ["animate_trajectories", "animation_html", "plot_contours", "plot_trajectories"]


def _limits(name: str, value) -> tuple[float, float]:
    lo, hi = check_sequence(name, value, length=2, what="(low, high) with low < high")
    lo, hi = check_float(f"{name}[0]", lo), check_float(f"{name}[1]", hi)
    if not lo < hi:
        raise ValueError(f"{name}={tuple(value)!r} is not allowed; {name} must be (low, high) "
                         "with low < high")
    return lo, hi


def _check_paths(paths: Mapping[str, torch.Tensor]) -> dict[str, np.ndarray]:
    out = {}
    for label, path in paths.items():
        arr = np.asarray(torch.as_tensor(path).detach().cpu(), dtype=float)
        if arr.ndim != 2 or arr.shape[1] != 2:
            raise ValueError(f"paths[{label!r}] has shape {arr.shape}; each path must be "
                             "(steps + 1, 2)")
        out[label] = arr
    return out


def plot_contours(f: Callable[[torch.Tensor], torch.Tensor], xlim: Sequence[float],
                  ylim: Sequence[float], *, ax=None, levels: int = 25, log: bool = True,
                  minima: Sequence[tuple[float, float]] = (), num: int = 150, title: str = "",
                  filled: bool = False):
    """Contour lines of f on the box xlim x ylim; minima marked with stars. Returns (fig, ax).

    With `log=True` the levels are spaced geometrically above min(f), which shows the floor of
    valleys such as Rosenbrock's.
    """
    xlim, ylim = _limits("xlim", xlim), _limits("ylim", ylim)
    num = check_int("num", num, minimum=2)
    levels = check_int("levels", levels, minimum=2)
    if ax is None:
        fig, ax = subplots(xlabel="$x$", ylabel="$y$", title=title)
    else:
        fig = ax.figure
        ax.set_xlabel("$x$")
        ax.set_ylabel("$y$")
        if title:
            ax.set_title(title)
    xs = torch.linspace(*xlim, num, dtype=torch.float64)
    ys = torch.linspace(*ylim, num, dtype=torch.float64)
    grid = torch.stack(torch.meshgrid(xs, ys, indexing="xy"), dim=-1)  # (num, num, 2)
    z = f(grid).detach().numpy()  # (num, num)
    if log:
        low = z.min()
        span = max(z.max() - low, 1e-12)
        lv = low + np.geomspace(span * 1e-4, span, levels)
    else:
        lv = np.linspace(z.min(), z.max(), levels)
    if filled:
        greys = plt.get_cmap("Greys")(np.linspace(0.45, 0.03, len(lv) - 1))  # light; low = dark
        ax.contourf(xs.numpy(), ys.numpy(), z, levels=lv, colors=greys, antialiased=False)
    else:
        ax.contour(xs.numpy(), ys.numpy(), z, levels=lv, cmap="viridis", linewidths=0.6)
    for mx, my in minima:
        ax.plot(mx, my, marker="*", color="k", markersize=9, linestyle="none")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    return fig, ax


def plot_trajectories(f: Callable[[torch.Tensor], torch.Tensor],
                      paths: Mapping[str, torch.Tensor], xlim: Sequence[float],
                      ylim: Sequence[float], *, ax=None, minima=(), title: str = "",
                      legend: bool = True, **contour_kwargs):
    """Contours of f with each `(steps + 1, 2)` path drawn on top (label -> path)."""
    arrays = _check_paths(paths)
    fig, ax = plot_contours(f, xlim, ylim, ax=ax, minima=minima, title=title, **contour_kwargs)
    for label, arr in arrays.items():
        ax.plot(arr[:, 0], arr[:, 1], marker=".", markersize=2.5, linewidth=1, label=label)
    if legend and arrays:
        ax.legend(fontsize=7, loc="best")
    return fig, ax


def animate_trajectories(panels: Sequence[dict], *, frames: int = 25, interval: int = 120,
                         ncols: int = 2, panel_size: tuple[float, float] = (3.0, 2.4),
                         dpi: int = 60):
    """An animation of optimizer paths on one or more surfaces. Returns (fig, anim).

    Each panel is a dict with keys f, paths (label -> (steps + 1, 2)), xlim, ylim, and
    optionally minima and title. Frame k shows every path up to step round(k * steps / (frames
    - 1)). Render with `animation_html(fig, anim)`, which also closes the figure.
    """
    frames = check_int("frames", frames, minimum=2)
    if not panels:
        raise ValueError("panels is empty; give at least one surface")
    nrows = (len(panels) + ncols - 1) // ncols
    ncols = min(ncols, len(panels))
    fig, axes = subplots(nrows, ncols, xlabel="$x$", ylabel="$y$",
                         figsize=(panel_size[0] * ncols, panel_size[1] * nrows), dpi=dpi)
    axes = np.atleast_1d(axes).ravel()
    for ax in axes[len(panels):]:
        ax.axis("off")
    lines, arrays = [], []
    for ax, panel in zip(axes, panels):
        paths = _check_paths(panel["paths"])
        plot_contours(panel["f"], panel["xlim"], panel["ylim"], ax=ax, levels=12, num=80,
                      filled=True,
                      minima=panel.get("minima", ()), title=panel.get("title", ""))
        for label, arr in paths.items():
            (line,) = ax.plot([], [], marker=".", markersize=2.5, linewidth=1, label=label)
            lines.append(line)
            arrays.append(arr)
    if not arrays:
        raise ValueError("the panels hold no paths; give each panel at least one path")
    axes[0].legend(fontsize=6, loc="best")
    for ax in axes[:len(panels)]:
        # tick labels are most of the drawing time of each frame; the static plots carry them
        ax.tick_params(labelbottom=False, labelleft=False, length=0)
    fig.canvas.draw()
    fig.set_layout_engine("none")  # freeze the layout: re-solving it for every frame is slow
    longest = max(len(a) for a in arrays) - 1

    def draw(k):
        upto = round(k * longest / (frames - 1)) + 1
        for line, arr in zip(lines, arrays):
            line.set_data(arr[:upto, 0], arr[:upto, 1])
        return lines

    draw(frames - 1)  # the static frame (what a figure export shows) is the finished paths
    anim = FuncAnimation(fig, draw, frames=frames, interval=interval, blit=False)
    return fig, anim

