import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from utils.plot import plot_curves, show_images, subplots, use_svg


def test_subplots_labels_every_axis():
    fig, axes = subplots(1, 2, xlabel="x", ylabel=["loss", "accuracy"], title=["a", "b"])
    assert [ax.get_xlabel() for ax in axes.ravel()] == ["x", "x"]
    assert [ax.get_ylabel() for ax in axes.ravel()] == ["loss", "accuracy"]
    plt.close(fig)
    fig, ax = subplots(xlabel="step", ylabel="value")
    assert ax.get_xlabel() == "step" and ax.get_ylabel() == "value"
    plt.close(fig)


def test_subplots_refuses_the_wrong_number_of_labels():
    with pytest.raises(ValueError, match="ylabel has 3 entries for 2 axes"):
        subplots(1, 2, ylabel=["a", "b", "c"])
    plt.close("all")


def test_plot_curves_draws_one_labelled_line_per_curve():
    fig, ax = plot_curves({"sgd": [3, 2, 1], "adam": [3, 1, 0.5]}, ylabel="loss", logy=True)
    assert [line.get_label() for line in ax.get_lines()] == ["sgd", "adam"]
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "epoch"
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [1, 2, 3])
    plt.close(fig)


@pytest.mark.parametrize("images", [
    torch.rand(5, 28, 28), torch.rand(5, 3, 32, 32), np.random.rand(5, 32, 32, 3),
    torch.rand(5, 1, 28, 28)])
def test_show_images_accepts_grey_and_colour_layouts(images):
    fig, axes = show_images(images, titles=[str(i) for i in range(5)], ncols=3)
    assert axes.shape == (2, 3)
    shown = [ax for ax in axes.ravel() if ax.images]
    assert len(shown) == 5 and shown[0].get_title() == "0"
    plt.close(fig)


def test_show_images_refuses_an_empty_list():
    with pytest.raises(ValueError, match="images is empty"):
        show_images([])


def test_use_svg_does_nothing_outside_ipython():
    from IPython import get_ipython
    assert get_ipython() is None
    use_svg()  # must not create a shell
    assert get_ipython() is None


def test_use_svg_makes_figures_display_as_svg_in_ipython():
    from IPython.testing.globalipapp import get_ipython
    from matplotlib.figure import Figure
    shell = get_ipython()  # a test IPython shell, so use_svg sees one
    use_svg()
    svg = shell.display_formatter.formatters["image/svg+xml"]
    png = shell.display_formatter.formatters["image/png"]
    assert Figure in svg.type_printers and Figure not in png.type_printers
