"""utils.rnn.models: the small models around a recurrent layer, against the same computation
written out with PyTorch's layers."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from utils.rnn import RNN, CharModel, SequenceRegressor


@pytest.mark.parametrize("make", [
    lambda: nn.LSTM(3, 5, batch_first=True),
    lambda: nn.GRU(3, 5, batch_first=True, bidirectional=True),
    lambda: RNN("rnn_tanh", 3, 5, bidirectional=True),
])
def test_sequence_regressor_reads_the_last_step(make):
    torch.manual_seed(0)
    model = SequenceRegressor(make()).double()
    x = torch.randn(4, 7, 3, dtype=torch.float64)
    outputs, _ = model.rnn(x)
    expected = outputs[:, -1] @ model.head.weight.T + model.head.bias      # (N, 1)
    torch.testing.assert_close(model(x), expected.squeeze(-1), atol=1e-12, rtol=0)
    assert model(x).shape == (4,)


@pytest.mark.parametrize("make", [
    lambda: nn.LSTM(8, 6, batch_first=True),
    lambda: nn.GRU(8, 6, batch_first=True),
    lambda: RNN("lstm", 8, 6),
])
def test_char_model_continues_a_text_with_its_state(make):
    """Two chunks with the state carried give what one pass over the whole text gives."""
    torch.manual_seed(0)
    model = CharModel(make(), vocab_size=11, embed_size=8).double()
    x = torch.randint(0, 11, (3, 10))
    whole, state_whole = model(x)
    first, state = model(x[:, :4])
    second, state_two = model(x[:, 4:], state)
    assert whole.shape == (3, 10, 11)
    torch.testing.assert_close(torch.cat([first, second], dim=1), whole, atol=1e-12, rtol=0)
    for a, b in zip(state_two if isinstance(state_two, tuple) else (state_two,),
                    state_whole if isinstance(state_whole, tuple) else (state_whole,)):
        torch.testing.assert_close(a, b, atol=1e-12, rtol=0)


def test_char_model_bidirectional_head_reads_both_directions():
    model = CharModel(nn.LSTM(4, 6, batch_first=True, bidirectional=True), 9, 4)
    assert model.head.in_features == 12
    assert model(torch.randint(0, 9, (2, 5)))[0].shape == (2, 5, 9)


def test_bad_layers():
    with pytest.raises(TypeError, match=r"layer must be a recurrent layer .* got Linear"):
        SequenceRegressor(nn.Linear(3, 4))
    with pytest.raises(TypeError, match="layer must be a torch.nn.Module, got str"):
        SequenceRegressor("lstm")
    with pytest.raises(ValueError, match="layer must be built with batch_first=True"):
        CharModel(nn.LSTM(4, 6), 9, 4)
    with pytest.raises(ValueError, match=r"layer reads input_size=5 features, but "
                                         r"embed_size=4"):
        CharModel(nn.GRU(5, 6, batch_first=True), 9, 4)
    with pytest.raises(ValueError, match="vocab_size=0 is not allowed"):
        CharModel(nn.GRU(4, 6, batch_first=True), 0, 4)
