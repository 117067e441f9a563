"""The Slurm engine: sbatch command lines and termination parsing (no cluster needed), then submission, state,
GPU gres, SIGKILL/cancel/refusal handling against a real one-node Slurm started by scripts/slurm_cluster.sh.

The cluster tests are skipped with the reason where the cluster cannot be started (not root, not Debian); with
``SISLITE_REQUIRE_SLURM=1`` (CI) they fail instead (the ``slurm_cluster`` fixture is in conftest.py).
"""

import json
import os
import pathlib
import subprocess
import sys
import time

import pytest

from sislite.simple_linux_utility_for_resource_management_engine import (
    PER_CPU,
    SimpleLinuxUtilityForResourceManagementEngine,
    termination_flags,
)

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "scripts" / "slurm_cluster.sh"


# ---------------------------------------------------------------------------------------------------- fixtures
# slurm_cluster (the one-node cluster, skipped with the reason where it cannot start) is in conftest.py.
def wait_until(predicate, timeout, what):
    """Poll ``predicate`` every 0.3 s until it returns a true value; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.3)


class FakeJob:
    def __init__(self, path):
        self.path = str(path)

    def _sis_path(self, path_type=None, task_id=None, abspath=False):
        return self.path


class FakeTask:
    """What the engine needs of a Task: its names and its job's directory."""

    def __init__(self, job_dir, job_id, name="run"):
        self._job = FakeJob(job_dir)
        self._job_id = job_id
        self._name = name

    def name(self):
        return self._name

    def task_name(self):
        return f"{self._job_id}.{self._name}"


@pytest.fixture
def job_dir(tmp_path, monkeypatch):
    """A job directory named uniquely per test (Slurm job names must not collide between tests and runs)."""
    job_id = f"test/slurm/Job.{os.getpid()}x{time.monotonic_ns()}"
    path = tmp_path / job_id
    (path / "engine").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    return job_id, path


def _engine():
    return SimpleLinuxUtilityForResourceManagementEngine(default_rqmt={"cpu": 1, "mem": 1, "time": 1}, poll_interval=0.2)


def _ended(engine, task, task_id):
    engine.reset_cache()
    return engine.task_state(task, task_id) == "unknown"


# ---------------------------------------------------------------------------------------------------- no cluster
def test_sbatch_command_maps_rqmt_to_slurm_options():
    engine = _engine()
    rqmt = {"cpu": 4, "mem": 7.5, "time": 2.5, "gpu": 1, "gpu_name": "a100", "sbatch_args": "-p gpu --exclusive"}
    [(ids, argv)] = engine.sbatch_commands(["sis", "worker", "work/a/B.x", "run"], "work/a/B.x/engine", rqmt,
                                           "a/B.x.run", [1, 2, 3])
    assert ids == [1, 2, 3]
    assert argv[:3] == ["sbatch", "-J", "a.B.x.run"]
    for option in ("--mem=7680M", "--gres=gpu:a100:1", "--cpus-per-task=4", "--time=150", "--export=all",
                   "--ntasks-per-node=1", "-p", "--exclusive", "-a", "1-3:1"):
        assert option in argv
    assert argv[argv.index("-o") + 1] == "work/a/B.x/engine/%x.%A.%a.batch"
    assert argv[-1].startswith("--wrap=SISLITE_TASK_RQMT=")  # the worker records what was requested
    assert argv[-1].endswith(" srun -o work/a/B.x/engine/%x.%A.%a --cpus-per-task=4 sis worker work/a/B.x run")


def test_sbatch_time_is_rounded_up_to_whole_minutes_and_never_zero():
    engine = _engine()
    [(_, argv)] = engine.sbatch_commands(["true"], "e", {"cpu": 1, "mem": 0.3, "time": 0.001}, "j.run", [1])
    assert "--time=1" in argv and "--mem=308M" in argv  # --time=0 would mean "no limit" to Slurm
    per_cpu = SimpleLinuxUtilityForResourceManagementEngine(memory_allocation_type=PER_CPU)
    [(_, argv)] = per_cpu.sbatch_commands(["true"], "e", {"cpu": 2, "mem": 4, "time": 1}, "j.run", [1])
    assert "--mem-per-cpu=2048M" in argv
    no_mem = SimpleLinuxUtilityForResourceManagementEngine(has_memory_resource=False)
    [(_, argv)] = no_mem.sbatch_commands(["true"], "e", {"cpu": 2, "mem": 4, "time": 1}, "j.run", [1])
    assert not [a for a in argv if a.startswith("--mem")]


def test_one_sbatch_per_arithmetic_run():
    commands = _engine().sbatch_commands(["true"], "e", {"cpu": 1, "mem": 1, "time": 1}, "j.run", [1, 2, 3, 5, 7, 10])
    assert [(ids, argv[argv.index("-a") + 1]) for ids, argv in commands] == [
        ([1, 2, 3], "1-3:1"), ([5, 7], "5-7:2"), ([10], "10-10:1")]


def test_unknown_memory_allocation_type_is_refused_with_the_fix():
    with pytest.raises(ValueError, match="PER_NODE or PER_CPU"):
        SimpleLinuxUtilityForResourceManagementEngine(memory_allocation_type="per_gpu")


@pytest.mark.parametrize("state, exit_code, log_text, expected", [
    ("TIMEOUT", "0:15", "", {"out_of_time": True, "out_of_memory": False, "cancelled": False}),
    ("CANCELLED", "0:15", "slurmstepd: error: *** JOB 7 CANCELLED AT 2024 DUE TO TIME LIMIT ***",
     {"out_of_time": True, "out_of_memory": False, "cancelled": False}),
    ("OUT_OF_MEMORY", "0:125", "", {"out_of_time": False, "out_of_memory": True, "cancelled": False}),
    ("FAILED", "137:0", "", {"out_of_time": False, "out_of_memory": False, "cancelled": False}),  # a kill -9
    ("FAILED", "0:9", "", {"out_of_time": False, "out_of_memory": False, "cancelled": False}),
    ("FAILED", "0:9", "slurmstepd: error: Detected 1 oom-kill event(s) in StepId=7.0",
     {"out_of_time": False, "out_of_memory": True, "cancelled": False}),
    ("FAILED", "1:0", "", {"out_of_time": False, "out_of_memory": False, "cancelled": False}),
    ("CANCELLED by 0", "0:15", "", {"out_of_time": False, "out_of_memory": False, "cancelled": True}),
    ("COMPLETED", "0:0", "", {"out_of_time": False, "out_of_memory": False, "cancelled": False}),
    (None, "", "slurmstepd: error: *** JOB 9 ON localhost CANCELLED AT 2024-01-01T00:00:00 ***",
     {"out_of_time": False, "out_of_memory": False, "cancelled": True}),
])
def test_termination_causes_from_state_exit_code_and_batch_log(state, exit_code, log_text, expected):
    flags = termination_flags(state, exit_code, log_text)
    assert {k: flags[k] for k in expected} == expected
    assert flags["ended"]


def test_a_sigkill_is_out_of_memory_only_at_the_memory_request():
    at_limit = termination_flags("FAILED", "137:0", "", peak_rss_gb=1.98, mem_gb=2)
    assert at_limit["out_of_memory"] and at_limit["termination"]["cause"] == "out_of_memory"
    below = termination_flags("FAILED", "137:0", "", peak_rss_gb=0.4, mem_gb=2, reason="NonZeroExitCode")
    assert not below["out_of_memory"] and below["termination"]["cause"] == "killed"
    assert below["termination"]["engine_says"] == "Slurm: FAILED exit code 137:0 reason NonZeroExitCode"


def _settings_slurm_namespace():
    """settings_slurm.py executed as Sisyphus does: in the namespace of the global settings module."""
    import runpy

    return runpy.run_path(str(SCRIPT.parents[1] / "settings_slurm.py"), run_name="sislite.global_settings")


def test_settings_slurm_caps_requirements_also_after_doubling():
    settings = _settings_slurm_namespace()
    limits = settings["ENGINE_RQMT_LIMITS"]
    doubled = {"cpu": 1, "mem": limits["mem"] * 2, "time": limits["time"] * 1.5, "gpu": 1}
    capped = settings["check_engine_limits"](doubled, task=None)
    assert capped == {"cpu": 1, "mem": limits["mem"], "time": limits["time"], "gpu": 1}
    assert doubled["mem"] == limits["mem"] * 2  # the caller's dict is not modified


def test_settings_slurm_runs_mini_tasks_locally_and_the_rest_on_slurm():
    engine = _settings_slurm_namespace()["engine"]()
    assert isinstance(engine.get_used_engine_by_rqmt({"engine": "short"}), type(engine.engines["short"]))
    assert isinstance(engine.get_used_engine_by_rqmt({}), SimpleLinuxUtilityForResourceManagementEngine)


# ---------------------------------------------------------------------------------------------------- real Slurm
def test_cluster_script_start_is_idempotent_and_status_reports_the_node(slurm_cluster):
    pid_before = pathlib.Path("/run/slurmctld.pid").read_text()
    again = subprocess.run([str(SCRIPT), "start"], capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "ready" in again.stdout
    assert pathlib.Path("/run/slurmctld.pid").read_text() == pid_before  # left running, not restarted
    status = subprocess.run([str(SCRIPT), "status"], capture_output=True, text=True, timeout=60)
    assert status.returncode == 0 and "gpu:2" in status.stdout
    usage = subprocess.run([str(SCRIPT), "restart"], capture_output=True, text=True, timeout=60)
    assert usage.returncode == 2 and "start|stop|status" in usage.stderr


def test_array_submission_runs_each_task_id_with_a_fake_gpu(slurm_cluster, job_dir):
    job_id, path = job_dir
    engine, task = _engine(), FakeTask(path, job_id)
    call = [sys.executable, "-c",
            "import os; print('task', os.environ['SLURM_ARRAY_TASK_ID'], 'gpu', os.environ.get('CUDA_VISIBLE_DEVICES'))"]
    name, info = engine.submit_call(call, str(path / "engine"), {"cpu": 1, "mem": 0.25, "time": 0.1, "gpu": 1},
                                    task.task_name(), "run", [1, 2])
    assert name == "slurm" and [ids for ids, _ in info] == [[1, 2]]
    assert engine.task_state(task, 1) in ("queue", "running", "unknown")
    wait_until(lambda: _ended(engine, task, 1) and _ended(engine, task, 2), 60, "both array tasks to end")
    slurm_id = info[0][1]
    for task_id in (1, 2):
        step_log = path / "engine" / f"{job_id.replace('/', '.')}.run.{slurm_id}.{task_id}"
        text = wait_until(lambda: step_log.exists() and step_log.read_text(), 10, f"{step_log}")
        assert text.split()[:2] == ["task", str(task_id)]
        assert text.split()[3] in ("0", "1")  # a fake GPU from the gres, not None
        term = engine.termination_info(task, task_id)
        assert term["state"] in ("COMPLETED", None) and not term["out_of_memory"] and not term["out_of_time"]
    assert engine.termination_info(task, 3) == {}  # never submitted


def test_sigkilled_task_counts_as_killed_not_out_of_memory(slurm_cluster, job_dir):
    job_id, path = job_dir
    engine, task = _engine(), FakeTask(path, job_id)
    call = [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"]
    engine.submit_call(call, str(path / "engine"), {"cpu": 1, "mem": 0.25, "time": 0.1}, task.task_name(), "run", [1])
    wait_until(lambda: _ended(engine, task, 1), 60, "the killed task to end")
    term = wait_until(lambda: engine.termination_info(task, 1).get("state") and engine.termination_info(task, 1),
                      10, "its termination info")
    assert not term["out_of_memory"] and not term["out_of_time"] and not term["cancelled"]
    assert term["state"] == "FAILED" and term["exit_code"] == 137 and term["termination"]["cause"] == "killed"
    [record] = (path / "engine").glob("*.termination")  # kept beside the logs for the user
    assert json.loads(record.read_text())["termination"]["cause"] == "killed"


def test_cancelled_task_is_reported_as_cancelled(slurm_cluster, job_dir):
    job_id, path = job_dir
    engine, task = _engine(), FakeTask(path, job_id)
    _, [(_, slurm_id)] = engine.submit_call(["sleep", "120"], str(path / "engine"),
                                            {"cpu": 1, "mem": 0.25, "time": 0.1}, task.task_name(), "run", [1])
    wait_until(lambda: engine.reset_cache() or engine.task_state(task, 1) == "running", 60, "the task to run")
    subprocess.run(["scancel", f"{slurm_id}_1"], check=True)
    wait_until(lambda: _ended(engine, task, 1), 30, "the cancelled task to leave the queue")
    term = engine.termination_info(task, 1)
    assert term["cancelled"] and not term["out_of_memory"] and not term["out_of_time"]


def test_impossible_request_is_refused_at_submit_with_the_fix(slurm_cluster, job_dir):
    job_id, path = job_dir
    engine = _engine()
    with pytest.raises(RuntimeError, match=r"(?s)sbatch refused .*Fix the task.s rqmt"):
        engine.submit_call(["true"], str(path / "engine"), {"cpu": 1, "mem": 100000, "time": 0.1},
                           f"{job_id}.run", "run", [1])
    with pytest.raises(RuntimeError, match="gpu"):
        engine.submit_call(["true"], str(path / "engine"), {"cpu": 1, "mem": 0.25, "time": 0.1, "gpu": 64},
                           f"{job_id}.run", "run", [1])
