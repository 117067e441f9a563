"""File and state names of a Sisyphus job directory (SPEC §2-3), shared by the manager, worker and engines."""

import os

BASE_DIR = os.path.abspath(os.getcwd())
"""The setup directory: the working directory when sislite is first imported."""

JOB_WORK_DIR = "work"
JOB_OUTPUT = "output"
JOB_INPUT = "input"
JOB_SAVE = "job.save"
JOB_INFO = "info"
JOB_LOG = "log"
JOB_LOG_ENGINE = "engine"
JOB_FINISHED_MARKER = "finished"
JOB_FINISHED_ARCHIVE = "finished.tar.gz"
JOB_HOLD = "hold"
STATE_USAGE = "usage"
STATE_FINISHED = "finished"
STATE_ERROR = "error"
SUBMIT_LOG = "submit_log"
CLEARED_SUFFIX = "cleared"
MANAGER_LOCK = ".sislite_manager.lock"
RECIPE_PREFIX = "recipe"

STATE_WAITING = "waiting"
STATE_RUNNABLE = "runnable"
STATE_HOLD = "hold"
STATE_QUEUE = "queue"
STATE_RUNNING = "running"
STATE_FINISHED_JOB = "finished"
STATE_ERROR_JOB = "error"
STATE_INTERRUPTED_RESUMABLE = "interrupted_resumable"
STATE_INTERRUPTED_NOT_RESUMABLE = "interrupted_not_resumable"
STATE_QUEUE_ERROR = "queue_error"
STATE_UNKNOWN = "unknown"
STATE_RETRY_ERROR = "retry_error"
STATE_INPUT_PATH = "input_path"
STATE_INPUT_MISSING = "input_missing"

TASK_STATE_PRIORITY = (STATE_ERROR_JOB, STATE_QUEUE_ERROR, STATE_INTERRUPTED_RESUMABLE, STATE_INTERRUPTED_NOT_RESUMABLE,
                       STATE_RUNNABLE, STATE_QUEUE, STATE_RUNNING, STATE_RETRY_ERROR, STATE_FINISHED_JOB)
"""For a task with several ids, the first state in this order that any id has is the task's state."""

OVERVIEW_ORDER = (STATE_INPUT_PATH, STATE_FINISHED_JOB, STATE_WAITING, STATE_QUEUE, STATE_RUNNING, STATE_RUNNABLE,
                  STATE_INTERRUPTED_RESUMABLE, STATE_INTERRUPTED_NOT_RESUMABLE, STATE_UNKNOWN, STATE_QUEUE_ERROR,
                  STATE_RETRY_ERROR, STATE_ERROR_JOB, STATE_INPUT_MISSING)
