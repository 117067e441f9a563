"""What to change after a RETURNN failure, for the errors whose RETURNN message names no fix: a NaN/inf loss
(learning rate, gradient clipping), an unknown layer class (which layer, the closest known class) and a corrupt or
truncated checkpoint or HDF file (which file, which job made it, how to have it remade)."""

import difflib
import importlib.util
import os
import re

from recipe.corrupt_input import corrupt_input_error

NAN_LOSS = re.compile(r"Inf/nan score|got inf or nan score", re.IGNORECASE)
UNKNOWN_LAYER_CLASS = re.compile(r"unknown layer class '(?P<name>[^']*)'")
CORRUPT_CHECKPOINT = re.compile(r"Read less bytes than requested|not an sstable|DataLossError|Unable to open table file")
CORRUPT_HDF = re.compile(r"truncated file|file signature not found|bad object header|Unable to synchronously open "
                         r"(?:file|object) \((?!unable to open file)")
CORRUPT_INPUTS = (
    (CORRUPT_CHECKPOINT, "model", "a TF checkpoint (the model it evaluates, or the training's last one in "
                                  "output/models/)"),
    (CORRUPT_HDF, "path_local", "an HDF file (its inputs are listed at the top of this log)"),
)
"""(error pattern, the ErrorLineFinder.files() entry naming the file, what the file is when none is named)."""
LAYER_CLASS_ASSIGNMENT = re.compile(r"^\s+layer_class = [\"'](?P<name>[\w\-]+)[\"']", re.MULTILINE)


def returnn_layer_classes():
    """Names of the installed RETURNN's TF layer classes, read from its sources (no TensorFlow import)."""
    spec = importlib.util.find_spec("returnn")
    if spec is None or not spec.submodule_search_locations:
        return []
    layers_dir = os.path.join(list(spec.submodule_search_locations)[0], "tf", "layers")
    names = set()
    for directory, _, files in os.walk(layers_dir):
        for file_name in files:
            if file_name.endswith(".py"):
                with open(os.path.join(directory, file_name), errors="replace") as source:
                    names.update(LAYER_CLASS_ASSIGNMENT.findall(source.read()))
    return sorted(names)


def hint_for(error_line, layer_name=None, files=None):
    """A one-line hint for RETURNN's ``error_line`` (``layer_name``: the layer it was building; ``files``: what
    :meth:`ErrorLineFinder.files` found), or None."""
    files = files or {}
    for pattern, file_key, what in CORRUPT_INPUTS:
        if pattern.search(error_line):
            if files.get(file_key):
                return str(corrupt_input_error(files[file_key], error_line))
            return (f"{what} this task reads is corrupt or truncated; if a job of this setup wrote it, have that job "
                    "remade (move its directory aside and run sis manager -r -co CONFIG)")
    if NAN_LOSS.search(error_line):
        return ("the loss became NaN/inf: lower the learning rate (RETURNN's learning_rate; here a profile's "
                "baseline/blstm learning_rate in setups/profiles.py) or clip gradients (gradient_clip_global_norm, "
                "e.g. 5.0, or gradient_clip in the profile's training options)")
    unknown = UNKNOWN_LAYER_CLASS.search(error_line)
    if unknown:
        wrong = unknown.group("name")
        close = difflib.get_close_matches(wrong, returnn_layer_classes(), n=1)
        where = f"layer {layer_name!r}" if layer_name else "a layer"
        return (f"{where} of the network has \"class\": {wrong!r}, which RETURNN does not know"
                + (f" (did you mean {close[0]!r}?)" if close else "")
                + "; fix the network dict (here: setups/networks.py)")
    return None
