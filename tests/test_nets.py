import pytest
import torch
import torchvision.models as tvm
from torch import nn

from utils import nets
from utils.summary import summary

# ------------------------------------------------------------------------------------------------
# Classic CNN architectures
# ------------------------------------------------------------------------------------------------

# (ours, torchvision's, input side): inputs as small as each architecture allows, to keep the
# test quick; the adaptive pools make the parameter shapes independent of the input size.
REFERENCE_PAIRS = {
    "alexnet": (lambda: nets.alexnet(num_classes=7), lambda: tvm.alexnet(num_classes=7), 64),
    **{f"{name}{'_bn' if bn else ''}": (
        lambda name=name, bn=bn: nets.vgg(name, batch_norm=bn, num_classes=7),
        lambda name=name, bn=bn: getattr(tvm, f"{name}{'_bn' if bn else ''}")(num_classes=7),
        32) for name in ("vgg11", "vgg13", "vgg16", "vgg19") for bn in (False, True)},
    "googlenet": (lambda: nets.googlenet(num_classes=7),
                  lambda: tvm.googlenet(num_classes=7, aux_logits=False, transform_input=False,
                                        init_weights=False), 32),
    **{f"resnet{d}": (lambda d=d: nets.resnet(d, num_classes=7),
                      lambda d=d: getattr(tvm, f"resnet{d}")(num_classes=7), 32)
       for d in (18, 34, 50, 101, 152)},
}


def _random_weights(model: nn.Module, seed: int = 1) -> nn.Module:
    """Materialise a meta-device model on the CPU with random weights of a sensible scale.

    He-scaled weights (std sqrt(2 / fan_in)) keep the activations of deep nets O(1), so the
    comparison of outputs is not between two vanishing numbers; BatchNorm layers get
    non-trivial statistics and affine parameters (fresh ones are 0 and 1, hiding mistakes).
    Cheaper than torchvision's own initialisation of 100M+ parameters.
    """
    g = torch.Generator().manual_seed(seed)
    model.to_empty(device="cpu")
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                fan_in = m.weight[0].numel()
                m.weight.normal_(0, (2 / fan_in) ** 0.5, generator=g)
                if m.bias is not None:
                    m.bias.normal_(0, 0.1, generator=g)
            elif isinstance(m, nn.BatchNorm2d):
                m.running_mean.normal_(0, 0.1, generator=g)
                m.running_var.uniform_(0.5, 1.5, generator=g)
                m.weight.normal_(1, 0.1, generator=g)
                m.bias.normal_(0, 0.1, generator=g)
                m.num_batches_tracked.zero_()
    return model


@pytest.mark.parametrize("name", list(REFERENCE_PAIRS))
def test_torchvision_weights_copy_in_by_position_and_outputs_agree(name):
    ours_fn, theirs_fn, side = REFERENCE_PAIRS[name]
    with torch.device("meta"):  # build without initialising: the weights come from below
        ours, theirs = ours_fn(), theirs_fn()
    _random_weights(theirs)
    ours_shapes = [tuple(t.shape) for t in ours.state_dict().values()]
    theirs_shapes = [tuple(t.shape) for t in theirs.state_dict().values()]
    assert ours_shapes == theirs_shapes
    assert [tuple(p.shape) for p in ours.parameters()] == \
        [tuple(p.shape) for p in theirs.parameters()]
    ours.to_empty(device="cpu")
    nets.load_weights_by_position(ours, theirs)
    ours.eval()
    theirs.eval()
    x = torch.randn(2, 3, side, side, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = theirs(x)
        got = ours(x)
    assert got.shape == (2, 7)
    assert expected.abs().max() > 0.1  # not a comparison of two vanishing outputs
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4 * expected.abs().max())


REFERENCE_COUNTS = {  # published at 224x224, 1000 classes; MACs of conv and linear layers
    "alexnet": (lambda: nets.alexnet(), 61_100_840, 714_188_480),
    "vgg16": (lambda: nets.vgg("vgg16"), 138_357_544, 15_470_264_320),
    "googlenet": (lambda: nets.googlenet(), 6_624_904, 1_498_376_192),
    "resnet18": (lambda: nets.resnet(18), 11_689_512, 1_814_073_344),
    "resnet50": (lambda: nets.resnet(50), 25_557_032, 4_089_184_256),
}


@pytest.mark.parametrize("name", list(REFERENCE_COUNTS))
def test_reference_parameter_and_mac_counts(name):
    ctor, params, macs = REFERENCE_COUNTS[name]
    with torch.device("meta"):
        model = ctor()
    s = summary(model, (1, 3, 224, 224), verbose=False)
    assert (s.total_params, s.total_macs) == (params, macs)
    assert s.rows[-1].output_shape == (1, 1000)


def test_vgg_configurations_have_the_published_depths():
    for name, layers in {"vgg11": 11, "vgg13": 13, "vgg16": 16, "vgg19": 19}.items():
        with torch.device("meta"):
            model = nets.vgg(name)
        weighted = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
        assert len(weighted) == layers
        assert all(m.kernel_size == (3, 3) for m in weighted if isinstance(m, nn.Conv2d))


def test_googlenet_paper_five_by_five_adds_exactly_the_extra_kernel_weights():
    with torch.device("meta"):
        ours, paper = nets.googlenet(), nets.googlenet(five_by_five=True)
    extra = sum((25 - 9) * red * out for _, _, _, _, red, out, _ in
                nets.GOOGLENET_INCEPTIONS.values())
    count = lambda m: sum(p.numel() for p in m.parameters())
    assert count(paper) - count(ours) == extra
    x = torch.randn(1, 3, 64, 64)
    assert paper.eval()(x.to("meta")).shape == (1, 1000)


@pytest.mark.parametrize("stride, c_in, c_out", [(1, 8, 8), (2, 8, 16), (1, 8, 16), (2, 8, 8)])
def test_basic_block_shapes_and_shortcut(stride, c_in, c_out):
    block = nets.BasicBlock(c_in, c_out, stride)
    has_projection = stride != 1 or c_in != c_out
    assert (block.shortcut is not None) == has_projection
    x = torch.randn(2, c_in, 9, 9)
    out = block(x)
    assert out.shape == (2, c_out, 5 if stride == 2 else 9, 5 if stride == 2 else 9)
    assert (out >= 0).all()
    plain = nets.BasicBlock(c_in, c_out, stride, residual=False)
    assert plain.shortcut is None


def test_basic_block_computes_relu_of_residual_plus_shortcut():
    torch.manual_seed(0)
    block = nets.BasicBlock(4, 4).eval()
    x = torch.randn(3, 4, 6, 6)
    f = block.bn2(block.conv2(torch.relu(block.bn1(block.conv1(x)))))
    torch.testing.assert_close(block(x), torch.relu(f + x))
    plain = nets.BasicBlock(4, 4, residual=False).eval()
    plain.load_state_dict(block.state_dict())
    torch.testing.assert_close(plain(x), torch.relu(f))


def test_bottleneck_shapes_and_parameter_count():
    block = nets.Bottleneck(256, 64)
    assert block.shortcut is None  # 256 in, 4 * 64 out, stride 1: identity
    # 1x1 256->64, 3x3 64->64, 1x1 64->256 (no biases) + three BatchNorms (2 per channel)
    expected = 256 * 64 + 9 * 64 * 64 + 64 * 256 + 2 * (64 + 64 + 256)
    assert sum(p.numel() for p in block.parameters()) == expected
    down = nets.Bottleneck(256, 128, stride=2)
    assert down(torch.randn(1, 256, 8, 8)).shape == (1, 512, 4, 4)
    assert isinstance(down.shortcut[0], nn.Conv2d) and down.shortcut[0].stride == (2, 2)


@pytest.mark.parametrize("depth", [8, 14, 20])
def test_cifar_resnet_depth_counts_weighted_layers(depth):
    for residual in (True, False):
        model = nets.cifar_resnet(depth, residual=residual, width=4)
        convs = [m for m in model.modules() if isinstance(m, nn.Conv2d) and m.kernel_size != (1, 1)]
        linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
        assert len(convs) + len(linears) == depth
        assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)
    plain = nets.cifar_resnet(depth, residual=False, width=4)
    assert not any(isinstance(m, nn.Conv2d) and m.kernel_size == (1, 1) for m in plain.modules())


@pytest.mark.parametrize("ctor", [nets.cifar_cnn, nets.cifar_vgg,
                                  lambda num_classes: nets.cifar_resnet(num_classes=num_classes)])
def test_cifar_models_map_32x32_rgb_to_logits(ctor):
    model = ctor(num_classes=10)
    out = model(torch.randn(4, 3, 32, 32))
    assert out.shape == (4, 10)
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())


@pytest.mark.parametrize("image_size", [8, 16, 32, 40])
def test_cifar_cnn_image_size(image_size):
    model = nets.cifar_cnn(num_classes=5, width=4, image_size=image_size)
    assert model(torch.randn(2, 3, image_size, image_size)).shape == (2, 5)
    assert model[-1].in_features == 16 * (image_size // 8) ** 2


def test_load_weights_by_position_copies_and_reports_mismatches():
    a, b = nets.cifar_cnn(width=4), nets.cifar_cnn(width=4)
    nets.load_weights_by_position(a, b.state_dict())
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(),
                                                 b.state_dict().values()))
    with pytest.raises(ValueError, match="source has 8 tensors but model has 14"):
        nets.load_weights_by_position(nets.cifar_vgg(width=4, batch_norm=False), a)
    with pytest.raises(ValueError, match=r"tensor 0: model's 0.weight has shape \(8, 3, 3, 3\)"):
        nets.load_weights_by_position(nets.cifar_cnn(width=8), a)
    with pytest.raises(TypeError, match="source must be a torch.nn.Module or a state dict"):
        nets.load_weights_by_position(a, [1, 2])


@pytest.mark.parametrize("call, error, match", [
    (lambda: nets.vgg("vgg15"), ValueError,
     "name='vgg15' is not allowed; choose one of 'vgg11', 'vgg13', 'vgg16', 'vgg19'"),
    (lambda: nets.vgg("vgg16", batch_norm=1), TypeError, "batch_norm=1"),
    (lambda: nets.resnet(20), ValueError,
     "depth=20 is not allowed; choose one of 18, 34, 50, 101, 152"),
    (lambda: nets.alexnet(num_classes=0), ValueError, "num_classes=0"),
    (lambda: nets.googlenet(num_classes=2.0), TypeError, "num_classes=2.0"),
    (lambda: nets.googlenet(five_by_five="yes"), TypeError, "five_by_five='yes'"),
    (lambda: nets.cifar_resnet(21), ValueError, r"depth=21 is not allowed; depth must be 6n \+ 2"),
    (lambda: nets.cifar_resnet(2), ValueError, "depth=2 is not allowed"),
    (lambda: nets.cifar_resnet(20, width=0), ValueError, "width=0"),
    (lambda: nets.cifar_cnn(width=-1), ValueError, "width=-1"),
    (lambda: nets.cifar_cnn(image_size=20), ValueError, "image_size=20 is not allowed"),
    (lambda: nets.cifar_cnn(image_size=4), ValueError, "image_size=4"),
    (lambda: nets.BasicBlock(4, 4, stride=0), ValueError, "stride=0"),
    (lambda: nets.Bottleneck(4, 0), ValueError, "width=0"),
    (lambda: nets.ResNet(nets.BasicBlock, (1, 1), (8,)), ValueError, "same length"),
    (lambda: nets.ResNet(nets.BasicBlock, (1,), (8,), stem="tiny"), ValueError, "stem='tiny'"),
])
def test_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


OLD_PUBLIC_NAMES = [  # what utils/nets.py offered before it became a package
    "dense_classifier", "small_cnn", "lenet5", "AlexNet", "alexnet", "VGG_CONFIGS",
    "vgg_features", "VGG", "vgg", "ConvBNReLU", "Inception", "GOOGLENET_INCEPTIONS",
    "GoogLeNet", "googlenet", "BasicBlock", "Bottleneck", "ResNet", "RESNET_DEPTHS", "resnet",
    "cifar_resnet", "cifar_cnn", "cifar_vgg", "load_weights_by_position"]


def test_every_public_name_is_still_importable_from_utils_nets():
    missing = [name for name in OLD_PUBLIC_NAMES if not hasattr(nets, name)]
    assert missing == []
    assert sorted(nets.__all__) == sorted(OLD_PUBLIC_NAMES)


@pytest.mark.parametrize("make, name", [
    (lambda: nets.vgg("vgg11", batch_norm="yes"), "batch_norm"),
    (lambda: nets.cifar_vgg(batch_norm=1), "batch_norm"),
    (lambda: nets.googlenet(five_by_five=0), "five_by_five"),
    (lambda: nets.BasicBlock(4, 4, residual=None), "residual"),
    (lambda: nets.Bottleneck(4, 1, residual=1), "residual"),
])
def test_boolean_arguments_share_one_wording(make, name):
    with pytest.raises(TypeError, match=rf"{name}=.* is not allowed; {name} must be True or False"):
        make()
