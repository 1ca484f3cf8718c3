"""utils.rnn.RNN against nn.RNN / nn.LSTM / nn.GRU (the oracle) in float64: values and gradients
for every mode, depth and direction, with and without lengths (PyTorch then runs on the packed
sequence), and every refused input."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from utils.rnn import MODES, RNN

TOL = dict(atol=1e-10, rtol=1e-10)

TORCH_LAYERS = {
    "rnn_tanh": (nn.RNN, {"nonlinearity": "tanh"}),
    "rnn_relu": (nn.RNN, {"nonlinearity": "relu"}),
    "lstm": (nn.LSTM, {}),
    "gru": (nn.GRU, {}),
}


def make_pair(mode, input_size, hidden_size, num_layers, bidirectional, batch_first=True,
              seed=0, scale=1.5):
    """PyTorch's layer with random float64 weights, and ours loaded from its state_dict."""
    cls, kw = TORCH_LAYERS[mode]
    torch.manual_seed(seed)
    theirs = cls(input_size, hidden_size, num_layers=num_layers, bidirectional=bidirectional,
                 batch_first=batch_first, **kw).double()
    with torch.no_grad():
        for p in theirs.parameters():
            p.normal_(0.0, scale / hidden_size**0.5)
    ours = RNN(mode, input_size, hidden_size, num_layers=num_layers,
               bidirectional=bidirectional, batch_first=batch_first).double()
    ours.load_state_dict(theirs.state_dict(), strict=True)
    return ours, theirs


def as_tuple(state):
    return tuple(state) if isinstance(state, tuple) else (state,)


def random_state(mode, shape):
    make = lambda: torch.randn(*shape, dtype=torch.float64, requires_grad=True)  # noqa: E731
    return (make(), make()) if mode == "lstm" else make()


def run_theirs(theirs, x, state, lengths, batch_first):
    """PyTorch's layer on the padded batch, packed when lengths are given."""
    if lengths is None:
        return theirs(x, state)
    total = x.shape[1] if batch_first else x.shape[0]
    packed = pack_padded_sequence(x, torch.tensor(lengths), batch_first=batch_first,
                                  enforce_sorted=False)
    out, final = theirs(packed, state)
    out, _ = pad_packed_sequence(out, batch_first=batch_first, total_length=total)
    return out, final


def compare(mode, n, t, f, h, num_layers, bidirectional, batch_first, with_state, lengths,
            seed=0):
    ours, theirs = make_pair(mode, f, h, num_layers, bidirectional, batch_first, seed=seed)
    torch.manual_seed(seed + 1)
    shape = (n, t, f) if batch_first else (t, n, f)
    x = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
    d = 2 if bidirectional else 1
    state = random_state(mode, (num_layers * d, n, h)) if with_state else None
    out_ours, final_ours = ours(x, state, lengths=lengths)
    out_theirs, final_theirs = run_theirs(theirs, x, state, lengths, batch_first)
    assert out_ours.shape == out_theirs.shape == shape[:2] + (d * h,)
    torch.testing.assert_close(out_ours, out_theirs, **TOL)
    assert isinstance(final_ours, tuple) == (mode == "lstm")
    for a, b in zip(as_tuple(final_ours), as_tuple(final_theirs), strict=True):
        assert a.shape == b.shape == (num_layers * d, n, h)
        torch.testing.assert_close(a, b, **TOL)
    # the same random weighting of every output, backpropagated through both
    outs_ours = (out_ours, *as_tuple(final_ours))
    outs_theirs = (out_theirs, *as_tuple(final_theirs))
    weights = [torch.randn_like(o) for o in outs_theirs]
    leaves_ours = [x, *(as_tuple(state) if with_state else ()), *ours.parameters()]
    leaves_theirs = [x, *(as_tuple(state) if with_state else ()), *theirs.parameters()]
    grads_ours = torch.autograd.grad(sum((w * o).sum() for w, o in zip(weights, outs_ours)),
                                     leaves_ours)
    grads_theirs = torch.autograd.grad(
        sum((w * o).sum() for w, o in zip(weights, outs_theirs)), leaves_theirs)
    for g_ours, g_theirs in zip(grads_ours, grads_theirs, strict=True):
        torch.testing.assert_close(g_ours, g_theirs, **TOL)
    return max((a - b).abs().max().item() for a, b in zip(outs_ours, outs_theirs))


# ----------------------------------------------------------------------------- against PyTorch

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("num_layers", [1, 2, 3])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("lengths", [None, [6, 2, 1, 6], [3, 5, 4, 1]])
def test_matches_pytorch_values_and_gradients(mode, num_layers, bidirectional, batch_first,
                                              with_state, lengths):
    compare(mode, n=4, t=6, f=3, h=5, num_layers=num_layers, bidirectional=bidirectional,
            batch_first=batch_first, with_state=with_state, lengths=lengths)


@given(mode=st.sampled_from(MODES), n=st.integers(1, 4), t=st.integers(1, 7),
       f=st.integers(1, 4), h=st.integers(1, 5), num_layers=st.integers(1, 3),
       bidirectional=st.booleans(), batch_first=st.booleans(), with_state=st.booleans(),
       use_lengths=st.booleans(), data=st.data(), seed=st.integers(0, 10_000))
def test_matches_pytorch_random_sizes(mode, n, t, f, h, num_layers, bidirectional,
                                      batch_first, with_state, use_lengths, data, seed):
    lengths = None
    if use_lengths:
        lengths = data.draw(st.lists(st.integers(1, t), min_size=n, max_size=n))
    compare(mode, n, t, f, h, num_layers, bidirectional, batch_first, with_state, lengths,
            seed=seed)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_unbatched_sequence(mode, bidirectional):
    ours, theirs = make_pair(mode, 3, 4, 2, bidirectional)
    x = torch.randn(5, 3, dtype=torch.float64)                   # (T, F)
    d = 2 if bidirectional else 1
    for state in (None, random_state(mode, (2 * d, 4))):
        out_ours, final_ours = ours(x, state)
        out_theirs, final_theirs = theirs(x, state)
        assert out_ours.shape == (5, d * 4)
        torch.testing.assert_close(out_ours, out_theirs, **TOL)
        for a, b in zip(as_tuple(final_ours), as_tuple(final_theirs), strict=True):
            assert a.shape == (2 * d, 4)
            torch.testing.assert_close(a, b, **TOL)


@pytest.mark.parametrize("mode", MODES)
def test_float32_matches_pytorch(mode):
    ours, theirs = make_pair(mode, 4, 8, 2, True)
    ours, theirs = ours.float(), theirs.float()
    x = torch.randn(3, 9, 4)
    out_ours, _ = ours(x, lengths=[9, 4, 2])
    out_theirs, _ = run_theirs(theirs, x, None, [9, 4, 2], True)
    assert out_ours.dtype == torch.float32
    torch.testing.assert_close(out_ours, out_theirs, atol=1e-5, rtol=1e-4)


# ----------------------------------------------------------------------------- parameters

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("num_layers", [1, 3])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_parameters_named_shaped_and_ordered_like_pytorch(mode, num_layers, bidirectional):
    cls, kw = TORCH_LAYERS[mode]
    theirs = cls(5, 6, num_layers=num_layers, bidirectional=bidirectional, **kw)
    ours = RNN(mode, 5, 6, num_layers=num_layers, bidirectional=bidirectional)
    assert ([(k, p.shape) for k, p in ours.named_parameters()]
            == [(k, p.shape) for k, p in theirs.named_parameters()])
    theirs.load_state_dict(ours.state_dict(), strict=True)       # both directions work
    ours.load_state_dict(theirs.state_dict(), strict=True)
    assert "weight_hh_l0" in dict(ours.named_parameters())
    if bidirectional:
        assert f"bias_ih_l{num_layers - 1}_reverse" in dict(ours.named_parameters())


@pytest.mark.parametrize("mode", MODES)
def test_initialisation_uniform_in_pytorch_bound(mode):
    torch.manual_seed(0)
    layer = RNN(mode, 10, 16, num_layers=2, bidirectional=True)
    values = torch.cat([p.detach().ravel() for p in layer.parameters()])
    bound = 1 / 16**0.5
    assert values.abs().max() <= bound
    assert values.abs().max() > 0.95 * bound
    assert abs(values.mean()) < 0.05 * bound


def test_loaded_weights_drive_the_computation():
    """Changing a named parameter changes the output: nothing is hidden in a copy."""
    ours, theirs = make_pair("gru", 3, 4, 2, True)
    x = torch.randn(2, 5, 3, dtype=torch.float64)
    before = ours(x)[0]
    with torch.no_grad():
        ours.weight_hh_l1_reverse.add_(0.5)
        theirs.weight_hh_l1_reverse.add_(0.5)
    after = ours(x)[0]
    assert not torch.allclose(before, after)
    torch.testing.assert_close(after, theirs(x)[0], **TOL)


# ----------------------------------------------------------------------------- lengths

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_padded_batch_equals_each_sequence_alone(mode, bidirectional):
    ours, _ = make_pair(mode, 3, 4, 2, bidirectional)
    lengths = [7, 2, 5, 1]
    torch.manual_seed(3)
    x = torch.randn(4, 7, 3, dtype=torch.float64)
    x_padded = x.clone()
    for i, n in enumerate(lengths):
        x_padded[i, n:] = 99.0                                   # padding must not matter
    out, final = ours(x_padded, lengths=lengths)
    for i, n in enumerate(lengths):
        out_i, final_i = ours(x[i : i + 1, :n])                  # sequence i alone
        torch.testing.assert_close(out[i : i + 1, :n], out_i, **TOL)
        assert (out[i, n:] == 0).all()
        for a, b in zip(as_tuple(final), as_tuple(final_i), strict=True):
            torch.testing.assert_close(a[:, i : i + 1], b, **TOL)


def test_lengths_as_tensor_list_or_full_agree():
    ours, _ = make_pair("lstm", 3, 4, 1, True)
    x = torch.randn(3, 6, 3, dtype=torch.float64)
    a = ours(x, lengths=[6, 3, 2])
    b = ours(x, lengths=torch.tensor([6, 3, 2], dtype=torch.int32))
    torch.testing.assert_close(a[0], b[0], atol=0, rtol=0)
    full, none = ours(x, lengths=(6, 6, 6)), ours(x)
    torch.testing.assert_close(full[0], none[0], atol=0, rtol=0)
    torch.testing.assert_close(full[1][0], none[1][0], atol=0, rtol=0)


def test_padded_inputs_get_no_gradient():
    ours, _ = make_pair("gru", 2, 3, 2, True)
    x = torch.randn(2, 5, 2, dtype=torch.float64, requires_grad=True)
    out, h_n = ours(x, lengths=[5, 2])
    (out.sum() + h_n.sum()).backward()
    assert (x.grad[1, 2:] == 0).all()
    assert (x.grad[1, :2] != 0).all()


# ----------------------------------------------------------------------------- dropout

def test_dropout_only_in_training_and_only_between_layers():
    ours, theirs = make_pair("lstm", 3, 4, 2, False)
    ours.dropout = 0.5
    x = torch.randn(8, 6, 3, dtype=torch.float64)
    ours.eval()
    torch.testing.assert_close(ours(x)[0], theirs(x)[0], **TOL)  # eval: no dropout
    ours.train()
    torch.manual_seed(0)
    assert not torch.allclose(ours(x)[0], theirs(x)[0])
    one = RNN("gru", 3, 4, dropout=0.5).double().train()          # one layer: nothing between
    torch.testing.assert_close(one(x)[0], one.eval()(x)[0], atol=0, rtol=0)


def test_dropout_one_cuts_the_second_layer_from_the_first():
    ours, theirs = make_pair("rnn_tanh", 3, 4, 2, False)
    ours.dropout = 1.0
    ours.train()
    with torch.no_grad():
        theirs.weight_ih_l1.zero_()                  # layer 1 reads zeros, as under dropout 1
    x = torch.randn(2, 5, 3, dtype=torch.float64)
    torch.testing.assert_close(ours(x)[0], theirs(x)[0], **TOL)


def test_dropout_keeps_the_expected_value():
    torch.manual_seed(0)
    layer = RNN("rnn_relu", 1, 2, num_layers=2, dropout=0.3).double()
    with torch.no_grad():
        for p in layer.parameters():
            p.fill_(0.5)
    x = torch.ones(20_000, 1, 1, dtype=torch.float64)
    train = layer.train()(x)[0].mean()
    evaluated = layer.eval()(x)[0].mean()
    assert abs(train / evaluated - 1) < 0.02


# ----------------------------------------------------------------------------- bad input

def test_unknown_mode():
    with pytest.raises(ValueError, match=r"mode='LSTM' is not allowed; choose one of "
                                         r"'rnn_tanh', 'rnn_relu', 'lstm', 'gru'"):
        RNN("LSTM", 3, 4)
    with pytest.raises(TypeError, match=r"mode=None is not allowed"):
        RNN(None, 3, 4)


def test_bad_sizes_and_flags():
    with pytest.raises(ValueError, match="input_size=0"):
        RNN("gru", 0, 4)
    with pytest.raises(ValueError, match="num_layers=0"):
        RNN("gru", 3, 4, num_layers=0)
    with pytest.raises(TypeError, match="hidden_size=2.5"):
        RNN("gru", 3, 2.5)
    with pytest.raises(TypeError, match="bidirectional=1"):
        RNN("gru", 3, 4, bidirectional=1)
    with pytest.raises(TypeError, match="batch_first='yes'"):
        RNN("gru", 3, 4, batch_first="yes")
    with pytest.raises(ValueError, match=r"dropout=1.5 is not allowed; dropout must be <= 1"):
        RNN("gru", 3, 4, dropout=1.5)
    with pytest.raises(ValueError, match=r"dropout=-0.1 is not allowed; dropout must be >= 0"):
        RNN("gru", 3, 4, dropout=-0.1)


def test_wrong_input():
    layer = RNN("lstm", 3, 4)
    with pytest.raises(ValueError, match=r"x must have shape \(N, T, F\) or \(T, F\) with "
                                         r"F = input_size=3, got shape \(2, 5, 4\)"):
        layer(torch.randn(2, 5, 4))
    with pytest.raises(ValueError, match=r"got shape \(3,\)"):
        layer(torch.randn(3))
    with pytest.raises(ValueError, match=r"x must have shape \(T, N, F\)"):
        RNN("gru", 3, 4, batch_first=False)(torch.randn(1, 2, 5, 3))
    with pytest.raises(ValueError, match=r"at least one time step, got shape \(2, 0, 3\)"):
        layer(torch.randn(2, 0, 3))
    with pytest.raises(TypeError, match="x must be a floating-point tensor, got dtype torch.int64"):
        layer(torch.ones(2, 5, 3, dtype=torch.long))
    with pytest.raises(TypeError, match="x must be a torch.Tensor, got list"):
        layer([[1.0, 2.0, 3.0]])


def test_wrong_state():
    gru = RNN("gru", 3, 4, num_layers=2, bidirectional=True)
    x = torch.randn(5, 6, 3)
    with pytest.raises(ValueError, match=r"state must have shape \(4, 5, 4\) \(num_layers \* "
                                         r"num_directions = 4, hidden_size=4, N=5\), got "
                                         r"shape \(2, 5, 4\)"):
        gru(x, torch.randn(2, 5, 4))
    with pytest.raises(ValueError, match=r"state must have shape \(4, 4\) .*an unbatched x.*"
                                         r"got shape \(4, 1, 4\)"):
        gru(x[0], torch.randn(4, 1, 4))
    with pytest.raises(TypeError, match="state must be a torch.Tensor, got tuple"):
        gru(x, (torch.randn(4, 5, 4), torch.randn(4, 5, 4)))
    lstm = RNN("lstm", 3, 4)
    with pytest.raises(TypeError, match=r"state must be a pair \(h_0, c_0\) of tensors for an "
                                        r"LSTM, got Tensor"):
        lstm(x, torch.randn(1, 5, 4))
    with pytest.raises(TypeError, match=r"got a tuple of 3 entries"):
        lstm(x, (torch.randn(1, 5, 4),) * 3)
    with pytest.raises(ValueError, match=r"c_0 must have shape \(1, 5, 4\).*got shape "
                                         r"\(1, 5, 3\)"):
        lstm(x, (torch.randn(1, 5, 4), torch.randn(1, 5, 3)))
    with pytest.raises(TypeError, match="h_0 must be a floating-point tensor"):
        lstm(x, (torch.ones(1, 5, 4, dtype=torch.long), torch.randn(1, 5, 4)))


def test_wrong_lengths():
    layer = RNN("rnn_tanh", 3, 4)
    x = torch.randn(3, 5, 3)
    with pytest.raises(ValueError, match=r"lengths=\[5, 2\] is not allowed; lengths must have "
                                         r"one entry per sequence \(N=3\), got 2"):
        layer(x, lengths=[5, 2])
    with pytest.raises(ValueError, match=r"lengths=\[5, 0, 2\] is not allowed; every length "
                                         r"must be between 1 and the sequence length T=5, "
                                         r"got 0"):
        layer(x, lengths=[5, 0, 2])
    with pytest.raises(ValueError, match=r"between 1 and the sequence length T=5, got 6"):
        layer(x, lengths=torch.tensor([5, 6, 2]))
    with pytest.raises(TypeError, match=r"lengths=\[5, 2.5, 1\] is not allowed; lengths must "
                                        r"hold integers, got 2.5"):
        layer(x, lengths=[5, 2.5, 1])
    with pytest.raises(TypeError, match=r"lengths must hold integers, got True"):
        layer(x, lengths=[5, True, 1])
    with pytest.raises(TypeError, match=r"lengths must hold integers, got a tensor of dtype "
                                        r"torch.float32"):
        layer(x, lengths=torch.tensor([5.0, 2.0, 1.0]))
    with pytest.raises(TypeError, match=r"lengths must be a list or a tensor of integers, got "
                                        r"int"):
        layer(x, lengths=5)
    with pytest.raises(ValueError, match=r"lengths must be one-dimensional.*got shape \(3, 1\)"):
        layer(x, lengths=torch.tensor([[5], [2], [1]]))
    with pytest.raises(ValueError, match="lengths is only allowed with a batched x"):
        layer(x[0], lengths=[5])


def test_length_zero_fails_in_pytorch_too():
    """PyTorch refuses an empty sequence as well (a length past T it does not always check)."""
    x = torch.randn(3, 5, 3)
    with pytest.raises(RuntimeError):
        pack_padded_sequence(x, torch.tensor([5, 0, 2]), batch_first=True,
                             enforce_sorted=False)
