"""Data sets for the lessons, offline first.

Synthetic tasks are built here by code and are deterministic for a seed. The image loaders
(`load_mnist`, `load_fashion_mnist`, `load_cifar10`) use files already on disk, download through
torchvision when they can, and otherwise say so in one printed line and return a stand-in of
the same shape, dtype, value range and number of classes (`synthetic_digits`,
`synthetic_shapes`).
"""

from __future__ import annotations

import functools
import gzip
import math
import os
import socket
import struct
import threading
from pathlib import Path

import matplotlib
import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from matplotlib.ft2font import FT2Font
from torch.utils.data import Dataset

from ._checks import check_int


def adding_problem(n: int, seq_len: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """The adding problem (Hochreiter & Schmidhuber, 1997), in its common two-marker form.

    Each sequence has two features per step: a value drawn uniformly from [0, 1), and a marker
    that is 1 at exactly two steps (one in each half of the sequence) and 0 elsewhere. The target
    is the sum of the two marked values. Predicting the mean target, 1.0, gives a mean squared
    error of 1/6 (the variance of a sum of two uniforms): the baseline a model must beat.

    Returns `x` of shape `(n, seq_len, 2)` and `y` of shape `(n,)`, both float32.
    """
    n = check_int("n", n, minimum=1)
    seq_len = check_int("seq_len", seq_len, minimum=1)
    if seq_len < 2:
        raise ValueError(f"seq_len={seq_len} is not allowed; the adding problem needs "
                         "seq_len >= 2 to place its two markers")
    seed = check_int("seed", seed, minimum=0)
    g = torch.Generator().manual_seed(seed)
    values = torch.rand(n, seq_len, generator=g)                       # (n, T)
    half = seq_len // 2
    first = torch.randint(0, half, (n,), generator=g)                  # one marker per half
    second = torch.randint(half, seq_len, (n,), generator=g)
    markers = torch.zeros(n, seq_len)
    rows = torch.arange(n)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = torch.stack([values, markers], dim=-1)                         # (n, T, 2)
    y = values[rows, first] + values[rows, second]                     # (n,)
    return x, y


# ----------------------------------------------------------------------------------------------
# Image data sets: real files when at hand, offline stand-ins built by code otherwise
# ----------------------------------------------------------------------------------------------

DATA_ENV = "DLBOOK_DATA"  # environment variable that overrides the default data folder
DIGIT_CLASSES = tuple(str(d) for d in range(10))
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot")
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                   "ship", "truck")
SHAPE_CLASSES = ("disc", "ring", "square", "frame", "triangle", "plus", "cross", "diamond",
                 "crescent", "bar")
# stand-in sizes when the real set cannot be had: (train, test); the seeds differ so the two
# splits never share an image
STANDIN_SIZES = {True: 10_000, False: 2_000}
STANDIN_SEEDS = {True: 0, False: 1}

# IDX format (LeCun's MNIST files): 2 zero bytes, a type code, the number of dimensions, then
# one big-endian int32 per dimension and the values in C order
_IDX_TYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
              0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def default_root() -> Path:
    """The data folder: `$DLBOOK_DATA` if set, else `~/.cache/dlbook/data`."""
    env = os.environ.get(DATA_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "dlbook" / "data"


def _resolve_root(root) -> Path:
    """`root` as an existing folder, created if missing; a clear error when that fails."""
    if root is None:
        path = default_root()
    elif isinstance(root, (str, os.PathLike)):
        path = Path(root).expanduser()
    else:
        raise TypeError(f"root={root!r} is not allowed; root must be a path (str or Path) "
                        f"or None for the default folder (${DATA_ENV} or ~/.cache/dlbook/data)")
    if path.exists() and not path.is_dir():
        raise ValueError(f"root={str(path)!r} is not allowed; it is a file, not a folder")
    if not path.exists():
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise ValueError(f"root={str(path)!r} does not exist and cannot be created "
                             f"({type(err).__name__}: {err}); pass a folder you can write to, "
                             f"or set ${DATA_ENV}") from None
    return path


def read_idx(path: str | os.PathLike) -> torch.Tensor:
    """Read an IDX file (plain or gzipped, as MNIST ships them) into a tensor.

    Checks the magic number (0, 0, type code, number of dimensions) and that the file holds
    exactly prod(dims) values; raises ValueError naming the file otherwise. uint8 data (MNIST's
    images and labels) comes back as torch.uint8 with shape `dims`, e.g. (10000, 28, 28).
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"path={str(path)!r} is not allowed; no such file")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as err:  # gzip.BadGzipFile is an OSError
        raise ValueError(f"{path}: cannot be read as IDX ({type(err).__name__}: {err})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise ValueError(f"{path}: not an IDX file; wrong magic number {raw[:4].hex() or '(empty)'}"
                         f" (expected 0000 followed by a type code in "
                         f"{sorted(hex(t) for t in _IDX_TYPES)} and the number of dimensions)")
    dtype, ndim = _IDX_TYPES[raw[2]], raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated IDX header ({len(raw)} bytes for {ndim} dimensions)")
    dims = struct.unpack(f">{ndim}i", raw[4:header])  # big-endian int32 sizes
    expected = math.prod(dims) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(f"{path}: wrong length; the header promises dims {dims} "
                         f"({expected:,} bytes of data) but the file holds {len(raw) - header:,}")
    values = np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims)
    return torch.from_numpy(values.astype(dtype.newbyteorder("=")))


class ImageDataset(Dataset):
    """Images and labels in memory, with where they came from.

    `data` is uint8, (N, H, W) for grey or (N, H, W, 3) for colour (torchvision's layouts);
    `targets` int64 (N,). An item is `(image, label)`: the image as float32 (C, H, W) in [0, 1],
    exactly what torchvision's `ToTensor()` gives, then `transform` (tensor in, tensor out)
    if one is set. `source` says which data this is; `real` is False for a stand-in.
    """

    def __init__(self, data: torch.Tensor, targets: torch.Tensor, classes, *, source: str,
                 real: bool, transform=None) -> None:
        self.data, self.targets, self.classes = data, targets.long(), list(classes)
        self.source, self.real, self.transform = source, real, transform

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, i: int):
        x = self.data[i].float() / 255
        x = x.unsqueeze(0) if x.dim() == 2 else x.permute(2, 0, 1)  # (C, H, W)
        if self.transform is not None:
            x = self.transform(x)
        return x, int(self.targets[i])

    def tensors(self) -> tuple[torch.Tensor, torch.Tensor]:
        """All images as float32 (N, C, H, W) in [0, 1] and the labels (no transform)."""
        x = self.data.float() / 255
        x = x.unsqueeze(1) if x.dim() == 3 else x.permute(0, 3, 1, 2)  # (N, C, H, W)
        return x, self.targets.clone()

    def __repr__(self) -> str:
        return f"ImageDataset({len(self)} images {tuple(self.data.shape[1:])}, {self.source})"


_PROBE_HOSTS = {"MNIST": "ossci-datasets.s3.amazonaws.com",
                "FashionMNIST": "fashion-mnist.s3-website.eu-central-1.amazonaws.com",
                "CIFAR10": "www.cs.toronto.edu"}


@functools.cache
def _reachable(host: str, timeout: float = 3.0) -> str | None:
    """None if a TCP connection to host:443 opens within `timeout` s, else the reason why not.

    Runs in a daemon thread so that a hanging name lookup cannot stall a lesson offline.
    """
    result: list[str | None] = []

    def probe():
        try:
            socket.create_connection((host, 443), timeout=timeout).close()
            result.append(None)
        except OSError as err:
            result.append(f"{type(err).__name__}: {err}")

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout + 0.5)
    return result[0] if result else f"no answer from {host} within {timeout:.0f} s"


def _fallback(name: str, reason: str, standin: str, n: int, seed: int) -> None:
    print(f"{name}: real data not available ({reason}); using the offline stand-in "
          f"{standin}(n={n:,}, seed={seed}) instead, NOT {name}.")


def _find_idx(folders, stem: str) -> Path | None:
    for folder in folders:
        for name in (stem, stem + ".gz"):
            if (folder / name).is_file():
                return folder / name
    return None


def _load_idx_set(name: str, classes, root, train: bool, download: bool, transform):
    root = _resolve_root(root)
    split = "train" if train else "t10k"
    stems = (f"{split}-images-idx3-ubyte", f"{split}-labels-idx1-ubyte")
    folders = (root / name / "raw", root)  # torchvision's layout, or the files right in root
    found = [_find_idx(folders, s) for s in stems]
    reason = f"no {split} IDX files in {root / name / 'raw'} or {root}"
    if None in found and download:
        offline = _reachable(_PROBE_HOSTS[name])
        if offline is None:
            try:
                getattr(torchvision.datasets, name)(str(root), train=train, download=True)
                found = [_find_idx(folders, s) for s in stems]
            except (RuntimeError, OSError) as err:  # URLError is an OSError
                reason += f"; download failed ({type(err).__name__})"
        else:
            reason += f"; no network ({offline})"
    elif None in found:
        reason += " and download=False"
    if None not in found:
        images, labels = read_idx(found[0]), read_idx(found[1])
        if images.dim() != 3 or labels.shape != images.shape[:1]:
            raise ValueError(f"{found[0]} and {found[1]}: shapes {tuple(images.shape)} and "
                             f"{tuple(labels.shape)} are not (N, H, W) images with N labels")
        return ImageDataset(images, labels, classes, source=f"{name} ({split}) from "
                            f"{found[0].parent}", real=True, transform=transform)
    n, seed = STANDIN_SIZES[train], STANDIN_SEEDS[train]
    _fallback(name, reason, "synthetic_digits", n, seed)
    x, y = synthetic_digits(n, seed=seed)
    return ImageDataset((x[:, 0] * 255).round().to(torch.uint8), y, DIGIT_CLASSES,
                        source=f"synthetic_digits(n={n}, seed={seed}), a stand-in for {name}",
                        real=False, transform=transform)


def load_mnist(root: str | os.PathLike | None = None, train: bool = True, download: bool = True,
               transform=None) -> ImageDataset:
    """MNIST (60,000 train / 10,000 test grey 28x28 digits) as an `ImageDataset`.

    Looks for the IDX files (plain or .gz) in `root/MNIST/raw` (torchvision's layout) or in
    `root` itself; downloads them with torchvision if missing and `download`. Without them it
    prints one line saying why and returns `synthetic_digits` (10,000 train / 2,000 test).
    `root` defaults to `default_root()` ($DLBOOK_DATA or ~/.cache/dlbook/data).
    """
    return _load_idx_set("MNIST", DIGIT_CLASSES, root, train, download, transform)


def load_fashion_mnist(root: str | os.PathLike | None = None, train: bool = True,
                       download: bool = True, transform=None) -> ImageDataset:
    """Fashion-MNIST (grey 28x28 clothes, 10 classes), as `load_mnist` (folder FashionMNIST).

    Its offline stand-in is `synthetic_digits` too (same shape, dtype, range and number of
    classes; the printed line and `source` say so).
    """
    return _load_idx_set("FashionMNIST", FASHION_CLASSES, root, train, download, transform)


def load_cifar10(root: str | os.PathLike | None = None, train: bool = True,
                 download: bool = True, transform=None) -> ImageDataset:
    """CIFAR-10 (50,000 train / 10,000 test RGB 32x32 images, 10 classes) as an `ImageDataset`.

    Uses torchvision's files in `root/cifar-10-batches-py` (checked by torchvision's md5 sums),
    downloading them if missing and `download`. Otherwise prints why and returns
    `synthetic_shapes` (10,000 train / 2,000 test).
    """
    root = _resolve_root(root)
    folder = root / "cifar-10-batches-py"
    reason = f"no CIFAR-10 batches in {folder}"
    have = folder.is_dir()
    if not have and download:
        offline = _reachable(_PROBE_HOSTS["CIFAR10"])
        if offline is None:
            try:
                torchvision.datasets.CIFAR10(str(root), train=train, download=True)
                have = True
            except (RuntimeError, OSError) as err:
                reason += f"; download failed ({type(err).__name__})"
        else:
            reason += f"; no network ({offline})"
    elif not have:
        reason += " and download=False"
    if have:
        real = torchvision.datasets.CIFAR10(str(root), train=train, download=False)
        return ImageDataset(torch.from_numpy(real.data), torch.tensor(real.targets),
                            CIFAR10_CLASSES, source=f"CIFAR-10 ({'train' if train else 'test'})"
                            f" from {folder}", real=True, transform=transform)
    n, seed = STANDIN_SIZES[train], STANDIN_SEEDS[train]
    _fallback("CIFAR-10", reason, "synthetic_shapes", n, seed)
    x, y = synthetic_shapes(n, seed=seed)
    data = (x * 255).round().to(torch.uint8).permute(0, 2, 3, 1).contiguous()  # (N, H, W, 3)
    return ImageDataset(data, y, SHAPE_CLASSES, real=False, transform=transform,
                        source=f"synthetic_shapes(n={n}, seed={seed}), a stand-in for CIFAR-10")


# ----------------------------------------------------------------------------------------------
# Stand-ins: font-rendered digits and coloured shapes
# ----------------------------------------------------------------------------------------------

# fonts that ship with matplotlib: sans, serif and mono faces, upright, bold and slanted
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
