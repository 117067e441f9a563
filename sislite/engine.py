"""Engine base classes (RWTH Sisyphus names): ``EngineBase`` and ``EngineSelector``.

An engine starts workers (``submit_call``) and tells the manager the state of a submitted task id
(``task_state``: ``"queue"``, ``"running"``, ``"queue_error"`` or ``"unknown"`` once it is gone). sislite extras:
``termination_info(task, task_id)`` (a dict with ``out_of_memory`` / ``out_of_time`` flags, used to double mem/time
on resubmission), ``poll_interval`` (seconds between state polls when no local event arrives) and
``notify_manager()`` (wakes the manager at once, e.g. when a local worker exits).

Every submission is recorded in the job directory's ``submit_log.<task>`` (one ``repr((task ids, info))`` line:
the rqmt, engine name and info, completed fraction), as RWTH Sisyphus records it: ``read_submit_log`` and
``append_submit_log``.
"""

import ast
import os
import threading

from sislite import global_constants as gc

_manager_wakeup = threading.Event()


def notify_manager():
    """Wake the manager loop now (something changed: a worker ended, a slot became free, ...)."""
    _manager_wakeup.set()


def wait_for_event(timeout):
    """Block until ``notify_manager()`` is called or ``timeout`` seconds pass; True if notified."""
    notified = _manager_wakeup.wait(timeout)
    _manager_wakeup.clear()
    return notified


def _submit_log_path(task):
    return os.path.join(task._job._sis_path(), f"{gc.SUBMIT_LOG}.{task.name()}")


def read_submit_log(task):
    """Entries ``(task ids, info dict)`` of the task's ``submit_log.<task>``, oldest first (unreadable lines are
    skipped)."""
    entries = []
    try:
        with open(_submit_log_path(task)) as f:
            for line in f:
                if line.strip():
                    try:
                        entries.append(ast.literal_eval(line))
                    except (ValueError, SyntaxError):
                        pass
    except OSError:
        pass
    return entries


def append_submit_log(task, task_ids, info):
    """Record one submission of ``task_ids`` of ``task`` in its ``submit_log.<task>``."""
    with open(_submit_log_path(task), "a") as f:
        f.write(repr((list(task_ids), info)) + "\n")


class DeferSubmission(Exception):
    """Raised by ``submit_call`` when the queue refuses new jobs for now; the manager retries in a later pass."""


class EngineBase:
    """Interface of an engine. Subclasses implement ``submit_call`` and ``task_state``."""

    poll_interval = 1.0

    def submit_call(self, call, logpath, rqmt, name, task_name, task_ids):
        """Start ``call + [task id]`` for each id in ``task_ids`` with requirements ``rqmt`` (cpu, gpu, mem in GB,
        time in hours). ``logpath`` is the job's ``engine/`` directory, ``name`` is ``<job id>.<task name>``.
        Returns ``(engine_name, engine_info)``; may raise :class:`DeferSubmission`."""
        raise NotImplementedError

    def task_state(self, task, task_id):
        """``"queue"`` | ``"running"`` | ``"queue_error"`` | ``"unknown"`` (not known to the engine)."""
        raise NotImplementedError

    def termination_info(self, task, task_id):
        """Why the last run of this task id ended, as far as the engine knows: ``{"out_of_memory": bool,
        "out_of_time": bool, ...}``; ``{}`` when unknown."""
        return {}

    def init_worker(self, task):
        """Called inside the worker before the task runs."""

    def get_task_id(self, task_id):
        """The task id of this worker: the one given on the command line."""
        if task_id is None:
            raise RuntimeError(f"{type(self).__name__} needs the task id on the worker command line")
        return int(task_id)

    def reset_cache(self):
        """Forget cached queue states (called once per manager pass)."""

    def get_default_rqmt(self, task):
        return {"cpu": 1, "mem": 1, "time": 1}

    def start_engine(self):
        """Called once by the manager before the first submission."""

    def stop_engine(self):
        """Called once by the manager when it ends."""

    def get_used_engine(self, engine_selector=None):
        return self

    def get_used_engine_by_rqmt(self, rqmt):
        return self

    def engine_for_task(self, task):
        return self


class EngineSelector(EngineBase):
    """Routes each task to one of several engines by its rqmt ``engine`` key (mini tasks carry ``"short"``), and
    adds ``--engine <name>`` to the worker call so the worker uses the same engine."""

    def __init__(self, engines, default_engine):
        if default_engine not in engines:
            raise ValueError(f"default_engine {default_engine!r} is not one of the engines {sorted(engines)}")
        self.engines = engines
        self.default_engine = default_engine

    @property
    def poll_interval(self):
        return min(getattr(e, "poll_interval", 1.0) for e in self.engines.values())

    def get_used_engine(self, engine_selector=None):
        return self.engines[engine_selector or self.default_engine]

    def get_used_engine_by_rqmt(self, rqmt):
        name = rqmt.get("engine", self.default_engine)
        if name not in self.engines:
            raise ValueError(f"rqmt engine {name!r} is not one of the engines {sorted(self.engines)} in settings.py")
        return self.engines[name]

    def engine_for_task(self, task):
        return self.get_used_engine_by_rqmt(task.rqmt())

    def submit_call(self, call, logpath, rqmt, name, task_name, task_ids):
        selected = rqmt.get("engine", self.default_engine)
        call = list(call)
        position = call.index("worker") + 1 if "worker" in call else len(call)
        call[position:position] = ["--engine", selected]
        return self.get_used_engine_by_rqmt(rqmt).submit_call(call, logpath, rqmt, name, task_name, task_ids)

    def task_state(self, task, task_id):
        return self.engine_for_task(task).task_state(task, task_id)

    def termination_info(self, task, task_id):
        return self.engine_for_task(task).termination_info(task, task_id)

    def get_default_rqmt(self, task):
        return self.engine_for_task(task).get_default_rqmt(task)

    def reset_cache(self):
        for engine in self.engines.values():
            engine.reset_cache()

    def start_engine(self):
        for engine in self.engines.values():
            engine.start_engine()

    def stop_engine(self):
        for engine in self.engines.values():
            engine.stop_engine()
