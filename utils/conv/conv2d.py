"""The convolution layer's forward pass by loops and by one matrix product, with `groups`, and
its backward pass."""

from __future__ import annotations

import torch

from .._checks import check_tensor
from .sizes import Pair, check_groups
from .windows import _geometry, _pad, im2col


def _check_weight(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None,
                  groups: int = 1) -> int:
    """Check weight (C_out, C_in / groups, kh, kw) and bias (C_out,) against x; the groups."""
    check_tensor("weight", weight, ndim=4, floating=True)
    c_in, c_out = x.shape[1], weight.shape[0]
    g = check_groups(groups, c_in, c_out)
    if weight.shape[1] * g != c_in:
        if g == 1:
            raise ValueError(f"weight has in_channels={weight.shape[1]} (shape "
                             f"{tuple(weight.shape)}) but x has {c_in} channels (shape "
                             f"{tuple(x.shape)}); weight must be (out_channels, {c_in}, kh, kw)")
        raise ValueError(f"weight has {weight.shape[1]} input channels per group (shape "
                         f"{tuple(weight.shape)}) but x's {c_in} channels (shape "
                         f"{tuple(x.shape)}) in groups={g} give {c_in // g} per group; weight "
                         f"must be (out_channels, {c_in // g}, kh, kw)")
    if bias is not None:
        check_tensor("bias", bias, ndim=1)
        if bias.shape[0] != c_out:
            raise ValueError(f"bias has shape {tuple(bias.shape)}; it must be "
                             f"({c_out},), one value per output channel")
    return g


def conv2d_naive(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
                 stride: Pair = 1, padding: Pair = 0, dilation: Pair = 1,
                 groups: int = 1) -> torch.Tensor:
    """Cross-correlation with explicit loops over the output pixels (slow; for teaching).

    x (N, C_in, H, W), weight (C_out, C_in/g, kh, kw), bias (C_out,) -> (N, C_out, H_out, W_out);
    `y[n, o, r, c] = b[o] + sum_{ch,i,j} w[o, ch, i, j] * x_pad[n, G*C_in/g + ch, r*s + i*d,
    c*s + j*d]`, where G = o // (C_out/g) is the group of output channel o.
    """
    check_tensor("x", x, ndim=4, floating=True)
    g = _check_weight(x, weight, bias, groups)
    k, s, p, d, (oh, ow) = _geometry(x, tuple(weight.shape[2:]), stride, padding, dilation)
    n, c_in, c_out = x.shape[0], x.shape[1], weight.shape[0]
    xp = _pad(x, p)  # (N, C_in, Hp, Wp)
    w = weight.reshape(g, c_out // g, c_in // g, *k)  # (g, C_out/g, C_in/g, kh, kw)
    y = x.new_zeros((n, c_out, oh, ow))  # (N, C_out, H_out, W_out)
    for r in range(oh):
        for c in range(ow):
            rows = slice(r * s[0], r * s[0] + d[0] * (k[0] - 1) + 1, d[0])
            cols = slice(c * s[1], c * s[1] + d[1] * (k[1] - 1) + 1, d[1])
            patch = xp[:, :, rows, cols]  # (N, C_in, kh, kw)
            patch = patch.reshape(n, g, 1, c_in // g, *k)  # (N, g, 1, C_in/g, kh, kw)
            # y[n, G, o] = sum_{ch, i, j} patch[n, G, ch, i, j] * w[G, o, ch, i, j]
            y[:, :, r, c] = (patch * w).sum(dim=(3, 4, 5)).reshape(n, c_out)  # (N, C_out)
    if bias is not None:
        y = y + bias[None, :, None, None]
    return y


def conv2d_im2col(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
                  stride: Pair = 1, padding: Pair = 0, dilation: Pair = 1,
                  groups: int = 1) -> torch.Tensor:
    """Cross-correlation as one matrix multiply per group: `W_G (C_out/g, C_in/g*kh*kw) @
    im2col(x)_G`, where the columns' rows of group G are its C_in/g channels.

    x (N, C_in, H, W), weight (C_out, C_in/g, kh, kw), bias (C_out,) -> (N, C_out, H_out, W_out).
    """
    check_tensor("x", x, ndim=4, floating=True)
    g = _check_weight(x, weight, bias, groups)
    k, s, p, d, (oh, ow) = _geometry(x, tuple(weight.shape[2:]), stride, padding, dilation)
    n, c_out = x.shape[0], weight.shape[0]
    cols = im2col(x, k, s, p, d)  # (N, C_in*kh*kw, L): rows ordered channel first
    cols = cols.reshape(n, g, -1, oh * ow)  # (N, g, C_in/g*kh*kw, L)
    w = weight.reshape(g, c_out // g, -1)  # (g, C_out/g, C_in/g*kh*kw)
    y = (w @ cols).reshape(n, c_out, oh * ow)  # (N, g, C_out/g, L) -> (N, C_out, L)
    if bias is not None:
        y += bias[:, None]  # in place: y is a fresh tensor, and this saves a pass over memory
    return y.reshape(n, c_out, oh, ow)  # (N, C_out, H_out, W_out)


def conv2d_backward(grad_output: torch.Tensor, x: torch.Tensor, weight: torch.Tensor,
                    stride: Pair = 1, padding: Pair = 0, dilation: Pair = 1
                    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Gradients of `conv2d(x, weight, bias)` given `grad_output` = dL/dy (N, C_out, oh, ow).

    Returns `(grad_x, grad_weight, grad_bias)` of shapes x, weight and (C_out,):
    - grad_x: spread grad_output back to stride spacing (s-1 zeros between entries), pad it by
      d(k-1) all round and cross-correlate with the flipped kernel (channels swapped): a *full
      convolution* with the kernel. Padded input pixels that no window reached get zero.
    - grad_weight: `dL/dw[o,ch,i,j] = sum_{n,r,c} g[n,o,r,c] x_pad[n,ch,r*s+i*d,c*s+j*d]`, the
      cross-correlation of the input with grad_output, computed as `g @ im2col(x)^T`.
    - grad_bias: grad_output summed over batch and positions.
    """
    check_tensor("x", x, ndim=4, floating=True)
    _check_weight(x, weight, None)
    k, s, p, d, (oh, ow) = _geometry(x, tuple(weight.shape[2:]), stride, padding, dilation)
    check_tensor("grad_output", grad_output, ndim=4, floating=True)
    n, c_in, h, w = x.shape
    c_out = weight.shape[0]
    if tuple(grad_output.shape) != (n, c_out, oh, ow):
        raise ValueError(f"grad_output has shape {tuple(grad_output.shape)}; it must be the "
                         f"output shape {(n, c_out, oh, ow)}")
    # dL/db[o] = sum_{n,r,c} g[n, o, r, c]
    grad_bias = grad_output.sum(dim=(0, 2, 3))  # (C_out,)

    # dL/dw = sum_n g_n (C_out, L) @ cols_n^T (L, C_in*kh*kw)
    g = grad_output.reshape(n, c_out, oh * ow)  # (N, C_out, L)
    cols = im2col(x, k, s, p, d)  # (N, C_in*kh*kw, L)
    grad_weight = (g @ cols.transpose(1, 2)).sum(dim=0)  # (C_out, C_in*kh*kw)
    grad_weight = grad_weight.reshape(weight.shape)  # (C_out, C_in, kh, kw)

    # dL/dx_pad = full convolution of the stride-spread g with the kernel
    span_h, span_w = d[0] * (k[0] - 1), d[1] * (k[1] - 1)
    spread = grad_output.new_zeros((n, c_out, (oh - 1) * s[0] + 1 + 2 * span_h,
                                    (ow - 1) * s[1] + 1 + 2 * span_w))  # (N, C_out, Hs, Ws)
    spread[:, :, span_h:span_h + (oh - 1) * s[0] + 1:s[0],
           span_w:span_w + (ow - 1) * s[1] + 1:s[1]] = grad_output
    flipped = weight.flip(2, 3).transpose(0, 1)  # (C_in, C_out, kh, kw)
    reached = conv2d_im2col(spread, flipped, dilation=d)  # (N, C_in, used_h, used_w)
    grad_pad = x.new_zeros((n, c_in, h + 2 * p[0], w + 2 * p[1]))  # (N, C_in, Hp, Wp)
    grad_pad[:, :, :reached.shape[2], :reached.shape[3]] = reached
    grad_x = grad_pad[:, :, p[0]:p[0] + h, p[1]:p[1] + w]  # (N, C_in, H, W)
    return grad_x, grad_weight, grad_bias
