"""Figures and animations of a sliding window, generated from the layer's parameters.

Figures return `(fig, ax)`, animations `(fig, anim)` (the contract of `utils.plot`, whose
`animation_html` this module re-exports). Every cell drawn comes from `utils.conv` (the output
size) and `window_cells` (which padded input pixels one output pixel reads), so a figure can
never disagree with the formula; the tests check `window_cells` against
`torch.nn.functional.unfold`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import animation
from matplotlib.colors import ListedColormap

from ._checks import check_int, check_pair
from .conv import Pair, conv_output_size
from .plot import animation_html

__all__ = ["animation_html", "conv_animation", "conv_grid_figure", "window_cells"]

# input grid: 0 padding, 1 input pixel, 2 read by the current window
INPUT_COLOURS = ListedColormap(["#eeeeee", "#9ecae1", "#08519c"])
# output grid: 0 not yet computed, 1 computed, 2 being computed now
OUTPUT_COLOURS = ListedColormap(["#ffffff", "#a1d99b", "#006d2c"])


def window_cells(n: Pair, kernel_size: Pair, stride: Pair = 1, padding: Pair = 0,
                 dilation: Pair = 1, index: int = 0) -> list[tuple[int, int]]:
    """The (row, col) cells of the *padded* input that output pixel `index` reads.

    Output pixels are numbered row by row (`index = r * W_out + c`), as the columns of
    `unfold`; cells are listed in kernel order `(i, j)`: row `r*s + i*d`, column `c*s + j*d`.
    """
    oh, ow = conv_output_size(check_pair("n", n), kernel_size, stride, padding, dilation)
    index = check_int("index", index, minimum=0)
    if index >= oh * ow:
        raise ValueError(f"index={index} is not allowed; the output has {oh}x{ow} = {oh * ow} "
                         f"pixels, so index must be < {oh * ow}")
    (kh, kw), (sh, sw), (dh, dw) = (check_pair(a, v) for a, v in (
        ("kernel_size", kernel_size), ("stride", stride), ("dilation", dilation)))
    r, c = divmod(index, ow)
    return [(r * sh + i * dh, c * sw + j * dw) for i in range(kh) for j in range(kw)]


def _grids(n, kernel_size, stride, padding, dilation, index):
    (h, w), (ph, pw) = check_pair("n", n), check_pair("padding", padding)
    oh, ow = conv_output_size((h, w), kernel_size, stride, padding, dilation)
    grid_in = np.zeros((h + 2 * ph, w + 2 * pw))
    grid_in[ph:ph + h, pw:pw + w] = 1
    for row, col in window_cells(n, kernel_size, stride, padding, dilation, index):
        grid_in[row, col] = 2
    grid_out = np.zeros(oh * ow)
    grid_out[:index] = 1
    grid_out[index] = 2
    return grid_in, grid_out.reshape(oh, ow)


def _draw_grid(ax, grid, cmap, title):
    image = ax.imshow(grid, cmap=cmap, vmin=0, vmax=2)
    rows, cols = grid.shape
    ax.set_xticks(np.arange(-0.5, cols, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, rows, 1), minor=True)
    ax.grid(which="minor", color="black", linewidth=0.6)
    ax.tick_params(which="both", length=0, labelsize=7)
    ax.set_xticks(range(cols))
    ax.set_yticks(range(rows))
    ax.set_xlabel("column")
    ax.set_ylabel("row")
    ax.set_title(title, fontsize=9)
    return image


def _title(n, kernel_size, stride, padding, dilation):
    (h, w), (kh, kw) = check_pair("n", n), check_pair("kernel_size", kernel_size)
    oh, ow = conv_output_size((h, w), kernel_size, stride, padding, dilation)
    return (f"input {h}x{w}, kernel {kh}x{kw}, stride {stride}, padding {padding}, "
            f"dilation {dilation} -> output {oh}x{ow}")


def conv_grid_figure(n: Pair, kernel_size: Pair, stride: Pair = 1, padding: Pair = 0,
                     dilation: Pair = 1, index: int = 0, *, scale: float = 0.32):
    """Padded input (grey padding, dark window) beside the output (dark: pixel `index`).

    Returns `(fig, (ax_in, ax_out))`.
    """
    grid_in, grid_out = _grids(n, kernel_size, stride, padding, dilation, index)
    width = scale * (grid_in.shape[1] + grid_out.shape[1]) + 1.6
    height = scale * max(grid_in.shape[0], grid_out.shape[0]) + 1.2
    fig, (ax_in, ax_out) = plt.subplots(
        1, 2, figsize=(width, height),
        gridspec_kw={"width_ratios": [grid_in.shape[1], max(grid_out.shape[1], 1)]})
    _draw_grid(ax_in, grid_in, INPUT_COLOURS, "padded input")
    _draw_grid(ax_out, grid_out, OUTPUT_COLOURS, "output")
    fig.suptitle(_title(n, kernel_size, stride, padding, dilation), fontsize=9)
    fig.set_layout_engine("constrained")
    return fig, (ax_in, ax_out)


def conv_animation(n: Pair, kernel_size: Pair, stride: Pair = 1, padding: Pair = 0,
                   dilation: Pair = 1, *, interval: int = 400, dpi: int = 80,
                   scale: float = 0.32):
    """The window visiting every output pixel in turn: one frame per output pixel.

    Returns `(fig, anim)`; show it with `HTML(animation_html(fig, anim))`, which also closes
    the figure. Keep the sizes small: each frame is stored as an image in the page.
    """
    fig, (ax_in, ax_out) = conv_grid_figure(n, kernel_size, stride, padding, dilation, 0,
                                            scale=scale)
    fig.set_dpi(dpi)
    fig.canvas.draw()  # lay out once, then freeze: the frames differ only in cell colours
    fig.set_layout_engine("none")
    image_in, image_out = ax_in.images[0], ax_out.images[0]
    frames = image_out.get_array().size

    def update(index):
        grid_in, grid_out = _grids(n, kernel_size, stride, padding, dilation, index)
        image_in.set_data(grid_in)
        image_out.set_data(grid_out)
        return image_in, image_out

    return fig, animation.FuncAnimation(fig, update, frames=frames, interval=interval,
                                        blit=False)


