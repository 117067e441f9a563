"""The learning-curve PNG of a training: scores (CE) and errors (frame error rate) per epoch, train and dev."""

from recipe.atomic_output import writing_atomically
from recipe.returnn.learning_rates import score_kind


def plot_learning_curve(learning_rates, png_path):
    """Plot ``{epoch: {"scores": {key: value}}}`` (from read_learning_rates) to ``png_path`` (written atomically):
    left the CE keys, right the frame error keys (:func:`score_kind`: TF's ``*score*``/``*error*``, the PyTorch
    backend's ``*_loss_ce``/``*_loss_fer``); RETURNN's ``:meta:`` entries are skipped."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = sorted({key for data in learning_rates.values() for key in data["scores"] if not key.startswith(":")})
    figure, (score_axis, error_axis) = plt.subplots(1, 2, figsize=(10, 4))
    for axis, kind in ((score_axis, "score"), (error_axis, "error")):
        for key in (key for key in keys if score_kind(key) == kind):
            epochs = [epoch for epoch, data in learning_rates.items() if key in data["scores"]]
            axis.plot(epochs, [learning_rates[epoch]["scores"][key] for epoch in epochs], marker="o", label=key)
        axis.set_xlabel("epoch")
        axis.set_ylabel("cross-entropy" if kind == "score" else "frame error rate")
        axis.grid(True, alpha=0.3)
        if axis.get_legend_handles_labels()[0]:
            axis.legend()
    figure.tight_layout()
    with writing_atomically(png_path) as temporary:
        figure.savefig(temporary, format="png", dpi=80)
    plt.close(figure)
