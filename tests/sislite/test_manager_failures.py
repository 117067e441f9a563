"""Failures: error summary and non-zero exit, -co, tries, kill -9 of a resumable task, time limit and
out-of-memory records (a kill -9 told apart from out of memory), workers adopted after a manager restart holding
their cores, and the one-manager-per-setup lock."""

import ast
import os
import re
import signal
import time
from pathlib import Path

import pytest

JOBS = (Path(__file__).parent / "sample_jobs.py").read_text()


def _wait_for(condition, timeout=60):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_failing_task_gives_summary_and_nonzero_exit_then_co_reruns(sis_setup):
    sis_setup.write("testjobs/jobs.py", JOBS)
    flag = sis_setup.root / "fail.flag"
    flag.write_text("")
    config = sis_setup.write_config(f"""
        from recipe.sis_api import tk
        from testjobs.jobs import Flaky, Concat
        bad = Flaky({str(flag)!r})
        tk.register_output("after.txt", Concat([bad.out]).out)
    """)
    failed = sis_setup.run_manager(config)
    assert failed.returncode != 0
    [job_dir] = sis_setup.job_dirs("Flaky.*")
    assert (job_dir / "error.run.1").exists() and not (job_dir / "finished").exists()
    assert "error: testjobs/jobs/Flaky." in failed.output
    assert str(job_dir) in failed.output
    assert "deliberate failure because" in failed.output  # the log tail
    assert "after.txt" in failed.output and "-co" in failed.output

    flag.unlink()
    still_failed = sis_setup.run_manager(config)  # without -co the error stays
    assert still_failed.returncode != 0 and (job_dir / "error.run.1").exists()

    cleared = sis_setup.run_manager(config, extra_args=["-co"])
    assert cleared.returncode == 0, cleared.output
    assert (sis_setup.root / "output/after.txt").read_text() == "ok"
    assert Path(f"{job_dir}.cleared.0001/error.run.1").exists()
    assert (job_dir / "finished").exists()


def test_tries_retry_a_failing_task(sis_setup):
    sis_setup.write("testjobs/jobs.py", JOBS)
    flag = sis_setup.root / "fail-once.flag"
    flag.write_text("")
    config = sis_setup.write_config(f"""
        from recipe.sis_api import tk
        from testjobs.jobs import Flaky
        tk.register_output("ok.txt", Flaky({str(flag)!r}, tries=2).out)
    """)
    result = sis_setup.run_manager(config)
    assert result.returncode == 0, result.output
    [job_dir] = sis_setup.job_dirs("Flaky.*")
    assert "deliberate failure" in (job_dir / "log.run.1.error.01").read_text()
    assert not (job_dir / "error.run.1").exists()


def _sleeper_graph(sis_setup, arguments):
    """A config whose one output comes from ``Sleeper(<arguments>)``."""
    sis_setup.write("testjobs/jobs.py", JOBS)
    return sis_setup.write_config(f"""
        from recipe.sis_api import tk
        from testjobs.jobs import Sleeper
        tk.register_output("slept.txt", Sleeper({arguments}).out)
    """)


def _start_manager_on_a_running_resumable_task(sis_setup, name):
    """Start ``sis manager`` on one Resumable job; once its task runs, return (config, manager, worker pid)."""
    sis_setup.write("testjobs/jobs.py", JOBS)
    config = sis_setup.write_config(f"""
        from recipe.sis_api import tk
        from testjobs.jobs import Resumable
        tk.register_output("resumed.txt", Resumable({name!r}).out)
    """)
    manager = sis_setup.start_manager(config)
    started = lambda: list((sis_setup.root / "work").glob("**/Resumable.*/work/started"))  # noqa: E731
    if not _wait_for(lambda: started() and started()[0].read_text()):
        os.killpg(manager.pid, signal.SIGKILL)
        raise AssertionError("the task did not start")
    return config, manager, int(started()[0].read_text())


def test_killed_resumable_task_is_resumed_and_finishes(sis_setup):
    _, manager, worker_pid = _start_manager_on_a_running_resumable_task(sis_setup, "r")
    try:
        os.kill(worker_pid, signal.SIGKILL)
        output, _ = manager.communicate(timeout=60)
    finally:
        if manager.poll() is None:
            os.killpg(manager.pid, signal.SIGKILL)
    assert manager.returncode == 0, output
    assert "interrupted_resumable" in output
    [job_dir] = sis_setup.job_dirs("Resumable.*")
    assert (sis_setup.root / "output/resumed.txt").read_text() == f"resumed after {worker_pid}"
    assert "RETRY OR CONTINUE TASK" in (job_dir / "log.run.1").read_text()


def test_killed_manager_and_worker_resume_in_the_next_manager(sis_setup):
    config, manager, worker_pid = _start_manager_on_a_running_resumable_task(sis_setup, "m")
    os.killpg(manager.pid, signal.SIGKILL)
    manager.communicate(timeout=30)
    os.kill(worker_pid, signal.SIGKILL)  # the worker has its own process group
    assert _wait_for(lambda: not os.path.exists(f"/proc/{worker_pid}") or
                     open(f"/proc/{worker_pid}/stat").read().rsplit(")", 1)[1].split()[0] == "Z", 10)
    result = sis_setup.run_manager(config)
    assert result.returncode == 0, result.output
    assert (sis_setup.root / "output/resumed.txt").read_text().startswith("resumed after")


def test_second_manager_on_same_setup_refuses(sis_setup):
    config = _sleeper_graph(sis_setup, "3")
    first = sis_setup.start_manager(config)
    try:
        assert _wait_for(lambda: sis_setup.job_dirs("Sleeper.*"))
        second = sis_setup.run_manager(config)
        assert second.returncode not in (0, 1)
        assert "another sis manager is already running" in second.output
        output, _ = first.communicate(timeout=60)
        assert first.returncode == 0, output
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    [job_dir] = sis_setup.job_dirs("Sleeper.*")
    assert len((job_dir / "submit_log.run").read_text().splitlines()) == 1


def test_time_limit_is_enforced_and_recorded(sis_setup):
    config = _sleeper_graph(sis_setup, "60, time_h=1.5 / 3600")
    start = time.monotonic()
    result = sis_setup.run_manager(config, timeout=50)
    assert result.returncode == 1, result.output
    assert time.monotonic() - start < 45
    [job_dir] = sis_setup.job_dirs("Sleeper.*")
    usage = ast.literal_eval((job_dir / "usage.run.1").read_text())
    assert usage["out_of_time"] is True
    assert "interrupted_not_resumable" in result.output and "-cio" in result.output


@pytest.mark.parametrize("arguments, cause, line", [
    # A subprocess filled more than the task's 0.1 GB and was SIGKILLed: out of memory.
    ("0, oom=True", "out_of_memory",
     r"interrupted_not_resumable: \S+ run\.1: python -c .*: out of memory \(peak rss 0\.[0-9]+ GB of 0\.1 GB requested"),
    # A small subprocess was SIGKILLed (kill -9): told apart from out of memory.
    ("0, killed=True", "killed", r"run\.1: python -c .*: killed by SIGKILL \(not out of memory: peak rss"),
])
def test_a_sigkilled_subprocess_is_out_of_memory_only_at_its_memory_request(sis_setup, arguments, cause, line):
    config = _sleeper_graph(sis_setup, arguments)
    result = sis_setup.run_manager(config)
    assert result.returncode == 1, result.output
    [job_dir] = sis_setup.job_dirs("Sleeper.*")
    usage = ast.literal_eval((job_dir / "usage.run.1").read_text())
    assert usage["out_of_memory"] is (cause == "out_of_memory")
    assert usage["termination"]["cause"] == cause and usage["termination"]["signal"] == 9
    assert not (job_dir / "error.run.1").exists()  # interrupted, not failed
    assert re.search(line, result.output), result.output
    assert re.search(line.split(": ", 2)[-1], (job_dir / "log.run.1").read_text())  # the log says it too


def test_a_job_that_cannot_be_loaded_is_an_error_with_its_log(sis_setup):
    sis_setup.write("testjobs/jobs.py", JOBS)
    config = sis_setup.write_config("""
        from recipe.sis_api import tk
        from testjobs.jobs import Unloadable
        tk.register_output("never.txt", Unloadable().out)
    """)
    result = sis_setup.run_manager(config)
    assert result.returncode == 1, result.output
    [job_dir] = sis_setup.job_dirs("Unloadable.*")
    assert (job_dir / "error.run.1").exists()
    assert "job.save cannot be loaded on purpose" in result.output


def test_new_manager_adopts_a_worker_that_outlived_the_old_one(sis_setup):
    config = _sleeper_graph(sis_setup, "4")
    manager = sis_setup.start_manager(config)
    try:
        assert _wait_for(lambda: sis_setup.job_dirs("Sleeper.*") and
                         (sis_setup.job_dirs("Sleeper.*")[0] / "usage.run.1").exists())
    finally:
        os.killpg(manager.pid, signal.SIGKILL)  # the worker runs in its own session and goes on
        manager.communicate(timeout=30)
    result = sis_setup.run_manager(config)
    assert result.returncode == 0, result.output
    [job_dir] = sis_setup.job_dirs("Sleeper.*")
    assert len((job_dir / "submit_log.run").read_text().splitlines()) == 1  # adopted, not submitted again
    assert (sis_setup.root / "output/slept.txt").read_text() == "slept"


STAMP_JOBS = '''
import os
import time

from sisyphus import Job, Task


class Stamp(Job):
    """Appends "start <time>" and "end <time>" lines to ``log_file`` around ``seconds`` of sleep (1 cpu)."""

    def __init__(self, name, log_file, seconds):
        self.name, self.log_file, self.seconds = name, log_file, seconds
        self.out = self.output_path("out.txt")

    def tasks(self):
        yield Task("run", rqmt={"cpu": 1, "mem": 0.1, "time": 1})

    def run(self):
        with open(self.log_file, "a") as f:
            f.write(f"start {time.time()} {self.name}\\n")
        time.sleep(self.seconds)
        with open(self.log_file, "a") as f:
            f.write(f"end {time.time()} {self.name}\\n")
        open(self.out.get_path(), "w").close()
'''


def _most_at_once(log_file):
    events = sorted((float(when), 1 if kind == "start" else -1)
                    for kind, when, _ in (line.split() for line in log_file.read_text().splitlines()))
    running = most = 0
    for _, change in events:
        running += change
        most = max(most, running)
    return most


def test_workers_adopted_after_a_manager_restart_hold_their_cores(sis_setup):
    """LocalEngine(cpus=2), four 1-cpu tasks: two run when the manager is killed; the next manager adopts them and
    starts the other two only as they end, so never more than two run at once."""
    sis_setup.write("testjobs/stamps.py", STAMP_JOBS)
    log_file = sis_setup.root / "stamps.log"
    config = sis_setup.write_config(f"""
        from recipe.sis_api import tk
        from testjobs.stamps import Stamp
        for name in "abcd":
            tk.register_output(name, Stamp(name, {str(log_file)!r}, 8).out)
    """)
    manager = sis_setup.start_manager(config)
    try:
        assert _wait_for(lambda: log_file.exists() and log_file.read_text().count("start") == 2, 60)
    finally:
        os.killpg(manager.pid, signal.SIGKILL)  # the workers run in their own sessions and go on
        manager.communicate(timeout=30)
    result = sis_setup.run_manager(config)
    assert result.returncode == 0, result.output
    assert log_file.read_text().count("end") == 4
    assert _most_at_once(log_file) == 2, log_file.read_text()
    submissions = [len((job_dir / "submit_log.run").read_text().splitlines()) for job_dir in
                   sis_setup.job_dirs("Stamp.*")]
    # The two running ones were adopted (one submission each); the two that only waited in the killed manager's
    # engine are submitted again.
    assert sorted(submissions) == [1, 1, 2, 2], result.output
    assert result.output.count("INFO: adopted") == 2 or "adopted" not in result.output
