import copy

import pytest
import torch
import torch.nn.functional as F
import torchvision.models as tvm
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from utils import nets
from utils.nets import MLPBlock, ParallelMLPs, ResidualMLP, residual_mlp
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
NEW_PUBLIC_NAMES = ["MLPBlock", "ResidualMLP", "residual_mlp", "ParallelMLPs"]  # utils.nets.mlp


def test_every_public_name_is_still_importable_from_utils_nets():
    missing = [name for name in OLD_PUBLIC_NAMES if not hasattr(nets, name)]
    assert missing == []
    assert sorted(nets.__all__) == sorted(OLD_PUBLIC_NAMES + NEW_PUBLIC_NAMES)


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


# ------------------------------------------------------------------------------------------------
# Residual MLPs and ParallelMLPs (the degradation experiment of "ResNets and training small CNNs")
# ------------------------------------------------------------------------------------------------



def _mlps(k, depth, in_features, width, residual, seed=0, dtype=torch.float64):
    """k residual MLPs with different random weights and non-trivial batch-norm parameters."""
    torch.manual_seed(seed)
    models = [residual_mlp(depth, in_features, width=width, num_classes=3,
                           residual=residual).to(dtype) for _ in range(k)]
    with torch.no_grad():
        for m in models:
            for bn in m.modules():
                if isinstance(bn, nn.BatchNorm1d):
                    bn.weight.normal_(1, 0.2)
                    bn.bias.normal_(0, 0.2)
                    bn.running_mean.normal_(0, 0.3)
                    bn.running_var.uniform_(0.5, 1.5)
    return models


@pytest.mark.parametrize("depth", [2, 4, 8, 16])
def test_residual_mlp_depth_counts_linear_layers(depth):
    for residual in (True, False):
        model = residual_mlp(depth, 12, width=5, residual=residual)
        assert sum(isinstance(m, nn.Linear) for m in model.modules()) == depth
        assert model(torch.randn(4, 3, 2, 2)).shape == (4, 10)  # (N, *) is flattened
        assert all(b.residual == residual for b in model.blocks)


def test_mlp_block_computes_relu_of_residual_plus_input():
    torch.manual_seed(0)
    block = MLPBlock(6).double().eval()
    x = torch.randn(5, 6, dtype=torch.float64)
    f = block.bn2(block.fc2(torch.relu(block.bn1(block.fc1(x)))))
    torch.testing.assert_close(block(x), torch.relu(f + x))
    plain = MLPBlock(6, residual=False).double().eval()
    plain.load_state_dict(block.state_dict())
    torch.testing.assert_close(plain(x), torch.relu(f))


def test_residual_mlp_is_he_initialised():
    torch.manual_seed(0)
    model = residual_mlp(12, 400, width=400)
    for m in [model.stem[0], model.blocks[0].fc1, model.blocks[-1].fc2]:
        std = m.weight.std().item()
        assert abs(std - (2 / m.in_features) ** 0.5) < 0.05 * std  # kaiming_normal_, fan_in


@settings(max_examples=25)
@given(k=st.integers(1, 4), blocks=st.integers(0, 3), width=st.integers(1, 6),
       residual=st.booleans(), n=st.integers(2, 7), per_model=st.booleans(),
       training=st.booleans(), seed=st.integers(0, 10_000))
def test_parallel_forward_equals_each_model(k, blocks, width, residual, n, per_model,
                                            training, seed):
    models = _mlps(k, 2 * blocks + 2, 5, width, residual, seed)
    alone = [copy.deepcopy(m).train(training) for m in models]
    parallel = ParallelMLPs(models).train(training)
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(k, n, 5, generator=g, dtype=torch.float64)
    out = parallel(x if per_model else x[0])
    assert out.shape == (k, n, 3)
    for i, m in enumerate(alone):
        torch.testing.assert_close(out[i], m(x[i] if per_model else x[0]), rtol=1e-10,
                                   atol=1e-10)
        model_i = parallel.model(i)  # running statistics updated as the model's own
        for (name, a), b in zip(model_i.state_dict().items(), m.state_dict().values()):
            torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10, msg=name)


@settings(max_examples=15)
@given(k=st.integers(1, 4), blocks=st.integers(0, 2), residual=st.booleans(),
       seed=st.integers(0, 10_000))
def test_parallel_gradients_equal_each_models_own(k, blocks, residual, seed):
    models = _mlps(k, 2 * blocks + 2, 4, 3, residual, seed)
    alone = [copy.deepcopy(m) for m in models]
    parallel = ParallelMLPs(models)
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(k, 6, 4, generator=g, dtype=torch.float64)
    y = torch.randint(0, 3, (k, 6), generator=g)
    out = parallel(x)
    sum(F.cross_entropy(out[i], y[i]) for i in range(k)).backward()
    for i, m in enumerate(alone):
        F.cross_entropy(m(x[i]), y[i]).backward()
        for name, p in m.named_parameters():
            key = parallel._key(name.rsplit(".", 1)[0], name.rsplit(".", 1)[1])
            torch.testing.assert_close(parallel.weights[key].grad[i], p.grad, rtol=1e-9,
                                       atol=1e-12, msg=name)


def test_parallel_sgd_with_loss_weighted_by_lr_equals_each_model_at_its_lr():
    """SGD with momentum is linear in the gradient: weighting model k's loss by lr_k under
    lr = 1 moves it as lr_k does alone, step schedule included."""
    k, steps = 4, 12
    models = _mlps(k, 6, 5, 4, residual=True, seed=3)
    alone = [copy.deepcopy(m) for m in models]
    parallel = ParallelMLPs(models)
    lrs = torch.tensor([0.01, 0.03, 0.1, 0.3], dtype=torch.float64)
    opt = torch.optim.SGD(parallel.parameters(), lr=1.0, momentum=0.9)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, [6, 9], gamma=0.1)
    opts = [torch.optim.SGD(m.parameters(), lr=lr.item(), momentum=0.9) for m, lr in
            zip(alone, lrs)]
    scheds = [torch.optim.lr_scheduler.MultiStepLR(o, [6, 9], gamma=0.1) for o in opts]
    g = torch.Generator().manual_seed(0)
    for _ in range(steps):
        x = torch.randn(k, 8, 5, generator=g, dtype=torch.float64)
        y = torch.randint(0, 3, (k, 8), generator=g)
        out = parallel(x)
        per_model = F.cross_entropy(out.transpose(1, 2), y, reduction="none").mean(1)  # (K,)
        opt.zero_grad()
        (lrs * per_model).sum().backward()
        opt.step()
        sched.step()
        for i, (m, o, s) in enumerate(zip(alone, opts, scheds)):
            o.zero_grad()
            F.cross_entropy(m(x[i]), y[i]).backward()
            o.step()
            s.step()
    for i, m in enumerate(alone):
        for (name, a), b in zip(parallel.model(i).state_dict().items(),
                                m.state_dict().values()):
            torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-12, msg=name)


def test_a_parallel_batch_norm_over_the_wrong_axis_is_caught(monkeypatch):
    """The comparison above can fail: statistics pooled over all K models differ."""
    models = _mlps(3, 4, 5, 4, residual=True, seed=1)
    alone = [copy.deepcopy(m) for m in models]
    parallel = ParallelMLPs(models)

    def pooled(h, name):  # one set of statistics for every model: the wrong axis
        k, n, c = h.shape
        bn = parallel._param(name, "weight")
        flat = h.reshape(k * n, c)
        out = F.batch_norm(flat, None, None, training=True, eps=1e-5)
        return out.reshape(k, n, c) * bn.unsqueeze(1) + parallel._param(name, "bias").unsqueeze(1)

    monkeypatch.setattr(parallel, "_batch_norm", pooled)
    x = torch.randn(3, 6, 5, dtype=torch.float64) * torch.tensor([1.0, 3.0, 9.0]).view(3, 1, 1)
    out = parallel(x)
    with pytest.raises(AssertionError):
        for i, m in enumerate(alone):
            torch.testing.assert_close(out[i], m(x[i]))


def test_parallel_moves_and_casts_and_model_returns_a_copy():
    models = _mlps(2, 4, 5, 3, residual=False, seed=2, dtype=torch.float32)
    parallel = ParallelMLPs(models).double()
    assert all(p.dtype == torch.float64 for p in parallel.parameters())
    assert all(b.dtype == torch.float64 for b in parallel.buffers() if b.is_floating_point())
    before = parallel(torch.randn(4, 5, dtype=torch.float64))  # train mode: updates statistics
    one = parallel.model(1)
    assert isinstance(one, ResidualMLP) and one.residual is False and one.training
    with torch.no_grad():
        one.fc.weight.add_(1.0)
    assert not torch.equal(one.fc.weight, parallel.weights["fc-weight"][1])
    assert before.shape == (2, 4, 3)
    assert len(list(parallel.parameters())) == len(list(models[0].parameters()))


@pytest.mark.parametrize("call, error, match", [
    (lambda: residual_mlp(5, 10), ValueError, r"depth=5 is not allowed; depth must be 2n \+ 2"),
    (lambda: residual_mlp(0, 10), ValueError, "depth=0 is not allowed"),
    (lambda: residual_mlp(4, 0), ValueError, "in_features=0"),
    (lambda: residual_mlp(4, 10, width=0), ValueError, "width=0"),
    (lambda: residual_mlp(4, 10, residual="no"), TypeError, "residual='no'"),
    (lambda: ParallelMLPs([]), ValueError, "models is empty"),
    (lambda: ParallelMLPs([nn.Linear(2, 2)]), TypeError,
     "models.0. is a Linear; every model must be a ResidualMLP"),
    (lambda: ParallelMLPs([residual_mlp(4, 10), residual_mlp(6, 10)]), ValueError,
     r"models\[1\] differs from models\[0\]"),
    (lambda: ParallelMLPs([residual_mlp(4, 10), residual_mlp(4, 10, residual=False)]),
     ValueError, r"models\[1\] differs"),
    (lambda: ParallelMLPs([_momentum_none(residual_mlp(4, 10))]), ValueError,
     r"models\[0\].stem.1 has affine=True, track_running_stats=True, momentum=None"),
    (lambda: ParallelMLPs([residual_mlp(4, 10)])(torch.randn(3, 7)), ValueError,
     r"x has shape \(3, 7\): 7 values per example, but the models take in_features=10"),
    (lambda: ParallelMLPs([residual_mlp(4, 10)]).model(1), ValueError,
     "k=1 is not allowed; k must be below num_models=1"),
])
def test_mlp_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


def _momentum_none(model):
    model.stem[1].momentum = None
    return model
