"""RETURNN's PyTorch backend through the jobs, with real RETURNN: ReturnnTorchTrainingJob trains the tiny BLSTM
(setups/torch_networks.py) from the front-end converted out of the tiny TF baseline (ConvertTfToTorchJob), frozen
and fine-tuned; GetBestPtCheckpointJob picks an epoch, ReturnnTorchForwardJob writes posteriors, FrameScoresJob
scores them (its dev CE is RETURNN's own dev_loss_ce of that epoch); the tiny baseline trains too."""

import io
import json

import pytest

from recipe.returnn.learning_rates import read_learning_rates
from recipe.returnn.torch_forward import ReturnnTorchForwardJob
from recipe.returnn.torch_training import GetBestPtCheckpointJob, ReturnnTorchTrainingJob
from recipe.scoring.frame_scores import FrameScoresJob
from recipe.transfer.torch_conversion import ConvertTfToTorchJob, preload_converted
from tests.recipe.returnn import tiny_setup
from tests.recipe.returnn.conftest import inside_setup

SIZES = {"num_classes": tiny_setup.NUM_CLASSES, "rnn_layer_nodes": 8, "conv_1_channels": 4, "conv_2_channels": 8,
         "lin_dim": 16, "ff_dim": 16}

BASELINE_SIZES = {"num_classes": tiny_setup.NUM_CLASSES, "conv_1_channels": 4, "conv_2_channels": 8, "window": 3,
                  "lin_dim": 16, "ff_dim": 16}


def torch_config(corpus_dir, frozen=False, preload=None, baseline=False):
    import os

    from recipe.returnn.config import ReturnnConfig
    from recipe.sis_api import tk
    from setups import torch_networks

    config = {"backend": "torch", "extern_data": {"data": {"dim": 1}, "classes": {"dim": tiny_setup.NUM_CLASSES,
                                                                                  "sparse": True}},
              "train": tiny_setup.hdf_dataset(tk.Path(os.path.join(corpus_dir, "train.hdf"))),
              "dev": tiny_setup.hdf_dataset(tk.Path(os.path.join(corpus_dir, "dev.hdf"))),
              "batch_size": 20000, "max_seqs": 4, "learning_rate": 0.01, "optimizer": {"class": "adam"},
              "get_model": torch_networks.get_blstm_model, "model_options": dict(SIZES, frozen_frontend=frozen),
              **({"get_model": torch_networks.get_baseline_model, "model_options": BASELINE_SIZES} if baseline else {}),
              "train_step": torch_networks.train_step, "forward_step": torch_networks.forward_step}
    if preload is not None:
        config["preload_from_files"] = preload_converted(preload)
    return ReturnnConfig(config)


@pytest.fixture(scope="module")
def converted(setup_dir, trained):
    from setups.torch_networks import BlstmModel, parameter_shapes

    baseline, _ = trained
    with inside_setup(setup_dir):
        job = ConvertTfToTorchJob(baseline.out_checkpoints[2], parameter_shapes(BlstmModel(**SIZES)),
                                  "conv_1,conv_2:frontend.conv_1,frontend.conv_2")
        tiny_setup.run_all_tasks(job, stdout=io.StringIO())
    return job


@pytest.fixture(scope="module")
def torch_trainings(setup_dir, corpus_dir, converted):
    """{variant: (training job, RETURNN's output)} of the BLSTM with the converted front-end, frozen and
    fine-tuned, 2 epochs each."""
    found = {}
    with inside_setup(setup_dir):
        for variant in ("frozen", "finetuned"):
            job = ReturnnTorchTrainingJob(torch_config(str(corpus_dir), frozen=variant == "frozen",
                                                       preload=converted.out_checkpoint), num_epochs=2, cpu_rqmt=1)
            log = io.StringIO()
            tiny_setup.run_all_tasks(job, stdout=log)
            found[variant] = job, log.getvalue()
    return found


def _state(checkpoint):
    import torch

    return torch.load(str(checkpoint), map_location="cpu")["model"]


def test_blstm_trains_with_the_converted_frontend_frozen_and_finetuned(converted, torch_trainings):
    import torch

    rows = json.load(open(converted.out_table.get_path()))
    assert [row["target"] for row in rows if row["status"] == "transferred"] == ["frontend.conv_1.weight",
                                                                                 "frontend.conv_2.weight"]
    source = _state(converted.out_checkpoint)
    for variant, (job, log) in torch_trainings.items():
        assert "Pre-load weights for key 'frontend'" in log
        assert sorted(job.out_checkpoints) == [1, 2] and job._sis_finished() and job.info() == "ep 2/2"
        assert all(job.path_available(checkpoint.marker_path) for checkpoint in job.out_checkpoints.values())
        trained = _state(job.out_checkpoints[2])
        scores = read_learning_rates(job.out_learning_rates)
        assert {"dev_loss_ce", "dev_loss_fer", "train_loss_ce"} <= set(scores[2]["scores"])
        assert open(job.out_plot_se.get_path(), "rb").read(8) == b"\x89PNG\r\n\x1a\n"
        config_text = open(job.out_returnn_config_file.get_path()).read()
        assert "backend = 'torch'" in config_text and "tf_session_opts" not in config_text
        for name in ("frontend.conv_1.weight", "frontend.conv_2.weight"):
            same = torch.equal(trained[name], source[name])
            assert same == (variant == "frozen"), (variant, name)
    frozen, finetuned = torch_trainings["frozen"][0], torch_trainings["finetuned"][0]
    assert frozen.job_id() != finetuned.job_id()


def test_best_checkpoint_forward_and_frame_scores(corpus_dir, torch_trainings):
    from recipe.sis_api import tk

    job, _ = torch_trainings["finetuned"]
    best = GetBestPtCheckpointJob(job.out_model_dir, job.out_learning_rates, key="dev_loss_ce")
    tiny_setup.run_all_tasks(best, stdout=io.StringIO())
    epoch = best.out_epoch.get()
    assert best.out_checkpoint.exists() and epoch in (1, 2)
    dev = tk.Path(str(corpus_dir / "dev.hdf"))
    forward = ReturnnTorchForwardJob(best.out_checkpoint, job.returnn_config, tiny_setup.hdf_dataset(dev))
    tiny_setup.run_all_tasks(forward, stdout=io.StringIO())
    scores = FrameScoresJob({"dev": forward.out_hdf}, {"dev": dev})
    tiny_setup.run_all_tasks(scores, stdout=io.StringIO())
    result = json.load(open(scores.out_scores.get_path()))["dev"]
    per_sequence = json.load(open(scores.out_per_sequence.get_path()))["dev"]
    assert len(per_sequence) == 4 and result["frames"] == sum(record["frames"] for record in per_sequence)
    returnn_scores = read_learning_rates(job.out_learning_rates)[epoch]["scores"]
    assert result["ce"] == pytest.approx(returnn_scores["dev_loss_ce"], rel=1e-4)
    assert result["fer"] == pytest.approx(returnn_scores["dev_loss_fer"], abs=1e-6)


def test_torch_jobs_refuse_tf_configs_and_checkpoints(corpus_dir, trained):
    baseline, _ = trained
    with pytest.raises(ValueError, match=r"must select RETURNN's PyTorch backend: add 'backend': 'torch'"):
        ReturnnTorchTrainingJob(baseline.returnn_config)
    with pytest.raises(TypeError, match=r"needs a PtCheckpoint"):
        ReturnnTorchForwardJob(baseline.out_checkpoints[2], torch_config(str(corpus_dir)), {"class": "HDFDataset"})


def test_the_baseline_trains_on_the_pytorch_backend(setup_dir, corpus_dir):
    from recipe.corpus.frontend_geometry import frontend_output_frames

    job = ReturnnTorchTrainingJob(torch_config(str(corpus_dir), baseline=True), num_epochs=1, cpu_rqmt=1)
    tiny_setup.run_all_tasks(job, stdout=io.StringIO())
    assert job.out_checkpoints[1].exists()
    assert sorted(_state(job.out_checkpoints[1])) == [
        "ff_2.bias", "ff_2.weight", "frontend.conv_1.weight", "frontend.conv_2.weight", "lin_1.bias",
        "lin_1.weight", "output.bias", "output.weight"]
    assert "dev_loss_ce" in read_learning_rates(job.out_learning_rates)[1]["scores"]
    import torch

    from setups.torch_networks import BaselineModel

    lengths = torch.tensor([16000, 8320])  # frames as the corpus makes them: 160 per frame + 320
    logits, frames = BaselineModel(**BASELINE_SIZES)(torch.zeros(2, 16000), lengths)
    assert frames.tolist() == [frontend_output_frames(16000), frontend_output_frames(8320)] == [98, 50]
    assert list(logits.shape) == [2, 98, tiny_setup.NUM_CLASSES]
