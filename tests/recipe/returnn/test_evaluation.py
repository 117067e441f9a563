"""ReturnnEvalJob, ReturnnForwardJob and GetBestCheckpointJob on the shared tiny trained model."""

import io
import json
import os

import pytest

from recipe.returnn.evaluation import ReturnnEvalJob
from recipe.returnn.forward import ReturnnForwardJob
from recipe.returnn.learning_rates import read_learning_rates
from recipe.returnn.training import GetBestCheckpointJob
from recipe.sis_api import tk
from tests.recipe.returnn import tiny_setup


def _frames(hdf_file):
    import h5py

    with h5py.File(hdf_file, "r") as file:
        return int(file["targets/data/classes"].shape[0])


def test_eval_scores_match_returnns_dev_score(trained, corpus_dir):
    job, _ = trained
    datasets = {name: tiny_setup.hdf_dataset(tk.Path(str(corpus_dir / f"{name}.hdf"))) for name in ("dev", "test")}
    evaluation = ReturnnEvalJob(job.out_checkpoints[2], job.returnn_config, datasets, cpu_rqmt=1)
    assert evaluation.job_id() == ReturnnEvalJob(job.out_checkpoints[2], job.returnn_config, datasets,
                                                 device="gpu", log_verbosity=5).job_id()
    tiny_setup.run_all_tasks(evaluation, stdout=io.StringIO())
    scores = json.load(open(evaluation.out_scores.get_path()))
    assert sorted(scores) == ["dev", "test"]
    assert scores["dev"]["frames"] == _frames(corpus_dir / "dev.hdf")
    dev_epoch_2 = read_learning_rates(job.out_learning_rates)[2]["scores"]
    assert scores["dev"]["ce"] == pytest.approx(dev_epoch_2["dev_score"], rel=1e-4)
    assert scores["dev"]["fer"] == pytest.approx(dev_epoch_2["dev_error"], abs=1e-4)
    assert evaluation.info() is None  # done
    work = evaluation.work_path()
    os.rename(os.path.join(work, "eval.test.per_seq.txt"), os.path.join(work, "eval.test.per_seq.txt.aside"))
    assert evaluation.info() == "test (2/2)"  # RETURNN's pass over 'test' finished
    progress_log = os.path.join(work, "returnn.progress.log")
    lines = open(progress_log).read().splitlines()
    last_step = max(i for i, line in enumerate(lines) if ", step " in line)
    with open(progress_log, "w") as file:  # as while RETURNN was running
        file.write("\n".join(lines[:last_step + 1]) + "\n")
    assert evaluation.info().startswith("test (2/2): 'eval' eval ") and " seqs (" in evaluation.info()
    per_sequence = json.load(open(evaluation.out_per_sequence.get_path()))
    assert sorted(record["tag"] for record in per_sequence["test"]) == ["test/utt0", "test/utt1", "test/utt2"]
    dev = per_sequence["dev"]
    assert sum(record["frames"] for record in dev) == scores["dev"]["frames"]
    assert sum(record["ce"] * record["frames"] for record in dev) / scores["dev"]["frames"] == \
        pytest.approx(scores["dev"]["ce"])


def test_forward_writes_posteriors_hdf(trained, corpus_dir):
    import h5py
    import numpy

    job, _ = trained
    forward = ReturnnForwardJob(job.out_checkpoints[2], job.returnn_config,
                                tiny_setup.hdf_dataset(tk.Path(str(corpus_dir / "test.hdf"))), cpu_rqmt=1)
    tiny_setup.run_all_tasks(forward, stdout=io.StringIO())
    with h5py.File(forward.out_hdf.get_path(), "r") as file:
        posteriors = file["inputs"][...]
        assert posteriors.shape == (_frames(corpus_dir / "test.hdf"), tiny_setup.NUM_CLASSES)
        assert numpy.allclose(posteriors.sum(axis=1), 1.0, atol=1e-4)
        assert sorted(tag.decode() for tag in file["seqTags"][...]) == ["test/utt0", "test/utt1", "test/utt2"]
    assert forward.info().startswith("forward 3/3 seqs (100%)")


def test_best_checkpoint_by_dev_score(trained):
    job, _ = trained
    best = GetBestCheckpointJob(job.out_model_dir, job.out_learning_rates, key="dev_score")
    tiny_setup.run_all_tasks(best, stdout=io.StringIO())
    scores = read_learning_rates(job.out_learning_rates)
    expected = min((epoch for epoch in (1, 2)), key=lambda epoch: scores[epoch]["scores"]["dev_score"])
    assert best.out_epoch.get() == expected
    assert best.out_checkpoint.exists()
    from returnn.util.basic import model_epoch_from_filename

    assert model_epoch_from_filename(best.out_checkpoint.ckpt_path) == expected  # what RETURNN's eval/forward need


def test_best_checkpoint_up_to_max_epoch(trained):
    job, _ = trained
    first = GetBestCheckpointJob(job.out_model_dir, job.out_learning_rates, key="dev_score", max_epoch=1)
    tiny_setup.run_all_tasks(first, stdout=io.StringIO())
    assert first.out_epoch.get() == 1
    assert GetBestCheckpointJob(job.out_model_dir, job.out_learning_rates).job_id() == \
        GetBestCheckpointJob(job.out_model_dir, job.out_learning_rates, max_epoch=None).job_id() != first.job_id()
    beyond = GetBestCheckpointJob(job.out_model_dir, job.out_learning_rates, max_epoch=3)
    with pytest.raises(ValueError, match="ends at epoch 2, but max_epoch=3"):
        tiny_setup.run_task(beyond, "run")
    with pytest.raises(ValueError, match="max_epoch=0"):
        GetBestCheckpointJob(job.out_model_dir, job.out_learning_rates, max_epoch=0)


def test_best_checkpoint_unknown_key_lists_the_available_ones(trained):
    job, _ = trained
    best = GetBestCheckpointJob(job.out_model_dir, job.out_learning_rates, key="dev_wer")
    with pytest.raises(KeyError, match="dev_wer.*available.*dev_score"):
        tiny_setup.run_task(best, "run")
