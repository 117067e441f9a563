"""Which finished jobs were made by other versions than the installed ones (one listed warning per manager run).

The setup's jobs append what ran them to ``<job dir>/environment.jsonl``, one JSON object per task start with at
least ``"python"`` (version) and ``"packages"`` ({distribution: version}); this setup's recipes write it
(``recipe/job_environment.py``). A finished job whose records name another Python or package version than this
interpreter has is listed; it is not rerun (its id did not change, so its result stands), but the user learns that
a rerun from scratch might not give the same numbers. Jobs without records are skipped.
"""

import importlib.metadata
import json
import os
import platform

from sislite import global_constants as gc

RECORD_FILE = "environment.jsonl"


def _installed(name):
    if name == "python":
        return platform.python_version()
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def recorded_versions(job_dir):
    """``{name: [versions, oldest first]}`` ("python" and the packages) from ``job_dir``'s records."""
    try:
        with open(os.path.join(job_dir, RECORD_FILE)) as file:
            lines = file.read().splitlines()
    except OSError:
        return {}
    versions = {}
    for line in lines:
        try:
            record = json.loads(line)
            pairs = [("python", record["python"])] + sorted(record.get("packages", {}).items())
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
        for name, version in pairs:
            if version not in versions.setdefault(name, []):
                versions[name].append(version)
    return versions


def version_differences(job_dir, installed=None):
    """``{name: (recorded versions, installed version)}`` where ``job_dir``'s records differ from this process."""
    installed = {} if installed is None else installed
    differences = {}
    for name, versions in recorded_versions(job_dir).items():
        if name not in installed:
            installed[name] = _installed(name)
        if versions != [installed[name]]:
            differences[name] = (versions, installed[name])
    return differences


def made_by_other_versions(job_dirs):
    """``[(job dir, differences)]`` of the ``job_dirs`` whose records differ from the installed versions."""
    installed = {}
    found = []
    for job_dir in job_dirs:
        differences = version_differences(job_dir, installed)
        if differences:
            found.append((job_dir, differences))
    return found


def finished_jobs_warning(jobs, states):
    """The warning (or "") for the jobs that ``states`` ({job id: (state, task, ids)}) shows finished."""
    finished = [jobs[job_id]._sis_path() for job_id, (state, _, _) in sorted(states.items())
                if state == gc.STATE_FINISHED_JOB]
    return warning_text(made_by_other_versions(finished))


def warning_text(found, limit=20):
    """The warning for ``made_by_other_versions``'s result ("" when it is empty), at most ``limit`` jobs listed."""
    if not found:
        return ""
    lines = [f"sis manager: {len(found)} finished job(s) were made by other versions than the installed ones; "
             f"they are kept (not rerun), but rerunning them from scratch may give other results:"]
    for job_dir, differences in found[:limit]:
        changes = ", ".join(f"{name} {'/'.join(recorded)} (installed: {now})"
                            for name, (recorded, now) in sorted(differences.items()))
        lines.append(f"  {job_dir}: {changes}")
    if len(found) > limit:
        lines.append(f"  ... and {len(found) - limit} more")
    return "\n".join(lines)
