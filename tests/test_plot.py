import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from utils.plot import animation_html, plot_curves, show_images, subplots, use_svg


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


# --- the contract of the figure modules: (fig, ax) for figures, (fig, anim) for animations ----

def _figure_helpers():
    from utils import conv_figures, optim, optim_figures
    return {
        "plot.subplots": lambda: subplots(),
        "plot.plot_curves": lambda: plot_curves({"a": [1, 2]}),
        "plot.show_images": lambda: show_images(torch.rand(2, 4, 4)),
        "conv_figures.conv_grid_figure": lambda: conv_figures.conv_grid_figure(5, 3),
        "optim_figures.plot_contours": lambda: optim_figures.plot_contours(
            optim.saddle, (-1, 1), (-1, 1), num=10),
        "optim_figures.plot_trajectories": lambda: optim_figures.plot_trajectories(
            optim.saddle, {"a": torch.zeros(3, 2)}, (-1, 1), (-1, 1), num=10),
    }


def _animation_helpers():
    from utils import conv_figures, optim, optim_figures
    return {
        "conv_figures.conv_animation": lambda: conv_figures.conv_animation(4, 3),
        "optim_figures.animate_trajectories": lambda: optim_figures.animate_trajectories(
            [{"f": optim.saddle, "paths": {"a": torch.zeros(3, 2)}, "xlim": (-1, 1),
              "ylim": (-1, 1)}], frames=2),
    }


@pytest.mark.parametrize("name", list(_figure_helpers()))
def test_figure_helpers_return_the_figure_and_its_axes(name):
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    fig, ax = _figure_helpers()[name]()
    assert isinstance(fig, Figure)
    axes = np.ravel(np.asarray(ax, dtype=object))
    assert axes.size >= 1 and all(isinstance(a, Axes) and a.figure is fig for a in axes)
    assert plt.fignum_exists(fig.number)  # left open: the cell shows it
    plt.close(fig)


@pytest.mark.parametrize("name", list(_animation_helpers()))
def test_animation_helpers_return_the_figure_and_the_animation(name):
    from matplotlib.animation import Animation
    from matplotlib.figure import Figure
    fig, anim = _animation_helpers()[name]()
    assert isinstance(fig, Figure) and isinstance(anim, Animation)
    html = animation_html(fig, anim, default_mode="once")
    assert "<script" in html and "once" in html
    assert not plt.fignum_exists(fig.number)  # closed: no still frame under the player
    # nothing from another host (matplotlib's player links Font Awesome from a CDN)
    assert "https://" not in html and "font-awesome" not in html
    assert html.count('<span aria-hidden="true">') == 9  # the nine buttons keep an icon


def test_both_figure_modules_share_one_animation_html():
    from utils import conv_figures, optim_figures
    assert conv_figures.animation_html is optim_figures.animation_html is animation_html


def test_animation_html_rejects_bad_arguments():
    fig, anim = _animation_helpers()["conv_figures.conv_animation"]()
    with pytest.raises(TypeError, match="fig must be a matplotlib Figure, got FuncAnimation"):
        animation_html(anim, fig)  # the two swapped
    with pytest.raises(TypeError, match="anim must be a matplotlib Animation, got str"):
        animation_html(fig, "anim")
    with pytest.raises(ValueError, match="default_mode='bounce' is not allowed"):
        animation_html(fig, anim, default_mode="bounce")
    # rendered once, so that matplotlib does not warn, at some later test's garbage collection,
    # that an animation was deleted without rendering anything; this also closes the figure
    assert "<script" in animation_html(fig, anim)


def test_offline_player_refuses_a_player_that_still_links_another_host():
    from utils.plot import _offline_player
    with pytest.raises(RuntimeError, match="still links another host"):
        _offline_player('<script src="https://cdn.example.invalid/player.js"></script>')
    with pytest.raises(RuntimeError, match="Font Awesome icon"):
        _offline_player('<button><i class="fa fa-rotate"></i></button>')  # an unknown icon
