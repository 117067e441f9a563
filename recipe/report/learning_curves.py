"""The learning-curve figure of the experiment report: CE and frame error per epoch of every experiment, train
dashed and dev solid, one colour per experiment; with several seeds the mean over them, and a band from the lowest
to the highest seed (matplotlib with the Agg backend, imported only when plotting)."""

import math

from recipe.atomic_output import writing_atomically
from recipe.returnn.learning_rates import TORCH_LOSS_KINDS


def score_key(scores_by_epoch, dataset, kind):
    """The key of ``<dataset>_<kind>`` in RETURNN's scores (``dev_score``, or ``dev_score_output`` etc.; the PyTorch
    backend's ``dev_loss_ce`` / ``dev_loss_fer``), or None."""
    keys = sorted({key for data in scores_by_epoch.values() for key in data["scores"]})
    exact = f"{dataset}_{kind}"
    if exact in keys:
        return exact
    matching = [key for key in keys if key.startswith(exact + "_")]
    matching += [f"{dataset}_loss_{loss}" for loss, loss_kind in TORCH_LOSS_KINDS.items()
                 if loss_kind == kind and f"{dataset}_loss_{loss}" in keys]
    return matching[0] if matching else None


def curve(learning_rates, dataset, kind):
    """([epochs], [values]) of the finite ``<dataset>_<kind>`` scores in a parsed learning_rates dict."""
    key = score_key(learning_rates, dataset, kind)
    points = [(epoch, data["scores"][key]) for epoch, data in sorted(learning_rates.items())
              if key is not None and key in data["scores"] and math.isfinite(data["scores"][key])]
    return [epoch for epoch, _ in points], [value for _, value in points]


def seed_band(learning_rates_per_seed, dataset, kind):
    """([epochs], [mean], [low], [high]) over the seeds, at the epochs every seed has a finite score for."""
    curves = [dict(zip(*curve(learning_rates, dataset, kind))) for learning_rates in learning_rates_per_seed]
    epochs = sorted(set.intersection(*(set(values) for values in curves))) if curves else []
    columns = [[values[epoch] for values in curves] for epoch in epochs]
    return (epochs, [sum(column) / len(column) for column in columns], [min(column) for column in columns],
            [max(column) for column in columns])


def plot_learning_curves(curves, png_path, title="Learning curves"):
    """Write the figure for ``curves`` {experiment: [parsed learning_rates of each seed]} (or one parsed
    learning_rates per experiment) to ``png_path`` (via a temporary file and rename). Experiments without scores
    are left out."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot

    figure, axes = pyplot.subplots(1, 2, figsize=(12, 4.2))
    for index, (name, per_seed) in enumerate(curves.items()):
        per_seed = per_seed if isinstance(per_seed, (list, tuple)) else [per_seed]
        colour = f"C{index % 10}"
        seeds = f", {len(per_seed)} seeds" if len(per_seed) > 1 else ""
        for axis, kind, scale in ((axes[0], "score", 1.0), (axes[1], "error", 100.0)):
            for dataset, style in (("train", "--"), ("dev", "-")):
                epochs, mean, low, high = seed_band(per_seed, dataset, kind)
                if not epochs:
                    continue
                axis.plot(epochs, [scale * v for v in mean], style, color=colour, marker=".",
                          label=f"{name} ({dataset}{seeds})")
                if len(per_seed) > 1:
                    axis.fill_between(epochs, [scale * v for v in low], [scale * v for v in high], color=colour,
                                      alpha=0.15, linewidth=0)
    for axis, label in ((axes[0], "CE (score)"), (axes[1], "frame error rate [%]")):
        axis.set_xlabel("epoch")
        axis.set_ylabel(label)
        axis.grid(alpha=0.3)
        axis.xaxis.get_major_locator().set_params(integer=True)
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        figure.legend(handles, labels, loc="center right", fontsize="small")
    figure.suptitle(title)
    figure.tight_layout(rect=(0, 0, 0.78 if handles else 1, 1))
    with writing_atomically(png_path) as temporary:
        figure.savefig(temporary, dpi=100)
    pyplot.close(figure)
