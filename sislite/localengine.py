"""``LocalEngine``: runs every task id as its own worker process (own process group) on this machine, as many at
once as the declared resources allow (``cpu``, ``gpu`` and any other consumable such as ``mem`` given to the
constructor). ``time`` (hours) is enforced: a worker past its limit is killed and ``out_of_time`` is recorded in its
``usage.<task>.<id>`` file. A worker's exit wakes the manager at once.

Why a worker ended is recorded (:mod:`sislite.termination`): a worker killed by a signal gets ``termination`` in its
usage file (signal, memory high-water mark vs the request, the kernel's OOM kills meanwhile), and ``out_of_memory``
only with such evidence. A worker left running by an earlier manager is adopted: it holds its requested resources
(and GPUs) in this engine's books until it exits, so a restarted manager never runs more than the machine allows."""

import ast
import logging
import os
import pprint
import select
import signal
import socket
import subprocess
import threading
import time

from sislite import termination
from sislite.atomic import write_atomically
from sislite.engine import EngineBase, notify_manager
from sislite.forkserver import ForkedProcess, ForkServer

log = logging.getLogger(__name__)


class _Instance:
    def __init__(self, key, call, rqmt, job_dir, task_name, task_id):
        self.key = key
        self.call = call
        self.rqmt = rqmt
        self.job_dir = job_dir
        self.task_name = task_name
        self.task_id = task_id
        self.process = None
        self.reserved = {}
        self.gpus = []
        self.oom_kills_at_start = None


class LocalEngine(EngineBase):
    """``LocalEngine(cpus=1, gpus=0, available_gpus="", **resources)``: ``cpu=``/``gpu=`` override ``cpus``/
    ``gpus``; other keyword arguments (e.g. ``mem=8``) become consumables too. ``available_gpus`` lists the device ids
    (default ``0..gpus-1``). A request larger than the machine is clamped to the machine, with a warning.

    ``standby=True`` starts workers through a fork server (``sis worker --standby``, see ``sislite.forkserver``):
    Python and sislite are loaded once, so a task starts in milliseconds. ``standby=False`` spawns each worker."""

    poll_interval = 1.0

    def __init__(self, cpus=1, gpus=0, available_gpus="", standby=True, **kwargs):
        self.resources = {"cpu": cpus, "gpu": gpus}
        self.resources.update(kwargs)
        if available_gpus:
            self.gpu_ids = [g.strip() for g in str(available_gpus).split(",") if g.strip()]
        else:
            self.gpu_ids = [str(i) for i in range(int(self.resources["gpu"]))]
        if len(self.gpu_ids) != int(self.resources["gpu"]):
            raise ValueError(f"LocalEngine: gpus={self.resources['gpu']} but available_gpus={available_gpus!r} lists "
                             f"{len(self.gpu_ids)} ids: give one id per GPU")
        self.free = dict(self.resources)
        self.free_gpu_ids = list(self.gpu_ids)
        self._lock = threading.RLock()
        self._queue = []
        self._running = {}
        self._outcome = {}
        self.standby = standby
        self._servers = {}  # command prefix -> ForkServer
        self.hostname = socket.gethostname()

    # ---- submission and scheduling -------------------------------------------------------------------------------
    def submit_call(self, call, logpath, rqmt, name, task_name, task_ids):
        job_dir = os.path.dirname(os.path.abspath(logpath))
        with self._lock:
            for task_id in task_ids:
                key = (name, int(task_id))
                self._outcome.pop(key, None)
                self._queue.append(_Instance(key, list(call) + [str(task_id), "--redirect_output"], dict(rqmt),
                                             job_dir, task_name, int(task_id)))
            self._schedule()
        return "local", self.hostname

    def _need(self, rqmt, resource):
        default = 1 if resource == "cpu" else 0
        need = rqmt.get(resource, default) or 0
        if need > self.resources[resource]:
            log.warning("task asks for %s=%s but this machine has %s: running it with %s", resource, need,
                        self.resources[resource], self.resources[resource])
            need = self.resources[resource]
        return need

    def _schedule(self):
        with self._lock:
            waiting = []
            for inst in self._queue:
                needs = {r: self._need(inst.rqmt, r) for r in self.resources}
                if all(needs[r] <= self.free[r] for r in needs) and len(self.free_gpu_ids) >= int(needs["gpu"]):
                    for r, n in needs.items():
                        self.free[r] -= n
                    inst.reserved = needs
                    inst.gpus = [self.free_gpu_ids.pop(0) for _ in range(int(needs["gpu"]))]
                    self._start(inst)
                else:
                    waiting.append(inst)
            self._queue = waiting

    def _adopt(self, key, task, task_id, usage):
        """Book a worker an earlier manager started (still running, pid in its usage file) like one of ours: its
        requested resources and GPUs stay reserved until it exits (the free amounts may go below zero: then nothing
        new starts until enough has ended), its time limit is enforced from its start."""
        job_dir = os.path.dirname(os.path.abspath(task.path("usage", task_id)))
        rqmt = dict(usage.get("requested_resources") or task.rqmt())
        inst = _Instance(key, None, rqmt, job_dir, task.name(), int(task_id))
        inst.process = _AdoptedWorker(usage["pid"], task.path("usage", task_id))
        inst.reserved = {r: self._need(rqmt, r) for r in self.resources}
        for r, n in inst.reserved.items():
            self.free[r] -= n
        inst.gpus = [gpu for gpu in _visible_gpus(usage["pid"]) if gpu in self.free_gpu_ids]
        for gpu in inst.gpus:
            self.free_gpu_ids.remove(gpu)
        inst.done_fd = None
        inst.started = time.monotonic() - float(usage.get("used_time", 0) or 0) * 3600
        self._running[key] = inst
        log.info("adopted %s.%s (pid %s) from an earlier manager: holds %s", key[0], key[1], usage["pid"],
                 inst.reserved)
        threading.Thread(target=self._watch, args=(inst,), daemon=True).start()

    def _start(self, inst):
        env = {"CUDA_VISIBLE_DEVICES": ",".join(inst.gpus), "SISLITE_TASK_RQMT": repr(inst.rqmt)}
        log_path = os.path.join(inst.job_dir, f"log.{inst.task_name}.{inst.task_id}")
        with open(log_path, "ab") as log_file:  # created empty before the worker starts: see worker.run_worker
            inst.done_fd = None
            inst.process = self._launch_forked(inst.call, env)
            if inst.process is None:
                inst.done_fd, write_fd = os.pipe()
                try:
                    inst.process = subprocess.Popen(
                        inst.call, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                        start_new_session=True, env={**os.environ, **env, "SISLITE_DONE_FD": str(write_fd)},
                        pass_fds=(write_fd,))
                finally:
                    os.close(write_fd)
        inst.started = time.monotonic()
        inst.oom_kills_at_start = termination.oom_kill_count()
        self._running[inst.key] = inst
        threading.Thread(target=self._watch, args=(inst,), daemon=True).start()

    def _launch_forked(self, call, env):
        """Start ``call`` through the fork server of its command prefix (started on first use); None if the call
        cannot go through a fork server (standby off, or not a ``... worker ... --redirect_output`` call)."""
        if not self.standby or "worker" not in call or "--redirect_output" not in call:
            return None
        prefix = tuple(call[:call.index("worker")])
        server = self._servers.get(prefix)
        try:
            if server is None or not server.alive():
                server = self._servers[prefix] = ForkServer(prefix, notify_manager)
            return server.launch(call[len(prefix):], env)
        except OSError as error:
            log.warning("fork server for %s failed (%s): starting workers one by one", " ".join(prefix), error)
            self._servers.pop(prefix, None)
            return None

    def _watch(self, inst):
        limit = float(inst.rqmt.get("time", 0) or 0) * 3600
        deadline = inst.started + limit if limit > 0 else None
        out_of_time = False
        if isinstance(inst.process, ForkedProcess) and not inst.process.wait_started(60):
            log.warning("fork server did not start %s.%s in 60 s", inst.key[0], inst.key[1])
        if inst.done_fd is not None:
            # The worker writes to the done pipe once its finished/error marker exists: the manager can go on
            # while the worker process is still exiting (its resources stay reserved until it has exited).
            # (Forked workers report this through the fork server.)
            ready, _, _ = select.select([inst.done_fd], [], [], None if deadline is None else limit)
            if ready and os.read(inst.done_fd, 1):
                notify_manager()
            os.close(inst.done_fd)
        try:
            inst.process.wait(timeout=None if deadline is None else max(deadline - time.monotonic(), 0.001))
        except subprocess.TimeoutExpired:
            out_of_time = True
            _kill_group(inst.process)
        returncode = inst.process.wait()
        outcome = {"returncode": returncode, "out_of_time": out_of_time, "out_of_memory": False}
        usage_path = os.path.join(inst.job_dir, f"usage.{inst.task_name}.{inst.task_id}")
        if out_of_time or termination.exit_signal(returncode) is not None:
            # The worker could not say why it ended (it was killed): the engine records it.
            usage = read_usage(usage_path)
            oom_kills = termination.oom_kill_count()
            info = termination.classify(
                returncode, peak_rss_gb=usage.get("max", {}).get("rss"), mem_gb=inst.rqmt.get("mem"),
                oom_kills=None if oom_kills is None or inst.oom_kills_at_start is None
                else oom_kills - inst.oom_kills_at_start, out_of_time=out_of_time, by="the worker")
            if out_of_time:
                info["time_h"] = limit / 3600
            outcome["out_of_memory"] = info["cause"] == "out_of_memory"
            outcome["termination"] = info
            flags = {"out_of_time": True, "killed_after_h": limit / 3600} if out_of_time else {}
            if outcome["out_of_memory"]:
                flags["out_of_memory"] = True
            _mark_usage(usage_path, termination=info, **flags)
        with self._lock:
            self._outcome[inst.key] = outcome
            self._running.pop(inst.key, None)
            for r, n in inst.reserved.items():
                self.free[r] += n
            self.free_gpu_ids.extend(inst.gpus)
            self._schedule()
        notify_manager()

    # ---- state ---------------------------------------------------------------------------------------------------
    def task_state(self, task, task_id):
        """"running", "queue" or "unknown". A worker an earlier manager left running is "running" and from then on
        booked in this engine (its resources held until it exits): the books mirror what runs, nothing on disk
        changes."""
        key = (f"{task._job._sis_id()}.{task.name()}", int(task_id))
        with self._lock:
            if key in self._running:
                return "running"
            if any(inst.key == key for inst in self._queue):
                return "queue"
        if key not in self._outcome and _worker_alive(task.path("usage", task_id)):
            with self._lock:  # a worker left by an earlier manager is still at work: it holds its resources
                if key not in self._running:
                    self._adopt(key, task, task_id, read_usage(task.path("usage", task_id)))
            return "running"
        return "unknown"

    def termination_info(self, task, task_id):
        """``{"returncode", "out_of_time", "out_of_memory", "termination"}`` of the last run started by this engine,
        or just what the usage file says, or ``{}`` when nothing is known (e.g. after a manager restart)."""
        key = (f"{task._job._sis_id()}.{task.name()}", int(task_id))
        info = dict(self._outcome.get(key, {}))
        usage = read_usage(task.path("usage", task_id))
        for flag in ("out_of_memory", "out_of_time"):
            if info or usage.get(flag):
                info[flag] = bool(info.get(flag) or usage.get(flag))
        if usage.get("termination") and (info or usage.get("out_of_memory") or usage.get("out_of_time")
                                         or usage["termination"].get("cause") == "killed"):
            info.setdefault("termination", usage["termination"])
        return info

    def get_default_rqmt(self, task):
        return {"cpu": 1, "mem": 1, "time": 1}

    def stop_engine(self):
        """Ends the fork server; running workers finish on their own and a new manager adopts them."""
        with self._lock:
            for server in self._servers.values():
                server.close()
            self._servers.clear()


class _AdoptedWorker:
    """A worker this engine did not start (no child of ours): waits by polling until it has gone; its exit status is
    unknown (None). Killed as its process group (workers run in their own session)."""

    def __init__(self, pid, usage_path):
        self.pid = pid
        self.usage_path = usage_path

    def wait(self, timeout=None):
        end = None if timeout is None else time.monotonic() + timeout
        while _worker_alive(self.usage_path):
            if end is not None and time.monotonic() >= end:
                raise subprocess.TimeoutExpired(f"adopted worker {self.pid}", timeout)
            time.sleep(LocalEngine.poll_interval)
        return None


def _visible_gpus(pid):
    """The GPU ids in ``CUDA_VISIBLE_DEVICES`` of process ``pid`` (empty if unreadable)."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            entries = f.read().split(b"\0")
    except OSError:
        return []
    for entry in entries:
        if entry.startswith(b"CUDA_VISIBLE_DEVICES="):
            return [gpu for gpu in entry.split(b"=", 1)[1].decode(errors="replace").split(",") if gpu]
    return []


def _kill_group(process):
    for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, None)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        if grace is None:
            return
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def read_usage(path):
    """The dict in a ``usage.<task>.<id>`` file ({} if missing or unreadable)."""
    try:
        with open(path) as f:
            return ast.literal_eval(f.read())
    except (OSError, ValueError, SyntaxError):
        return {}


def _mark_usage(path, **flags):
    usage = read_usage(path)
    usage.update(flags)
    write_atomically(path, pprint.pformat(usage) + "\n")


def _worker_alive(usage_path):
    """True if the worker that wrote ``usage_path`` still runs (its pid is alive and works for that job)."""
    pid = read_usage(usage_path).get("pid")
    if not pid:
        return False
    job_dir = os.path.dirname(os.path.abspath(usage_path))
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read().split(b"\0")
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        cwd = os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return False
    if state in ("Z", "X") or b"worker" not in cmdline:
        return False
    return cwd.startswith(job_dir) or any(os.path.basename(job_dir).encode() in arg for arg in cmdline)
