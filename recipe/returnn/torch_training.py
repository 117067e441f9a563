"""Training with RETURNN's PyTorch backend: ``ReturnnTorchTrainingJob`` and ``GetBestPtCheckpointJob``.

Both are :mod:`recipe.returnn.training`'s jobs with the backend's differences: the config selects
``backend = "torch"`` (a ``get_model`` and a ``train_step`` instead of a ``network``), checkpoints are
``models/epoch.NNN.pt`` files (:class:`PtCheckpoint`), and no TF session options are written. Config writing, the
launcher, resuming, checkpoint outputs, progress, learning curves, peak memory and the environment record are the
TF job's.
"""

import re

from recipe.returnn.checkpoint import PtCheckpoint
from recipe.returnn.training import GetBestCheckpointJob, ReturnnTrainingJob

__all__ = ["ReturnnTorchTrainingJob", "GetBestPtCheckpointJob", "PtCheckpoint", "check_torch_backend"]

PT_CHECKPOINT = re.compile(r"^epoch\.(\d+)\.pt$")


def check_torch_backend(returnn_config, job_name):
    """Raise unless the config selects RETURNN's PyTorch backend and defines what it needs."""
    if returnn_config.get("backend") != "torch":
        raise ValueError(f"{job_name}: the ReturnnConfig must select RETURNN's PyTorch backend: add "
                         f"'backend': 'torch' (found backend={returnn_config.get('backend')!r}, use_tensorflow="
                         f"{returnn_config.get('use_tensorflow')!r}); a TF config goes to ReturnnTrainingJob")
    if "network" in returnn_config:
        raise ValueError(f"{job_name}: a PyTorch-backend config has a 'get_model' function, not a TF 'network' dict")


class ReturnnTorchTrainingJob(ReturnnTrainingJob):
    """Train a RETURNN PyTorch-backend model (``backend = "torch"``, ``get_model``, ``train_step``) from a
    :class:`ReturnnConfig`.

    Hashed, not hashed, resuming and raising ``num_epochs`` exactly as :class:`ReturnnTrainingJob` (whose docstring
    tells), the job id is its own (another class). Outputs as there, but ``out_checkpoints`` are
    :class:`PtCheckpoint` ``models/epoch.NNN.pt`` (each available as soon as its file exists). Thread counts follow
    ``cpu_rqmt`` through ``OMP_NUM_THREADS`` (the launcher's environment), no ``tf_session_opts``.
    """

    CHECKPOINT_FILE = PT_CHECKPOINT

    def checkpoint_of_epoch(self, epoch):
        """The output PtCheckpoint of ``epoch`` (``models/epoch.NNN.pt``)."""
        return PtCheckpoint(self.output_path(f"models/epoch.{epoch:03d}.pt"))

    @staticmethod
    def check_backend(returnn_config):
        check_torch_backend(returnn_config, "ReturnnTorchTrainingJob")

    def backend_post_config(self):
        """Nothing: torch takes its thread count from the environment the launcher sets."""
        return {}


class GetBestPtCheckpointJob(GetBestCheckpointJob):
    """:class:`GetBestCheckpointJob` for a PyTorch-backend training: the chosen epoch's ``epoch.NNN.pt`` hard linked
    as ``output/model/checkpoint.pt`` (``out_checkpoint``, a PtCheckpoint; the epoch is stored inside it). The key is
    one of the training's losses, e.g. ``"dev_loss_ce"``."""

    CHECKPOINT_SUFFIXES = (".pt",)

    def output_checkpoint(self):
        return PtCheckpoint(self.output_path("model/checkpoint.pt"))

    def output_prefix(self):
        return self.out_checkpoint.ckpt_path[: -len(".pt")]
