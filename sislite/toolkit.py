"""The ``tk`` namespace of the Sisyphus API: Path, Variable, output registration and small helpers."""

import os

from sislite import global_constants as gc
from sislite.job import Job, created_jobs, load_job  # noqa: F401
from sislite.job_path import Path, Variable  # noqa: F401
from sislite.task import Task  # noqa: F401


class _LazySettings:
    def __getattr__(self, name):
        from sislite import global_settings

        return getattr(global_settings, name)


gs = _LazySettings()

_targets = []


class OutputTarget:
    """A registered output: ``output/<ALIAS_AND_OUTPUT_SUBDIR>/<name>`` links to ``path`` once it is available."""

    def __init__(self, name, path):
        self.name = name
        self.path = path

    def is_done(self):
        return self.path.available()

    def link_name(self):
        from sislite import global_settings

        return os.path.join(global_settings.OUTPUT_DIR, global_settings.ALIAS_AND_OUTPUT_SUBDIR, self.name)

    def __repr__(self):
        return f"OutputTarget({self.name!r}, {self.path!r})"


def register_output(name, value, export_graph=False):
    """Link ``output/<name>`` to ``value`` (a tk.Path or tk.Variable) when it becomes available."""
    if not isinstance(value, (Path, Variable)):
        hint = " (a pathlib.Path: use tk.Path(str(p)) or a job output)" if hasattr(value, "__fspath__") else ""
        raise TypeError(f"register_output({name!r}, ...) needs a tk.Path or tk.Variable, got {type(value).__name__}"
                        f"{hint}")
    if os.path.isabs(name) or ".." in name.split("/"):
        raise ValueError(f"register_output name {name!r} must be a relative path inside output/")
    _targets.append(OutputTarget(name, value))


def registered_outputs():
    """Targets registered in this process, in order."""
    return list(_targets)


def setup_path(package):
    """``setup_path(__package__)("file")``: a Path beside the package whose hash does not depend on where the setup
    lives (hash_overwrite = "<package as path>/file")."""
    import importlib

    module = importlib.import_module(package)
    directory = os.path.dirname(os.path.abspath(module.__file__))
    prefix = package.replace(".", "/")

    def make(filename):
        return Path(os.path.join(directory, filename), hash_overwrite=f"{prefix}/{filename}")

    return make


def input_path(path):
    return Path(path)


def uncached_path(path):
    return path.get_path() if hasattr(path, "get_path") else str(path)


def mktemp():
    """A fresh temporary file name under ``gs.TMP_PREFIX``."""
    import tempfile

    from sislite import global_settings

    directory = os.path.dirname(global_settings.TMP_PREFIX) or "."
    fd, name = tempfile.mkstemp(prefix=os.path.basename(global_settings.TMP_PREFIX), dir=directory)
    os.close(fd)
    return name


def running_in_worker():
    from sislite import global_settings

    return global_settings.active_engine is not None


def job_dir(job):
    return os.path.join(gc.BASE_DIR, job._sis_path())
