"""Reading RETURNN's ``learning_rates`` file (the per-epoch learning rate and train/dev scores).

RETURNN writes the file as a Python literal: ``{1: EpochData(learningRate=0.001, error={'dev_score': ...}), ...}``,
with numpy 2 scalars written as ``np.float32(0.5)`` and non-finite values as ``nan``/``inf``. It is read here without
importing numpy or RETURNN, so the manager can use it cheaply.
"""

import math

from recipe.file_path import path_string

TORCH_LOSS_KINDS = {"ce": "score", "fer": "error"}
"""RETURNN's PyTorch backend names an epoch's scores ``<dataset>_loss_<loss name>``; the losses named ``ce`` and
``fer`` (setups/torch_networks.py's train_step) are what TF calls ``<dataset>_score`` and ``<dataset>_error``."""


def score_kind(key, dataset=None):
    """"score" (CE), "error" (frame error) or None for a learning_rates key: TF's ``dev_score``, ``dev_error``,
    ``dev_score_output``, ... and the PyTorch backend's ``dev_loss_ce``, ``dev_loss_fer``; with ``dataset`` only
    keys of that dataset."""
    if key.startswith(":") or (dataset is not None and not key.startswith(dataset + "_")):
        return None
    for kind in ("score", "error"):
        if key.endswith("_" + kind) or f"_{kind}_" in key:
            return kind
    for loss, kind in TORCH_LOSS_KINDS.items():
        if key.endswith("_loss_" + loss):
            return kind
    return None


class _NumpyScalars:
    """Stands in for ``np`` while reading: ``np.float32(x)``, ``np.int64(x)``, ... give plain Python numbers."""

    def __getattr__(self, name):
        if name.startswith("float"):
            return float
        if name.startswith(("int", "uint")):
            return int
        if name.startswith("bool"):
            return bool
        raise AttributeError(f"unexpected numpy name np.{name} in a learning_rates file")


def _epoch_data(learningRate=None, error=None, learning_rate=None, meta=None, **_ignored):  # noqa: N803 (file format)
    rate = learning_rate if learning_rate is not None else learningRate
    if isinstance(error, (int, float)):  # old RETURNN format: a single score
        error = {"score": error}
    return {"learning_rate": None if rate is None else float(rate),
            "scores": {str(key): float(value) for key, value in (error or {}).items()
                       if isinstance(value, (int, float))}}  # the torch backend's :meta: strings (cpu, versions) left out


def parse_learning_rates(text, source="learning_rates"):
    """Parse the text of a RETURNN ``learning_rates`` file: ``{epoch: {"learning_rate": float, "scores": {key:
    float}}}``, epochs as ints in ascending order. ``source`` names the file in error messages."""
    namespace = {"__builtins__": {}, "EpochData": _epoch_data, "np": _NumpyScalars(), "numpy": _NumpyScalars(),
                 "nan": math.nan, "inf": math.inf}
    try:
        data = eval(text, namespace)  # noqa: S307 (RETURNN's own file format is a Python literal)
    except Exception as exc:
        raise ValueError(f"{source} is not a RETURNN learning_rates file ({type(exc).__name__}: {exc}); "
                         f"it must look like {{1: EpochData(learningRate=0.001, error={{...}})}}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{source}: expected a dict of epochs, got {type(data).__name__}")
    return {int(epoch): data[epoch] for epoch in sorted(data)}


def read_learning_rates(path):
    """Read a RETURNN ``learning_rates`` file (a str, os.PathLike or tk.Path) into
    ``{epoch: {"learning_rate": float, "scores": {key: float}}}``. Epochs whose scores are still empty are included
    (RETURNN writes the learning rate before the epoch's scores)."""
    filename = path_string(path)
    with open(filename) as file:
        return parse_learning_rates(file.read(), source=filename)


def epochs_with_score(learning_rates, key):
    """Epochs (ascending) whose scores contain ``key`` with a finite value."""
    return [epoch for epoch, data in learning_rates.items()
            if key in data["scores"] and math.isfinite(data["scores"][key])]
