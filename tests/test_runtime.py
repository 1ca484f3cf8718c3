import random

import numpy as np
import pytest
import torch

import utils
from utils import runtime


def draw():
    return random.random(), np.random.rand(), torch.rand(1).item()


def test_set_seed_makes_python_numpy_and_torch_repeatable():
    utils.set_seed(123)
    first = draw()
    utils.set_seed(123)
    assert draw() == first
    utils.set_seed(124)
    assert draw() != first


def test_set_seed_accepts_seeds_above_numpys_range():
    utils.set_seed(2**40)  # numpy takes seeds < 2**32; the helper folds larger ones
    a = np.random.rand()
    utils.set_seed(2**40)
    assert np.random.rand() == a


@pytest.mark.parametrize("seed, error, match", [
    (-1, ValueError, "seed=-1 is not allowed; seed must be a non-negative integer"),
    (1.5, TypeError, "seed=1.5 is not allowed; seed must be an integer"),
    ("0", TypeError, "seed='0'"),
    (True, TypeError, "seed=True"),
])
def test_set_seed_rejects_bad_seeds(seed, error, match):
    with pytest.raises(error, match=match):
        utils.set_seed(seed)


def test_get_device_prefers_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert utils.get_device() == torch.device("cpu")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert utils.get_device() == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert utils.get_device() == torch.device("cuda")


def test_describe_device_names_device_and_versions():
    line = runtime.describe_device(torch.device("cpu"))
    assert line.startswith("device: cpu (CPU)")
    assert f"torch {torch.__version__}" in line and "python 3." in line


def test_importing_utils_has_no_side_effects():
    import subprocess
    import sys
    code = ("import random, matplotlib; "
            "before = {k: str(v) for k, v in matplotlib.rcParams.items()}; "
            "random.seed(7); a = random.random(); random.seed(7); "
            "import utils, utils.train, utils.plot, utils.exercises; b = random.random(); "
            "assert a == b, 'import changed the random state'; "
            "after = {k: str(v) for k, v in matplotlib.rcParams.items()}; "
            "assert after == before, 'import changed rcParams'")
    subprocess.run([sys.executable, "-c", code], check=True)
