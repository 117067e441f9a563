"""The job graph behind the registered outputs: every job needed for a target, found through job inputs."""

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
