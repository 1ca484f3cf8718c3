import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import utils
from utils.train import History, evaluate, fit


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
