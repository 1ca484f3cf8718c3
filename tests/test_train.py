import math

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import utils
from utils.train import History, StepHistory, evaluate, fit, random_batches, train_steps


def blobs(n=256, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)
    x = torch.randn(n, 2, generator=g) * 0.5 + (y.float() * 3 - 1.5).unsqueeze(1)
    return DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True,
                      generator=torch.Generator().manual_seed(seed))


def test_fit_learns_a_separable_problem_and_records_history():
    utils.set_seed(0)
    model = nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    history = fit(model, blobs(), nn.CrossEntropyLoss(), opt, num_epochs=5,
                  val_loader=blobs(seed=1), device="cpu", progress=False)
    assert isinstance(history, History)
    assert len(history.train_loss) == len(history.val_acc) == len(history.epoch_time) == 5
    assert history.train_loss[-1] < history.train_loss[0]
    assert history.val_acc[-1] > 0.95
    loss, acc = evaluate(model, blobs(seed=1), nn.CrossEntropyLoss(), device="cpu")
    assert loss == pytest.approx(history.val_loss[-1]) and acc == history.val_acc[-1]
    assert not model.training  # evaluate leaves the model in eval mode


def test_fit_on_regression_reports_no_accuracy_and_steps_the_scheduler():
    utils.set_seed(0)
    x = torch.linspace(-1, 1, 64).unsqueeze(1)
    loader = DataLoader(TensorDataset(x, 3 * x + 1), batch_size=16)
    model = nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    history = fit(model, loader, nn.MSELoss(), opt, 3, scheduler=sched, progress=False)
    assert history.train_acc == [None, None, None] and history.val_loss == []
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5**3)


def test_fit_matches_a_hand_written_loop():
    torch.manual_seed(1)
    ref = nn.Linear(2, 2)
    mine = nn.Linear(2, 2)
    mine.load_state_dict(ref.state_dict())
    opt = torch.optim.SGD(ref.parameters(), lr=0.1)
    for x, y in blobs():  # the loop fit is documented to run
        opt.zero_grad()
        nn.functional.cross_entropy(ref(x), y).backward()
        opt.step()
    fit(mine, blobs(), nn.CrossEntropyLoss(), torch.optim.SGD(mine.parameters(), lr=0.1), 1,
        device="cpu", progress=True)  # the progress bar must not change the batch order
    for a, b in zip(ref.parameters(), mine.parameters()):
        torch.testing.assert_close(a, b)


def test_fit_prints_one_line_per_epoch_when_verbose(capsys):
    model = nn.Linear(2, 2)
    fit(model, blobs(), nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1), 2,
        val_loader=blobs(), progress=False, verbose=True)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("epoch 1: train loss")
    assert "val acc" in lines[0]


def test_fit_rejects_bad_arguments():
    model = nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="num_epochs=0 is not allowed"):
        fit(model, blobs(), nn.CrossEntropyLoss(), opt, 0)
    empty = DataLoader(TensorDataset(torch.zeros(0, 2), torch.zeros(0, dtype=torch.long)))
    with pytest.raises(ValueError, match="no batches"):
        fit(model, empty, nn.CrossEntropyLoss(), opt, 1, progress=False)


# --- random_batches and train_steps ------------------------------------------------------------

def regression_data(n=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, generator=g)
    return x, x @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.1 * torch.randn(n, 1, generator=g)


def mlp(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 1))


def test_random_batches_draw_rows_with_replacement_from_the_generator():
    x, y = regression_data()
    batches = list(random_batches(x, y, 8, 5, generator=torch.Generator().manual_seed(3)))
    g = torch.Generator().manual_seed(3)
    assert len(batches) == 5
    for bx, by in batches:  # the same draws as a hand-written torch.randint loop
        idx = torch.randint(0, len(x), (8,), generator=g)
        assert torch.equal(bx, x[idx]) and torch.equal(by, y[idx])
    again = list(random_batches(x, y, 8, 5, generator=torch.Generator().manual_seed(3)))
    assert all(torch.equal(a[0], b[0]) for a, b in zip(batches, again))
    other = next(random_batches(x, y, 8, 1, generator=torch.Generator().manual_seed(4)))
    assert not torch.equal(other[0], batches[0][0])


def test_random_batches_full_batch_and_global_seed():
    x, y = regression_data(10)
    full = list(random_batches(x, y, None, 3))
    assert len(full) == 3 and all(bx is x and by is y for bx, by in full)
    utils.set_seed(5)
    a = next(random_batches(x, y, 4, 1))[0]
    utils.set_seed(5)
    assert torch.equal(a, next(random_batches(x, y, 4, 1))[0])
    assert list(random_batches(x, y, 4, 0)) == []


@pytest.mark.parametrize("args, error, match", [
    (([1.0, 2.0], torch.zeros(2), 1, 1), TypeError, "x must be a torch.Tensor, got list"),
    ((torch.zeros(4, 2), torch.zeros(3), 1, 1), ValueError, r"shape \(4, 2\) .* shape \(3,\)"),
    ((torch.zeros(4, 2), torch.zeros(4), 0, 1), ValueError, "batch_size=0 is not allowed"),
    ((torch.zeros(4, 2), torch.zeros(4), 2.0, 1), TypeError, "batch_size=2.0 is not allowed"),
    ((torch.zeros(4, 2), torch.zeros(4), 5, 1), ValueError, "batch_size=5 .* only 4 examples"),
    ((torch.zeros(4, 2), torch.zeros(4), 2, -1), ValueError, "num_steps=-1 is not allowed"),
    ((torch.zeros(0, 2), torch.zeros(0), 2, 1), ValueError, "no rows"),
])
def test_random_batches_rejects_bad_arguments_at_the_call(args, error, match):
    with pytest.raises(error, match=match):
        random_batches(*args)  # no next(): the check must not wait for the first batch


def hand_written_steps(model, x, y, num_steps, lr, batch_size=8, seed=0, max_norm=None,
                       sched_gamma=None):
    """The loop train_steps documents, written out: the oracle of the tests below."""
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = (torch.optim.lr_scheduler.StepLR(opt, 1, gamma=sched_gamma)
             if sched_gamma else None)
    losses, norms, lrs = [], [], []
    for _ in range(num_steps):
        idx = torch.randint(0, len(x), (batch_size,), generator=g)
        lrs.append(opt.param_groups[0]["lr"])
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(x[idx]), y[idx])
        loss.backward()
        if max_norm is not None:
            norms.append(nn.utils.clip_grad_norm_(model.parameters(), max_norm).item())
        opt.step()
        if sched:
            sched.step()
        losses.append(loss.item())
    return losses, norms, lrs


@pytest.mark.parametrize("max_norm", [None, 0.05])
def test_train_steps_matches_a_hand_written_loop(max_norm):
    x, y = regression_data()
    ref, mine = mlp(), mlp()
    losses, norms, _ = hand_written_steps(ref, x, y, 30, 0.01, max_norm=max_norm)
    opt = torch.optim.Adam(mine.parameters(), lr=0.01)
    history = train_steps(mine, random_batches(x, y, 8, 30,
                                               generator=torch.Generator().manual_seed(0)),
                          nn.MSELoss(), opt, max_grad_norm=max_norm, device="cpu")
    assert isinstance(history, StepHistory) and history.steps == 30 and history.stopped is None
    assert history.loss == losses  # the same numbers, step for step
    for a, b in zip(ref.parameters(), mine.parameters()):
        assert torch.equal(a, b)
    if max_norm is not None:  # the recorded norm is the one clip_grad_norm_ saw, before clipping
        torch.testing.assert_close(history.grad_norm, norms, rtol=1e-6, atol=0)
        assert max(history.grad_norm) > max_norm  # so the clipping did act


def test_train_steps_records_the_gradient_norm_before_clipping():
    x, y = regression_data()
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.0)  # lr 0: the norm of step 1 is repeated
    history = train_steps(model, random_batches(x, y, None, 2), nn.MSELoss(), opt,
                          max_grad_norm=1e-3, device="cpu")
    model.zero_grad()
    nn.functional.mse_loss(model(x), y).backward()
    expected = torch.linalg.vector_norm(torch.cat([p.grad.flatten() for p in model.parameters()]))
    torch.testing.assert_close(history.grad_norm, [expected.item()] * 2, rtol=1e-6, atol=0)
    assert expected > 1e-3


def test_train_steps_steps_the_scheduler_once_per_step():
    x, y = regression_data()
    ref, mine = mlp(), mlp()
    losses, _, lrs = hand_written_steps(ref, x, y, 6, 0.1, sched_gamma=0.5)
    opt = torch.optim.Adam(mine.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, 1, gamma=0.5)
    history = train_steps(mine, random_batches(x, y, 8, 6,
                                               generator=torch.Generator().manual_seed(0)),
                          nn.MSELoss(), opt, scheduler=sched, device="cpu")
    assert history.lr == lrs == [0.1 * 0.5**k for k in range(6)]
    assert history.loss == losses
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5**6)


def test_train_steps_evaluates_in_eval_mode_without_gradients_every_k_steps():
    x, y = regression_data()
    model = nn.Sequential(nn.Linear(3, 8), nn.Dropout(0.5), nn.Linear(8, 1))
    seen = []

    def eval_fn(m):
        seen.append((m.training, torch.is_grad_enabled()))
        return nn.functional.mse_loss(m(x), y)  # a tensor: stored as a float

    history = train_steps(model, random_batches(x, y, 8, 7), nn.MSELoss(),
                          torch.optim.SGD(model.parameters(), lr=0.01), eval_fn=eval_fn,
                          eval_every=3, device="cpu")
    assert history.eval_step == [3, 6] and seen == [(False, False)] * 2
    assert all(type(v) is float for v in history.eval_value)
    assert model.training  # train mode is back after each evaluation


def test_train_steps_stops_when_the_condition_holds():
    x, y = regression_data()
    model = mlp()
    history = train_steps(model, random_batches(x, y, None, 500), nn.MSELoss(),
                          torch.optim.Adam(model.parameters(), lr=0.05),
                          eval_fn=lambda m: nn.functional.mse_loss(m(x), y).item(),
                          stop=lambda h: bool(h.eval_value) and h.eval_value[-1] < 0.1,
                          device="cpu")
    assert history.stopped == "stop condition"
    assert history.eval_value[-1] < 0.1 <= min(history.eval_value[:-1])  # stopped at once
    assert history.steps == history.eval_step[-1] < 500
    assert len(history.loss) == len(history.grad_norm) == len(history.lr) == history.steps


def test_train_steps_stops_on_a_non_finite_loss_before_changing_the_weights():
    x, y = regression_data()
    calls = []

    def loss_fn(output, target):  # finite for two steps, then NaN
        calls.append(1)
        return nn.functional.mse_loss(output, target) * (math.nan if len(calls) == 3 else 1.0)

    model, ref = mlp(), mlp()
    hand_written_steps(ref, x, y, 2, 0.01)
    history = train_steps(model, random_batches(x, y, 8, 10,
                                                generator=torch.Generator().manual_seed(0)),
                          loss_fn, torch.optim.Adam(model.parameters(), lr=0.01), device="cpu")
    assert history.stopped == "diverged" and history.steps == 3
    assert math.isnan(history.loss[-1]) and math.isnan(history.grad_norm[-1])
    for a, b in zip(ref.parameters(), model.parameters()):
        assert torch.equal(a, b)  # the NaN step updated nothing


def test_train_steps_diverges_with_a_huge_learning_rate():
    x, y = regression_data()
    model = nn.Linear(3, 1)
    history = train_steps(model, random_batches(x, y, None, 200), nn.MSELoss(),
                          torch.optim.SGD(model.parameters(), lr=10.0), device="cpu")
    assert history.stopped == "diverged" and history.steps < 200
    assert all(math.isfinite(p.detach().sum().item()) for p in model.parameters())


def test_train_steps_rejects_bad_arguments():
    model = nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    batches = [(torch.zeros(2, 3), torch.zeros(2, 1))]
    loss = nn.MSELoss()
    with pytest.raises(TypeError, match="model must be a torch.nn.Module, got function"):
        train_steps(lambda t: t, batches, loss, opt)
    with pytest.raises(TypeError, match="loss_fn=3 is not allowed; loss_fn must be callable"):
        train_steps(model, batches, 3, opt)
    with pytest.raises(TypeError, match="optimizer must be a torch.optim.Optimizer, got float"):
        train_steps(model, batches, loss, 0.1)
    with pytest.raises(ValueError, match="max_grad_norm=0.0 is not allowed; .* > 0"):
        train_steps(model, batches, loss, opt, max_grad_norm=0)
    with pytest.raises(ValueError, match="eval_every=0 is not allowed"):
        train_steps(model, batches, loss, opt, eval_every=0)
    with pytest.raises(TypeError, match="stop=True is not allowed; stop must be callable"):
        train_steps(model, batches, loss, opt, stop=True)
    with pytest.raises(TypeError, match="eval_fn='val' is not allowed"):
        train_steps(model, batches, loss, opt, eval_fn="val")
    with pytest.raises(TypeError, match="scheduler.step=None is not allowed"):
        train_steps(model, batches, loss, opt, scheduler=object())


def test_fit_clips_like_clip_grad_norm():
    torch.manual_seed(1)
    ref, mine = nn.Linear(2, 2), nn.Linear(2, 2)
    mine.load_state_dict(ref.state_dict())
    opt = torch.optim.SGD(ref.parameters(), lr=0.5)
    for x, y in blobs():
        opt.zero_grad()
        nn.functional.cross_entropy(ref(x), y).backward()
        nn.utils.clip_grad_norm_(ref.parameters(), 0.01)
        opt.step()
    fit(mine, blobs(), nn.CrossEntropyLoss(), torch.optim.SGD(mine.parameters(), lr=0.5), 1,
        max_grad_norm=0.01, device="cpu", progress=False)
    for a, b in zip(ref.parameters(), mine.parameters()):
        torch.testing.assert_close(a, b)
