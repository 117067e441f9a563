"""The one place this setup's recipes and configs take the Sisyphus API from.

``from recipe.sis_api import Job, Task, tk`` gives RWTH Sisyphus when it is installed, and the bundled sislite
otherwise or when ``SISLITE_FORCE=1`` is set. When sislite is used it is also registered under the module name
``sisyphus`` (without installing any package of that name), so recipes written for RWTH Sisyphus
(``from sisyphus import Job``) run unchanged beside ours.

``Job`` is the engine's Job with one addition: every task of a recipe job first appends the environment that runs
it (versions, git commit, host, device) to the job directory's ``environment.jsonl`` (``recipe/job_environment.py``).
"""

import importlib
import os
import sys

from recipe.job_environment import with_environment_record


def _rwth_sisyphus_installed():
    """True if an importable ``sisyphus`` is RWTH Sisyphus (the unrelated PyPI project of that name is not)."""
    try:
        return hasattr(importlib.import_module("sisyphus.job"), "JobSingleton")
    except ImportError:
        return False


def _load_sisyphus():
    already = sys.modules.get("sisyphus")
    if already is not None and hasattr(already, "Job"):
        return already  # RWTH Sisyphus, or sislite registered by `sis`
    if os.environ.get("SISLITE_FORCE") != "1" and _rwth_sisyphus_installed():
        return importlib.import_module("sisyphus")
    import sislite

    sislite.install_as_sisyphus()
    return sislite


sisyphus = _load_sisyphus()
Job = with_environment_record(sisyphus.Job)
Task = sisyphus.Task
tk = sisyphus.tk

__all__ = ["Job", "Task", "tk", "sisyphus"]
