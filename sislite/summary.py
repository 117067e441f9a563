"""The manager's final words when not every output could be produced: each failed job with its directory and the
tail of its log, missing input files, failed callbacks and reports, and the command that goes on from there."""

import os

from sislite import global_constants as gc
from sislite import global_settings as gs
from sislite.graph import input_files

FAILED = (gc.STATE_ERROR_JOB, gc.STATE_INTERRUPTED_NOT_RESUMABLE, gc.STATE_RETRY_ERROR, gc.STATE_QUEUE_ERROR)
"""Job states that need the user (nothing runs them again by itself)."""


def summary_text(jobs, states, targets, failed_targets):
    """The summary for jobs (id -> job) in ``states`` (id -> (state, task, ids per state)), the registered
    ``targets`` and the targets whose callback or report failed."""
    failed = [(job_id, s) for job_id, (s, _, _) in states.items() if s in FAILED]
    missing_inputs = sorted({p.get_path() for job_id, (s, _, _) in states.items() if s == gc.STATE_WAITING
                             for p in input_files(jobs[job_id]) if not p.available()})
    lines = ["", "sis manager: not every output could be produced."]
    for job_id, state in failed:
        job = jobs[job_id]
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
    for target in failed_targets:
        lines.append(f"  {target.name} failed: {target.failed.strip()}")
    not_done = [t.name for t in targets if not t.is_done()]
    lines.append(f"  outputs not produced ({len(not_done)} of {len(targets)}): {', '.join(not_done)}")
    if any(s == gc.STATE_ERROR_JOB for _, s in failed):
        lines.append("  Fix the cause, then rerun with -co to clear the failed jobs: sis manager -r -co <config>")
    if any(s == gc.STATE_INTERRUPTED_NOT_RESUMABLE for _, s in failed):
        lines.append("  Interrupted jobs that cannot resume are cleared with -cio.")
    if any(s == gc.STATE_RETRY_ERROR for _, s in failed):
        lines.append("  retry_error: delete submit_log.<task> in the job directory to allow more attempts.")
    return "\n".join(lines)


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
