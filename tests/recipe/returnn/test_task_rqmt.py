"""The rqmt of RETURNN tasks: one GPU for device "gpu", and any other device than cpu/gpu refused by every job."""

import pytest

from recipe.returnn.checkpoint import Checkpoint
from recipe.returnn.evaluation import ReturnnEvalJob
from recipe.returnn.forward import ReturnnForwardJob
from recipe.returnn.launcher import task_rqmt
from recipe.returnn.training import ReturnnTrainingJob
from recipe.sis_api import tk
from tests.recipe.returnn.tiny_setup import hdf_dataset, tiny_config


def test_gpu_device_asks_for_one_gpu():
    assert task_rqmt("J", "gpu", 4, 8, 2) == {"cpu": 4, "mem": 8, "time": 2, "gpu": 1}
    assert task_rqmt("J", "cpu", 1, 2, 0.5)["gpu"] == 0


@pytest.mark.parametrize("make", [
    lambda config, checkpoint: ReturnnTrainingJob(config, device="tpu"),
    lambda config, checkpoint: ReturnnEvalJob(checkpoint, config, {"dev": hdf_dataset("dev.hdf")}, device="tpu"),
    lambda config, checkpoint: ReturnnForwardJob(checkpoint, config, hdf_dataset("dev.hdf"), device="tpu"),
], ids=["training", "eval", "forward"])
def test_unknown_device_is_refused_with_the_job_name(make):
    config = tiny_config("device_check", learning_rate=0.0123)  # an id no other test creates
    checkpoint = Checkpoint(tk.Path("device_check/epoch.001.index"))
    with pytest.raises(ValueError, match=r"\(device='tpu'\): use 'cpu' or 'gpu'"):
        make(config, checkpoint)
