"""A per-layer table of output shapes, parameters and MACs (multiply-accumulates) of a model.

`count_params(module)` counts a module's parameters (each shared tensor once).
`summary(model, input_size)` runs one forward pass of a zero input of shape `input_size`
(batch dimension included, e.g. ``(1, 3, 224, 224)``) and records, for every layer that is
called, its name, type, output shape, parameters and MACs. By default the pass runs on the
``meta`` device: only shapes are computed, no arithmetic, so summarising VGG-16 takes
milliseconds and no memory, and the model's own weights are left untouched.

MAC convention (the one of the published tables for AlexNet, VGG, GoogLeNet and ResNet):
only convolution and linear layers count, and a bias add is free.

    Conv (N, C_in, *in) -> (N, C_out, *out):  MACs = N C_out prod(out) (C_in / groups) prod(kernel)
    ConvTranspose, the same shapes:           MACs = N C_in prod(in) (C_out / groups) prod(kernel)
    Linear (..., in) -> (..., out):           MACs = prod(...) in out

Batch norm, activations, pooling, additions and functional ops called inside `forward`
(``torch.flatten``, ``x + identity``) count zero MACs. With this convention the MACs are exactly
half of the FLOPs that `torch.utils.flop_counter.FlopCounterMode` reports for the convolutions
and matrix products (it counts a multiply-accumulate as two FLOPs and ignores the bias too).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.func import functional_call

from ._checks import check_bool, check_int, check_module, check_sequence

_CONV = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
_CONV_T = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)


@dataclass
class LayerRow:
    """One call of one layer: qualified name, class name, output shape, parameters, MACs.

    `params` counts the layer's own parameters the first time it is called (a layer called
    twice, like torchvision's shared `relu`, has its parameters counted once, its MACs twice).
    """

    name: str
    type: str
    output_shape: tuple | list | None
    params: int
    macs: int


@dataclass
class Summary:
    """What `summary` returns: the rows, the totals, and the table as `str(summary)`."""

    input_size: tuple[int, ...]
    rows: list[LayerRow] = field(default_factory=list)
    total_params: int = 0
    trainable_params: int = 0
    total_macs: int = 0
    uncalled_params: int = 0  # parameters of modules that the forward pass never called

    def __str__(self) -> str:
        return _format_table(self)

    def __repr__(self) -> str:
        return (f"Summary(input_size={self.input_size}, layers={len(self.rows)}, "
                f"total_params={self.total_params:,}, total_macs={self.total_macs:,})")


def count_params(module: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters of `module` (a tensor shared by two layers counts once).

    `trainable_only=True` counts only those with `requires_grad` (the ones an optimizer trains).
    Works on the `meta` device too: it reads shapes, never values.
    """
    check_module("module", module)
    trainable_only = check_bool("trainable_only", trainable_only)
    # parameters() yields each tensor once, however many modules share it
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


def layer_macs(module: nn.Module, inputs: tuple, output) -> int:
    """MACs of one call of `module` with these inputs and output (see the module docstring)."""
    if isinstance(module, _CONV) and isinstance(output, torch.Tensor):
        # MACs = (every output element) * (C_in / groups) * kernel area
        per_output = module.in_channels // module.groups * math.prod(module.kernel_size)
        return output.numel() * per_output
    if isinstance(module, _CONV_T) and inputs and isinstance(inputs[0], torch.Tensor):
        # each input element is scattered through (C_out / groups) * kernel area weights
        per_input = module.out_channels // module.groups * math.prod(module.kernel_size)
        return inputs[0].numel() * per_input
    if isinstance(module, nn.Linear) and isinstance(output, torch.Tensor):
        # MACs = (number of output vectors) * in_features * out_features = out.numel() * in
        return output.numel() * module.in_features
    return 0


def _shape_of(output):
    if isinstance(output, torch.Tensor):
        return tuple(output.shape)
    if isinstance(output, (tuple, list)):
        return [_shape_of(o) for o in output]
    if isinstance(output, dict):
        return {k: _shape_of(v) for k, v in output.items()}
    return None


def summary(model: nn.Module, input_size: Sequence[int], *, dtype: torch.dtype = torch.float32,
            device: str | torch.device | None = "meta", verbose: bool = True) -> Summary:
    """Per-layer output shapes, parameters and MACs of `model` for an input of `input_size`.

    Args:
        model: any `nn.Module`; it is run in eval mode (its train/eval flags are restored).
        input_size: shape of the input tensor, batch dimension included, e.g. (1, 3, 224, 224).
            MACs are for the whole batch.
        dtype: dtype of the zero input (use torch.long for models that start with an Embedding).
        device: where the forward pass runs. "meta" (default) computes shapes only and
            leaves the model's weights untouched; None runs on the model's own device with real
            arithmetic (for models whose forward needs values).
        verbose: print the table (default). The returned object prints the same table via
            `print(result)` or `str(result)`.

    Returns:
        A `Summary` with `rows` (one `LayerRow` per call of every leaf layer and every layer
        that owns parameters directly), `total_params` (= sum of p.numel() over
        model.parameters()), `trainable_params` and `total_macs` (convolution and linear
        layers only; see the module docstring).
    """
    check_module("model", model)
    what = ("a non-empty sequence of positive ints, batch dimension included, "
            "e.g. (1, 3, 224, 224)")
    input_size = check_sequence("input_size", input_size, what=what)
    if not input_size:
        raise ValueError(f"input_size=() is not allowed; input_size must be {what}")
    input_size = tuple(check_int(f"input_size[{i}]", s, minimum=1)
                       for i, s in enumerate(input_size))

    result = Summary(input_size=input_size)
    result.total_params = count_params(model)
    result.trainable_params = count_params(model, trainable_only=True)

    counted: set[int] = set()  # ids of parameters already attributed to a row
    names = {id(m): n for n, m in model.named_modules(remove_duplicate=False)}

    def hook(module, inputs, output):
        own = 0
        for p in module.parameters(recurse=False):
            if id(p) not in counted:
                counted.add(id(p))
                own += p.numel()
        macs = layer_macs(module, inputs, output)
        result.rows.append(LayerRow(names.get(id(module), "") or "(model)",
                                    type(module).__name__, _shape_of(output), own, macs))

    handles = []
    for module in model.modules():
        is_leaf = next(module.children(), None) is None
        owns_params = next(module.parameters(recurse=False), None) is not None
        if is_leaf or owns_params:
            handles.append(module.register_forward_hook(hook))

    modes = {m: m.training for m in model.modules()}
    model.eval()
    try:
        with torch.no_grad():
            if device is not None and torch.device(device).type == "meta":
                x = torch.zeros(input_size, dtype=dtype, device="meta")
                # replace weights and buffers by shape-only stand-ins for this one call;
                # tied tensors (one tensor under two names) get one shared stand-in
                stand_in: dict[int, torch.Tensor] = {}
                state = {n: stand_in.setdefault(id(t), torch.empty_like(t, device="meta"))
                         for n, t in [*model.named_parameters(remove_duplicate=False),
                                      *model.named_buffers(remove_duplicate=False)]}
                functional_call(model, state, (x,), tie_weights=True)
            else:
                first = next(iter([*model.parameters(), *model.buffers()]), None)
                where = device if device is not None else (
                    first.device if first is not None else "cpu")
                model(torch.zeros(input_size, dtype=dtype, device=where))
    finally:
        for h in handles:
            h.remove()
        for m, training in modes.items():
            m.training = training

    result.total_macs = sum(r.macs for r in result.rows)
    result.uncalled_params = result.total_params - sum(r.params for r in result.rows)
    if verbose:
        print(result)
    return result


def _format_table(s: Summary) -> str:
    header = ("Layer", "Type", "Output shape", "Params", "MACs")
    body = [(r.name, r.type, str(r.output_shape) if r.output_shape is not None else "-",
             f"{r.params:,}", f"{r.macs:,}") for r in s.rows]
    widths = [max(len(h), *(len(row[i]) for row in body)) if body else len(h)
              for i, h in enumerate(header)]

    def line(cells):
        return "  ".join(c.ljust(w) if i < 3 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    rule = "-" * len(line(header))
    out = [f"Input size: {s.input_size}", rule, line(header), rule, *map(line, body), rule,
           f"Total params:     {s.total_params:,}",
           f"Trainable params: {s.trainable_params:,}",
           f"Total MACs:       {s.total_macs:,}  (convolution and linear layers)"]
    if s.uncalled_params:
        out.append(f"Params of layers not called in forward: {s.uncalled_params:,}")
    return "\n".join(out)
