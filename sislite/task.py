"""``Task``: one step of a job (a method run by a worker once per task id) and its requirements (SPEC §2.1, §7.1)."""

import os

from sislite import global_constants as gc


def _to_gb(value):
    if isinstance(value, str):
        units = {"G": 1.0, "M": 1 / 1024, "K": 1 / 1024 ** 2, "T": 1024.0}
        if value[-1].upper() in units:
            return float(value[:-1]) * units[value[-1].upper()]
        return float(value)
    return float(value)


def _to_hours(value):
    if isinstance(value, str) and ":" in value:
        parts = [float(p) for p in value.split(":")]
        while len(parts) < 3:
            parts.insert(0, 0.0)
        return parts[0] + parts[1] / 60 + parts[2] / 3600
    return float(value)


def normalise_rqmt(rqmt):
    """``mem`` in GB and ``time`` in hours as floats (strings like "2G", "512M", "1:30:00" are converted)."""
    rqmt = dict(rqmt)
    if "mem" in rqmt:
        rqmt["mem"] = _to_gb(rqmt["mem"])
    if "time" in rqmt:
        rqmt["time"] = _to_hours(rqmt["time"])
    return rqmt


class Task:
    """``Task(start, resume=None, rqmt=None, args=None, mini_task=False, update_rqmt=None, parallel=0, tries=1,
    continuable=False)``: the job method ``start`` runs once per arg (``resume`` instead after an interruption);
    task id k (from 1) gets its share of the args; ``tries`` > 1 retries a failing id."""

    def __init__(self, start, resume=None, rqmt=None, args=None, mini_task=False, update_rqmt=None, parallel=0,
                 tries=1, continuable=False):
        self._start = start
        self._resume = resume
        self._rqmt = {} if rqmt is None else rqmt
        self._update_rqmt = update_rqmt
        self.mini_task = mini_task
        self.tries = tries
        self.continuable = continuable
        self._job = None
        if args is None:
            args = [[]]
        args = [a if isinstance(a, (list, tuple)) else [a] for a in args]
        if parallel and parallel < len(args):
            chunk = (len(args) + parallel - 1) // parallel
            self._args = [args[i:i + chunk] for i in range(0, len(args), chunk)]
        else:
            self._args = [[a] for a in args]

    def set_job(self, job):
        self._job = job
        return self

    def name(self):
        return self._start

    def resumable(self):
        return self._resume is not None

    def task_ids(self):
        return list(range(1, len(self._args) + 1))

    def args_for(self, task_id):
        """The list of argument tuples that task id ``task_id`` runs."""
        return self._args[task_id - 1]

    def rqmt(self):
        rqmt = self._rqmt() if callable(self._rqmt) else self._rqmt
        rqmt = normalise_rqmt(rqmt)
        if self.mini_task:
            rqmt["engine"] = "short"
        return rqmt

    def function(self, resume):
        name = self._resume if resume and self._resume else self._start
        return getattr(self._job, name)

    def path(self, kind, task_id):
        """A per-task-id file of the job directory, e.g. ``path("log", 1)`` -> ``<job dir>/log.<task>.1``."""
        return os.path.join(self._job._sis_path(abspath=True), f"{kind}.{self.name()}.{task_id}")

    def finished(self, task_id):
        return os.path.isfile(self.path(gc.STATE_FINISHED, task_id))

    def error(self, task_id):
        return os.path.isfile(self.path(gc.STATE_ERROR, task_id))

    def __repr__(self):
        return f"Task({self.name()!r}, ids={self.task_ids()})"
