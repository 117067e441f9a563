"""What the manager shows: plain log lines (state overview when it changes, job events, the final summary); on a
terminal also a live block with the running tasks and their progress (``job.info()``, e.g. a training's epoch,
in-epoch progress and ETA), redrawn in place on every manager pass; elsewhere (a log file, a pipe) the state summary
and one ``progress:`` line per running task with an ``info()`` about every 30 s (``gs.MANAGER_PROGRESS_INTERVAL``).
The manager wakes up in time for both (:meth:`StatusPrinter.next_refresh_in`)."""

import time

from sislite import global_constants as gc
from sislite import global_settings as gs


LIVE_REFRESH_INTERVAL = 2.0
"""Longest time between redraws of the live block on a terminal."""


def _stamp():
    return time.strftime("%H:%M:%S")


def _label(job):
    """``alias/<alias> (<job id>)``, else the job id with its vis name."""
    aliases = job.get_aliases()
    vis = job.get_vis_name()
    if aliases:
        return f"alias/{aliases[0]} ({job._sis_path()})"
    return f"{job._sis_path()}" + (f" [{vis}]" if vis else "")


class StatusPrinter:
    def __init__(self, out, progress_interval=None):
        """``progress_interval``: seconds between the plain progress lines (default gs.MANAGER_PROGRESS_INTERVAL)."""
        self.out = out
        self.progress_interval = gs.MANAGER_PROGRESS_INTERVAL if progress_interval is None else progress_interval
        self.live = hasattr(out, "isatty") and out.isatty()
        self.last_overview = None
        self.block_lines = 0
        self.last_progress = None  # monotonic time of the last plain progress lines
        self.running = False

    def _print(self, text):
        self._clear_block()
        self.out.write(text + "\n")
        self.out.flush()

    def _clear_block(self):
        if self.live and self.block_lines:
            self.out.write(f"\x1b[{self.block_lines}F\x1b[J")
            self.block_lines = 0

    def event(self, kind, job, detail=""):
        name = job._sis_path()
        vis = job.get_vis_name()
        alias = job.get_aliases()
        label = f"{name}" + (f" [{vis}]" if vis else "") + (f" (alias/{alias[0]})" if alias else "")
        self._print(f"[{_stamp()}] {kind}: {label}" + (f" {detail}" if detail else ""))

    def warning(self, text):
        self._print(f"[{_stamp()}] WARNING: {text}")

    def overview(self, jobs, states):
        counts = {}
        for state, _, _ in states.values():
            counts[state] = counts.get(state, 0) + 1
        line = " ".join(f"{state}({counts[state]})" for state in sorted(counts))
        running = []  # (job, task name, info)
        for job_id, (state, task, _) in states.items():
            if state == gc.STATE_RUNNING:
                try:
                    info = jobs[job_id].info()
                except Exception:  # noqa: BLE001 - a broken info() must not stop the manager
                    info = None
                running.append((jobs[job_id], task.name() if task else "", info))
        self.running = bool(running)
        if self.live:
            self._clear_block()
            block = [f"[{_stamp()}] {line}"] + [
                f"  running: {_label(job)} {task}" + (f": {info}" if info else "") for job, task, info in running]
            self.out.write("\n".join(block) + "\n")
            self.out.flush()
            self.block_lines = len(block)
            self.last_progress = time.monotonic()
        else:
            now = time.monotonic()
            due = bool(running) and (self.last_progress is None or now - self.last_progress >= self.progress_interval)
            if line != self.last_overview or due:
                self._print(f"[{_stamp()}] {line}")
            if due:
                self.last_progress = now
                for job, task, info in running:
                    if info:
                        self._print(f"[{_stamp()}] progress: {_label(job)} {task}: {info}")
        self.last_overview = line

    def next_refresh_in(self):
        """Seconds until the running tasks' progress is due again (None while nothing runs): the manager waits no
        longer than this for its next pass."""
        if not self.running or self.last_progress is None:
            return None
        interval = LIVE_REFRESH_INTERVAL if self.live else self.progress_interval
        return max(0.0, self.last_progress + interval - time.monotonic())

    def done(self, job_count):
        self._print(f"[{_stamp()}] All outputs calculated ({job_count} jobs).")

    def summary(self, text):
        self._print(text)
