"""LeCun's IDX file format, the files MNIST and Fashion-MNIST ship as."""

from __future__ import annotations

import gzip
import math
import os
import struct
from pathlib import Path

import numpy as np
import torch

# IDX format (LeCun's MNIST files): 2 zero bytes, a type code, the number of dimensions, then
# one big-endian int32 per dimension and the values in C order
_IDX_TYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
              0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}



def read_idx(path: str | os.PathLike) -> torch.Tensor:
    """Read an IDX file (plain or gzipped, as MNIST ships them) into a tensor.

    Checks the magic number (0, 0, type code, number of dimensions) and that the file holds
    exactly prod(dims) values; raises ValueError naming the file otherwise. uint8 data (MNIST's
    images and labels) comes back as torch.uint8 with shape `dims`, e.g. (10000, 28, 28).
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"path={str(path)!r} is not allowed; no such file")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as err:  # gzip.BadGzipFile is an OSError
        raise ValueError(f"{path}: cannot be read as IDX ({type(err).__name__}: {err})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise ValueError(f"{path}: not an IDX file; wrong magic number {raw[:4].hex() or '(empty)'}"
                         f" (expected 0000 followed by a type code in "
                         f"{sorted(hex(t) for t in _IDX_TYPES)} and the number of dimensions)")
    dtype, ndim = _IDX_TYPES[raw[2]], raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated IDX header ({len(raw)} bytes for {ndim} dimensions)")
    dims = struct.unpack(f">{ndim}i", raw[4:header])  # big-endian int32 sizes
    expected = math.prod(dims) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(f"{path}: wrong length; the header promises dims {dims} "
                         f"({expected:,} bytes of data) but the file holds {len(raw) - header:,}")
    values = np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims)
    return torch.from_numpy(values.astype(dtype.newbyteorder("=")))
