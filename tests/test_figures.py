"""The figures say what they show: the poisoning figure names its seeds ("seed 1", not "1 seeds") and
says when one curve is drawn over an equal one; Fig. 5's legend covers none of its points."""
import matplotlib

matplotlib.use("Agg")

from experiments.poisoning import accuracy_curves, accuracy_figure  # noqa: E402
from experiments.reproduce import drift_figure  # noqa: E402

PARAMS = {"blocks": 4}


def runs(seeds, attacked=(1.0, 0.9, 0.8, 0.8, 0.8), defended=(1.0, 1.0, 1.0, 1.0, 1.0)):
    clean = (1.0,) * 5
    out = []
    for seed in seeds:
        out += [{"seed": seed, "attack": False, "deposits": True, "accuracy": list(clean)},
                {"seed": seed, "attack": True, "deposits": False, "accuracy": list(attacked)},
                {"seed": seed, "attack": True, "deposits": True, "accuracy": list(defended)}]
    return out


def test_one_seed_is_named_and_an_equal_curve_is_said_to_be_one():
    labels = [legend for _, legend, _ in accuracy_curves(runs([7]))]
    assert labels == ["no attack (seed 7)", "attack, no deposits (seed 7)",
                      "attack, deposits (seed 7), the same curve as no attack"]


def test_several_seeds_are_a_mean_and_different_curves_are_not_called_equal():
    labels = [legend for _, legend, _ in accuracy_curves(runs([1, 2, 3], defended=(1.0, 0.95, 1.0, 1.0, 1.0)))]
    assert labels == ["no attack (mean of 3 seeds)", "attack, no deposits (mean of 3 seeds)",
                      "attack, deposits (mean of 3 seeds)"]


def test_the_poisoning_figure_draws_every_curve_distinguishably():
    fig = accuracy_figure(runs([1]), PARAMS)
    ax = fig.axes[0]
    lines = [line for line in ax.get_lines() if line.get_label() and not line.get_label().startswith("_")]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [line.get_label() for line in lines]
    assert len({(line.get_color(), line.get_linestyle(), line.get_linewidth()) for line in lines}) == len(lines) == 3


def test_fig5s_legend_covers_no_point():
    mean = [{"drift": d, "accuracy": a, "max_ks": k, "drift_flagged_in": f, "runs": 3}
            for d, a, k, f in ((0, 0.98, 0.25, 1), (0.1, 0.98, 0.27, 1), (0.5, 0.84, 0.38, 2), (1, 0.49, 0.2, 0),
                               (2, 0.97, 0.41, 3), (16, 0.98, 0.69, 3))]
    fig = drift_figure(mean)
    fig.canvas.draw()
    legend = fig.legends[0].get_window_extent()
    points = [line.axes.transData.transform(xy) for ax in fig.axes for line in ax.get_lines()
              for xy in line.get_xydata()]
    assert len(points) == 3 * len(mean)
    covered = [tuple(p) for p in points if legend.contains(*p)]
    assert not covered
    assert not legend.overlaps(fig.axes[0].get_window_extent())  # outside the plot area, whatever the data
