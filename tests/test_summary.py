import pytest
import torch
import torchvision.models as tvm
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import utils
from utils.summary import Summary, count_params, layer_macs, summary

# Published parameter and MAC counts at 224x224 (batch 1): conv and linear layers only.
REFERENCE = {
    "alexnet": (tvm.alexnet, 61_100_840, 714_188_480),
    "vgg16": (tvm.vgg16, 138_357_544, 15_470_264_320),
    "googlenet": (lambda: tvm.googlenet(aux_logits=False, init_weights=False),
                  6_624_904, 1_498_376_192),
    "resnet18": (tvm.resnet18, 11_689_512, 1_814_073_344),
    "resnet50": (tvm.resnet50, 25_557_032, 4_089_184_256),
}


def flop_counter_macs(model: nn.Module, x: torch.Tensor) -> int:
    with FlopCounterMode(display=False) as counter:
        model(x)
    flops = counter.get_total_flops()
    assert flops % 2 == 0
    return flops // 2


@pytest.mark.parametrize("name", list(REFERENCE))
def test_reference_models_match_published_counts_and_flop_counter(name):
    ctor, params, macs = REFERENCE[name]
    with torch.device("meta"):
        model = ctor()
    s = summary(model, (1, 3, 224, 224), verbose=False)
    assert s.total_params == params == sum(p.numel() for p in model.parameters())
    assert s.total_macs == macs
    assert sum(r.params for r in s.rows) == params and s.uncalled_params == 0
    # FlopCounterMode also works on meta tensors; for these nets every FLOP is conv or matmul
    assert 2 * s.total_macs == 2 * flop_counter_macs(model.eval(), torch.zeros(1, 3, 224, 224,
                                                                               device="meta"))


def test_utils_summary_is_the_module_and_its_function_is_summary_summary():
    """`utils.summary` names the module (a function of that name would hide it)."""
    import subprocess
    import sys
    import types
    assert isinstance(utils.summary, types.ModuleType)
    assert utils.summary.summary(nn.Linear(3, 4), (2, 3), verbose=False).total_macs == 24
    # `import a.b as c` binds c = a.b, the attribute: it must be the module, not a function
    code = ("import utils.summary as s, torch; "
            "assert s.count_params(torch.nn.Linear(3, 4)) == 16; "
            "assert s.summary(torch.nn.Linear(3, 4), (1, 3), verbose=False).total_params == 16")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_count_params_matches_the_sum_over_parameters():
    for name in REFERENCE:
        ctor, params, _ = REFERENCE[name]
        with torch.device("meta"):  # shapes only: counting needs no values
            model = ctor()
        assert count_params(model) == params == sum(p.numel() for p in model.parameters())
        assert utils.count_params is count_params


def test_count_params_counts_a_shared_tensor_once_and_can_skip_frozen_ones():
    embed, out = nn.Embedding(10, 4), nn.Linear(4, 10, bias=False)
    out.weight = embed.weight  # tied weights, as in language models: one tensor of 40
    model = nn.Sequential(embed, out, nn.Linear(10, 3))
    assert count_params(model) == 40 + 33
    assert sum(p.numel() for m in model for p in m.parameters()) == 40 + 40 + 33  # the naive sum
    model[2].weight.requires_grad_(False)
    assert count_params(model, trainable_only=True) == 40 + 3
    assert count_params(model, False) == 73


def test_count_params_rejects_bad_arguments():
    with pytest.raises(TypeError, match="module must be a torch.nn.Module, got list"):
        count_params([nn.Linear(2, 2)])
    with pytest.raises(TypeError, match="trainable_only=1 is not allowed; .* True or False"):
        count_params(nn.Linear(2, 2), trainable_only=1)


conv_cases = st.fixed_dictionaries({
    "dim": st.sampled_from([1, 2, 3]),
    "groups": st.sampled_from([1, 2, 4]),
    "c_in_per_group": st.integers(1, 3),
    "c_out_per_group": st.integers(1, 3),
    "kernel_size": st.integers(1, 4),
    "stride": st.integers(1, 3),
    "padding": st.integers(0, 2),
    "dilation": st.integers(1, 2),
    "bias": st.booleans(),
    "batch": st.integers(1, 3),
    "size": st.integers(7, 11),
    "transposed": st.booleans(),
})


@settings(max_examples=150)
@given(conv_cases)
def test_conv_macs_are_half_the_flop_counter(c):
    dim = c["dim"]
    cls = {(1, False): nn.Conv1d, (2, False): nn.Conv2d, (3, False): nn.Conv3d,
           (1, True): nn.ConvTranspose1d, (2, True): nn.ConvTranspose2d,
           (3, True): nn.ConvTranspose3d}[(dim, c["transposed"])]
    size = c["size"] if dim < 3 else min(c["size"], 8)
    layer = cls(c["c_in_per_group"] * c["groups"], c["c_out_per_group"] * c["groups"],
                c["kernel_size"], stride=c["stride"], padding=c["padding"],
                dilation=c["dilation"], groups=c["groups"], bias=c["bias"])
    shape = (c["batch"], layer.in_channels, *[size] * dim)
    s = summary(layer, shape, verbose=False)
    assert s.total_macs == flop_counter_macs(layer, torch.randn(shape))
    assert s.total_params == sum(p.numel() for p in layer.parameters())
    assert s.rows[0].output_shape == tuple(layer(torch.randn(shape)).shape)


@settings(max_examples=60)
@given(st.integers(1, 20), st.integers(1, 20), st.lists(st.integers(1, 4), max_size=3),
       st.booleans())
def test_linear_macs_are_half_the_flop_counter(in_features, out_features, lead, bias):
    layer = nn.Linear(in_features, out_features, bias=bias)
    shape = (*lead, in_features)
    s = summary(layer, shape, verbose=False)
    assert s.total_macs == flop_counter_macs(layer, torch.randn(shape))
    assert s.rows[0].macs == s.total_macs and s.rows[0].output_shape == (*lead, out_features)


def test_small_cnn_rows_names_shapes_params_and_macs():
    model = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(6 * 14 * 14, 10))
    s = summary(model, (4, 1, 28, 28), verbose=False)
    assert [r.name for r in s.rows] == ["0", "1", "2", "3", "4"]
    assert [r.type for r in s.rows] == ["Conv2d", "ReLU", "MaxPool2d", "Flatten", "Linear"]
    assert s.rows[0].output_shape == (4, 6, 28, 28) and s.rows[-1].output_shape == (4, 10)
    assert [r.params for r in s.rows] == [6 * 25 + 6, 0, 0, 0, 6 * 14 * 14 * 10 + 10]
    # conv: 4 images * 6 maps * 28*28 positions * 25 taps; linear: 4 * 1176 * 10
    assert s.rows[0].macs == 4 * 6 * 28 * 28 * 25 and s.rows[-1].macs == 4 * 1176 * 10
    assert s.total_macs == flop_counter_macs(model, torch.randn(4, 1, 28, 28))


class Shared(nn.Module):
    """A layer called twice, a tied weight, a frozen layer, an unused layer, a tuple output."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(3))  # owned directly by the model
        self.conv = nn.Conv2d(3, 3, 3, padding=1)
        self.act = nn.ReLU()
        self.encoder = nn.Linear(3, 5)
        self.mirror = nn.Linear(3, 5)
        self.mirror.weight = self.encoder.weight  # tied: one parameter, two layers
        self.decoder = nn.Linear(5, 3)
        self.frozen = nn.Linear(3, 3)
        self.frozen.requires_grad_(False)
        self.head = nn.Linear(3, 2)
        self.unused = nn.Linear(100, 100)

    def forward(self, x):  # (N, 3, H, W)
        x = self.act(self.conv(x)) * self.scale[:, None, None]
        x = self.act(self.conv(x))  # the same conv and activation again
        v = x.mean(dim=(2, 3))  # (N, 3)
        v = self.frozen(self.decoder(self.encoder(v) + self.mirror(v)))
        return self.head(v), v


def test_repeated_calls_tied_frozen_and_unused_parameters():
    model = Shared()
    s = summary(model, (2, 3, 8, 8), verbose=False)
    total = sum(p.numel() for p in model.parameters())
    assert s.total_params == total
    assert s.trainable_params == total - 12  # the frozen 3x3 layer with bias
    assert s.uncalled_params == 100 * 100 + 100
    assert sum(r.params for r in s.rows) + s.uncalled_params == total
    conv_rows = [r for r in s.rows if r.name == "conv"]
    assert len(conv_rows) == 2 and conv_rows[0].params == 84 and conv_rows[1].params == 0
    assert conv_rows[0].macs == conv_rows[1].macs == 2 * 3 * 8 * 8 * 27
    mirror = next(r for r in s.rows if r.name == "mirror")
    assert mirror.params == 5 and mirror.macs == 2 * 3 * 5  # the tied weight counted once
    assert s.rows[-1].name == "(model)" and s.rows[-1].params == 3  # owns `scale`
    assert s.rows[-1].output_shape == [(2, 2), (2, 3)]
    assert s.total_macs == flop_counter_macs(model, torch.randn(2, 3, 8, 8))


def test_model_weights_device_and_training_flags_are_left_alone():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Dropout(0.5))
    model[2].eval()  # a mixed state must be restored exactly
    before = {k: v.clone() for k, v in model.state_dict().items()}
    s = summary(model, (1, 3, 6, 6), verbose=False)
    assert [m.training for m in model.modules()] == [True, True, True, False]
    after = model.state_dict()
    assert all(after[k].device.type == "cpu" and torch.equal(after[k], v)
               for k, v in before.items())
    assert s.rows[0].output_shape == (1, 4, 4, 4)
    rows = len(s.rows)
    model(torch.zeros(1, 3, 6, 6))
    assert len(s.rows) == rows  # the hooks are gone: a later forward pass records nothing


def test_device_none_runs_real_arithmetic_with_the_same_result():
    model = tvm.resnet18(num_classes=10)
    a = summary(model, (1, 3, 64, 64), verbose=False)
    b = summary(model, (1, 3, 64, 64), device=None, verbose=False)
    assert a.rows == b.rows and a.total_macs == b.total_macs > 0


def test_embedding_with_long_input():
    model = nn.Sequential(nn.Embedding(50, 8), nn.Flatten(), nn.Linear(8 * 7, 4))
    s = summary(model, (3, 7), dtype=torch.long, verbose=False)
    assert s.rows[0].output_shape == (3, 7, 8) and s.total_macs == 3 * 56 * 4
    assert s.total_params == 50 * 8 + 56 * 4 + 4


def test_table_printing(capsys):
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.Flatten(), nn.Linear(8 * 30 * 30, 10))
    s = summary(model, (1, 3, 32, 32))
    printed = capsys.readouterr().out
    assert printed.strip() == str(s).strip()
    for text in ["Layer", "Type", "Output shape", "Params", "MACs", "Conv2d", "(1, 8, 30, 30)",
                 f"Total params:     {s.total_params:,}", f"Total MACs:       {s.total_macs:,}"]:
        assert text in printed
    summary(model, (1, 3, 32, 32), verbose=False)
    assert capsys.readouterr().out == ""
    assert repr(s).startswith("Summary(input_size=(1, 3, 32, 32), layers=3")
    assert isinstance(s, Summary)


def test_layer_macs_is_zero_for_other_layers():
    x = torch.randn(2, 3, 4, 4)
    for layer in [nn.ReLU(), nn.BatchNorm2d(3), nn.MaxPool2d(2), nn.Dropout()]:
        assert layer_macs(layer, (x,), layer(x)) == 0


@pytest.mark.parametrize("bad, error, match", [
    (0, TypeError, "input_size=0 is not allowed; input_size must be a non-empty sequence"),
    ("abc", TypeError, "input_size='abc'"),
    ((), ValueError, r"input_size=\(\) is not allowed"),
    ((1, 0, 4), ValueError, r"input_size\[1\]=0"),
    ((1, 2.5), TypeError, r"input_size\[1\]=2.5"),
])
def test_bad_input_size(bad, error, match):
    with pytest.raises(error, match=match):
        summary(nn.Linear(2, 2), bad, verbose=False)
    assert summary(nn.Linear(2, 2), [1, 2], verbose=False).input_size == (1, 2)  # a list is fine


def test_model_must_be_a_module():
    with pytest.raises(TypeError, match="model must be a torch.nn.Module, got function"):
        summary(lambda x: x, (1, 2), verbose=False)
