"""Functions that :func:`recipe.transfer.transfer_config.build_transfer_config` writes, as source, into RETURNN configs.

They run inside RETURNN, not here: they read the config's own settings as globals (``network``,
``transfer_checkpoint``, ``transfer_method``, ``transfer_layers``, ``transfer_subnetwork``); the checkpoint holds
the transferred variables under their target names. Their source text is
part of the config, so editing them changes the training's hash.
"""

# The names below are globals of the RETURNN config these functions are written into.
# flake8: noqa: F821


def transfer_starts_from_scratch():
    """True when this RETURNN process trains and no checkpoint of this training exists yet, i.e. the one time the
    pre-trained front-end must be loaded. False when a training resumes from its own checkpoint and in
    eval/forward/search, where the model's own checkpoint must be used. Decided once per process."""
    if not hasattr(transfer_starts_from_scratch, "decision"):
        from returnn.config import get_global_config
        from returnn.engine.base import EngineBase

        config = get_global_config()
        own_epoch, _ = EngineBase.get_epoch_model(config)
        transfer_starts_from_scratch.decision = config.value("task", "train") == "train" and not own_epoch
    return transfer_starts_from_scratch.decision


def load_tf_checkpoint_initializer(var_name, filename=None):
    """A TF initializer giving the value of ``var_name`` stored in the TF checkpoint ``filename`` (default: the
    config's ``transfer_checkpoint``). The file is read by a RestoreV2 op when the variable is initialised (no copy
    of the values in the graph); a missing variable or another shape fails when the network is built."""
    import tensorflow as tf
    from tensorflow.python.ops import init_ops

    filename = filename or transfer_checkpoint

    class CheckpointInitializer(init_ops.Initializer):
        """Initializer reading one variable from a TF checkpoint."""

        def __call__(self, shape, dtype=None, partition_info=None):
            stored = tf.train.load_checkpoint(filename).get_variable_to_shape_map()
            if var_name not in stored:
                raise ValueError(f"load_tf_checkpoint_initializer: {var_name!r} is not in {filename!r} "
                                 f"(it has {sorted(stored)})")
            if list(shape) != list(stored[var_name]):
                raise ValueError(f"load_tf_checkpoint_initializer: {var_name!r} has shape {stored[var_name]} in "
                                 f"{filename!r} but the network needs {list(shape)}")
            value = tf.raw_ops.RestoreV2(prefix=filename, tensor_names=[var_name], shape_and_slices=[""],
                                         dtypes=[dtype or tf.float32])[0]
            value.set_shape(shape)
            return value

        def get_config(self):
            return {"var_name": var_name, "filename": filename}

    return CheckpointInitializer()


def get_network(epoch, **kwargs):
    """``network`` as written in this config, plus, per ``transfer_method``, how the transferred layers
    (``transfer_layers``) get their values from ``transfer_checkpoint``:
    "load_on_init": ``load_on_init`` on the subnetwork ``transfer_subnetwork``, only when a training starts from
    scratch (RETURNN applies it on every network build and then skips those variables when loading the model's own
    checkpoint, which would throw away fine-tuning on resume and in eval);
    "custom_param_importer": ``custom_param_importer = "reset"`` on every other layer (with
    ``import_model_train_epoch1`` loading the checkpoint), again only when a training starts from scratch;
    "initializer": ``forward_weights_init``/``bias_init`` reading the checkpoint (an initial value only: the model's
    own checkpoint overrides it, but the file must exist whenever the network is built)."""
    import copy

    import tensorflow as tf

    net = copy.deepcopy(network)
    if transfer_method == "load_on_init":
        if transfer_starts_from_scratch():
            net[transfer_subnetwork]["load_on_init"] = transfer_checkpoint
    elif transfer_method == "custom_param_importer":
        if transfer_starts_from_scratch():
            for name, layer in net.items():
                if name not in transfer_layers:
                    layer["custom_param_importer"] = "reset"
    elif transfer_method == "initializer":
        init_option = {"W": "forward_weights_init", "b": "bias_init"}
        for var_name in sorted(tf.train.load_checkpoint(transfer_checkpoint).get_variable_to_shape_map()):
            if var_name == "global_step":
                continue
            layer_name, param = var_name.rsplit("/", 1)
            if layer_name not in transfer_layers or param not in init_option:
                raise ValueError(f"initializer transfer: cannot place {var_name!r} of {transfer_checkpoint!r} "
                                 f"(transferred layers {transfer_layers}, params W and b only)")
            net[layer_name][init_option[param]] = f"load_tf_checkpoint_initializer({var_name!r})"
    else:
        raise ValueError(f"unknown transfer_method {transfer_method!r}")
    return net


REGISTER_INITIALIZER = """\
# RETURNN evaluates initializer strings in the namespace of returnn.tf.util.basic: make the loader visible there.
import returnn.tf.util.basic as _returnn_tf_util
_returnn_tf_util.load_tf_checkpoint_initializer = load_tf_checkpoint_initializer"""


def layers_in_transfer_checkpoint():
    """The top-level layers that own variables in ``transfer_checkpoint`` (the step counter left out)."""
    import tensorflow as tf

    names = tf.train.load_checkpoint(transfer_checkpoint).get_variable_to_shape_map()
    return sorted({name.split("/")[0] for name in names if name != "global_step"})


TRANSFER_LAYERS_FROM_CHECKPOINT = """\
# Layers of a transfer spec whose variables are all excluded get custom_param_importer = "reset" too.
transfer_layers = layers_in_transfer_checkpoint()"""
