import numpy as np
import pytest
import torch

from utils import (
    activations,
    conv,
    conv_figures,
    data,
    losses,
    nets,
    optim,
    optim_figures,
    rnn,
    runtime,
    summary,
    train,
)
from utils._checks import (
    check_bool,
    check_callable,
    check_choice,
    check_float,
    check_int,
    check_module,
    check_pair,
    check_sequence,
    check_tensor,
)


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


def test_check_bool_has_one_wording_and_refuses_ints():
    assert check_bool("bias", True) is True and check_bool("bias", np.bool_(False)) is False
    for value in (1, 0, "True", None, 1.0):
        with pytest.raises(TypeError, match=rf"bias={value!r} is not allowed; bias must be "
                                            "True or False"):
            check_bool("bias", value)


def test_check_sequence_type_then_length():
    assert check_sequence("betas", [0.9, 0.99], length=2) == (0.9, 0.99)
    with pytest.raises(TypeError, match="betas=0.9 is not allowed; betas must be a pair"):
        check_sequence("betas", 0.9, length=2, what="a pair")
    with pytest.raises(TypeError, match="betas='ab' is not allowed"):
        check_sequence("betas", "ab", length=2)  # a string is not a sequence of numbers here
    with pytest.raises(TypeError, match="state must be a pair, got Tensor"):
        check_sequence("state", torch.zeros(2), length=2, what="a pair")
    with pytest.raises(ValueError, match=r"betas=\(0.9,\) is not allowed; .* 2 entries"):
        check_sequence("betas", (0.9,), length=2)


def test_check_choice_type_error_for_the_wrong_kind_value_error_for_the_wrong_value():
    with pytest.raises(TypeError, match="reduction=None is not allowed; choose one of"):
        check_choice("reduction", None, ("mean", "sum"))
    with pytest.raises(ValueError, match="depth=19 is not allowed; choose one of 18, 34"):
        check_choice("depth", 19, (18, 34))
    with pytest.raises(TypeError, match="depth='18'"):
        check_choice("depth", "18", (18, 34))


def test_check_module_and_callable():
    layer = torch.nn.Linear(1, 1)
    assert check_module("model", layer) is layer and check_callable("fn", len) is len
    with pytest.raises(TypeError, match="model must be a torch.nn.Module, got dict"):
        check_module("model", {})
    with pytest.raises(TypeError, match=r"fn=3 is not allowed; fn must be callable \(a loss\)"):
        check_callable("fn", 3, what="a loss")


# --- the rule, applied across utils: TypeError = wrong kind, ValueError = wrong value ----------

def _x():
    return torch.zeros(1, 1, 4, 4)


WRONG_KIND = {  # each call passes an argument of the wrong type
    "conv.conv_output_size(n=5.0)": lambda: conv.conv_output_size(5.0, 3),
    "conv.pool_output_size(ceil_mode=1)": lambda: conv.pool_output_size(6, 2, ceil_mode=1),
    "conv.conv2d_params(bias='yes')": lambda: conv.conv2d_params(1, 1, 3, bias="yes"),
    "conv.receptive_field(layers=7)": lambda: conv.receptive_field(7),
    "conv.receptive_field(layers=[3])": lambda: conv.receptive_field([3]),
    "conv.im2col(x=list)": lambda: conv.im2col([[1.0]], 3),
    "activations.relu(x=int tensor)": lambda: activations.relu(torch.tensor([1])),
    "activations.gelu(approximate=None)": lambda: activations.gelu(torch.zeros(1), None),
    "activations.get(unknown keyword)": lambda: activations.get("relu", alpha=1.0),
    "losses.mse(reduction=None)": lambda: losses.mse(torch.zeros(1), torch.zeros(1), None),
    "losses.cross_entropy(target=float)": lambda: losses.cross_entropy(torch.zeros(2, 3),
                                                                       torch.zeros(2)),
    "optim.SGD(nesterov=1)": lambda: optim.SGD([torch.zeros(1)], momentum=0.9, nesterov=1),
    "optim.Adam(betas=0.9)": lambda: optim.Adam([torch.zeros(1)], betas=0.9),
    "optim.Adam(amsgrad='no')": lambda: optim.Adam([torch.zeros(1)], amsgrad="no"),
    "rnn.RNNCell(bias=1)": lambda: rnn.RNNCell(2, 3, bias=1),
    "rnn.LSTMCell(state=tensor)": lambda: rnn.LSTMCell(2, 3)(torch.zeros(2), torch.zeros(3)),
    "rnn.unroll(batch_first=0)": lambda: rnn.unroll(rnn.RNNCell(2, 3), torch.zeros(1, 2, 2),
                                                   batch_first=0),
    "nets.vgg(batch_norm=1)": lambda: nets.vgg("vgg11", batch_norm=1),
    "nets.googlenet(five_by_five='yes')": lambda: nets.googlenet(five_by_five="yes"),
    "nets.lenet5(activation=None)": lambda: nets.lenet5(activation=None),
    "nets.load_weights_by_position(source=list)": lambda: nets.load_weights_by_position(
        torch.nn.Linear(1, 1), [1]),
    "summary.summary(input_size=3)": lambda: summary.summary(torch.nn.Linear(3, 1), 3),
    "summary.count_params(module=list)": lambda: summary.count_params([]),
    "data.adding_problem(seq_len=2.5)": lambda: data.adding_problem(4, 2.5),
    "data.load_mnist(root=3)": lambda: data.load_mnist(3),
    "runtime.set_seed(seed='0')": lambda: runtime.set_seed("0"),
    "runtime.num_threads(n=1.0)": lambda: runtime.num_threads(1.0),
    "train.random_batches(x=list)": lambda: train.random_batches([1.0], torch.zeros(1), 1, 1),
    "optim_figures.plot_contours(xlim=1)": lambda: optim_figures.plot_contours(
        optim.saddle, 1, (0, 1)),
}

WRONG_VALUE = {  # each call passes an argument of the right type and a value not allowed
    "conv.conv_output_size(stride=0)": lambda: conv.conv_output_size(5, 3, stride=0),
    "conv.conv_output_size(n=(5, 5, 5))": lambda: conv.conv_output_size((5, 5, 5), 3),
    "conv.receptive_field(layers=[(3,)])": lambda: conv.receptive_field([(3,)]),
    "conv.im2col(x of 3 dims)": lambda: conv.im2col(torch.zeros(1, 4, 4), 3),
    "activations.gelu(approximate='fast')": lambda: activations.gelu(torch.zeros(1), "fast"),
    "activations.elu(alpha=-1)": lambda: activations.elu(torch.zeros(1), alpha=-1.0),
    "losses.mse(reduction='avg')": lambda: losses.mse(torch.zeros(1), torch.zeros(1), "avg"),
    "losses.mse(shapes differ)": lambda: losses.mse(torch.zeros(2), torch.zeros(3)),
    "optim.Adam(betas=(0.9,))": lambda: optim.Adam([torch.zeros(1)], betas=(0.9,)),
    "optim.SGD(lr=-1)": lambda: optim.SGD([torch.zeros(1)], lr=-1.0),
    "rnn.LSTMCell(state of 3)": lambda: rnn.LSTMCell(2, 3)(torch.zeros(2), (torch.zeros(3),) * 3),
    "rnn.RNNCell(x of wrong size)": lambda: rnn.RNNCell(2, 3)(torch.zeros(5)),
    "nets.vgg(name='vgg12')": lambda: nets.vgg("vgg12"),
    "nets.cifar_resnet(depth=21)": lambda: nets.cifar_resnet(21),
    "summary.summary(input_size=())": lambda: summary.summary(torch.nn.Linear(3, 1), ()),
    "data.adding_problem(seq_len=1)": lambda: data.adding_problem(4, 1),
    "runtime.median_time(repeats=0)": lambda: runtime.median_time(lambda: None, repeats=0),
    "train.random_batches(batch_size=0)": lambda: train.random_batches(
        torch.zeros(2), torch.zeros(2), 0, 1),
    "optim_figures.plot_contours(xlim=(1, -1))": lambda: optim_figures.plot_contours(
        optim.saddle, (1, -1), (0, 1)),
    "conv_figures.window_cells(index=9)": lambda: conv_figures.window_cells(5, 3, index=9),
}


@pytest.mark.parametrize("call", WRONG_KIND.values(), ids=WRONG_KIND.keys())
def test_a_wrong_kind_of_argument_is_a_type_error(call):
    with pytest.raises(TypeError, match=r"not allowed|must be|got|unexpected"):
        call()


@pytest.mark.parametrize("call", WRONG_VALUE.values(), ids=WRONG_VALUE.keys())
def test_a_wrong_value_of_the_right_kind_is_a_value_error(call):
    with pytest.raises(ValueError, match=r"not allowed|must|needs|spans|shape"):
        call()
