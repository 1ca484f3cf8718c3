"""Copying weights between two models of the same architecture whose layers are named
differently (the book's reference nets and torchvision's)."""

from __future__ import annotations

from torch import nn

from .._checks import check_module


def load_weights_by_position(model: nn.Module, source: nn.Module | dict) -> nn.Module:
    """Copy `source`'s parameters and buffers into `model` in registration order.

    For models whose layers are named differently but registered in the same order with the
    same shapes (this module's reference nets and torchvision's). `source` is a module or a
    state dict. Raises ValueError naming the first mismatch. Returns `model`.
    """
    check_module("model", model)
    src = source.state_dict() if isinstance(source, nn.Module) else source
    if not isinstance(src, dict):
        raise TypeError(f"source must be a torch.nn.Module or a state dict, "
                        f"got {type(source).__name__}")
    dst = model.state_dict()
    if len(src) != len(dst):
        raise ValueError(f"source has {len(src)} tensors but model has {len(dst)}; "
                         "the two architectures differ")
    new_state = {}
    for i, ((name, target), (src_name, value)) in enumerate(zip(dst.items(), src.items())):
        if target.shape != value.shape:
            raise ValueError(f"tensor {i}: model's {name} has shape {tuple(target.shape)} but "
                             f"source's {src_name} has shape {tuple(value.shape)}")
        new_state[name] = value
    model.load_state_dict(new_state)
    return model
