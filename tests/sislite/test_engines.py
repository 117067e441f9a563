"""LocalEngine scheduling by declared resources, EngineSelector routing (in-process, with tiny commands)."""

import sys
import time

import pytest

from sislite.engine import EngineBase, EngineSelector
from sislite.localengine import LocalEngine


class FakeJob:
    def __init__(self, job_dir):
        self.job_dir = job_dir

    def _sis_id(self):
        return "fake/Job.abc"


class FakeTask:
    def __init__(self, job_dir, name="run", rqmt=None):
        self._job = FakeJob(job_dir)
        self._name = name
        self._rqmt = rqmt or {}

    def name(self):
        return self._name

    def path(self, kind, task_id):
        return str(self._job.job_dir / f"{kind}.{self._name}.{task_id}")

    def rqmt(self):
        return dict(self._rqmt)


def _sleep_call(seconds):
    return [sys.executable, "-c", f"import time; time.sleep({seconds})"]


def _wait_state(engine, task, task_id, state, timeout=30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if engine.task_state(task, task_id) == state:
            return True
        time.sleep(0.05)
    return False


def test_local_engine_runs_only_what_fits(tmp_path):
    (tmp_path / "engine").mkdir()
    engine = LocalEngine(cpus=1, gpus=0, mem=2)
    task = FakeTask(tmp_path)
    name, info = engine.submit_call(_sleep_call(0.5), str(tmp_path / "engine"), {"cpu": 1, "mem": 1, "time": 1},
                                    "fake/Job.abc.run", "run", [1, 2])
    assert name == "local"
    assert engine.task_state(task, 1) == "running"
    assert engine.task_state(task, 2) == "queue"  # one cpu: the second id waits
    assert _wait_state(engine, task, 2, "running")
    assert _wait_state(engine, task, 2, "unknown")
    assert engine.termination_info(task, 2) == {"returncode": 0, "out_of_time": False, "out_of_memory": False}
    assert (tmp_path / "log.run.1").exists() and (tmp_path / "log.run.2").exists()


def test_local_engine_enforces_time_and_clamps_big_requests(tmp_path):
    (tmp_path / "engine").mkdir()
    engine = LocalEngine(cpus=1, gpus=0)
    task = FakeTask(tmp_path)
    engine.submit_call(_sleep_call(30), str(tmp_path / "engine"), {"cpu": 8, "mem": 1, "time": 0.5 / 3600},
                       "fake/Job.abc.run", "run", [1])
    assert engine.task_state(task, 1) == "running"  # 8 cpus asked, 1 available: runs alone instead of never
    assert _wait_state(engine, task, 1, "unknown", timeout=20)
    info = engine.termination_info(task, 1)
    assert info["out_of_time"] is True and info["returncode"] != 0


def test_local_engine_checks_gpu_ids():
    with pytest.raises(ValueError, match="available_gpus"):
        LocalEngine(cpus=1, gpus=2, available_gpus="0")
    assert LocalEngine(cpus=1, gpus=2).gpu_ids == ["0", "1"]


class RecordingEngine(EngineBase):
    def __init__(self):
        self.calls = []

    def submit_call(self, call, logpath, rqmt, name, task_name, task_ids):
        self.calls.append(call)
        return "recording", None

    def task_state(self, task, task_id):
        return "queue"


def test_engine_selector_routes_by_rqmt_and_tells_the_worker(tmp_path):
    short, long = RecordingEngine(), RecordingEngine()
    selector = EngineSelector(engines={"short": short, "long": long}, default_engine="long")
    call = ["py", "-m", "sislite", "worker", "work/x", "run"]
    selector.submit_call(call, "work/x/engine", {"cpu": 1, "engine": "short"}, "x.run", "run", [1])
    selector.submit_call(call, "work/x/engine", {"cpu": 1}, "x.run", "run", [1])
    assert short.calls == [["py", "-m", "sislite", "worker", "--engine", "short", "work/x", "run"]]
    assert long.calls == [["py", "-m", "sislite", "worker", "--engine", "long", "work/x", "run"]]
    assert selector.task_state(FakeTask(tmp_path, rqmt={"engine": "short"}), 1) == "queue"
    with pytest.raises(ValueError, match="default_engine"):
        EngineSelector(engines={"short": short}, default_engine="long")
    with pytest.raises(ValueError, match="not one of the engines"):
        selector.get_used_engine_by_rqmt({"engine": "gpu"})
