"""Recurrent cells from elementary tensor operations: the vanilla RNN, the LSTM and the GRU.

Each cell is an `nn.Module` whose parameters have the names, shapes and gate order of PyTorch's
own cells (`nn.RNNCell`, `nn.LSTMCell`, `nn.GRUCell`), so
`cell.load_state_dict(torch_cell.state_dict())` works with `strict=True` and the two compute the
same numbers. `unroll` runs any cell over a sequence, as a one-layer `nn.RNN`/`nn.LSTM`/`nn.GRU`
does. Shapes: `N` sequences (the batch), `T` time steps, `F` input features, `H` hidden units.

The equations of one step are written once, in functions that take the weights as arguments
(`_rnn_step`, `_lstm_step`, `_gru_step`): the cells here and the multi-layer `utils.rnn.RNN`
run the same lines.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .._checks import check_bool, check_choice, check_int, check_sequence, check_tensor

__all__ = ["GRUCell", "LSTMCell", "RNNCell", "unroll"]


def _reset_uniform(module: nn.Module, hidden_size: int) -> None:
    """PyTorch's initialisation of recurrent cells and layers: every parameter of `module`
    uniform in [-1/sqrt(H), 1/sqrt(H)], H = `hidden_size`."""
    bound = 1.0 / math.sqrt(hidden_size)
    with torch.no_grad():
        for p in module.parameters():
            p.uniform_(-bound, bound)


class _RecurrentCell(nn.Module):
    """Parameters and input checks shared by the three cells.

    `num_gates` blocks of `H` rows are stacked in `weight_ih` `(num_gates * H, F)` and
    `weight_hh` `(num_gates * H, H)`, in PyTorch's order.
    """

    num_gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True) -> None:
        super().__init__()
        self.input_size = check_int("input_size", input_size, minimum=1)
        self.hidden_size = check_int("hidden_size", hidden_size, minimum=1)
        self.bias = check_bool("bias", bias)
        rows = self.num_gates * self.hidden_size
        self.weight_ih = nn.Parameter(torch.empty(rows, self.input_size))
        self.weight_hh = nn.Parameter(torch.empty(rows, self.hidden_size))
        if bias:
            self.bias_ih = nn.Parameter(torch.empty(rows))
            self.bias_hh = nn.Parameter(torch.empty(rows))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's initialisation: every parameter uniform in [-1/sqrt(H), 1/sqrt(H)]."""
        _reset_uniform(self, self.hidden_size)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, bias={self.bias}"

    def _input(self, x: torch.Tensor) -> tuple[torch.Tensor, bool]:
        """Check `x` (N, F) or unbatched (F,); return it as (N, F) and whether it was batched."""
        check_tensor("x", x, floating=True)
        if x.dim() not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(
                f"x must have shape (N, {self.input_size}) or ({self.input_size},) "
                f"(input_size={self.input_size}), got shape {tuple(x.shape)}")
        return (x, True) if x.dim() == 2 else (x.unsqueeze(0), False)

    def _state(self, name: str, s: torch.Tensor | None, x: torch.Tensor,
               batched: bool) -> torch.Tensor:
        """A state (N, H) for the batched (N, F) `x`: zeros if `s` is None, else `s` checked."""
        n = x.shape[0]
        if s is None:
            return x.new_zeros(n, self.hidden_size)
        check_tensor(name, s, floating=True)
        expected = (n, self.hidden_size) if batched else (self.hidden_size,)
        if tuple(s.shape) != expected:
            raise ValueError(f"{name} must have shape {expected} (hidden_size={self.hidden_size})"
                             f" for x of shape {tuple(x.shape) if batched else (x.shape[1],)},"
                             f" got shape {tuple(s.shape)}")
        return s if batched else s.unsqueeze(0)

    def _weights(self) -> tuple:
        """(weight_ih, weight_hh, bias_ih, bias_hh), the biases None when bias=False."""
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh


# --- one step of each cell, the weights given: (N, F) and the state (N, H) -> the next state

def _affine(x: torch.Tensor, h: torch.Tensor, weights: tuple
            ) -> tuple[torch.Tensor, torch.Tensor]:
    """The two affine maps W_ih x + b_ih and W_hh h + b_hh, each (N, G*H)."""
    weight_ih, weight_hh, bias_ih, bias_hh = weights
    gi = x @ weight_ih.T       # (N, F) @ (F, G*H) -> (N, G*H)
    gh = h @ weight_hh.T       # (N, H) @ (H, G*H) -> (N, G*H)
    if bias_ih is not None:
        gi = gi + bias_ih
        gh = gh + bias_hh
    return gi, gh


def _rnn_step(x: torch.Tensor, h: torch.Tensor, weights: tuple,
              nonlinearity: str) -> torch.Tensor:
    gi, gh = _affine(x, h, weights)                   # (N, H) each
    # h' = act(W_ih x + b_ih + W_hh h + b_hh)
    pre = gi + gh
    return torch.tanh(pre) if nonlinearity == "tanh" else pre.clamp_min(0)


def _lstm_step(x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor], weights: tuple
               ) -> tuple[torch.Tensor, torch.Tensor]:
    h, c = state                                      # (N, H) each
    gi, gh = _affine(x, h, weights)
    gates = gi + gh                                   # (N, 4H): blocks i, f, g, o
    z_i, z_f, z_g, z_o = gates.chunk(4, dim=1)        # (N, H) each
    # i = sigmoid(W_ii x + b_ii + W_hi h + b_hi)
    i = torch.sigmoid(z_i)
    # f = sigmoid(W_if x + b_if + W_hf h + b_hf)
    f = torch.sigmoid(z_f)
    # g = tanh(W_ig x + b_ig + W_hg h + b_hg)
    g = torch.tanh(z_g)
    # o = sigmoid(W_io x + b_io + W_ho h + b_ho)
    o = torch.sigmoid(z_o)
    # c' = f * c + i * g      (the additive path that carries gradients across time)
    c_new = f * c + i * g
    # h' = o * tanh(c')
    h_new = o * torch.tanh(c_new)
    return h_new, c_new


def _gru_step(x: torch.Tensor, h: torch.Tensor, weights: tuple) -> torch.Tensor:
    gi, gh = _affine(x, h, weights)                   # (N, 3H) each: blocks r, z, n
    i_r, i_z, i_n = gi.chunk(3, dim=1)                # (N, H) each
    h_r, h_z, h_n = gh.chunk(3, dim=1)
    # r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
    r = torch.sigmoid(i_r + h_r)
    # z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
    z = torch.sigmoid(i_z + h_z)
    # n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
    n = torch.tanh(i_n + r * h_n)
    # h' = (1 - z) * n + z * h
    return (1 - z) * n + z * h


class RNNCell(_RecurrentCell):
    """The vanilla (Elman) cell: `h' = act(W_ih x + b_ih + W_hh h + b_hh)`, act tanh or relu.

    `forward(x, state=None)`: `x` (N, F) or (F,), `state` = h (N, H) or (H,), zeros if None.
    Returns h' with the shape of `state`.
    """

    num_gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh") -> None:
        self.nonlinearity = check_choice("nonlinearity", nonlinearity, ("tanh", "relu"))
        super().__init__(input_size, hidden_size, bias)

    def extra_repr(self) -> str:
        return super().extra_repr() + f", nonlinearity={self.nonlinearity!r}"

    def forward(self, x: torch.Tensor, state: torch.Tensor | None = None) -> torch.Tensor:
        x, batched = self._input(x)                       # (N, F)
        h = self._state("state", state, x, batched)       # (N, H)
        h_new = _rnn_step(x, h, self._weights(), self.nonlinearity)
        return h_new if batched else h_new.squeeze(0)


class LSTMCell(_RecurrentCell):
    """The LSTM cell (Hochreiter & Schmidhuber, 1997; with the forget gate of Gers et al., 2000).

    Gates in PyTorch's order: input i, forget f, cell candidate g, output o.
    `forward(x, state=None)`: `x` (N, F) or (F,), `state` = (h, c), each (N, H) or (H,), zeros
    if None. Returns `(h', c')`.
    """

    num_gates = 4

    def forward(self, x: torch.Tensor,
                state: tuple[torch.Tensor, torch.Tensor] | None = None
                ) -> tuple[torch.Tensor, torch.Tensor]:
        x, batched = self._input(x)                       # (N, F)
        if state is None:
            h = c = self._state("h", None, x, batched)
        else:
            check_sequence("state", state, length=2,
                           what="a pair (h, c) of tensors for an LSTMCell")
            h = self._state("h", state[0], x, batched)    # (N, H)
            c = self._state("c", state[1], x, batched)    # (N, H)
        h_new, c_new = _lstm_step(x, (h, c), self._weights())
        if not batched:
            return h_new.squeeze(0), c_new.squeeze(0)
        return h_new, c_new


class GRUCell(_RecurrentCell):
    """The gated recurrent unit (Cho et al., 2014), in PyTorch's form and gate order r, z, n.

    `forward(x, state=None)`: `x` (N, F) or (F,), `state` = h (N, H) or (H,), zeros if None.
    Returns h' with the shape of `state`.
    """

    num_gates = 3

    def forward(self, x: torch.Tensor, state: torch.Tensor | None = None) -> torch.Tensor:
        x, batched = self._input(x)                       # (N, F)
        h = self._state("state", state, x, batched)       # (N, H)
        h_new = _gru_step(x, h, self._weights())
        return h_new if batched else h_new.squeeze(0)


def unroll(cell: nn.Module, x: torch.Tensor, state=None, batch_first: bool = True):
    """Run `cell` over every step of a sequence: `state_t = cell(x_t, state_{t-1})`.

    `x` is (N, T, F) if `batch_first`, else (T, N, F); an unbatched sequence is (T, F).
    `state` is the cell's initial state (h, or (h, c) for an LSTM; zeros if None).
    Works with this module's cells and with PyTorch's. Returns `(outputs, final_state)`:
    `outputs` holds h_t for every step, (N, T, H) / (T, N, H) / (T, H) like `x`, and
    `final_state` is the last state in the cell's format (PyTorch's `h_n[0]`, `c_n[0]`).
    """
    check_tensor("x", x, floating=True)
    check_bool("batch_first", batch_first)
    if x.dim() not in (2, 3):
        layout = "(N, T, F)" if batch_first else "(T, N, F)"
        raise ValueError(f"x must have shape {layout} or (T, F), got shape {tuple(x.shape)}")
    time_dim = 1 if (x.dim() == 3 and batch_first) else 0
    if x.shape[time_dim] < 1:
        raise ValueError(f"x must have at least one time step, got shape {tuple(x.shape)}")
    input_size = getattr(cell, "input_size", x.shape[-1])
    if x.shape[-1] != input_size:
        raise ValueError(f"x must have {input_size} features per step (the cell's "
                         f"input_size={input_size}), got shape {tuple(x.shape)}")
    outputs = []
    for x_t in x.unbind(time_dim):                        # (N, F) or (F,) per step
        state = cell(x_t, state)
        outputs.append(state[0] if isinstance(state, tuple) else state)
    return torch.stack(outputs, dim=time_dim), state      # (N, T, H) / (T, N, H) / (T, H)
