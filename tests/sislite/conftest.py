"""Shared fixtures of the sislite tests: ``slurm_cluster``, the one-node Slurm of scripts/slurm_cluster.sh.

Tests that need it are skipped with the reason where the cluster cannot be started (not root, not Debian, the start
script failed or took too long); with ``SISLITE_REQUIRE_SLURM=1`` (CI) they fail instead.
"""

import os
import pathlib
import shutil
import subprocess

import pytest

SLURM_CLUSTER_SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "scripts" / "slurm_cluster.sh"


def _unavailable(reason):
    if os.environ.get("SISLITE_REQUIRE_SLURM") == "1":
        pytest.fail(f"SISLITE_REQUIRE_SLURM=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def slurm_cluster():
    """A running one-node Slurm (yields the path of scripts/slurm_cluster.sh); stopped at the end of the test
    session if this session started it."""
    script = str(SLURM_CLUSTER_SCRIPT)
    if os.geteuid() != 0:
        _unavailable("Slurm tests need root: scripts/slurm_cluster.sh installs Debian packages and starts daemons")
    if not shutil.which("sbatch") and not shutil.which("apt-get"):
        _unavailable("Slurm is not installed and apt-get is missing (not Debian): cannot start a test cluster")
    was_running = subprocess.run([script, "status"], capture_output=True).returncode == 0
    try:
        started = subprocess.run([script, "start"], capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired:
        _unavailable("scripts/slurm_cluster.sh start took longer than 900 s")
    if started.returncode != 0:
        _unavailable(f"scripts/slurm_cluster.sh start failed: {(started.stderr or started.stdout).strip()[-600:]}")
    yield SLURM_CLUSTER_SCRIPT
    if not was_running:
        subprocess.run([script, "stop"], capture_output=True, timeout=120)
