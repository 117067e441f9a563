"""Failing RETURNN runs: the task raises with RETURNN's own error message, and nothing looks finished."""

import io
import os

import pytest

from recipe.returnn.launcher import ReturnnError
from recipe.returnn.training import ReturnnTrainingJob
from recipe.sis_api import tk
from tests.recipe.returnn import tiny_setup


def _run_failing(job):
    log = io.StringIO()
    with pytest.raises(ReturnnError) as failure:
        tiny_setup.run_all_tasks(job, stdout=log)
    assert not os.path.exists(job.out_learning_rates.get_path())
    assert not job._sis_finished()
    assert failure.value.error_line.removesuffix(" ...") in log.getvalue()  # RETURNN's own line (maybe cut)
    last_lines = str(failure.value).splitlines()[-2:]  # last in the task log: the manager shows them
    assert f"--- RETURNN's error: {failure.value.error_line}" in last_lines
    return str(failure.value)


def test_bad_layer_class(corpus_dir):
    network = {**tiny_setup.tiny_network(), "ff_2": {"class": "no_such_layer", "from": ["lin_1"]}}
    message = _run_failing(ReturnnTrainingJob(tiny_setup.tiny_config(str(corpus_dir), network=network)))
    assert "no_such_layer" in message
    assert "hint: layer 'ff_2' of the network has \"class\": 'no_such_layer'" in message.splitlines()[-1]


def test_nan_loss_stops_training(corpus_dir):
    network = tiny_setup.tiny_network()
    network["nan"] = {"class": "eval", "eval": "source(0) * float('nan')", "from": ["ff_2"]}
    network["output"]["from"] = ["nan"]
    message = _run_failing(ReturnnTrainingJob(tiny_setup.tiny_config(str(corpus_dir), network=network)))
    assert "nan" in message.lower()
    assert "lower the learning rate" in message.splitlines()[-1] and "gradient_clip" in message


def test_missing_data_file(corpus_dir):
    config = tiny_setup.tiny_config(str(corpus_dir), train=tiny_setup.hdf_dataset(tk.Path("/nonexistent/train.hdf")))
    message = _run_failing(ReturnnTrainingJob(config))
    assert "/nonexistent/train.hdf" in message


def test_job_owned_settings_in_the_config_are_rejected(corpus_dir):
    config = tiny_setup.tiny_config(str(corpus_dir), post_config={"num_epochs": 5})
    with pytest.raises(ValueError, match=r"\['num_epochs'\].*pass them as job arguments"):
        ReturnnTrainingJob(config)
