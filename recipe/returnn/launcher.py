"""Starting RETURNN: the command line (``<python> -m returnn <config>``), its environment, and running it so that its
output goes to the task log and a failure raises an error carrying RETURNN's own error message (the most informative
error line of its output, see :mod:`recipe.returnn.error_line`, and the tail)."""

import collections
import os
import re
import signal
import subprocess
import sys

from recipe.returnn.error_hints import hint_for
from recipe.returnn.error_line import ErrorLineFinder, shorten
from recipe.returnn.peak_memory import GpuMemoryPoller, wait_reporting_peak_rss

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
TAIL_LINE_CHARS = 1000
"""Lines of the tail kept in the error message are cut to this length (the full lines are in the task log)."""


class ReturnnError(RuntimeError):
    """RETURNN exited with an error. The message starts with RETURNN's most informative error line, then the tail of
    its output, and ends with the error line again, so that it is also among the last lines of the task log (what
    the manager shows of a failed job)."""

    def __init__(self, returncode, config_file, error_line, tail, hint=None):
        self.returncode = returncode
        self.config_file = config_file
        self.error_line = error_line
        self.tail = tail
        self.hint = hint
        hint_line = f"\n--- hint: {hint}" if hint else ""
        super().__init__(f"RETURNN failed (exit code {returncode}) running {config_file}: {error_line}{hint_line}\n"
                         f"--- last lines of RETURNN's output ---\n" + "\n".join(tail) +
                         f"\n--- RETURNN's error: {error_line}{hint_line}")


def task_rqmt(job_name, device, cpu, mem, time):
    """The ``rqmt`` of a RETURNN task: cpu/mem (GB)/time (h) as given, one GPU for ``device="gpu"``. Rejects any
    other device than "cpu" or "gpu" (named with ``job_name``)."""
    if device not in ("cpu", "gpu"):
        raise ValueError(f"{job_name}(device={device!r}): use 'cpu' or 'gpu'")
    return {"cpu": cpu, "mem": mem, "time": time, "gpu": 1 if device == "gpu" else 0}


def session_post_config(returnn_config, cpu_threads, device):
    """``{"tf_session_opts": ...}`` for a job's post_config (never hashed, like device and rqmt): TensorFlow's
    intra-op and inter-op pools as large as the task's ``cpu`` rqmt (what RETURNN picks from ``OMP_NUM_THREADS``,
    now written into the config as run, so a run by hand uses the same; two inter-op threads let the BLSTM's
    forward and backward LSTM run at once, whose CPU kernels use one core each), and for
    ``device="gpu"`` GPU memory taken as needed (``allow_growth``: the peak recorded is what TF used, not the whole
    card); options the user's post_config sets in its own ``tf_session_opts`` win."""
    threads = max(1, int(cpu_threads))
    options = {"intra_op_parallelism_threads": threads, "inter_op_parallelism_threads": threads}
    if device == "gpu":
        options["gpu_options"] = {"allow_growth": True}
    options.update(returnn_config.post_config.get("tf_session_opts") or {})
    return {"tf_session_opts": options}


def returnn_command(config_file, python_exe=None, extra_args=()):
    """``[<python>, "-m", "returnn", <config>, ...]``; python defaults to the interpreter running the task."""
    return [python_exe or sys.executable, "-m", "returnn", os.fspath(config_file), *extra_args]


def gpu_present():
    """True if an NVIDIA GPU is visible to this process."""
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) in ("", "-1", "NoDevFiles"):
        return False
    return os.path.exists("/dev/nvidia0") or os.path.exists("/proc/driver/nvidia/gpus")


def returnn_environment(cpu_threads=1, use_gpu=False, base=None):
    """The environment for RETURNN: thread counts from the cpu rqmt, no colour codes in the log, and
    ``DISABLE_CUDA=1`` when no GPU is used (else RETURNN tries to compile CUDA ops when nvcc is on PATH)."""
    env = dict(os.environ if base is None else base)
    threads = str(max(1, int(cpu_threads)))
    env.update({"OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads, "CLICOLOR": "0",
                "PYTHONUNBUFFERED": "1", "TF_CPP_MIN_LOG_LEVEL": env.get("TF_CPP_MIN_LOG_LEVEL", "1")})
    if not use_gpu:
        env["DISABLE_CUDA"] = "1"
        env["CUDA_VISIBLE_DEVICES"] = ""
    return env


def _die_with_parent():
    """In the child: get SIGKILL when the task process dies, so a killed worker leaves no RETURNN behind that keeps
    writing checkpoints beside the resumed run (Linux only; elsewhere a no-op)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 (best effort)
        pass


def run_returnn(config_file, *, python_exe=None, cpu_threads=1, device="cpu", extra_args=(), cwd=None,
                tail_lines=40, stream=None):
    """Run RETURNN on ``config_file``; its stdout/stderr are copied line by line to ``stream`` (default: this
    process's stdout, i.e. the task log). Raises :class:`ReturnnError` on failure. RETURNN killed by SIGKILL (exit
    code 137) is raised as ``subprocess.CalledProcessError(137)``: the worker then tells a ``kill -9`` from out of
    memory (sislite/termination.py) and the task is resubmitted, not failed.

    ``device="gpu"`` without a visible GPU runs on the CPU (``++device cpu``) and says so in the log. Returns the
    run's peak memory: ``{"peak_rss_gb": .., "peak_gpu_memory_gb": .. (None on the CPU)}``, also printed to the log
    (see :mod:`recipe.returnn.peak_memory`)."""
    stream = stream or sys.stdout
    use_gpu = device == "gpu" and gpu_present()
    args = list(extra_args)
    if device == "gpu" and not use_gpu:
        print("recipe.returnn: device 'gpu' requested but no GPU is visible here; running on the CPU", file=stream)
        args += ["++device", "cpu"]
    command = returnn_command(config_file, python_exe, args)
    print("recipe.returnn: running " + " ".join(command), file=stream, flush=True)
    tail = collections.deque(maxlen=tail_lines)
    error_lines = ErrorLineFinder()
    process = subprocess.Popen(command, cwd=cwd, env=returnn_environment(cpu_threads, use_gpu),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               preexec_fn=_die_with_parent, text=True, errors="replace", bufsize=1)
    gpu_memory = GpuMemoryPoller(process.pid) if use_gpu else None
    try:
        for line in process.stdout:
            stream.write(line)
            line = ANSI_ESCAPE.sub("", line.rstrip("\n"))
            error_lines.feed(line)
            tail.append(shorten(line, TAIL_LINE_CHARS) if len(line) > TAIL_LINE_CHARS else line)
        returncode, peak_rss_gb = wait_reporting_peak_rss(process)
    except BaseException:
        process.kill()
        process.wait()
        raise
    finally:
        peak_gpu_gb = gpu_memory.stop() if gpu_memory is not None else None
        stream.flush()
    if returncode == 0:
        peak = {"peak_rss_gb": round(peak_rss_gb, 3),
                "peak_gpu_memory_gb": None if peak_gpu_gb is None else round(peak_gpu_gb, 3)}
        print(f"recipe.returnn: peak memory {peak}", file=stream, flush=True)
        return peak
    if returncode in (137, -signal.SIGKILL):
        raise subprocess.CalledProcessError(137, command)
    error_line = error_lines.error_line()
    raise ReturnnError(returncode, os.fspath(config_file), error_line, list(tail),
                       hint_for(error_line, error_lines.layer_name(), error_lines.files()))
