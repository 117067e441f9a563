"""Extract the variables of some layers from a TF checkpoint: a slim checkpoint, an ``.npz`` and a JSON manifest.

Reads the checkpoint with ``tf.train.load_checkpoint`` (no network is built) and writes the selected variables with
the ``SaveV2`` op, so the slim checkpoint holds exactly those variables under their source names (or under a new
prefix). A variable ``a/b/W`` belongs to layer ``a/b``: the layer name is everything before the last ``/``.
"""

import contextlib
import json
import os

from recipe.atomic_output import temporary_sibling
from recipe.corrupt_input import corrupt_input_error, reading
from recipe.file_path import path_string
from recipe.sis_api import Job, Task
from recipe.transfer.transfer_spec import DEFAULT_SOURCE, hashed_arguments, spec_of

MANIFEST_FORMAT = 1
STEP_COUNTER = "global_step"
_NOT_LAYER_VARIABLES = (STEP_COUNTER,)


def checkpoint_prefix(checkpoint):
    """The TF prefix (``.../epoch.010``) of a Checkpoint, a tk.Path to its ``.index`` file, or a path string."""
    if hasattr(checkpoint, "ckpt_path"):
        return checkpoint.ckpt_path
    path = path_string(checkpoint)
    return path[: -len(".index")] if path.endswith(".index") else path


def layer_of(variable_name):
    """The layer a variable belongs to: ``conv_1/W`` -> ``conv_1``, ``conv_layers/conv_1/W`` -> ``conv_layers/conv_1``."""
    return variable_name.rsplit("/", 1)[0] if "/" in variable_name else None


@contextlib.contextmanager
def reading_checkpoint(prefix):
    """Inside: TF's errors for a broken checkpoint (``IndexError: Read less bytes than requested`` for a truncated
    ``.data`` file, ``not an sstable`` for a bad ``.index``, a missing ``.data`` file) become a CorruptInputError
    naming the checkpoint, the job that wrote it and how to have it remade."""
    import tensorflow as tf

    try:
        yield
    except (IndexError, tf.errors.OpError) as error:
        problem = f"{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}"
        raise corrupt_input_error(prefix, f"TensorFlow cannot read this checkpoint ({problem})") from error


def load_checkpoint(prefix):
    """TF's checkpoint reader for ``prefix``; FileNotFoundError without ``.index``, CorruptInputError when TF cannot
    read it."""
    import tensorflow as tf

    if not os.path.exists(prefix + ".index"):
        raise FileNotFoundError(f"no TF checkpoint at {prefix!r} ({prefix}.index is missing); pass the checkpoint "
                                f"of a finished training epoch, e.g. models/epoch.010")
    with reading_checkpoint(prefix):
        return tf.train.load_checkpoint(prefix)


def read_checkpoint_shapes(prefix):
    """``{variable name: (shape tuple, dtype name)}`` of every variable in the checkpoint (no values read)."""
    reader = load_checkpoint(prefix)
    dtypes = reader.get_variable_to_dtype_map()
    return {name: (tuple(shape), dtypes[name].name) for name, shape in reader.get_variable_to_shape_map().items()}


def available_layers(variable_names):
    """Sorted names of the layers that own variables (optimizer and step counters left out)."""
    return sorted({layer_of(name) for name in variable_names
                   if layer_of(name) and name not in _NOT_LAYER_VARIABLES and not name.startswith("optimize/")})


def select_layer_variables(variable_names, layers):
    """The variables of ``layers`` (sorted); ValueError naming each unknown layer and the available ones."""
    if isinstance(layers, str):
        raise TypeError(f"layers must be a list of layer names, got the string {layers!r}; write ({layers!r},)")
    available = available_layers(variable_names)
    unknown = [layer for layer in layers if layer not in available]
    if unknown:
        raise ValueError(f"layer(s) {unknown} have no variables in the checkpoint; layers with variables: "
                         f"{available}. Fix the layer names passed for extraction.")
    return sorted(name for name in variable_names if layer_of(name) in set(layers))


def _layer_variables(shapes):
    return [name for name in shapes if name not in _NOT_LAYER_VARIABLES and not name.startswith("optimize/")]


def extract_layer_variables(source_prefix, layers, out_prefix, out_npz, out_manifest, new_prefix="", spec=None):
    """Write the variables of ``layers`` from the checkpoint ``source_prefix`` as a slim checkpoint ``out_prefix``
    (``.index``, ``.data-00000-of-00001``, ``.meta``), an ``.npz`` and a JSON manifest; returns the manifest dict.

    Variable names are kept, with ``new_prefix`` (e.g. ``"conv_layers/"``) put in front if given. With ``spec`` (a
    :class:`~recipe.transfer.transfer_spec.TransferSpec`; ``layers`` is then ignored) the variables are those its
    rules map, stored under their target names, and ``source_prefix`` may be ``{checkpoint name: prefix}``; the
    manifest also lists the excluded variables. The checkpoint also holds ``global_step = 0`` (RETURNN's
    ``import_model_train_epoch1`` needs it; no layer owns it). Each file is written under a temporary name and
    renamed into place (the index last), so a crash leaves no checkpoint.
    """
    import numpy as np
    import tensorflow as tf

    if new_prefix and not new_prefix.endswith("/"):
        raise ValueError(f"new_prefix {new_prefix!r} must end with '/' (e.g. 'conv_layers/') or be empty")
    if spec is not None and spec.is_plain():
        layers, spec = spec.plain_layers(), None
    prefixes = dict(source_prefix) if isinstance(source_prefix, dict) else {DEFAULT_SOURCE: source_prefix}
    shapes = {name: read_checkpoint_shapes(prefix) for name, prefix in prefixes.items()}
    excluded = {}
    if spec is None:
        if len(prefixes) != 1:
            raise ValueError(f"several checkpoints {sorted(prefixes)} need a transfer spec naming, per layer, "
                             f"which one it comes from (e.g. 'other@conv_1:frontend_conv')")
        only = next(iter(prefixes))
        mapped = {name: (only, name) for name in select_layer_variables(list(shapes[only]), list(layers))}
    else:
        mapped, excluded = spec.map_variables({name: _layer_variables(found) for name, found in shapes.items()})
    readers = {name: load_checkpoint(prefix) for name, prefix in prefixes.items()}
    values = {}
    for target, (checkpoint, source) in sorted(mapped.items()):
        with reading_checkpoint(prefixes[checkpoint]):
            values[new_prefix + target] = readers[checkpoint].get_tensor(source)

    # A fresh step counter beside them: RETURNN's import_model_train_epoch1 requires "global_step" in the file.
    saved = dict(values, **{STEP_COUNTER: np.array(0, dtype=np.int64)})
    tmp_prefix = temporary_sibling(out_prefix)
    # An explicit graph and session: works whether or not eager execution is on (RETURNN turns it off).
    with tf.Graph().as_default(), tf.compat.v1.Session() as session:
        session.run(tf.raw_ops.SaveV2(prefix=tmp_prefix, tensor_names=list(saved), shape_and_slices=[""] * len(saved),
                                      tensors=[tf.constant(value) for value in saved.values()]))
    _write_meta_graph(tmp_prefix + ".meta", {name: (value.shape, value.dtype) for name, value in saved.items()})
    tmp_npz = temporary_sibling(out_npz)  # ends in .npz, so numpy keeps the name
    np.savez(tmp_npz, **values)
    manifest = {
        "format": MANIFEST_FORMAT,
        "source_checkpoint": (os.path.abspath(source_prefix) if not isinstance(source_prefix, dict) else
                              {name: os.path.abspath(prefix) for name, prefix in sorted(prefixes.items())}),
        "layers": list(layers) if spec is None else sorted({layer_of(target) or target for target in mapped}),
        "new_prefix": new_prefix,
        "step_counter": STEP_COUNTER,
        "variables": [{"name": new_prefix + target, "source_name": source, "source_checkpoint": checkpoint,
                       "layer": layer_of(target), "shape": list(shapes[checkpoint][source][0]),
                       "dtype": shapes[checkpoint][source][1]}
                      for target, (checkpoint, source) in sorted(mapped.items())],
        "excluded": [{"name": new_prefix + target, "source_name": source, "source_checkpoint": checkpoint,
                      "shape": list(shapes[checkpoint][source][0]), "dtype": shapes[checkpoint][source][1]}
                     for target, (checkpoint, source) in sorted(excluded.items())],
    }
    if spec is not None:
        manifest["transfer"] = spec.canonical()
    tmp_manifest = temporary_sibling(out_manifest)
    with open(tmp_manifest, "w") as file:
        json.dump(manifest, file, indent=1)
        file.write("\n")
    os.replace(tmp_prefix + ".data-00000-of-00001", out_prefix + ".data-00000-of-00001")
    os.replace(tmp_prefix + ".meta", out_prefix + ".meta")
    os.replace(tmp_prefix + ".index", out_prefix + ".index")
    os.replace(tmp_npz, out_npz)
    os.replace(tmp_manifest, out_manifest)
    return manifest


def _write_meta_graph(path, variables):
    """A ``.meta`` graph holding just the variables and a Saver, as RETURNN's checkpoints have (RETURNN's
    ``import_model_train_epoch1`` requires the file)."""
    import tensorflow as tf

    with tf.Graph().as_default():
        graph_variables = [tf.compat.v1.get_variable(name, shape=shape, dtype=tf.as_dtype(dtype))
                           for name, (shape, dtype) in variables.items()]
        tf.compat.v1.train.Saver(graph_variables).export_meta_graph(path)


def read_manifest(path):
    """The manifest dict written by :func:`extract_layer_variables`."""
    path = path_string(path)
    with open(path) as file, reading(path, ValueError):
        manifest = json.load(file)
    if manifest.get("format") != MANIFEST_FORMAT or "variables" not in manifest:
        raise ValueError(f"{path} is not a variable manifest of format {MANIFEST_FORMAT}; it must come from "
                         f"ExtractLayerVariablesJob.out_manifest")
    return manifest


class ExtractLayerVariablesJob(Job):
    """Copies the variables of some layers out of a trained TF checkpoint (no network build).

    Hashed: ``checkpoint`` (by its index Path; or ``{name: checkpoint}`` for several), ``layers``, ``new_prefix``;
    or, instead of ``layers``, ``transfer`` and ``exclude`` (a spec in any form of recipe/transfer/transfer_spec.py,
    by its canonical description; a same-name spec without excludes hashes as ``layers`` does).
    Outputs: ``out_checkpoint`` (Checkpoint ``frontend.index``, with ``.data-00000-of-00001`` and ``.meta``:
    exactly those variables, names as in the source or as the spec's targets, under ``new_prefix`` if given, plus
    ``global_step = 0``),
    ``out_npz`` (``frontend.npz``, same names and values), ``out_manifest`` (``manifest.json``: per variable its
    name, source name, layer, shape, dtype; the excluded variables; the source checkpoint(s)).
    Finished when its one short task has renamed all outputs into place; an unknown layer name fails the task with
    the list of layers the checkpoint has (an unknown source of a spec: with the closest names).
    """

    __sis_version__ = None
    """Raise (to 2, 3, ...) when a constant in OUTPUT_CONSTANTS changes (see recipe/output_constants.py)."""
    OUTPUT_CONSTANTS = ("recipe.transfer.extraction:MANIFEST_FORMAT", "recipe.transfer.extraction:STEP_COUNTER")

    @classmethod
    def hash(cls, parsed_args):
        return super().hash(hashed_arguments(parsed_args))

    def __init__(self, checkpoint, layers=("conv_1", "conv_2"), new_prefix="", transfer=None, exclude=()):
        from recipe.returnn.checkpoint import Checkpoint

        self.spec = spec_of(layers, transfer, exclude) if transfer is not None or exclude else None
        if self.spec is not None:
            layers = self.spec.plain_layers() if self.spec.is_plain() else tuple(
                rule.target for rule in self.spec.rules)
            if isinstance(checkpoint, dict) and set(checkpoint) != set(self.spec.checkpoint_names()):
                raise ValueError(f"checkpoints {sorted(checkpoint)} are given, the transfer spec reads "
                                 f"{self.spec.checkpoint_names()}; name each checkpoint the spec uses (NAME@layer)")
            if not isinstance(checkpoint, dict) and self.spec.checkpoint_names() != [DEFAULT_SOURCE]:
                raise ValueError(f"the transfer spec reads checkpoints {self.spec.checkpoint_names()}; pass them as "
                                 f"checkpoint={{name: checkpoint, ...}}")
        if isinstance(layers, str) or not layers:
            raise TypeError(f"ExtractLayerVariablesJob(layers=...) needs a non-empty list of layer names, got "
                            f"{layers!r}")
        if new_prefix and not new_prefix.endswith("/"):
            raise ValueError(f"new_prefix {new_prefix!r} must end with '/' (e.g. 'conv_layers/') or be empty")
        self.checkpoint = checkpoint
        self.layers = tuple(layers)
        self.new_prefix = new_prefix
        self.out_checkpoint = Checkpoint(self.output_path("frontend.index"))
        self.out_npz = self.output_path("frontend.npz")
        self.out_manifest = self.output_path("manifest.json")

    def tasks(self):
        yield Task("run", mini_task=True)

    def run(self):
        out_prefix = self.out_checkpoint.ckpt_path
        source = ({name: checkpoint_prefix(checkpoint) for name, checkpoint in self.checkpoint.items()}
                  if isinstance(self.checkpoint, dict) else checkpoint_prefix(self.checkpoint))
        extract_layer_variables(source, self.layers, out_prefix, self.out_npz.get_path(),
                                self.out_manifest.get_path(), self.new_prefix, spec=self.spec)


__all__ = ["ExtractLayerVariablesJob", "extract_layer_variables", "read_manifest", "read_checkpoint_shapes",
           "checkpoint_prefix"]
