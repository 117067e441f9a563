"""TensorFlow's thread pools are like device and rqmt: set from the task's cpu rqmt in the config as run, never
hashed (training, eval and forward ids stay equal), and refused in the hashed part of a ReturnnConfig."""

import pytest

from recipe.returnn.checkpoint import Checkpoint
from recipe.returnn.evaluation import ReturnnEvalJob
from recipe.returnn.forward import ReturnnForwardJob
from recipe.returnn.launcher import session_post_config
from recipe.returnn.training import ReturnnTrainingJob
from recipe.sis_api import tk
from tests.recipe.returnn.tiny_setup import hdf_dataset, tiny_config

USER_THREADS = {"tf_session_opts": {"intra_op_parallelism_threads": 3, "inter_op_parallelism_threads": 2}}


def _fresh(make):
    """A new job object even if one with the same id exists (sislite hands out one object per id)."""
    from sislite.job import created_jobs

    job = make()
    created_jobs().pop(job.job_id(), None)
    return make()


def _config(post_config=None):
    return tiny_config("thread_check", post_config=post_config, learning_rate=0.0321)  # ids no other test makes


def test_training_threads_come_from_the_cpu_rqmt_and_leave_the_id_alone():
    reference = _fresh(lambda: ReturnnTrainingJob(_config(), cpu_rqmt=2))
    more_cores = _fresh(lambda: ReturnnTrainingJob(_config(), cpu_rqmt=8))
    user_threads = _fresh(lambda: ReturnnTrainingJob(_config(USER_THREADS), cpu_rqmt=2))
    assert reference.job_id() == more_cores.job_id() == user_threads.job_id()
    assert more_cores.run_config().post_config["tf_session_opts"] == {
        "intra_op_parallelism_threads": 8, "inter_op_parallelism_threads": 8}
    assert user_threads.run_config().post_config["tf_session_opts"] == USER_THREADS["tf_session_opts"]
    written = more_cores.run_config().serialize()
    assert "tf_session_opts = {'intra_op_parallelism_threads': 8" in written.split("(not hashed)")[1]


def test_eval_and_forward_ids_do_not_depend_on_threads():
    checkpoint = Checkpoint(tk.Path("thread_check/epoch.001.index"))
    datasets = {"dev": hdf_dataset("dev.hdf")}
    evals = [ReturnnEvalJob(checkpoint, _config(post), datasets, cpu_rqmt=cpu) for post, cpu in
             ((None, 1), (USER_THREADS, 1), (None, 4))]
    forwards = [ReturnnForwardJob(checkpoint, _config(post), hdf_dataset("dev.hdf"), cpu_rqmt=cpu) for post, cpu in
                ((None, 1), (USER_THREADS, 1), (None, 4))]
    assert len({job.job_id() for job in evals}) == 1 and len({job.job_id() for job in forwards}) == 1


def test_user_session_options_are_kept_beside_the_threads():
    post = {"tf_session_opts": {"log_device_placement": True}}
    assert session_post_config(_config(post), 4, "cpu")["tf_session_opts"] == {
        "intra_op_parallelism_threads": 4, "inter_op_parallelism_threads": 4,
        "log_device_placement": True}


def test_gpu_memory_is_taken_as_needed_unless_the_user_says_otherwise():
    assert session_post_config(_config(), 4, "gpu")["tf_session_opts"]["gpu_options"] == {"allow_growth": True}
    post = {"tf_session_opts": {"gpu_options": {"per_process_gpu_memory_fraction": 0.5}}}
    assert session_post_config(_config(post), 4, "gpu")["tf_session_opts"]["gpu_options"] == {
        "per_process_gpu_memory_fraction": 0.5}
    assert "gpu_options" not in session_post_config(_config(), 4, "cpu")["tf_session_opts"]


def test_thread_settings_in_the_hashed_config_are_refused_with_the_fix():
    with pytest.raises(ValueError, match=r"\['tf_session_opts'\] do not change a result .* move them to post_config"):
        tiny_config("thread_check", tf_session_opts={"intra_op_parallelism_threads": 1})
