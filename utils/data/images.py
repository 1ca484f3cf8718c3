"""Image data sets: real files when at hand, offline stand-ins built by code otherwise.

The loaders (`load_mnist`, `load_fashion_mnist`, `load_cifar10`) use files already on disk,
download through torchvision when they can, and otherwise say so in one printed line and return
a stand-in of the same shape, dtype, value range and number of classes (`synthetic_digits`,
`synthetic_shapes`).
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
import torchvision
from torch.utils.data import Dataset

from ..book import wrap
from . import network
from .idx import read_idx
from .standins import SHAPE_CLASSES, synthetic_digits, synthetic_shapes

DATA_ENV = "DLBOOK_DATA"  # environment variable that overrides the default data folder
DIGIT_CLASSES = tuple(str(d) for d in range(10))
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot")
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                   "ship", "truck")
# stand-in sizes when the real set cannot be had: (train, test); the seeds differ so the two
# splits never share an image
STANDIN_SIZES = {True: 10_000, False: 2_000}
STANDIN_SEEDS = {True: 0, False: 1}


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


def _fallback(name: str, reason: str, standin: str, n: int, seed: int) -> None:
    print(wrap(f"{name}: real data not available ({reason}); using the offline stand-in "
               f"{standin}(n={n:,}, seed={seed}) instead, NOT {name}."))


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
        offline = network.reachable(network.PROBE_HOSTS[name])
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
        offline = network.reachable(network.PROBE_HOSTS["CIFAR10"])
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
