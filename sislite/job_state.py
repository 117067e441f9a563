"""The state machine of the manager (SPEC §3.2; RWTH: ``Job._sis_state`` and ``Task.state``): the state of every
task id from its markers, logs, usage file, submit log and the engine, and from those the state of each job.

Reading a state changes nothing in a job directory, with two exceptions that belong to the decision what to run (as
in RWTH Sisyphus): ``Job.update()`` is called once all inputs of a job are available (it may add inputs, or reopen a
job whose work was extended), and ``Task(tries=N)`` moves the log of a failed try aside while tries are left.
"""

import os
import time

from sislite import global_constants as gc
from sislite import global_settings as gs
from sislite.engine import read_submit_log
from sislite.graph import jobs_for_targets
from sislite.job import Job


class JobStates:
    """States of the jobs in ``jobs`` (id -> job; jobs that ``update()`` adds are added to it) under ``engine``.
    ``event(kind, job, detail)`` reports what the state machine does (retries); ``next_check`` is the monotonic time
    at which a state may change without a worker event (a fresh finished marker, a recently active worker)."""

    def __init__(self, engine, jobs, event):
        self.engine = engine
        self.jobs = jobs
        self.event = event
        self.updated = set()
        self.next_check = None

    def check_again_in(self, seconds):
        when = time.monotonic() + max(seconds, 0.05)
        self.next_check = when if self.next_check is None else min(self.next_check, when)

    # ---- task ids ------------------------------------------------------------------------------------------------
    def task_id_state(self, task, task_id):
        finished = task.path(gc.STATE_FINISHED, task_id)
        if os.path.isfile(finished):
            wait = gs.WAIT_PERIOD_JOB_FS_SYNC + gs.WAIT_PERIOD_JOB_CLEANUP
            age = time.time() - os.path.getmtime(finished)
            if gs.SKIP_IS_FINISHED_TIMEOUT or age >= wait:
                return gc.STATE_FINISHED_JOB
            self.check_again_in(wait - age)
            return gc.STATE_RUNNING
        if os.path.isfile(task.path(gc.STATE_ERROR, task_id)) and not self._retry(task, task_id):
            return gc.STATE_ERROR_JOB
        state = self.engine.task_state(task, task_id)
        if state in (gc.STATE_QUEUE, gc.STATE_RUNNING, gc.STATE_QUEUE_ERROR):
            return state
        if not os.path.isfile(task.path(gc.JOB_LOG, task_id)):
            return gc.STATE_RUNNABLE
        if os.path.isfile(finished):
            return gc.STATE_FINISHED_JOB
        if os.path.isfile(task.path(gc.STATE_ERROR, task_id)):
            return gc.STATE_ERROR_JOB
        recent = self._recently_active(task, task_id)
        if recent is not None:
            self.check_again_in(recent)
            return gc.STATE_RUNNING
        if self._retries_used_up(task, task_id):
            return gc.STATE_RETRY_ERROR
        return gc.STATE_INTERRUPTED_RESUMABLE if task.resumable() else gc.STATE_INTERRUPTED_NOT_RESUMABLE

    def _recently_active(self, task, task_id):
        """Seconds to wait before calling a task id interrupted when the engine knows nothing about its end but its
        usage file or log changed recently (a worker on another host whose markers are not visible yet);
        None otherwise."""
        if self.engine.termination_info(task, task_id):
            return None
        window = gs.WAIT_PERIOD_JOB_FS_SYNC + gs.PLOGGING_UPDATE_FILE_PERIOD + gs.WAIT_PERIOD_JOB_CLEANUP
        newest = 0
        for kind in (gc.STATE_USAGE, gc.JOB_LOG):
            try:
                newest = max(newest, os.path.getmtime(task.path(kind, task_id)))
            except OSError:
                pass
        remaining = newest + window - time.time()
        return remaining if remaining > 0 else None

    def _retry(self, task, task_id):
        """``Task(tries=N)``: move the log of a failed try aside (``log.<t>.<id>.error.NN``) and drop the error
        marker while a slot is free; True if the id may run again."""
        log = task.path(gc.JOB_LOG, task_id)
        for attempt in range(1, task.tries):
            slot = f"{log}.error.{attempt:02d}"
            if not os.path.exists(slot):
                if os.path.exists(log):
                    os.replace(log, slot)
                os.remove(task.path(gc.STATE_ERROR, task_id))
                self.event("retry", task._job, f"{task.name()}.{task_id} failed, try {attempt + 1} of {task.tries}")
                return True
        return False

    def _retries_used_up(self, task, task_id):
        entries = [info for ids, info in read_submit_log(task) if task_id in ids]
        if not entries:
            return False
        latest = entries[-1].get("completed_fraction") or 0
        counted = [e for e in entries if (e.get("completed_fraction") or 0) >= latest]
        return len(counted) > gs.MAX_SUBMIT_RETRIES

    # ---- tasks and jobs ------------------------------------------------------------------------------------------
    def task_state(self, task):
        """The worst state of the task's ids (SPEC §3.2) and the ids per state."""
        per_id = {i: self.task_id_state(task, i) for i in task.task_ids()}
        for state in gc.TASK_STATE_PRIORITY:
            if state in per_id.values():
                return state, per_id
        return gc.STATE_FINISHED_JOB, per_id

    def job_state(self, job):
        """``(state, task, ids per state)`` of a job; task is the first unfinished task."""
        if job._sis_is_finished or job._sis_finished():  # finished jobs are not expanded further (as RWTH)
            return gc.STATE_FINISHED_JOB, None, None
        if not job._sis_all_inputs_available():
            return gc.STATE_WAITING, None, None
        if type(job).update is not Job.update and job._sis_id() not in self.updated:
            before = set(job._sis_inputs)
            job.update()
            self.updated.add(job._sis_id())
            if set(job._sis_inputs) != before:
                self.jobs.update(jobs_for_targets([], [p.creator for p in job._sis_inputs if p.creator]))
                self.updated.discard(job._sis_id())
                return self.job_state(job)
        held = job._sis_hold or os.path.isfile(job._sis_path(gc.JOB_HOLD))
        if not os.path.isdir(job._sis_path()):
            return (gc.STATE_HOLD if held else gc.STATE_RUNNABLE), (job._sis_tasks() or [None])[0], None
        if held:
            return gc.STATE_HOLD, None, None
        for task in job._sis_tasks():
            state, per_id = self.task_state(task)
            if state != gc.STATE_FINISHED_JOB:
                return state, task, per_id
        return gc.STATE_FINISHED_JOB, None, None

    def all_states(self):
        """``{job id: (state, task, ids per state)}`` of every job, after forgetting the engine's cached states."""
        self.engine.reset_cache()
        self.next_check = None
        return {job_id: self.job_state(job) for job_id, job in list(self.jobs.items())}
