"""ReturnnTrainingJob under the real manager (``sis manager -r``, sislite's local engine): raising ``num_epochs``
of a finished training continues the same job directory, and a RETURNN error reaches the manager's summary."""

from tests.recipe.returnn import tiny_setup

CONFIG = """
from recipe.returnn.training import ReturnnTrainingJob
from recipe.sis_api import tk
from tests.recipe.returnn import tiny_setup

network = tiny_setup.tiny_network()
network.update({network_update})
job = ReturnnTrainingJob(tiny_setup.tiny_config("corpus", network=network), num_epochs={num_epochs}, cpu_rqmt=1,
                         mem_rqmt=2)
tk.register_output("learning_rates", job.out_learning_rates)
tk.register_output("last.index", job.out_checkpoints[{num_epochs}].index_path)
"""


def _write_config(sis_setup, num_epochs, network_update=None):
    return sis_setup.write_config(CONFIG.format(num_epochs=num_epochs, network_update=network_update or {}))


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
