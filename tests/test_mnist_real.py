"""The chapter "From dense networks to CNNs" checked on real digits: the MNIST test set in
`<repo>/../shared/data/mnist` (10,000 images, gzipped IDX). Train on the first 8,000, test on
the last 2,000, with the lessons' settings (Adam, lr 0.003, batches of 64)."""

from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import utils
from utils.data import load_mnist
from utils.nets import dense_classifier, lenet5, small_cnn
from utils.train import fit

MNIST_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist"
pytestmark = pytest.mark.skipif(
    not (MNIST_DIR / "t10k-images-idx3-ubyte.gz").is_file(),
    reason=f"the real MNIST test set is not at {MNIST_DIR} (only the project's machines have it)")


@pytest.fixture(scope="module")
def mnist():
    ds = load_mnist(MNIST_DIR, train=False, download=False)
    x, y = ds.tensors()
    return ds, x, y


def test_loader_reads_the_real_idx_files(mnist, capsys):
    ds, x, y = mnist
    assert ds.real and "MNIST" in ds.source and str(MNIST_DIR) in ds.source
    assert len(ds) == 10_000 and ds.data.shape == (10_000, 28, 28)
    assert ds.data.dtype == torch.uint8 and ds.targets.dtype == torch.int64
    assert torch.bincount(ds.targets).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028,
                                                   974, 1009]  # MNIST's test set counts
    assert abs(x.mean().item() - 0.1325) < 0.001  # the usual MNIST normalisation constant
    image, label = ds[0]
    assert image.shape == (1, 28, 28) and image.dtype == torch.float32 and label == 7


def test_stand_in_matches_the_real_set(mnist, tmp_path):
    ds, x, _ = mnist
    standin = load_mnist(tmp_path, train=False, download=False)
    xs, ys = standin.tensors()
    assert xs.shape[1:] == x.shape[1:] and xs.dtype == x.dtype
    assert xs.min() >= 0 and xs.max() <= 1 and x.min() >= 0 and x.max() <= 1
    assert len(standin.classes) == len(ds.classes) == 10 and ys.dtype == ds.targets.dtype


def train_and_test(make_model, x, y, epochs, initial_state=None):
    utils.set_seed(0)
    model = make_model()
    if initial_state is not None:
        model.load_state_dict(initial_state)
    loader = DataLoader(TensorDataset(x[:8000], y[:8000]), batch_size=64, shuffle=True)
    test = DataLoader(TensorDataset(x[8000:], y[8000:]), batch_size=500)
    history = fit(model, loader, nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(),
                  lr=3e-3), epochs, val_loader=test, device="cpu", progress=False)
    return history.val_acc[-1]


def test_cnn_beats_dense_and_the_permutation_takes_its_advantage_away(mnist):
    _, x, y = mnist
    perm = torch.randperm(784, generator=torch.Generator().manual_seed(0))
    xp = x.flatten(1)[:, perm].view_as(x)  # one fixed permutation for every image
    utils.set_seed(0)
    start = dense_classifier().state_dict()  # the dense net's initial weights, as in train_and_test
    start["1.weight"] = start["1.weight"][:, perm]  # W' = W P, so that W' x_perm = W x
    acc = {"dense": train_and_test(dense_classifier, x, y, 5),
           "CNN": train_and_test(small_cnn, x, y, 5),
           "dense, permuted": train_and_test(dense_classifier, xp, y, 5, start),
           "dense, permuted, fresh start": train_and_test(dense_classifier, xp, y, 5),
           "CNN, permuted": train_and_test(small_cnn, xp, y, 5)}
    print({k: round(v, 4) for k, v in acc.items()})
    assert acc["CNN"] > acc["dense"] + 0.01
    assert abs(acc["dense, permuted"] - acc["dense"]) < 0.01  # the same training up to rounding
    assert abs(acc["dense, permuted, fresh start"] - acc["dense"]) < 0.06  # seed noise only
    assert acc["CNN, permuted"] < acc["dense, permuted"]


def test_modern_lenet_reaches_95_percent_within_the_lesson_budget(mnist):
    _, x, y = mnist
    acc = train_and_test(lenet5, x, y, 4)  # the LeNet lesson's epochs
    print(f"modern LeNet-5, 4 epochs on 8,000 real digits: test accuracy {acc:.4f}")
    assert acc >= 0.95
