"""Why a task (or the subprocess it ran) ended, told apart: killed by a signal, out of memory, out of time, or an exit
code; and the one line the manager prints about it.

Out of memory needs evidence, not just a SIGKILL (``kill -9``, a node going down and the kernel's OOM killer all
look alike from the exit status): the kernel's OOM-kill counter of this machine's memory cgroup went up while the task
ran, or its memory high-water mark reached :data:`OUT_OF_MEMORY_FRACTION` of the memory it requested (how an engine
that enforces the request ends it). Only then is ``out_of_memory`` recorded, and only that raises the memory of the
resubmission. A termination is a dict, kept in ``usage.<task>.<id>`` under ``termination``::

    {"cause": "killed" | "out_of_memory" | "out_of_time" | "crashed" | "exit_code", "signal": 9, "exit_code": 137,
     "peak_rss_gb": 0.42, "mem_gb": 4, "oom_kills": 0, "by": "python -m returnn", "engine_says": "Slurm: ..."}
"""

import os
import re
import signal as signal_module

OUT_OF_MEMORY_FRACTION = 0.95
"""A SIGKILL with a memory high-water mark of at least this fraction of the requested memory counts as OOM."""

INTERRUPTING_SIGNALS = (signal_module.SIGKILL, signal_module.SIGTERM, signal_module.SIGINT, signal_module.SIGHUP)
"""A process ended by one of these was stopped from outside (a user, the OOM killer, an engine): "killed", and its
task is interrupted, not failed; other signals (SIGSEGV, SIGABRT, ...) are a crash."""

_OOM_KILL_LINE = re.compile(r"^oom_kill (\d+)$", re.MULTILINE)


def _memory_cgroup_files():
    """Candidate files holding this process's cgroup ``oom_kill`` counter (cgroup v2 ``memory.events``, v1
    ``memory.oom_control``), most specific first."""
    candidates = []
    try:
        with open("/proc/self/cgroup") as f:
            lines = f.read().splitlines()
    except OSError:
        lines = []
    for line in lines:
        hierarchy, controllers, path = (line.split(":", 2) + ["", ""])[:3]
        path = path.lstrip("/")
        if hierarchy == "0" and not controllers:
            candidates += [os.path.join("/sys/fs/cgroup", path, "memory.events"),
                           os.path.join("/sys/fs/cgroup/unified", path, "memory.events")]
        elif "memory" in controllers.split(","):
            candidates.append(os.path.join("/sys/fs/cgroup/memory", path, "memory.oom_control"))
    candidates += ["/sys/fs/cgroup/memory.events", "/sys/fs/cgroup/memory/memory.oom_control"]
    return candidates


def oom_kill_count():
    """How many processes the kernel's OOM killer has ended in this process's memory cgroup so far, or None when
    the kernel does not tell."""
    for path in _memory_cgroup_files():
        try:
            with open(path) as f:
                found = _OOM_KILL_LINE.search(f.read())
        except OSError:
            continue
        if found:
            return int(found.group(1))
    return None


def exit_signal(returncode):
    """The signal that ended a process from its return code (``-9`` from Popen, ``137`` from a shell), or None."""
    if returncode is None:
        return None
    if returncode < 0:
        return -returncode
    if 128 < returncode <= 128 + 64:
        return returncode - 128
    return None


def signal_name(number):
    try:
        return signal_module.Signals(number).name
    except ValueError:
        return f"signal {number}"


def classify(returncode, peak_rss_gb=None, mem_gb=None, oom_kills=None, out_of_time=False, by=None):
    """The termination dict (module docstring) of a process that ended with ``returncode``; ``oom_kills``: how many
    OOM kills the cgroup counted while it ran (None: unknown)."""
    number = exit_signal(returncode)
    info = {"exit_code": returncode, "signal": number, "peak_rss_gb": _rounded(peak_rss_gb), "mem_gb": mem_gb,
            "oom_kills": oom_kills}
    if by:
        info["by"] = by
    near_limit = bool(mem_gb and peak_rss_gb is not None and peak_rss_gb >= OUT_OF_MEMORY_FRACTION * mem_gb)
    if out_of_time:
        info["cause"] = "out_of_time"
    elif number == signal_module.SIGKILL and ((oom_kills or 0) > 0 or near_limit):
        info["cause"] = "out_of_memory"
    elif number in INTERRUPTING_SIGNALS:
        info["cause"] = "killed"
    elif number is not None:
        info["cause"] = "crashed"
    else:
        info["cause"] = "exit_code"
    return info


def _rounded(value):
    return None if value is None else round(float(value), 3)


def _memory_text(info):
    peak, mem = info.get("peak_rss_gb"), info.get("mem_gb")
    parts = []
    if peak is not None:
        parts.append(f"peak rss {peak:g} GB" + (f" of {mem:g} GB requested" if mem else ""))
    kills = info.get("oom_kills")
    if kills is not None:
        parts.append(f"{kills} OOM kill(s) by the kernel meanwhile" if kills else "no OOM kill by the kernel")
    return ", ".join(parts)


def describe(info):
    """One line saying why the task ended and what the manager does about it, e.g. ``killed by SIGKILL (not out of
    memory: peak rss 0.4 GB of 4 GB requested, no OOM kill by the kernel); resubmitted with the same memory``."""
    if not info:
        return "ended without a finished or error marker (cause unknown)"
    cause = info.get("cause")
    who = f"{info['by']}: " if info.get("by") else ""
    memory = _memory_text(info)
    engine = f"; {info['engine_says']}" if info.get("engine_says") else ""
    if cause == "out_of_memory":
        return f"{who}out of memory ({memory or 'the engine says so'}{engine}); a resubmission asks for more memory"
    if cause == "out_of_time":
        limit = info.get("time_h")
        return (f"{who}out of time" + (f" (limit {limit:g} h{engine})" if limit else engine and f" ({engine[2:]})")
                + "; a resubmission asks for more time")
    if cause == "killed":
        return (f"{who}killed by {signal_name(info['signal'])} (not out of memory"
                + (f": {memory}" if memory else "") + f"{engine}); a resubmission keeps the memory")
    if cause == "crashed":
        return f"{who}crashed with {signal_name(info['signal'])}{engine and f' ({engine[2:]})'}"
    return f"{who}ended with exit code {info.get('exit_code')}{engine and f' ({engine[2:]})'}"
