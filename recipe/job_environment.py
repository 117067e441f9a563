"""The environment that made a job: recorded in its directory each time one of its tasks starts.

``<job dir>/environment.jsonl`` gets one JSON line per task start: ``task``, ``time``, ``python`` (version),
``packages`` (installed versions of the Python packages that shape results: RETURNN, TensorFlow, PyTorch, numpy, h5py,
espeakng-loader, jiwer, dm-tree), ``libraries`` (the espeak-ng library's own version and Debian's flite, when there),
``setup`` (the setup's git ``commit`` and whether its tree was ``dirty``), ``host`` and ``device`` (GPUs, CPU
model). The report shows it per experiment; ``sis manager`` (sislite) warns when finished jobs were made by other
Python/package versions than the installed ones.

Every recipe job records it: ``recipe.sis_api.Job`` is ``with_environment_record(sisyphus.Job)``, whose subclasses'
task methods (the names their ``Task``s start and resume) write the record before they run. That happens inside the
task, so it works the same under RWTH Sisyphus and sislite, on whatever host the task runs.

Opt-in, versions can also be part of job ids: jobs that take ``hashed_versions`` ({name: version}, from
:func:`pinned_versions`; None, the default, is not hashed and keeps every id) hash them, and their tasks refuse to
run where other versions are installed (:func:`check_pinned_versions`).
"""

import datetime
import functools
import importlib.metadata
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys

RECORD_FILE = "environment.jsonl"
PACKAGES = ("returnn", "tensorflow", "tensorflow-cpu", "tensorflow-gpu", "torch", "numpy", "h5py", "espeakng-loader",
            "jiwer", "dm-tree")
"""Distributions recorded when installed (TensorFlow under whichever name it was installed)."""
SETUP_DIR = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
"""The setup whose git commit is recorded: the checkout this ``recipe`` package lives in (symlinks followed)."""


def installed_packages(names=PACKAGES):
    """``{distribution: version}`` of those ``names`` that are installed."""
    found = {}
    for name in names:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    return found


_ESPEAK_VERSION = ("import ctypes, espeakng_loader; info = ctypes.CDLL(espeakng_loader.get_library_path()).espeak_Info; "
                   "info.restype = ctypes.c_char_p; info.argtypes = [ctypes.c_void_p]; print(info(None).decode())")


@functools.lru_cache(maxsize=None)
def espeak_ng_version():
    """The version libespeak-ng reports (the library espeakng-loader ships), or None when it is not there. Asked in
    a child process: this one never loads the library (the corpus job renders each chunk with a fresh copy)."""
    output = _run([sys.executable, "-c", _ESPEAK_VERSION])
    return output.strip() or None if output else None


def flite_version():
    """Debian's ``flite --version`` (e.g. ``flite-2.2-current``), or None when flite is not installed."""
    if shutil.which("flite") is None:
        return None
    output = _run(["flite", "--version"]) or ""
    match = re.search(r"version:\s*(\S+)", output)
    return match.group(1) if match else output.strip() or None


def setup_revision(setup_dir=SETUP_DIR):
    """``{"commit": sha or None, "dirty": bool or None}`` of the setup's git checkout."""
    commit = _run(["git", "-C", setup_dir, "rev-parse", "HEAD"])
    if commit is None:
        return {"commit": None, "dirty": None}
    status = _run(["git", "-C", setup_dir, "status", "--porcelain", "--untracked-files=no"])
    return {"commit": commit.strip(), "dirty": None if status is None else bool(status.strip())}


def device():
    """The GPUs this task may use (``nvidia-smi -L``, ``CUDA_VISIBLE_DEVICES``) and the CPU model."""
    gpus = []
    if shutil.which("nvidia-smi") is not None and os.environ.get("DISABLE_CUDA") != "1":
        gpus = [line.strip() for line in (_run(["nvidia-smi", "-L"]) or "").splitlines() if line.strip()]
    cpu = platform.processor() or None
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), cpu)
    except OSError:
        pass
    return {"gpus": gpus, "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"), "cpu": cpu,
            "cpu_count": os.cpu_count()}


def installed_version(name):
    """The installed version of ``name``: "python", "espeak-ng" or "flite" (the libraries), or a distribution;
    None when it is not installed."""
    if name == "python":
        return platform.python_version()
    if name == "espeak-ng":
        return espeak_ng_version()
    if name == "flite":
        return flite_version()
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def pinned_versions(names, where):
    """``{name: installed version}`` for ``names``, to pass as a job's ``hashed_versions`` (the opt-in that makes
    versions part of job ids); a name that is not installed fails, naming ``where`` it came from."""
    if isinstance(names, str) or not isinstance(names, (list, tuple)):
        raise TypeError(f"{where} = {names!r}: give a tuple of names, e.g. ('returnn', 'tensorflow-cpu')")
    pinned = {}
    for name in names:
        version = installed_version(name)
        if version is None:
            raise ValueError(f"{where} names {name!r}, which is not installed; use 'python', 'espeak-ng', 'flite' "
                             f"or an installed distribution ({', '.join(installed_packages())}, ...)")
        pinned[name] = version
    return dict(sorted(pinned.items()))


def with_hashed_versions(hashed, parsed_args):
    """``hashed`` (the arguments a Job's ``hash()`` keeps) plus ``hashed_versions`` where the job was given any, so
    jobs without the opt-in keep their ids."""
    if parsed_args.get("hashed_versions"):
        return {**hashed, "hashed_versions": parsed_args["hashed_versions"]}
    return hashed


def check_pinned_versions(job, pinned):
    """Refuse to run ``job`` when a version in its hash (``pinned``) is not the installed one: its id would lie."""
    wrong = {name: (version, installed_version(name)) for name, version in (pinned or {}).items()
             if installed_version(name) != version}
    if wrong:
        listed = ", ".join(f"{name} {version} in the hash, {now or 'not installed'} here"
                           for name, (version, now) in sorted(wrong.items()))
        raise RuntimeError(f"{job}: its job id includes versions this machine does not have ({listed}); run it "
                           f"where those versions are installed (pip install --require-hashes -r requirements.lock), "
                           f"or rebuild the graph here so the ids name these versions")


def environment_record(task_name):
    """The record (see module doc) of this process, for a start of task ``task_name``."""
    return {"task": task_name, "time": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "python": platform.python_version(), "packages": installed_packages(),
            "libraries": {"espeak-ng": espeak_ng_version(), "flite": flite_version()},
            "setup": setup_revision(), "host": socket.gethostname(), "device": device()}


def append_environment_record(job_dir, task_name):
    """Add this process's record to ``<job_dir>/environment.jsonl`` (one line, appended in one write); nothing when
    there is no such directory (a task method called by hand, outside any engine)."""
    if not os.path.isdir(job_dir):
        return
    line = json.dumps(environment_record(task_name), sort_keys=True) + "\n"
    descriptor = os.open(os.path.join(job_dir, RECORD_FILE), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(descriptor, line.encode())
    finally:
        os.close(descriptor)


def read_environment_records(job_dir):
    """The records in ``<job_dir>/environment.jsonl``, oldest first ([] when there is none); unreadable lines are
    skipped."""
    try:
        with open(os.path.join(job_dir, RECORD_FILE)) as file:
            lines = file.read().splitlines()
    except OSError:
        return []
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    return records


def with_environment_record(job_base):
    """A subclass of the engine's ``Job`` whose subclasses record the environment when a task method starts."""

    class Job(job_base):
        __doc__ = job_base.__doc__

        def __init_subclass__(cls, **kwargs):
            super().__init_subclass__(**kwargs)
            if "tasks" in vars(cls):
                cls.tasks = _recording_tasks(vars(cls)["tasks"])

    return Job


def _recording_tasks(tasks):
    @functools.wraps(tasks)
    def recording_tasks(self):
        for task in tasks(self):
            for name in (getattr(task, "_start", None), getattr(task, "_resume", None)):
                if name is not None:
                    _record_before(type(self), name)
            yield task

    return recording_tasks


def _record_before(cls, name):
    method = getattr(cls, name)
    if getattr(method, "records_environment", False):
        return

    @functools.wraps(method)
    def run_recorded(self, *args, **kwargs):
        append_environment_record(self._sis_path(abspath=True), name)
        check_pinned_versions(self, getattr(self, "hashed_versions", None))
        return method(self, *args, **kwargs)

    run_recorded.records_environment = True
    setattr(cls, name, run_recorded)


def _run(command):
    """The stdout of ``command``, or None when it cannot run or fails."""
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=60, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
