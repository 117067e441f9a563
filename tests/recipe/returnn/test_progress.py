"""Reading a running RETURNN's progress from its progress log (recipe/returnn/progress.py) and what the training's
``info()`` makes of it. ``returnn_logs/training_progress.log`` is a real verbosity-5 log of the tiny setup (200
training sequences, 3 epochs) cut in the middle of epoch 2, its elapsed/remaining times rewritten to 2 s per step
(the real run took under a second per epoch)."""

from pathlib import Path

from recipe.returnn.progress import (PROGRESS_LOG, describe_pass, describe_training, format_duration,
                                     parse_duration, progress_log_settings, read_progress)
from recipe.returnn.training import ReturnnTrainingJob
from tests.recipe.returnn import tiny_setup

LOGS = Path(__file__).parent / "returnn_logs"


def test_latest_training_step_with_dataset_size():
    progress = read_progress(LOGS / "training_progress.log")
    assert (progress.kind, progress.epoch, progress.dataset, progress.step) == ("train", 2, "train", 31)
    assert abs(progress.complete - 0.6515) < 1e-9 and progress.elapsed == 64 and progress.remaining == 34
    assert (progress.seqs, progress.frames) == (200, 1018240) and not progress.finished
    assert abs(progress.frames_per_second() - 1018240 * 0.6515 / 64) < 1e-6


def test_training_info_shows_epoch_progress_rate_and_eta():
    progress = read_progress(LOGS / "training_progress.log")
    # 3 epochs: 34 s left in epoch 2, then one epoch of 64 / 0.6515 s
    text = describe_training(progress, checkpoint_epoch=1, num_epochs=3)
    assert text == "ep 1/3, epoch 2 65%, 10.4k frames/s, ETA 2m12s"
    assert describe_training(progress, checkpoint_epoch=3, num_epochs=3) == "ep 3/3"
    assert describe_training(None, checkpoint_epoch=0, num_epochs=3) == "ep 0/3"


def test_dev_evaluation_between_epochs(tmp_path):
    lines = (LOGS / "training_progress.log").read_text().splitlines()
    end_of_dev = max(i for i, line in enumerate(lines) if line.startswith("epoch 1 'dev' eval, step 1,"))
    log = tmp_path / PROGRESS_LOG
    log.write_text("\n".join(lines[:end_of_dev + 1]) + "\n")
    progress = read_progress(log)
    assert (progress.kind, progress.epoch, progress.dataset, progress.seqs) == ("eval", 1, "dev", 4)
    assert describe_pass(progress) == "'dev' eval 4/4 seqs (100%), ETA 0s"
    assert describe_training(progress, 1, 3).startswith("ep 1/3, epoch 1 'dev' eval")
    finished_train = max(i for i, line in enumerate(lines) if line.startswith("train epoch 1, finished after"))
    log.write_text("\n".join(lines[:finished_train + 1]) + "\n")
    assert read_progress(log).finished and describe_training(read_progress(log), 0, 3) == "ep 0/3"


def test_missing_or_empty_log_shows_no_progress(tmp_path):
    assert read_progress(tmp_path / "nothing.log") is None
    (tmp_path / "empty.log").write_text("RETURNN starting up, version 1\n")
    assert read_progress(tmp_path / "empty.log") is None


def test_only_the_tail_of_a_long_log_is_needed(tmp_path):
    text = (LOGS / "training_progress.log").read_text()
    steps = [line for line in text.splitlines() if line.startswith("train epoch 1, step ")]
    log = tmp_path / PROGRESS_LOG
    log.write_text(text + "\n".join(steps * 400) + "\n" + text.splitlines()[-1] + "\n")  # > 64 KiB of steps
    assert log.stat().st_size > 200_000
    progress = read_progress(log)
    assert (progress.epoch, progress.step, progress.frames) == (2, 31, 1018240)  # sizes from the head


def test_durations():
    assert parse_duration("0:01:10") == 70 and parse_duration("27:00:01.5") == 97201.5
    assert [format_duration(s) for s in (42, 190, 3725)] == ["42s", "3m10s", "1h02m"]


def test_training_runs_returnn_with_the_progress_log(corpus_dir):
    job = ReturnnTrainingJob(tiny_setup.tiny_config(str(corpus_dir), learning_rate=0.0042), log_verbosity=4)
    post = job.run_config().post_config
    assert post["log"] == [f"./{PROGRESS_LOG}"] and post["log_verbosity"] == [5, 4]
    assert progress_log_settings(4) == {"log": post["log"], "log_verbosity": post["log_verbosity"]}


def test_trained_job_wrote_its_progress_log(trained):
    job, log = trained
    progress = read_progress(Path(job.work_path()) / PROGRESS_LOG)
    assert (progress.kind, progress.epoch, progress.dataset, progress.seqs) == ("eval", 2, "dev", 4)  # the last pass
    assert ", step " not in log  # the task log keeps log_verbosity 3
    assert job.info() == "ep 2/2"
    assert sorted(job.learning_curve()) == ["dev_error", "dev_score", "train_error", "train_score"]
    assert sorted(job.learning_curve()["dev_score"]) == [1, 2]


MANAGER_CONFIG = """
from recipe.returnn.training import ReturnnTrainingJob
from recipe.sis_api import tk
from tests.recipe.returnn import tiny_setup

job = ReturnnTrainingJob(tiny_setup.tiny_config("corpus"), num_epochs=3, cpu_rqmt=1, mem_rqmt=2)
job.add_alias("train/tiny")
tk.register_output("learning_rates", job.out_learning_rates)
"""


def test_manager_prints_the_trainings_progress_while_it_runs(sis_setup):
    """Not on a terminal, the manager prints a progress line per running training every
    gs.MANAGER_PROGRESS_INTERVAL (here 0.5 s instead of 28 s, so that a few-second training shows several)."""
    import re

    corpus = sis_setup.root / "corpus"
    corpus.mkdir()
    # Enough sequences that an epoch's train pass lasts over a second on an idle machine too: frames/s are shown
    # only once a pass has run for a second (PassProgress.frames_per_second).
    tiny_setup.write_tiny_hdf(str(corpus / "train.hdf"), 1500, 1, "train")
    tiny_setup.write_tiny_hdf(str(corpus / "dev.hdf"), 4, 2, "dev")
    sis_setup.env["SIS_MANAGER_PROGRESS_INTERVAL"] = "0.5"
    result = sis_setup.run_manager(sis_setup.write_config(MANAGER_CONFIG), timeout=600)
    assert result.returncode == 0, result.output[-3000:]
    progress = [line for line in result.stdout.splitlines() if "progress: alias/train/tiny" in line]
    assert progress, result.stdout[-3000:]
    in_epoch = [line for line in progress if re.search(r"run: ep \d/3, epoch \d (\d+%|'dev' eval)", line)]
    assert in_epoch, progress
    assert any(re.search(r"frames/s, ETA \d", line) for line in in_epoch), in_epoch


def test_eta_blends_the_length_of_earlier_epochs():
    progress = read_progress(LOGS / "training_progress.log")  # epoch 2 of 3 at 65% after 64 s
    # earlier epochs took 100 s: this one 64 + 0.35 * 100 = 99 s, so 35 s left plus one epoch of 99 s
    text = describe_training(progress, checkpoint_epoch=1, num_epochs=3, previous_epoch_seconds=100)
    assert text.endswith("ETA 2m14s"), text


def test_frames_per_second_of_a_partitioned_epoch(corpus_dir):
    import shutil

    config = tiny_setup.tiny_config(str(corpus_dir), learning_rate=0.0043)
    config.config["train"] = dict(config.config["train"], partition_epoch=2)
    job = ReturnnTrainingJob(config, num_epochs=3)
    work = Path(job.work_path())
    work.mkdir(parents=True)
    shutil.copy(LOGS / "training_progress.log", work / PROGRESS_LOG)
    assert job.info().startswith("ep 0/3, epoch 2 65%, 5.2k frames/s")  # half the dataset per epoch


def test_progress_lines_of_the_pytorch_backend(tmp_path):
    log = tmp_path / PROGRESS_LOG
    log.write_text("Train data:\n  HDFDataset, sequences: 480, frames: 15377600\nDev data:\n"
                   "  HDFDataset, sequences: 60, frames: 1897920\n"
                   "ep 2 train, step 91, ce 1.546, fer 0.684, 0.123 sec/step, elapsed 0:00:23, exp. remaining "
                   "0:00:43, complete 34.79%\n")
    progress = read_progress(log)
    assert (progress.kind, progress.epoch, progress.dataset, progress.step) == ("train", 2, "train", 91)
    assert (progress.seqs, progress.frames, progress.elapsed, progress.remaining) == (480, 15377600, 23, 43)
    with log.open("a") as file:
        file.write("ep 2 dev eval, step 3, ce 1.120, fer 0.397, elapsed 0:00:03, exp. remaining 0:00:11, "
                   "complete 25.00%\n")
    progress = read_progress(log)
    assert (progress.kind, progress.epoch, progress.dataset, progress.seqs) == ("eval", 2, "dev", 60)
