"""The worker: runs one task id of one job, started by an engine as
``<SIS_COMMAND> worker <job dir> <task> [<task id>] [--engine NAME] [--force_resume] [--redirect_output]``.

It loads ``job.save``, waits for the inputs, runs the task function(s) with cwd = the job's ``work/`` and writes
``finished.<task>.<id>`` on success or ``error.<task>.<id>`` on an exception. The task's ``resume`` function is used
instead of ``start`` when an earlier run of this id left a non-empty log (or with ``--force_resume``). A subprocess
killed by a signal (exit code 137 = SIGKILL, 143 = SIGTERM, ...) writes no error marker, so the task looks
interrupted and is resubmitted; why it ended is told apart (:mod:`sislite.termination`) and kept as ``termination``
in ``usage.<task>.<id>``: only a real out-of-memory end (the kernel's OOM killer, or the memory high-water mark at
the requested memory) sets ``out_of_memory`` and so raises the memory of the resubmission; a plain ``kill -9`` keeps
it. A subprocess that crashed (e.g. SIGSEGV) is an error like any other.
"""

import ast
import datetime
import getpass
import os
import pprint
import resource
import socket
import subprocess
import sys
import threading
import time
import traceback

from sislite import global_constants as gc
from sislite import termination
from sislite.atomic import write_atomically


class UsageLogger(threading.Thread):
    """Writes ``usage.<task>.<id>`` (peak/current cpu %, rss and vms in GB of the worker's process tree, pid,
    used_time in hours, ...) at start, every ``PLOGGING_UPDATE_FILE_PERIOD`` seconds and at the end."""

    def __init__(self, path, requested, interval, update_period):
        super().__init__(daemon=True)
        self.path = path
        self.requested = requested
        self.interval = interval
        self.update_period = update_period
        self.started_at = time.time()
        self.max = {"cpu": 0.0, "rss": 0.0, "vms": 0.0}
        self.current = dict(self.max)
        self.out_of_memory = False
        self.termination = None
        self.stopped = threading.Event()

    def sample(self, cheap=False):
        try:
            if cheap:
                raise ImportError("psutil is not used for the final sample")
            import psutil

            proc = psutil.Process()
            procs = [proc] + proc.children(recursive=True)
            rss = vms = cpu = 0.0
            for p in procs:
                try:
                    mem = p.memory_info()
                    rss += mem.rss / 1024 ** 3
                    vms += mem.vms / 1024 ** 3
                    cpu += p.cpu_percent()
                except psutil.Error:
                    pass
            self.current = {"cpu": cpu, "rss": rss, "vms": vms}
        except ImportError:
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2
            self.current = {"cpu": self.current["cpu"], "rss": rss, "vms": self.current["vms"]}
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 ** 2
        self.current["rss"] = max(self.current["rss"], children)
        for key, value in self.current.items():
            self.max[key] = max(self.max[key], value)

    def write(self):
        usage = {"max": self.max, "current": self.current, "pid": os.getpid(), "user": (getpass.getuser(),),
                 "used_time": (time.time() - self.started_at) / 3600, "host": socket.gethostname(),
                 "current_time": datetime.datetime.now().ctime(), "out_of_memory": self.out_of_memory,
                 "requested_resources": self.requested}
        if self.termination:
            usage["termination"] = self.termination
        write_atomically(self.path, pprint.pformat(usage) + "\n")

    def run(self):
        last_write = time.time()
        while not self.stopped.wait(self.interval):
            self.sample()
            if time.time() - last_write >= self.update_period:
                self.write()
                last_write = time.time()

    def finish(self):
        self.stopped.set()
        self.sample(cheap=True)
        self.write()


def _redirect_output(log_path):
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        if os.path.samestat(os.fstat(fd), os.fstat(1)):
            return
    except OSError:
        pass
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def _clean_environment(gs, job):
    if not gs.CLEANUP_ENVIRONMENT:
        return
    keep = {k: v for k, v in os.environ.items() if k in gs.DEFAULT_ENVIRONMENT_KEEP}
    os.environ.clear()
    os.environ.update(keep)
    os.environ.update({k: str(v) for k, v in gs.DEFAULT_ENVIRONMENT_SET.items()})
    os.environ.update({k: str(v) for k, v in getattr(job, "_sis_environment", {}).items()})


def _wait_for_inputs(gs, job):
    missing = []
    for path in sorted(job._sis_inputs, key=lambda p: p.get_path()):
        for _ in range(int(gs.WAIT_PERIOD_FOR_INPUTS_AVAILABLE) + 1):
            if os.path.exists(path.get_path()):
                break
            time.sleep(1)
        else:
            missing.append(path.get_path())
            continue
        age = time.time() - os.path.getmtime(path.get_path())
        if age < gs.WAIT_PERIOD_MTIME_OF_INPUTS:
            time.sleep(gs.WAIT_PERIOD_MTIME_OF_INPUTS - age)
    if missing and gs.TASK_INPUTS_MUST_BE_AVAILABLE:
        raise RuntimeError("inputs missing: " + ", ".join(missing) + ": the jobs creating them are not finished; "
                           "run `sis manager` instead of starting workers by hand")


def run_worker(job_dir, task_name, task_id=None, engine_name=None, force_resume=False, redirect_output=False):
    """Run one task id; returns the process exit status (0 on success)."""
    from sislite import global_settings as gs
    from sislite.job import load_job

    job_dir = os.path.abspath(job_dir)
    if "SISLITE_DONE_FD" in os.environ:
        _DONE_FD.append((os.environ.pop("SISLITE_DONE_FD"), os.environ.pop("SISLITE_DONE_TOKEN", "")))
    engine = gs.engine().get_used_engine(engine_name)
    task_id = engine.get_task_id(task_id)
    log_path = os.path.join(job_dir, f"log.{task_name}.{task_id}")
    # The local engine creates the log empty before starting us: a non-empty log means an earlier run of this id.
    resume = force_resume or (os.path.isfile(log_path) and os.path.getsize(log_path) > 0)
    if redirect_output:
        _redirect_output(log_path)
    if resume:
        print("#" * 80 + "\nRETRY OR CONTINUE TASK\n" + "#" * 80, flush=True)
    try:
        job = load_job(job_dir)
        tasks = {t.name(): t for t in job._sis_tasks()}
        if task_name not in tasks:
            raise KeyError(f"job {job._sis_id()} has no task {task_name!r} (tasks: {sorted(tasks)})")
        task = tasks[task_name]
        gs.active_engine = engine
        engine.init_worker(task)
    except BaseException:  # noqa: B902 - the worker cannot even start the task: that is this task id's error
        traceback.print_exc()
        print("sislite worker: could not load the job (see above); it is marked as failed", flush=True)
        _touch(os.path.join(job_dir, f"{gc.STATE_ERROR}.{task_name}.{task_id}"))
        _signal_done()
        return 1
    requested = ast.literal_eval(os.environ.get("SISLITE_TASK_RQMT", "None")) or task.rqmt()
    usage = UsageLogger(os.path.join(job_dir, f"usage.{task_name}.{task_id}"), requested, gs.PLOGGING_INTERVAL,
                        gs.PLOGGING_UPDATE_FILE_PERIOD)
    usage.write()
    usage.start()
    print(f"sislite worker: {job._sis_id()} task {task_name}.{task_id} ({'resume' if resume else 'start'}) "
          f"pid {os.getpid()} on {socket.gethostname()} at {datetime.datetime.now().ctime()}", flush=True)
    for path in sorted(p.get_path() for p in job._sis_inputs):
        print(f"input: {path}", flush=True)
    status = 1
    oom_kills_at_start = termination.oom_kill_count()
    try:
        _wait_for_inputs(gs, job)
        _clean_environment(gs, job)
        os.chdir(os.path.join(job_dir, gc.JOB_WORK_DIR))
        function = task.function(resume)
        for args in task.args_for(task_id):
            print(f"-------- Starting subtask {function.__name__}{tuple(args)!r}", flush=True)
            function(*args)
        sys.stdout.flush()
        if not task.continuable:
            _touch(os.path.join(job_dir, f"{gc.STATE_FINISHED}.{task_name}.{task_id}"))
        _signal_done()
        print("Job finished successfully", flush=True)
        status = 0
    except subprocess.CalledProcessError as error:
        traceback.print_exc()
        if termination.exit_signal(error.returncode) in termination.INTERRUPTING_SIGNALS:
            _record_killed_subprocess(usage, error, oom_kills_at_start)
        else:
            _touch(os.path.join(job_dir, f"{gc.STATE_ERROR}.{task_name}.{task_id}"))
    except MemoryError:
        traceback.print_exc()
        usage.out_of_memory = True
        usage.sample(cheap=True)
        usage.termination = {"cause": "out_of_memory", "by": "MemoryError in the task",
                             "peak_rss_gb": round(usage.max["rss"], 3), "mem_gb": (usage.requested or {}).get("mem")}
    except BaseException:  # noqa: B902 - every failure of the task function is the task's error
        traceback.print_exc()
        _touch(os.path.join(job_dir, f"{gc.STATE_ERROR}.{task_name}.{task_id}"))
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        usage.finish()
        _signal_done()
    return status


def _record_killed_subprocess(usage, error, oom_kills_at_start):
    """Tell out of memory from other kills for a subprocess that ``error`` says was killed; record and print why."""
    usage.sample(cheap=True)  # includes the peak rss of the subprocess, which has been waited for
    oom_kills = termination.oom_kill_count()
    command = error.cmd if isinstance(error.cmd, (list, tuple)) else str(error.cmd).split()
    info = termination.classify(
        error.returncode, peak_rss_gb=usage.max["rss"], mem_gb=(usage.requested or {}).get("mem"),
        oom_kills=None if oom_kills is None or oom_kills_at_start is None else oom_kills - oom_kills_at_start,
        by=" ".join(os.path.basename(str(part))[:24] for part in command[:3]))
    usage.termination = info
    usage.out_of_memory = info["cause"] == "out_of_memory"
    print(f"sislite worker: {termination.describe(info)}", flush=True)


_DONE_FD = []


def _signal_done():
    """Tell the local engine (through the pipe it gave us) that the markers are written."""
    fd = _DONE_FD.pop() if _DONE_FD else None
    if fd is not None:
        try:
            os.write(int(fd[0]), f"done {fd[1]}\n".encode())
            os.close(int(fd[0]))
        except OSError:
            pass


def _touch(path):
    with open(path, "w"):
        pass
