"""A real photograph without a download: the portrait of Grace Hopper that matplotlib ships."""

from __future__ import annotations

import torch
from matplotlib import cbook
from matplotlib import image as mpl_image

from .._checks import check_bool, check_int

GRACE_HOPPER_SIZE = (600, 512)  # (H, W) of matplotlib's grace_hopper.jpg


def grace_hopper(*, grey: bool = False, downscale: int = 1,
                 dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Matplotlib's bundled photo of Grace Hopper (600x512 RGB) as a tensor in [0, 1].

    Returns (3, H, W), or (1, H, W) with `grey=True` (the mean of the three channels).
    `downscale=f` averages each f x f block of pixels (rows and columns that do not fill a
    block are dropped), so `downscale=4` gives 150x128. `dtype` is a floating-point dtype.
    """
    grey = check_bool("grey", grey)
    f = check_int("downscale", downscale, minimum=1)
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype={dtype!r} is not allowed; dtype must be a floating-point "
                        "torch.dtype, e.g. torch.float32")
    h, w = GRACE_HOPPER_SIZE
    if f > min(h, w):
        raise ValueError(f"downscale={f} is not allowed; downscale must be at most "
                         f"{min(h, w)}, the photo's smaller side ({h}x{w})")
    with cbook.get_sample_data("grace_hopper.jpg") as file:
        pixels = torch.from_numpy(mpl_image.imread(file).copy())  # (H, W, 3) uint8
    photo = pixels.permute(2, 0, 1).to(dtype) / 255  # (3, H, W) in [0, 1]
    if grey:
        photo = photo.mean(dim=0, keepdim=True)  # (1, H, W)
    c, h, w = photo.shape
    h, w = h // f * f, w // f * f
    # average each f x f block: (C, H/f, f, W/f, f) -> mean over the two f axes
    return photo[:, :h, :w].reshape(c, h // f, f, w // f, f).mean(dim=(2, 4))
