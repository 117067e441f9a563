"""The manager: derives the state of every job needed for the registered outputs (SPEC §3.2), submits runnable
tasks to the engine, links outputs and aliases (SPEC §5), and repeats whenever a worker ends (event-driven; the
engine's ``poll_interval`` otherwise). It ends when every output exists (exit status 0) or when nothing can run any
more (exit status 1, with a summary naming each failed job, its directory and the tail of its log)."""

import ast
import fcntl
import os
import sys
import time

from sislite import engine as engine_module
from sislite import global_constants as gc
from sislite import global_settings as gs
from sislite.graph import input_files, jobs_for_targets
from sislite.localengine import read_usage
from sislite.status import StatusPrinter

ACTIVE = (gc.STATE_QUEUE, gc.STATE_RUNNING, gc.STATE_RUNNABLE, gc.STATE_INTERRUPTED_RESUMABLE, gc.STATE_UNKNOWN)
FAILED = (gc.STATE_ERROR_JOB, gc.STATE_INTERRUPTED_NOT_RESUMABLE, gc.STATE_RETRY_ERROR, gc.STATE_QUEUE_ERROR)


class ManagerLockedError(RuntimeError):
    pass


class ManagerLock:
    """An exclusive lock on ``work/.sislite_manager.lock``: one manager per setup directory."""

    def __init__(self, work_dir):
        os.makedirs(work_dir, exist_ok=True)
        self.path = os.path.join(work_dir, gc.MANAGER_LOCK)
        self.file = None

    def acquire(self):
        self.file = open(self.path, "a+")
        try:
            fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.file.seek(0)
            holder = self.file.read().strip() or "unknown pid"
            self.file.close()
            raise ManagerLockedError(
                f"another sis manager is already running on this setup directory ({gc.BASE_DIR}): {holder}. "
                f"Wait for it to end or stop it (kill <pid>); starting a second one would submit every job twice.")
        self.file.seek(0)
        self.file.truncate()
        self.file.write(f"pid {os.getpid()}, started {time.ctime()}\n")
        self.file.flush()

    def release(self):
        if self.file:
            fcntl.flock(self.file, fcntl.LOCK_UN)
            self.file.close()
            self.file = None


def read_submit_log(job, task):
    """Entries ``(task ids, info dict)`` of ``submit_log.<task>``."""
    path = os.path.join(job._sis_path(), f"{gc.SUBMIT_LOG}.{task.name()}")
    entries = []
    try:
        with open(path) as f:
            for line in f:
                if line.strip():
                    try:
                        entries.append(ast.literal_eval(line))
                    except (ValueError, SyntaxError):
                        pass
    except OSError:
        pass
    return entries


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
        self.targets = targets
        self.clear_errors = clear_errors
        self.clear_interrupted = clear_interrupted
        self.link = link
        self.status = StatusPrinter(out or sys.stdout, gs.MANAGER_PROGRESS_INTERVAL)
        self.jobs = jobs_for_targets(targets)
        self.states = {}
        self.setup_done = set()
        self.updated = set()
        self.next_check = None
        self.reported_failures = []

    # ---- states --------------------------------------------------------------------------------------------------
    def task_id_state(self, task, task_id):
        job = task._job
        finished = task.path(gc.STATE_FINISHED, task_id)
        if os.path.isfile(finished):
            wait = gs.WAIT_PERIOD_JOB_FS_SYNC + gs.WAIT_PERIOD_JOB_CLEANUP
            age = time.time() - os.path.getmtime(finished)
            if gs.SKIP_IS_FINISHED_TIMEOUT or age >= wait:
                return gc.STATE_FINISHED_JOB
            self._check_again_in(wait - age)
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
            self._check_again_in(recent)
            return gc.STATE_RUNNING
        if self._retries_used_up(job, task, task_id):
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
                self.status.event("retry", task._job, f"{task.name()}.{task_id} failed, try {attempt + 1} of "
                                                      f"{task.tries}")
                return True
        return False

    def _retries_used_up(self, job, task, task_id):
        entries = [info for ids, info in read_submit_log(job, task) if task_id in ids]
        if not entries:
            return False
        latest = entries[-1].get("completed_fraction") or 0
        counted = [e for e in entries if (e.get("completed_fraction") or 0) >= latest]
        return len(counted) > gs.MAX_SUBMIT_RETRIES

    def _check_again_in(self, seconds):
        when = time.monotonic() + max(seconds, 0.05)
        self.next_check = when if self.next_check is None else min(self.next_check, when)

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
        if type(job).update is not _base_update() and job._sis_id() not in self.updated:
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

    def update_states(self):
        self.engine.reset_cache()
        self.next_check = None
        states = {}
        for job_id, job in list(self.jobs.items()):
            states[job_id] = self.job_state(job)
        for job_id, (state, task, _) in states.items():
            old = self.states.get(job_id, (None,))[0]
            if state != old and state in (gc.STATE_RUNNING, gc.STATE_FINISHED_JOB, gc.STATE_ERROR_JOB,
                                          gc.STATE_INTERRUPTED_RESUMABLE, gc.STATE_INTERRUPTED_NOT_RESUMABLE,
                                          gc.STATE_RETRY_ERROR, gc.STATE_QUEUE_ERROR) and old is not None:
                self.status.event(state, self.jobs[job_id], task.name() if task else "")
        self.states = states
        return states

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
        history = [info for ids, info in read_submit_log(task._job, task) if task_id in ids]
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
                self._check_again_in(self.engine.poll_interval)
                continue
            entry = dict(rqmt, engine_info=engine_info, engine_name=engine_name,
                         completed_fraction=job.completed_fraction())
            with open(os.path.join(job._sis_path(), f"{gc.SUBMIT_LOG}.{task.name()}"), "a") as f:
                f.write(repr((group, entry)) + "\n")
            submitted = True
        return submitted

    def update_targets(self):
        """Run callbacks and write reports whose inputs are ready (outputs are linked by ``link_outputs``)."""
        for target in self.targets:
            target.update()
            if target.failed and target not in self.reported_failures:
                self.reported_failures.append(target)
                self.status.warning(f"{target.name} failed: {target.failed}")

    def link_outputs(self):
        for target in self.targets:
            if not hasattr(target, "link_name") or not target.is_done():
                continue
            link = target.link_name()
            destination = os.path.realpath(target.path.get_path())
            if os.path.islink(link) and os.readlink(link) == destination:
                continue
            updated = os.path.lexists(link)
            _symlink_atomic(destination, link)
            if gs.FINISHED_LOG:
                os.makedirs(os.path.dirname(gs.FINISHED_LOG) or ".", exist_ok=True)
                with open(gs.FINISHED_LOG, "a") as f:
                    if updated:
                        f.write(f"{time.ctime()} Updated output: {target.name}\n")
                    f.write(f"{time.ctime()} Finished output: {target.name} (-> "
                            f"{os.path.relpath(destination, os.path.dirname(os.path.abspath(link)))})\n")

    def link_aliases(self):
        seen = {}
        for job in self.jobs.values():
            for alias in job.get_aliases():
                if alias in seen and seen[alias] is not job:
                    self.status.warning(f"alias {alias} is used by {seen[alias]} and {job}: keeping the first")
                    continue
                seen[alias] = job
                link = os.path.join(gs.ALIAS_DIR, gs.ALIAS_AND_OUTPUT_SUBDIR, alias)
                destination = job._sis_path(abspath=True)
                if not (os.path.islink(link) and os.readlink(link) == destination):
                    _symlink_atomic(destination, link)

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
                self.link_aliases()
            idle_passes = 0
            while True:
                states = self.update_states()
                if gs.CLEAR_ERROR and any(s == gc.STATE_ERROR_JOB for s, _, _ in states.values()):
                    self.clear({gc.STATE_ERROR_JOB})
                    continue
                if self.link:
                    self.link_outputs()
                    self.update_targets()
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
                active = any(s in ACTIVE for s, _, _ in states.values()) or self.next_check is not None
                if not active:
                    idle_passes += 1
                    if idle_passes >= 2:  # checked twice, in case a marker appeared in between
                        return self.summary(states)
                    continue
                idle_passes = 0
                timeout = gs.MANAGER_POLL_INTERVAL or self.engine.poll_interval
                if self.next_check is not None:
                    timeout = min(timeout, max(self.next_check - time.monotonic(), 0.01))
                refresh = self.status.next_refresh_in()  # the running tasks' progress is due
                if refresh is not None:
                    timeout = min(timeout, max(refresh, 0.01))
                engine_module.wait_for_event(timeout)
        finally:
            self.engine.stop_engine()

    def summary(self, states):
        """Print why the outputs could not be produced; returns the exit status 1."""
        failed = [(job_id, s) for job_id, (s, _, _) in states.items() if s in FAILED]
        missing_inputs = sorted({p.get_path() for job_id, (s, _, _) in states.items() if s == gc.STATE_WAITING
                                 for p in input_files(self.jobs[job_id]) if not p.available()})
        lines = ["", "sis manager: not every output could be produced."]
        for job_id, state in failed:
            job = self.jobs[job_id]
            lines.append(f"  {state}: {job_id}")
            lines.append(f"    directory: {job._sis_path(abspath=True)}")
            for log_path in _task_logs(job, gs.PRINT_ERROR_TASKS):
                lines.append(f"    last {gs.PRINT_ERROR_LINES} lines of {log_path}:")
                lines += ["      | " + line for line in _tail(log_path, gs.PRINT_ERROR_LINES)]
        for path in missing_inputs:
            lines.append(f"  input missing: {path} (no job creates it and it does not exist)")
        waiting = sum(1 for s, _, _ in states.values() if s == gc.STATE_WAITING)
        if waiting:
            lines.append(f"  {waiting} job(s) are waiting for the jobs above")
        for target in self.reported_failures:
            lines.append(f"  {target.name} failed: {target.failed.strip()}")
        not_done = [t.name for t in self.targets if not t.is_done()]
        lines.append(f"  outputs not produced ({len(not_done)} of {len(self.targets)}): {', '.join(not_done)}")
        if any(s == gc.STATE_ERROR_JOB for _, s in failed):
            lines.append("  Fix the cause, then rerun with -co to clear the failed jobs: sis manager -r -co <config>")
        if any(s == gc.STATE_INTERRUPTED_NOT_RESUMABLE for _, s in failed):
            lines.append("  Interrupted jobs that cannot resume are cleared with -cio.")
        if any(s == gc.STATE_RETRY_ERROR for _, s in failed):
            lines.append("  retry_error: delete submit_log.<task> in the job directory to allow more attempts.")
        self.status.summary("\n".join(lines))
        return 1


def _base_update():
    from sislite.job import Job

    return Job.update


def _task_logs(job, count):
    """Logs of the failed task ids (error markers first), at most ``count``."""
    logs = []
    directory = job._sis_path()
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return []
    for name in names:
        if name.startswith(gc.STATE_ERROR + "."):
            log = os.path.join(directory, gc.JOB_LOG + name[len(gc.STATE_ERROR):])
            if os.path.isfile(log):
                logs.append(log)
    if not logs:
        logs = [os.path.join(directory, n) for n in names if n.startswith(gc.JOB_LOG + ".") and ".error." not in n]
    return logs[:max(count, 1)]


def _tail(path, lines):
    try:
        with open(path, errors="replace") as f:
            return f.read()[-200 * lines:].splitlines()[-lines:]
    except OSError:
        return []


def _symlink_atomic(destination, link):
    os.makedirs(os.path.dirname(link) or ".", exist_ok=True)
    tmp = f"{link}.tmp.{os.getpid()}"
    if os.path.lexists(tmp):
        os.remove(tmp)
    os.symlink(destination, tmp)
    os.replace(tmp, link)
