"""A multi-layer, optionally bidirectional recurrent layer built from the book's cells.

`RNN(mode, ...)` computes what `nn.RNN` (tanh or relu), `nn.LSTM` or `nn.GRU` computes, with
their parameter names (`weight_ih_l0`, `weight_hh_l1_reverse`, ...), shapes and order, so
`ours.load_state_dict(theirs.state_dict(), strict=True)` works both ways. `lengths` gives each
sequence of a padded batch its own length, as PyTorch's `pack_padded_sequence` does.

Shapes: `N` sequences, `T` steps, `F` input features, `H` hidden units, `L` layers,
`D` directions (2 if bidirectional, else 1).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import torch
from torch import nn

from .._checks import check_bool, check_choice, check_float, check_int, check_tensor
from .cells import _gru_step, _lstm_step, _reset_uniform, _rnn_step

__all__ = ["MODES", "RNN"]

MODES = ("rnn_tanh", "rnn_relu", "lstm", "gru")
_NUM_GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}


class RNN(nn.Module):
    """`num_layers` recurrent layers of one `mode`; layer l > 0 reads the outputs of layer l - 1.

    `mode`: "rnn_tanh", "rnn_relu", "lstm" or "gru". In a bidirectional layer a second cell
    reads the sequence from its end to its start, and the layer's output at step t is the two
    directions' states concatenated, forward first: `(N, T, 2H)`. `dropout` (as in PyTorch) is
    applied to the outputs of every layer but the last, in training mode only.

    `forward(x, state=None, lengths=None)`:
    - `x` `(N, T, F)` if `batch_first` else `(T, N, F)`; an unbatched sequence is `(T, F)`;
    - `state`: the initial `h_0` `(L*D, N, H)` (`(L*D, H)` unbatched), for an LSTM the pair
      `(h_0, c_0)`; zeros if None. Row `l * D + d` belongs to layer l, direction d (0 forward,
      1 reverse), PyTorch's layout;
    - `lengths`: N integers in [1, T] (a list or an integer tensor), sequence i being
      `x[i, :lengths[i]]` and the rest padding. Then outputs past each length are zero, and the
      final state is the state after each sequence's own last step (for the reverse direction,
      after step 0 of a run that started at step `lengths[i] - 1`): what PyTorch gives for
      `pack_padded_sequence(x, lengths, enforce_sorted=False)`.
    Returns `(output, h_n)`, for an LSTM `(output, (h_n, c_n))`: `output` `(N, T, D*H)` (time
    first if not `batch_first`), `h_n` and `c_n` shaped like `state`.
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bidirectional: bool = False, batch_first: bool = True,
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.mode = check_choice("mode", mode, MODES)
        self.input_size = check_int("input_size", input_size, minimum=1)
        self.hidden_size = check_int("hidden_size", hidden_size, minimum=1)
        self.num_layers = check_int("num_layers", num_layers, minimum=1)
        self.bidirectional = check_bool("bidirectional", bidirectional)
        self.batch_first = check_bool("batch_first", batch_first)
        self.dropout = check_float("dropout", dropout, minimum=0.0, maximum=1.0)
        self.num_directions = 2 if bidirectional else 1
        rows = _NUM_GATES[mode] * hidden_size          # G*H: the gates stacked, PyTorch's order
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else self.num_directions * hidden_size
            for direction in range(self.num_directions):
                suffix = self._suffix(layer, direction)
                # registered in nn.LSTM's order: weight_ih, weight_hh, bias_ih, bias_hh
                for name, shape in (("weight_ih", (rows, layer_input)),
                                    ("weight_hh", (rows, hidden_size)),
                                    ("bias_ih", (rows,)), ("bias_hh", (rows,))):
                    self.register_parameter(name + suffix, nn.Parameter(torch.empty(shape)))
        self.reset_parameters()

    @staticmethod
    def _suffix(layer: int, direction: int) -> str:
        return f"_l{layer}" + ("_reverse" if direction == 1 else "")

    def reset_parameters(self) -> None:
        """PyTorch's initialisation: every parameter uniform in [-1/sqrt(H), 1/sqrt(H)]."""
        _reset_uniform(self, self.hidden_size)

    def extra_repr(self) -> str:
        return (f"{self.mode!r}, {self.input_size}, {self.hidden_size}, "
                f"num_layers={self.num_layers}, bidirectional={self.bidirectional}, "
                f"batch_first={self.batch_first}, dropout={self.dropout}")

    def _weights(self, layer: int, direction: int) -> tuple:
        suffix = self._suffix(layer, direction)
        return tuple(getattr(self, name + suffix)
                     for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))

    def _step(self, x_t, state, weights):
        if self.mode == "lstm":
            return _lstm_step(x_t, state, weights)
        if self.mode == "gru":
            return _gru_step(x_t, state, weights)
        return _rnn_step(x_t, state, weights, self.mode.removeprefix("rnn_"))

    # --- argument checks ------------------------------------------------------------------

    def _input(self, x) -> tuple[torch.Tensor, bool]:
        """`x` as (N, T, F) and whether it was batched."""
        check_tensor("x", x, floating=True)
        layout = "(N, T, F)" if self.batch_first else "(T, N, F)"
        if x.dim() not in (2, 3) or x.shape[-1] != self.input_size:
            raise ValueError(f"x must have shape {layout} or (T, F) with F = input_size="
                             f"{self.input_size}, got shape {tuple(x.shape)}")
        batched = x.dim() == 3
        if not batched:
            x = x.unsqueeze(0)                         # (1, T, F)
        elif not self.batch_first:
            x = x.transpose(0, 1)                      # (T, N, F) -> (N, T, F)
        if x.shape[1] < 1:
            raise ValueError(f"x must have at least one time step, got shape {tuple(x.shape)}")
        return x, batched

    def _state(self, state, x: torch.Tensor, batched: bool) -> list:
        """Initial states as a list over layer * D + direction of (N, H) tensors (pairs for
        an LSTM)."""
        n, rows = x.shape[0], self.num_layers * self.num_directions
        expected = (rows, n, self.hidden_size) if batched else (rows, self.hidden_size)
        where = (f"num_layers * num_directions = {rows}, hidden_size={self.hidden_size}"
                 + (f", N={n}" if batched else ", an unbatched x"))
        if state is None:
            zeros = x.new_zeros(rows, n, self.hidden_size)
            parts = (zeros, zeros) if self.mode == "lstm" else (zeros,)
        else:
            names = ("h_0", "c_0") if self.mode == "lstm" else ("state",)
            if self.mode == "lstm":
                if (not isinstance(state, Sequence) or isinstance(state, str)
                        or len(state) != 2):
                    what = (f"a tuple of {len(state)} entries" if isinstance(state, Sequence)
                            else type(state).__name__)
                    raise TypeError("state must be a pair (h_0, c_0) of tensors for an LSTM, "
                                    f"got {what}")
                parts = tuple(state)
            else:
                parts = (state,)
            for name, s in zip(names, parts):
                check_tensor(name, s, floating=True)
                if tuple(s.shape) != expected:
                    raise ValueError(f"{name} must have shape {expected} ({where}), "
                                     f"got shape {tuple(s.shape)}")
            if not batched:
                parts = tuple(s.unsqueeze(1) for s in parts)   # (L*D, H) -> (L*D, 1, H)
        if self.mode == "lstm":
            return [(parts[0][k], parts[1][k]) for k in range(rows)]
        return [parts[0][k] for k in range(rows)]

    @staticmethod
    def _lengths(lengths, n: int, t: int, batched: bool) -> torch.Tensor | None:
        """`lengths` as a (N,) long tensor on the CPU, checked; None if not given."""
        if lengths is None:
            return None
        if not batched:
            raise ValueError("lengths is only allowed with a batched x (N sequences); an "
                             "unbatched x is one sequence of its full length")
        if isinstance(lengths, torch.Tensor):
            if lengths.is_floating_point() or lengths.is_complex() or lengths.dtype == torch.bool:
                raise TypeError(f"lengths must hold integers, got a tensor of dtype "
                                f"{lengths.dtype}")
            if lengths.dim() != 1:
                raise ValueError(f"lengths must be one-dimensional (one length per sequence), "
                                 f"got shape {tuple(lengths.shape)}")
            values = lengths.tolist()
        elif isinstance(lengths, Sequence) and not isinstance(lengths, str):
            values = list(lengths)
            bad = [v for v in values
                   if isinstance(v, bool) or not isinstance(v, numbers.Integral)]
            if bad:
                raise TypeError(f"lengths={values!r} is not allowed; lengths must hold integers, "
                                f"got {bad[0]!r}")
            values = [int(v) for v in values]
        else:
            raise TypeError(f"lengths must be a list or a tensor of integers, got "
                            f"{type(lengths).__name__}")
        if len(values) != n:
            raise ValueError(f"lengths={values} is not allowed; lengths must have one entry per "
                             f"sequence (N={n}), got {len(values)}")
        bad = [v for v in values if not 1 <= v <= t]
        if bad:
            raise ValueError(f"lengths={values} is not allowed; every length must be between 1 "
                             f"and the sequence length T={t}, got {bad[0]}")
        return torch.tensor(values, dtype=torch.long)

    # --- the computation -------------------------------------------------------------------

    def _direction(self, x: torch.Tensor, state, weights: tuple, valid: torch.Tensor | None,
                   reverse: bool):
        """One direction of one layer over x (N, T, F): outputs (N, T, H) and the final state.

        `valid` (N, T, 1) is True at the steps inside each sequence; elsewhere the state is
        kept as it is and the output is zero, so a padded step changes nothing.
        """
        steps = range(x.shape[1] - 1, -1, -1) if reverse else range(x.shape[1])
        outputs = [None] * x.shape[1]
        for t in steps:
            new = self._step(x[:, t], state, weights)             # (N, H) or a pair of them
            if valid is not None:
                keep = valid[:, t]                                # (N, 1)
                if self.mode == "lstm":
                    new = (torch.where(keep, new[0], state[0]),
                           torch.where(keep, new[1], state[1]))
                else:
                    new = torch.where(keep, new, state)
            state = new
            h = state[0] if self.mode == "lstm" else state        # (N, H)
            if valid is not None:
                h = torch.where(valid[:, t], h, torch.zeros_like(h))
            outputs[t] = h
        return torch.stack(outputs, dim=1), state                 # (N, T, H)

    def forward(self, x: torch.Tensor, state=None, lengths=None):
        x, batched = self._input(x)                               # (N, T, F)
        n, t = x.shape[0], x.shape[1]
        initial = self._state(state, x, batched)
        lengths = self._lengths(lengths, n, t, batched)
        valid = None
        if lengths is not None:
            steps = torch.arange(t)                               # (T,)
            valid = (steps[None, :] < lengths[:, None]).unsqueeze(-1).to(x.device)  # (N, T, 1)
        finals = []
        layer_input = x                                           # (N, T, F)
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(self.num_directions):
                k = layer * self.num_directions + direction       # PyTorch's row in h_n
                out, final = self._direction(layer_input, initial[k],
                                             self._weights(layer, direction), valid,
                                             reverse=direction == 1)
                outputs.append(out)
                finals.append(final)
            layer_input = torch.cat(outputs, dim=-1)              # (N, T, D*H), forward first
            if self.training and self.dropout > 0 and layer < self.num_layers - 1:
                # inverted dropout: zero each entry with probability p, scale the rest by
                # 1/(1-p) so the expected value is unchanged
                keep = torch.rand_like(layer_input) >= self.dropout
                scale = 0.0 if self.dropout == 1 else 1 / (1 - self.dropout)
                layer_input = layer_input * keep * scale
        output = layer_input                                      # (N, T, D*H)
        if self.mode == "lstm":
            h_n = torch.stack([f[0] for f in finals])             # (L*D, N, H)
            c_n = torch.stack([f[1] for f in finals])
            final_state = (h_n, c_n)
        else:
            final_state = torch.stack(finals)                     # (L*D, N, H)
        if not batched:
            output = output.squeeze(0)                            # (T, D*H)
            if self.mode == "lstm":
                final_state = tuple(s.squeeze(1) for s in final_state)   # (L*D, H)
            else:
                final_state = final_state.squeeze(1)
        elif not self.batch_first:
            output = output.transpose(0, 1)                       # (T, N, D*H)
        return output, final_state
