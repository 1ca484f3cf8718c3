import pytest
import torch

from utils._checks import check_choice, check_float, check_int, check_pair, check_tensor


def test_check_int_accepts_integers_and_refuses_the_rest():
    assert check_int("n", 3) == 3 and check_int("n", torch.tensor(4).item()) == 4
    with pytest.raises(TypeError, match="n=3.0 is not allowed; n must be an integer"):
        check_int("n", 3.0)
    with pytest.raises(TypeError, match="n=False"):
        check_int("n", False)
    with pytest.raises(ValueError, match="stride=0 is not allowed; stride must be a positive"):
        check_int("stride", 0, minimum=1)
    with pytest.raises(ValueError, match="padding=-1 .* non-negative"):
        check_int("padding", -1, minimum=0)
    with pytest.raises(ValueError, match="must be an integer >= 2"):
        check_int("k", 1, minimum=2)


def test_check_pair():
    assert check_pair("kernel_size", 3) == (3, 3)
    assert check_pair("kernel_size", (2, 5)) == (2, 5)
    with pytest.raises(ValueError, match=r"kernel_size=\(1, 2, 3\)"):
        check_pair("kernel_size", (1, 2, 3))
    with pytest.raises(ValueError, match=r"kernel_size\[1\]=0"):
        check_pair("kernel_size", (3, 0), minimum=1)


def test_check_float_ranges():
    assert check_float("lr", 1) == 1.0
    with pytest.raises(ValueError, match="lr=-0.1 is not allowed; lr must be >= 0"):
        check_float("lr", -0.1, minimum=0)
    with pytest.raises(ValueError, match="beta=1.0 .* must be < 1"):
        check_float("beta", 1.0, maximum=1, strict_max=True)
    with pytest.raises(ValueError, match="must be finite"):
        check_float("x", float("nan"))
    with pytest.raises(TypeError, match="x='a'"):
        check_float("x", "a")


def test_check_choice_lists_the_allowed_values():
    assert check_choice("reduction", "sum", ("mean", "sum")) == "sum"
    with pytest.raises(ValueError, match="reduction='avg' is not allowed; choose one of "
                                         "'mean', 'sum'"):
        check_choice("reduction", "avg", ("mean", "sum"))


def test_check_tensor():
    x = torch.zeros(2, 3)
    assert check_tensor("x", x, ndim=2, floating=True) is x
    with pytest.raises(TypeError, match="x must be a torch.Tensor, got list"):
        check_tensor("x", [1.0])
    with pytest.raises(ValueError, match=r"x must have 4 dimensions, got shape \(2, 3\)"):
        check_tensor("x", x, ndim=4)
    with pytest.raises(TypeError, match="floating-point"):
        check_tensor("x", torch.zeros(2, dtype=torch.long), floating=True)
