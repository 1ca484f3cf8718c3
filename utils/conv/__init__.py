"""Convolution and pooling from scratch, and the size formulas that go with them.

Sizes follow PyTorch (`nn.Conv2d`, `nn.ConvTranspose2d`, `nn.MaxPool2d`, `nn.AvgPool2d`);
tensors are `(N, C, H, W)`; `kernel_size`, `stride`, `padding` and `dilation` are an int or an
`(h, w)` pair. The from-scratch functions use indexing, slicing, arithmetic and `matmul` only,
never the `torch.nn.functional` op they re-implement; `tests/test_conv.py` checks each against it.

One module per topic, every name importable from `utils.conv`:
- `sizes`: output sizes, 'SAME' padding, receptive fields, parameter and MAC counts;
- `windows`: the sliding windows as columns, `im2col` (= `F.unfold`) and `col2im` (= `F.fold`);
- `conv2d`: the convolution by loops and by one matrix product (`groups` too), its backward;
- `transposed`: the transposed convolution as a scatter of the kernel, and a measure of the
  checkerboard pattern it can leave;
- `pooling`: max and average pooling and their backward.
"""

from .conv2d import conv2d_backward, conv2d_im2col, conv2d_naive
from .pooling import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward
from .sizes import (
    Pair,
    conv2d_macs,
    conv2d_params,
    conv_output_size,
    conv_transpose_output_size,
    pool_output_size,
    receptive_field,
    same_padding,
)
from .transposed import checkerboard_score, conv_transpose2d
from .windows import col2im, im2col

__all__ = [
    "Pair", "avg_pool2d", "avg_pool2d_backward", "checkerboard_score", "col2im",
    "conv2d_backward", "conv2d_im2col", "conv2d_macs", "conv2d_naive", "conv2d_params",
    "conv_output_size", "conv_transpose2d", "conv_transpose_output_size", "im2col",
    "max_pool2d", "max_pool2d_backward", "pool_output_size", "receptive_field", "same_padding",
]
