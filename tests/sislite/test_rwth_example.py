"""RWTH Sisyphus' own ``example/`` setup (its configs and recipes unchanged) runs to the end under sislite posing as
``sisyphus`` and gives what RWTH Sisyphus computes: the same 47 job ids and the same ``output/result``.

The example's ids depend on where it lives (``LineSpliter.hash`` hashes the input file's absolute path, and the
scores are seeded with job ids), so it runs in a fixed directory; ``rwth_example_expected.json`` holds what RWTH
Sisyphus computed there with the same settings. Only the settings are ours: no waits, and a local engine with
``available_gpus`` (RWTH needs it for the example's gpu request). Needs ``$RWTH_SISYPHUS_SRC``; skipped without it.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import sislite

RWTH_SRC = os.environ.get("RWTH_SISYPHUS_SRC")
EXPECTED = json.loads((Path(__file__).parent / "rwth_example_expected.json").read_text())

SETTINGS = """\
WAIT_PERIOD_JOB_FS_SYNC = 0
WAIT_PERIOD_JOB_CLEANUP = 0
WAIT_PERIOD_BETWEEN_CHECKS = 1
WAIT_PERIOD_CACHE = 1
WAIT_PERIOD_MTIME_OF_INPUTS = 0
JOB_AUTO_CLEANUP = False
USE_VERBOSE_TRACEBACK = False


def engine():
    from sisyphus.localengine import LocalEngine

    return LocalEngine(cpus=8, gpus=1, mem=16, available_gpus="0")
"""


@pytest.mark.skipif(not RWTH_SRC, reason="RWTH_SISYPHUS_SRC is not set (the unpacked RWTH Sisyphus source; "
                                         ".ci/run sets it)")
def test_rwth_example_gives_rwth_job_ids_and_result(tmp_path):
    example = Path(EXPECTED["directory"])
    if example.exists():
        shutil.rmtree(example)
    shutil.copytree(Path(RWTH_SRC) / "example", example)
    (example / "settings.py").write_text(SETTINGS)
    lib = tmp_path / "lib"  # only sislite importable: no RWTH Sisyphus, no project packages named recipe/config
    lib.mkdir()
    (lib / "sislite").symlink_to(os.path.dirname(os.path.abspath(sislite.__file__)))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIS_", "PYTHON"))}
    env.update(PYTHONPATH=str(lib), SISLITE_FORCE="1")
    result = subprocess.run([sys.executable, "-m", "sislite", "manager", "-r"], cwd=example, env=env,
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    ids = sorted(str(p.parent.relative_to(example / "work")) for p in (example / "work").glob("**/job.save"))
    assert ids == EXPECTED["job_ids"]
    output = (example / "output" / "result").read_bytes()
    assert output.decode().splitlines()[0] == EXPECTED["result_first_line"]
    assert hashlib.sha256(output).hexdigest() == EXPECTED["result_sha256"]
    shutil.rmtree(example)
