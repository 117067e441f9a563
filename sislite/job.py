"""``Job`` and its metaclass ``JobSingleton``: job ids, inputs, outputs and the job directory (SPEC §2, §6.5).

A job's id is ``<module path without "recipe.">/<ClassName>.<hash of its constructor arguments>``, defaults
included; constructing a job whose id exists already returns the existing object. A job is finished when its
``finished`` marker (or ``finished.tar.gz``) exists, or when every id of every task has its ``finished.<task>.<id>``
marker (the job marker is then written).
"""

import copy
import logging
import gzip
import os
import pickle
import types
import zlib

from sislite import global_constants as gc
from sislite.atomic import write_atomically
from sislite.job_path import AbstractPath, Path, Variable

_JOB_CACHE = {}
_SIGNATURES = {}
_NO_WALK = (str, bytes, int, float, bool, complex, type(None))


_SETTINGS = []


def _settings():
    """``sislite.global_settings``, imported on first use: importing it runs settings.py, which may import
    ``sisyphus`` (so not while ``import sislite`` is still running). Its values are read on each use."""
    if not _SETTINGS:
        from sislite import global_settings

        _SETTINGS.append(global_settings)
    return _SETTINGS[0]


def created_jobs():
    """Every job constructed in this process, by id."""
    return _JOB_CACHE


def find_paths(obj, found=None, seen=None):
    """All Paths reachable from ``obj`` through containers and object attributes (not through other jobs)."""
    found = [] if found is None else found
    seen = set() if seen is None else seen
    if isinstance(obj, _NO_WALK) or id(obj) in seen:
        return found
    seen.add(id(obj))
    if isinstance(obj, AbstractPath):
        found.append(obj)
    elif isinstance(obj, (Job, type, types.FunctionType, types.BuiltinFunctionType, types.MethodType,
                          types.ModuleType)):
        pass
    elif isinstance(obj, dict):
        for key, value in obj.items():
            find_paths(key, found, seen)
            find_paths(value, found, seen)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for value in obj:
            find_paths(value, found, seen)
    elif hasattr(obj, "__dict__") and type(obj).__module__ not in ("numpy", "builtins"):
        for value in vars(obj).values():
            find_paths(value, found, seen)
    return found


class JobSingleton(type):
    """Metaclass: hashes the constructor arguments into the job id and returns one object per id."""

    def __call__(cls, *args, **kwargs):
        sis_tags = kwargs.pop("sis_tags", None)
        signature = _SIGNATURES.get(cls.__init__)
        if signature is None:
            import inspect

            signature = _SIGNATURES[cls.__init__] = inspect.signature(cls.__init__)
        try:
            bound = signature.bind(None, *args, **kwargs)
        except TypeError as error:
            raise TypeError(f"{cls.__name__}(...): {error}") from None
        bound.apply_defaults()
        parsed = dict(bound.arguments)
        del parsed[next(iter(parsed))]  # self
        hash_str = cls.hash(parsed)
        if not all(c.isalnum() or c in "._-/" for c in hash_str):
            raise ValueError(f"{cls.__name__}.hash() returned {hash_str!r}: only 0-9A-Za-z._-/ are allowed")
        job_id = f"{cls._sis_id_prefix()}.{hash_str}"
        existing = _JOB_CACHE.get(job_id)
        if existing is not None:
            if sis_tags:
                existing.tags.update(sis_tags)
            return existing
        job = cls.__new__(cls)
        job._sis_init_internal(job_id, parsed, sis_tags)
        memo = {}
        job.__init__(*copy.deepcopy(args, memo), **copy.deepcopy(kwargs, memo))
        own = set(map(id, job._sis_outputs.values()))
        for path in find_paths(parsed):
            if id(path) not in own and path.creator is not job:
                job._sis_inputs.add(path)
        _JOB_CACHE[job_id] = job
        return job


class Job(metaclass=JobSingleton):
    """Base of all jobs. Subclasses store inputs and declare outputs in ``__init__``
    (``self.out_x = self.output_path("x")``) and yield ``Task``s from ``tasks()``."""

    __sis_hash_exclude__ = {}
    __sis_hash_overwrite__ = []
    __sis_version__ = None

    # ---- identity and hashing -------------------------------------------------------------------------------------
    @classmethod
    def _sis_id_prefix(cls):
        module = cls.__module__
        if module.startswith(gc.RECIPE_PREFIX + "."):
            module = module[len(gc.RECIPE_PREFIX) + 1:]
        return module.replace(".", "/") + "/" + cls.__name__

    @classmethod
    def hash(cls, parsed_args):
        """The hash part of the id: ``sis_hash`` of the arguments minus excluded defaults (and with overwrites),
        paired with ``__sis_version__`` when set."""
        gs = _settings()
        hashed = {}
        for key, value in parsed_args.items():
            if key in cls.__sis_hash_exclude__:
                try:
                    if value == cls.__sis_hash_exclude__[key]:
                        continue
                except ValueError:  # e.g. numpy arrays: not equal to a plain default
                    pass
            hashed[key] = value
        for key, original, replacement in cls.__sis_hash_overwrite__:
            if key in hashed and hashed[key] == original:
                hashed[key] = replacement
        if cls.__sis_version__ is None:
            return gs.SIS_HASH(hashed)
        return gs.SIS_HASH((hashed, cls.__sis_version__))

    def _sis_init_internal(self, job_id, parsed_args, tags):
        self._sis_id_cache = job_id
        self._sis_kwargs = parsed_args
        self._sis_outputs = {}
        self._sis_directory_outputs = []
        self._sis_inputs = set()
        self._sis_aliases = []
        self._sis_vis_name = None
        self._sis_is_finished = False
        self._sis_hold = False
        self._sis_rqmt_override = {}
        self._sis_environment = {}
        self.tags = set(tags or ())

    def _sis_id(self):
        return self._sis_id_cache

    def job_id(self):
        return self._sis_id_cache

    def _sis_hash(self):
        return self._sis_id_cache.encode()

    def _sis_path(self, name=None, task_id=None, abspath=False):
        """``work/<id>[/name[.task_id]]``, absolute with ``abspath=True``."""
        path = os.path.join(_settings().WORK_DIR, self._sis_id_cache)
        if name is not None:
            path = os.path.join(path, name if task_id is None else f"{name}.{task_id}")
        if abspath and not os.path.isabs(path):
            path = os.path.join(gc.BASE_DIR, path)
        return path

    def work_path(self):
        return self._sis_path(gc.JOB_WORK_DIR, abspath=True)

    def __deepcopy__(self, memo):
        return self

    def __repr__(self):
        alias = f"alias/{self._sis_aliases[0]} " if self._sis_aliases else ""
        return f"Job<{alias}{self._sis_path()}>"

    def __lt__(self, other):
        return self._sis_id() < other._sis_id()

    def __getstate__(self):
        state = dict(self.__dict__)
        for key in ("_sis_tasks_cache", "_sis_is_finished"):
            state.pop(key, None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._sis_is_finished = False

    # ---- declaring outputs and inputs -----------------------------------------------------------------------------
    def output_path(self, filename, directory=False, cached=False):
        """A Path in this job's ``output/``; ``directory=True`` creates it as a directory at setup."""
        path = Path(filename, creator=self, cached=cached)
        self._sis_outputs[filename] = path
        if directory:
            self._sis_directory_outputs.append(filename)
        return path

    def output_var(self, filename, pickle=False, backup=None):
        """A Variable stored in this job's ``output/``."""
        var = Variable(filename, creator=self, pickle=pickle, backup=backup)
        self._sis_outputs[filename] = var
        return var

    def add_input(self, path):
        """Declare an extra input (e.g. from ``update()``)."""
        if not isinstance(path, AbstractPath):
            raise TypeError(f"add_input needs a tk.Path, got {path!r}")
        self._sis_inputs.add(path)
        return path

    def inputs(self):
        return set(self._sis_inputs)

    # ---- display and grouping -------------------------------------------------------------------------------------
    def add_alias(self, alias):
        """Symlink ``alias/<alias>`` to this job's directory (created by ``sis manager -r``)."""
        self._sis_aliases.append(alias)
        return self

    def get_aliases(self):
        return list(self._sis_aliases)

    def set_vis_name(self, name):
        self._sis_vis_name = name
        return self

    def get_vis_name(self):
        return self._sis_vis_name

    def hold(self):
        self._sis_hold = True
        return self

    def set_rqmt(self, task_name, rqmt):
        """Override the requirements of one task (not hashed)."""
        self._sis_rqmt_override[task_name] = rqmt
        return self

    def set_env(self, key, value):
        self._sis_environment[key] = value

    def update(self):
        """Called by the manager once all current inputs are available; may add inputs (``add_input``)."""

    def info(self):
        """Short progress string shown by the manager while a task runs (override), e.g. ``"ep 3/10"``."""
        return None

    def completed_fraction(self):
        """Progress in 0..1 (or None), recorded in submit logs; more progress resets the retry count."""
        return None

    # ---- tasks and state ------------------------------------------------------------------------------------------
    def tasks(self):
        """Yield the job's ``Task``s, in the order they run."""
        return []

    def _sis_tasks(self):
        tasks = self.__dict__.get("_sis_tasks_cache")
        if tasks is None:
            tasks = [task.set_job(self) for task in self.tasks()]
            for task in tasks:
                if task.name() in self._sis_rqmt_override:
                    task._rqmt = {**task.rqmt(), **self._sis_rqmt_override[task.name()]}
            self._sis_tasks_cache = tasks
        return tasks

    def _sis_finished(self):
        """True when the job is finished (see the module docstring); writes the job-level marker when all task
        markers exist. Subclasses may extend this (e.g. reopen a job whose work was extended)."""
        if self._sis_is_finished:
            return True
        if os.path.isfile(self._sis_path(gc.JOB_FINISHED_MARKER)) or os.path.isfile(
                self._sis_path(gc.JOB_FINISHED_ARCHIVE)):
            self._sis_is_finished = True
            return True
        if not os.path.isdir(self._sis_path()):
            return False
        tasks = self._sis_tasks()
        if tasks and all(task.finished(i) for task in tasks for i in task.task_ids()):
            with open(self._sis_path(gc.JOB_FINISHED_MARKER), "w"):
                pass
            self._sis_is_finished = True
            _settings().on_job_finished(self)
            return True
        return False

    def path_available(self, path):
        """Whether ``path`` (one of this job's outputs) can be used; default: when the job is finished."""
        return self._sis_finished()

    def _sis_all_inputs_available(self):
        return all(path.available() for path in self._sis_inputs)

    # ---- job directory --------------------------------------------------------------------------------------------
    def _sis_setup_directory(self):
        """Create the job directory (work/, output/, input/ links, engine/) and write ``job.save`` and ``info``
        atomically. Rewritten on every (re)submission so workers see the current non-hashed attributes."""
        base = self._sis_path()
        for sub in (gc.JOB_WORK_DIR, gc.JOB_OUTPUT, gc.JOB_INPUT, gc.JOB_LOG_ENGINE):
            os.makedirs(os.path.join(base, sub), exist_ok=True)
        for name in self._sis_directory_outputs:
            os.makedirs(os.path.join(base, gc.JOB_OUTPUT, name), exist_ok=True)
        for path in self._sis_inputs:
            if path.creator is None:
                continue
            creator_id = path.creator._sis_id()
            link_name = creator_id.replace("/", "_")
            if len(link_name) > 255:
                link_name = creator_id.split("/")[-1]
            link = os.path.join(base, gc.JOB_INPUT, link_name)
            if not os.path.lexists(link):
                os.symlink(path.creator._sis_path(abspath=True), link)
        write_atomically(os.path.join(base, gc.JOB_SAVE), gzip.compress(pickle.dumps(self)))
        write_atomically(os.path.join(base, gc.JOB_INFO), self._sis_info_text())

    def _sis_info_text(self):
        lines = [f"TAG: {tag}" for tag in sorted(self.tags)]
        lines += [f"INPUT: {path}" for path in sorted(p.get_path() for p in self._sis_inputs)]
        lines += [f"PARAMETER: {key}: {_info_value(value)}" for key, value in sorted(self._sis_kwargs.items())]
        lines += [f"ALIAS: {alias}" for alias in sorted(self._sis_aliases)]
        return "\n".join(lines) + "\n"

    def sh(self, command, *args, **kwargs):
        """``sisyphus.tools.sh`` with ``command`` formatted with the job's attributes and ``kwargs``: bash with
        ``set -ueo pipefail``; positional arguments are ``capture_output, pipefail, executable,
        except_return_codes`` (``self.sh(cmd, True)`` returns the output); exit status 0 always counts as success."""
        from sislite.tools import sh

        return sh(command, *args, sis_quiet=getattr(self, "_sis_quiet", False), sis_replace=self.__dict__, **kwargs)

    def set_attrs(self, attrs):
        """Set every item of ``attrs`` (e.g. ``locals()``) as an attribute, except ``self`` and existing ones."""
        for key, value in attrs.items():
            if key == "self" and value is self:
                continue
            if hasattr(self, key):
                logging.warning("set_attrs: not overwriting %s of %s (already set)", key, self)
            else:
                setattr(self, key, value)

    def keep_value(self, value=None):
        """The keep value (how important the job directory is for ``tk.cleaner``; default ``gs.JOB_DEFAULT_KEEP_VALUE``);
        with ``value``: raise it to at least ``value``."""
        current = self.__dict__.get("_sis_keep_value")
        if value is not None and (current is None or value > current):
            self._sis_keep_value = current = value
        return _settings().JOB_DEFAULT_KEEP_VALUE if current is None else current

    def set_keep_value(self, value):
        """Set the keep value (see ``keep_value``)."""
        self._sis_keep_value = value
        return self


def _info_value(value):
    """``str(value)``; for a delayed value that cannot be resolved yet (an unset Variable), its repr."""
    try:
        return str(value)
    except Exception:  # noqa: BLE001 - e.g. VariableNotSet: the info file is written before inputs exist
        return repr(value)


class CorruptJobSaveError(RuntimeError):
    """``job.save`` is truncated or not a gzipped pickle."""


def load_job(job_dir):
    """Load a job directory's pickled job (``job.save``); a truncated or garbled file raises CorruptJobSaveError
    saying that the manager writes it again when it resubmits the job."""
    path = os.path.join(job_dir, gc.JOB_SAVE)
    try:
        with gzip.open(path, "rb") as f:
            return pickle.load(f)
    except (EOFError, gzip.BadGzipFile, zlib.error, pickle.UnpicklingError) as error:
        raise CorruptJobSaveError(
            f"corrupt or truncated {path} ({type(error).__name__}: {error}); the manager writes it again when it "
            f"submits the job: clear this error with sis manager -r -co CONFIG (your config, e.g. "
            f"config/transfer.py)") from error
