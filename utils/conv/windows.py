"""Sliding windows, shared by convolution and pooling: every window as a column (`im2col`, the
layout of `F.unfold`) and back (`col2im`, `F.fold`: overlapping entries add up)."""

from __future__ import annotations

import torch

from .._checks import check_pair, check_tensor
from .sizes import Pair, conv_output_size


def _geometry(x: torch.Tensor, kernel_size, stride, padding, dilation):
    """Checked pairs and the output size for a window sliding over x of shape (N, C, H, W)."""
    check_tensor("x", x, ndim=4, floating=True)
    k = check_pair("kernel_size", kernel_size, minimum=1)
    s = check_pair("stride", stride, minimum=1)
    p = check_pair("padding", padding, minimum=0)
    d = check_pair("dilation", dilation, minimum=1)
    out = conv_output_size(tuple(x.shape[2:]), k, s, p, d)
    return k, s, p, d, out


def _pad(x: torch.Tensor, padding: tuple[int, int], value: float = 0.0) -> torch.Tensor:
    """x (N, C, H, W) surrounded by `padding` rows/columns of `value`: (N, C, H+2ph, W+2pw)."""
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    n, c, h, w = x.shape
    out = x.new_full((n, c, h + 2 * ph, w + 2 * pw), value)
    out[:, :, ph:ph + h, pw:pw + w] = x
    return out


def _offsets(k, s, d, out):
    """For each kernel offset (i, j), the strided slices of the padded input it touches."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = k, s, d, out
    for i in range(kh):
        for j in range(kw):
            # output (r, c) reads padded pixel (r*s + i*d, c*s + j*d)
            yield (slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
                   slice(j * dw, j * dw + sw * (ow - 1) + 1, sw))


def _windows(xp: torch.Tensor, k, s, d, out) -> torch.Tensor:
    """All windows of the padded input xp (N, C, Hp, Wp) as (N, C, kh*kw, oh, ow)."""
    n, c = xp.shape[:2]
    windows = xp.new_empty((n, c, k[0] * k[1], out[0], out[1]))  # (N, C, kh*kw, oh, ow)
    for idx, (rows, cols) in enumerate(_offsets(k, s, d, out)):
        windows[:, :, idx] = xp[:, :, rows, cols]  # (N, C, oh, ow)
    return windows


def _fold(windows: torch.Tensor, shape, k, s, p, d, out) -> torch.Tensor:
    """The adjoint of `_windows` after padding: add each window entry back where it came from.

    windows (N, C, kh*kw, oh, ow) -> (N, C, H, W), the padding cropped off.
    """
    n, c, h, w = shape
    grad = windows.new_zeros((n, c, h + 2 * p[0], w + 2 * p[1]))  # (N, C, Hp, Wp)
    for idx, (rows, cols) in enumerate(_offsets(k, s, d, out)):
        grad[:, :, rows, cols] += windows[:, :, idx]
    return grad[:, :, p[0]:p[0] + h, p[1]:p[1] + w]


def im2col(x: torch.Tensor, kernel_size: Pair, stride: Pair = 1, padding: Pair = 0,
           dilation: Pair = 1) -> torch.Tensor:
    """Every receptive field as a column: x (N, C, H, W) -> (N, C*kh*kw, L), L = H_out*W_out.

    Row `c*kh*kw + i*kw + j` holds channel c at kernel offset (i, j); column `r*W_out + c` is the
    window of output pixel (r, c): exactly the layout of `torch.nn.functional.unfold`. It loops
    over the kh*kw kernel offsets only; each offset copies one strided slice of the input.
    """
    k, s, p, d, out = _geometry(x, kernel_size, stride, padding, dilation)
    n, c = x.shape[:2]
    windows = _windows(_pad(x, p), k, s, d, out)  # (N, C, kh*kw, oh, ow)
    return windows.reshape(n, c * k[0] * k[1], out[0] * out[1])  # (N, C*kh*kw, L)


def col2im(cols: torch.Tensor, output_size: Pair, kernel_size: Pair, stride: Pair = 1,
           padding: Pair = 0, dilation: Pair = 1) -> torch.Tensor:
    """The adjoint of `im2col`: each column's entries added back where its window reads.

    cols (N, C*kh*kw, L) -> (N, C, H, W) with `(H, W) = output_size`, the size of the image
    the windows slide over; L must be the number of windows on it. Entries of overlapping
    windows add up, padding is cropped off: exactly `torch.nn.functional.fold`.
    """
    check_tensor("cols", cols, ndim=3, floating=True)
    h, w = check_pair("output_size", output_size, minimum=1)
    k = check_pair("kernel_size", kernel_size, minimum=1)
    s = check_pair("stride", stride, minimum=1)
    p = check_pair("padding", padding, minimum=0)
    d = check_pair("dilation", dilation, minimum=1)
    out = conv_output_size((h, w), k, s, p, d)
    n, rows, length = cols.shape
    if rows % (k[0] * k[1]) or length != out[0] * out[1]:
        raise ValueError(f"cols has shape {tuple(cols.shape)}; for output_size={(h, w)} and "
                         f"kernel_size={k} it must be (N, C*{k[0] * k[1]}, {out[0] * out[1]}): "
                         f"C*kh*kw rows and one column per window ({out[0]}x{out[1]})")
    c = rows // (k[0] * k[1])
    windows = cols.reshape(n, c, k[0] * k[1], out[0], out[1])  # (N, C, kh*kw, oh, ow)
    return _fold(windows, (n, c, h, w), k, s, p, d, out)
