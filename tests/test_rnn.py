"""utils.rnn against PyTorch (the oracle), in float64: the cells and `unroll` against
nn.RNNCell/LSTMCell/GRUCell and one-layer nn.RNN/LSTM/GRU, `perplexity` against
exp(F.cross_entropy). The multi-layer `RNN` is tested in tests/test_rnn_layers.py."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from utils.rnn import GRUCell, LSTMCell, RNNCell, perplexity, unroll

TOL = dict(atol=1e-10, rtol=1e-10)

# (our cell, PyTorch's cell, PyTorch's layer, extra keyword arguments)
KINDS = {
    "rnn_tanh": (RNNCell, nn.RNNCell, nn.RNN, {"nonlinearity": "tanh"}),
    "rnn_relu": (RNNCell, nn.RNNCell, nn.RNN, {"nonlinearity": "relu"}),
    "lstm": (LSTMCell, nn.LSTMCell, nn.LSTM, {}),
    "gru": (GRUCell, nn.GRUCell, nn.GRU, {}),
}


def make_pair(kind: str, input_size: int, hidden_size: int, bias: bool, seed: int = 0,
              scale: float = 1.0):
    """A PyTorch cell with random float64 weights, and our cell loaded with the same weights."""
    ours_cls, theirs_cls, _, kw = KINDS[kind]
    torch.manual_seed(seed)
    theirs = theirs_cls(input_size, hidden_size, bias=bias, **kw).double()
    with torch.no_grad():
        for p in theirs.parameters():
            p.normal_(0.0, scale / hidden_size**0.5)
    ours = ours_cls(input_size, hidden_size, bias=bias, **kw).double()
    ours.load_state_dict(theirs.state_dict(), strict=True)
    return ours, theirs


def random_state(kind: str, shape, *, requires_grad: bool = True):
    make = lambda: torch.randn(*shape, dtype=torch.float64, requires_grad=requires_grad)  # noqa: E731
    return (make(), make()) if kind == "lstm" else make()


def as_tuple(state):
    return state if isinstance(state, tuple) else (state,)


def assert_same_gradients(ours_out, theirs_out, ours_leaves, theirs_leaves):
    """Backpropagate the same random weighting of the outputs through both; compare every grad."""
    ours_out, theirs_out = as_tuple(ours_out), as_tuple(theirs_out)
    weights = [torch.randn_like(t) for t in theirs_out]
    loss_ours = sum((w * o).sum() for w, o in zip(weights, ours_out))
    loss_theirs = sum((w * o).sum() for w, o in zip(weights, theirs_out))
    grads_ours = torch.autograd.grad(loss_ours, ours_leaves)
    grads_theirs = torch.autograd.grad(loss_theirs, theirs_leaves)
    assert len(grads_ours) == len(grads_theirs)
    for g_ours, g_theirs in zip(grads_ours, grads_theirs):
        torch.testing.assert_close(g_ours, g_theirs, **TOL)


# ----------------------------------------------------------------------------- the cells

@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("scale", [0.5, 3.0])
def test_cell_matches_pytorch_values_and_gradients(kind, bias, scale):
    ours, theirs = make_pair(kind, 5, 7, bias, seed=1, scale=scale)
    torch.manual_seed(2)
    x = torch.randn(4, 5, dtype=torch.float64, requires_grad=True)
    state = random_state(kind, (4, 7))
    out_ours, out_theirs = ours(x, state), theirs(x, state)
    for a, b in zip(as_tuple(out_ours), as_tuple(out_theirs)):
        assert a.shape == b.shape == (4, 7)
        torch.testing.assert_close(a, b, **TOL)
    leaves_ours = [x, *as_tuple(state), *ours.parameters()]
    leaves_theirs = [x, *as_tuple(state), *theirs.parameters()]
    assert_same_gradients(out_ours, out_theirs, leaves_ours, leaves_theirs)


@pytest.mark.parametrize("kind", KINDS)
def test_cell_default_state_is_zeros(kind):
    ours, theirs = make_pair(kind, 3, 4, True)
    x = torch.randn(6, 3, dtype=torch.float64)
    for a, b in zip(as_tuple(ours(x)), as_tuple(theirs(x))):
        torch.testing.assert_close(a, b, **TOL)
    zeros = random_state(kind, (6, 4), requires_grad=False)
    zeros = tuple(z.zero_() for z in zeros) if kind == "lstm" else zeros.zero_()
    for a, b in zip(as_tuple(ours(x)), as_tuple(ours(x, zeros))):
        torch.testing.assert_close(a, b, atol=0, rtol=0)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("with_state", [True, False])
def test_cell_unbatched_input(kind, with_state):
    ours, theirs = make_pair(kind, 3, 4, True, seed=3)
    x = torch.randn(3, dtype=torch.float64, requires_grad=True)
    state = random_state(kind, (4,)) if with_state else None
    out_ours, out_theirs = ours(x, state), theirs(x, state)
    for a, b in zip(as_tuple(out_ours), as_tuple(out_theirs)):
        assert a.shape == b.shape == (4,)
        torch.testing.assert_close(a, b, **TOL)
    leaves = [x, *(as_tuple(state) if with_state else ())]
    assert_same_gradients(out_ours, out_theirs, leaves + list(ours.parameters()),
                          leaves + list(theirs.parameters()))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bias", [True, False])
def test_parameters_named_and_shaped_like_pytorch(kind, bias):
    ours_cls, theirs_cls, _, kw = KINDS[kind]
    ours, theirs = ours_cls(6, 5, bias=bias, **kw), theirs_cls(6, 5, bias=bias, **kw)
    shapes = lambda m: {k: tuple(v.shape) for k, v in m.state_dict().items()}  # noqa: E731
    assert shapes(ours) == shapes(theirs)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    theirs.load_state_dict(ours.state_dict(), strict=True)  # both directions work
    assert ours.bias is bias
    assert sum(p.numel() for p in ours.parameters()) == sum(p.numel() for p in theirs.parameters())


@pytest.mark.parametrize("kind", KINDS)
def test_initialisation_uniform_in_pytorch_bound(kind):
    ours_cls, _, _, kw = KINDS[kind]
    torch.manual_seed(0)
    cell = ours_cls(10, 16, **kw)
    bound = 1 / 16**0.5
    values = torch.cat([p.detach().ravel() for p in cell.parameters()])
    assert values.abs().max() <= bound
    assert values.abs().max() > 0.9 * bound  # spread over the whole interval, not all zeros
    assert abs(values.mean()) < 0.1 * bound


def test_rnn_relu_differs_from_tanh():
    tanh_cell, _ = make_pair("rnn_tanh", 3, 4, True, scale=3.0)
    relu_cell = RNNCell(3, 4, nonlinearity="relu").double()
    relu_cell.load_state_dict(tanh_cell.state_dict())
    x = torch.randn(8, 3, dtype=torch.float64)
    assert (relu_cell(x) >= 0).all()
    assert not torch.allclose(relu_cell(x), tanh_cell(x))


def test_float32_cells_match_pytorch():
    ours, theirs = make_pair("lstm", 4, 8, True)
    ours, theirs = ours.float(), theirs.float()
    x = torch.randn(5, 4)
    for a, b in zip(ours(x), theirs(x)):
        assert a.dtype == torch.float32
        torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-5)


# ----------------------------------------------------------------------------- unroll

def layer_pair(kind: str, input_size: int, hidden_size: int, bias: bool, batch_first: bool,
               seed: int = 0):
    """A one-layer PyTorch layer with random float64 weights and our cell with the same weights."""
    ours_cls, _, layer_cls, kw = KINDS[kind]
    torch.manual_seed(seed)
    layer = layer_cls(input_size, hidden_size, bias=bias, batch_first=batch_first, **kw).double()
    with torch.no_grad():
        for p in layer.parameters():
            p.normal_(0.0, 1.5 / hidden_size**0.5)
    cell = ours_cls(input_size, hidden_size, bias=bias, **kw).double()
    # nn.RNN names its parameters weight_ih_l0 ...; the cell's are weight_ih ...
    cell.load_state_dict({k.removesuffix("_l0"): v for k, v in layer.state_dict().items()},
                         strict=True)
    return cell, layer


def layer_state(kind: str, state):
    """Our cell's state (N, H) as PyTorch's layer state (num_layers=1, N, H)."""
    if state is None:
        return None
    return tuple(s.unsqueeze(0) for s in state) if kind == "lstm" else state.unsqueeze(0)


def check_unroll(kind, bias, batch_first, n, t, f, h, with_state, seed=0):
    cell, layer = layer_pair(kind, f, h, bias, batch_first, seed=seed)
    torch.manual_seed(seed + 1)
    shape = (n, t, f) if batch_first else (t, n, f)
    x = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
    state = random_state(kind, (n, h)) if with_state else None
    out_ours, final_ours = unroll(cell, x, state, batch_first=batch_first)
    out_theirs, final_theirs = layer(x, layer_state(kind, state))
    assert out_ours.shape == out_theirs.shape == shape[:2] + (h,)
    torch.testing.assert_close(out_ours, out_theirs, **TOL)
    final_theirs = tuple(s.squeeze(0) for s in as_tuple(final_theirs))
    for a, b in zip(as_tuple(final_ours), final_theirs):
        assert a.shape == (n, h)
        torch.testing.assert_close(a, b, **TOL)
    leaves = [x, *(as_tuple(state) if with_state else ())]
    assert_same_gradients((out_ours, *as_tuple(final_ours)), (out_theirs, *final_theirs),
                          leaves + list(cell.parameters()), leaves + list(layer.parameters()))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("with_state", [True, False])
def test_unroll_matches_pytorch_layer(kind, bias, batch_first, with_state):
    check_unroll(kind, bias, batch_first, n=3, t=6, f=4, h=5, with_state=with_state)


@settings(max_examples=30)
@given(kind=st.sampled_from(sorted(KINDS)), bias=st.booleans(), batch_first=st.booleans(),
       n=st.integers(1, 4), t=st.integers(1, 8), f=st.integers(1, 5), h=st.integers(1, 6),
       with_state=st.booleans(), seed=st.integers(0, 1000))
def test_unroll_matches_pytorch_layer_random_sizes(kind, bias, batch_first, n, t, f, h,
                                                   with_state, seed):
    check_unroll(kind, bias, batch_first, n, t, f, h, with_state, seed)


@pytest.mark.parametrize("kind", KINDS)
def test_unroll_unbatched_sequence(kind):
    cell, layer = layer_pair(kind, 3, 4, True, batch_first=True)
    x = torch.randn(7, 3, dtype=torch.float64)  # (T, F)
    out_ours, final_ours = unroll(cell, x)
    out_theirs, final_theirs = layer(x)
    assert out_ours.shape == (7, 4)
    torch.testing.assert_close(out_ours, out_theirs, **TOL)
    for a, b in zip(as_tuple(final_ours), as_tuple(final_theirs)):
        torch.testing.assert_close(a, b.squeeze(0), **TOL)


@pytest.mark.parametrize("kind", KINDS)
def test_unroll_runs_pytorch_cells_too(kind):
    ours, theirs = make_pair(kind, 3, 4, True)
    x = torch.randn(2, 5, 3, dtype=torch.float64)
    out_ours, _ = unroll(ours, x)
    out_theirs, _ = unroll(theirs, x)
    torch.testing.assert_close(out_ours, out_theirs, **TOL)


def test_unroll_outputs_are_the_hidden_states_step_by_step():
    cell, _ = make_pair("lstm", 2, 3, True)
    x = torch.randn(4, 5, 2, dtype=torch.float64)
    outputs, (h, c) = unroll(cell, x)
    state = None
    for t in range(5):
        state = cell(x[:, t], state)
        torch.testing.assert_close(outputs[:, t], state[0], atol=0, rtol=0)
    torch.testing.assert_close(h, state[0], atol=0, rtol=0)
    torch.testing.assert_close(c, state[1], atol=0, rtol=0)


# ----------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("kind", KINDS)
def test_wrong_feature_size_names_both_shapes(kind):
    cell = KINDS[kind][0](4, 3)
    with pytest.raises(ValueError,
                       match=r"x must have shape \(N, 4\) or \(4,\).*got shape \(2, 5\)"):
        cell(torch.randn(2, 5))
    with pytest.raises(ValueError, match=r"got shape \(5,\)"):
        cell(torch.randn(5))
    with pytest.raises(ValueError, match=r"got shape \(2, 3, 4\)"):
        cell(torch.randn(2, 3, 4))  # a sequence given to a cell: use unroll
    with pytest.raises(ValueError, match=r"input_size=4.*got shape \(2, 7, 5\)"):
        unroll(cell, torch.randn(2, 7, 5))


@pytest.mark.parametrize("kind", ["rnn_tanh", "gru"])
def test_wrong_state_shape_names_both_shapes(kind):
    cell = KINDS[kind][0](4, 3)
    with pytest.raises(ValueError, match=r"state must have shape \(2, 3\).*got shape \(2, 5\)"):
        cell(torch.randn(2, 4), torch.randn(2, 5))
    with pytest.raises(ValueError, match=r"state must have shape \(6, 3\).*got shape \(2, 3\)"):
        cell(torch.randn(6, 4), torch.randn(2, 3))
    with pytest.raises(ValueError, match=r"state must have shape \(3,\).*got shape \(1, 3\)"):
        cell(torch.randn(4), torch.randn(1, 3))
    with pytest.raises(ValueError, match=r"state must have shape \(2, 3\).*got shape \(1, 2, 3\)"):
        unroll(cell, torch.randn(2, 5, 4), torch.randn(1, 2, 3))  # PyTorch's layer layout


def test_wrong_lstm_state_names_both_shapes():
    cell = LSTMCell(4, 3)
    x = torch.randn(2, 4)
    with pytest.raises(ValueError, match=r"h must have shape \(2, 3\).*got shape \(2, 4\)"):
        cell(x, (torch.randn(2, 4), torch.randn(2, 3)))
    with pytest.raises(ValueError, match=r"c must have shape \(2, 3\).*got shape \(3,\)"):
        cell(x, (torch.randn(2, 3), torch.randn(3)))
    with pytest.raises(TypeError, match=r"state must be a pair \(h, c\).*got Tensor"):
        cell(x, torch.randn(2, 3))


def test_unknown_nonlinearity():
    with pytest.raises(ValueError, match=r"nonlinearity='sigmoid' is not allowed; choose one of "
                                         r"'tanh', 'relu'"):
        RNNCell(3, 4, nonlinearity="sigmoid")


@pytest.mark.parametrize("cls", [RNNCell, LSTMCell, GRUCell])
def test_bad_sizes_and_flags(cls):
    with pytest.raises(ValueError, match="input_size=0"):
        cls(0, 4)
    with pytest.raises(ValueError, match="hidden_size=-1"):
        cls(3, -1)
    with pytest.raises(TypeError, match="hidden_size=2.5"):
        cls(3, 2.5)
    with pytest.raises(TypeError, match="bias='yes'"):
        cls(3, 4, bias="yes")
    with pytest.raises(TypeError, match="x must be a torch.Tensor"):
        cls(3, 4)([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="x must be a floating-point tensor"):
        cls(3, 4)(torch.ones(2, 3, dtype=torch.long))


def test_unroll_bad_input():
    cell = GRUCell(2, 3)
    with pytest.raises(ValueError,
                       match=r"x must have shape \(N, T, F\) or \(T, F\), got shape \(2,\)"):
        unroll(cell, torch.randn(2))
    with pytest.raises(ValueError, match=r"x must have shape \(T, N, F\) or \(T, F\), got shape "
                                         r"\(1, 2, 3, 2\)"):
        unroll(cell, torch.randn(1, 2, 3, 2), batch_first=False)
    with pytest.raises(ValueError, match=r"at least one time step, got shape \(4, 0, 2\)"):
        unroll(cell, torch.randn(4, 0, 2))
    with pytest.raises(TypeError, match="batch_first=1"):
        unroll(cell, torch.randn(4, 3, 2), batch_first=1)


# ----------------------------------------------------------------------------- perplexity

def oracle(logits, target, ignore_index=None):
    vocab = logits.shape[-1]
    return torch.exp(F.cross_entropy(logits.reshape(-1, vocab), target.reshape(-1),
                                     ignore_index=-100 if ignore_index is None else ignore_index))


@given(shape=st.lists(st.integers(1, 5), min_size=0, max_size=3), vocab=st.integers(1, 9),
       scale=st.floats(0.01, 30.0), ignore=st.booleans(), seed=st.integers(0, 10_000))
def test_matches_cross_entropy_values_and_gradients(shape, vocab, scale, ignore, seed):
    g = torch.Generator().manual_seed(seed)
    logits = (scale * torch.randn(*shape, vocab, generator=g, dtype=torch.float64)
              ).requires_grad_()
    target = torch.randint(0, vocab, tuple(shape), generator=g)
    ignore_index = None
    if ignore and target.numel() > 1:
        ignore_index = int(target.reshape(-1)[0])
        if (target == ignore_index).all():
            ignore_index = None
    ours, theirs = perplexity(logits, target, ignore_index), oracle(logits, target, ignore_index)
    torch.testing.assert_close(ours, theirs, **TOL)
    g_ours, = torch.autograd.grad(ours, logits)
    g_theirs, = torch.autograd.grad(theirs, logits)
    # the gradient is perplexity * d(nll)/d(logits): its rounding grows with the perplexity
    torch.testing.assert_close(g_ours, g_theirs, rtol=1e-10,
                               atol=1e-12 * max(1.0, theirs.item()))


def test_padding_targets_count_nowhere():
    torch.manual_seed(0)
    logits = torch.randn(2, 6, 5, dtype=torch.float64)
    target = torch.randint(0, 5, (2, 6))
    padded = target.clone()
    padded[1, 3:] = -1
    value = perplexity(logits, padded, ignore_index=-1)
    kept = torch.cat([logits[0], logits[1, :3]]), torch.cat([target[0], target[1, :3]])
    torch.testing.assert_close(value, perplexity(*kept), **TOL)
    torch.testing.assert_close(value, oracle(logits, padded, -1), **TOL)


@pytest.mark.parametrize("vocab", [1, 2, 27, 100])
def test_uniform_model_has_perplexity_vocab(vocab):
    logits = torch.zeros(50, vocab, dtype=torch.float64)
    target = torch.randint(0, vocab, (50,))
    torch.testing.assert_close(perplexity(logits, target),
                               torch.tensor(float(vocab), dtype=torch.float64), **TOL)


def test_confident_and_right_is_one_confident_and_wrong_is_large():
    logits = torch.tensor([[50.0, 0.0, 0.0]], dtype=torch.float64)
    assert math.isclose(perplexity(logits, torch.tensor([0])).item(), 1.0, abs_tol=1e-12)
    assert math.isclose(perplexity(logits, torch.tensor([1])).item(), math.exp(50), rel_tol=1e-9)


def test_huge_logits_stay_finite():
    logits = torch.tensor([[1000.0, 999.0], [-1000.0, 0.0]])       # float32, exp overflows
    value = perplexity(logits, torch.tensor([1, 1]))
    assert torch.isfinite(value)
    torch.testing.assert_close(value, oracle(logits, torch.tensor([1, 1])))


def test_bad_input():
    logits = torch.randn(4, 3, 5)
    target = torch.randint(0, 5, (4, 3))
    with pytest.raises(ValueError, match=r"target must have the shape of logits without its last "
                                         r"\(token\) dimension, \(4, 3\), got shape \(4, 5\)"):
        perplexity(logits, torch.zeros(4, 5, dtype=torch.long))
    with pytest.raises(ValueError, match=r"target holds 5; every target must be a token index in "
                                         r"\[0, 5\)"):
        perplexity(logits, torch.full((4, 3), 5))
    with pytest.raises(ValueError, match=r"target holds -2"):
        perplexity(logits, torch.full((4, 3), -2), ignore_index=-1)
    with pytest.raises(ValueError, match=r"every entry of target is ignore_index=0"):
        perplexity(logits, torch.zeros(4, 3, dtype=torch.long), ignore_index=0)
    with pytest.raises(TypeError, match=r"target must hold integer token indices, got dtype "
                                        r"torch.float32"):
        perplexity(logits, target.float())
    with pytest.raises(TypeError, match=r"logits must be a floating-point tensor"):
        perplexity(target, target)
    with pytest.raises(TypeError, match=r"ignore_index=0.5 is not allowed"):
        perplexity(logits, target, ignore_index=0.5)
    with pytest.raises(TypeError, match=r"target must be a torch.Tensor, got list"):
        perplexity(logits, [0, 1])
