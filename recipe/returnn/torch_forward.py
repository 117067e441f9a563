"""``ReturnnTorchForwardJob``: posteriors of a RETURNN PyTorch-backend checkpoint on one dataset, to HDF.

The model config's ``forward_step`` marks the posteriors as an output (``rf.get_run_ctx().mark_as_output``); the
job's :func:`posteriors_to_hdf` callback (RETURNN's ``forward_callback``) writes that output of every sequence to an
HDF file in the layout of the TF backend's forward (``inputs`` [sum of frames, dim], ``seqLengths``, ``seqTags``),
so DecodeWordsJob and FrameScoresJob read both backends' posteriors alike.
"""

from recipe.returnn.config import ReturnnConfig
from recipe.returnn.evaluation import DATASET_KEYS, RUN_KEYS
from recipe.returnn.forward import ReturnnForwardJob
from recipe.returnn.checkpoint import PtCheckpoint
from recipe.returnn.progress import progress_log_settings
from recipe.returnn.torch_training import check_torch_backend

FORWARD_ONLY_DROPPED = ("cleanup_old_models", "max_seq_length", "min_seq_length", "train_step")
"""Training settings RETURNN's torch forward refuses or does not use (it must see every sequence)."""


def posteriors_to_hdf():
    """RETURNN's ``forward_callback``: the forward output named by the config's ``forward_output_layer`` of each
    sequence into the HDF file ``output_file`` (RETURNN's SimpleHDFWriter)."""
    from returnn.config import get_global_config
    from returnn.datasets.hdf import SimpleHDFWriter
    from returnn.forward_iface import ForwardCallbackIface

    class PosteriorsToHdf(ForwardCallbackIface):
        def init(self, *, model):
            config = get_global_config()
            self.name = config.value("forward_output_layer", "output")
            self.filename = config.value("output_file", None)
            self.writer = None

        def process_seq(self, *, seq_tag, outputs):
            values = outputs[self.name].raw_tensor
            if self.writer is None:
                self.writer = SimpleHDFWriter(self.filename, dim=values.shape[-1], ndim=2)
            self.writer.insert_batch(values[None], [values.shape[0]], [seq_tag])

        def finish(self):
            if self.writer is None:
                raise ValueError(f"the forward dataset had no sequences; nothing written to {self.filename}")
            self.writer.close()

    return PosteriorsToHdf()


def torch_forward_config(returnn_config, model_checkpoint, dataset, output_name):
    """The hashed RETURNN config that forwards ``dataset`` through ``model_checkpoint`` with the config's
    ``forward_step`` (``task = "forward"``)."""
    base = returnn_config.without(*DATASET_KEYS, *RUN_KEYS, *FORWARD_ONLY_DROPPED)
    return base.updated(config={"task": "forward", "load": model_checkpoint, "forward_data": dataset,
                                "forward_output_layer": output_name, "forward_callback": posteriors_to_hdf})


class ReturnnTorchForwardJob(ReturnnForwardJob):
    """Forward one dataset through a PyTorch-backend checkpoint (a :class:`PtCheckpoint`) with RETURNN's
    ``task = "forward"``: the config's ``forward_step`` output ``output_layer`` (its name) to ``out_hdf``.

    Hashed, not hashed, outputs and when finished: as :class:`ReturnnForwardJob` (the job id is its own).
    """

    @staticmethod
    def check_model(model_checkpoint, returnn_config):
        if not isinstance(model_checkpoint, PtCheckpoint):
            raise TypeError(f"ReturnnTorchForwardJob needs a PtCheckpoint (e.g. training.out_checkpoints[N] of a "
                            f"ReturnnTorchTrainingJob), got {type(model_checkpoint).__name__}")
        if not isinstance(returnn_config, ReturnnConfig):
            raise TypeError(f"ReturnnTorchForwardJob needs a ReturnnConfig, got {type(returnn_config).__name__}")
        check_torch_backend(returnn_config, "ReturnnTorchForwardJob")
        if "forward_step" not in returnn_config:
            raise ValueError("ReturnnTorchForwardJob: the config has no 'forward_step' (the function that marks the "
                             "posteriors as output); add it next to get_model and train_step")

    def run_config(self, output_file):
        config = torch_forward_config(self.returnn_config, self.model_checkpoint, self.dataset, self.output_layer)
        return config.updated(post_config={"device": self.device, **progress_log_settings(self.log_verbosity),
                                           "output_file": output_file})
