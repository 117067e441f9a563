"""LSF engine: one ``bsub`` array job per up to 20 ranges of task ids, state from ``bjobs -w``.

RWTH Sisyphus name and constructor (``LoadSharingFacilityEngine(default_rqmt, gateway=None, auto_clean_eqw=True)``).
What a submission looks like (``engine/`` is the job's engine directory; the worker call is sent on stdin)::

    bsub -J "<job id>.<task>[1-3,5,...]" -o engine/<task>.%J.%I -M <mem MB> -v <rss or mem MB> [-a gpu] -n <cpu>
         -W <minutes> [<bsub_args>]

RWTH's site-specific shell setup (``module load ...``) is not sent; put what a site needs in its job environment. Each
option is its own argv element (RWTH puts ``-M 7680`` in one). The task id comes from ``$LSB_JOBINDEX``. Only the
command lines and the parsing of ``bsub``/``bjobs`` output are tested (tests/sislite/test_lsf_engine.py): no LSF
cluster is available to the project. Multi-node slots are refused, as in RWTH Sisyphus.
"""

import math
import os
import re
import shlex
import subprocess
import time

from sislite.engine import EngineBase
from sislite.batch_tasks import task_full_name

_SUBMITTED = re.compile(r"Job <(\d+)> is submitted")
_RUNNING = {"RUN", "PROV"}
_QUEUED = {"PEND", "WAIT"}
_ENDED = {"DONE", "EXIT"}
_ARRAY_ELEMENT = re.compile(r"^(.+)\[(\d+)\]$")
MAX_RANGES_PER_SUBMISSION = 20


def id_ranges(task_ids):
    """Sorted task ids -> ``["1-3", "5", ...]`` (consecutive ids joined)."""
    ids = sorted(set(int(i) for i in task_ids))
    ranges = []
    start = prev = None
    for i in ids + [None]:
        if start is not None and (i is None or i != prev + 1):
            ranges.append(str(start) if start == prev else f"{start}-{prev}")
            start = None
        if i is not None and start is None:
            start = i
        prev = i
    return ranges


def _range_ids(ranges):
    ids = []
    for r in ranges:
        first, _, last = r.partition("-")
        ids += list(range(int(first), int(last or first) + 1))
    return ids


def parse_bjobs_wide(text):
    """``bjobs -w`` output -> ``{(job name, index): [(job id, state)]}``, newest first (index 1 for non-array jobs).

    Columns: JOBID USER STAT QUEUE FROM_HOST [EXEC_HOST] JOB_NAME SUBMIT_TIME; EXEC_HOST is empty while pending and
    SUBMIT_TIME is three words (``Dec  1 21:00``), so the job name is the fourth word from the end; job names of array
    elements are ``name[index]``."""
    queue = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 9 or not fields[0].isdigit():
            continue  # the header, "No unfinished job found", ...
        job_id, state = int(fields[0]), fields[2]
        m = _ARRAY_ELEMENT.match(fields[-4])
        name, index = (m.group(1), int(m.group(2))) if m else (fields[-4], 1)
        queue.setdefault((name, index), []).append((job_id, state))
    for entries in queue.values():
        entries.sort(reverse=True)
    return queue


class LoadSharingFacilityEngine(EngineBase):
    """Submits tasks to LSF with ``bsub`` (RWTH Sisyphus constructor, plus ``poll_interval`` and ``command_timeout``).

    :param default_rqmt: requirements used where a task gives none, e.g. ``{"cpu": 1, "mem": 2, "time": 1}``
    :param gateway: host to run the LSF commands on through ``ssh -x <gateway> -o BatchMode=yes``; None: locally
    :param auto_clean_eqw: accepted for compatibility with RWTH settings files (LSF has no error-queue state)
    """

    poll_interval = 1.0

    def __init__(self, default_rqmt=None, gateway=None, auto_clean_eqw=True, poll_interval=1.0, command_timeout=60):
        self.default_rqmt = dict(default_rqmt or {"cpu": 1, "mem": 1, "time": 1})
        self.gateway = gateway
        self.auto_clean_eqw = auto_clean_eqw
        self.poll_interval = float(poll_interval)
        self.command_timeout = command_timeout
        self._queue = None
        self._queue_time = 0.0

    def _run(self, args, stdin=None):
        cmd = list(args)
        if self.gateway:
            cmd = ["ssh", "-x", self.gateway, "-o", "BatchMode=yes", f"cd {shlex.quote(os.getcwd())} && {shlex.join(cmd)}"]
        try:
            return subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=self.command_timeout)
        except FileNotFoundError as e:
            raise RuntimeError(f"LSF command {cmd[0]!r} not found: install the LSF client, or use another engine in "
                               f"settings.py") from e
        except subprocess.TimeoutExpired as e:
            raise RuntimeError(f"LSF command did not answer within {e.timeout} s: {shlex.join(cmd)}") from e

    def options(self, rqmt):
        """bsub options for a requirement dict (mem and rss in GB, time in hours)."""
        if rqmt.get("multi_node_slots"):
            raise NotImplementedError("LoadSharingFacilityEngine cannot run multi_node_slots tasks: remove "
                                      "multi_node_slots from the task's rqmt or use another engine")
        mem_mb = int(math.ceil(float(rqmt.get("mem", 1)) * 1024))
        rss_mb = int(math.ceil(float(rqmt["rss"]) * 1024)) if "rss" in rqmt else mem_mb
        opts = ["-M", str(mem_mb), "-v", str(rss_mb)]
        if int(rqmt.get("gpu", 0) or 0) > 0:
            opts += ["-a", "gpu"]
        opts += ["-n", str(rqmt.get("cpu", 1) or 1), "-W", str(max(1, int(math.ceil(float(rqmt.get("time", 1)) * 60))))]
        extra = rqmt.get("bsub_args") or []
        return opts + (extra.split() if isinstance(extra, str) else list(extra))

    def bsub_commands(self, logpath, rqmt, name, task_ids):
        """``[(task ids, bsub argv)]``, at most 20 ranges of ids per bsub."""
        name = name.replace("/", ".")
        ranges = id_ranges(task_ids)
        commands = []
        for i in range(0, len(ranges), MAX_RANGES_PER_SUBMISSION):
            chunk = ranges[i:i + MAX_RANGES_PER_SUBMISSION]
            argv = (["bsub", "-J", f"{name}[{','.join(chunk)}]", "-o",
                     os.path.join(logpath, f"{name.split('.')[-1]}.%J.%I")] + self.options(rqmt))
            commands.append((_range_ids(chunk), argv))
        return commands

    def submit_call(self, call, logpath, rqmt, name, task_name, task_ids):
        """Submit ``call`` as LSF array job(s); returns ``("lsf", [(task ids, job id), ...])``."""
        os.makedirs(logpath, exist_ok=True)
        script = f"SISLITE_TASK_RQMT={shlex.quote(repr(dict(rqmt)))} {shlex.join(call)}\n"
        info = []
        for ids, cmd in self.bsub_commands(logpath, rqmt, name, task_ids):
            result = self._run(cmd, stdin=script)
            out = (result.stdout or "") + (result.stderr or "")
            m = _SUBMITTED.search(out)
            if result.returncode != 0 or not m:
                raise RuntimeError(f"bsub refused task {name!r} with requirements {rqmt}: {out.strip()}\n"
                                   f"Fix the task's rqmt (or check_engine_limits in settings.py) so it fits the cluster.")
            info.append((ids, int(m.group(1))))
        self.reset_cache()
        return "lsf", info

    def reset_cache(self):
        self._queue = None

    def task_state(self, task, task_id):
        """``running`` (RUN, PROV) | ``queue`` (PEND, WAIT) | ``unknown`` (DONE, EXIT or not listed) | ``queue_error``."""
        if self._queue is None or time.monotonic() - self._queue_time >= self.poll_interval:
            self._queue = parse_bjobs_wide(self._run(["bjobs", "-w"]).stdout)
            self._queue_time = time.monotonic()
        entries = self._queue.get((task_full_name(task).replace("/", "."), int(task_id)))
        if not entries or entries[0][1] in _ENDED:
            return "unknown"
        state = entries[0][1]
        return "running" if state in _RUNNING else "queue" if state in _QUEUED else "queue_error"

    def get_task_id(self, task_id):
        """The task id given on the worker command line, else ``$LSB_JOBINDEX`` (1 outside an array job)."""
        if task_id is not None:
            return int(task_id)
        value = os.environ.get("LSB_JOBINDEX")
        return int(value) if value and value.isdigit() and int(value) > 0 else 1

    def get_default_rqmt(self, task):
        return dict(self.default_rqmt)
