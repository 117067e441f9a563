"""Shared fixtures of the sislite tests: ``slurm_cluster``, the one-node Slurm of scripts/slurm_cluster.sh, and
``gridengine_cluster``, the one-node Grid Engine of scripts/gridengine_cluster.sh, and ``batch_setup``, a setup
directory for graphs that a batch system runs.

Tests that need one are skipped with the reason where the cluster cannot be started (not root, not Debian, the start
script failed or took too long); with ``SISLITE_REQUIRE_SLURM=1`` / ``SISLITE_REQUIRE_GRIDENGINE=1`` they fail instead.
"""

import os
import pathlib
import shutil
import subprocess

import pytest

SCRIPTS = pathlib.Path(__file__).resolve().parents[2] / "scripts"
SLURM_CLUSTER_SCRIPT = SCRIPTS / "slurm_cluster.sh"
GRIDENGINE_CLUSTER_SCRIPT = SCRIPTS / "gridengine_cluster.sh"


def _unavailable(reason, require_variable="SISLITE_REQUIRE_SLURM"):
    if os.environ.get(require_variable) == "1":
        pytest.fail(f"{require_variable}=1 but {reason}")
    pytest.skip(reason)


def _cluster(script_path, client_command, kind, require_variable):
    """Start the cluster of ``script_path`` unless it runs; yields the script path, stops it afterwards if it was
    started here."""
    script = str(script_path)
    if os.geteuid() != 0:
        _unavailable(f"{kind} tests need root: {script_path.name} installs Debian packages and starts daemons",
                     require_variable)
    if not shutil.which(client_command) and not shutil.which("apt-get"):
        _unavailable(f"{kind} is not installed and apt-get is missing (not Debian): cannot start a test cluster",
                     require_variable)
    was_running = subprocess.run([script, "status"], capture_output=True).returncode == 0
    try:
        started = subprocess.run([script, "start"], capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired:
        _unavailable(f"scripts/{script_path.name} start took longer than 900 s", require_variable)
    if started.returncode != 0:
        _unavailable(f"scripts/{script_path.name} start failed: {(started.stderr or started.stdout).strip()[-600:]}",
                     require_variable)
    yield script_path
    if not was_running:
        subprocess.run([script, "stop"], capture_output=True, timeout=120)


@pytest.fixture(scope="session")
def slurm_cluster():
    """A running one-node Slurm (yields the path of scripts/slurm_cluster.sh); stopped at the end of the test
    session if this session started it."""
    yield from _cluster(SLURM_CLUSTER_SCRIPT, "sbatch", "Slurm", "SISLITE_REQUIRE_SLURM")


@pytest.fixture(scope="session")
def gridengine_cluster():
    """A running one-node Grid Engine (yields the path of scripts/gridengine_cluster.sh); stopped at the end of the
    test session if this session started it."""
    yield from _cluster(GRIDENGINE_CLUSTER_SCRIPT, "qsub", "Grid Engine", "SISLITE_REQUIRE_GRIDENGINE")


# Settings of the batch-system graph tests: no waits beyond one second between checks, jobs kept after they finish.
BATCH_TEST_SETTINGS = """
WAIT_PERIOD_BETWEEN_CHECKS = 1
WAIT_PERIOD_JOB_FS_SYNC = 0
WAIT_PERIOD_JOB_CLEANUP = 0
WAIT_PERIOD_CACHE = 0
WAIT_PERIOD_MTIME_OF_INPUTS = 0
WAIT_PERIOD_FOR_INPUTS_AVAILABLE = 5
PLOGGING_UPDATE_FILE_PERIOD = 1
SKIP_IS_FINISHED_TIMEOUT = True
JOB_AUTO_CLEANUP = False
ENGINE_NOT_SETUP_WARNING = False
"""


@pytest.fixture
def batch_setup(tmp_path):
    """``make(package, jobs_source, extra_settings="")``: a setup directory in tmp_path with the jobs as
    ``recipe/<package>/jobs.py``, empty ``config/`` and ``work/``, and ``settings.py`` (BATCH_TEST_SETTINGS plus
    ``extra_settings``, e.g. an ``engine()``); returns its path."""
    def make(package, jobs_source, extra_settings=""):
        (tmp_path / "recipe" / package).mkdir(parents=True)
        (tmp_path / "recipe" / "__init__.py").write_text("")
        (tmp_path / "recipe" / package / "__init__.py").write_text("")
        (tmp_path / "recipe" / package / "jobs.py").write_text(jobs_source)
        (tmp_path / "config").mkdir()
        (tmp_path / "config" / "__init__.py").write_text("")
        (tmp_path / "work").mkdir()
        (tmp_path / "settings.py").write_text(BATCH_TEST_SETTINGS + extra_settings)
        return tmp_path

    return make
