"""Sisyphus settings (SPEC §1.2): defaults, then every file in ``$SIS_GLOBAL_SETTINGS_FILE`` (default ``settings.py``,
colon-separated) executed in this module's namespace, then every ``SIS_<NAME>`` environment variable."""

import ast
import logging
import os
import sys

from sislite.global_constants import BASE_DIR  # noqa: F401  (settings files may read it)
from sislite.hash import short_hash


def engine():
    """The engine used by the manager and workers; override in settings.py."""
    from sislite.localengine import LocalEngine

    if ENGINE_NOT_SETUP_WARNING:
        logging.info("No engine set up in settings.py, using LocalEngine(cpus=%s)", os.cpu_count())
    return LocalEngine(cpus=os.cpu_count() or 1, gpus=0)


def worker_wrapper(job, task_name, call):
    """Hook to prefix the worker command line (e.g. with a container runtime)."""
    return call


def on_job_failure(job):
    """Called by the manager in every pass for every job in the error state."""


def on_job_finished(job):
    """Called once when the job-level finished marker is written."""


def update_engine_rqmt(last_rqmt, last_usage):
    """Doubles time/mem for a resubmission after a time-out, an out-of-memory kill or a run close to the limits."""
    rqmt = dict(last_rqmt)
    requested = last_usage.get("requested_resources", last_rqmt)
    if last_usage.get("out_of_time") or requested.get("time", rqmt["time"]) - last_usage.get("used_time", 0) < 0.1:
        rqmt["time"] = rqmt["time"] * 2
    max_rss = last_usage.get("max", {}).get("rss", 0)
    if last_usage.get("out_of_memory") or requested.get("mem", rqmt["mem"]) - max_rss < 0.25:
        rqmt["mem"] = rqmt["mem"] * 2
    return rqmt


def check_engine_limits(rqmt, task):
    """Hook to clamp requirements."""
    return rqmt


def file_caching(path):
    """Hook for ``Path(cached=True)`` inside workers."""
    return path


WORK_DIR = "work"
OUTPUT_DIR = "output"
ALIAS_DIR = "alias"
ALIAS_AND_OUTPUT_SUBDIR = ""
FINISHED_LOG = "log/finished.log"
IMPORT_PATHS = ["config", "recipe", "recipe/"]
SIS_HASH = short_hash
ENGINE_NOT_SETUP_WARNING = True
JOB_AUTO_CLEANUP = False  # sislite has no cleaner; finished jobs are kept as they are
WAIT_PERIOD_BETWEEN_CHECKS = 30
WAIT_PERIOD_JOB_FS_SYNC = 30
WAIT_PERIOD_JOB_CLEANUP = 10
WAIT_PERIOD_CACHE = 20
WAIT_PERIOD_MTIME_OF_INPUTS = 60
WAIT_PERIOD_FOR_INPUTS_AVAILABLE = 60
SKIP_IS_FINISHED_TIMEOUT = False
TASK_INPUTS_MUST_BE_AVAILABLE = True
MAX_SUBMIT_RETRIES = 3
CLEAR_ERROR = False
PRINT_ERROR = True
PRINT_ERROR_TASKS = 1
PRINT_ERROR_LINES = 40
SHOW_VIS_NAME_IN_MANAGER = True
CLEANUP_ENVIRONMENT = True
DEFAULT_ENVIRONMENT_KEEP = {"CUDA_VISIBLE_DEVICES", "HOME", "PWD", "SGE_STDERR_PATH", "SGE_TASK_ID", "TMP", "TMPDIR",
                            "USER"}
DEFAULT_ENVIRONMENT_SET = {"LANG": "en_US.UTF-8", "MKL_NUM_THREADS": 1, "OMP_NUM_THREADS": 1,
                           "PATH": ":".join(["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin",
                                             "/bin"]),
                           "SHELL": "/bin/bash"}
PLOGGING_INTERVAL = 5
PLOGGING_UPDATE_FILE_PERIOD = 60
INCLUDE_CREATOR_STATE = False
LEGACY_PATH_CONVERSION = False
RAISE_VARIABLE_NOT_SET_EXCEPTION = True
AUTO_SET_JOB_INIT_ATTRIBUTES = False
WARNING_ABSPATH = True
WARNING_NO_FUNCTION_CALLED = False
SIS_COMMAND = [sys.executable, "-m", "sislite"]
TMP_PREFIX = os.path.join(os.environ.get("TMPDIR", "/tmp"), "sis_")
JOB_USE_TAGS_IN_PATH = False
MANAGER_POLL_INTERVAL = None
"""Seconds between state checks when no worker event arrives; None: the engine's ``poll_interval``."""
MANAGER_PROGRESS_INTERVAL = 25.0
"""Seconds between the manager's progress lines (state summary, running tasks' ``info()``) when its output is not a
terminal; under 30 s so that they come at least every 30 s even when a manager pass is late (sislite only)."""

active_engine = None
"""The engine inside a worker; None in the manager."""


def _load_settings_files():
    files = os.environ.get("SIS_GLOBAL_SETTINGS_FILE", "settings.py")
    for filename in files.split(":"):
        if not filename:
            continue
        if os.path.isfile(filename):
            with open(filename) as f:
                code = compile(f.read(), os.path.abspath(filename), "exec")
            exec(code, globals())
        elif filename != "settings.py":
            logging.warning("settings file %s does not exist", filename)


def _load_environment():
    for key, value in os.environ.items():
        if not key.startswith("SIS_") or key == "SIS_GLOBAL_SETTINGS_FILE":
            continue
        try:
            parsed = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            parsed = value
        if key == "SIS_IMPORT_PATHS" and isinstance(parsed, str):
            parsed = parsed.split(":")
        globals()[key[len("SIS_"):]] = parsed


_load_settings_files()
_load_environment()
