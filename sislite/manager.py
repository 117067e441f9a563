"""The manager: derives the state of every job needed for the registered outputs (``job_state``), submits runnable
tasks to the engine, links outputs and aliases (``graph``, SPEC §5), and repeats whenever a worker ends
(event-driven; the engine's ``poll_interval`` otherwise). It ends when every output exists (exit status 0) or when
nothing can run any more (exit status 1, with the ``summary``). One manager per setup directory (``manager_lock``).
At its start it lists, once, the finished jobs made by other Python/package versions than the installed ones
(``version_check``; they are kept)."""

import os
import sys
import time

from sislite import engine as engine_module
from sislite import global_constants as gc
from sislite import global_settings as gs
from sislite import termination
from sislite.graph import create_aliases, graph, jobs_for_targets, link_outputs
from sislite.job_state import JobStates
from sislite.localengine import read_usage
from sislite.manager_lock import ManagerLock
from sislite.status import StatusPrinter
from sislite.summary import summary_text
from sislite.version_check import finished_jobs_warning

ACTIVE = (gc.STATE_QUEUE, gc.STATE_RUNNING, gc.STATE_RUNNABLE, gc.STATE_INTERRUPTED_RESUMABLE, gc.STATE_UNKNOWN)
INTERRUPTED = (gc.STATE_INTERRUPTED_RESUMABLE, gc.STATE_INTERRUPTED_NOT_RESUMABLE, gc.STATE_RETRY_ERROR)


def _has_error_marker(job):
    """True if the job's directory holds an ``error.<task>.<id>`` marker."""
    try:
        return any(name.startswith(gc.STATE_ERROR + ".") for name in os.listdir(job._sis_path()))
    except OSError:
        return False


class Manager:
    """Runs the graph of ``targets`` (registered outputs) with ``engine``."""

    def __init__(self, engine, targets, clear_errors=False, clear_interrupted=False, link=True, out=None):
        self.engine = engine
        self.targets = list(targets)
        self.clear_errors = clear_errors
        self.clear_interrupted = clear_interrupted
        self.link = link
        self.status = StatusPrinter(out or sys.stdout)
        self.jobs = jobs_for_targets(targets)
        self.job_states = JobStates(engine, self.jobs, self.status.event)
        self.states = {}
        self.setup_done = set()
        self.reported_failures = []

    def update_states(self):
        states = self.job_states.all_states()
        for job_id, (state, task, _) in states.items():
            old = self.states.get(job_id, (None,))[0]
            if state != old and state in (gc.STATE_RUNNING, gc.STATE_FINISHED_JOB, gc.STATE_ERROR_JOB,
                                          gc.STATE_INTERRUPTED_RESUMABLE, gc.STATE_INTERRUPTED_NOT_RESUMABLE,
                                          gc.STATE_RETRY_ERROR, gc.STATE_QUEUE_ERROR) and old is not None:
                detail = task.name() if task else ""
                if task is not None and state in INTERRUPTED:
                    detail = self.why_ended(task, states[job_id][2], state)
                self.status.event(state, self.jobs[job_id], detail)
        self.states = states
        return states

    def why_ended(self, task, per_id, state):
        """One line on why the first task id in ``state`` ended (see sislite.termination)."""
        task_id = next((i for i, s in (per_id or {}).items() if s == state), 1)
        info = (self.engine.termination_info(task, task_id).get("termination")
                or read_usage(task.path(gc.STATE_USAGE, task_id)).get("termination"))
        return f"{task.name()}.{task_id}: " + termination.describe(info)

    # ---- actions -------------------------------------------------------------------------------------------------
    def clear(self, states_to_clear):
        """Move jobs in the given states aside (``<dir>.cleared.NNNN``) so they run again (SPEC §3.5). Clearing
        errors also clears a job that failed before and now waits for an input being remade (its error marker is
        stale: it would otherwise come back as an error once the input exists)."""
        for job_id, (state, _, _) in self.update_states().items():
            job = self.jobs[job_id]
            stale_error = (gc.STATE_ERROR_JOB in states_to_clear and state == gc.STATE_WAITING
                           and _has_error_marker(job))
            if state not in states_to_clear and not stale_error:
                continue
            directory = job._sis_path()
            number = 1
            while os.path.exists(f"{directory}.{gc.CLEARED_SUFFIX}.{number:04d}"):
                number += 1
            target = f"{directory}.{gc.CLEARED_SUFFIX}.{number:04d}"
            os.rename(directory, target)
            job._sis_is_finished = False
            self.setup_done.discard(job_id)
            self.status.event("cleared", job, f"{state}: moved to {target}")

    def setup_job(self, job, force=False):
        if force or job._sis_id() not in self.setup_done:
            job._sis_setup_directory()
            self.setup_done.add(job._sis_id())

    def rqmt_for(self, task, task_id, resubmit):
        engine = self.engine.engine_for_task(task) if hasattr(self.engine, "engine_for_task") else self.engine
        rqmt = dict(engine.get_default_rqmt(task))
        rqmt.update(task.rqmt())
        history = [info for ids, info in engine_module.read_submit_log(task) if task_id in ids]
        if history:
            first, last = history[0], history[-1]
            for key in list(rqmt):
                if key in first and key in last and rqmt[key] == first[key]:
                    rqmt[key] = last[key]
        if resubmit:
            usage = read_usage(task.path(gc.STATE_USAGE, task_id))
            usage.update({k: v for k, v in self.engine.termination_info(task, task_id).items() if v})
            if usage and "mem" in rqmt and "time" in rqmt:
                rqmt = gs.update_engine_rqmt(rqmt, usage)
        return gs.check_engine_limits(rqmt, task)

    def submit(self, job, task, per_id):
        per_id = per_id or {i: gc.STATE_RUNNABLE for i in task.task_ids()}
        ids = [i for i, s in per_id.items() if s in (gc.STATE_RUNNABLE, gc.STATE_INTERRUPTED_RESUMABLE)]
        if not ids:
            return False
        resubmit = any(per_id[i] == gc.STATE_INTERRUPTED_RESUMABLE for i in ids)
        self.setup_job(job, force=resubmit)
        groups = {}
        for task_id in ids:
            rqmt = self.rqmt_for(task, task_id, per_id[task_id] == gc.STATE_INTERRUPTED_RESUMABLE)
            groups.setdefault(repr(sorted(rqmt.items())), (rqmt, []))[1].append(task_id)
        call = list(gs.SIS_COMMAND) + ["worker", job._sis_path(), task.name()]
        call = gs.worker_wrapper(job, task.name(), call)
        submitted = False
        for rqmt, group in groups.values():
            try:
                engine_name, engine_info = self.engine.submit_call(
                    call, job._sis_path(gc.JOB_LOG_ENGINE), rqmt, f"{job._sis_id()}.{task.name()}", task.name(),
                    group)
            except engine_module.DeferSubmission:
                self.job_states.check_again_in(self.engine.poll_interval)
                continue
            entry = dict(rqmt, engine_info=engine_info, engine_name=engine_name,
                         completed_fraction=job.completed_fraction())
            engine_module.append_submit_log(task, group, entry)
            submitted = True
        return submitted

    def update_targets(self):
        """Run callbacks, write reports and resume async configs whose inputs are ready (outputs are linked by
        ``link_outputs``); True if an async config moved on (its new outputs and jobs are added at once)."""
        moved = False
        for target in list(self.targets):
            moved = bool(target.update()) or moved
            if target.failed and target not in self.reported_failures:
                self.reported_failures.append(target)
                self.status.warning(f"{target.name} failed: {target.failed}")
        if moved:
            known = set(map(id, self.targets))
            self.targets.extend(t for t in graph.targets if id(t) not in known)
            self.jobs.update(jobs_for_targets(self.targets))
        return moved

    # ---- main loop -----------------------------------------------------------------------------------------------
    def run(self):
        """Run until done or stuck; returns the exit status."""
        lock = ManagerLock(gs.WORK_DIR)
        lock.acquire()
        try:
            return self._run()
        finally:
            lock.release()

    def _run(self):
        self.engine.start_engine()
        try:
            if self.clear_errors:
                self.clear({gc.STATE_ERROR_JOB})
            if self.clear_interrupted:
                self.clear({gc.STATE_INTERRUPTED_NOT_RESUMABLE})
            if self.link:
                create_aliases(self.jobs.values(), self.status.warning)
            idle_passes = 0
            versions_checked = False
            while True:
                states = self.update_states()
                if not versions_checked:  # once: finished jobs made by other versions (kept, not rerun)
                    versions_checked = True
                    warning = finished_jobs_warning(self.jobs, states)
                    if warning:
                        self.status.warning(warning)
                if gs.CLEAR_ERROR and any(s == gc.STATE_ERROR_JOB for s, _, _ in states.values()):
                    self.clear({gc.STATE_ERROR_JOB})
                    continue
                if self.link:
                    link_outputs(self.targets)
                    if self.update_targets():
                        continue  # an async config registered new outputs or awaits new jobs
                self.status.overview(self.jobs, states)
                if all(t.is_done() for t in self.targets):
                    self.status.done(len(self.jobs))
                    return 0
                submitted = False
                for job_id, (state, task, per_id) in states.items():
                    if state in (gc.STATE_RUNNABLE, gc.STATE_INTERRUPTED_RESUMABLE) and task is not None:
                        submitted = self.submit(self.jobs[job_id], task, per_id) or submitted
                    elif state == gc.STATE_ERROR_JOB:
                        gs.on_job_failure(self.jobs[job_id])
                if submitted:
                    idle_passes = 0
                    continue
                active = any(s in ACTIVE for s, _, _ in states.values()) or self.job_states.next_check is not None
                if not active:
                    idle_passes += 1
                    if idle_passes >= 2:  # checked twice, in case a marker appeared in between
                        return self.summary(states)
                    continue
                idle_passes = 0
                timeout = gs.MANAGER_POLL_INTERVAL or self.engine.poll_interval
                next_check = self.job_states.next_check
                if next_check is not None:
                    timeout = min(timeout, max(next_check - time.monotonic(), 0.01))
                refresh = self.status.next_refresh_in()  # the running tasks' progress is due
                if refresh is not None:
                    timeout = min(timeout, max(refresh, 0.01))
                engine_module.wait_for_event(timeout)
        finally:
            self.engine.stop_engine()

    def summary(self, states):
        """Print why the outputs could not be produced; returns the exit status 1."""
        self.status.summary(summary_text(self.jobs, states, self.targets, self.reported_failures))
        return 1
