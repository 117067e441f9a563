"""The peak-memory record of a training: the maximum over the runs of a resumed training, None where a run had no
GPU, no record at all for trainings that never wrote one; a reaped child's peak RSS comes from the kernel."""

import subprocess
import sys

from recipe.returnn.peak_memory import read_peak_memory, record_peak_memory, wait_reporting_peak_rss


def test_runs_of_a_resumed_training_keep_the_maximum(tmp_path):
    path = str(tmp_path / "peak_memory.json")
    assert read_peak_memory(path) is None
    record_peak_memory(path, {"peak_rss_gb": 2.5, "peak_gpu_memory_gb": None})
    record = record_peak_memory(path, {"peak_rss_gb": 1.25, "peak_gpu_memory_gb": None})
    assert record == read_peak_memory(path) == {"peak_rss_gb": 2.5, "peak_gpu_memory_gb": None, "runs": 2}
    assert record_peak_memory(path, {"peak_rss_gb": 3.0, "peak_gpu_memory_gb": 7.5})["peak_gpu_memory_gb"] == 7.5


def test_peak_rss_of_a_child_that_allocated_memory():
    touch_300_mb = "x = bytearray(300 * 1024 ** 2); x[::4096] = b'1' * len(x[::4096])"
    process = subprocess.Popen([sys.executable, "-c", touch_300_mb])
    returncode, peak_gb = wait_reporting_peak_rss(process)
    assert returncode == 0 == process.returncode and 0.3 <= peak_gb < 2.0
