"""Graphs run by ``sis manager -r`` through the real one-node Slurm with the example ``settings_slurm.py``: a small
graph runs to completion (mini task local, the rest on Slurm, gpu=1 sees a fake GPU), a SIGKILLed task is resubmitted
with the same mem and said to be killed, one SIGKILLed at its memory request (how an out-of-memory kill looks without
cgroups) with doubled mem, a task killed at its time limit with doubled time, and a cancelled task shows as
interrupted and is resubmitted.

Skipped with the reason where the cluster cannot be started (the slurm_cluster fixture in conftest.py); the time-limit test takes
60-90 s because slurmctld checks time limits about every 30 s.
"""

import ast
import os
import pathlib
import subprocess
import sys
import textwrap
import time

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]

JOBS = '''
import ast
import os
import signal
import time

from sisyphus import Job, Task


def _first_attempt(marker):
    """True the first time it is called in this job's work dir (leaves a marker file)."""
    if os.path.exists(marker):
        return False
    open(marker, "w").close()
    return True


class WhereAmI(Job):
    """Writes the CUDA_VISIBLE_DEVICES it runs with (the worker keeps only that of the scheduler's variables)."""

    def __init__(self, tag, gpu=0, mini=False):
        self.tag, self.gpu, self.mini = tag, gpu, mini
        self.out_env = self.output_path("env.txt")

    def tasks(self):
        yield Task("run", rqmt={"cpu": 1, "mem": 0.25, "time": 0.2, "gpu": self.gpu}, mini_task=self.mini)

    def run(self):
        with open(self.out_env.get_path(), "w") as f:
            f.write(f"{self.tag} {os.environ.get('CUDA_VISIBLE_DEVICES', 'unset')!r}\\n")


class Collect(Job):
    def __init__(self, parts):
        self.parts = parts
        self.out_all = self.output_path("all.txt")

    def tasks(self):
        yield Task("run", mini_task=True)

    def run(self):
        with open(self.out_all.get_path(), "w") as f:
            for p in self.parts:
                f.write(open(p.get_path()).read())


class KilledOnce(Job):
    """First attempt: SIGKILLs itself (mode "kill"; "oom": after filling its 0.5 GB), overruns its time limit
    ("sleep") or waits to be cancelled."""

    def __init__(self, mode, time_h):
        self.mode, self.time_h = mode, time_h
        self.out_done = self.output_path("done.txt")

    def tasks(self):
        yield Task("run", resume="run", rqmt={"cpu": 1, "mem": 0.5, "time": self.time_h})

    def run(self):
        if _first_attempt("attempted"):
            if self.mode == "oom":
                data = b"x" * (512 * 1024 ** 2)  # noqa: F841 (held until the kill)
                for _ in range(120):  # until the usage file has recorded the high-water mark
                    with open("../usage.run.1") as f:
                        if ast.literal_eval(f.read())["max"]["rss"] >= 0.5:
                            break
                    time.sleep(0.5)
            if self.mode in ("kill", "oom"):
                os.kill(os.getpid(), signal.SIGKILL)
            time.sleep(600)
        with open(self.out_done.get_path(), "w") as f:
            f.write("done\\n")
'''


@pytest.fixture
def setup_dir(batch_setup):
    """A setup directory with the test jobs, fast settings and a config written by the test."""
    return batch_setup("slurmtest", JOBS)


def _manager(setup, config_text, name="graph"):
    """Start ``sis manager -r config/<name>.py`` with settings.py + the repo's settings_slurm.py; returns the Popen."""
    (setup / "config" / f"{name}.py").write_text(textwrap.dedent(config_text))
    env = dict(os.environ, SIS_GLOBAL_SETTINGS_FILE=f"settings.py:{REPO / 'settings_slurm.py'}",
               PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    sis = [str(pathlib.Path(sys.executable).with_name("sis"))]
    return subprocess.Popen(sis + ["manager", "-r", f"config/{name}.py"], cwd=setup, env=env, text=True,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _finish(proc, timeout):
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        pytest.fail(f"sis manager did not finish within {timeout} s; its output:\n{out[-4000:]}")
    return out


def _job_dir(setup, class_name):
    [path] = [p for p in (setup / "work" / "slurmtest" / "jobs").glob(f"{class_name}.*") if ".cleared." not in p.name]
    return path


def _tag(job_dir):
    return (job_dir / "output" / "env.txt").read_text().split()[0]


def _submissions(job_dir, task="run"):
    """The rqmt dicts of submit_log.<task>, one per submission."""
    lines = (job_dir / f"submit_log.{task}").read_text().splitlines()
    return [ast.literal_eval(line)[1] for line in lines if line.strip()]


def test_graph_runs_on_slurm_with_mini_tasks_local_and_a_fake_gpu(slurm_cluster, setup_dir):
    proc = _manager(setup_dir, """
        from sisyphus import tk
        from recipe.slurmtest.jobs import WhereAmI, Collect

        cpu_job = WhereAmI("cpu")
        gpu_job = WhereAmI("gpu", gpu=1)
        local_job = WhereAmI("mini", mini=True)
        tk.register_output("all.txt", Collect([cpu_job.out_env, gpu_job.out_env, local_job.out_env]).out_all)
    """)
    out = _finish(proc, 180)
    result = setup_dir / "output" / "all.txt"
    assert result.exists(), out[-4000:]
    seen = dict(line.split(" ", 1) for line in result.read_text().splitlines())
    assert seen["gpu"].strip("'") in ("0", "1")  # the fake GPU gres sets CUDA_VISIBLE_DEVICES
    assert seen["cpu"] == "'unset'"
    engines = {}
    for job in (setup_dir / "work" / "slurmtest" / "jobs").glob("*.*"):
        engines[job.name.split(".")[0] + ("" if "WhereAmI" not in job.name else "/" + _tag(job))] = \
            _submissions(job)[0]["engine_name"]
    assert engines == {"WhereAmI/cpu": "slurm", "WhereAmI/gpu": "slurm", "WhereAmI/mini": "local",
                       "Collect": "local"}  # mini tasks go to the "short" LocalEngine of settings_slurm.py
    on_slurm = [job for job in (setup_dir / "work" / "slurmtest" / "jobs").glob("WhereAmI.*")
                if _submissions(job)[0]["engine_name"] == "slurm"]
    assert len(on_slurm) == 2
    for job in on_slurm:  # the scheduler's step log is hard-linked into the job directory as the task log
        [step_log] = [p for p in (job / "engine").iterdir() if p.suffix not in (".batch", ".termination")]
        assert os.path.samefile(job / "log.run.1", step_log)


def test_sigkilled_task_is_resubmitted_with_the_same_memory_and_said_to_be_killed(slurm_cluster, setup_dir):
    proc = _manager(setup_dir, """
        from sisyphus import tk
        from recipe.slurmtest.jobs import KilledOnce
        tk.register_output("done.txt", KilledOnce("kill", 1.0).out_done)
    """)
    out = _finish(proc, 180)
    assert (setup_dir / "output" / "done.txt").exists(), out[-4000:]
    first, second = _submissions(_job_dir(setup_dir, "KilledOnce"))
    assert first["engine_name"] == second["engine_name"] == "slurm"
    assert second["mem"] == first["mem"]
    assert "run.1: killed by SIGKILL (not out of memory: peak rss" in out and "Slurm: FAILED" in out, out[-4000:]


def test_task_sigkilled_at_its_memory_request_is_resubmitted_with_doubled_memory(slurm_cluster, setup_dir):
    proc = _manager(setup_dir, """
        from sisyphus import tk
        from recipe.slurmtest.jobs import KilledOnce
        tk.register_output("done.txt", KilledOnce("oom", 1.0).out_done)
    """)
    out = _finish(proc, 180)
    assert (setup_dir / "output" / "done.txt").exists(), out[-4000:]
    first, second = _submissions(_job_dir(setup_dir, "KilledOnce"))
    assert second["mem"] == 2 * first["mem"]
    assert "run.1: out of memory (peak rss" in out, out[-4000:]


def test_cancelled_task_shows_interrupted_and_is_resubmitted(slurm_cluster, setup_dir):
    proc = _manager(setup_dir, """
        from sisyphus import tk
        from recipe.slurmtest.jobs import KilledOnce
        tk.register_output("done.txt", KilledOnce("cancel", 1.0).out_done)
    """)
    deadline = time.monotonic() + 120
    while not list((setup_dir / "work" / "slurmtest" / "jobs").glob("KilledOnce.*/work/attempted")):
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail(f"the task never started; manager output:\n{proc.communicate()[0][-4000:]}")
        time.sleep(0.3)
    job = _job_dir(setup_dir, "KilledOnce")
    [(_, slurm_id)] = _submissions(job)[0]["engine_info"]
    subprocess.run(["scancel", str(slurm_id)], check=True)
    out = _finish(proc, 180)
    assert (setup_dir / "output" / "done.txt").exists(), out[-4000:]
    assert "interrupted" in out
    first, second = _submissions(job)
    assert second["mem"] == first["mem"]  # a cancel is no reason for more memory


def test_task_killed_at_its_time_limit_is_resubmitted_with_doubled_time(slurm_cluster, setup_dir):
    proc = _manager(setup_dir, """
        from sisyphus import tk
        from recipe.slurmtest.jobs import KilledOnce
        tk.register_output("done.txt", KilledOnce("sleep", 1 / 60).out_done)
    """)
    out = _finish(proc, 300)  # Slurm checks time limits about every 30 s: 60-90 s for a 1-minute limit
    assert (setup_dir / "output" / "done.txt").exists(), out[-4000:]
    job = _job_dir(setup_dir, "KilledOnce")
    first, second = _submissions(job)
    assert second["time"] == pytest.approx(2 * first["time"])
    batch_logs = " ".join(p.read_text() for p in (job / "engine").glob("*.batch"))
    assert "DUE TO TIME LIMIT" in batch_logs
