"""Sisyphus settings (SPEC §1.2): defaults, then every file in ``$SIS_GLOBAL_SETTINGS_FILE`` (default ``settings.py``,
colon-separated) executed in this module's namespace, then every ``SIS_<NAME>`` environment variable."""

import ast
import logging
import os
import sys

from sislite.global_constants import *  # noqa: F401,F403 - file and state names, as in RWTH's global settings
from sislite.global_constants import BASE_DIR, JOB_LOG_ENGINE, STATE_USAGE, SUBMIT_LOG
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


# ---- names RWTH Sisyphus settings files and recipes use (RWTH meanings). sislite reads those marked (*); the others
# are accepted so that settings files written for RWTH run unchanged, and have no effect in sislite.
TEST_DIR = "tests"
CONFIG_PREFIX = "config"  # the package of configs (*, via IMPORT_PATHS)
CONFIG_FILE_DEFAULT = "config.py"  # the config without arguments (*)
CONFIG_FUNCTION_DEFAULT = "%s.main" % CONFIG_PREFIX  # the config function without config.py (*)
GLOBAL_SETTINGS_FILE_DEFAULT = "settings.py"
GLOBAL_SETTINGS_FILE = os.environ.get("SIS_GLOBAL_SETTINGS_FILE", GLOBAL_SETTINGS_FILE_DEFAULT)  # (*)
GLOBAL_SETTINGS_FILE_CONTENT = ""
"""Every settings file and environment setting loaded, as text (see update_global_settings_from_*)."""
ENVIRONMENT_SETTINGS_PREFIX = "SIS_"  # (*)
ENVIRONMENT_SETTINGS = {}
"""The ``SIS_*`` environment variables read, as given."""
CMD_WORKER = "worker"
ENGINE_LOG = JOB_LOG_ENGINE
ENGINE_SUBMIT = SUBMIT_LOG
PLOGGING_FILE = STATE_USAGE
PLOGGING_MIN_CHANGE = 0.1
PLOGGING_QUIET = False
JOB_DEFAULT_KEEP_VALUE = 50  # keep value of jobs without one (*, tk.cleaner)
JOB_CLEANUP_KEEP_WORK = False  # sislite does not clean up finished jobs (JOB_AUTO_CLEANUP)
JOB_CLEANUP_KEEP_INPUT = True
JOB_CLEANER_INTERVAL = 60
JOB_CLEANER_WORKER = 5
JOB_MAX_NUMBER_OF_LOCKS = 100
JOB_ADD_STACKTRACE_MAX_COUNT = 5
JOB_ADD_STACKTRACE_WITH_DEPTH = 0
MANAGER_SUBMIT_WORKER = 10  # sislite submits from the manager loop itself
GRAPH_WORKER = 16
FILESYSTEM_CACHE_TIME = 30
CACHE_FINISHED_RESULTS = False  # sislite reads the file system each time
CACHE_FINISHED_RESULTS_PATH = "finished_results_cache.pkl"
CACHE_FINISHED_RESULTS_MAX_SIZE = 1024
DELAYED_CHECK_FOR_WORKER = False
LEGACY_VARIABLE_CONVERSION = False
MEMORY_PROFILE_LOG = None
PRINT_HOLD = True
PRINT_OLD_LOG_FILE_RUNNING = None  # RWTH: warn about running jobs whose log is older than this (seconds)
PRINT_STALE_STATE_OVERVIEW_PERIOD = None
SHOW_JOB_TARGETS = True
CLEANER_PRINT_ALIAS = True
TEAM_SHARE_DIR = None
USE_SIGNAL_HANDLERS = False
USE_UI = True
USE_VERBOSE_TRACEBACK = True
VERBOSE_TRACEBACK_TYPE = "ipython"
VIS_ABSOLUTE_MERGE_THRESHOLD = 5
VIS_MAX_NODES_PER_VIEW = 500
VIS_RELATIVE_MERGE_THRESHOLD = 0.25
VIS_TIMEOUT = 5
WAIT_PERIOD_HTTP_RETRY_BIND = 10
WAIT_PERIOD_QSTAT_PARSING = 15
WAIT_PERIOD_SSH_TIMEOUT = 15
SISYPHUS_LOGO = "sislite"


def update_global_settings_from_file(filename):
    """Execute the settings file ``filename`` in this module's namespace and append its text to
    ``GLOBAL_SETTINGS_FILE_CONTENT``; a missing file is a warning."""
    global GLOBAL_SETTINGS_FILE_CONTENT
    try:
        with open(filename, encoding="utf-8") as f:
            content = f.read()
    except FileNotFoundError:
        logging.warning("settings file %s does not exist", filename)
        return
    exec(compile(content, os.path.abspath(filename), "exec"), globals())
    GLOBAL_SETTINGS_FILE_CONTENT += f"##### Settings file: {filename} #####\n{content}\n"


def update_global_settings_from_env():
    """Set ``<NAME>`` from every ``SIS_<NAME>`` environment variable (a Python literal, else the string;
    ``SIS_IMPORT_PATHS`` is split at ``:``) and append them to ``GLOBAL_SETTINGS_FILE_CONTENT``."""
    global GLOBAL_SETTINGS_FILE_CONTENT
    lines = []
    for key, value in os.environ.items():
        if not key.startswith(ENVIRONMENT_SETTINGS_PREFIX):
            continue
        ENVIRONMENT_SETTINGS[key] = value
        name = key[len(ENVIRONMENT_SETTINGS_PREFIX):]
        try:
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            pass
        if name == "IMPORT_PATHS" and isinstance(value, str):
            value = value.split(":")
        globals()[name] = value
        lines.append(f"{name} = {value!r}\n")
    if lines:
        GLOBAL_SETTINGS_FILE_CONTENT += "##### Settings from environment #####\n" + "".join(lines)


def _load_settings_files():
    for filename in GLOBAL_SETTINGS_FILE.split(":"):
        if filename and (os.path.isfile(filename) or filename != GLOBAL_SETTINGS_FILE_DEFAULT):
            update_global_settings_from_file(filename)


_load_settings_files()
update_global_settings_from_env()
