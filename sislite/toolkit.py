"""The ``tk`` namespace of the Sisyphus API (RWTH names and semantics): Path, Variable, output registration
(``register_output``/``register_callback``/``register_report`` into ``sis_graph``), async workflows
(``async_run``/``async_gather``), blocks, shell commands and console helpers (``find_job``, ``run_job``,
``remove_job_and_descendants``, ``import_work_directory``, ``export_graph``, ``cleaner``, ...).

``tk.gs`` is ``sislite.global_settings`` (imported on first use: importing it runs settings.py)."""

import glob
import gzip
import importlib
import logging
import os
import pickle
import shutil
import subprocess
import sys
import tempfile

from sislite import cleaner  # noqa: F401 - tk.cleaner
from sislite import global_constants as gc
from sislite.async_workflow import async_context, async_gather, async_run  # noqa: F401
from sislite.atomic import write_atomically
from sislite.block import block, set_root_block, sub_block  # noqa: F401
from sislite.delayed_ops import Delayed  # noqa: F401
from sislite.graph import OutputCall, OutputPath, OutputReport, OutputTarget
from sislite.graph import graph as sis_graph
from sislite.job import Job, created_jobs, find_paths  # noqa: F401
from sislite.job import load_job as _load_job_save
from sislite.job_path import AbstractPath, Path, Variable  # noqa: F401
from sislite.task import Task  # noqa: F401
from sislite.tools import extract_paths, sh  # noqa: F401


def __getattr__(name):
    if name == "gs":
        from sislite import global_settings

        return global_settings
    raise AttributeError(f"module 'sisyphus.toolkit' has no attribute {name!r}")


class BlockedWorkflow(Exception):
    """An output cannot be computed because some job it needs is blocked."""


# ---- registering outputs ------------------------------------------------------------------------------------------
def _relative_output_name(kind, name):
    if os.path.isabs(name) or ".." in name.split("/"):
        raise ValueError(f"{kind} name {name!r} must be a relative path inside output/")


def register_output(name, value, export_graph=False):
    """Link ``output/<name>`` to ``value`` (a tk.Path or tk.Variable) when it becomes available; with
    ``export_graph=True`` the Path is also pickled to ``output/.<name>.sis`` (``tk.load_file`` reads it)."""
    if not isinstance(value, (Path, Variable)):
        hint = " (a pathlib.Path: use tk.Path(str(p)) or a job output)" if hasattr(value, "__fspath__") else ""
        raise TypeError(f"register_output({name!r}, ...) needs a tk.Path or tk.Variable, got {type(value).__name__}"
                        f"{hint}")
    _relative_output_name("register_output", name)
    sis_graph.add_target(OutputPath(name, value))
    if export_graph:
        from sislite import global_settings as gs

        dump(value, os.path.join(gs.OUTPUT_DIR, gs.ALIAS_AND_OUTPUT_SUBDIR, f".{name}.sis"))


def register_callback(f, *args, **kwargs):
    """Call ``f(*args, **kwargs)`` once, in the manager, when every Path in the arguments is available."""
    sis_graph.add_target(OutputCall(f, args, kwargs))


def register_report(name, values, template=None, required=None, update_frequency=300):
    """Write a text report to ``output/<name>`` (see ``sislite.graph.OutputReport``)."""
    _relative_output_name("register_report", name)
    sis_graph.add_target(OutputReport(name, values, template, required, update_frequency))


def registered_outputs():
    """Targets registered in this process (outputs, callbacks, reports, async workflows), in order."""
    return sis_graph.targets


# ---- paths ----------------------------------------------------------------------------------------------------------
class RelPath:
    """``RelPath(origin, hash_overwrite)("file")``: a Path to ``origin/file`` (relative to the working directory)
    hashed as ``hash_overwrite/file`` (see :func:`setup_path`)."""

    def __init__(self, origin, hash_overwrite=None):
        self.origin = origin
        self.hash_overwrite = hash_overwrite

    def __call__(self, path, *args, **kwargs):
        if self.hash_overwrite and "hash_overwrite" not in kwargs and len(args) < 3:
            kwargs["hash_overwrite"] = os.path.join(self.hash_overwrite, path)
        if not os.path.isabs(path):
            path = os.path.relpath(os.path.join(self.origin, path))
        return Path(path, *args, **kwargs)


def setup_path(package):
    """``rel_path = setup_path(__package__)``; ``rel_path("file")`` is a Path beside the package's files whose hash
    does not depend on where the setup lives (``"<package as path>/file"``)."""
    if not package:
        raise ValueError("setup_path(__package__): __package__ is empty; setup_path works in packages (a directory "
                         "with __init__.py), not in a config file passed by itself")
    module = importlib.import_module(package)
    if not getattr(module, "__file__", None):
        raise ValueError(f"setup_path({package!r}): {package.replace('.', '/')}/__init__.py does not exist")
    return RelPath(os.path.relpath(os.path.dirname(module.__file__)), hash_overwrite=package.replace(".", "/"))


def input_path(path):
    """``path`` as a Path (a str becomes ``Path(path)``)."""
    if isinstance(path, str):
        return Path(path)
    if not isinstance(path, Path):
        raise TypeError(f"input_path needs a str or tk.Path, got {type(path).__name__}")
    return path


def is_path(path):
    return isinstance(path, Path)


def uncached_path(path):
    return path.get_path() if hasattr(path, "get_path") else str(path)


def zipped(filename):
    """True if the file starts with the gzip magic bytes."""
    with open(str(filename), "rb") as f:
        return f.read(2) == b"\x1f\x8b"


def bundle_to_str(bundle):
    """A list of paths as a space-separated string; a single path as its string."""
    if isinstance(bundle, (list, tuple, set)):
        return " ".join(str(p) for p in sorted(bundle, key=str))
    return str(bundle)


class mktemp:  # noqa: N801 - RWTH name
    """``with tk.mktemp() as name:`` a fresh name under ``gs.TMP_PREFIX`` (nothing created); a file or directory
    made under that name is removed when the block ends."""

    def __enter__(self):
        from sislite import global_settings as gs

        directory, prefix = os.path.split(gs.TMP_PREFIX)
        fd, self.temp_path = tempfile.mkstemp(prefix=prefix, dir=directory or ".")
        os.close(fd)
        os.unlink(self.temp_path)
        return self.temp_path

    def __exit__(self, *exc_info):
        if os.path.isdir(self.temp_path) and not os.path.islink(self.temp_path):
            shutil.rmtree(self.temp_path)
        elif os.path.lexists(self.temp_path):
            os.unlink(self.temp_path)


class Object:
    """An empty object to hang attributes on."""


def dump(obj, filename):
    """Pickle ``obj`` gzip-compressed to ``filename`` (its directory is created)."""
    directory = os.path.dirname(filename)
    if directory:
        os.makedirs(directory, exist_ok=True)
    write_atomically(filename, gzip.compress(pickle.dumps(obj)))


def load_file(path):
    """Unpickle a file written by :func:`dump` (gzip-compressed or plain)."""
    with (gzip.open if zipped(path) else open)(path, "rb") as f:
        return pickle.load(f)


# ---- where this runs ------------------------------------------------------------------------------------------------
_sis_running_in_manager = False


def running_in_worker():
    """True inside a worker (a task is running)."""
    from sislite import global_settings as gs

    return gs.active_engine is not None


def running_in_manager():
    """True inside ``sis manager`` or ``sis console``."""
    return _sis_running_in_manager


def job_dir(job):
    return os.path.join(gc.BASE_DIR, job._sis_path())


# ---- console helpers ------------------------------------------------------------------------------------------------
def run(obj, quiet=False):
    """Run (here, with ``gs.engine()``) every job needed for the Paths in ``obj`` and return when they are
    available; raises BlockedWorkflow naming the failed jobs otherwise. ``quiet``: no status lines."""
    from sislite import global_settings as gs
    from sislite.manager import Manager

    manager = Manager(gs.engine(), [OutputTarget("tk.run", obj)], link=False,
                      out=open(os.devnull, "w") if quiet else None)
    if manager.run() != 0:
        raise BlockedWorkflow(f"tk.run: cannot compute {obj!r}: some job it needs failed (see above)")


def find_job(pattern):
    """Jobs of the graph whose id, visible name or alias contains ``pattern``."""
    return sis_graph.find(pattern, mode="job")


def find_path(pattern):
    """Input Paths of the graph's jobs that contain ``pattern``."""
    return sis_graph.find(pattern, mode="path")


def load_job(path):
    """The job pickled in the job directory ``path`` (``job.save``)."""
    return _load_job_save(path)


def setup_job_directory(job):
    """Create the job directory of ``job`` (or of a Path's creator) if its inputs are available."""
    job = job.creator if isinstance(job, AbstractPath) else job
    if not isinstance(job, Job):
        raise TypeError(f"setup_job_directory needs a Job or a job's Path, got {type(job).__name__}")
    missing = [str(p) for p in job._sis_inputs if not p.available()]
    if missing:
        logging.error("Job has missing inputs: %s", "\n".join(missing))
        return False
    job._sis_setup_directory()
    return True


def run_job(job, task_name=None, task_id=1, force_resume=False):
    """Run one task id of ``job`` here, in a worker process (the job directory is set up first); returns the
    worker's exit status."""
    from sislite import global_settings as gs

    if not os.path.isdir(job._sis_path()):
        setup_job_directory(job)
    tasks = {t.name(): t for t in job._sis_tasks()}
    task_name = task_name or next(iter(tasks))
    if task_name not in tasks:
        raise ValueError(f"{task_name!r} is not a task of {job} (tasks: {sorted(tasks)})")
    call = list(gs.SIS_COMMAND) + ["worker", job._sis_path(), task_name, str(task_id)]
    if force_resume:
        call.append("--force_resume")
    return subprocess.call(call)


def _depends_on(job, sources, cache):
    job_id = job._sis_id()
    if job_id not in cache:
        cache[job_id] = False  # cycles cannot happen; this also stops re-entry
        own = {p.get_path() for p in job._sis_outputs.values()} | {job._sis_path(abspath=True)}
        inputs = {p.get_path() for p in job._sis_inputs}
        cache[job_id] = any(s == o or s.startswith(o.rstrip("/") + "/") for s in sources for o in own) or any(
            i == s or i.startswith(s.rstrip("/") + "/") for s in sources for i in inputs) or any(
            _depends_on(p.creator, sources, cache) for p in job._sis_inputs if p.creator is not None)
    return cache[job_id]


def remove_job_and_descendants(jobs, mode="remove"):
    """Remove (``mode="remove"``), move aside (``"move"``: ``<dir>.cleared.NNNN``) or list (``"dryrun"``) the
    directories of the given jobs/paths/path strings and of every graph job that depends on them; asks before
    changing anything. Returns the affected jobs."""
    if mode not in ("remove", "move", "dryrun"):
        raise ValueError(f"remove_job_and_descendants(mode={mode!r}): use remove, move or dryrun")
    if isinstance(jobs, (str, AbstractPath, Job)):
        jobs = [jobs]
    sources = set()
    for source in jobs:
        if isinstance(source, Job):
            sources.add(source._sis_path(abspath=True))
        else:
            sources.add(os.path.abspath(str(source)))
    cache = {}
    affected = sorted((j for j in sis_graph.jobs() if _depends_on(j, sources, cache) and os.path.isdir(j._sis_path())),
                      key=lambda j: j._sis_id())
    if not affected:
        print("No job directory depends on", ", ".join(sorted(sources)))
        return []
    print("Job directories depending on the input:")
    for job in affected:
        print(" ", job._sis_path())
    if mode == "dryrun":
        return affected
    if input("Start deleting? (y/N): ").strip() != "y":
        print("Abort")
        return []
    for job in affected:
        directory = job._sis_path()
        if mode == "move":
            number = 1
            while os.path.exists(f"{directory}.{gc.CLEARED_SUFFIX}.{number:04d}"):
                number += 1
            os.rename(directory, f"{directory}.{gc.CLEARED_SUFFIX}.{number:04d}")
        else:
            shutil.rmtree(directory)
        job._sis_is_finished = False
    return affected


def import_work_directory(directories, mode="dryrun", use_alias=False):
    """Bring finished job directories of other work directories into this one: ``mode`` is ``copy``,
    ``symlink``, ``hardlink`` or ``dryrun`` (print what would be imported). ``use_alias``: find a job in the
    other setup through its alias (``<work>/../alias/<alias>``) when its id differs. Returns the imported ids."""
    from sislite.tools import hardlink_or_copy

    if mode not in ("copy", "symlink", "hardlink", "dryrun"):
        raise ValueError(f"import_work_directory(mode={mode!r}): use copy, symlink, hardlink or dryrun")
    if isinstance(directories, str):
        directories = [directories]
    imported = []
    for job in sis_graph.jobs():
        target = job._sis_path()
        if os.path.isdir(target):
            continue
        candidates = [os.path.join(d, job._sis_id()) for d in directories]
        if use_alias:
            candidates += [os.path.join(d, "..", "alias", a) for d in directories for a in job.get_aliases()]
        for source in candidates:
            if not (os.path.isfile(os.path.join(source, gc.JOB_FINISHED_MARKER))
                    or os.path.isfile(os.path.join(source, gc.JOB_FINISHED_ARCHIVE))):
                continue
            print(f"import {source} -> {target} ({mode})")
            if mode != "dryrun":
                os.makedirs(os.path.dirname(target), exist_ok=True)
                if mode == "copy":
                    shutil.copytree(source, target, symlinks=True)
                elif mode == "symlink":
                    os.symlink(os.path.realpath(source), target)
                else:
                    hardlink_or_copy(source, target)
            imported.append(job._sis_id())
            break
    return imported


def export_graph(output_file=None):
    """Write one line ``<job id> <repr(output)>`` per output of every job of the graph to ``output_file`` (stdout
    if None)."""
    text = "".join(f"{job._sis_id()} {path!r}\n" for job in sis_graph.jobs_sorted()
                   for path in job._sis_outputs.values())
    if output_file is None:
        sys.stdout.write(text)
    else:
        os.makedirs(os.path.dirname(output_file) or ".", exist_ok=True)
        write_atomically(output_file, text)


def job_info(job):
    """Print a job's id, directory, state markers, inputs and aliases."""
    print("Job id:", job._sis_id())
    print("Directory:", job._sis_path(abspath=True))
    print("Finished:", job._sis_finished())
    for path in sorted(p.get_path() for p in job._sis_inputs):
        print("Input:", path)
    for alias in job.get_aliases():
        print("Alias:", alias)
    for name in sorted(glob.glob(job._sis_path("*"))):
        print("File:", os.path.basename(name))
