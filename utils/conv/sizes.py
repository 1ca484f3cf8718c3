"""Size formulas (one spatial dimension; a pair argument gives an (h, w) pair back), receptive
fields, and the parameters and multiply-accumulates of a convolution layer."""

from __future__ import annotations

from collections.abc import Sequence

from .._checks import check_bool, check_int, check_pair, check_sequence

Pair = int | tuple[int, int]


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


def _divisors(n: int) -> list[int]:
    return [g for g in range(1, n + 1) if n % g == 0]


def check_groups(groups, in_channels: int, out_channels: int) -> int:
    """`groups` as an int that divides both channel counts; the error lists the allowed values.

    `groups=g` splits the input and output channels into g blocks, and block i of the output
    sees only block i of the input: each output channel reads C_in / g input channels.
    """
    g = check_int("groups", groups, minimum=1)
    for name, channels in (("in_channels", in_channels), ("out_channels", out_channels)):
        if channels % g:
            allowed = [d for d in _divisors(in_channels) if out_channels % d == 0]
            raise ValueError(f"groups={g} is not allowed: {name}={channels} is not divisible "
                             f"by {g}; groups must divide both in_channels ({in_channels}) and "
                             f"out_channels ({out_channels}): one of "
                             f"{', '.join(map(str, allowed))}")
    return g


def conv2d_params(in_channels: int, out_channels: int, kernel_size: Pair, bias: bool = True,
                  groups: int = 1) -> int:
    """Parameters of a Conv2d layer: `kh * kw * (C_in / groups) * C_out + C_out` (the last term
    if bias). With `groups=g` each output channel has a kernel over C_in / g channels only."""
    c_in = check_int("in_channels", in_channels, minimum=1)
    c_out = check_int("out_channels", out_channels, minimum=1)
    kh, kw = check_pair("kernel_size", kernel_size, minimum=1)
    check_bool("bias", bias)
    g = check_groups(groups, c_in, c_out)
    # weight (C_out, C_in / g, kh, kw), bias (C_out,)
    return kh * kw * (c_in // g) * c_out + (c_out if bias else 0)


def conv2d_macs(in_channels: int, out_channels: int, kernel_size: Pair, output_size: Pair,
                groups: int = 1) -> int:
    """Multiply-accumulates of a Conv2d layer for one image: `H_out W_out C_out (C_in / groups)
    kh kw`, one per weight per output position.

    (The bias adds `H_out W_out C_out` additions, which are not counted, as in most tools.)
    """
    c_in = check_int("in_channels", in_channels, minimum=1)
    c_out = check_int("out_channels", out_channels, minimum=1)
    kh, kw = check_pair("kernel_size", kernel_size, minimum=1)
    oh, ow = check_pair("output_size", output_size, minimum=1)
    g = check_groups(groups, c_in, c_out)
    return oh * ow * c_out * (c_in // g) * kh * kw
