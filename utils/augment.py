"""Data augmentation for image batches: shifts, crops with padding, horizontal flips.

Every function takes a batch `(N, C, H, W)` or one image `(C, H, W)` and returns the same
layout; the random ones draw one setting per image (from `generator`, or the global generator
when None, so `utils.set_seed` makes them repeatable). Written with indexing only, and tested
against `torchvision.transforms.v2`: `crop` is `pad` then `crop`, `random_crop` draws its
offsets as `RandomCrop(size, padding)` does, `random_hflip` flips as `RandomHorizontalFlip(p)`.

Which ones suit which data is the lesson's point: small shifts and crops keep a digit a digit;
a mirrored digit is often not a digit at all ("2", "3", "7"), so digits are never flipped,
while a mirrored photograph of a cat is still a cat.
"""

from __future__ import annotations

import torch

from ._checks import check_float, check_int, check_pair, check_tensor

__all__ = ["translate", "crop", "random_crop", "random_shift", "hflip", "random_hflip"]


def _as_batch(name: str, x) -> tuple[torch.Tensor, bool]:
    """`x` as (N, C, H, W) and whether it was a single (C, H, W) image."""
    check_tensor(name, x)
    if x.dim() not in (3, 4):
        raise ValueError(f"{name} has shape {tuple(x.shape)}; it must be a batch (N, C, H, W) "
                         "or one image (C, H, W)")
    return (x.unsqueeze(0), True) if x.dim() == 3 else (x, False)


def _per_image(name: str, value, n: int, device) -> torch.Tensor:
    """An int, or one int per image (a sequence or an integer tensor of length n), as (n,)."""
    if isinstance(value, torch.Tensor):
        if value.is_floating_point() or value.dtype == torch.bool:
            raise TypeError(f"{name} must hold integers, got dtype {value.dtype}")
        values = value.reshape(-1).to(device=device, dtype=torch.long)
    elif isinstance(value, (list, tuple)):
        values = torch.tensor([check_int(f"{name}[{i}]", v) for i, v in enumerate(value)],
                              dtype=torch.long, device=device)
    else:
        values = torch.full((n,), check_int(name, value), dtype=torch.long, device=device)
    if values.numel() == 1:
        values = values.expand(n)
    if values.numel() != n:
        raise ValueError(f"{name} has {values.numel()} entries for {n} images; give one int "
                         "or one per image")
    return values


def _check_generator(generator) -> torch.Generator | None:
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, "
                        f"got {type(generator).__name__}")
    return generator


def crop(x: torch.Tensor, top, left, size, padding: int = 0, fill: float = 0.0) -> torch.Tensor:
    """The `size` window at (`top`, `left`) of `x` padded by `padding` pixels of `fill`.

    As torchvision's `crop(pad(x, padding, fill), top, left, h, w)`, but `top` and `left` may
    hold one offset per image. `size` is an int or (h, w); offsets count in the padded image, so
    `top` runs over 0 .. H + 2 * padding - h. Returns (N, C, h, w), or (C, h, w) for one image.
    """
    batch, single = _as_batch("x", x)
    n, c, height, width = batch.shape
    h, w = check_pair("size", size, minimum=1)
    padding = check_int("padding", padding, minimum=0)
    fill = check_float("fill", fill)
    top = _per_image("top", top, n, x.device)
    left = _per_image("left", left, n, x.device)
    for name, offsets, limit in (("top", top, height + 2 * padding - h),
                                 ("left", left, width + 2 * padding - w)):
        if limit < 0:
            side = "h" if name == "top" else "w"
            raise ValueError(f"size={(h, w)} is not allowed; {side} is larger than the padded "
                             f"image ({height + 2 * padding}x{width + 2 * padding})")
        bad = (offsets < 0) | (offsets > limit)
        if bad.any():
            value = int(offsets[bad][0])
            raise ValueError(f"{name}={value} is not allowed; with padding={padding} and size="
                             f"{(h, w)}, {name} must be in 0..{limit}")
    padded = batch.new_full((n, c, height + 2 * padding, width + 2 * padding), fill)
    padded[:, :, padding:padding + height, padding:padding + width] = batch
    rows = top[:, None] + torch.arange(h, device=x.device)  # (N, h)
    cols = left[:, None] + torch.arange(w, device=x.device)  # (N, w)
    images = torch.arange(n, device=x.device)[:, None, None]  # (N, 1, 1)
    # the advanced indices are split by the channel slice, so their dims come first
    out = padded[images, :, rows[:, :, None], cols[:, None, :]]  # (N, h, w, C)
    out = out.permute(0, 3, 1, 2)  # (N, C, h, w)
    return out[0] if single else out


def translate(x: torch.Tensor, dx, dy, fill: float = 0.0) -> torch.Tensor:
    """Move each image's content `dx` pixels right and `dy` down; what comes in is `fill`.

    `dx`, `dy`: ints, or one per image. Pixels moved out of the frame are lost:
    out[..., i, j] = x[..., i - dy, j - dx] where that exists, else `fill`.
    """
    batch, single = _as_batch("x", x)
    n = batch.shape[0]
    dx = _per_image("dx", dx, n, x.device)
    dy = _per_image("dy", dy, n, x.device)
    margin = int(torch.cat([dx.abs(), dy.abs()]).max())
    # a shift by (dx, dy) is the image-sized window of the padded image at (m - dy, m - dx)
    out = crop(batch, margin - dy, margin - dx, tuple(batch.shape[-2:]), padding=margin,
               fill=fill)
    return out[0] if single else out


def random_crop(x: torch.Tensor, size, padding: int = 0, fill: float = 0.0,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """A random `size` window of each image padded by `padding`: `v2.RandomCrop(size, padding)`.

    Each image draws its own top in 0 .. H + 2 * padding - h and left in 0 .. W + 2 * padding -
    w, uniformly, as torchvision does. `RandomCrop(32, padding=4)` on 32x32 images is a random
    shift by up to 4 pixels each way.
    """
    batch, single = _as_batch("x", x)
    n, _, height, width = batch.shape
    h, w = check_pair("size", size, minimum=1)
    padding = check_int("padding", padding, minimum=0)
    generator = _check_generator(generator)
    if h > height + 2 * padding or w > width + 2 * padding:
        raise ValueError(f"size={(h, w)} is not allowed; it must fit in the padded image "
                         f"({height + 2 * padding}x{width + 2 * padding})")
    top = torch.randint(0, height + 2 * padding - h + 1, (n,), generator=generator)
    left = torch.randint(0, width + 2 * padding - w + 1, (n,), generator=generator)
    out = crop(batch, top, left, (h, w), padding=padding, fill=fill)
    return out[0] if single else out


def random_shift(x: torch.Tensor, max_shift: int, fill: float = 0.0,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    """Move each image by a random whole number of pixels in -max_shift..max_shift, each axis.

    The (2 * max_shift + 1)^2 shifts are equally likely; it is `random_crop` to the image's own
    size with `padding=max_shift`.
    """
    batch, _ = _as_batch("x", x)
    max_shift = check_int("max_shift", max_shift, minimum=0)
    return random_crop(x, tuple(batch.shape[-2:]), padding=max_shift, fill=fill,
                       generator=generator)


def hflip(x: torch.Tensor) -> torch.Tensor:
    """Mirror left-right: out[..., j] = x[..., W - 1 - j]."""
    _as_batch("x", x)
    width = x.shape[-1]
    return x[..., torch.arange(width - 1, -1, -1, device=x.device)]


def random_hflip(x: torch.Tensor, p: float = 0.5,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    """Mirror each image with probability `p`, independently: `v2.RandomHorizontalFlip(p)`."""
    batch, single = _as_batch("x", x)
    p = check_float("p", p, minimum=0.0, maximum=1.0)
    generator = _check_generator(generator)
    flip = torch.rand(batch.shape[0], generator=generator) < p  # (N,): P(u < p) = p
    flip = flip.to(x.device)[:, None, None, None]
    out = torch.where(flip, hflip(batch), batch)
    return out[0] if single else out
