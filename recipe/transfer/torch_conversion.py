"""TF checkpoint variables into the parameters of a RETURNN PyTorch-backend model: :class:`ConvertTfToTorchJob`.

Which TF variable fills which torch parameter is a transfer specification (recipe/transfer/transfer_spec.py, any
written form) whose targets are torch module paths: ``{"frontend.conv_1": "conv_1"}`` or the one line
``"conv_1,conv_2:frontend.conv_1,frontend.conv_2"``. A layer target takes the layer's variables by RETURNN's names
(``W`` -> ``weight``, ``b`` -> ``bias``); a variable target names the parameter itself
(``frontend.conv_1.weight <- conv_1/W``).

Layouts (:func:`torch_layout`): a TF conv filter ``[width, in, out]`` becomes torch's ``[out, in, width]``; the
2-D filter of a conv over an added feature axis (``input_add_feature_dim``, ``[width, features, 1, out]``) becomes
a 1-D torch filter ``[out, features, width]`` (the same sum) or, for a torch ``Conv2d`` target,
``[out, 1, width, features]``; a TF dense ``[in, out]`` becomes ``[out, in]``; biases stay.

Errors (:class:`TorchConversionError`, raised before anything is written; a missing target already when the job is
created): a source that is not in the checkpoint
(with the closest names), a target layer or parameter the model does not have (with the closest names), a shape that
does not fit (the TF shape, its torch layout and the model's shape), a parameter mapped twice.
"""

import difflib

from recipe.atomic_output import writing_atomically, write_json_atomically
from recipe.sis_api import Job, Task
from recipe.transfer.transfer_spec import DEFAULT_SOURCE, TransferSpecError, parse_transfer

TF_TO_TORCH_NAMES = {"W": "weight", "b": "bias"}
"""RETURNN's TF variable names and the torch parameter names they become under a layer target."""


class TorchConversionError(ValueError):
    """TF variables that cannot go into the PyTorch model as specified."""


def torch_layout(value, target_shape):
    """``value`` (a TF variable, numpy) in the layout of a torch parameter of ``target_shape``; TorchConversionError
    naming both shapes when no layout rule fits."""
    import numpy as np

    shape, target = tuple(value.shape), tuple(target_shape)
    candidates = []
    if len(shape) <= 1:
        candidates.append(value)
    elif len(shape) == 2:  # dense [in, out] -> [out, in]
        candidates.append(value.T)
    elif len(shape) == 3:  # conv [width, in, out] -> [out, in, width]
        candidates.append(np.transpose(value, (2, 1, 0)))
    elif len(shape) == 4:  # conv over an added feature axis [width, features, 1, out]
        if len(target) == 3 and shape[2] == 1:
            candidates.append(np.transpose(value[:, :, 0, :], (2, 1, 0)))  # Conv1d [out, features, width]
        candidates.append(np.transpose(value, (3, 2, 0, 1)))  # Conv2d [out, in, width, features]
    for candidate in candidates:
        if tuple(candidate.shape) == target:
            return np.ascontiguousarray(candidate)
    layouts = " or ".join(str(list(candidate.shape)) for candidate in candidates) or "none"
    raise TorchConversionError(f"TF shape {list(shape)} (torch layout {layouts}) does not fit the torch parameter's "
                               f"shape {list(target)}")


def _closest(name, names):
    close = difflib.get_close_matches(name, sorted(names), n=3)
    return f" (closest: {close})" if close else ""


def _torch_name(target_variable):
    """``frontend.conv_1/W`` -> ``frontend.conv_1.weight``; a target without ``/`` is a parameter name already."""
    if "/" not in target_variable:
        return target_variable
    module, variable = target_variable.rsplit("/", 1)
    return f"{module.replace('/', '.')}.{TF_TO_TORCH_NAMES.get(variable, variable)}"


def check_targets(spec, target_shapes):
    """TorchConversionError naming every target of ``spec`` that is neither a parameter nor a module of the model
    (``target_shapes``), with the closest names; needs no checkpoint, so jobs check it when they are created."""
    problems = []
    for rule in spec.rules:
        head = rule.target.split("/", 1)[0]
        if "*" in head or head in target_shapes or any(name.startswith(head + ".") for name in target_shapes):
            continue
        modules = sorted({name.rsplit(".", 1)[0] for name in target_shapes} | set(target_shapes))
        problems.append(f"target layer {head!r} ({rule.describe()}) is not in the PyTorch model"
                        f"{_closest(head, modules)}; fix the mapping or the model (parameters: {sorted(target_shapes)})")
    if problems:
        raise TorchConversionError("; ".join(problems))


def conversion_plan(spec, checkpoint_variables, target_shapes):
    """``({torch parameter: (checkpoint name, TF variable)}, {torch parameter: (checkpoint name, TF variable)})``:
    the transferred and the excluded parameters. ``checkpoint_variables``: ``{checkpoint name: [TF variable names]}``;
    ``target_shapes``: ``{torch parameter: shape}`` of the model. TorchConversionError for every problem found."""
    check_targets(spec, target_shapes)
    problems = []
    try:
        mapped, excluded = spec.map_variables(checkpoint_variables)
    except TransferSpecError as error:
        raise TorchConversionError(str(error)) from error
    transferred, fresh, origin = {}, {}, {}
    for target_variable, source in mapped.items():
        name = _torch_name(target_variable)
        if name in transferred:
            problems.append(f"torch parameter {name!r} is mapped twice: from {origin[name]!r} and from "
                            f"{target_variable!r}; map it once")
            continue
        if name not in target_shapes:
            problems.append(f"{target_variable!r} (from {source[1]!r}) would fill torch parameter {name!r}, which the "
                            f"model does not have{_closest(name, target_shapes)}")
            continue
        transferred[name], origin[name] = source, target_variable
    for target_variable, source in excluded.items():
        fresh[_torch_name(target_variable)] = source
    if problems:
        raise TorchConversionError("; ".join(problems))
    return transferred, fresh


def convert_checkpoints(readers, spec, target_shapes):
    """``(state dict {torch parameter: numpy array}, rows)`` from ``readers`` ``{checkpoint name: {TF variable:
    numpy array}}``; every shape problem is reported at once (TorchConversionError)."""
    transferred, fresh = conversion_plan(spec, {name: sorted(values) for name, values in readers.items()},
                                         target_shapes)
    state, problems = {}, []
    for name, (checkpoint, variable) in sorted(transferred.items()):
        value = readers[checkpoint][variable]
        try:
            state[name] = torch_layout(value, target_shapes[name])
        except TorchConversionError as error:
            where = f"{checkpoint}@{variable}" if checkpoint else variable
            problems.append(f"{where} -> {name}: {error}")
    if problems:
        raise TorchConversionError("; ".join(problems))
    rows = []
    for name in sorted(target_shapes):
        source = transferred.get(name) or fresh.get(name)
        rows.append({"target": name, "source": None if source is None else
                     (f"{source[0]}@{source[1]}" if source[0] else source[1]),
                     "tf_shape": None if name not in transferred else
                     list(readers[transferred[name][0]][transferred[name][1]].shape),
                     "shape": list(target_shapes[name]), "status": "transferred" if name in transferred else "fresh"})
    return state, rows


def read_tf_variables(prefix):
    """``{variable name: numpy array}`` of a TF checkpoint (recipe/transfer/extraction.py's reader and errors)."""
    from recipe.transfer.extraction import load_checkpoint, reading_checkpoint

    reader = load_checkpoint(prefix)
    with reading_checkpoint(prefix):
        return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()}


def preload_converted(converted):
    """RETURNN's ``preload_from_files`` setting that loads a converted state dict (``out_checkpoint``) into a
    fresh PyTorch-backend training: the parameters it holds, the others left to the model's initialization."""
    return {"frontend": {"filename": converted, "init_for_train": True, "ignore_missing": True}}


class ConvertTfToTorchJob(Job):
    """The variables of TF checkpoints as a PyTorch state dict that RETURNN's torch backend preloads
    (``preload_from_files`` = :func:`preload_converted` of ``out_checkpoint``).

    ``checkpoint``: a Checkpoint, or ``{name: Checkpoint}`` for a spec reading from several (``name@conv_1``);
    ``target_shapes``: ``{torch parameter: shape}`` of the target model (``setups.torch_networks.parameter_shapes``);
    ``transfer``/``exclude``: the transfer specification, targets as torch module paths (see the module docstring).
    Hashed: all arguments (the spec by its canonical form). Outputs: ``out_checkpoint`` (``converted.pt``,
    ``{"model": {parameter: tensor}}``, the transferred parameters only) and ``out_table`` (JSON rows, one per
    parameter of the model: target, source, TF shape, shape, status ``transferred`` / ``fresh``). Finished when both
    are written (the table last).
    """

    def __init__(self, checkpoint, target_shapes, transfer, exclude=()):
        self.checkpoint = checkpoint
        self.target_shapes = {name: list(shape) for name, shape in target_shapes.items()}
        self.spec = parse_transfer(transfer, exclude)
        self.transfer = transfer
        self.exclude = tuple(exclude)
        names = set(checkpoint) if isinstance(checkpoint, dict) else {DEFAULT_SOURCE}
        unknown = sorted(set(self.spec.checkpoint_names()) - names)
        if unknown:
            raise TorchConversionError(f"ConvertTfToTorchJob: the spec reads from checkpoint(s) {unknown}, but "
                                       f"checkpoint= gives {sorted(names)}; pass checkpoint={{name: Checkpoint}}")
        check_targets(self.spec, self.target_shapes)
        self.out_checkpoint = self.output_path("converted.pt")
        self.out_table = self.output_path("conversion.json")

    @classmethod
    def hash(cls, parsed_args):
        spec = parse_transfer(parsed_args["transfer"], parsed_args.get("exclude", ()))
        return super().hash({"checkpoint": parsed_args["checkpoint"], "target_shapes": parsed_args["target_shapes"],
                             "transfer": spec.canonical()})

    def tasks(self):
        yield Task("run", mini_task=True)

    def run(self):
        import torch

        from recipe.transfer.extraction import checkpoint_prefix

        checkpoints = self.checkpoint if isinstance(self.checkpoint, dict) else {DEFAULT_SOURCE: self.checkpoint}
        readers = {name: read_tf_variables(checkpoint_prefix(checkpoint)) for name, checkpoint in checkpoints.items()}
        state, rows = convert_checkpoints(readers, self.spec, self.target_shapes)
        with writing_atomically(self.out_checkpoint.get_path()) as temporary:
            torch.save({"model": {name: torch.from_numpy(value) for name, value in state.items()}}, temporary)
        write_json_atomically(self.out_table, rows, indent=1)
        for row in rows:
            print(f"{row['target']}: {row['status']}" + (f" from {row['source']}" if row["source"] else ""))
