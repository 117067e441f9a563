"""sislite/termination.py: a kill told apart from out of memory, out of time and a crash; the manager's line."""

import signal

import pytest

from sislite import termination


@pytest.mark.parametrize("returncode, expected", [(-9, 9), (137, 9), (143, 15), (-11, 11), (1, None), (0, None),
                                                  (None, None)])
def test_exit_signal(returncode, expected):
    assert termination.exit_signal(returncode) == expected


def test_a_sigkill_far_below_the_memory_request_is_a_kill():
    info = termination.classify(137, peak_rss_gb=0.4, mem_gb=4, oom_kills=0, by="python -m returnn")
    assert info["cause"] == "killed" and info["signal"] == signal.SIGKILL
    assert termination.describe(info) == (
        "python -m returnn: killed by SIGKILL (not out of memory: peak rss 0.4 GB of 4 GB requested, no OOM kill by "
        "the kernel); a resubmission keeps the memory")


@pytest.mark.parametrize("peak, oom_kills", [(3.9, 0), (0.4, 1), (5.0, None)])
def test_a_sigkill_at_the_request_or_with_an_oom_kill_is_out_of_memory(peak, oom_kills):
    info = termination.classify(-9, peak_rss_gb=peak, mem_gb=4, oom_kills=oom_kills)
    assert info["cause"] == "out_of_memory"
    assert termination.describe(info).startswith("out of memory (peak rss")


def test_time_limit_crash_and_exit_code():
    assert termination.classify(-9, out_of_time=True)["cause"] == "out_of_time"
    crashed = termination.classify(-11)
    assert crashed["cause"] == "crashed" and termination.describe(crashed) == "crashed with SIGSEGV"
    assert termination.classify(3)["cause"] == "exit_code"
    assert termination.describe({}) == "ended without a finished or error marker (cause unknown)"


def test_the_oom_kill_counter_is_read_from_the_memory_cgroup(tmp_path, monkeypatch):
    events = tmp_path / "memory.events"
    events.write_text("low 0\nhigh 0\nmax 3\noom 2\noom_kill 2\n")
    monkeypatch.setattr(termination, "_memory_cgroup_files", lambda: [str(tmp_path / "missing"), str(events)])
    assert termination.oom_kill_count() == 2
    monkeypatch.setattr(termination, "_memory_cgroup_files", lambda: [str(tmp_path / "missing")])
    assert termination.oom_kill_count() is None
