"""Offline stand-ins for the image data sets, rendered by code: font digits and coloured shapes.

`synthetic_digits` has MNIST's shape, dtype, value range and ten classes; `synthetic_shapes`
has CIFAR-10's. Both are deterministic for a seed and need no file and no network.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import matplotlib
import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.ft2font import FT2Font

from .._checks import check_int

SHAPE_CLASSES = ("disc", "ring", "square", "frame", "triangle", "plus", "cross", "diamond",
                 "crescent", "bar")

DIGIT_FONTS = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf",
               "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf", "DejaVuSerif.ttf",
               "DejaVuSerif-Bold.ttf", "DejaVuSerif-Italic.ttf", "STIXGeneral.ttf",
               "STIXGeneralBol.ttf", "STIXGeneralItalic.ttf", "cmr10.ttf", "cmss10.ttf",
               "cmtt10.ttf")
_CANVAS, _GLYPH = 56, 40  # glyphs are 40 px tall on a 56 px canvas: 20 px of 28, as MNIST


@functools.lru_cache(maxsize=1)
def _digit_glyphs() -> torch.Tensor:
    """(fonts, 10, 4, 56, 56) float32 in [0, 1]: each digit 40 px tall, centred by its box.

    The third axis is the stroke width: eroded by 3x3, as drawn, dilated by 3x3, by 5x5.
    """
    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    fonts = [folder / f for f in DIGIT_FONTS if (folder / f).is_file()]
    if not fonts:
        raise RuntimeError(f"no digit fonts found in {folder}; matplotlib's fonts are missing")
    glyphs = torch.zeros(len(fonts), 10, _CANVAS, _CANVAS)
    for i, path in enumerate(fonts):
        font = FT2Font(str(path))
        font.set_size(64, 72)  # render large, then shrink with antialiasing
        for d in range(10):
            font.set_text(str(d))
            font.draw_glyphs_to_bitmap(antialiased=True)
            img = torch.from_numpy(np.asarray(font.get_image(), dtype=np.float32) / 255)
            rows, cols = img.sum(1).nonzero(), img.sum(0).nonzero()
            img = img[rows.min():rows.max() + 1, cols.min():cols.max() + 1]  # tight box
            h, w = img.shape
            new_w = max(1, min(_CANVAS - 8, round(w * _GLYPH / h)))
            img = F.interpolate(img[None, None], size=(_GLYPH, new_w), mode="bilinear",
                                antialias=True, align_corners=False)[0, 0]  # (40, new_w)
            top, left = (_CANVAS - _GLYPH) // 2, (_CANVAS - new_w) // 2
            glyphs[i, d, top:top + _GLYPH, left:left + new_w] = img.clamp(0, 1)
    eroded = -F.max_pool2d(-glyphs, 3, stride=1, padding=1)
    thick = F.max_pool2d(glyphs, 3, stride=1, padding=1)
    thicker = F.max_pool2d(glyphs, 5, stride=1, padding=2)
    return torch.stack([eroded, glyphs, thick, thicker], dim=2)  # (fonts, 10, 4, 56, 56)


def _uniform(g: torch.Generator, n: int, low: float, high: float) -> torch.Tensor:
    return low + (high - low) * torch.rand(n, generator=g)


def synthetic_digits(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """`n` grey 28x28 digits rendered from matplotlib's fonts: MNIST's offline stand-in.

    Each digit is a glyph from one of `DIGIT_FONTS`, thinned or thickened (stroke width), then
    rotated (+-15 degrees), sheared, scaled (0.75-1.1, aspect 0.85-1.15) and shifted (+-1.5 px)
    by one affine warp, darkened to a random ink level and overlaid with Gaussian noise.
    Everything is done for the whole batch at once, so 10,000 digits take well under a second.

    Returns images float32 (n, 1, 28, 28) in [0, 1] (multiples of 1/255, as MNIST through
    `ToTensor`) and labels int64 (n,), both deterministic for `seed`.
    """
    n = check_int("n", n, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    g = torch.Generator().manual_seed(seed)
    glyphs = _digit_glyphs()
    labels = torch.randint(0, 10, (n,), generator=g)
    font = torch.randint(0, glyphs.shape[0], (n,), generator=g)
    # stroke width: eroded, as drawn, dilated by 3x3 or by 5x5 (about -0.5 to +1 px at 28x28)
    stroke = torch.randint(0, 4, (n,), generator=g)
    x = glyphs[font, labels, stroke].unsqueeze(1)  # (n, 1, 56, 56)
    # one affine warp per digit; affine_grid wants the map from output to input coordinates,
    # so theta = M^-1 for M = scale * rotation * shear * aspect, and the shift is -M^-1 t
    angle = _uniform(g, n, -15, 15) * math.pi / 180
    shear = _uniform(g, n, -0.25, 0.25)
    scale = _uniform(g, n, 0.75, 1.1)
    aspect = _uniform(g, n, 0.85, 1.15)
    cos, sin = torch.cos(angle), torch.sin(angle)
    rotation = torch.stack([torch.stack([cos, -sin], -1), torch.stack([sin, cos], -1)], -2)
    shear_m = torch.zeros(n, 2, 2)
    shear_m[:, 0, 0], shear_m[:, 0, 1], shear_m[:, 1, 1] = 1, shear, 1
    stretch = torch.diag_embed(torch.stack([aspect, 1 / aspect], -1))
    m = scale.view(n, 1, 1) * rotation @ shear_m @ stretch  # (n, 2, 2)
    shift = torch.stack([_uniform(g, n, -1, 1), _uniform(g, n, -1, 1)], -1) * 1.5 / 14
    m_inv = torch.linalg.inv(m)
    theta = torch.cat([m_inv, -(m_inv @ shift.unsqueeze(-1))], dim=-1)  # (n, 2, 3)
    # sampling the 56 px canvas on a 28 px grid: each output pixel falls between four canvas
    # pixels, so bilinear sampling averages them (a 2x2 average pool when theta is identity)
    grid = F.affine_grid(theta, (n, 1, 28, 28), align_corners=False)  # (n, 28, 28, 2)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    ink = _uniform(g, n, 0.6, 1.0).view(n, 1, 1, 1)
    x = x / x.amax(dim=(2, 3), keepdim=True).clamp_min(1e-6) * ink  # brightest pixel = ink
    noise = _uniform(g, n, 0.0, 0.1).view(n, 1, 1, 1)
    x = x + noise * torch.randn(x.shape, generator=g).abs()  # speckle on a dark background
    x = (x.clamp(0, 1) * 255).round() / 255  # 8-bit levels, as real MNIST
    return x, labels


def _shape_distance(k: int, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Signed distance-like value of shape class `k` at local coordinates (u, v): < 0 inside."""
    r = torch.sqrt(u ** 2 + v ** 2)
    au, av = u.abs(), v.abs()
    box = torch.maximum(au, av)
    if k == 0:  # disc
        return r - 0.95
    if k == 1:  # ring
        return (r - 0.72).abs() - 0.23
    if k == 2:  # square
        return box - 0.78
    if k == 3:  # frame: hollow square
        return (box - 0.65).abs() - 0.18
    if k == 4:  # triangle, pointing up: three half-planes, inradius 0.5
        normals = [(0.0, -1.0), (math.sqrt(3) / 2, 0.5), (-math.sqrt(3) / 2, 0.5)]
        return torch.stack([nx * u + ny * v for nx, ny in normals]).amax(0) - 0.5
    if k in (5, 6):  # plus, and cross (the plus turned by 45 degrees)
        if k == 6:
            u, v = (u - v) / math.sqrt(2), (u + v) / math.sqrt(2)
            au, av = u.abs(), v.abs()
        return torch.minimum(torch.maximum(au - 0.28, av - 0.95),
                             torch.maximum(av - 0.28, au - 0.95))
    if k == 7:  # diamond
        return (au + av) / math.sqrt(2) - 0.7
    if k == 8:  # crescent: a disc minus a shifted disc
        return torch.maximum(r - 0.95, 0.8 - torch.sqrt((u - 0.5) ** 2 + v ** 2))
    return torch.maximum(au - 1.0, av - 0.32)  # 9: bar


def synthetic_shapes(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """`n` RGB 32x32 images of ten shape classes (`SHAPE_CLASSES`): CIFAR-10's stand-in.

    Each image has a two-colour gradient background with a faint stripe texture, one shape of
    random size (0.3-0.6 of the half-width), position, angle (+-15 degrees) and colour (0.12-0.45
    brighter or darker than the background), soft anti-aliased edges, and pixel noise.

    Returns images float32 (n, 3, 32, 32) in [0, 1] (multiples of 1/255, the layout of CIFAR-10
    through `ToTensor`) and labels int64 (n,), deterministic for `seed`.
    """
    n = check_int("n", n, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    g = torch.Generator().manual_seed(seed)
    size = 32
    labels = torch.randint(0, 10, (n,), generator=g)
    coords = (torch.arange(size) + 0.5) / size * 2 - 1  # pixel centres in [-1, 1]
    py, px = torch.meshgrid(coords, coords, indexing="ij")  # (32, 32)
    # background: linear gradient between two colours along a random direction
    c1, c2 = torch.rand(n, 3, 1, 1, generator=g), torch.rand(n, 3, 1, 1, generator=g)
    direction = _uniform(g, n, 0, 2 * math.pi).view(n, 1, 1)
    t = ((px * torch.cos(direction) + py * torch.sin(direction)) + 1.4) / 2.8  # (n, 32, 32)
    # plus a faint stripe texture of random frequency, direction and phase
    freq, phase = _uniform(g, n, 2, 8).view(n, 1, 1), _uniform(g, n, 0, 2 * math.pi).view(n, 1, 1)
    turn = _uniform(g, n, 0, 2 * math.pi).view(n, 1, 1)
    stripes = torch.sin(freq * (px * torch.cos(turn) + py * torch.sin(turn)) + phase)
    t = t.unsqueeze(1)  # (n, 1, 32, 32)
    background = c1 + (c2 - c1) * t + 0.08 * stripes.unsqueeze(1)  # (n, 3, 32, 32)
    # foreground colour 0.12 to 0.45 brighter or darker than the background's mean
    bg_lum = (c1 + (c2 - c1) * t.mean(dim=(2, 3), keepdim=True)).mean(1, keepdim=True)
    sign = torch.where(bg_lum < 0.5, 1.0, -1.0)  # (n, 1, 1, 1)
    fg = 0.5 * torch.rand(n, 3, 1, 1, generator=g) + 0.5 * bg_lum \
        + sign * _uniform(g, n, 0.12, 0.45).view(n, 1, 1, 1)
    fg = fg.clamp(0, 1)
    # the shape in local coordinates: (p - centre) rotated by -angle, divided by its radius
    radius = _uniform(g, n, 0.3, 0.6).view(n, 1, 1)
    cx = _uniform(g, n, -1, 1).view(n, 1, 1) * (0.9 - radius)
    cy = _uniform(g, n, -1, 1).view(n, 1, 1) * (0.9 - radius)
    angle = (_uniform(g, n, -15, 15) * math.pi / 180).view(n, 1, 1)
    dx, dy = px - cx, py - cy  # (n, 32, 32)
    u = (torch.cos(angle) * dx + torch.sin(angle) * dy) / radius
    v = (-torch.sin(angle) * dx + torch.cos(angle) * dy) / radius
    mask = torch.empty(n, size, size)
    pixel = (2 / size) / radius  # one pixel in local units, per image
    for k in range(10):
        idx = labels == k
        if idx.any():
            d = _shape_distance(k, u[idx], v[idx])
            mask[idx] = (0.5 - d / pixel[idx]).clamp(0, 1)  # anti-aliased edge one pixel wide
    x = background.add_((fg - background).mul_(mask.unsqueeze(1)))  # blend: bg + (fg - bg) m
    noise = torch.randn(x.shape, generator=g).mul_(_uniform(g, n, 0.01, 0.08).view(n, 1, 1, 1))
    x = x.add_(noise).clamp_(0, 1).mul_(255).round_().div_(255)  # 8-bit levels, as CIFAR-10
    return x, labels
