"""Two small models around any recurrent layer, shared by the Sequences lessons.

The layer is PyTorch's (`nn.RNN`, `nn.LSTM`, `nn.GRU`) or the book's (`utils.rnn.RNN`), built
with `batch_first=True`; the models read its `hidden_size` and `bidirectional` attributes.

- `SequenceRegressor(layer)`: one number per sequence, a linear map of the last step's output
  (the adding problem, a next-value forecast): `(N, T, F) -> (N,)`;
- `CharModel(layer, vocab_size, embed_size)`: a next-token language model, embedding ->
  layer -> linear at every step: `(N, T)` ids -> `(N, T, V)` logits, and the layer's state,
  which can be passed back in to continue a text (truncated backpropagation through time).
"""

from __future__ import annotations

from torch import nn

from .._checks import check_int, check_module

__all__ = ["CharModel", "SequenceRegressor"]


def _features(layer: nn.Module) -> int:
    """What the layer outputs per step: hidden_size, twice that if bidirectional."""
    check_module("layer", layer)
    hidden = getattr(layer, "hidden_size", None)
    if not isinstance(hidden, int) or not hasattr(layer, "bidirectional"):
        raise TypeError(f"layer must be a recurrent layer (nn.RNN, nn.LSTM, nn.GRU or "
                        f"utils.rnn.RNN) with hidden_size and bidirectional, got "
                        f"{type(layer).__name__}")
    if not getattr(layer, "batch_first", False):
        raise ValueError("layer must be built with batch_first=True: the models read "
                         "(N, T, ...) batches")
    return hidden * (2 if layer.bidirectional else 1)


class SequenceRegressor(nn.Module):
    """A recurrent layer read out by a linear layer at the last step: (N, T, F) -> (N,)."""

    def __init__(self, layer: nn.Module) -> None:
        super().__init__()
        features = _features(layer)
        self.rnn = layer
        self.head = nn.Linear(features, 1)

    def forward(self, x):
        outputs, _ = self.rnn(x)                       # (N, T, D*H)
        return self.head(outputs[:, -1]).squeeze(-1)   # (N,)


class CharModel(nn.Module):
    """Embedding -> recurrent layer -> linear: next-token logits at every step.

    `forward(x, state=None)`: `x` `(N, T)` token ids; returns `(logits, state)` with logits
    `(N, T, vocab_size)` and the layer's final state (h_n, or (h_n, c_n) for an LSTM).
    """

    def __init__(self, layer: nn.Module, vocab_size: int, embed_size: int) -> None:
        super().__init__()
        features = _features(layer)
        vocab_size = check_int("vocab_size", vocab_size, minimum=1)
        embed_size = check_int("embed_size", embed_size, minimum=1)
        if getattr(layer, "input_size", embed_size) != embed_size:
            raise ValueError(f"layer reads input_size={layer.input_size} features, but "
                             f"embed_size={embed_size}: they must be equal")
        self.embed = nn.Embedding(vocab_size, embed_size)
        self.rnn = layer
        self.head = nn.Linear(features, vocab_size)

    def forward(self, x, state=None):
        out, state = self.rnn(self.embed(x), state)   # (N, T, D*H)
        return self.head(out), state                 # (N, T, V)
