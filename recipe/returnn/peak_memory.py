"""Peak memory of a RETURNN run: the process's peak resident set (RSS, from the kernel when the process is reaped)
and, on a GPU, the most GPU memory ``nvidia-smi`` saw the process hold (sampled every few seconds; the jobs let
TensorFlow take GPU memory as it needs it, ``allow_growth``, in chunks: what it held, not the least it needs). A training records them in its job
directory (:func:`record_peak_memory`), where the report reads them (:func:`read_peak_memory`)."""

import json
import os
import shutil
import subprocess
import threading

from recipe.atomic_output import write_json_atomically

GPU_POLL_SECONDS = 2.0


def wait_reporting_peak_rss(process):
    """Wait for a ``subprocess.Popen`` to exit; returns (exit code, peak RSS in GB of the process and the children
    it waited for). Sets ``process.returncode`` as ``process.wait()`` would."""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, usage.ru_maxrss / 1024 ** 2  # ru_maxrss is in KiB on Linux


class GpuMemoryPoller:
    """Samples the GPU memory ``nvidia-smi`` reports for one process id in a background thread; ``peak_gb`` is the
    largest sample (None without nvidia-smi or before the process held any GPU memory)."""

    def __init__(self, pid, interval=GPU_POLL_SECONDS):
        self.pid, self.interval, self.peak_gb = pid, interval, None
        self._stop = threading.Event()
        self._thread = None
        if shutil.which("nvidia-smi"):
            self._thread = threading.Thread(target=self._poll, name="gpu-memory-poller", daemon=True)
            self._thread.start()

    def _sample(self):
        try:
            output = subprocess.run(["nvidia-smi", "--query-compute-apps=pid,used_memory",
                                     "--format=csv,noheader,nounits"], capture_output=True, text=True,
                                    timeout=30).stdout
        except (OSError, subprocess.SubprocessError):
            return None
        used = [float(fields[1]) for fields in (line.split(",") for line in output.splitlines())
                if len(fields) == 2 and fields[0].strip() == str(self.pid) and fields[1].strip().isdigit()]
        return sum(used) / 1024 if used else None  # MiB -> GiB

    def _poll(self):
        while not self._stop.wait(self.interval):
            sample = self._sample()
            if sample is not None:
                self.peak_gb = max(sample, self.peak_gb or 0.0)

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
        return self.peak_gb


def record_peak_memory(path, peak):
    """Merge one run's ``{"peak_rss_gb": .., "peak_gpu_memory_gb": ..}`` into the JSON record at ``path`` (the
    maximum over the runs of a resumed training, and their number), written atomically."""
    record = read_peak_memory(path) or {"runs": 0}
    record["runs"] = record.get("runs", 0) + 1
    for key, value in peak.items():
        if value is not None:
            record[key] = round(max(value, record.get(key) or 0.0), 3)
        else:
            record.setdefault(key, None)
    write_json_atomically(path, record, indent=2, sort_keys=True)
    return record


def read_peak_memory(path):
    """The record at ``path`` as a dict, or None when there is none (e.g. a training finished before peaks were
    recorded)."""
    try:
        with open(path, encoding="utf-8") as file:
            record = json.load(file)
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None
