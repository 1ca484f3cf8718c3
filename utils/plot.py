"""Plot helpers, and the contract every figure module of `utils` follows.

- A figure helper returns `(fig, ax)`: the matplotlib Figure and its labelled axes (one Axes,
  an array of them, or a tuple when the panels differ). It leaves the figure open, so the
  notebook shows it at the end of the cell.
- An animation helper returns `(fig, anim)`: the Figure it draws on and the
  `matplotlib.animation.Animation`. `animation_html(fig, anim)` renders it as a self-contained
  JavaScript player (it plays on the static website) and closes the figure.

`use_svg()` makes inline figures SVG.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import Animation
from matplotlib.figure import Figure

from ._checks import check_choice


def use_svg() -> None:
    """Render inline figures as SVG (sharp on the website). Does nothing outside IPython."""
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # IPython is not installed: not in a notebook
        return
    if get_ipython() is None:  # a plain Python process
        return
    set_matplotlib_formats("svg")


def subplots(nrows: int = 1, ncols: int = 1, *, xlabel: str | Sequence[str] = "",
             ylabel: str | Sequence[str] = "", title: str | Sequence[str] | None = None,
             figsize: tuple[float, float] | None = None, **kwargs):
    """`plt.subplots` that labels every axis. A sequence of labels gives one per axis."""
    if figsize is None:
        figsize = (4.2 * ncols, 3.2 * nrows)
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize, squeeze=False, **kwargs)
    flat = axes.ravel()
    for name, value in (("xlabel", xlabel), ("ylabel", ylabel), ("title", title)):
        if value is None:
            continue
        values = [value] * len(flat) if isinstance(value, str) else list(value)
        if len(values) != len(flat):
            raise ValueError(f"{name} has {len(values)} entries for {len(flat)} axes")
        for ax, v in zip(flat, values):
            getattr(ax, f"set_{name}")(v)
    fig.set_layout_engine("constrained")
    return fig, (flat[0] if flat.size == 1 else axes)


def plot_curves(curves: Mapping[str, Sequence[float]], *, xlabel: str = "epoch",
                ylabel: str = "loss", title: str | None = None, logy: bool = False, ax=None,
                x: Sequence[float] | None = None):
    """One line per entry of `curves` (label -> values), with a legend."""
    if ax is None:
        fig, ax = subplots(xlabel=xlabel, ylabel=ylabel, title=title)
    else:
        fig = ax.figure
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        if title:
            ax.set_title(title)
    for label, ys in curves.items():
        ys = np.asarray(ys, dtype=float)
        xs = np.arange(1, len(ys) + 1) if x is None else np.asarray(x)
        ax.plot(xs, ys, label=label)
    if logy:
        ax.set_yscale("log")
    ax.legend()
    return fig, ax


def show_images(images, *, titles: Sequence[str] | None = None, ncols: int = 8,
                cmap: str = "gray", scale: float = 1.4, suptitle: str | None = None):
    """A grid of images: `(N, H, W)` grey, `(N, 3, H, W)` or `(N, H, W, 3)` colour."""
    images = [np.asarray(img.detach().cpu() if hasattr(img, "detach") else img)
              for img in images]
    n = len(images)
    if n == 0:
        raise ValueError("images is empty; pass at least one image")
    ncols = min(ncols, n)
    nrows = (n + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(scale * ncols, scale * nrows + 0.3),
                             squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= n:
            ax.axis("off")
            continue
        img = images[i]
        if img.ndim == 3 and img.shape[0] in (1, 3) and img.shape[-1] not in (1, 3):
            img = np.moveaxis(img, 0, -1)  # (C, H, W) -> (H, W, C)
        if img.ndim == 3 and img.shape[-1] == 1:
            img = img[..., 0]
        ax.imshow(img, cmap=cmap if img.ndim == 2 else None)
        if titles is not None:
            ax.set_title(titles[i], fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.set_layout_engine("constrained")
    return fig, axes


def animation_html(fig: Figure, anim: Animation, *, default_mode: str = "loop") -> str:
    """The animation as self-contained JavaScript/HTML (plays on a static web page).

    Takes what an animation helper returns (`animation_html(*conv_animation(5, 3))` works) and
    closes `fig`, so the notebook does not show a stray still frame below the player.
    `default_mode` is the player's start mode: "loop", "once" or "reflect".
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    if not isinstance(anim, Animation):
        raise TypeError(f"anim must be a matplotlib Animation, got {type(anim).__name__}")
    check_choice("default_mode", default_mode, ("loop", "once", "reflect"))
    html = _offline_player(anim.to_jshtml(default_mode=default_mode))
    plt.close(fig)
    return html


# matplotlib's player links Font Awesome 4 from a CDN for its nine button icons. A page must
# load nothing from another host (it is read offline, and the website's tests block external
# requests), so the link goes and each icon becomes a character every font has.
_FONT_AWESOME_LINK = re.compile(r'<link rel="stylesheet"\s+href="https://[^"]*font-awesome[^"]*">')
_ICONS = {"fa-minus": "\u2212", "fa-fast-backward": "|\u25c0", "fa-step-backward": "\u25c1",
          "fa-play fa-flip-horizontal": "\u25c0", "fa-pause": "\u275a\u275a",
          "fa-play": "\u25b6", "fa-step-forward": "\u25b7", "fa-fast-forward": "\u25b6|",
          "fa-plus": "+"}
_ICON = re.compile('<i class="fa (' + "|".join(re.escape(k) for k in _ICONS) + ')"></i>')


def _offline_player(html: str) -> str:
    """matplotlib's JS player without its Font Awesome link, the icons as plain characters."""
    html = _FONT_AWESOME_LINK.sub("", html)
    html = _ICON.sub(lambda m: f'<span aria-hidden="true">{_ICONS[m.group(1)]}</span>', html)
    if "https://" in html or 'class="fa ' in html:  # a matplotlib with another template
        raise RuntimeError("matplotlib's animation player changed: it still links another host "
                           "or a Font Awesome icon; update utils.plot._offline_player")
    return html
