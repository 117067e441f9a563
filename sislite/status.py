"""What the manager shows: plain log lines (state overview when it changes, job events, the final summary); on a
terminal also a live block with the running tasks and their progress (``job.info()``)."""

import time

from sislite import global_constants as gc


def _stamp():
    return time.strftime("%H:%M:%S")


class StatusPrinter:
    def __init__(self, out):
        self.out = out
        self.live = hasattr(out, "isatty") and out.isatty()
        self.last_overview = None
        self.block_lines = 0

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
        running = []
        for job_id, (state, task, _) in states.items():
            if state == gc.STATE_RUNNING:
                info = None
                try:
                    info = jobs[job_id].info()
                except Exception:  # noqa: BLE001 - a broken info() must not stop the manager
                    info = None
                running.append(f"  running: {job_id} {task.name() if task else ''}" + (f" {info}" if info else ""))
        if self.live:
            self._clear_block()
            block = [f"[{_stamp()}] {line}"] + running
            self.out.write("\n".join(block) + "\n")
            self.out.flush()
            self.block_lines = len(block)
        elif line != self.last_overview:
            self._print(f"[{_stamp()}] {line}")
        self.last_overview = line

    def done(self, job_count):
        self._print(f"[{_stamp()}] All outputs calculated ({job_count} jobs).")

    def summary(self, text):
        self._print(text)
