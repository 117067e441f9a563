"""sislite: a Sisyphus-compatible workflow engine bundled with this setup.

``from sislite import Job, Task, tk`` gives the API of RWTH Sisyphus (same job ids, job directories and engines);
``install_as_sisyphus()`` makes ``import sisyphus`` (and ``sisyphus.job``, ``sisyphus.toolkit``, ...) resolve to
sislite inside this process, so recipes written for RWTH Sisyphus run unchanged. Nothing named ``sisyphus`` is
installed on disk.

Modules (RWTH names where RWTH has them): ``hash`` (sis_hash_helper, short_hash), ``job`` (Job, JobSingleton, job
directory), ``job_path`` (Path, Variable), ``task`` (Task), ``delayed_ops``, ``toolkit`` (tk: outputs, callbacks,
reports), ``global_settings`` / ``global_constants`` (settings, file and state names), ``engine`` (EngineBase,
EngineSelector), ``localengine`` (LocalEngine), ``forkserver`` (fast worker start for the LocalEngine),
``simple_linux_utility_for_resource_management_engine`` (Slurm), ``worker``, ``manager`` (states, submission,
links, summary), ``graph``, ``status`` (what the manager prints), ``loader`` (configs), ``__main__`` (``sis``).
"""

import importlib
import sys

from sislite import toolkit as tk
from sislite.job import Job
from sislite.job_path import Path, Variable
from sislite.task import Task

__all__ = ["Job", "Task", "tk", "Path", "Variable", "install_as_sisyphus"]


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
    for name in ("hash", "job", "job_path", "task", "delayed_ops", "toolkit"):
        sys.modules["sisyphus." + name] = sys.modules["sislite." + name]
    if not any(isinstance(finder, _SubmoduleAlias) for finder in sys.meta_path):
        sys.meta_path.insert(0, _SubmoduleAlias())
    return this
