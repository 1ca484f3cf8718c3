import gzip
import socket
import struct
import threading

import numpy as np
import pytest
import torch
import torchvision

from utils import data
from utils.book import LINE_WIDTH
from utils.data import (
    SHAPE_CLASSES,
    ImageDataset,
    adding_problem,
    default_root,
    load_cifar10,
    load_fashion_mnist,
    load_mnist,
    network,
    read_idx,
    synthetic_digits,
    synthetic_shapes,
)


@pytest.mark.parametrize("seq_len", [2, 3, 10, 51])
def test_adding_problem_shapes_markers_and_targets(seq_len):
    x, y = adding_problem(64, seq_len, seed=3)
    assert x.shape == (64, seq_len, 2) and y.shape == (64,)
    assert x.dtype == y.dtype == torch.float32
    markers = x[..., 1]
    assert torch.equal(markers.sum(dim=1), torch.full((64,), 2.0))
    half = seq_len // 2
    assert torch.equal(markers[:, :half].sum(dim=1), torch.ones(64))  # one marker per half
    torch.testing.assert_close(y, (x[..., 0] * markers).sum(dim=1))
    assert ((x[..., 0] >= 0) & (x[..., 0] < 1)).all()


def test_adding_problem_is_deterministic_for_a_seed():
    a, b, c = adding_problem(8, 20, seed=1), adding_problem(8, 20, seed=1), adding_problem(8, 20)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])


def test_adding_problem_baseline_is_one_sixth():
    _, y = adding_problem(200_000, 10, seed=0)
    assert abs(((y - 1.0) ** 2).mean().item() - 1 / 6) < 2e-3


@pytest.mark.parametrize("seq_len", [0, 1, -3])
def test_adding_problem_refuses_short_sequences(seq_len):
    with pytest.raises(ValueError, match=f"seq_len={seq_len}"):
        adding_problem(4, seq_len)


def test_adding_problem_refuses_non_integers():
    with pytest.raises(TypeError, match="seq_len=2.5"):
        adding_problem(4, 2.5)


# ----------------------------------------------------------------------------------------------
# Image data sets: IDX reader, loaders with their offline fallback, stand-ins
# ----------------------------------------------------------------------------------------------


def write_idx(path, array: np.ndarray, type_code: int = 0x08, gz: bool = False):
    """An IDX file as LeCun's: magic (0, 0, type, ndim), big-endian int32 sizes, values."""
    header = bytes([0, 0, type_code, array.ndim]) + struct.pack(f">{array.ndim}i", *array.shape)
    raw = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    (gzip.open if gz else open)(path, "wb").write(raw)
    return path


def fake_mnist(folder, n=7, split="t10k", gz=True, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, n, dtype=np.uint8)
    ext = ".gz" if gz else ""
    write_idx(folder / f"{split}-images-idx3-ubyte{ext}", images, gz=gz)
    write_idx(folder / f"{split}-labels-idx1-ubyte{ext}", labels, gz=gz)
    return images, labels


@pytest.fixture
def no_network(monkeypatch):
    """Make the loaders believe there is no network, whatever the machine has."""
    monkeypatch.setattr(network, "reachable", lambda host, timeout=3.0: "no route (test)")


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("dtype,code", [(np.uint8, 0x08), (np.int8, 0x09), (np.int16, 0x0B),
                                        (np.int32, 0x0C), (np.float32, 0x0D),
                                        (np.float64, 0x0E)])
def test_read_idx_round_trips_every_type(tmp_path, gz, dtype, code):
    array = (np.arange(2 * 3 * 5) - 7).astype(dtype).reshape(2, 3, 5)
    path = write_idx(tmp_path / ("a.idx.gz" if gz else "a.idx"), array, code, gz)
    got = read_idx(path)
    assert got.shape == (2, 3, 5)
    np.testing.assert_array_equal(got.numpy(), array)


def test_read_idx_refuses_a_wrong_magic_number_and_keeps_the_file(tmp_path):
    path = tmp_path / "bad-images-idx3-ubyte"
    path.write_bytes(b"\x01\x02\x08\x03" + bytes(20))
    with pytest.raises(ValueError, match="wrong magic number 01020803"):
        read_idx(path)
    path.write_bytes(b"")
    with pytest.raises(ValueError, match=r"wrong magic number \(empty\)"):
        read_idx(path)
    assert path.exists()


@pytest.mark.parametrize("extra", [-1, 1, -28 * 28])
def test_read_idx_refuses_a_wrong_length_and_keeps_the_file(tmp_path, extra):
    path = write_idx(tmp_path / "x-idx3-ubyte", np.zeros((3, 28, 28), np.uint8))
    raw = path.read_bytes()
    path.write_bytes(raw[:extra] if extra < 0 else raw + bytes(extra))
    with pytest.raises(ValueError, match="wrong length"):
        read_idx(path)
    assert path.read_bytes()[:16] == raw[:16]  # still there, untouched


def test_read_idx_refuses_a_broken_gzip_and_a_missing_file(tmp_path):
    path = tmp_path / "x.gz"
    path.write_bytes(b"not gzip at all")
    with pytest.raises(ValueError, match="cannot be read as IDX"):
        read_idx(path)
    with pytest.raises(ValueError, match="no such file"):
        read_idx(tmp_path / "missing")


@pytest.mark.parametrize("layout", ["torchvision", "flat"])
@pytest.mark.parametrize("gz", [False, True])
def test_load_mnist_reads_files_on_disk_without_network(tmp_path, monkeypatch, capsys,
                                                        layout, gz):
    monkeypatch.setattr(network, "reachable", lambda *a, **k: pytest.fail("network was asked"))
    folder = tmp_path / "MNIST" / "raw" if layout == "torchvision" else tmp_path
    images, labels = fake_mnist(folder, gz=gz)
    ds = load_mnist(tmp_path, train=False)
    assert ds.real and len(ds) == 7 and "MNIST" in ds.source
    assert capsys.readouterr().out == ""  # real data: nothing to announce
    torch.testing.assert_close(ds.data, torch.from_numpy(images))
    x, label = ds[3]
    assert x.shape == (1, 28, 28) and x.dtype == torch.float32 and label == labels[3]
    torch.testing.assert_close(x[0], torch.from_numpy(images[3]).float() / 255)


def test_load_mnist_applies_the_transform_and_tensors_match_items(tmp_path):
    fake_mnist(tmp_path)
    ds = load_mnist(tmp_path, train=False, download=False, transform=lambda x: 1 - x)
    x_all, y_all = ds.tensors()  # no transform
    x, y = ds[2]
    torch.testing.assert_close(x, 1 - x_all[2])
    assert y == y_all[2] and x_all.shape == (7, 1, 28, 28)


def test_load_mnist_refuses_a_corrupt_file_and_keeps_it(tmp_path):
    fake_mnist(tmp_path, gz=False)
    bad = tmp_path / "t10k-labels-idx1-ubyte"
    raw = bad.read_bytes()
    bad.write_bytes(raw[:-2])
    with pytest.raises(ValueError, match="wrong length"):
        load_mnist(tmp_path, train=False, download=False)
    assert bad.read_bytes() == raw[:-2]


def test_load_mnist_refuses_labels_that_do_not_match_the_images(tmp_path):
    write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((5, 28, 28), np.uint8))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.zeros(4, np.uint8))
    with pytest.raises(ValueError, match=r"\(5, 28, 28\) and \(4,\)"):
        load_mnist(tmp_path, train=False)


def notice(capsys) -> str:
    """What the loader printed: one sentence, broken into lines that fit the website's output
    box (a path longer than a line stays whole), joined back into one line."""
    out = capsys.readouterr().out
    assert all(len(line) <= LINE_WIDTH or " " not in line.strip() for line in out.splitlines())
    return " ".join(out.split())


@pytest.mark.parametrize("loader,name,shape,standin", [
    (load_mnist, "MNIST", (1, 28, 28), "synthetic_digits"),
    (load_fashion_mnist, "FashionMNIST", (1, 28, 28), "synthetic_digits"),
    (load_cifar10, "CIFAR-10", (3, 32, 32), "synthetic_shapes"),
])
@pytest.mark.parametrize("download", [True, False])
def test_loaders_fall_back_to_a_stand_in_and_say_so_in_one_notice(tmp_path, capsys, no_network,
                                                                 loader, name, shape, standin,
                                                                 download):
    before = set(tmp_path.rglob("*"))
    ds = loader(tmp_path, train=False, download=download)
    line = notice(capsys)
    assert line.startswith(f"{name}: real data not available") and standin in line
    assert line.endswith(f"instead, NOT {name}.") and line.count("real data") == 1
    assert ("no network" in line) == download and ("download=False" in line) != download
    assert not ds.real and standin in ds.source and len(ds) == 2_000
    # the stand-in has the real set's item shape, dtype, value range and number of classes
    x, y = ds[0]
    assert x.shape == shape and x.dtype == torch.float32 and isinstance(y, int)
    x_all, y_all = ds.tensors()
    assert 0 <= x_all.min() and x_all.max() <= 1 and len(ds.classes) == 10
    assert set(y_all.tolist()) == set(range(10))
    assert set(tmp_path.rglob("*")) == before  # offline: nothing written


def test_stand_in_train_and_test_splits_differ(tmp_path, no_network):
    train, test = load_mnist(tmp_path, train=True), load_mnist(tmp_path, train=False)
    assert len(train) == 10_000 and len(test) == 2_000
    assert not torch.equal(train.data[:2_000], test.data)


def test_loaders_fall_back_when_the_download_fails(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(network, "reachable", lambda *a, **k: None)  # "online"

    def broken(*args, **kwargs):
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz")

    monkeypatch.setattr(torchvision.datasets, "MNIST", broken)
    ds = load_mnist(tmp_path, train=False)
    assert not ds.real
    assert "download failed (RuntimeError)" in notice(capsys)


def test_probe_gives_a_reason_for_an_unknown_host():
    reason = network.probe("no-such-host.invalid", timeout=1.0)
    assert reason is not None and "error" in reason.lower()


def test_probe_gives_up_on_a_host_that_never_answers(monkeypatch):
    release = threading.Event()

    def hang(*args, **kwargs):  # a name lookup that never returns (until the test ends)
        release.wait(5)
        raise OSError("released by the test")

    monkeypatch.setattr(socket, "create_connection", hang)
    try:
        assert network.probe("hangs.example", timeout=0.05) == (
            "no answer from hangs.example within 0 s")
    finally:
        release.set()


class Answers:
    """A host that is down, then up: counts the probes and answers from a script."""

    def __init__(self, *answers):
        self.answers, self.calls = list(answers), 0

    def __call__(self, host, timeout=3.0):
        self.calls += 1
        return self.answers.pop(0)


def test_probe_answers_are_reused_for_a_while_then_asked_again(monkeypatch):
    now = [1000.0]
    answers = Answers("OSError: offline", None)
    monkeypatch.setattr(network, "probe", answers)
    monkeypatch.setattr(network, "_clock", lambda: now[0])
    monkeypatch.setattr(network, "_answers", {})
    assert network.reachable("host.example") == "OSError: offline"
    now[0] += network.PROBE_TTL / 2
    assert network.reachable("host.example") == "OSError: offline"  # cached: no second wait
    assert answers.calls == 1
    now[0] += network.PROBE_TTL  # later: the network is back, and the kernel sees it
    assert network.reachable("host.example") is None and answers.calls == 2


def test_a_kernel_offline_once_downloads_when_the_network_is_back(tmp_path, monkeypatch,
                                                                  capsys):
    now = [0.0]
    monkeypatch.setattr(network, "probe", Answers("OSError: offline", None))
    monkeypatch.setattr(network, "_clock", lambda: now[0])
    monkeypatch.setattr(network, "_answers", {})
    downloads = []

    def mnist(root, train, download):  # stands in for torchvision's download
        downloads.append(root)
        fake_mnist(tmp_path / "MNIST" / "raw", split="train" if train else "t10k")

    monkeypatch.setattr(torchvision.datasets, "MNIST", mnist)
    assert not load_mnist(tmp_path, train=False).real  # offline: the stand-in
    assert "no network (OSError: offline)" in notice(capsys)
    now[0] += network.PROBE_TTL + 1
    assert load_mnist(tmp_path, train=False).real and downloads == [str(tmp_path)]


def test_default_root_follows_the_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("DLBOOK_DATA", str(tmp_path / "mine"))
    assert default_root() == tmp_path / "mine"
    monkeypatch.delenv("DLBOOK_DATA")
    assert default_root().parts[-3:] == (".cache", "dlbook", "data")


def test_loaders_create_a_missing_root(tmp_path, no_network):
    root = tmp_path / "new" / "folder"
    load_mnist(root, train=False, download=False)
    assert root.is_dir()


@pytest.mark.parametrize("loader", [load_mnist, load_cifar10])
def test_loaders_refuse_a_root_that_cannot_be_created(tmp_path, loader):
    blocker = tmp_path / "a_file"
    blocker.write_text("keep me")
    with pytest.raises(ValueError, match="does not exist and cannot be created"):
        loader(blocker / "data")
    with pytest.raises(ValueError, match="is a file, not a folder"):
        loader(blocker)
    with pytest.raises(TypeError, match="root=3"):
        loader(3)
    assert blocker.read_text() == "keep me"


@pytest.mark.parametrize("make,shape", [(synthetic_digits, (1, 28, 28)),
                                        (synthetic_shapes, (3, 32, 32))])
def test_stand_ins_shape_dtype_range_and_determinism(make, shape):
    x, y = make(500, seed=4)
    assert x.shape == (500, *shape) and x.dtype == torch.float32 and y.dtype == torch.int64
    assert x.min() >= 0 and x.max() <= 1
    torch.testing.assert_close(x * 255, (x * 255).round(), atol=1e-4, rtol=0)  # 8-bit levels
    assert set(y.tolist()) == set(range(10))
    x2, y2 = make(500, seed=4)
    assert torch.equal(x, x2) and torch.equal(y, y2)
    assert not torch.equal(x, make(500, seed=5)[0])


def nearest_class_mean_accuracy(x, y, n_train):
    x = x.flatten(1)
    means = torch.stack([x[:n_train][y[:n_train] == k].mean(0) for k in range(10)])  # (10, D)
    return (torch.cdist(x[n_train:], means).argmin(1) == y[n_train:]).float().mean().item()


def test_synthetic_digits_are_learnable_but_not_trivial():
    """Nearest class mean on raw pixels: far above chance (10%), far from perfect."""
    acc = nearest_class_mean_accuracy(*synthetic_digits(3_000, seed=0), 2_000)
    assert 0.3 < acc < 0.7, acc


def test_synthetic_shapes_are_not_solved_by_raw_pixels():
    """Random colours and positions: a class's mean image says nothing (a CNN is needed; the
    CIFAR-10 lesson asserts that one learns them)."""
    acc = nearest_class_mean_accuracy(*synthetic_shapes(3_000, seed=0), 2_000)
    assert acc < 0.2, acc


def test_synthetic_digits_are_centred_like_mnist():
    x, _ = synthetic_digits(2_000)
    ink = x[:, 0].sum(0)  # (28, 28): where the ink falls, over all digits
    rows, cols = ink.sum(1), ink.sum(0)
    centre = ((rows * torch.arange(28)).sum() / rows.sum(), (cols * torch.arange(28)).sum()
              / cols.sum())
    assert abs(centre[0] - 13.5) < 1.0 and abs(centre[1] - 13.5) < 1.0
    assert x[:, 0, :2].mean() < 0.06 and x[:, 0, :, :2].mean() < 0.06  # border mostly empty


def test_shape_classes_and_argument_errors():
    assert len(SHAPE_CLASSES) == 10
    for make in (synthetic_digits, synthetic_shapes):
        with pytest.raises(ValueError, match="n=0"):
            make(0)
        with pytest.raises(TypeError, match="seed=1.5"):
            make(3, seed=1.5)


def test_image_dataset_repr_names_the_source():
    ds = ImageDataset(torch.zeros(2, 4, 4, dtype=torch.uint8), torch.tensor([0, 1]), "ab",
                      source="test data", real=False)
    assert "test data" in repr(ds) and ds[1][0].shape == (1, 4, 4)


OLD_PUBLIC_NAMES = [  # what utils/data.py offered before it became a package
    "adding_problem", "DATA_ENV", "DIGIT_CLASSES", "FASHION_CLASSES", "CIFAR10_CLASSES",
    "SHAPE_CLASSES", "STANDIN_SIZES", "STANDIN_SEEDS", "default_root", "read_idx",
    "ImageDataset", "load_mnist", "load_fashion_mnist", "load_cifar10", "DIGIT_FONTS",
    "synthetic_digits", "synthetic_shapes"]


def test_every_public_name_is_still_importable_from_utils_data():
    missing = [name for name in OLD_PUBLIC_NAMES if not hasattr(data, name)]
    assert missing == []
    assert sorted(data.__all__) == sorted(OLD_PUBLIC_NAMES)
