"""The job graph behind the registered outputs: every job needed for a target, found through job inputs, and the
links that make it visible (``output/`` for registered outputs, ``alias/`` for job aliases)."""

import os
import time

from sislite import global_settings as gs
from sislite.atomic import symlink_atomically
from sislite.job_path import AbstractPath


def jobs_for_targets(targets, extra_jobs=()):
    """All jobs whose outputs the targets need, directly or indirectly (a dict id -> job, dependencies first)."""
    order = {}
    stack = [p.creator for t in targets for p in t.required_paths() if p.creator is not None] + list(extra_jobs)
    visiting = set()
    while stack:
        job = stack.pop()
        job_id = job._sis_id()
        if job_id in order:
            continue
        pending = [p.creator for p in job._sis_inputs
                   if p.creator is not None and p.creator._sis_id() not in order]
        if pending and job_id not in visiting:
            visiting.add(job_id)
            stack.append(job)
            stack.extend(pending)
            continue
        order[job_id] = job
    return order


def input_files(job):
    """Inputs of a job that no job creates (plain files)."""
    return [p for p in job._sis_inputs if isinstance(p, AbstractPath) and p.creator is None]


def link_outputs(targets):
    """Point ``output/<ALIAS_AND_OUTPUT_SUBDIR>/<name>`` at each registered output that is available, and record
    each new or changed link in ``gs.FINISHED_LOG`` (RWTH: ``OutputPath.run_when_done``)."""
    for target in targets:
        if not hasattr(target, "link_name") or not target.is_done():
            continue
        link = target.link_name()
        destination = os.path.realpath(target.path.get_path())
        if os.path.islink(link) and os.readlink(link) == destination:
            continue
        updated = os.path.lexists(link)
        os.makedirs(os.path.dirname(link) or ".", exist_ok=True)
        symlink_atomically(destination, link)
        if gs.FINISHED_LOG:
            os.makedirs(os.path.dirname(gs.FINISHED_LOG) or ".", exist_ok=True)
            with open(gs.FINISHED_LOG, "a") as f:
                if updated:
                    f.write(f"{time.ctime()} Updated output: {target.name}\n")
                f.write(f"{time.ctime()} Finished output: {target.name} (-> "
                        f"{os.path.relpath(destination, os.path.dirname(os.path.abspath(link)))})\n")


def create_aliases(jobs, warn):
    """Point ``alias/<ALIAS_AND_OUTPUT_SUBDIR>/<alias>`` at the directory of each job with that alias (RWTH name);
    an alias used by two jobs keeps the first, and ``warn(text)`` says so."""
    seen = {}
    for job in jobs:
        for alias in job.get_aliases():
            if alias in seen and seen[alias] is not job:
                warn(f"alias {alias} is used by {seen[alias]} and {job}: keeping the first")
                continue
            seen[alias] = job
            link = os.path.join(gs.ALIAS_DIR, gs.ALIAS_AND_OUTPUT_SUBDIR, alias)
            destination = job._sis_path(abspath=True)
            if not (os.path.islink(link) and os.readlink(link) == destination):
                os.makedirs(os.path.dirname(link) or ".", exist_ok=True)
                symlink_atomically(destination, link)
