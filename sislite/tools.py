"""Helpers of the Sisyphus API that recipes import from ``sisyphus.tools`` (RWTH module name and semantics):
``sis_hash``, ``try_get``, ``extract_paths``, ``sh``, ``execute_in_dir``, ``cache_result``, ``hardlink_or_copy``,
``str_to_GB``/``str_to_hours`` and ``finished_results_cache``."""

import contextlib
import enum
import logging
import os
import shutil
import subprocess
import sys
import time

from sislite.delayed_ops import try_get  # noqa: F401 - part of this module's API (RWTH: sisyphus.tools.try_get)
from sislite.hash import get_object_state
from sislite.task import _to_gb, _to_hours

_PLAIN = (bool, int, float, complex, str, bytes)


def sis_hash(obj):
    """The configured hash function (``gs.SIS_HASH``, default :func:`sislite.hash.short_hash`) applied to ``obj``."""
    from sislite import global_settings as gs  # on use: importing the settings runs settings.py

    return gs.SIS_HASH(obj)


def str_to_GB(value):  # noqa: N802 - RWTH name
    """Memory (``"2G"``, ``"512M"``, a number of GB) in GB."""
    return _to_gb(value)


def str_to_hours(value):
    """Time (``"1:30:00"``, ``"90:00"``, a number of hours) in hours."""
    return _to_hours(value)


def extract_paths(args):
    """Every Path/Variable reachable from ``args`` (a set): through containers, dict values (not keys starting with
    ``_sis_``) and the hashed state of other objects; not through plain values and enums."""
    found = set()
    visited = {}  # id -> object, kept alive so ids stay unique
    queue = [args]
    while queue:
        obj = queue.pop()
        if id(obj) in visited:
            continue
        visited[id(obj)] = obj
        if obj is None or isinstance(obj, _PLAIN) or isinstance(obj, enum.Enum):
            continue
        if getattr(obj, "_sis_path", None) is True and type(obj) is not type:
            found.add(obj)
        elif isinstance(obj, (list, tuple, set, frozenset)):
            queue.extend(obj)
        elif isinstance(obj, dict):
            queue.extend(v for k, v in obj.items() if not (isinstance(k, str) and k.startswith("_sis_")))
        else:
            queue.append(get_object_state(obj))
    return found


def sh(command, capture_output=False, pipefail=True, executable=None, except_return_codes=(0,), sis_quiet=False,
       sis_replace=None, include_stderr=False, **kwargs):
    """Run ``command`` (formatted with ``sis_replace`` and ``kwargs``) in bash with ``set -ueo pipefail`` (unless
    ``pipefail=False`` or another ``executable`` is given). A non-zero exit status not in ``except_return_codes``
    raises ``CalledProcessError`` (0 always counts as success). Returns the output (str) with
    ``capture_output=True``, with stderr included when ``include_stderr=True``; else None."""
    command = command.format(**{**(sis_replace or {}), **kwargs})
    if not sis_quiet:
        logging.info("Run in Shell%s: %s", " (capture output)" if capture_output else "", command)
    sys.stdout.flush()
    sys.stderr.flush()
    if executable is None:
        executable = "/bin/bash"
        if pipefail:
            command = "set -ueo pipefail && " + command
    result = subprocess.run(command, shell=True, executable=executable,
                            stdout=subprocess.PIPE if capture_output else None,
                            stderr=subprocess.STDOUT if capture_output and include_stderr else None)
    if result.returncode != 0 and result.returncode not in except_return_codes:
        raise subprocess.CalledProcessError(result.returncode, command, output=result.stdout)
    return result.stdout.decode() if capture_output else None


class execute_in_dir(contextlib.AbstractContextManager):  # noqa: N801 - RWTH name
    """``with execute_in_dir(d):`` runs the block with ``d`` as working directory, then returns to the old one."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.base_dir = None

    def __enter__(self):
        self.base_dir = os.getcwd()
        os.chdir(self.workdir)

    def __exit__(self, *exc_info):
        os.chdir(self.base_dir)


class cache_result:  # noqa: N801 - RWTH name
    """Decorator: keep a function's result for ``cache_time`` seconds per argument set; the keyword argument named
    ``force_update`` (when true) recomputes it, the one named ``clear_cache`` empties the cache."""

    def __init__(self, cache_time=30, force_update=None, clear_cache=None):
        self.cache_time = cache_time
        self.force_update = force_update
        self.clear_cache = clear_cache
        self.cache = {}

    def __call__(self, function):
        def cached(*args, **kwargs):
            if self.clear_cache and self.clear_cache in kwargs:
                self.cache = {}
                return None
            force = bool(self.force_update and kwargs.pop(self.force_update, False))
            key = str((function, args, kwargs))
            entry = self.cache.get(key)
            if force or entry is None or time.time() - entry[0] > self.cache_time:
                entry = self.cache[key] = (time.time(), function(*args, **kwargs))
            return entry[1]

        return cached


def hardlink_or_copy(src, dst, use_symlink_instead_of_copy=False):
    """Recreate the directory tree ``src`` at ``dst`` with hard links to its files (a file that cannot be linked is
    copied, or symlinked with ``use_symlink_instead_of_copy``); existing entries are kept."""
    for dirpath, dirnames, filenames in os.walk(src):
        target_dir = os.path.join(dst, os.path.relpath(dirpath, src))
        os.makedirs(target_dir, exist_ok=True)
        for dirname in dirnames:
            os.makedirs(os.path.join(target_dir, dirname), exist_ok=True)
        for filename in filenames:
            source, target = os.path.join(dirpath, filename), os.path.join(target_dir, filename)
            if os.path.lexists(target):
                continue
            try:
                os.link(source, target)
            except OSError:
                if use_symlink_instead_of_copy:
                    os.symlink(os.path.abspath(source), target)
                else:
                    shutil.copy2(source, target)


class FinishedResultsCache:
    """Remembers results that cannot change any more (e.g. "this path is available"); ``caching(get_key)``
    decorates a method whose truthy results are kept under ``get_key(*args)``; ``reset()`` forgets everything.
    sislite's own state checks do not use it (they read the file system each time)."""

    def __init__(self):
        self.cache = {}

    def reset(self):
        self.cache = {}

    def get(self, key):
        return self.cache.get(key)

    def set(self, key, value):
        self.cache[key] = value

    def caching(self, get_key):
        def decorate(function):
            def cached(*args, **kwargs):
                key = get_key(*args, **kwargs)
                if key in self.cache:
                    return self.cache[key]
                value = function(*args, **kwargs)
                if value:
                    self.cache[key] = value
                return value

            return cached

        return decorate


finished_results_cache = FinishedResultsCache()
