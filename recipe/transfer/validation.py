"""Check, before any training, that extracted variables fit the target network's transferred layers.

The target's parameter shapes come from building just the transferred layers (and what they read from) with
RETURNN on CPU, a few seconds. Every variable is compared with the manifest; all problems are reported at once,
each variable with both shapes. The checkpoint must hold the transferred layers and nothing else, so a
same-named layer of the target with another role (``lin_1``, ``output``) can never be filled from the baseline.
"""

import difflib

from recipe.atomic_output import link_or_copy_atomically, write_json_atomically
from recipe.sis_api import Job, Task


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


def target_param_shapes(network, layers, extern_data):
    """``{variable name: shape list}`` of the parameters of ``layers`` in ``network``, from a RETURNN graph build of
    those layers and their inputs only (no training, no session)."""
    import tensorflow as tf
    from returnn.config import Config
    from returnn.tf.network import ExternData, TFNetwork
    from returnn.util.basic import BackendEngine

    BackendEngine.select_engine(engine=BackendEngine.TensorFlowNetDict)
    config = Config({"extern_data": extern_data})
    shapes = {}
    with tf.Graph().as_default():
        net = TFNetwork(config=config, extern_data=ExternData(extern_data), train_flag=False)
        for name in layers:
            layer = net.construct_layer(network, name)
            for variable in layer.params.values():
                shapes[variable.op.name] = variable.shape.as_list()
    return shapes


def transfer_problems(target_shapes, manifest, layers):
    """Human-readable problems (empty if the transfer fits): checkpoint layers that are not transferred, variables
    missing on either side, and shape mismatches (each with both shapes)."""
    stored = {entry["name"]: entry["shape"] for entry in manifest["variables"]}
    problems = []
    extra_layers = sorted({entry["layer"] for entry in manifest["variables"]} - set(layers))
    if extra_layers:
        problems.append(f"the checkpoint also holds layer(s) {extra_layers}, which are not transferred; same-named "
                        f"layers of the target would be overwritten. Extract only {list(layers)}.")
    for name in sorted(set(target_shapes) | set(stored)):
        if name not in target_shapes:
            problems.append(f"{name}: the checkpoint has shape {stored[name]}, the target has no such variable")
        elif name not in stored:
            problems.append(f"{name}: the target needs shape {target_shapes[name]}, the checkpoint has no such "
                            f"variable")
        elif list(stored[name]) != list(target_shapes[name]):
            problems.append(f"{name}: target shape {target_shapes[name]} != checkpoint shape {stored[name]}")
    return problems


def check_transfer(network, layers, extern_data, manifest):
    """Raise TransferMismatchError listing every problem; return the target shapes if the transfer fits."""
    check_layer_names(network, layers, "check_transfer")
    shapes = target_param_shapes(network, layers, extern_data)
    problems = transfer_problems(shapes, manifest, layers)
    if problems:
        raise TransferMismatchError(
            f"the extracted variables from {manifest.get('source_checkpoint')} do not fit the target network:\n  "
            + "\n  ".join(problems)
            + "\nFix: make the target's transferred layers match the baseline's (filter sizes, channels), or "
              "extract from a matching baseline.")
    return shapes


class ValidateTransferJob(Job):
    """Checks that extracted variables fit the target network's transferred layers, before any training.

    Hashed: ``network``, ``layers``, ``extern_data``, ``checkpoint`` and ``manifest`` (an ExtractLayerVariablesJob's
    ``out_checkpoint`` and ``out_manifest``; both are inputs, so the check waits for the extraction). Outputs: ``out_checkpoint`` (the extracted checkpoint, hard-linked or copied, so a training that
    loads it depends on this check) and ``out_report`` (JSON: each transferred variable with its shape).
    Finished when the check passed; a mismatch fails the task within seconds, listing every variable with both
    shapes.
    """

    def __init__(self, network, checkpoint, manifest, extern_data, layers=("conv_1", "conv_2")):
        from recipe.returnn.checkpoint import Checkpoint

        check_layer_names(network, layers, "ValidateTransferJob")
        self.network = network
        self.layers = tuple(layers)
        self.extern_data = extern_data
        self.extracted_checkpoint = checkpoint
        self.extracted_manifest = manifest
        self.out_checkpoint = Checkpoint(self.output_path("frontend.index"))
        self.out_report = self.output_path("report.json")

    def tasks(self):
        yield Task("run", mini_task=True)

    def run(self):
        from recipe.transfer.extraction import read_manifest

        manifest = read_manifest(self.extracted_manifest)
        shapes = check_transfer(self.network, self.layers, self.extern_data, manifest)
        source = self.extracted_checkpoint.ckpt_path
        target = self.out_checkpoint.ckpt_path
        for suffix in (".data-00000-of-00001", ".meta", ".index"):  # the index last: it marks the checkpoint
            link_or_copy_atomically(source + suffix, target + suffix)
        report = {"source_checkpoint": manifest.get("source_checkpoint"), "layers": list(self.layers),
                  "variables": {name: shape for name, shape in sorted(shapes.items())}}
        write_json_atomically(self.out_report, report)
