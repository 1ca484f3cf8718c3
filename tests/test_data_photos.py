"""utils.data.photos.grace_hopper: matplotlib's bundled photo, read once for every
lesson that shows it."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from matplotlib import cbook
from matplotlib import pyplot as plt

from utils.data.photos import grace_hopper


def pixels():
    with cbook.get_sample_data("grace_hopper.jpg") as file:
        return torch.tensor(plt.imread(file), dtype=torch.float64)  # (600, 512, 3)


def test_colour_and_grey_are_the_photo_in_zero_one():
    raw = pixels()
    photo = grace_hopper(dtype=torch.float64)
    assert photo.shape == (3, 600, 512) and photo.dtype == torch.float64
    torch.testing.assert_close(photo, raw.permute(2, 0, 1) / 255)
    assert 0 <= photo.min() and photo.max() <= 1
    grey = grace_hopper(grey=True, dtype=torch.float64)
    torch.testing.assert_close(grey, raw.mean(dim=2)[None] / 255)
    assert grace_hopper().dtype == torch.float32


@pytest.mark.parametrize("factor", [2, 3, 4, 7])
def test_downscale_is_average_pooling(factor):
    grey = grace_hopper(grey=True, dtype=torch.float64)
    expected = F.avg_pool2d(grey[None], factor)[0]  # drops what does not fill a block, too
    got = grace_hopper(grey=True, downscale=factor, dtype=torch.float64)
    assert got.shape == expected.shape == (1, 600 // factor, 512 // factor)
    torch.testing.assert_close(got, expected, atol=1e-12, rtol=1e-12)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(grey=1), TypeError, r"grey=1 is not allowed; grey must be True or False"),
    (dict(downscale=0), ValueError, r"downscale=0 is not allowed; .* positive integer"),
    (dict(downscale=2.0), TypeError, r"downscale=2\.0"),
    (dict(downscale=513), ValueError, r"downscale=513 is not allowed; .* at most 512"),
    (dict(dtype=torch.int64), TypeError, r"dtype=torch\.int64 is not allowed"),
])
def test_bad_arguments_say_what_is_allowed(kwargs, error, match):
    with pytest.raises(error, match=match):
        grace_hopper(**kwargs)
