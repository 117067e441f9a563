"""Check, before any training, that extracted variables fit the target network's transferred layers.

The target's parameter shapes come from building just the transferred layers (and what they read from) with
RETURNN on CPU, a few seconds. Every variable is compared with the manifest; all problems are reported at once,
each variable with both shapes. The checkpoint must hold the transferred layers and nothing else, so a
same-named layer of the target with another role (``lin_1``, ``output``) can never be filled from the baseline.
"""

import difflib

from recipe.atomic_output import link_or_copy_atomically, write_json_atomically
from recipe.sis_api import Job, Task
from recipe.transfer.transfer_spec import TransferSpecError, hashed_arguments, spec_of


class TransferMismatchError(ValueError):
    """The extracted variables do not fit the target network."""


def check_layer_names(network, layers, caller, network_name="the target network", defined_in=None):
    """Fail fast unless ``layers`` is a non-empty list of names of layers in ``network`` (TypeError, or
    TransferMismatchError listing the missing names, the closest existing ones and the network's layers); ``caller``
    is named in the message, and ``defined_in`` (e.g. "setups/networks.py") as the file to fix."""
    if isinstance(layers, str) or not layers:
        raise TypeError(f"{caller}(layers=...) needs a non-empty list of layer names, got {layers!r}")
    missing = [name for name in layers if name not in network]
    if missing:
        close = {name: difflib.get_close_matches(str(name), list(network), n=1) for name in missing}
        hints = ", ".join(f"{name!r} -> {found[0]!r}" for name, found in close.items() if found)
        raise TransferMismatchError(
            f"transferred layer(s) {missing} are not in {network_name}" + (f" (did you mean {hints}?)" if hints else "")
            + f" (layers: {list(network)}); fix `layers` or the network dict"
            + (f" in {defined_in}" if defined_in else ""))


def target_params(network, layers, extern_data):
    """``{variable name: (shape list, dtype name)}`` of the parameters of ``layers`` in ``network``, from a RETURNN
    graph build of those layers and their inputs only (no training, no session)."""
    import tensorflow as tf
    from returnn.config import Config
    from returnn.tf.network import ExternData, TFNetwork
    from returnn.util.basic import BackendEngine

    BackendEngine.select_engine(engine=BackendEngine.TensorFlowNetDict)
    config = Config({"extern_data": extern_data})
    params = {}
    with tf.Graph().as_default():
        net = TFNetwork(config=config, extern_data=ExternData(extern_data), train_flag=False)
        for name in layers:
            layer = net.construct_layer(network, name)
            for variable in layer.params.values():
                params[variable.op.name] = (variable.shape.as_list(), variable.dtype.base_dtype.name)
    return params


def target_param_shapes(network, layers, extern_data):
    """``{variable name: shape list}`` of the parameters of ``layers`` (see :func:`target_params`)."""
    return {name: shape for name, (shape, _) in target_params(network, layers, extern_data).items()}


def transfer_problems(target_shapes, manifest, layers, target_dtypes=None, method=None, whole_layers=None):
    """Human-readable problems (empty if the transfer fits): checkpoint layers that are not transferred, variables
    missing on either side (a target variable whose source the spec excludes is fresh, not missing), shape
    mismatches (each with both shapes), dtype mismatches, and, for ``method="custom_param_importer"`` (which loads
    whole layers), a layer with both transferred and fresh variables; for ``"load_on_init"`` a transferred
    variable outside ``whole_layers`` (the layers its subnetwork loads)."""
    stored = {entry["name"]: entry["shape"] for entry in manifest["variables"]}
    stored_dtypes = {entry["name"]: entry.get("dtype") for entry in manifest["variables"]}
    fresh = {entry["name"] for entry in manifest.get("excluded", ())}
    problems = []
    extra_layers = sorted({entry["layer"].split("/")[0] for entry in manifest["variables"]} - set(layers))
    if extra_layers:
        problems.append(f"the checkpoint also holds layer(s) {extra_layers}, which are not transferred; same-named "
                        f"layers of the target would be overwritten. Extract only {list(layers)}.")
    for name in sorted(set(target_shapes) | set(stored)):
        if name not in target_shapes:
            problems.append(f"{name}: the checkpoint has shape {stored[name]}, the target has no such variable")
        elif name not in stored:
            if name not in fresh:
                problems.append(f"{name}: the target needs shape {target_shapes[name]}, the checkpoint has no such "
                                f"variable (map it, or exclude its source to leave it fresh)")
        elif list(stored[name]) != list(target_shapes[name]):
            problems.append(f"{name}: target shape {target_shapes[name]} != checkpoint shape {stored[name]}")
        elif target_dtypes and stored_dtypes[name] and stored_dtypes[name] != target_dtypes[name]:
            problems.append(f"{name}: target dtype {target_dtypes[name]} != checkpoint dtype {stored_dtypes[name]}")
    if method == "custom_param_importer":
        for layer in layers:
            owned = [name for name in target_shapes if name.split("/")[0] == layer]
            loaded = [name for name in owned if name in stored]
            if loaded and len(loaded) != len(owned):
                problems.append(f"layer {layer!r}: custom_param_importer loads whole layers, but only {loaded} of "
                                f"{sorted(owned)} are transferred; transfer all of them, exclude all of them, or "
                                f"use another method")
    if method == "load_on_init" and whole_layers is not None:
        for name in sorted(stored):
            if name.split("/")[0] not in whole_layers:
                problems.append(f"{name}: load_on_init loads only the layers without excludes {list(whole_layers)}, "
                                f"so this transferred variable would stay fresh; exclude all of its layer's "
                                f"variables or use another method")
    return problems


def transfer_table(target_shapes, manifest, frozen=False, network_shapes=None):
    """One row per variable of the transferred target layers (and, with ``network_shapes``, ``{variable: shape}`` of
    the whole target network, of every other variable too): target, source (``checkpoint@name`` when several),
    shape, status ``transferred`` / ``frozen`` (transferred, not trained) / ``fresh`` (excluded or not transferred:
    the target's own initialisation)."""
    stored = {entry["name"]: entry for entry in manifest["variables"]}
    excluded = {entry["name"]: entry for entry in manifest.get("excluded", ())}
    target_shapes = {**(network_shapes or {}), **target_shapes}
    rows = []
    for name in sorted(set(target_shapes) | set(stored)):
        entry = stored.get(name) or excluded.get(name)
        source = None
        if entry:
            source = (f"{entry['source_checkpoint']}@" if entry.get("source_checkpoint") else "") + entry["source_name"]
        status = ("frozen" if frozen else "transferred") if name in stored else "fresh"
        rows.append({"target": name, "source": source, "shape": list(target_shapes.get(name, entry and entry["shape"])),
                     "status": status})
    return rows


def format_transfer_table(rows):
    """The rows of :func:`transfer_table` as aligned text lines."""
    header = ("target", "source", "shape", "status")
    lines = [header] + [(row["target"], row["source"] or "-", str(row["shape"]), row["status"]) for row in rows]
    widths = [max(len(line[column]) for line in lines) for column in range(len(header))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in lines)


def check_transfer(network, layers, extern_data, manifest, spec=None, method=None):
    """Raise TransferMismatchError listing every problem; return the target shapes if the transfer fits. With a
    ``spec`` (TransferSpec) its target layers (globs resolved against ``network``) are checked, not ``layers``."""
    if spec is not None:
        try:
            layers = spec.target_layers(network)
        except TransferSpecError as error:
            raise TransferMismatchError(str(error)) from None
    check_layer_names(network, layers, "check_transfer")
    params = target_params(network, layers, extern_data)
    shapes = {name: shape for name, (shape, _) in params.items()}
    whole_layers = spec.target_layers(network, untouched_only=True) if spec is not None else None
    problems = transfer_problems(shapes, manifest, layers, {name: dtype for name, (_, dtype) in params.items()},
                                 method, whole_layers)
    if problems:
        raise TransferMismatchError(
            f"the extracted variables from {manifest.get('source_checkpoint')} do not fit the target network:\n  "
            + "\n  ".join(problems)
            + "\nFix: make the target's transferred layers match the baseline's (filter sizes, channels), or "
              "extract from a matching baseline, or fix the transfer mapping.")
    return shapes


class ValidateTransferJob(Job):
    """Checks that extracted variables fit the target network's transferred layers, before any training.

    Hashed: ``network``, ``layers``, ``extern_data``, ``checkpoint`` and ``manifest`` (an ExtractLayerVariablesJob's
    ``out_checkpoint`` and ``out_manifest``; both are inputs, so the check waits for the extraction); instead of
    ``layers``, ``transfer``/``exclude`` (the spec given to the extraction; a same-name spec without excludes hashes
    as ``layers``); ``method`` and ``frozen`` when given (``method="custom_param_importer"`` also refuses layers
    that would be half transferred; ``frozen`` shows in the report). Outputs: ``out_checkpoint`` (the extracted
    checkpoint, hard-linked or copied, so a training that loads it depends on this check) and ``out_report`` (JSON:
    each transferred variable with its shape, and ``table``: every variable of the target network with its
    source, target, shape and status transferred / frozen / fresh; the task log prints that table).
    Finished when the check passed; a mismatch fails the task within seconds, listing every variable with both
    shapes.
    """

    __sis_hash_exclude__ = {"method": None, "frozen": None}

    @classmethod
    def hash(cls, parsed_args):
        return super().hash(hashed_arguments(parsed_args))

    def __init__(self, network, checkpoint, manifest, extern_data, layers=("conv_1", "conv_2"), transfer=None,
                 exclude=(), method=None, frozen=None):
        from recipe.returnn.checkpoint import Checkpoint

        self.spec = spec_of(layers, transfer, exclude) if transfer is not None or exclude else None
        if self.spec is not None:
            try:
                layers = self.spec.target_layers(network)
            except TransferSpecError as error:
                raise TransferMismatchError(f"ValidateTransferJob: {error}") from None
        check_layer_names(network, layers, "ValidateTransferJob")
        self.network = network
        self.layers = tuple(layers)
        self.extern_data = extern_data
        self.method = method
        self.frozen = bool(frozen)
        self.extracted_checkpoint = checkpoint
        self.extracted_manifest = manifest
        self.out_checkpoint = Checkpoint(self.output_path("frontend.index"))
        self.out_report = self.output_path("report.json")

    def tasks(self):
        yield Task("run", mini_task=True)

    def run(self):
        from recipe.transfer.extraction import read_manifest

        manifest = read_manifest(self.extracted_manifest)
        shapes = check_transfer(self.network, self.layers, self.extern_data, manifest, spec=self.spec,
                                method=self.method)
        network_shapes = target_param_shapes(self.network, list(self.network), self.extern_data)
        table = transfer_table(shapes, manifest, self.frozen, network_shapes)
        print(format_transfer_table(table))
        source = self.extracted_checkpoint.ckpt_path
        target = self.out_checkpoint.ckpt_path
        for suffix in (".data-00000-of-00001", ".meta", ".index"):  # the index last: it marks the checkpoint
            link_or_copy_atomically(source + suffix, target + suffix)
        report = {"source_checkpoint": manifest.get("source_checkpoint"), "layers": list(self.layers),
                  "variables": {name: shape for name, shape in sorted(shapes.items())}, "table": table}
        write_json_atomically(self.out_report, report)
