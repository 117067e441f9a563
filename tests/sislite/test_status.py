"""Manager status: plain lines when not on a terminal (the summary when something changed, the running tasks'
progress about every 30 s), a live block with running tasks and their progress (job.info()) on a terminal."""

import io

from sislite import status
from sislite.status import StatusPrinter


class FakeJob:
    def __init__(self, job_id, info=None):
        self.job_id = job_id
        self._info = info

    def info(self):
        return self._info

    def _sis_path(self):
        return "work/" + self.job_id

    def get_vis_name(self):
        return None

    def get_aliases(self):
        return []


class FakeTask:
    def name(self):
        return "run"


class Terminal(io.StringIO):
    def isatty(self):
        return True


def _states():
    jobs = {"a/Train.1": FakeJob("a/Train.1", "ep 3/10"), "a/Score.2": FakeJob("a/Score.2")}
    states = {"a/Train.1": ("running", FakeTask(), None), "a/Score.2": ("waiting", None, None)}
    return jobs, states


def test_plain_lines_when_the_overview_changes_and_progress_every_interval(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(status.time, "monotonic", lambda: clock[0])
    out = io.StringIO()
    printer = StatusPrinter(out)
    jobs, states = _states()
    printer.overview(jobs, states)
    assert printer.next_refresh_in() == printer.progress_interval
    clock[0] += 5
    printer.overview(jobs, states)  # nothing changed, progress not due
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and lines[0].endswith("running(1) waiting(1)")
    assert lines[1].endswith("progress: work/a/Train.1 run: ep 3/10")
    assert "\x1b[" not in out.getvalue()
    jobs["a/Train.1"]._info = "ep 4/10, epoch 5 42%, ETA 3m10s"
    clock[0] += printer.progress_interval
    assert printer.next_refresh_in() == 0
    printer.overview(jobs, states)
    lines = out.getvalue().splitlines()
    assert len(lines) == 4 and lines[2].endswith("running(1) waiting(1)")  # the summary likewise
    assert lines[3].endswith("progress: work/a/Train.1 run: ep 4/10, epoch 5 42%, ETA 3m10s")
    states["a/Train.1"] = ("finished", None, None)
    printer.overview(jobs, states)
    assert printer.next_refresh_in() is None and out.getvalue().splitlines()[-1].endswith("finished(1) waiting(1)")


def test_live_block_on_a_terminal_shows_progress_and_redraws():
    out = Terminal()
    printer = StatusPrinter(out)
    jobs, states = _states()
    printer.overview(jobs, states)
    assert "running: work/a/Train.1 run: ep 3/10" in out.getvalue()
    assert 0 < printer.next_refresh_in() <= status.LIVE_REFRESH_INTERVAL
    printer.event("finished", jobs["a/Train.1"])
    assert "\x1b[2F\x1b[J" in out.getvalue()  # the block is cleared before an event line
