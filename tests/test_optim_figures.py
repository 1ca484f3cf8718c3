"""utils.optim_figures: labelled contour plots, one line per path, small animations."""

import matplotlib.pyplot as plt
import pytest
import torch
from matplotlib import animation

from utils import optim as O
from utils import optim_figures as F


def record_frames(anim, probe):
    """`probe()` after each frame is drawn, through matplotlib's public writer interface."""
    class Recorder(animation.AbstractMovieWriter):
        def setup(self, fig, outfile, dpi=None):
            self.fig, self.outfile, self.dpi, self.seen = fig, outfile, dpi, []

        def grab_frame(self, **savefig_kwargs):
            self.seen.append(probe())

        def finish(self):
            pass

    recorder = Recorder()
    anim.save("unused.html", writer=recorder)  # the recorder writes nothing
    return recorder.seen


def paths():
    make = {"SGD": lambda p: O.SGD(p, lr=0.002), "Adam": lambda p: O.Adam(p, lr=0.05)}
    return {k: O.trajectory(m, O.rosenbrock, (-1.5, 2.0), 20) for k, m in make.items()}


def test_plot_trajectories_draws_every_path_with_labels():
    fig, ax = F.plot_trajectories(O.rosenbrock, paths(), (-2, 2), (-1, 3),
                                  minima=O.MINIMA["rosenbrock"], title="Rosenbrock")
    assert ax.get_xlabel() == "$x$" and ax.get_ylabel() == "$y$"
    drawn = [line.get_label() for line in ax.get_lines()]
    assert "SGD" in drawn and "Adam" in drawn
    sgd = next(line for line in ax.get_lines() if line.get_label() == "SGD")
    assert len(sgd.get_xdata()) == 21
    assert ax.get_xlim() == (-2.0, 2.0)
    plt.close(fig)


@pytest.mark.parametrize("filled", [False, True])
@pytest.mark.parametrize("log", [False, True])
def test_contour_levels_span_the_surface(log, filled):
    fig, ax = F.plot_contours(O.himmelblau, (-5, 5), (-5, 5), levels=9, log=log, filled=filled,
                              num=60)
    levels = ax.collections[-1].levels
    assert len(levels) == 9
    assert levels[0] >= 0 and levels[-1] == pytest.approx(890.0, rel=0.01)  # f(5, 5)
    plt.close(fig)


def test_animation_html_is_small_and_closes_the_figure():
    fig, anim = F.animate_trajectories(panels(), frames=5)
    html = F.animation_html(fig, anim)
    assert not plt.fignum_exists(fig.number)
    assert html.count("data:image/png;base64") == 5  # one embedded image per frame
    assert len(html) < 1_000_000


def panels():
    return [{"f": O.rosenbrock, "paths": paths(), "xlim": (-2, 2), "ylim": (-1, 3),
             "title": "Rosenbrock"},
            {"f": O.saddle, "paths": {"SGD": torch.zeros(5, 2)}, "xlim": (-1, 1),
             "ylim": (-1.5, 1.5)}]


def test_animation_frames_grow_to_the_whole_path():
    fig, anim = F.animate_trajectories(panels(), frames=5)
    (sgd,) = [line for line in fig.axes[0].get_lines() if line.get_label() == "SGD"]
    assert len(sgd.get_xdata()) == 21  # the still frame (a figure export) is the whole path
    points = record_frames(anim, lambda: len(sgd.get_xdata()))
    plt.close(fig)
    assert points == [1, 6, 11, 16, 21]  # round(k * 20 / 4) + 1 points in frame k


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"xlim": (1, -1)}, r"xlim=\(1, -1\)"),
    ({"ylim": (0, 0)}, r"ylim=\(0, 0\)"),
    ({"num": 1}, "num=1"),
    ({"levels": 1}, "levels=1"),
])
def test_bad_arguments(kwargs, match):
    args = {"xlim": (-1, 1), "ylim": (-1, 1), **kwargs}
    with pytest.raises(ValueError, match=match):
        F.plot_contours(O.saddle, **args)


def test_bad_paths_and_frames():
    with pytest.raises(ValueError, match=r"paths\['a'\] has shape \(3,\)"):
        F.plot_trajectories(O.saddle, {"a": torch.zeros(3)}, (-1, 1), (-1, 1))
    with pytest.raises(ValueError, match="frames=1"):
        F.animate_trajectories([{"f": O.saddle, "paths": {}, "xlim": (-1, 1),
                                 "ylim": (-1, 1)}], frames=1)
    with pytest.raises(ValueError, match="no paths"):
        F.animate_trajectories([{"f": O.saddle, "paths": {}, "xlim": (-1, 1),
                                 "ylim": (-1, 1)}])
    with pytest.raises(ValueError, match="panels is empty"):
        F.animate_trajectories([])
    plt.close("all")
