"""utils.augment against torchvision.transforms.v2: crops of padded images, integer shifts and
flips equal torchvision's for every image (float64, random shapes and offsets); the random
versions draw their settings with torchvision's distributions; gradients flow as through
torchvision's ops."""

import math

import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from torchvision.transforms import v2
from torchvision.transforms.v2 import functional as TF

from utils.augment import crop, hflip, random_crop, random_hflip, random_shift, translate

f64 = torch.float64


pytestmark = pytest.mark.usefixtures("one_thread")  # tiny tensors (tests/conftest.py)


def images(n, c, h, w, seed=0):
    return torch.randn(n, c, h, w, dtype=f64, generator=torch.Generator().manual_seed(seed))


def numbered(n, h, w):
    """Images whose pixel values name their position: value = 1 + row * w + col."""
    grid = 1 + torch.arange(h * w, dtype=f64).reshape(1, 1, h, w)
    return grid.expand(n, 1, h, w).clone()


# --- deterministic ops against torchvision -----------------------------------------------------

@given(n=st.integers(1, 4), c=st.integers(1, 3), h=st.integers(1, 9), w=st.integers(1, 9),
       padding=st.integers(0, 4), data=st.data(), fill=st.sampled_from([0.0, 0.5, -1.0]))
@settings(max_examples=200)
def test_crop_is_torchvision_pad_then_crop_per_image(n, c, h, w, padding, data, fill):
    ch = data.draw(st.integers(1, h + 2 * padding))
    cw = data.draw(st.integers(1, w + 2 * padding))
    tops = data.draw(st.lists(st.integers(0, h + 2 * padding - ch), min_size=n, max_size=n))
    lefts = data.draw(st.lists(st.integers(0, w + 2 * padding - cw), min_size=n, max_size=n))
    x = images(n, c, h, w, seed=n * 100 + h)
    out = crop(x, torch.tensor(tops), lefts, (ch, cw), padding=padding, fill=fill)
    ref = torch.stack([TF.crop(TF.pad(x[i], [padding], fill=fill), tops[i], lefts[i], ch, cw)
                       for i in range(n)])
    assert out.shape == (n, c, ch, cw)
    assert torch.equal(out, ref)


@given(n=st.integers(1, 4), h=st.integers(2, 10), w=st.integers(2, 10), data=st.data())
@settings(max_examples=200)
def test_translate_is_torchvision_affine_by_whole_pixels(n, h, w, data):
    dxs = data.draw(st.lists(st.integers(-w, w), min_size=n, max_size=n))
    dys = data.draw(st.lists(st.integers(-h, h), min_size=n, max_size=n))
    x = images(n, 2, h, w, seed=h * w)
    out = translate(x, dxs, torch.tensor(dys))
    ref = torch.stack([TF.affine(x[i], angle=0.0, translate=[dxs[i], dys[i]], scale=1.0,
                                 shear=[0.0, 0.0]) for i in range(n)])
    assert torch.equal(out, ref)


def test_translate_moves_content_right_and_down():
    x = numbered(1, 3, 4)
    out = translate(x, 1, 2)[0, 0]  # out[i, j] = x[i - 2, j - 1]
    assert out[2, 1] == x[0, 0, 0, 0] and out[2, 3] == x[0, 0, 0, 2]
    assert torch.equal(out[:2], torch.zeros(2, 4)) and torch.equal(out[:, 0], torch.zeros(3))
    assert torch.equal(translate(x, 0, 0), x)


@given(shape=st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 7),
                       st.integers(1, 7)))
@settings(max_examples=50)
def test_hflip_is_torchvision_horizontal_flip(shape):
    x = images(*shape, seed=sum(shape))
    assert torch.equal(hflip(x), TF.horizontal_flip(x))
    assert torch.equal(hflip(hflip(x)), x)


def test_one_image_in_gives_one_image_out():
    x = images(1, 3, 6, 6)[0]  # (C, H, W)
    assert crop(x, 1, 2, 4, padding=1).shape == (3, 4, 4)
    assert torch.equal(translate(x, 1, 1), translate(x[None], 1, 1)[0])
    assert random_crop(x, 6, padding=2).shape == x.shape
    assert random_shift(x, 1).shape == x.shape
    assert random_hflip(x, 1.0).shape == x.shape and torch.equal(random_hflip(x, 1.0), hflip(x))


# --- gradients ---------------------------------------------------------------------------------

@given(padding=st.integers(0, 3), top=st.integers(0, 3), left=st.integers(0, 3),
       seed=st.integers(0, 1000))
@settings(max_examples=50)
def test_crop_gradient_matches_torchvision_through_autograd(padding, top, left, seed):
    size = 5
    assume(top <= 6 + 2 * padding - size and left <= 6 + 2 * padding - size)
    x = images(2, 2, 6, 6, seed=seed).requires_grad_()
    xt = x.detach().clone().requires_grad_()
    w = images(2, 2, size, size, seed=seed + 1)
    (crop(x, top, left, size, padding=padding) * w).sum().backward()
    ref = torch.stack([TF.crop(TF.pad(xt[i], [padding]), top, left, size, size)
                       for i in range(2)])
    (ref * w).sum().backward()
    assert torch.equal(x.grad, xt.grad)
    assert torch.autograd.gradcheck(lambda t: crop(t, top, left, size, padding=padding),
                                    (x.detach()[:1].clone().requires_grad_(),))


# --- random ops: their distributions -----------------------------------------------------------

def offsets_of(out, h, w, padding):
    """The (top, left) each output of a `numbered` batch was cut at (padded coordinates)."""
    found = []
    for img in out[:, 0]:
        rows, cols = torch.nonzero(img, as_tuple=True)
        a, b = int(rows[0]), int(cols[0])
        value = int(img[a, b]) - 1
        r, c = divmod(value, w)
        found.append((r + padding - a, c + padding - b))
    return found


def chi_square_ok(counts: torch.Tensor) -> bool:
    """Counts consistent with a uniform distribution (a generous 5-sigma chi-square bound)."""
    k, n = counts.numel(), counts.sum().item()
    expected = n / k
    stat = ((counts - expected) ** 2 / expected).sum().item()
    return stat < (k - 1) + 5 * math.sqrt(2 * (k - 1))


@pytest.mark.parametrize("size, padding", [(6, 2), (4, 0), (5, 1)])
def test_random_crop_offsets_are_uniform_like_torchvision(size, padding):
    n, h, w = 3000, 6, 6
    x = numbered(n, h, w)
    out = random_crop(x, size, padding=padding, generator=torch.Generator().manual_seed(0))
    span = h + 2 * padding - size + 1
    ours = torch.zeros(span, span)
    for top, left in offsets_of(out, h, w, padding):
        ours[top, left] += 1
    assert chi_square_ok(ours.flatten()) and (ours > 0).all()
    # torchvision's RandomCrop on the same images: the same support, also uniform
    torch.manual_seed(0)
    transform = v2.RandomCrop(size, padding=padding)
    theirs = torch.zeros(span, span)
    for top, left in offsets_of(torch.stack([transform(img) for img in x[:1500]]), h, w,
                                padding):
        theirs[top, left] += 1
    assert chi_square_ok(theirs.flatten()) and (theirs > 0).all()
    # and every output is exactly the crop at the offset it shows
    for i, (top, left) in enumerate(offsets_of(out[:50], h, w, padding)):
        assert torch.equal(out[i], crop(x[i], top, left, size, padding=padding))


def test_random_shift_draws_every_shift_up_to_max_equally_often():
    n, m = 5000, 2
    x = numbered(n, 7, 7)
    out = random_shift(x, m, generator=torch.Generator().manual_seed(1))
    counts = torch.zeros(2 * m + 1, 2 * m + 1)
    for top, left in offsets_of(out, 7, 7, m):
        dy, dx = m - top, m - left  # a window at (m - dy, m - dx) is the shift by (dx, dy)
        assert abs(dx) <= m and abs(dy) <= m
        counts[dy + m, dx + m] += 1
    assert chi_square_ok(counts.flatten()) and (counts > 0).all()
    assert torch.equal(random_shift(x[:3], 0), x[:3])


@pytest.mark.parametrize("p", [0.0, 0.3, 0.5, 1.0])
def test_random_hflip_flips_each_image_with_probability_p(p):
    n = 4000
    x = images(n, 1, 3, 4)
    out = random_hflip(x, p, generator=torch.Generator().manual_seed(2))
    flipped = (out == hflip(x)).flatten(1).all(1)
    kept = (out == x).flatten(1).all(1)
    assert (flipped ^ kept).all()  # each image is either itself or its mirror image
    frac = flipped.double().mean().item()
    assert abs(frac - p) <= 5 * math.sqrt(p * (1 - p) / n)
    torch.manual_seed(2)
    layer = v2.RandomHorizontalFlip(p)
    theirs = sum(torch.equal(layer(img), TF.horizontal_flip(img)) for img in x[:2000]) / 2000
    assert abs(theirs - p) <= 5 * math.sqrt(p * (1 - p) / 2000)


def test_a_seeded_generator_repeats_the_draws():
    x = images(20, 1, 8, 8)
    for fn in (lambda g: random_crop(x, 6, padding=1, generator=g),
               lambda g: random_shift(x, 2, generator=g),
               lambda g: random_hflip(x, generator=g)):
        a = fn(torch.Generator().manual_seed(5))
        b = fn(torch.Generator().manual_seed(5))
        c = fn(torch.Generator().manual_seed(6))
        assert torch.equal(a, b) and not torch.equal(a, c)


# --- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("call, error, message", [
    (lambda x: crop(x[0, 0], 0, 0, 2), ValueError,
     r"x has shape \(6, 6\); it must be a batch \(N, C, H, W\) or one image \(C, H, W\)"),
    (lambda x: crop(x.tolist(), 0, 0, 2), TypeError, "x must be a torch.Tensor, got list"),
    (lambda x: crop(x, 3, 0, 4), ValueError,
     r"top=3 is not allowed; with padding=0 and size=\(4, 4\), top must be in 0..2"),
    (lambda x: crop(x, [0, 5], 0, 4, padding=1), ValueError,
     r"top=5 is not allowed; with padding=1 and size=\(4, 4\), top must be in 0..4"),
    (lambda x: crop(x, 0, -1, 4), ValueError, "left=-1 is not allowed"),
    (lambda x: crop(x, 0, 0, 9), ValueError,
     r"size=\(9, 9\) is not allowed; h is larger than the padded image \(6x6\)"),
    (lambda x: crop(x, 0, 0, 0), ValueError, "size=0 is not allowed; size must be a positive"),
    (lambda x: crop(x, [0, 0, 0], 0, 2), ValueError, "top has 3 entries for 2 images"),
    (lambda x: crop(x, 0.5, 0, 2), TypeError, "top=0.5 is not allowed; top must be an integer"),
    (lambda x: crop(x, torch.tensor([0.0, 1.0]), 0, 2), TypeError,
     "top must hold integers, got dtype torch.float32"),
    (lambda x: crop(x, 0, 0, 2, padding=-1), ValueError,
     "padding=-1 is not allowed; padding must be a non-negative integer"),
    (lambda x: translate(x, 1.5, 0), TypeError, "dx=1.5 is not allowed; dx must be an integer"),
    (lambda x: random_crop(x, 10, padding=1), ValueError,
     r"size=\(10, 10\) is not allowed; it must fit in the padded image \(8x8\)"),
    (lambda x: random_shift(x, -1), ValueError, "max_shift=-1 is not allowed"),
    (lambda x: random_hflip(x, 1.5), ValueError, "p=1.5 is not allowed; p must be <= 1.0"),
    (lambda x: random_hflip(x, generator=1), TypeError,
     "generator must be a torch.Generator or None, got int"),
])
def test_bad_input_names_the_argument_and_what_is_allowed(call, error, message):
    with pytest.raises(error, match=message):
        call(images(2, 1, 6, 6))
