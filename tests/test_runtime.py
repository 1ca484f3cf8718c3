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


# --- median_time and num_threads ---------------------------------------------------------------

class FakeClock:
    """A clock that moves only when the timed function says so."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_median_time_is_the_median_of_the_timed_calls(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(runtime, "_clock", clock)
    durations = iter([100.0, 3.0, 1.0, 2.0, 50.0, 4.0])  # the first is the warm-up call

    def fn():
        clock.now += next(durations)

    assert runtime.median_time(fn, repeats=5, warmup=1, device="cpu") == 3.0
    with pytest.raises(StopIteration):
        next(durations)  # exactly warmup + repeats calls


def test_median_time_synchronises_the_device_before_and_after_each_call(monkeypatch):
    events = []
    monkeypatch.setattr(torch.cuda, "synchronize", lambda device=None: events.append("cuda"))
    monkeypatch.setattr(torch.mps, "synchronize", lambda: events.append("mps"))

    def fn():
        events.append("call")

    runtime.median_time(fn, repeats=2, warmup=1, device="cuda")
    assert events == ["call"] + ["cuda", "call", "cuda"] * 2
    events.clear()
    runtime.median_time(fn, repeats=2, warmup=0, device="mps")
    assert events == ["mps", "call", "mps"] * 2
    events.clear()
    runtime.median_time(fn, repeats=2, warmup=0, device="cpu")
    assert events == ["call", "call"]  # nothing to wait for on the CPU


def test_median_time_defaults_to_the_lessons_device(monkeypatch):
    events = []
    monkeypatch.setattr(runtime, "get_device", lambda: torch.device("mps"))
    monkeypatch.setattr(torch.mps, "synchronize", lambda: events.append("mps"))
    runtime.median_time(lambda: None, repeats=1, warmup=0)
    assert events == ["mps", "mps"]


def test_median_time_measures_real_time():
    t = runtime.median_time(lambda: sum(range(1000)), repeats=3, device="cpu")
    assert isinstance(t, float) and t > 0


@pytest.mark.parametrize("kwargs, error, match", [
    ({"fn": 3}, TypeError, "fn=3 is not allowed; fn must be callable"),
    ({"repeats": 0}, ValueError, "repeats=0 is not allowed; repeats must be a positive"),
    ({"warmup": -1}, ValueError, "warmup=-1 is not allowed"),
    ({"repeats": 2.5}, TypeError, "repeats=2.5 is not allowed"),
    ({"device": "tpu"}, RuntimeError, "tpu"),
])
def test_median_time_rejects_bad_arguments(kwargs, error, match):
    kwargs = {"fn": lambda: None, **kwargs}
    with pytest.raises(error, match=match):
        runtime.median_time(**kwargs)


def test_num_threads_sets_and_restores_the_thread_count():
    before = torch.get_num_threads()
    other = 1 if before > 1 else 2
    with runtime.num_threads(other):
        assert torch.get_num_threads() == other
    assert torch.get_num_threads() == before


def test_num_threads_restores_the_count_after_an_exception():
    before = torch.get_num_threads()
    other = 1 if before > 1 else 2
    with pytest.raises(RuntimeError, match="inside the block"):
        with runtime.num_threads(other):
            assert torch.get_num_threads() == other
            raise RuntimeError("inside the block")
    assert torch.get_num_threads() == before


def test_num_threads_nests():
    before = torch.get_num_threads()
    with runtime.num_threads(2):
        with runtime.num_threads(1):
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 2
    assert torch.get_num_threads() == before


def test_num_threads_checks_its_argument_at_the_call():
    with pytest.raises(ValueError, match="n=0 is not allowed; n must be a positive integer"):
        runtime.num_threads(0)  # no `with`: the error comes at the call
    with pytest.raises(TypeError, match="n=1.0 is not allowed"):
        runtime.num_threads(1.0)


def test_num_threads_as_a_decorator_sets_the_count_for_each_call():
    before = torch.get_num_threads()
    other = 1 if before > 1 else 2
    seen = []

    @runtime.num_threads(other)
    def work():
        seen.append(torch.get_num_threads())

    work()
    work()  # a second call works too: the context is made anew for each call
    assert seen == [other, other] and torch.get_num_threads() == before


@pytest.mark.parametrize("version, expected", [
    ("2.14.1+cu130", True), ("2.14.0", True), ("3.0.0", True), ("2.15", True),
    ("2.1.0+cu121", False), ("2.13.9", False), ("1.99.0", False),
])
def test_torch_at_least_compares_major_and_minor_as_numbers(version, expected):
    assert runtime.torch_at_least(2, 14, version) is expected  # "2.1" < "2.14" < "2.15"


def test_torch_at_least_reads_the_installed_version():
    major, minor = (int(v) for v in torch.__version__.split("+")[0].split(".")[:2])
    assert runtime.torch_at_least(major, minor) and not runtime.torch_at_least(major, minor + 1)


def test_torch_at_least_rejects_a_version_without_major_and_minor():
    with pytest.raises(ValueError, match=r"version='nightly' is not allowed"):
        runtime.torch_at_least(2, 1, "nightly")
