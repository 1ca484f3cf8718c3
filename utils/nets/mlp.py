"""Residual MLPs (the fully connected counterpart of `cifar_resnet`), and many trained at once.

`residual_mlp(depth, in_features)` stacks blocks y = relu(x + F(x)) whose F is two Linear-BN
layers; `residual=False` drops the shortcut, giving the plain net of the same depth for the
degradation experiment of "ResNets and training small CNNs".

`ParallelMLPs(models)` evaluates K such models of one shape in a single forward pass: one
batched matrix product per layer for all K instead of K small ones. On a CPU a small layer
costs more to launch than to compute, so one batched product saves most of the launch costs of
K separate runs (a sweep of learning rates and seeds in one pass). Each model keeps its own
parameters and its own running statistics: the result is what training each model alone on the
same batches gives (tests/test_nets.py checks it). To give model k its own SGD learning rate,
multiply its loss by lr_k under a global lr of 1 (SGD with momentum is linear in the gradient;
tested). Adam is not linear in the gradient, so that trick does not carry over to it.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .._checks import check_bool, check_int


class MLPBlock(nn.Module):
    """Two Linear-BN layers and a shortcut: relu(bn2(fc2(relu(bn1(fc1(x))))) + x).

    The dense version of `BasicBlock`; `residual=False` drops `+ x` (the plain block).
    Input and output (N, width).
    """

    def __init__(self, width: int, residual: bool = True) -> None:
        super().__init__()
        width = check_int("width", width, minimum=1)
        self.residual = check_bool("residual", residual)
        self.fc1 = nn.Linear(width, width, bias=False)  # BN's shift replaces the bias
        self.bn1 = nn.BatchNorm1d(width)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(width, width, bias=False)
        self.bn2 = nn.BatchNorm1d(width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bn2(self.fc2(self.relu(self.bn1(self.fc1(x)))))  # (N, width)
        if self.residual:
            out = out + x  # y = F(x) + x
        return self.relu(out)


class ResidualMLP(nn.Module):
    """Flatten, a Linear-BN-ReLU stem, `num_blocks` `MLPBlock`s, a Linear head.

    Weights of the stem and the blocks are He-initialised (`kaiming_normal_`, as `ResNet`'s
    convolutions). Input (N, *) with `in_features` values per example -> (N, num_classes).
    """

    def __init__(self, in_features: int, width: int, num_blocks: int, num_classes: int = 10,
                 residual: bool = True) -> None:
        super().__init__()
        self.in_features = check_int("in_features", in_features, minimum=1)
        self.width = check_int("width", width, minimum=1)
        self.num_blocks = check_int("num_blocks", num_blocks, minimum=0)
        self.num_classes = check_int("num_classes", num_classes, minimum=1)
        self.residual = check_bool("residual", residual)
        self.stem = nn.Sequential(nn.Linear(in_features, width, bias=False),
                                  nn.BatchNorm1d(width), nn.ReLU())
        self.blocks = nn.Sequential(*[MLPBlock(width, residual) for _ in range(num_blocks)])
        self.fc = nn.Linear(width, num_classes)
        for m in [self.stem[0], *(b.fc1 for b in self.blocks), *(b.fc2 for b in self.blocks)]:
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.blocks(self.stem(torch.flatten(x, 1)))  # (N, width)
        return self.fc(h)  # (N, num_classes)


def residual_mlp(depth: int, in_features: int, width: int = 32, num_classes: int = 10,
                 residual: bool = True) -> ResidualMLP:
    """A `ResidualMLP` with `depth` = 2n + 2 Linear layers (stem, n blocks of two, head).

    Counted like `cifar_resnet`'s 6n + 2: every layer with weights. `residual=False` gives the
    plain net of the same depth.
    """
    depth = check_int("depth", depth, minimum=1)
    if depth < 2 or depth % 2:
        raise ValueError(f"depth={depth} is not allowed; depth must be 2n + 2 with n >= 0 "
                         "(2, 4, 6, 8, ...)")
    return ResidualMLP(in_features, width, (depth - 2) // 2, num_classes, residual)


def _shape(model: ResidualMLP) -> tuple:
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm1d)]
    return (model.in_features, model.width, model.num_blocks, model.num_classes,
            model.residual, tuple((bn.eps, bn.momentum) for bn in bns))


def _check_batch_norms(k: int, model: ResidualMLP) -> None:
    for name, bn in model.named_modules():
        if isinstance(bn, nn.BatchNorm1d) and not (
                bn.affine and bn.track_running_stats and bn.momentum is not None):
            raise ValueError(f"models[{k}].{name} has affine={bn.affine}, "
                             f"track_running_stats={bn.track_running_stats}, "
                             f"momentum={bn.momentum}; ParallelMLPs needs affine=True, "
                             "track_running_stats=True and a number for momentum (as "
                             "residual_mlp builds them)")


class ParallelMLPs(nn.Module):
    """K `ResidualMLP`s of one shape as one module: every layer's K weights in one tensor.

    `ParallelMLPs(models)` copies the models' parameters and running statistics into stacked
    tensors: a Linear layer's weight becomes (K, out, in), a batch norm's scale, shift and
    running statistics (K, C). `forward(x)`: x of shape (K, N, in_features) gives model k its
    own x[k]; any other shape (N, *) is flattened and fed to every model. The output is
    (K, N, num_classes) with out[k] = models[k](x[k] or x), in training mode (each model's
    batch norm with its own batch statistics, updating its own running statistics) and in
    evaluation mode alike. A loss that sums the K models' losses gives each model the gradient
    it would get alone, since no parameter is shared. `model(k)` returns model k as a
    stand-alone `ResidualMLP` holding the current values.

    What it saves: a layer of K small matrix products becomes one batched product, so the
    launch cost of each operation, which dominates for small layers on a CPU, is paid once
    instead of K times.
    """

    def __init__(self, models: Sequence[ResidualMLP]) -> None:
        super().__init__()
        models = list(models)
        if not models:
            raise ValueError("models is empty; give at least one ResidualMLP")
        for k, m in enumerate(models):
            if not isinstance(m, ResidualMLP):
                raise TypeError(f"models[{k}] is a {type(m).__name__}; every model must be a "
                                "ResidualMLP (utils.nets.residual_mlp)")
            _check_batch_norms(k, m)
            if _shape(m) != _shape(models[0]):
                raise ValueError(f"models[{k}] differs from models[0] in shape or batch-norm "
                                 f"settings: {_shape(m)} vs {_shape(models[0])}; all models "
                                 "must have the same in_features, width, depth, classes, "
                                 "residual, eps and momentum")
        m0 = models[0]
        self._config = (m0.in_features, m0.width, m0.num_blocks, m0.num_classes, m0.residual)
        self.num_models = len(models)
        self.in_features, self.residual = models[0].in_features, models[0].residual
        self._linears = [name for name, m in models[0].named_modules()
                         if isinstance(m, nn.Linear)]
        self._bns = [name for name, m in models[0].named_modules()
                     if isinstance(m, nn.BatchNorm1d)]
        self._momentum = models[0].stem[1].momentum
        self._eps = models[0].stem[1].eps
        self.weights = nn.ParameterDict()  # "stem.0" is stored as "stem-0": no dots in keys
        for name in self._linears + self._bns:
            for attr in ("weight", "bias"):
                tensors = [m.get_submodule(name).get_parameter(attr) if getattr(
                    m.get_submodule(name), attr) is not None else None for m in models]
                if tensors[0] is not None:
                    self.weights[self._key(name, attr)] = nn.Parameter(
                        torch.stack([t.detach() for t in tensors]).clone())
        for name in self._bns:
            for stat in ("running_mean", "running_var", "num_batches_tracked"):
                stacked = torch.stack([m.get_submodule(name).get_buffer(stat) for m in models])
                self.register_buffer(self._key(name, stat), stacked.clone())

    @staticmethod
    def _key(name: str, attr: str) -> str:
        return f"{name.replace('.', '-')}-{attr}"

    def _param(self, name: str, attr: str) -> torch.Tensor | None:
        key = self._key(name, attr)
        return self.weights[key] if key in self.weights else None

    def _linear(self, h: torch.Tensor, name: str) -> torch.Tensor:
        w = self._param(name, "weight")  # (K, out, in)
        b = self._param(name, "bias")  # (K, out) or None
        if b is None:
            return torch.bmm(h, w.transpose(1, 2))  # (K, N, in) @ (K, in, out)
        return torch.baddbmm(b.unsqueeze(1), h, w.transpose(1, 2))  # (K, N, out)

    def _batch_norm(self, h: torch.Tensor, name: str) -> torch.Tensor:
        k, n, c = h.shape
        flat = h.transpose(0, 1).reshape(n, k * c)  # (N, K C): model k's channels side by side
        if self.training:
            self.get_buffer(self._key(name, "num_batches_tracked")).add_(1)
        # per channel, hence per model: the statistics of K separate BatchNorm1d layers
        out = F.batch_norm(flat, self.get_buffer(self._key(name, "running_mean")).view(-1),
                           self.get_buffer(self._key(name, "running_var")).view(-1),
                           self._param(name, "weight").view(-1),
                           self._param(name, "bias").view(-1),
                           training=self.training, momentum=self._momentum, eps=self._eps)
        return out.reshape(n, k, c).transpose(0, 1)  # (K, N, C)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k, d = self.num_models, self.in_features
        if x.dim() == 3 and x.shape[0] == k and x.shape[2] == d:
            h = x  # (K, N, in): model k reads x[k]
        else:
            h = x.flatten(1)  # (N, in): every model reads the same x
            if h.shape[1] != d:
                raise ValueError(f"x has shape {tuple(x.shape)}: {h.shape[1]} values per "
                                 f"example, but the models take in_features={d} (give x as "
                                 f"(N, ...) with {d} values per example, or as ({k}, N, {d}))")
            h = h.expand(k, -1, -1)  # (K, N, in)
        h = torch.relu(self._batch_norm(self._linear(h, "stem.0"), "stem.1"))
        for i in range(self._config[2]):
            name = f"blocks.{i}"
            out = torch.relu(self._batch_norm(self._linear(h, f"{name}.fc1"), f"{name}.bn1"))
            out = self._batch_norm(self._linear(out, f"{name}.fc2"), f"{name}.bn2")
            if self.residual:
                out = out + h  # y = F(x) + x, for every model at once
            h = torch.relu(out)
        return self._linear(h, "fc")  # (K, N, num_classes)

    def model(self, k: int) -> ResidualMLP:
        """Model `k` as a stand-alone `ResidualMLP` (a copy: training it leaves this intact)."""
        k = check_int("k", k, minimum=0)
        if k >= self.num_models:
            raise ValueError(f"k={k} is not allowed; k must be below num_models="
                             f"{self.num_models}")
        like = next(self.parameters())  # build on its device and in its dtype
        model = ResidualMLP(*self._config).to(like.device, like.dtype).train(self.training)
        with torch.no_grad():
            for name in self._linears + self._bns:
                for attr in ("weight", "bias"):
                    value = self._param(name, attr)
                    if value is not None:
                        model.get_submodule(name).get_parameter(attr).copy_(value[k])
            for name in self._bns:
                for stat in ("running_mean", "running_var", "num_batches_tracked"):
                    model.get_submodule(name).get_buffer(stat).copy_(
                        self.get_buffer(self._key(name, stat))[k])
        for name in self._bns:  # eps and momentum as the originals had them
            bn = model.get_submodule(name)
            bn.eps, bn.momentum = self._eps, self._momentum
        return model
