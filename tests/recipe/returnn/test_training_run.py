"""ReturnnTrainingJob with real RETURNN runs: outputs, checkpoints available early, the config runs by hand,
raising num_epochs continues the same directory, and a kill -9 between epochs resumes from the last checkpoint."""

import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import psutil

from recipe.returnn.learning_rates import read_learning_rates
from recipe.returnn.training import ReturnnTrainingJob
from tests.recipe.returnn import tiny_setup


def test_outputs_of_a_finished_training(trained):
    job, log = trained
    assert "Finished training in epoch 2." in log
    assert job._sis_finished() and job.info() == "ep 2/2"
    assert sorted(job.out_checkpoints) == [1, 2]
    assert all(job.path_available(checkpoint.index_path) for checkpoint in job.out_checkpoints.values())
    scores = read_learning_rates(job.out_learning_rates)
    assert sorted(scores) == [1, 2] and {"dev_score", "dev_error", "train_score"} <= set(scores[2]["scores"])
    with open(job.out_plot_se.get_path(), "rb") as png:
        assert png.read(8) == b"\x89PNG\r\n\x1a\n"
    config_text = open(job.out_returnn_config_file.get_path()).read()
    assert "num_epochs = 2" in config_text and "device = 'cpu'" in config_text
    peak = json.load(open(job.out_peak_memory.get_path()))
    assert peak["peak_rss_gb"] > 0.05 and peak["peak_gpu_memory_gb"] is None and peak["runs"] == 1
    assert "recipe.returnn: peak memory {'peak_rss_gb': " in log


def test_written_config_runs_by_hand(trained, tmp_path):
    job, _ = trained
    command = [sys.executable, "-m", "returnn", job.out_returnn_config_file.get_path(),
               "++model", str(tmp_path / "epoch"), "++num_epochs", "1",
               "++learning_rate_file", str(tmp_path / "learning_rates")]
    env = {**os.environ, "DISABLE_CUDA": "1", "OMP_NUM_THREADS": "1"}
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert (tmp_path / "epoch.001.index").exists()


def test_checkpoint_is_available_before_the_job_finishes(corpus_dir):
    job = ReturnnTrainingJob(tiny_setup.tiny_config(str(corpus_dir), learning_rate=0.004), num_epochs=3)
    checkpoint = job.out_checkpoints[1]
    assert not job.path_available(checkpoint.index_path)
    os.makedirs(os.path.dirname(checkpoint.ckpt_path), exist_ok=True)
    for suffix in (".index", ".data-00000-of-00001"):
        open(checkpoint.ckpt_path + suffix, "w").close()
    assert job.path_available(checkpoint.index_path)
    assert not job.path_available(job.out_learning_rates)
    assert job.info() == "ep 1/3" and job.completed_fraction() == 1 / 3  # progress resets the manager's retry count


def _forget(job):
    from sislite.job import created_jobs

    created_jobs().pop(job.job_id(), None)


def test_raising_num_epochs_reopens_the_same_job_and_continues(trained, corpus_dir):
    job, _ = trained
    _forget(job)  # a new manager process constructs the job anew with the raised num_epochs
    longer = ReturnnTrainingJob(tiny_setup.tiny_config(str(corpus_dir)), num_epochs=3, device="cpu", cpu_rqmt=1)
    assert longer.job_id() == job.job_id() and longer is not job
    job_dir = longer._sis_path(abspath=True)

    def markers():
        return sorted(name for name in os.listdir(job_dir) if name.startswith("finished"))

    before = markers()
    assert longer._sis_finished() is False
    assert markers() == before  # the state query changes nothing
    longer.update()  # the manager reopens the job when it decides what to run
    assert markers() == ["finished.create_files.1"]  # run and plot reopen; create_files stays done (run rewrites)
    log = io.StringIO()
    tiny_setup.run_all_tasks(longer, stdout=log)
    assert "loading weights from " + os.path.join(longer.out_model_dir.get_path(), "epoch.002") in log.getvalue()
    assert "start training at epoch 3" in log.getvalue()
    assert longer._sis_finished() and longer.info() == "ep 3/3"
    assert sorted(read_learning_rates(longer.out_learning_rates)) == [1, 2, 3]


def test_kill_9_between_epochs_resumes_from_last_checkpoint(setup_dir, corpus_dir):
    config = dict(learning_rate=0.005)
    job = ReturnnTrainingJob(tiny_setup.tiny_config(str(corpus_dir), **config), num_epochs=3, cpu_rqmt=1)
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {tiny_setup.REPO!r})
        from recipe.returnn.training import ReturnnTrainingJob
        from tests.recipe.returnn import tiny_setup
        job = ReturnnTrainingJob(tiny_setup.tiny_config({str(corpus_dir)!r}, **{config!r}), num_epochs=3, cpu_rqmt=1)
        assert job.job_id() == {job.job_id()!r}
        tiny_setup.run_task(job, "run")
    """)
    worker = subprocess.Popen([sys.executable, "-c", code], cwd=setup_dir, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": tiny_setup.REPO})
    first = job.out_checkpoints[1]
    deadline = time.time() + 240
    while not first.exists() and worker.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    assert first.exists(), "the training never wrote its first checkpoint"
    children = psutil.Process(worker.pid).children(recursive=True)
    os.kill(worker.pid, signal.SIGKILL)  # only the task process, as when a node kills the worker
    worker.wait()
    psutil.wait_procs(children, timeout=10)
    assert not [child for child in children if child.is_running() and child.status() != psutil.STATUS_ZOMBIE], \
        "RETURNN kept running after its task process was killed"
    done_before = job.last_checkpoint_epoch()
    assert 1 <= done_before < 3
    log = io.StringIO()
    tiny_setup.run_all_tasks(job, stdout=log)
    assert f"loading weights from {job.out_model_dir.get_path()}/epoch.{done_before:03d}" in log.getvalue()
    assert f"start training at epoch {done_before + 1}" in log.getvalue()
    assert job.info() == "ep 3/3" and sorted(read_learning_rates(job.out_learning_rates)) == [1, 2, 3]
