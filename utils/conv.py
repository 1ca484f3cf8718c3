"""Convolution and pooling from scratch, and the size formulas that go with them.

Sizes follow PyTorch (`nn.Conv2d`, `nn.ConvTranspose2d`, `nn.MaxPool2d`, `nn.AvgPool2d`);
tensors are `(N, C, H, W)`; `kernel_size`, `stride`, `padding` and `dilation` are an int or an
`(h, w)` pair. The from-scratch functions use indexing, slicing, arithmetic and `matmul` only,
never the `torch.nn.functional` op they re-implement; `tests/test_conv.py` checks each against it.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ._checks import check_bool, check_int, check_pair, check_sequence, check_tensor

Pair = int | tuple[int, int]

__all__ = [
    "avg_pool2d", "avg_pool2d_backward", "conv2d_backward", "conv2d_im2col", "conv2d_macs",
    "conv2d_naive", "conv2d_params", "conv_output_size", "conv_transpose_output_size", "im2col",
    "max_pool2d", "max_pool2d_backward", "pool_output_size", "receptive_field", "same_padding",
]


# ---------------------------------------------------------------------------------------------
# Size formulas (one spatial dimension; a pair argument gives an (h, w) pair back)
# ---------------------------------------------------------------------------------------------

def _is_pair(value) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str)


def _per_dim(fn, names: Sequence[str], values: Sequence):
    """Apply the 1-D formula `fn` per dimension when any argument is an (h, w) pair."""
    if not any(_is_pair(v) for v in values):
        return fn(*values)
    pairs = [check_pair(name, v) if _is_pair(v) else (v, v) for name, v in zip(names, values)]
    return tuple(fn(*(p[i] for p in pairs)) for i in range(2))


def _conv_size(n, kernel_size, stride, padding, dilation) -> int:
    n = check_int("n", n, minimum=1)
    k = check_int("kernel_size", kernel_size, minimum=1)
    s = check_int("stride", stride, minimum=1)
    p = check_int("padding", padding, minimum=0)
    d = check_int("dilation", dilation, minimum=1)
    span = d * (k - 1) + 1  # the input pixels one window covers
    if span > n + 2 * p:
        raise ValueError(f"kernel_size={k} with dilation={d} spans {span} pixels, more than the "
                         f"padded input ({n} + 2*{p} = {n + 2 * p}); use a smaller kernel_size or "
                         f"dilation, or more padding")
    # o = floor((i + 2p - d(k-1) - 1) / s) + 1
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def conv_output_size(n: Pair, kernel_size: Pair, stride: Pair = 1, padding: Pair = 0,
                     dilation: Pair = 1) -> Pair:
    """Output size of a convolution: `floor((n + 2p - d(k-1) - 1) / s) + 1`.

    `n` is the input size (height or width). Raises ValueError when the dilated kernel
    `d(k-1) + 1` is larger than the padded input `n + 2p`. Pairs in, pair out.
    """
    return _per_dim(_conv_size, ("n", "kernel_size", "stride", "padding", "dilation"),
                    (n, kernel_size, stride, padding, dilation))


def _conv_transpose_size(n, kernel_size, stride, padding, output_padding, dilation) -> int:
    n = check_int("n", n, minimum=1)
    k = check_int("kernel_size", kernel_size, minimum=1)
    s = check_int("stride", stride, minimum=1)
    p = check_int("padding", padding, minimum=0)
    op = check_int("output_padding", output_padding, minimum=0)
    d = check_int("dilation", dilation, minimum=1)
    if op >= s and op >= d:
        raise ValueError(f"output_padding={op} is not allowed; output_padding must be smaller "
                         f"than stride ({s}) or dilation ({d})")
    # o = (i - 1) s - 2p + d(k-1) + output_padding + 1
    out = (n - 1) * s - 2 * p + d * (k - 1) + op + 1
    if out < 1:
        raise ValueError(f"padding={p} is not allowed here: the output size would be {out}; "
                         f"padding must be at most {((n - 1) * s + d * (k - 1) + op) // 2} for "
                         f"n={n}, kernel_size={k}, stride={s}, dilation={d}")
    return out


def conv_transpose_output_size(n: Pair, kernel_size: Pair, stride: Pair = 1, padding: Pair = 0,
                               output_padding: Pair = 0, dilation: Pair = 1) -> Pair:
    """Output size of a transposed convolution: `(n-1)s - 2p + d(k-1) + output_padding + 1`.

    `output_padding` picks one of the `s` input sizes that a stride-`s` convolution maps to the
    same size `n`; it must be smaller than `stride` or `dilation` (PyTorch's rule).
    """
    return _per_dim(_conv_transpose_size,
                    ("n", "kernel_size", "stride", "padding", "output_padding", "dilation"),
                    (n, kernel_size, stride, padding, output_padding, dilation))


def _pool_size(n, kernel_size, stride, padding, dilation, ceil_mode) -> int:
    n = check_int("n", n, minimum=1)
    k = check_int("kernel_size", kernel_size, minimum=1)
    s = k if stride is None else check_int("stride", stride, minimum=1)
    p = check_int("padding", padding, minimum=0)
    d = check_int("dilation", dilation, minimum=1)
    if p > k // 2:
        raise ValueError(f"padding={p} is not allowed; pooling padding must be at most half the "
                         f"kernel_size ({k} // 2 = {k // 2})")
    numerator = n + 2 * p - d * (k - 1) - 1
    # o = floor((i + 2p - d(k-1) - 1) / s) + 1, or ceil(...) + 1 with ceil_mode
    out = (-(-numerator // s) if ceil_mode else numerator // s) + 1
    # with ceil_mode the last window must start inside the input or the left padding
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    if out < 1:
        raise ValueError(f"kernel_size={k} with dilation={d} spans {d * (k - 1) + 1} pixels, "
                         f"more than the padded input ({n} + 2*{p} = {n + 2 * p}); the output "
                         f"size would be {out}, and it must be at least 1")
    return out


def pool_output_size(n: Pair, kernel_size: Pair, stride: Pair | None = None, padding: Pair = 0,
                     dilation: Pair = 1, ceil_mode: bool = False) -> Pair:
    """Output size of max/average pooling (`stride` defaults to `kernel_size`, as in PyTorch).

    `floor((n + 2p - d(k-1) - 1) / s) + 1`; with `ceil_mode` the floor becomes a ceiling, but a
    last window that would start in the right padding is dropped. Padding is at most `k // 2`.
    """
    check_bool("ceil_mode", ceil_mode)
    if stride is None:
        stride = kernel_size
    return _per_dim(lambda *a: _pool_size(*a, ceil_mode),
                    ("n", "kernel_size", "stride", "padding", "dilation"),
                    (n, kernel_size, stride, padding, dilation))


def same_padding(n: int, kernel_size: int, stride: int = 1, dilation: int = 1) -> tuple[int, int]:
    """TensorFlow's 'SAME' padding `(before, after)` for one dimension: output `ceil(n / s)`.

    The total padding `max((ceil(n/s) - 1) s + d(k-1) + 1 - n, 0)` is split in two; when it is
    odd the extra pixel goes at the end (after).
    """
    n = check_int("n", n, minimum=1)
    k = check_int("kernel_size", kernel_size, minimum=1)
    s = check_int("stride", stride, minimum=1)
    d = check_int("dilation", dilation, minimum=1)
    out = -(-n // s)  # ceil(n / s)
    total = max((out - 1) * s + d * (k - 1) + 1 - n, 0)
    return total // 2, total - total // 2


def receptive_field(layers: Sequence[Sequence[int]]) -> tuple[int, int]:
    """Receptive field and jump of one unit of the last layer, in input pixels.

    `layers` holds `(kernel_size, stride)` or `(kernel_size, stride, dilation)` per layer,
    first layer first (pooling is a layer too). Recurrence: `r <- r + d(k-1) * j`, `j <- j * s`,
    starting from `r = j = 1` (one input pixel).
    """
    check_sequence("layers", layers, what="a sequence of (kernel_size, stride) or "
                   "(kernel_size, stride, dilation) tuples")
    r, j = 1, 1
    for i, layer in enumerate(layers):
        what = "(kernel_size, stride) or (kernel_size, stride, dilation)"
        check_sequence(f"layers[{i}]", layer, what=what)
        if len(layer) not in (2, 3):
            raise ValueError(f"layers[{i}]={layer!r} is not allowed; layers[{i}] must be {what}")
        k = check_int(f"layers[{i}] kernel_size", layer[0], minimum=1)
        s = check_int(f"layers[{i}] stride", layer[1], minimum=1)
        d = check_int(f"layers[{i}] dilation", layer[2], minimum=1) if len(layer) == 3 else 1
        # r_l = r_{l-1} + d (k - 1) j_{l-1};  j_l = j_{l-1} s
        r += d * (k - 1) * j
        j *= s
    return r, j


def conv2d_params(in_channels: int, out_channels: int, kernel_size: Pair, bias: bool = True) -> int:
    """Parameters of a Conv2d layer: `kh * kw * C_in * C_out + C_out` (the last term if bias)."""
    c_in = check_int("in_channels", in_channels, minimum=1)
    c_out = check_int("out_channels", out_channels, minimum=1)
    kh, kw = check_pair("kernel_size", kernel_size, minimum=1)
    check_bool("bias", bias)
    return kh * kw * c_in * c_out + (c_out if bias else 0)


def conv2d_macs(in_channels: int, out_channels: int, kernel_size: Pair, output_size: Pair) -> int:
    """Multiply-accumulates of a Conv2d layer for one image: `H_out W_out C_out C_in kh kw`.

    (The bias adds `H_out W_out C_out` additions, which are not counted, as in most tools.)
    """
    c_in = check_int("in_channels", in_channels, minimum=1)
    c_out = check_int("out_channels", out_channels, minimum=1)
    kh, kw = check_pair("kernel_size", kernel_size, minimum=1)
    oh, ow = check_pair("output_size", output_size, minimum=1)
    return oh * ow * c_out * c_in * kh * kw


# ---------------------------------------------------------------------------------------------
# Sliding windows: shared by convolution and pooling
# ---------------------------------------------------------------------------------------------

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


def _check_weight(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None):
    check_tensor("weight", weight, ndim=4, floating=True)
    if weight.shape[1] != x.shape[1]:
        raise ValueError(f"weight has in_channels={weight.shape[1]} (shape "
                         f"{tuple(weight.shape)}) but x has {x.shape[1]} channels (shape "
                         f"{tuple(x.shape)}); weight must be (out_channels, {x.shape[1]}, kh, kw)")
    if bias is not None:
        check_tensor("bias", bias, ndim=1)
        if bias.shape[0] != weight.shape[0]:
            raise ValueError(f"bias has shape {tuple(bias.shape)}; it must be "
                             f"({weight.shape[0]},), one value per output channel")


def conv2d_naive(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
                 stride: Pair = 1, padding: Pair = 0, dilation: Pair = 1) -> torch.Tensor:
    """Cross-correlation with explicit loops over the output pixels (slow; for teaching).

    x (N, C_in, H, W), weight (C_out, C_in, kh, kw), bias (C_out,) -> (N, C_out, H_out, W_out);
    `y[n, o, r, c] = b[o] + sum_{ch,i,j} w[o, ch, i, j] * x_pad[n, ch, r*s + i*d, c*s + j*d]`.
    """
    check_tensor("x", x, ndim=4, floating=True)
    _check_weight(x, weight, bias)
    k, s, p, d, (oh, ow) = _geometry(x, tuple(weight.shape[2:]), stride, padding, dilation)
    xp = _pad(x, p)  # (N, C_in, Hp, Wp)
    y = x.new_zeros((x.shape[0], weight.shape[0], oh, ow))  # (N, C_out, H_out, W_out)
    for r in range(oh):
        for c in range(ow):
            rows = slice(r * s[0], r * s[0] + d[0] * (k[0] - 1) + 1, d[0])
            cols = slice(c * s[1], c * s[1] + d[1] * (k[1] - 1) + 1, d[1])
            patch = xp[:, :, rows, cols]  # (N, C_in, kh, kw)
            # y[n, o] = sum_{ch, i, j} patch[n, ch, i, j] * w[o, ch, i, j]
            y[:, :, r, c] = (patch[:, None] * weight[None]).sum(dim=(2, 3, 4))  # (N, C_out)
    if bias is not None:
        y = y + bias[None, :, None, None]
    return y


def conv2d_im2col(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
                  stride: Pair = 1, padding: Pair = 0, dilation: Pair = 1) -> torch.Tensor:
    """Cross-correlation as one matrix multiply: `W (C_out, C_in*kh*kw) @ im2col(x)`.

    x (N, C_in, H, W), weight (C_out, C_in, kh, kw), bias (C_out,) -> (N, C_out, H_out, W_out).
    """
    check_tensor("x", x, ndim=4, floating=True)
    _check_weight(x, weight, bias)
    k, s, p, d, (oh, ow) = _geometry(x, tuple(weight.shape[2:]), stride, padding, dilation)
    cols = im2col(x, k, s, p, d)  # (N, C_in*kh*kw, L)
    w = weight.reshape(weight.shape[0], -1)  # (C_out, C_in*kh*kw)
    y = w @ cols  # (N, C_out, L)
    if bias is not None:
        y += bias[:, None]  # in place: y is a fresh tensor, and this saves a pass over memory
    return y.reshape(x.shape[0], weight.shape[0], oh, ow)  # (N, C_out, H_out, W_out)


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


# ---------------------------------------------------------------------------------------------
# Pooling
# ---------------------------------------------------------------------------------------------

def _pool_geometry(x: torch.Tensor, kernel_size, stride, padding):
    check_tensor("x", x, ndim=4, floating=True)
    k = check_pair("kernel_size", kernel_size, minimum=1)
    s = k if stride is None else check_pair("stride", stride, minimum=1)
    p = check_pair("padding", padding, minimum=0)
    out = pool_output_size(tuple(x.shape[2:]), k, s, p)
    return k, s, p, (1, 1), out


def max_pool2d(x: torch.Tensor, kernel_size: Pair, stride: Pair | None = None,
               padding: Pair = 0) -> torch.Tensor:
    """Max pooling: the largest value of each window; padding counts as -inf (never chosen).

    x (N, C, H, W) -> (N, C, H_out, W_out), sizes from `pool_output_size`.
    """
    k, s, p, d, out = _pool_geometry(x, kernel_size, stride, padding)
    windows = _windows(_pad(x, p, float("-inf")), k, s, d, out)  # (N, C, kh*kw, oh, ow)
    return windows.max(dim=2).values


def avg_pool2d(x: torch.Tensor, kernel_size: Pair, stride: Pair | None = None,
               padding: Pair = 0) -> torch.Tensor:
    """Average pooling: each window's sum / (kh*kw); zero padding is counted (PyTorch's default
    `count_include_pad=True`). x (N, C, H, W) -> (N, C, H_out, W_out)."""
    k, s, p, d, out = _pool_geometry(x, kernel_size, stride, padding)
    windows = _windows(_pad(x, p), k, s, d, out)  # (N, C, kh*kw, oh, ow)
    return windows.sum(dim=2) / (k[0] * k[1])


def _check_pool_grad(grad_output, x, out):
    check_tensor("grad_output", grad_output, ndim=4, floating=True)
    expected = (*x.shape[:2], *out)
    if tuple(grad_output.shape) != expected:
        raise ValueError(f"grad_output has shape {tuple(grad_output.shape)}; it must be the "
                         f"output shape {expected}")


def max_pool2d_backward(grad_output: torch.Tensor, x: torch.Tensor, kernel_size: Pair,
                        stride: Pair | None = None, padding: Pair = 0) -> torch.Tensor:
    """Gradient of `max_pool2d` w.r.t. x: each window sends its gradient to its maximum
    (the first one on ties, as PyTorch); overlapping windows add up. Returns (N, C, H, W)."""
    k, s, p, d, out = _pool_geometry(x, kernel_size, stride, padding)
    _check_pool_grad(grad_output, x, out)
    windows = _windows(_pad(x, p, float("-inf")), k, s, d, out)  # (N, C, kh*kw, oh, ow)
    winner = windows.argmax(dim=2, keepdim=True)  # (N, C, 1, oh, ow)
    routed = torch.zeros_like(windows).scatter_(2, winner, grad_output[:, :, None])
    return _fold(routed, x.shape, k, s, p, d, out)


def avg_pool2d_backward(grad_output: torch.Tensor, x: torch.Tensor, kernel_size: Pair,
                        stride: Pair | None = None, padding: Pair = 0) -> torch.Tensor:
    """Gradient of `avg_pool2d` w.r.t. x: every pixel of a window gets g / (kh*kw), including
    the padding, which is then cropped away. Returns (N, C, H, W)."""
    k, s, p, d, out = _pool_geometry(x, kernel_size, stride, padding)
    _check_pool_grad(grad_output, x, out)
    share = grad_output / (k[0] * k[1])  # (N, C, oh, ow)
    windows = share[:, :, None].expand(-1, -1, k[0] * k[1], -1, -1)  # (N, C, kh*kw, oh, ow)
    return _fold(windows, x.shape, k, s, p, d, out)

