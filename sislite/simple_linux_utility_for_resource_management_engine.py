"""Slurm engine: one ``sbatch`` array per task, state from ``squeue``, termination causes from sacct/scontrol/logs.

RWTH Sisyphus name and constructor, so a settings.py written for RWTH Sisyphus works unchanged::

    from sisyphus.simple_linux_utility_for_resource_management_engine import (
        SimpleLinuxUtilityForResourceManagementEngine)
    SimpleLinuxUtilityForResourceManagementEngine(default_rqmt={"cpu": 1, "mem": 2, "time": 1})

What a submission looks like (``engine/`` is the job's engine directory)::

    sbatch -J <job id>.<task> --mail-type=None --mem=<MB>M --cpus-per-task=<cpu> --time=<minutes> [--gres=gpu:[<gpu_name>:]<n>]
           --export=all --ntasks-per-node=1 [<sbatch_args>] -o engine/%x.%A.%a.batch -a <first>-<last>:<step>
           --wrap="SISLITE_TASK_RQMT=<rqmt> srun -o engine/%x.%A.%a --cpus-per-task=<cpu> <worker call>"

(``SISLITE_TASK_RQMT`` tells the worker what was requested, for its usage file.)

Task ids are grouped into arithmetic runs, one array per run. Inside the worker, ``init_worker`` hard-links the step log
``engine/<name>.<array job>.<array task>`` to ``log.<task>.<id>`` in the job directory, so the job directory always shows
the log of the latest submission (older ones stay in ``engine/``).

Why a task ended (``termination_info``) is read, in this order, from ``sacct`` (when accounting is enabled),
``scontrol show job`` (while Slurm still remembers the job, ``MinJobAge``) and the batch log ``engine/*.batch``, where
slurmstepd writes ``CANCELLED ... DUE TO TIME LIMIT``. Out of memory needs evidence: state OUT_OF_MEMORY, slurmstepd's
``oom-kill`` / ``Exceeded job memory limit`` in the batch log, or a SIGKILL (exit code 137 or signal 9) with the
worker's memory high-water mark (its usage file) at the requested memory; any other SIGKILL (``scancel -s KILL``,
``kill -9``, a node going down) is "killed" and resubmitted with the same memory. TIMEOUT counts as out of time; the
manager resubmits such a task with doubled mem or time. Once a job has ended, what was found is kept as JSON in
``engine/<name>.<array job>.<array task>.termination``; ``termination`` in it is the cause in the words of
:mod:`sislite.termination` (with Slurm's state, exit code and reason).
"""

import getpass
import json
import logging
import math
import os
import re
import shlex
import subprocess
import time

from sislite import termination
from sislite.atomic import write_atomically
from sislite.batch_tasks import (
    arithmetic_runs, expand_array_spec, link_task_log, submit_arrays, task_full_name, task_job_dir, task_short_name)
from sislite.engine import EngineBase
from sislite.localengine import read_usage

PER_NODE = "per_node"
PER_CPU = "per_cpu"

# squeue state -> sislite task state; states not listed are "queue_error"
_SQUEUE_STATES = {
    "PENDING": "queue",
    "CONFIGURING": "queue",
    "REQUEUED": "queue",
    "REQUEUE_FED": "queue",
    "REQUEUE_HOLD": "queue",
    "RESV_DEL_HOLD": "queue",
    "SUSPENDED": "queue",
    "RUNNING": "running",
    "COMPLETING": "running",
    "STAGE_OUT": "running",
    "SIGNALING": "running",
}
# finished states that mean "ended": the job is gone, its worker files tell the rest
_ENDED_STATES = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "PREEMPTED",
                 "BOOT_FAIL", "DEADLINE", "REVOKED", "SPECIAL_EXIT"}
_SUBMITTED = re.compile(r"Submitted batch job (\d+)")
_SUBMIT_LIMIT = ("AssocMaxSubmitJobLimit", "QOSMaxSubmitJobPerUserLimit", "Resource temporarily unavailable")

log = logging.getLogger(__name__)


def parse_exit_code(text):
    """Slurm's ``<exit status>:<signal>`` (as in ``ExitCode=137:0``) -> (status, signal) ints; (None, None) if unreadable."""
    m = re.fullmatch(r"\s*(\d+):(\d+)\s*", text or "")
    return (int(m.group(1)), int(m.group(2))) if m else (None, None)


def termination_flags(state, exit_code="", batch_log_text="", peak_rss_gb=None, mem_gb=None, reason=None):
    """What ended a job, from its Slurm state (``TIMEOUT``, ``CANCELLED by 0``, ...), ``ExitCode``, batch log, Slurm's
    ``reason`` and the worker's memory high-water mark ``peak_rss_gb`` vs its request ``mem_gb`` (module docstring).

    Returns ``{"state", "ended", "out_of_memory", "out_of_time", "cancelled", "exit_code", "signal",
    "termination"}``.
    """
    state = (state or "").split()[0].rstrip("+") if state else ""
    status, signal = parse_exit_code(exit_code)
    text = batch_log_text or ""
    out_of_time = state == "TIMEOUT" or "DUE TO TIME LIMIT" in text
    sigkill = status == 137 or signal == 9
    at_memory_limit = bool(mem_gb and peak_rss_gb is not None
                           and peak_rss_gb >= termination.OUT_OF_MEMORY_FRACTION * mem_gb)
    out_of_memory = (
        state == "OUT_OF_MEMORY"
        or "oom-kill" in text
        or "Exceeded job memory limit" in text
        or (state == "FAILED" and sigkill and at_memory_limit)
    )
    cancelled = state == "CANCELLED" and not out_of_time
    if not state and "CANCELLED AT" in text and not out_of_time:
        cancelled = True
    if out_of_time:
        cause = "out_of_time"
    elif out_of_memory:
        cause = "out_of_memory"
    elif sigkill or cancelled or state in ("NODE_FAIL", "PREEMPTED"):
        cause = "killed"
    else:
        cause = "exit_code"
    says = " ".join(filter(None, [f"Slurm: {state or 'state unknown'}", f"exit code {exit_code}" if exit_code else "",
                                  f"reason {reason}" if reason and reason != "None" else ""]))
    return {
        "state": state or None,
        "ended": state in _ENDED_STATES or out_of_time or out_of_memory or cancelled,
        "out_of_memory": bool(out_of_memory),
        "out_of_time": bool(out_of_time),
        "cancelled": bool(cancelled),
        "exit_code": status,
        "signal": signal,
        "termination": {"cause": cause, "signal": 9 if sigkill else (signal or None), "exit_code": status,
                        "peak_rss_gb": peak_rss_gb, "mem_gb": mem_gb, "engine_says": says},
    }


class SimpleLinuxUtilityForResourceManagementEngine(EngineBase):
    """Submits tasks to Slurm with ``sbatch`` (RWTH Sisyphus constructor, plus sislite's ``poll_interval``).

    :param default_rqmt: requirements used where a task gives none, e.g. ``{"cpu": 1, "mem": 2, "time": 1}``
    :param gateway: host to run the Slurm commands on through ``ssh -x <gateway> -o BatchMode=yes``; None: locally
    :param has_memory_resource: False: do not pass any memory request (clusters without memory scheduling)
    :param auto_clean_eqw: accepted for compatibility with RWTH settings files; Slurm has no error-queue state to clean
    :param ignore_jobs: Slurm job names to ignore in the state poll
    :param memory_allocation_type: ``PER_NODE`` (``--mem``) or ``PER_CPU`` (``--mem-per-cpu``, mem divided by cpu)
    :param job_name_mapping: function mapping ``<job id>.<task>`` to the Slurm job name (``/`` becomes ``.`` anyway)
    :param poll_interval: seconds between state polls when nothing else happens; also how long a poll is cached
    :param command_timeout: seconds before a Slurm command counts as hanging
    """

    poll_interval = 1.0

    def __init__(self, default_rqmt=None, gateway=None, has_memory_resource=True, auto_clean_eqw=True, ignore_jobs=(),
                 memory_allocation_type=PER_NODE, job_name_mapping=None, poll_interval=1.0, command_timeout=60):
        if memory_allocation_type not in (PER_NODE, PER_CPU):
            raise ValueError(f"memory_allocation_type={memory_allocation_type!r}: use PER_NODE or PER_CPU from "
                             f"{__name__}")
        self.default_rqmt = dict(default_rqmt or {"cpu": 1, "mem": 1, "time": 1})
        self.gateway = gateway
        self.has_memory_resource = has_memory_resource
        self.auto_clean_eqw = auto_clean_eqw
        self.ignore_jobs = set(ignore_jobs or ())
        self.memory_allocation_type = memory_allocation_type
        self.job_name_mapping = job_name_mapping
        self.poll_interval = float(poll_interval)
        self.command_timeout = command_timeout
        self._queue = None  # {(name, task id): [(slurm job id, state, reason)]}, newest first
        self._queue_time = 0.0
        self._sacct_works = None

    # ------------------------------------------------------------------ running Slurm commands
    def _run(self, args, check=True, timeout=None):
        """Run a Slurm command (through the gateway if one is set); returns CompletedProcess with text output."""
        cmd = list(args)
        if self.gateway:
            cmd = ["ssh", "-x", self.gateway, "-o", "BatchMode=yes", f"cd {shlex.quote(os.getcwd())} && {shlex.join(cmd)}"]
        try:
            result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout or self.command_timeout)
        except FileNotFoundError as e:
            raise RuntimeError(f"Slurm command {cmd[0]!r} not found: install the Slurm client (or start the test "
                               f"cluster with scripts/slurm_cluster.sh start), or use another engine in settings.py") from e
        except subprocess.TimeoutExpired as e:
            raise RuntimeError(f"Slurm command did not answer within {e.timeout} s: {shlex.join(cmd)}") from e
        if check and result.returncode != 0:
            raise RuntimeError(f"Slurm command failed (exit {result.returncode}): {shlex.join(cmd)}\n"
                               f"{(result.stderr or result.stdout).strip()}")
        return result

    # ------------------------------------------------------------------ submission
    def job_name(self, name):
        """Slurm job name for a sislite task name ``<job id>.<task>``."""
        if self.job_name_mapping:
            name = self.job_name_mapping(name)
        return name.replace("/", ".")

    def options(self, rqmt):
        """sbatch options for a requirement dict (mem in GB, time in hours)."""
        opts = []
        cpu = int(rqmt.get("cpu", 1) or 1)
        if self.has_memory_resource and rqmt.get("mem") is not None:
            mem_mb = int(math.ceil(float(rqmt["mem"]) * 1024))
            if self.memory_allocation_type == PER_CPU:
                opts.append(f"--mem-per-cpu={int(math.ceil(mem_mb / cpu))}M")
            else:
                opts.append(f"--mem={mem_mb}M")
        gpu = int(rqmt.get("gpu", 0) or 0)
        if gpu > 0:
            gpu_name = rqmt.get("gpu_name")
            opts.append(f"--gres=gpu:{gpu_name}:{gpu}" if gpu_name else f"--gres=gpu:{gpu}")
        opts.append(f"--cpus-per-task={cpu}")
        if rqmt.get("time") is not None:
            # Slurm counts minutes, and --time=0 would mean "no limit"
            opts.append(f"--time={max(1, int(math.ceil(float(rqmt['time']) * 60)))}")
        opts.append("--export=all")
        slots = int(rqmt.get("multi_node_slots", 1) or 1)
        opts += [f"--ntasks={slots}", f"--nodes={slots}"] if slots > 1 else ["--ntasks-per-node=1"]
        extra = rqmt.get("sbatch_args") or []
        opts += extra.split() if isinstance(extra, str) else list(extra)
        return opts

    def sbatch_commands(self, call, logpath, rqmt, name, task_ids):
        """``[(task ids, sbatch argv)]``: one sbatch per arithmetic run of task ids, as ``submit_call`` runs them."""
        name = self.job_name(name)
        suffix = ".%t" if int(rqmt.get("multi_node_slots", 1) or 1) > 1 else ""
        cpu = int(rqmt.get("cpu", 1) or 1)
        step = ["srun", "-o", os.path.join(logpath, f"%x.%A.%a{suffix}"), f"--cpus-per-task={cpu}"] + list(call)
        commands = []
        for first, last, stride in arithmetic_runs(task_ids):
            argv = (["sbatch", "-J", name, "--mail-type=None"] + self.options(rqmt)
                    + ["-o", os.path.join(logpath, f"%x.%A.%a{suffix}.batch"), "-a", f"{first}-{last}:{stride}",
                       f"--wrap=SISLITE_TASK_RQMT={shlex.quote(repr(dict(rqmt)))} {shlex.join(step)}"])
            commands.append((list(range(first, last + 1, stride)), argv))
        return commands

    def submit_call(self, call, logpath, rqmt, name, task_name, task_ids):
        """Submit ``call`` as Slurm array job(s); returns ``("slurm", [(task ids, slurm job id), ...])``."""
        os.makedirs(logpath, exist_ok=True)
        info = submit_arrays(
            [(ids, cmd, None) for ids, cmd in self.sbatch_commands(call, logpath, rqmt, name, task_ids)],
            lambda cmd, stdin: self._run(cmd, check=False), _SUBMITTED, _SUBMIT_LIMIT,
            lambda reply: f"sbatch refused task {name!r} with requirements {rqmt}: {reply}\n"
                          f"Fix the task's rqmt (or check_engine_limits in settings.py) so it fits the cluster "
                          f"(`sinfo -N -o '%N %c %m %G'` lists what the nodes have).", "Slurm")
        self.reset_cache()
        return "slurm", info

    # ------------------------------------------------------------------ state
    def reset_cache(self):
        self._queue = None

    def _poll_queue(self):
        if self._queue is not None and time.monotonic() - self._queue_time < self.poll_interval:
            return self._queue
        result = self._run(["squeue", "-h", "--array", "-u", getpass.getuser(), "-o", "%F|%K|%T|%r|%j"])
        queue = {}
        for line in result.stdout.splitlines():
            parts = line.split("|", 4)
            if len(parts) != 5 or parts[4] in self.ignore_jobs:
                continue
            job_id, array_task, state, reason, name = parts
            try:
                task_id = int(array_task)
            except ValueError:  # a pending array not yet split shows "1-3" or "1-9:2": count each id
                task_id = None
            ids = [task_id] if task_id is not None else expand_array_spec(array_task)
            for i in ids:
                queue.setdefault((name, i), []).append((int(job_id), state, reason))
        for entries in queue.values():
            entries.sort(reverse=True)
        self._queue = queue
        self._queue_time = time.monotonic()
        return queue

    def task_state(self, task, task_id):
        """``queue`` | ``running`` | ``queue_error`` (held or in a state that will not run) | ``unknown`` (not in Slurm)."""
        entries = self._poll_queue().get((self.job_name(task_full_name(task)), int(task_id)))
        if not entries:
            return "unknown"
        _, state, reason = entries[0]
        mapped = _SQUEUE_STATES.get(state, "queue_error")
        if mapped == "queue" and reason in ("JobHeldAdmin", "DependencyNeverSatisfied", "BadConstraints"):
            return "queue_error"
        return mapped

    def termination_info(self, task, task_id):
        """Why the latest Slurm job of this task id ended: see ``termination_flags``; adds ``slurm_job_id``.

        Returns ``{}`` if this task id was never submitted to Slurm or nothing is known about it.
        """
        name = self.job_name(task_full_name(task))
        task_id = int(task_id)
        job_id = self._latest_job_id(task, task_id)
        if job_id is None:
            return {}
        state, exit_code = self._sacct_state(job_id, task_id)
        reason = None
        if state is None:
            state, exit_code, reason = self._scontrol_state(job_id, task_id)
        batch_log = os.path.join(task_job_dir(task), "engine", f"{name}.{job_id}.{task_id}.batch")
        try:
            with open(batch_log, errors="replace") as f:
                text = f.read()[-20000:]
        except OSError:
            text = ""
        if state is None and not text:
            return {}
        usage = read_usage(os.path.join(task_job_dir(task), f"usage.{task_short_name(task)}.{task_id}"))
        requested = usage.get("requested_resources") or {}
        info = termination_flags(state, exit_code, text, peak_rss_gb=usage.get("max", {}).get("rss"),
                                 mem_gb=requested.get("mem"), reason=reason)
        info["slurm_job_id"] = f"{job_id}_{task_id}"
        if info["ended"]:
            _record_once(batch_log[: -len(".batch")] + ".termination", info)
        return info

    def _latest_job_id(self, task, task_id):
        """Array job id of the latest submission of this task id: from the queue, else from the engine log files."""
        name = self.job_name(task_full_name(task))
        entries = self._poll_queue().get((name, task_id))
        best = entries[0][0] if entries else None
        engine_dir = os.path.join(task_job_dir(task), "engine")
        pattern = re.compile(re.escape(name) + r"\.(\d+)\." + str(task_id) + r"(\.batch)?$")
        try:
            for fn in os.listdir(engine_dir):
                m = pattern.match(fn)
                if m and (best is None or int(m.group(1)) > best):
                    best = int(m.group(1))
        except OSError:
            pass
        return best

    def _sacct_state(self, job_id, task_id):
        if self._sacct_works is False:
            return None, None
        result = self._run(["sacct", "-n", "-P", "-X", "-j", f"{job_id}_{task_id}", "--format=State,ExitCode"],
                           check=False)
        if result.returncode != 0:
            self._sacct_works = False  # accounting disabled: ask scontrol from now on
            return None, None
        self._sacct_works = True
        for line in result.stdout.splitlines():
            parts = line.split("|")
            if len(parts) >= 2 and parts[0]:
                return parts[0], parts[1]
        return None, None

    def _scontrol_state(self, job_id, task_id):
        result = self._run(["scontrol", "-o", "show", "job", f"{job_id}_{task_id}"], check=False)
        if result.returncode != 0:
            return None, None, None
        fields = dict(kv.split("=", 1) for kv in result.stdout.split() if "=" in kv)
        return fields.get("JobState"), fields.get("ExitCode"), fields.get("Reason")

    # ------------------------------------------------------------------ worker side and misc
    def get_task_id(self, task_id):
        """The task id given on the worker command line, else ``$SLURM_ARRAY_TASK_ID``."""
        if task_id is not None:
            return int(task_id)
        value = os.environ.get("SLURM_ARRAY_TASK_ID")
        if value is None:
            raise RuntimeError("no task id given and $SLURM_ARRAY_TASK_ID is not set: this worker was not started "
                               "by Slurm; pass the task id on the worker command line")
        return int(value)

    def init_worker(self, task):
        """Inside the Slurm job: hard-link ``engine/<name>.<array job>.<array task>`` to ``log.<task>.<id>``."""
        name = os.environ.get("SLURM_JOB_NAME")
        array_job = os.environ.get("SLURM_ARRAY_JOB_ID")
        task_id = os.environ.get("SLURM_ARRAY_TASK_ID")
        if not (name and array_job and task_id):
            return
        link_task_log(task, task_id, os.path.join(task_job_dir(task), "engine", f"{name}.{array_job}.{task_id}"))

    def get_default_rqmt(self, task):
        return dict(self.default_rqmt)

    def start_engine(self):
        pass

    def stop_engine(self):
        pass


def _record_once(path, info):
    """Keep why a Slurm job ended beside its logs (``engine/<name>.<job>.<task>.termination``, JSON), written once."""
    if os.path.exists(path):
        return
    try:
        write_atomically(path, json.dumps(info, sort_keys=True) + "\n")
    except OSError as e:  # the record is informative only; the state machine does not depend on it
        log.warning("could not record Slurm termination info in %s: %s", path, e)
