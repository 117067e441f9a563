"""ReturnnTrainingJob ids: equal whatever the device, num_epochs, rqmt, log verbosity, python or setup location;
different for anything that changes the result."""

import os
import subprocess
import sys
import textwrap

from recipe.returnn.training import ReturnnTrainingJob
from tests.recipe.returnn.tiny_setup import REPO, tiny_config, tiny_network


def _job(corpus="corpus", **kwargs):
    settings = kwargs.pop("settings", {})
    network = kwargs.pop("network", None)
    return ReturnnTrainingJob(tiny_config(corpus, network=network, **settings), **kwargs)


def test_device_num_epochs_rqmt_verbosity_and_python_do_not_change_the_id():
    reference = _job(device="cpu", num_epochs=2).job_id()
    assert _job(device="gpu", num_epochs=2).job_id() == reference
    assert _job(num_epochs=40, save_interval=5, keep_epochs=[10, 20]).job_id() == reference
    assert _job(time_rqmt=100, mem_rqmt=64, cpu_rqmt=16, log_verbosity=5).job_id() == reference
    assert _job(returnn_python_exe="/opt/other/bin/python3").job_id() == reference


def test_cpu_and_gpu_trainings_are_one_job_with_matching_rqmt():
    cpu = _job(device="cpu", settings={"learning_rate": 0.003})
    gpu = _job(device="gpu", settings={"learning_rate": 0.003})
    assert cpu.job_id() == gpu.job_id()
    assert cpu.rqmt["gpu"] == 0


def test_any_network_or_training_change_changes_the_id():
    reference = _job().job_id()
    changed = [
        _job(network=tiny_network(ff_dim=17)),
        _job(network={**tiny_network(), "output": {"class": "softmax", "loss": "ce", "from": ["lin_1"]}}),
        _job(settings={"learning_rate": 0.02}),
        _job(settings={"batch_size": 10000}),
        _job(corpus="other_corpus"),
    ]
    ids = {job.job_id() for job in changed}
    assert reference not in ids and len(ids) == len(changed)


def test_defaults_the_job_adds_are_hashed_like_explicit_values():
    assert _job().job_id() == _job(settings={"task": "train", "target": "classes"}).job_id()


def _job_id_in_subprocess(cwd, python):
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {REPO!r})
        from recipe.returnn.training import ReturnnTrainingJob
        from tests.recipe.returnn.tiny_setup import tiny_config
        print(ReturnnTrainingJob(tiny_config("corpus"), num_epochs=3).job_id())
    """)
    env = {**os.environ, "PYTHONPATH": REPO}
    return subprocess.run([python, "-c", code], cwd=cwd, env=env, capture_output=True, text=True,
                          check=True, timeout=120).stdout.strip()


def test_id_does_not_depend_on_setup_location_or_python_path(tmp_path):
    first, second = tmp_path / "setup_a", tmp_path / "deeper" / "setup_b"
    first.mkdir()
    second.mkdir(parents=True)
    link = tmp_path / "python_link"
    link.symlink_to(sys.executable)
    assert _job_id_in_subprocess(first, sys.executable) == _job_id_in_subprocess(second, str(link))
