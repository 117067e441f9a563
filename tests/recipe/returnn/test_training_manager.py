"""ReturnnTrainingJob under the real manager (``sis manager -r``, sislite's local engine): raising ``num_epochs``
of a finished training continues the same job directory, a RETURNN error reaches the manager's summary, and a
``kill -9`` of RETURNN is told apart from out of memory."""

import ast
import os
import signal
import time

from tests.recipe.returnn import tiny_setup

CONFIG = """
from recipe.returnn.training import ReturnnTrainingJob
from recipe.sis_api import tk
from tests.recipe.returnn import tiny_setup

network = tiny_setup.tiny_network()
network.update({network_update})
job = ReturnnTrainingJob(tiny_setup.tiny_config("corpus", network=network), num_epochs={num_epochs}, cpu_rqmt=1,
                         mem_rqmt={mem})
tk.register_output("learning_rates", job.out_learning_rates)
tk.register_output("last.index", job.out_checkpoints[{num_epochs}].index_path)
"""


def _write_config(sis_setup, num_epochs, network_update=None, mem=2):
    return sis_setup.write_config(CONFIG.format(num_epochs=num_epochs, network_update=network_update or {}, mem=mem))


def _training_dir(sis_setup):
    (job_dir,) = sis_setup.job_dirs("ReturnnTrainingJob.*")
    return job_dir


def test_raising_num_epochs_continues_the_same_job_directory(sis_setup):
    tiny_setup.write_tiny_corpus(str(sis_setup.root / "corpus"))
    first = sis_setup.run_manager(_write_config(sis_setup, 1), timeout=300)
    assert first.returncode == 0, first.output[-3000:]
    job_dir = _training_dir(sis_setup)
    models = job_dir / "output" / "models"
    epoch_1 = {path.name: path.stat().st_mtime_ns for path in models.glob("epoch.001.*")}
    assert "epoch.001.index" in epoch_1 and not (models / "epoch.002.index").exists()

    second = sis_setup.run_manager(_write_config(sis_setup, 2), timeout=300)
    assert second.returncode == 0, second.output[-3000:]
    assert _training_dir(sis_setup) == job_dir  # same hash, same directory: no new job
    assert (models / "epoch.002.index").exists()
    assert {path.name: path.stat().st_mtime_ns for path in models.glob("epoch.001.*")} == epoch_1  # not retrained
    assert "num_epochs = 2" in (job_dir / "output" / "returnn.config").read_text()
    run_log = (job_dir / "log.run.1").read_text()
    assert "start training at epoch 2" in run_log and "loading weights from" in run_log
    learning_rates = (sis_setup.root / "output" / "learning_rates").read_text()
    assert learning_rates.count("EpochData(") == 2
    assert (job_dir / "finished").exists()


def test_returnn_error_reaches_the_manager_summary(sis_setup):
    tiny_setup.write_tiny_corpus(str(sis_setup.root / "corpus"))
    broken = {"lin_1": {"class": "linear", "activation": None, "n_out": 16, "from": ["no_such_layer"]}}
    result = sis_setup.run_manager(_write_config(sis_setup, 1, broken), timeout=300)
    assert result.returncode != 0, result.output[-3000:]
    assert "RETURNN's error: LayerNotFound: layer 'no_such_layer' not found" in result.output, result.output[-3000:]
    assert not (_training_dir(sis_setup) / "finished").exists()


def _returnn_pids(setup_root):
    """Pids of ``python -m returnn`` processes working on a config under ``setup_root``."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    args = f.read().split(b"\0")
            except OSError:
                continue
            if b"returnn" in args and b"-m" in args and any(str(setup_root).encode() in arg for arg in args):
                pids.append(int(entry))
    return pids


def test_a_kill_9_of_returnn_is_resubmitted_with_the_same_memory_and_said_to_be_a_kill(sis_setup):
    tiny_setup.write_tiny_corpus(str(sis_setup.root / "corpus"))
    manager = sis_setup.start_manager(_write_config(sis_setup, 3, mem=3))
    try:
        deadline = time.monotonic() + 240
        while not _returnn_pids(sis_setup.root) and time.monotonic() < deadline and manager.poll() is None:
            time.sleep(0.2)
        pids = _returnn_pids(sis_setup.root)
        assert pids, "RETURNN did not start"
        os.kill(pids[0], signal.SIGKILL)
        output, _ = manager.communicate(timeout=400)
    finally:
        if manager.poll() is None:
            os.killpg(manager.pid, signal.SIGKILL)
    assert manager.returncode == 0, output[-3000:]
    job_dir = _training_dir(sis_setup)
    submissions = [info for _, info in (ast.literal_eval(line) for line in
                                        (job_dir / "submit_log.run").read_text().splitlines())]
    assert len(submissions) == 2 and [entry["mem"] for entry in submissions] == [3, 3]
    assert "run.1: python -m returnn: killed by SIGKILL (not out of memory: peak rss" in output, output[-3000:]
    assert "a resubmission keeps the memory" in output
    assert "killed by SIGKILL (not out of memory" in (job_dir / "log.run.1").read_text()
    assert (job_dir / "finished").exists()
