"""The transposed convolution as a scatter: every input pixel stamps a copy of the kernel, scaled
by its value, into the output; where stamps overlap they add. And a measure of the periodic
(checkerboard) pattern that uneven overlaps leave in an upsampled image."""

from __future__ import annotations

import torch

from .._checks import check_int, check_pair, check_tensor
from .sizes import Pair, conv_transpose_output_size
from .windows import _offsets


def conv_transpose2d(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
                     stride: Pair = 1, padding: Pair = 0, output_padding: Pair = 0,
                     dilation: Pair = 1) -> torch.Tensor:
    """Transposed convolution (groups=1), as `torch.nn.functional.conv_transpose2d`.

    x (N, C_in, H, W), weight (C_in, C_out, kh, kw) (PyTorch's layout: input channels first),
    bias (C_out,) -> (N, C_out, H_out, W_out), `H_out = (H-1)s - 2p + d(kh-1) + op + 1`.
    Input pixel (r, c) adds `x[n, ch, r, c] * w[ch, :, i, j]` to output pixel
    `(r*s + i*d - p, c*s + j*d - p)` for every kernel offset (i, j): a stamp of the kernel at
    stride spacing. `padding` crops p pixels off each side of the full result, and
    `output_padding` adds op rows/columns at the bottom/right (it must be smaller than stride or
    dilation). This is the gradient of `conv2d` with respect to its input.
    """
    check_tensor("x", x, ndim=4, floating=True)
    check_tensor("weight", weight, ndim=4, floating=True)
    n, c_in, h, w = x.shape
    if weight.shape[0] != c_in:
        raise ValueError(f"weight has in_channels={weight.shape[0]} (shape "
                         f"{tuple(weight.shape)}) but x has {c_in} channels (shape "
                         f"{tuple(x.shape)}); a transposed convolution's weight is "
                         f"(in_channels, out_channels, kh, kw) = ({c_in}, out_channels, kh, kw)")
    c_out, k = weight.shape[1], tuple(weight.shape[2:])
    if bias is not None:
        check_tensor("bias", bias, ndim=1)
        if bias.shape[0] != c_out:
            raise ValueError(f"bias has shape {tuple(bias.shape)}; it must be ({c_out},), "
                             f"one value per output channel")
    s = check_pair("stride", stride, minimum=1)
    p = check_pair("padding", padding, minimum=0)
    op = check_pair("output_padding", output_padding, minimum=0)
    d = check_pair("dilation", dilation, minimum=1)
    oh, ow = conv_transpose_output_size((h, w), k, s, p, op, d)  # refuses a bad output_padding
    # the stamps: for each input pixel and kernel offset, the C_out values it adds
    stamps = weight.reshape(c_in, -1).T @ x.reshape(n, c_in, h * w)  # (N, C_out*kh*kw, H*W)
    stamps = stamps.reshape(n, c_out, k[0] * k[1], h, w)  # (N, C_out, kh*kw, H, W)
    # the full result before cropping: (H-1)s + d(k-1) + 1 rows, plus output_padding
    full = x.new_zeros((n, c_out, oh + 2 * p[0], ow + 2 * p[1]))  # (N, C_out, Hf, Wf)
    for idx, (rows, cols) in enumerate(_offsets(k, s, d, (h, w))):
        # offset (i, j) of every stamp lands at (r*s + i*d, c*s + j*d): one strided slice
        full[:, :, rows, cols] += stamps[:, :, idx]
    y = full[:, :, p[0]:p[0] + oh, p[1]:p[1] + ow]  # (N, C_out, H_out, W_out)
    if bias is not None:
        y = y + bias[None, :, None, None]
    return y


def checkerboard_score(y: torch.Tensor, period: int = 2) -> torch.Tensor:
    """The share of an image's variance that a pattern repeating every `period` pixels explains.

    y (..., H, W) -> (...): group the pixels by their phase `(row % period, col % period)`
    (period**2 groups; the last rows/columns that do not fill a whole period are dropped) and
    return `var(group means) / var(pixels)`, both over the groups' pixels weighted equally:
    0 when every phase has the same mean (no periodic pattern), 1 for a pure pattern of period
    `period`, and 0 for a constant image. An image upsampled by 2 without artefacts scores near
    0; the checkerboard of a transposed convolution with uneven overlaps raises it.
    """
    check_tensor("y", y, floating=True)
    if y.dim() < 2:
        raise ValueError(f"y must have at least 2 dimensions (..., H, W), got shape "
                         f"{tuple(y.shape)}")
    q = check_int("period", period, minimum=2)
    h, w = y.shape[-2] // q * q, y.shape[-1] // q * q
    if h == 0 or w == 0:
        raise ValueError(f"y has shape {tuple(y.shape)}; with period={q} its height and width "
                         f"must be at least {q}")
    y = y[..., :h, :w]
    lead = y.shape[:-2]
    mean = y.mean(dim=(-2, -1), keepdim=True)  # (..., 1, 1)
    # phases[..., a, b] = mean of y[..., a::q, b::q]
    phases = y.reshape(*lead, h // q, q, w // q, q).mean(dim=(-4, -2))  # (..., q, q)
    between = ((phases - mean) ** 2).mean(dim=(-2, -1))  # (...)
    total = ((y - mean) ** 2).mean(dim=(-2, -1))  # (...)
    return torch.where(total > 0, between / total.clamp_min(torch.finfo(y.dtype).tiny),
                       torch.zeros_like(total))
