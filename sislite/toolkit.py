"""The ``tk`` namespace of the Sisyphus API: Path, Variable, output registration and small helpers."""

import os

from sislite import global_constants as gc
from sislite.atomic import write_atomically
from sislite.job import Job, created_jobs, find_paths, load_job  # noqa: F401
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

    failed = None

    def __init__(self, name, path):
        self.name = name
        self.path = path

    def required_paths(self):
        return [self.path]

    def is_done(self):
        return self.path.available()

    def update(self):
        """Nothing to do: the manager links outputs."""

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


class CallbackTarget:
    """``register_callback(f, *args, **kwargs)``: ``f(*args, **kwargs)`` is called once, by the manager, when every
    Path found in the arguments is available (the jobs creating them are run for it)."""

    def __init__(self, function, args, kwargs):
        self.function = function
        self.args = args
        self.kwargs = kwargs
        self.name = f"callback {getattr(function, '__qualname__', function)}"
        self.called = False
        self.failed = None

    def required_paths(self):
        return find_paths((self.args, self.kwargs))

    def is_done(self):
        return self.called

    def update(self):
        if self.called or self.failed or not all(p.available() for p in self.required_paths()):
            return
        try:
            self.function(*self.args, **self.kwargs)
            self.called = True
        except Exception as error:  # noqa: BLE001 - reported in the manager's summary
            import traceback

            self.failed = f"{type(error).__name__}: {error}\n{traceback.format_exc()}"


class ReportTarget:
    """``register_report(name, values, template=None, required=None, update_frequency=300)``: writes
    ``output/<name>`` (``template.format(**values)``, ``str(values())`` for a callable, else a pretty-printed
    ``values``) every ``update_frequency`` seconds while the manager runs, and a final time once every Path in
    ``required`` (default: the Paths in ``values``) is available; it is done then."""

    def __init__(self, name, values, template=None, required=None, update_frequency=300):
        self.name = name
        self.values = values
        self.template = template
        self.required = required
        self.update_frequency = update_frequency
        self.done = False
        self.failed = None
        self.last_write = None

    def required_paths(self):
        return find_paths(self.values if self.required is None else self.required)

    def is_done(self):
        return self.done

    def render(self):
        import pprint

        if self.template is not None:
            return self.template.format(**self.values)
        if callable(self.values):
            return str(self.values())
        return pprint.pformat(self.values, width=140)

    def update(self):
        import time

        if self.done or self.failed:
            return
        complete = all(p.available() for p in self.required_paths())
        if not complete and self.last_write is not None and time.time() - self.last_write < self.update_frequency:
            return
        from sislite import global_settings

        path = os.path.join(global_settings.OUTPUT_DIR, global_settings.ALIAS_AND_OUTPUT_SUBDIR, self.name)
        try:
            text = self.render()
        except Exception as error:  # noqa: BLE001 - an unset Variable etc.: try again later
            if complete:
                self.failed = f"{type(error).__name__}: {error}"
            return
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        write_atomically(path, text + "\n")
        self.last_write = time.time()
        self.done = complete


def register_callback(function, *args, **kwargs):
    """Call ``function(*args, **kwargs)`` once every Path in the arguments is available (see CallbackTarget)."""
    _targets.append(CallbackTarget(function, args, kwargs))


def register_report(name, values, template=None, required=None, update_frequency=300):
    """Write a text report to ``output/<name>`` (see ReportTarget)."""
    if os.path.isabs(name) or ".." in name.split("/"):
        raise ValueError(f"register_report name {name!r} must be a relative path inside output/")
    _targets.append(ReportTarget(name, values, template, required, update_frequency))


def registered_outputs():
    """Targets registered in this process (outputs, callbacks, reports), in order."""
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
