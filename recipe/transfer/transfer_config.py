"""``build_transfer_config``: the RETURNN config of a network whose front-end starts from extracted variables.

One parameter picks how RETURNN loads them (``method``), one whether they stay fixed (``frozen``):

* ``"load_on_init"`` (default, the answer the user got): the layers from the input to the last transferred layer
  go into a ``subnetwork`` layer (variables become ``<subnetwork>/conv_1/W``) whose ``load_on_init`` is set only
  when a training starts from scratch, so a resumed training and eval keep the model's own (fine-tuned) values.
* ``"preload_from_files"``: ``init_for_train`` preloading, which RETURNN applies in a fresh training only.
* ``"custom_param_importer"``: ``import_model_train_epoch1`` with ``custom_param_importer = "reset"`` on every
  other layer, set only when a training starts from scratch.
* ``"initializer"``: ``forward_weights_init``/``bias_init`` of the transferred layers read the checkpoint
  (``load_tf_checkpoint_initializer``); the model's own checkpoint overrides them on resume and in eval. Target
  layers inside a ``subnetwork`` layer (a spec ``{"conv_layers/conv_1": "conv_1"}``) get them written into the
  network dict (:func:`place_initializers`); other configs keep the ``get_network`` of before (and their job ids).

Only variables in the given checkpoint can be loaded; pass the checkpoint of :class:`ValidateTransferJob`, which
holds exactly the transferred layers' variables, so same-named layers of the target (``lin_1``, ``output``) are never
filled from the baseline.
"""

import copy

from recipe.transfer import returnn_code
from recipe.transfer.transfer_spec import TransferSpecError, parse_transfer, spec_of
from recipe.transfer.validation import TransferMismatchError, check_layer_names

METHODS = ("load_on_init", "preload_from_files", "custom_param_importer", "initializer")
DEFAULT_SUBNETWORK = "conv_layers"
_RESERVED_KEYS = ("network", "get_network", "preload_from_files", "import_model_train_epoch1", "load",
                  "transfer_method", "transfer_layers", "transfer_checkpoint", "transfer_subnetwork")


def _sources(layer):
    sources = layer.get("from", "data")
    return [sources] if isinstance(sources, str) else list(sources)


def _ancestors(network, names):
    """``names`` and every layer they read from (transitively), in network order."""
    found, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in found or name not in network:
            continue
        found.add(name)
        todo.extend(_sources(network[name]))
    return [name for name in network if name in found]


def wrap_in_subnetwork(network, layers, subnetwork_name=DEFAULT_SUBNETWORK, subnetwork_layers=None):
    """A copy of ``network`` with ``subnetwork_layers`` (default: ``layers`` and everything they read from) moved
    into one ``subnetwork`` layer; layers that read the subnetwork's last layer read the subnetwork instead."""
    inner_names = list(subnetwork_layers) if subnetwork_layers else _ancestors(network, layers)
    missing = [name for name in list(layers) + inner_names if name not in network]
    if missing:
        raise ValueError(f"layer(s) {missing} are not in the network; layers: {list(network)}")
    outside = [name for name in layers if name not in inner_names]
    if outside:
        raise ValueError(f"transferred layer(s) {outside} are not among subnetwork_layers {inner_names}")
    if subnetwork_name in network or "output" in inner_names:
        raise ValueError(f"cannot wrap {inner_names} into a subnetwork named {subnetwork_name!r}: the name is taken "
                         f"(or a wrapped layer is called 'output'); pass another subnetwork_name")
    consumed = {source for name in inner_names for source in _sources(network[name])}
    last = [name for name in inner_names if name not in consumed]
    if len(last) != 1:
        raise ValueError(f"subnetwork_layers {inner_names} must form a chain with one last layer, found {last}")
    last = last[0]
    for name, layer in network.items():
        if name not in inner_names:
            leaked = [source for source in _sources(layer) if source in inner_names and source != last]
            if leaked:
                raise ValueError(f"layer {name!r} reads {leaked} from inside the subnetwork; only {last!r} (its "
                                 f"output) is visible outside")
    external = sorted({source for name in inner_names for source in _sources(network[name])
                       if source not in inner_names and source != "data"})
    if external:
        raise ValueError(f"subnetwork_layers {inner_names} read {external}; they may read only the input 'data'")
    inner = {name: copy.deepcopy(network[name]) for name in inner_names}
    inner["output"] = {"class": "copy", "from": last}
    wrapped = {}
    for name, layer in network.items():
        if name == inner_names[0]:
            wrapped[subnetwork_name] = {"class": "subnetwork", "from": "data", "subnetwork": inner}
        if name in inner_names:
            continue
        layer = copy.deepcopy(layer)
        if "from" in layer:
            renamed = [subnetwork_name if source == last else source for source in _sources(layer)]
            layer["from"] = renamed
        wrapped[name] = layer
    return wrapped


def transfer_network(network, layers, method="load_on_init", frozen=False, subnetwork_name=DEFAULT_SUBNETWORK,
                     subnetwork_layers=None):
    """The network dict as trained and evaluated (without the loading, which the config adds at run time)."""
    if method not in METHODS:
        raise ValueError(f"unknown transfer method {method!r}; choose one of {METHODS}")
    check_layer_names(network, layers, "transfer_network")
    if method == "load_on_init":
        net = wrap_in_subnetwork(network, layers, subnetwork_name, subnetwork_layers)
        if frozen:
            net[subnetwork_name]["trainable"] = False
        return net
    net = copy.deepcopy(network)
    if frozen:
        for name in layers:
            net[name]["trainable"] = False
    return net


def _inside_subnetwork(network, target):
    """True when ``target`` names something inside a ``subnetwork`` layer of ``network`` (``conv_layers/conv_1``)."""
    head = target.split("/", 1)[0]
    return "/" in target and isinstance(network.get(head), dict) and network[head].get("class") == "subnetwork"


def nested_layer(network, path):
    """The layer dict at ``path`` (``conv_layers/conv_1``: layer conv_1 of the subnetwork layer conv_layers);
    TransferMismatchError naming the first part of the path that is not a layer, with the layers there."""
    layers, layer = network, None
    names = path.split("/")
    for depth, name in enumerate(names):
        if layers is None or name not in layers:
            where = "/".join(names[:depth]) or "the network"
            raise TransferMismatchError(
                f"initializer transfer: target {path!r}: {name!r} is not a layer of {where}"
                + (f" (layers: {list(layers)})" if layers else " (not a subnetwork layer)")
                + "; map whole layers, e.g. {'conv_layers/conv_1': 'conv_1'}")
        layer = layers[name]
        layers = layer.get("subnetwork") if layer.get("class") == "subnetwork" else None
    return layer


def place_initializers(network, spec):
    """A copy of ``network`` in which each target layer of ``spec``, also one inside a subnetwork, reads its ``W``
    and ``b`` from the transfer checkpoint (``forward_weights_init``/``bias_init`` =
    ``load_tf_checkpoint_initializer('<target>/W')``), except the variables whose source the spec excludes (fresh).
    A layer without a bias never reads its ``bias_init``."""
    net = copy.deepcopy(network)
    for rule in spec.rules:
        if "*" in rule.target:
            raise TransferMismatchError(f"initializer transfer into subnetwork layers: {rule.describe()}: map each "
                                        f"layer by its name (no '*')")
        layer = nested_layer(net, rule.target)
        for variable, option in (("W", "forward_weights_init"), ("b", "bias_init")):
            if not spec.is_excluded(rule.checkpoint, f"{rule.source}/{variable}"):
                layer[option] = f"load_tf_checkpoint_initializer({rule.target + '/' + variable!r})"
    return net


def transferred_variable_name(source_name, method, subnetwork_name=DEFAULT_SUBNETWORK):
    """Where a transferred variable (e.g. ``conv_1/W``) lives in the target model's checkpoints."""
    return f"{subnetwork_name}/{source_name}" if method == "load_on_init" else source_name


PARAMETER_FREE_CLASSES = ("pad", "merge_dims", "split_dims", "copy", "activation", "dropout", "slice",
                          "seq_len_mask", "pool", "window", "reinterpret_data", "combine", "eval", "transpose")
"""RETURNN layer classes without variables: they may sit inside a ``load_on_init`` subnetwork without values."""


def load_on_init_layers(network, spec, subnetwork_layers=None):
    """The target layers ``load_on_init`` loads: those of rules no exclude touches (they and their inputs, or
    ``subnetwork_layers``, form the subnetwork). RETURNN's ``load_on_init`` cannot leave a variable of its
    subnetwork fresh (it fails when the network is built again), so every other layer inside it must be of a class
    in :data:`PARAMETER_FREE_CLASSES`; ValueError naming the layer otherwise."""
    loaded = spec.target_layers(network, untouched_only=True)
    if not loaded:
        raise ValueError("load_on_init: every mapped layer has excluded variables, nothing would be loaded; use "
                         "preload_from_files or initializer, or map a layer without excludes")
    inner = list(subnetwork_layers) if subnetwork_layers else _ancestors(network, loaded)
    fresh = [f"{name} (class {network[name].get('class')!r})" for name in inner
             if name in network and name not in loaded and network[name].get("class") not in PARAMETER_FREE_CLASSES]
    if fresh:
        raise ValueError(f"load_on_init: {', '.join(fresh)} lie(s) inside the subnetwork {inner} but get no values "
                         f"from the checkpoint (not mapped, or with excludes); RETURNN's load_on_init cannot leave a "
                         f"variable of its subnetwork fresh. Map them without excludes, or use preload_from_files, "
                         f"custom_param_importer or initializer")
    return loaded


def build_transfer_config(config, network, checkpoint, *, method="load_on_init", frozen=False,
                          layers=("conv_1", "conv_2"), subnetwork_name=DEFAULT_SUBNETWORK, subnetwork_layers=None,
                          post_config=None, transfer=None, exclude=()):
    """The ``ReturnnConfig`` training ``network`` with ``layers`` starting from ``checkpoint``.

    ``config``: the other RETURNN settings (datasets, extern_data, optimizer, learning rate, ...), without
    ``network``. ``checkpoint``: a Checkpoint holding exactly the transferred variables under their target names
    (``ValidateTransferJob.out_checkpoint``). ``method``: one of :data:`METHODS`. ``frozen``: ``trainable: False``
    on the transferred layers (the subnetwork for ``load_on_init``), otherwise they are fine-tuned.
    ``transfer``/``exclude``: instead of ``layers``, the spec the extraction followed
    (recipe/transfer/transfer_spec.py); its target layers are the transferred layers, and variables it leaves fresh
    keep the target's initialisation (``load_on_init`` wraps only the layers no exclude touches, see
    :func:`load_on_init_layers`; ``custom_param_importer`` resets every layer without variables in the checkpoint,
    read when RETURNN loads the config; both load whole layers, which ``ValidateTransferJob(method=...)`` checks).
    A same-name spec without excludes gives the very config (and hash) of ``layers``.
    """
    from recipe.returnn.config import ReturnnConfig

    if not isinstance(config, dict):
        raise TypeError(f"config must be a dict of RETURNN settings, got {type(config).__name__}")
    taken = sorted(key for key in _RESERVED_KEYS if key in config)
    if taken:
        raise ValueError(f"config already sets {taken}; build_transfer_config sets these itself, remove them")
    if not isinstance(frozen, bool):
        raise TypeError(f"frozen must be True or False, got {frozen!r}")
    spec = spec_of(layers, transfer, exclude) if transfer is not None or exclude else None
    if spec is not None and spec.is_plain():
        layers, spec = spec.plain_layers(), None
    if spec is not None:
        try:
            layers = spec.target_layers(network)
        except TransferSpecError as error:
            raise TransferMismatchError(f"build_transfer_config: {error}") from None
    check_layer_names(network, layers, "build_transfer_config")  # before list(): a string is not a list of names
    layers = list(layers)
    settings = dict(config)
    loaded = layers
    if method == "load_on_init":
        loaded = load_on_init_layers(network, spec or parse_transfer(tuple(layers)), subnetwork_layers)
    settings["network"] = transfer_network(network, loaded, method, frozen, subnetwork_name, subnetwork_layers)
    settings["transfer_method"] = method
    settings["transfer_layers"] = layers
    epilog = None
    if method == "preload_from_files":
        settings["preload_from_files"] = {
            "transfer": {"filename": checkpoint, "init_for_train": True, "ignore_missing": True}}
    elif method == "initializer" and spec is not None and any(_inside_subnetwork(network, rule.target)
                                                              for rule in spec.rules):
        # Targets inside a subnetwork: the initializers are written into the network dict itself.
        settings["transfer_checkpoint"] = checkpoint
        settings["network"] = place_initializers(settings["network"], spec)
        epilog = [returnn_code.load_tf_checkpoint_initializer, returnn_code.REGISTER_INITIALIZER]
    else:
        settings["transfer_checkpoint"] = checkpoint
        epilog = [returnn_code.transfer_starts_from_scratch, returnn_code.get_network]
        if method == "load_on_init":
            settings["transfer_subnetwork"] = subnetwork_name
        elif method == "custom_param_importer":
            settings["import_model_train_epoch1"] = checkpoint
            if spec is not None:  # a mapped layer whose variables are all excluded must be reset too
                epilog += [returnn_code.layers_in_transfer_checkpoint, returnn_code.TRANSFER_LAYERS_FROM_CHECKPOINT]
        elif method == "initializer":
            epilog += [returnn_code.load_tf_checkpoint_initializer, returnn_code.REGISTER_INITIALIZER]
    return ReturnnConfig(settings, post_config, python_epilog=epilog)
