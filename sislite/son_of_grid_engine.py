"""(Son of) Grid Engine engine: one ``qsub`` array per arithmetic run of task ids, state from ``qstat -xml``.

RWTH Sisyphus name and constructor, so a settings.py written for RWTH Sisyphus works unchanged::

    from sisyphus.son_of_grid_engine import SonOfGridEngine
    SonOfGridEngine(default_rqmt={"cpu": 1, "mem": 2, "time": 1})

What a submission looks like (``engine/`` is the job's engine directory; the worker call is sent on stdin)::

    qsub -cwd -N <job id>.<task> -j y -o engine/ -S /bin/bash -m n -l h_vmem=<mem>G -l h_rss=<rss or mem>G
         -l h_fsize=<file_size, default 50>G -l gpu=<gpu> -l num_proc=<cpu> -l h_rt=<seconds>
         [-pe <pe_name> <multi_node_slots>] [<qsub_args>] -t <first>-<last>:<step>

Grid Engine writes the task's output to ``engine/<name>.o<job>.<task>``; ``init_worker`` hard-links it to
``log.<task>.<id>`` in the job directory. The task id comes from ``$SGE_TASK_ID``. Grid Engine keeps no record the
engine reads after a job ended (as in RWTH Sisyphus): ``termination_info`` is empty, a failed task is told by its
worker's error marker, an out-of-memory kill by its usage file. A task in state ``Eqw`` is ``queue_error``; with
``auto_clean_eqw`` its error state is cleared (``qmod -cj``) so that it runs again.
"""

import getpass
import logging
import math
import os
import re
import shlex
import subprocess
import time
import xml.etree.ElementTree as ElementTree

from sislite.engine import EngineBase
from sislite.batch_tasks import arithmetic_runs, expand_array_spec, link_task_log, submit_arrays, task_full_name

_SUBMITTED = re.compile(r'Your job(?:-array)? (\d+)(?:\.\S+)? \("[^"]*"\) has been submitted')
_SUBMIT_LIMIT = ("job rejected: Only", "would exceed", "max_u_jobs", "max_jobs")
_RUNNING = {"r", "t", "Rr", "Rt"}
_QUEUED = {"qw", "hqw", "Rq"}  # waiting; hqw (held) is still a queue state the user can release

log = logging.getLogger(__name__)


def _gigabytes(value):
    """``ceil(value)G`` for a number; a string such as ``"500M"`` is passed through."""
    try:
        return f"{math.ceil(float(value))}G"
    except (TypeError, ValueError):
        return str(value)


class SonOfGridEngine(EngineBase):
    """Submits tasks to Grid Engine with ``qsub`` (RWTH Sisyphus constructor, plus sislite's ``poll_interval`` and
    ``command_timeout``).

    :param default_rqmt: requirements used where a task gives none, e.g. ``{"cpu": 1, "mem": 2, "time": 1}``
    :param gateway: host to run the Grid Engine commands on through ``ssh -x <gateway> -o BatchMode=yes``; None: locally
    :param auto_clean_eqw: clear the error state of tasks in ``Eqw`` (``qmod -cj <job>.<task>``) so they run again
    :param ignore_jobs: Grid Engine job names to ignore in the state poll
    :param pe_name: parallel environment for ``multi_node_slots`` (``-pe <pe_name> <slots>``)
    :param poll_interval: seconds between state polls when nothing else happens; also how long a poll is cached
    :param command_timeout: seconds before a Grid Engine command counts as hanging
    """

    poll_interval = 1.0

    def __init__(self, default_rqmt=None, gateway=None, auto_clean_eqw=True, ignore_jobs=None, pe_name="mpi",
                 poll_interval=1.0, command_timeout=60):
        self.default_rqmt = dict(default_rqmt or {"cpu": 1, "mem": 1, "time": 1})
        self.gateway = gateway
        self.auto_clean_eqw = auto_clean_eqw
        self.ignore_jobs = set(ignore_jobs or ())
        self.pe_name = pe_name
        self.poll_interval = float(poll_interval)
        self.command_timeout = command_timeout
        self._queue = None  # {(name, task id): [(job id, state)]}, newest first
        self._queue_time = 0.0

    # ------------------------------------------------------------------ running Grid Engine commands
    def _run(self, args, stdin=None, check=True):
        """Run a Grid Engine command (through the gateway if one is set); returns CompletedProcess with text output."""
        cmd = list(args)
        if self.gateway:
            cmd = ["ssh", "-x", self.gateway, "-o", "BatchMode=yes", f"cd {shlex.quote(os.getcwd())} && {shlex.join(cmd)}"]
        try:
            result = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=self.command_timeout)
        except FileNotFoundError as e:
            raise RuntimeError(f"Grid Engine command {cmd[0]!r} not found: install the Grid Engine client (or start "
                               f"the test cluster with scripts/gridengine_cluster.sh start), or use another engine "
                               f"in settings.py") from e
        except subprocess.TimeoutExpired as e:
            raise RuntimeError(f"Grid Engine command did not answer within {e.timeout} s: {shlex.join(cmd)}") from e
        if check and result.returncode != 0:
            raise RuntimeError(f"Grid Engine command failed (exit {result.returncode}): {shlex.join(cmd)}\n"
                               f"{(result.stderr or result.stdout).strip()}")
        return result

    # ------------------------------------------------------------------ submission
    @staticmethod
    def job_name(name):
        """Grid Engine job name for a sislite task name ``<job id>.<task>``."""
        return name.replace("/", ".")

    def options(self, rqmt):
        """qsub options for a requirement dict (mem, rss, file_size in GB, time in hours; strings pass through)."""
        mem = _gigabytes(rqmt.get("mem", 1))
        opts = ["-l", f"h_vmem={mem}", "-l", f"h_rss={_gigabytes(rqmt['rss']) if 'rss' in rqmt else mem}",
                "-l", f"h_fsize={_gigabytes(rqmt.get('file_size', 50))}",
                "-l", f"gpu={rqmt.get('gpu', 0) or 0}", "-l", f"num_proc={rqmt.get('cpu', 1) or 1}"]
        hours = rqmt.get("time", 1)
        try:
            seconds = str(int(float(hours) * 3600))
        except (TypeError, ValueError):
            seconds = str(hours)  # "1:00:00" and the like
        opts += ["-l", f"h_rt={seconds}"]
        if rqmt.get("multi_node_slots"):
            opts += ["-pe", self.pe_name, str(rqmt["multi_node_slots"])]
        extra = rqmt.get("qsub_args") or []
        opts += extra.split() if isinstance(extra, str) else list(extra)
        return opts

    def qsub_commands(self, logpath, rqmt, name, task_ids):
        """``[(task ids, qsub argv)]``: one qsub per arithmetic run of task ids, as ``submit_call`` runs them."""
        head = ["qsub", "-cwd", "-N", self.job_name(name), "-j", "y", "-o", logpath, "-S", "/bin/bash", "-m", "n"]
        return [(list(range(first, last + 1, step)), head + self.options(rqmt) + ["-t", f"{first}-{last}:{step}"])
                for first, last, step in arithmetic_runs(task_ids)]

    def submit_call(self, call, logpath, rqmt, name, task_name, task_ids):
        """Submit ``call`` as Grid Engine array job(s); returns ``("sge", [(task ids, job id), ...])``."""
        os.makedirs(logpath, exist_ok=True)
        script = f"SISLITE_TASK_RQMT={shlex.quote(repr(dict(rqmt)))} {shlex.join(call)}\n"
        info = submit_arrays(
            [(ids, cmd, script) for ids, cmd in self.qsub_commands(logpath, rqmt, name, task_ids)],
            lambda cmd, stdin: self._run(cmd, stdin=stdin, check=False), _SUBMITTED, _SUBMIT_LIMIT,
            lambda reply: f"qsub refused task {name!r} with requirements {rqmt}: {reply}\n"
                          f"Fix the task's rqmt (or check_engine_limits in settings.py) so it fits the cluster "
                          f"(`qconf -se <host>` lists what a host offers, `qconf -sc` the requestable resources).",
            "Grid Engine")
        self.reset_cache()
        return "sge", info

    # ------------------------------------------------------------------ state
    def reset_cache(self):
        self._queue = None

    def _poll_queue(self):
        if self._queue is not None and time.monotonic() - self._queue_time < self.poll_interval:
            return self._queue
        result = self._run(["qstat", "-xml", "-u", getpass.getuser()])
        queue = parse_qstat_xml(result.stdout, self.ignore_jobs)
        self._queue = queue
        self._queue_time = time.monotonic()
        return queue

    def task_state(self, task, task_id):
        """``queue`` | ``running`` | ``queue_error`` (Eqw and any other state) | ``unknown`` (not in qstat)."""
        entries = self._poll_queue().get((self.job_name(task_full_name(task)), int(task_id)))
        if not entries:
            return "unknown"
        job_id, state = entries[0]
        if state in _RUNNING:
            return "running"
        if state in _QUEUED:
            return "queue"
        if state == "Eqw" and self.auto_clean_eqw:
            log.warning("Grid Engine job %s.%s is in error state Eqw: clearing it (qmod -cj)", job_id, task_id)
            self._run(["qmod", "-cj", f"{job_id}.{task_id}"], check=False)
        return "queue_error"

    # ------------------------------------------------------------------ worker side and misc
    def get_task_id(self, task_id):
        """The task id given on the worker command line, else ``$SGE_TASK_ID``."""
        if task_id is not None:
            return int(task_id)
        value = os.environ.get("SGE_TASK_ID")
        if value is None or not value.isdigit():
            raise RuntimeError("no task id given and $SGE_TASK_ID is not set: this worker was not started by an "
                               "array job of Grid Engine; pass the task id on the worker command line")
        return int(value)

    def init_worker(self, task):
        """Inside the Grid Engine job: hard-link its output file ``$SGE_STDERR_PATH`` to ``log.<task>.<id>``."""
        source = os.environ.get("SGE_STDERR_PATH")
        task_id = os.environ.get("SGE_TASK_ID")
        if not (source and task_id and task_id.isdigit() and os.path.exists(source)):
            return
        link_task_log(task, task_id, source)

    def get_default_rqmt(self, task):
        return dict(self.default_rqmt)

    def start_engine(self):
        pass

    def stop_engine(self):
        pass


def parse_qstat_xml(text, ignore_jobs=()):
    """``qstat -xml`` output -> ``{(job name, task id): [(job id, state), ...]}``, newest job first.

    A pending array shows its ids as ``1-3:1`` or ``1,4``; each id is counted.
    """
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as e:
        raise RuntimeError(f"qstat -xml gave unreadable output ({e}): {text[:500]!r}") from e
    queue = {}
    for job in root.iter("job_list"):
        name = (job.findtext("JB_name") or "").strip()
        if not name or name in ignore_jobs:
            continue
        job_id = int(job.findtext("JB_job_number") or 0)
        state = (job.findtext("state") or "").strip()
        tasks = (job.findtext("tasks") or "").strip()
        ids = expand_array_spec(tasks) if tasks else [1]
        for i in ids:
            queue.setdefault((name, i), []).append((job_id, state))
    for entries in queue.values():
        entries.sort(reverse=True)
    return queue
