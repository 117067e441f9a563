"""Manager status: plain lines when not on a terminal (only when something changed), a live block with running
tasks and their progress (job.info()) on a terminal."""

import io

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


def test_plain_lines_only_when_the_overview_changes():
    out = io.StringIO()
    printer = StatusPrinter(out)
    jobs, states = _states()
    printer.overview(jobs, states)
    printer.overview(jobs, states)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].endswith("running(1) waiting(1)")
    assert "\x1b[" not in out.getvalue()


def test_live_block_on_a_terminal_shows_progress_and_redraws():
    out = Terminal()
    printer = StatusPrinter(out)
    jobs, states = _states()
    printer.overview(jobs, states)
    assert "running: a/Train.1 run ep 3/10" in out.getvalue()
    printer.event("finished", jobs["a/Train.1"])
    assert "\x1b[2F\x1b[J" in out.getvalue()  # the block is cleared before an event line
