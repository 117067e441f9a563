"""sislite: a Sisyphus-compatible workflow engine bundled with this setup.

``from sislite import Job, Task, tk`` gives the API of RWTH Sisyphus (same job ids, job directories and engines);
``install_as_sisyphus()`` makes ``import sisyphus`` (and ``sisyphus.job``, ``sisyphus.toolkit``, ...) resolve to
sislite inside this process, so recipes written for RWTH Sisyphus run unchanged. Nothing named ``sisyphus`` is
installed on disk.

Modules (RWTH names where RWTH has them), lowest layer first; imports flow one way only (no circle, not even
through function-level imports: tests/sislite/test_import_layers.py):

- ``global_constants`` (file and state names), ``hash`` (sis_hash_helper, short_hash), ``atomic`` (the one
  temp-file-and-rename helper), ``engine`` (EngineBase, EngineSelector, submit log), ``forkserver``;
- ``batch_tasks`` (task names, array ids and log links shared by the batch-system engines), ``localengine``
  (LocalEngine), ``simple_linux_utility_for_resource_management_engine`` (Slurm),
  ``son_of_grid_engine`` (SonOfGridEngine: Grid Engine), ``load_sharing_facility_engine`` (LSF);
- ``global_settings`` (settings; read by the layers above it, never importing them);
- ``delayed_ops`` (Delayed*), ``job_path`` (Path, Variable), ``task`` (Task), ``job`` (Job, JobSingleton, job
  directory), ``tools`` (sis_hash, extract_paths, try_get, sh, ...), ``block``;
- ``graph`` (SISGraph, OutputPath/OutputCall/OutputReport, output and alias links), ``async_workflow`` (async
  configs), ``cleaner``, ``toolkit`` (tk);
- ``job_state`` (the state machine), ``manager_lock``, ``summary``, ``status`` (what the manager prints),
  ``manager`` (the main loop: submission), ``worker``, ``loader`` (configs);
- ``__main__`` (``sis``).
"""

import importlib
import sys

from sislite import toolkit as tk
from sislite.job import Job
from sislite.job_path import Path, Variable  # noqa: F401
from sislite.task import Task

setup_path = tk.setup_path

__all__ = ["Job", "Task", "Path", "gs", "tk", "setup_path"]
"""What ``from sisyphus import *`` gives (as RWTH Sisyphus)."""


def __getattr__(name):
    if name == "gs":  # imported on first use: importing the settings runs settings.py
        from sislite import global_settings

        return global_settings
    raise AttributeError(f"module 'sislite' has no attribute {name!r}")


class _SubmoduleAlias:
    """Resolves ``sisyphus.<name>`` to ``sislite.<name>`` on first import (keeps ``import sisyphus`` cheap)."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname.startswith("sisyphus.") and sys.modules.get("sisyphus") is sys.modules[__name__]:
            import importlib.util  # noqa: F811 - imported here to keep `import sislite` cheap

            try:
                real = importlib.util.find_spec("sislite." + fullname[len("sisyphus."):])
            except ModuleNotFoundError:
                return None
            if real is not None:
                return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        module = importlib.import_module("sislite." + spec.name[len("sisyphus."):])
        spec.loader_state = module.__spec__
        return module

    def exec_module(self, module):
        module.__spec__ = module.__spec__.loader_state  # keep the module's own spec (sislite.<name>)


def install_as_sisyphus():
    """Register sislite as ``sisyphus`` (and its submodules as ``sisyphus.<name>``) in ``sys.modules``."""
    this = sys.modules[__name__]
    current = sys.modules.get("sisyphus")
    if current is not None and current is not this:
        raise RuntimeError(f"module 'sisyphus' is already imported from {getattr(current, '__file__', current)}: "
                           "install sislite as sisyphus before anything imports RWTH Sisyphus, or use that one")
    sys.modules["sisyphus"] = this
    for name in ("hash", "job", "job_path", "task", "delayed_ops", "toolkit", "tools", "graph", "block",
                 "async_workflow", "cleaner"):
        sys.modules["sisyphus." + name] = sys.modules["sislite." + name]
    if not any(isinstance(finder, _SubmoduleAlias) for finder in sys.meta_path):
        sys.meta_path.insert(0, _SubmoduleAlias())
    return this
