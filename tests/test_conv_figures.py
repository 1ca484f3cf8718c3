"""The drawn windows are the windows `unfold` reads, and every frame of the animation exists."""

from __future__ import annotations

import matplotlib
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from utils import conv
from utils.conv_figures import animation_html, conv_animation, conv_grid_figure, window_cells

matplotlib.use("Agg")

small = st.tuples(st.integers(1, 3), st.integers(1, 3))


@settings(max_examples=60)
@given(st.tuples(st.integers(3, 8), st.integers(3, 8)), small, small,
       st.tuples(st.integers(0, 2), st.integers(0, 2)), st.tuples(st.integers(1, 2),
                                                                   st.integers(1, 2)))
def test_window_cells_are_the_pixels_unfold_reads(n, k, s, p, d):
    try:
        oh, ow = conv.conv_output_size(n, k, s, p, d)
    except ValueError:
        assume(False)  # a window larger than the padded input: no output to draw
    hp, wp = n[0] + 2 * p[0], n[1] + 2 * p[1]
    ids = torch.arange(1.0, hp * wp + 1).reshape(1, 1, hp, wp)  # each padded pixel its own id
    columns = F.unfold(ids, k, stride=s, dilation=d)  # (1, kh*kw, L): already padded
    for index in {0, oh * ow // 2, oh * ow - 1}:
        cells = window_cells(n, k, s, p, d, index)
        read = [int(columns[0, row, index]) - 1 for row in range(k[0] * k[1])]
        assert [r * wp + c for r, c in cells] == read


def test_figure_draws_the_padded_input_and_the_output():
    fig, (ax_in, ax_out) = conv_grid_figure(5, 3, stride=2, padding=1, index=4)
    grid_in, grid_out = ax_in.images[0].get_array(), ax_out.images[0].get_array()
    assert grid_in.shape == (7, 7) and grid_out.shape == (3, 3)
    assert (grid_in == 2).sum() == 9  # the window (rows 2-4, columns 2-4) lies in the input
    assert (grid_in == 0).sum() == 49 - 25  # the padding ring
    assert (grid_out == 1).sum() == 4 and grid_out[1, 1] == 2
    assert ax_in.get_xlabel() and ax_in.get_ylabel() and ax_out.get_xlabel()
    matplotlib.pyplot.close(fig)


def test_animation_has_one_frame_per_output_pixel():
    fig, anim = conv_animation((4, 5), (2, 3), stride=(1, 2), padding=(0, 1), dilation=1)
    assert len(list(anim.new_frame_seq())) == 3 * 3  # output (4-2+1) x ((5+2-3)//2+1)
    html = animation_html(fig, anim)
    assert html.count("frames[") >= 9 and len(html) < 1_000_000
    assert not matplotlib.pyplot.fignum_exists(fig.number)  # closed: no stray still frame


def test_bad_index_names_the_argument():
    with pytest.raises(ValueError, match=r"index=9 .* 3x3 = 9 pixels"):
        window_cells(5, 3, index=9)
    with pytest.raises(ValueError, match=r"padding=-1"):
        conv_grid_figure(5, 3, padding=-1)
