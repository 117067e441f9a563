"""What the batch-system engines (Slurm, Grid Engine, LSF) share about tasks: their names, job directory, array
task-id runs and specs, the submission of array jobs, and the link of a batch system's output file to the task's
``log.<task>.<id>``."""

import logging
import os
import re

from sislite.atomic import replace_atomically
from sislite.engine import DeferSubmission

log = logging.getLogger(__name__)


def task_full_name(task):
    """``<job id>.<task name>`` of a Task (RWTH's ``task.task_name()``)."""
    if hasattr(task, "task_name"):
        return task.task_name()
    return f"{task._job._sis_id()}.{task.name()}"


def task_short_name(task):
    return task.name()


def task_job_dir(task):
    """Absolute job directory of a Task."""
    return task._job._sis_path(abspath=True)


def arithmetic_runs(task_ids):
    """Split sorted task ids into ``(first, last, step)`` runs: [1, 2, 3, 5, 7, 9, 10] -> (1, 3, 1), (5, 9, 2), (10, 10, 1)."""
    ids = sorted(set(int(i) for i in task_ids))
    runs = []
    i = 0
    while i < len(ids):
        if i + 1 == len(ids):
            runs.append((ids[i], ids[i], 1))
            break
        step = ids[i + 1] - ids[i]
        j = i + 1
        while j + 1 < len(ids) and ids[j + 1] - ids[j] == step:
            j += 1
        runs.append((ids[i], ids[j], step))
        i = j + 1
    return runs


def expand_array_spec(spec):
    """``1-3`` / ``1-9:2`` / ``1,4`` (pending array notation, possibly with ``%limit``) -> list of ids."""
    ids = []
    for part in spec.split("%")[0].strip("[]").split(","):
        m = re.fullmatch(r"(\d+)(?:-(\d+)(?::(\d+))?)?", part)
        if m:
            first = int(m.group(1))
            last = int(m.group(2) or first)
            ids += list(range(first, last + 1, int(m.group(3) or 1)))
    return ids


def submit_arrays(submissions, run, submitted, limit_markers, refused, system):
    """Run each ``(task ids, command, stdin)`` submission with ``run(command, stdin)`` (a CompletedProcess) and return
    ``[(task ids, job id), ...]``, the job id read with the regular expression ``submitted``. A reply containing one of
    ``limit_markers`` (the user's submit limit) raises :class:`DeferSubmission`, so the manager tries again later; any
    other refusal raises RuntimeError with the message ``refused(reply)`` (which names the task and the fix)."""
    info = []
    for ids, command, stdin in submissions:
        result = run(command, stdin)
        out = (result.stdout or "") + (result.stderr or "")
        m = submitted.search(out)
        if result.returncode != 0 or not m:
            if any(marker in out for marker in limit_markers):
                raise DeferSubmission(out.strip())
            raise RuntimeError(refused(out.strip()))
        info.append((ids, int(m.group(1))))
        log.debug("submitted %s job %s for task ids %s", system, m.group(1), ids)
    return info


def link_task_log(task, task_id, source):
    """Hard-link (or, across file systems, symlink) the batch system's output file ``source`` to the task's
    ``log.<task>.<id>``, replacing an older link atomically."""
    target = os.path.join(task_job_dir(task), f"log.{task_short_name(task)}.{task_id}")
    replace_atomically(target, lambda temporary: _hardlink_or_symlink(source, temporary))


def _hardlink_or_symlink(source, link):
    try:
        os.link(source, link)
    except OSError:
        os.symlink(os.path.abspath(source), link)
