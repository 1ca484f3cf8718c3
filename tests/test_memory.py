"""utils.memory: tensor sizes against PyTorch's own, and what autograd saves for backward
(on the CPU from the operations' known needs; on a GPU against the CUDA allocator)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from utils.memory import saved_tensors, tensor_bytes

DTYPES = [torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.int8,
          torch.int64, torch.bool]


@settings(max_examples=200)
@given(st.lists(st.integers(0, 6), max_size=4), st.sampled_from(DTYPES))
def test_tensor_bytes_matches_a_real_tensor(shape, dtype):
    assert tensor_bytes(shape, dtype) == torch.empty(shape, dtype=dtype).nbytes


def test_tensor_bytes_of_each_layer_output_is_what_the_layers_return():
    net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(8 * 8 * 8, 10))
    x = torch.randn(4, 3, 16, 16)
    for layer in net:
        x = layer(x)
        assert tensor_bytes(x.shape) == x.nbytes
    assert tensor_bytes(x.shape, torch.float64) == x.double().nbytes


def test_an_op_that_needs_its_output_saves_only_the_output():
    x = torch.randn(64, 32, requires_grad=True)
    with saved_tensors() as saved:
        y = x.exp()  # d exp(x) / dx = exp(x): backward needs the output, not x
    assert saved.shapes == [(64, 32)] and saved.bytes == y.nbytes


def test_a_product_saves_both_factors():
    a, b = torch.randn(10, 3, requires_grad=True), torch.randn(10, 3, requires_grad=True)
    with saved_tensors() as saved:
        (a * b).sum()
    assert saved.count == 2 and saved.bytes == a.nbytes + b.nbytes


def test_one_storage_saved_twice_counts_once():
    x = torch.randn(100, requires_grad=True)
    with saved_tensors() as saved:
        r = torch.relu(x)  # saves its output r
        r.view(10, 10).sin()  # saves its input: a view of r, another tensor on r's storage
    assert saved.count == 2 and saved.bytes == r.nbytes


def test_parameters_are_excluded_and_counted_apart():
    torch.manual_seed(0)
    layer = nn.Linear(20, 30)
    x = torch.randn(8, 20, requires_grad=True)  # its gradient needs the weight
    with saved_tensors(layer.parameters()) as saved:
        layer(x).sum()
    assert saved.bytes == x.nbytes  # the input; the weight is a parameter
    assert saved.excluded_bytes == layer.weight.nbytes


def test_max_pool_keeps_int64_indices():
    x = torch.randn(2, 4, 8, 8, requires_grad=True)
    with saved_tensors() as saved:
        y = F.max_pool2d(x, 2)
    assert torch.int64 in saved.dtypes
    assert saved.bytes == x.nbytes + y.numel() * 8  # the input, and one index per output


def test_nothing_is_saved_without_grad():
    x = torch.randn(5, 5)
    with saved_tensors() as saved:
        x.exp().sin()
    assert saved.count == 0 and saved.bytes == 0


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_saved_bytes_are_what_the_cuda_allocator_holds_after_the_forward_pass():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(32 * 8 * 8, 128)).cuda()
    x = torch.randn(16, 3, 32, 32, device="cuda")
    torch.cuda.synchronize()
    before = torch.cuda.memory_allocated()
    with saved_tensors(net.parameters()) as saved:
        y = net(x)
    torch.cuda.synchronize()
    held = torch.cuda.memory_allocated() - before
    # what stays allocated: the saved tensors (x excepted: it was there before) and the output
    assert held == saved.bytes - x.nbytes + y.nbytes


def test_meta_tensors_are_refused_with_the_reason():
    x = torch.empty(3, device="meta", requires_grad=True)
    with pytest.raises(ValueError, match="cannot count meta tensors"):
        with saved_tensors():
            x.exp()


@pytest.mark.parametrize("call, error, match", [
    (lambda: tensor_bytes(3), TypeError, r"shape=3 is not allowed"),
    (lambda: tensor_bytes((2, -1)), ValueError, r"shape\[1\]=-1 is not allowed"),
    (lambda: tensor_bytes((2,), "float32"), TypeError, r"dtype='float32' is not allowed"),
])
def test_bad_arguments_say_what_is_allowed(call, error, match):
    with pytest.raises(error, match=match):
        call()
