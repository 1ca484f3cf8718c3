"""utils.glue: MyST-NB's glue in a kernel that has it, `name = value` printed elsewhere."""

import builtins

import numpy as np
import pytest
import torch

from utils import book

GLUE_MIME = "application/papermill.record/text/plain"


@pytest.fixture
def kernel(monkeypatch):
    """A live IPython shell whose displayed outputs are recorded instead of shown."""
    from IPython.core.interactiveshell import InteractiveShell
    shell = InteractiveShell.instance()
    shown = []
    monkeypatch.setattr(shell.display_pub, "publish",
                        lambda data, metadata=None, **kwargs: shown.append((data, metadata)))
    yield shown
    InteractiveShell.clear_instance()


def test_in_a_kernel_with_myst_nb_it_glues_and_shows_nothing(kernel, capsys):
    book.glue("conv-speedup", 2.5)
    assert kernel == [({GLUE_MIME: "2.5"},
                       {"scrapbook": {"name": "conv-speedup",
                                      "mime_prefix": "application/papermill.record/"}})]
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("value, text", [
    (torch.tensor(0.5), "0.5"),
    (np.float64(0.5), "0.5"),  # NumPy 2 would show np.float64(0.5), which `:.1f` cannot read
    (np.array([3]), "3"),
    (torch.tensor([1.0, 2.0]), "tensor([1., 2.])"),  # not a scalar: glued as it is
])
def test_scalars_are_glued_as_plain_numbers(kernel, value, text):
    book.glue("x", value)
    assert kernel[0][0] == {GLUE_MIME: text}


def test_without_myst_nb_it_prints_name_and_value(kernel, monkeypatch, capsys):
    real_import = builtins.__import__

    def no_myst_nb(name, *args, **kwargs):  # Colab: only utils is installed
        if name.startswith("myst_nb"):
            raise ImportError("No module named 'myst_nb'")
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_myst_nb)
    book.glue("conv-speedup", np.float64(2.5))
    book.glue("conv-answer", 56, echo=False)
    assert capsys.readouterr().out == "conv-speedup = 2.5\n"
    assert kernel == []


def test_outside_ipython_it_prints_name_and_value(capsys):
    book.glue("conv-speedup", torch.tensor(3))
    assert capsys.readouterr().out == "conv-speedup = 3\n"


@pytest.mark.parametrize("name", ["", "a b", "acc:.1f", "-x", 3])
def test_glue_rejects_a_name_the_roles_cannot_use(name):
    with pytest.raises(ValueError, match="glue name .* is not allowed"):
        book.glue(name, 1)


def test_glue_is_exported_at_the_top():
    import utils
    assert utils.glue is book.glue
