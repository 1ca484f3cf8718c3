import pytest
import torch

from utils.data import adding_problem


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
