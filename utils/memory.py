"""What training costs in memory: tensor sizes, and what autograd keeps for the backward pass.

`saved_tensors()` records every tensor the autograd graph saves while the block runs (through
`torch.autograd.graph.saved_tensors_hooks`): those tensors stay in memory until `backward`
has used them, whatever the forward pass does with its own variables. Memory is counted per
storage, so a tensor saved by two operations (a ReLU's output, which the next convolution
saves as its input) and the views of one tensor count once.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import torch

from ._checks import check_int, check_sequence

__all__ = ["SavedTensors", "saved_tensors", "tensor_bytes"]


def tensor_bytes(shape: Sequence[int], dtype: torch.dtype = torch.float32) -> int:
    """Bytes of a dense tensor of `shape` and `dtype`: `prod(shape) * element size`."""
    shape = check_sequence("shape", shape, what="a sequence of non-negative ints")
    dims = [check_int(f"shape[{i}]", s, minimum=0) for i, s in enumerate(shape)]
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"dtype={dtype!r} is not allowed; dtype must be a torch.dtype")
    return math.prod(dims) * torch.empty((), dtype=dtype).element_size()


@dataclass
class SavedTensors:
    """What autograd saved inside a `saved_tensors()` block.

    `shapes[i]`, `dtypes[i]`: the i-th saved tensor as saved (a parameter included);
    `bytes`: the memory of the distinct storages saved, without the excluded ones (by
    default the parameters passed to `saved_tensors`, which exist anyway); `count`: how many
    tensors were saved (a tensor saved twice counts twice here, once in `bytes`).
    """

    shapes: list[tuple[int, ...]] = field(default_factory=list)
    dtypes: list[torch.dtype] = field(default_factory=list)
    bytes: int = 0
    excluded_bytes: int = 0
    _seen: set = field(default_factory=set, repr=False)

    @property
    def count(self) -> int:
        return len(self.shapes)


def _storage_key(t: torch.Tensor) -> tuple:
    storage = t.untyped_storage()
    return (t.device.type, t.device.index, storage.data_ptr(), storage.nbytes())


@contextlib.contextmanager
def saved_tensors(exclude: Iterable[torch.Tensor] = ()) -> Iterator[SavedTensors]:
    """`with saved_tensors(model.parameters()) as saved: loss = loss_fn(model(x), y)` records
    what the graph built in the block keeps for `backward`; `saved.bytes` is its memory.

    Tensors whose storage is one of `exclude` (the model's parameters: they stay in memory
    anyway) are recorded in `shapes` but counted in `excluded_bytes`, not `bytes`. Works on
    the CPU and on GPUs (storages are told apart by their address, which meta tensors lack).
    """
    excluded = {_storage_key(t) for t in exclude}
    record = SavedTensors()

    def pack(t: torch.Tensor) -> torch.Tensor:
        if t.device.type == "meta":
            raise ValueError("saved_tensors cannot count meta tensors (they have no storage "
                             "address); run the block on the CPU or a GPU")
        record.shapes.append(tuple(t.shape))
        record.dtypes.append(t.dtype)
        key = _storage_key(t)
        if key not in record._seen:
            record._seen.add(key)
            if key in excluded:
                record.excluded_bytes += key[3]
            else:
                record.bytes += key[3]
        return t  # keep the tensor itself: this only watches

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        yield record
