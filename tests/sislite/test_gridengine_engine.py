"""SonOfGridEngine: requirements -> qsub options (unit), ``qstat -xml`` parsing (unit), and against the real
one-node Grid Engine of scripts/gridengine_cluster.sh: task states from qstat (held, running, gone), a graph run by
``sis manager -r`` through qsub (an array job of three task ids) and a failing task reported as error.

The cluster tests are skipped with the reason where it cannot be started (the gridengine_cluster fixture in
conftest.py); with ``SISLITE_REQUIRE_GRIDENGINE=1`` they fail instead.
"""

import os
import pathlib
import subprocess
import sys
import textwrap
import time

import pytest

from sislite.son_of_grid_engine import SonOfGridEngine, parse_qstat_xml

REPO = pathlib.Path(__file__).resolve().parents[2]


def test_rqmt_maps_to_qsub_options():
    engine = SonOfGridEngine(default_rqmt={"cpu": 1, "mem": 1, "time": 1}, pe_name="smp")
    opts = engine.options({"cpu": 4, "mem": 7.5, "time": 2.5, "gpu": 1, "multi_node_slots": 2,
                           "qsub_args": "-q gpu.q -P speech"})
    assert opts == ["-l", "h_vmem=8G", "-l", "h_rss=8G", "-l", "h_fsize=50G", "-l", "gpu=1", "-l", "num_proc=4",
                    "-l", "h_rt=9000", "-pe", "smp", "2", "-q", "gpu.q", "-P", "speech"]
    # rss and file_size of their own; strings pass through; no gpu means gpu=0
    opts = engine.options({"cpu": 1, "mem": "500M", "rss": 2.2, "file_size": 1, "time": "0:10:00"})
    assert opts == ["-l", "h_vmem=500M", "-l", "h_rss=3G", "-l", "h_fsize=1G", "-l", "gpu=0", "-l", "num_proc=1",
                    "-l", "h_rt=0:10:00"]


def test_qsub_commands_split_task_ids_into_arithmetic_runs():
    engine = SonOfGridEngine(default_rqmt={})
    commands = engine.qsub_commands("/w/engine", {"cpu": 1, "mem": 1, "time": 1}, "a/b.Job.x.run", [1, 2, 3, 5, 7])
    assert [ids for ids, _ in commands] == [[1, 2, 3], [5, 7]]
    argv = commands[0][1]
    assert argv[:12] == ["qsub", "-cwd", "-N", "a.b.Job.x.run", "-j", "y", "-o", "/w/engine", "-S", "/bin/bash",
                         "-m", "n"]
    assert argv[-2:] == ["-t", "1-3:1"] and commands[1][1][-2:] == ["-t", "5-7:2"]


def test_qstat_xml_states_per_task_id():
    text = """<?xml version='1.0'?>
<job_info><queue_info><job_list state="running"><JB_job_number>7</JB_job_number><JB_name>a.run</JB_name>
<state>r</state><tasks>2</tasks></job_list></queue_info>
<job_info><job_list state="pending"><JB_job_number>7</JB_job_number><JB_name>a.run</JB_name><state>qw</state>
<tasks>3-5:2</tasks></job_list><job_list state="pending"><JB_job_number>9</JB_job_number><JB_name>b.run</JB_name>
<state>Eqw</state></job_list></job_info></job_info>"""
    assert parse_qstat_xml(text) == {("a.run", 2): [(7, "r")], ("a.run", 3): [(7, "qw")], ("a.run", 5): [(7, "qw")],
                                     ("b.run", 1): [(9, "Eqw")]}
    assert parse_qstat_xml(text, ignore_jobs={"b.run"}).keys() == {("a.run", 2), ("a.run", 3), ("a.run", 5)}


class _NamedTask:
    """What task_state reads of a Task: its full name."""

    def __init__(self, name):
        self._name = name

    def task_name(self):
        return self._name


def _wait_for_state(engine, task, wanted, timeout=60):
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        engine.reset_cache()
        state = engine.task_state(task, 1)
        seen.append(state)
        if state == wanted:
            return seen
        time.sleep(0.5)
    pytest.fail(f"task state did not become {wanted!r} within {timeout} s; seen {seen[-10:]}")


def test_task_state_from_qstat_held_running_gone(gridengine_cluster, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    engine = SonOfGridEngine(default_rqmt={})
    name = f"sislite-test.state.{os.getpid()}"
    task = _NamedTask(name)
    assert engine.task_state(task, 1) == "unknown"
    _, [(ids, job_id)] = engine.submit_call(["sleep", "120"], str(tmp_path / "engine"),
                                            {"cpu": 1, "mem": 1, "time": 0.1, "qsub_args": ["-h"]}, name, "run", [1])
    try:
        assert ids == [1]
        assert engine.task_state(task, 1) == "queue"  # held (hqw) until released
        subprocess.run(["qrls", str(job_id)], check=True, capture_output=True)
        _wait_for_state(engine, task, "running")
    finally:
        subprocess.run(["qdel", str(job_id)], capture_output=True)
    _wait_for_state(engine, task, "unknown")


ENGINE_SETTINGS = """

def engine():
    from sislite.son_of_grid_engine import SonOfGridEngine
    # -V: the job gets the manager's environment (PYTHONPATH, SIS_GLOBAL_SETTINGS_FILE)
    return SonOfGridEngine(default_rqmt={"cpu": 1, "mem": 4, "time": 1, "qsub_args": "-V"})
"""

JOBS = '''
import os

from sisyphus import Job, Task


class Parts(Job):
    """Three task ids, each writes the SGE_TASK_ID it ran as."""

    def __init__(self, tag):
        self.tag = tag
        self.out_parts = [self.output_path(f"part{i}.txt") for i in (1, 2, 3)]

    def tasks(self):
        yield Task("run", args=[1, 2, 3], rqmt={"cpu": 1, "mem": 4, "time": 0.2})

    def run(self, i):
        with open(self.out_parts[i - 1].get_path(), "w") as f:
            f.write(f"{i} {os.environ.get('SGE_TASK_ID')}\\n")


class Collect(Job):
    def __init__(self, parts):
        self.parts = parts
        self.out_all = self.output_path("all.txt")

    def tasks(self):
        yield Task("run")

    def run(self):
        with open(self.out_all.get_path(), "w") as f:
            for p in self.parts:
                f.write(open(p.get_path()).read())


class Fails(Job):
    def __init__(self):
        self.out = self.output_path("never.txt")

    def tasks(self):
        yield Task("run")

    def run(self):
        raise RuntimeError("deliberate failure on Grid Engine")
'''


@pytest.fixture
def setup_dir(batch_setup):
    return batch_setup("getest", JOBS, ENGINE_SETTINGS)


def _run_manager(setup, config_text, timeout=240):
    (setup / "config" / "graph.py").write_text(textwrap.dedent(config_text))
    env = dict(os.environ, SIS_GLOBAL_SETTINGS_FILE="settings.py", PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    sis = str(pathlib.Path(sys.executable).with_name("sis"))
    try:
        return subprocess.run([sis, "manager", "-r", "config/graph.py"], cwd=setup, env=env, text=True,
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"sis manager did not finish within {timeout} s; its output:\n{(e.stdout or '')[-4000:]}")


def _job_dir(setup, class_name):
    [path] = (setup / "work" / "getest" / "jobs").glob(f"{class_name}.*")
    return path


def test_graph_runs_on_grid_engine_as_an_array_job(gridengine_cluster, setup_dir):
    done = _run_manager(setup_dir, """
        from sisyphus import tk
        from recipe.getest.jobs import Parts, Collect
        tk.register_output("all.txt", Collect(Parts("a").out_parts).out_all)
    """)
    output = done.stdout + done.stderr
    result = setup_dir / "output" / "all.txt"
    assert done.returncode == 0 and result.exists(), output[-4000:]
    assert result.read_text().splitlines() == ["1 1", "2 2", "3 3"]  # task id k ran as array task k
    parts = _job_dir(setup_dir, "Parts")
    submit_log = (parts / "submit_log.run").read_text()
    assert "'engine_name': 'sge'" in submit_log
    for i in (1, 2, 3):  # Grid Engine's output file is hard-linked into the job directory as the task log
        [engine_log] = (parts / "engine").glob(f"*.o*.{i}")
        assert os.path.samefile(parts / f"log.run.{i}", engine_log)


def test_failing_task_on_grid_engine_is_an_error(gridengine_cluster, setup_dir):
    done = _run_manager(setup_dir, """
        from sisyphus import tk
        from recipe.getest.jobs import Fails
        tk.register_output("never.txt", Fails().out)
    """)
    output = done.stdout + done.stderr
    job_dir = _job_dir(setup_dir, "Fails")
    assert done.returncode != 0, output[-4000:]
    assert (job_dir / "error.run.1").exists() and not (job_dir / "finished").exists()
    assert "error: getest/jobs/Fails." in output, output[-4000:]
    assert "deliberate failure on Grid Engine" in (job_dir / "log.run.1").read_text()
