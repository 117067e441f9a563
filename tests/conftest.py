"""Shared fixtures: run a real Sisyphus graph with sislite in a temporary setup directory.

``sis_setup`` gives a :class:`SisSetup`: a temporary setup directory with the repo's ``recipe/`` and ``setups/``
linked in, an empty ``config/`` package and a fast ``settings.py`` (LocalEngine with 2 cpus, no waits). Use it as::

    def test_graph(sis_setup):
        sis_setup.write("testjobs/jobs.py", JOB_SOURCE)          # optional extra modules (importable by name)
        config = sis_setup.write_config('''
            from recipe.sis_api import tk
            ...
            tk.register_output("x.txt", job.out_x)
        ''')
        result = sis_setup.run_manager(config, timeout=120)      # `sis manager -r config/main.py`, subprocess
        assert result.returncode == 0, result.output
        assert (sis_setup.root / "output/x.txt").exists()

``result`` is a ``subprocess.CompletedProcess`` with ``stdout``/``stderr`` text and ``output`` (both together).
``sis_setup.start_manager(config)`` returns the ``Popen`` instead (for kill tests); ``sis_setup.env`` is the
environment used (SISLITE_FORCE=1, the repo on PYTHONPATH, 1 thread for OMP/TF, DISABLE_CUDA=1).
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

FAST_SETTINGS = """\
# Test settings: a small local engine, no waits.
WAIT_PERIOD_JOB_FS_SYNC = 0
WAIT_PERIOD_JOB_CLEANUP = 0
WAIT_PERIOD_BETWEEN_CHECKS = 1
WAIT_PERIOD_CACHE = 1
WAIT_PERIOD_MTIME_OF_INPUTS = 0
WAIT_PERIOD_FOR_INPUTS_AVAILABLE = 5
SKIP_IS_FINISHED_TIMEOUT = True
JOB_AUTO_CLEANUP = False
CLEANUP_ENVIRONMENT = False
PLOGGING_INTERVAL = 1
PLOGGING_UPDATE_FILE_PERIOD = 2
PRINT_ERROR_LINES = 20


def engine():
    from sisyphus.localengine import LocalEngine

    return LocalEngine(cpus={cpus}, gpus=0, mem={mem})
"""


class SisSetup:
    """A temporary setup directory (see the module docstring)."""

    def __init__(self, root, cpus=2, mem=8):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        for name in ("recipe", "setups"):
            if (REPO / name).is_dir():
                (self.root / name).symlink_to(REPO / name)
        (self.root / "config").mkdir(exist_ok=True)
        (self.root / "config" / "__init__.py").touch()
        (self.root / "settings.py").write_text(FAST_SETTINGS.format(cpus=cpus, mem=mem))
        self.env = dict(os.environ)
        self.env.update({"SISLITE_FORCE": "1", "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1",
                         "MKL_NUM_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1",
                         "DISABLE_CUDA": "1", "CUDA_VISIBLE_DEVICES": "", "PYTHONUNBUFFERED": "1"})
        self.env.pop("SIS_GLOBAL_SETTINGS_FILE", None)
        self.python = sys.executable

    def write(self, relpath, text):
        """Write a file (dedented); missing package directories get an ``__init__.py``."""
        path = self.root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        if relpath.endswith(".py"):
            parent = path.parent
            while parent != self.root:
                (parent / "__init__.py").touch()
                parent = parent.parent
        path.write_text(textwrap.dedent(text))
        return path

    def write_config(self, text, name="main"):
        """Write ``config/<name>.py``; returns the config argument for ``sis manager`` (``config/<name>.py``)."""
        self.write(f"config/{name}.py", text)
        return f"config/{name}.py"

    def command(self, *args):
        return [self.python, "-m", "sislite", *args]

    def run_manager(self, *configs, extra_args=(), timeout=120):
        """``sis manager -r [extra_args] CONFIG...`` as a subprocess; returns the CompletedProcess (+ ``.output``)."""
        result = subprocess.run(self.command("manager", "-r", *extra_args, *configs), cwd=self.root, env=self.env,
                                stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
        result.output = result.stdout + result.stderr
        return result

    def start_manager(self, *configs, extra_args=()):
        """Start ``sis manager -r`` in the background (own session); returns the Popen (stdout+stderr piped)."""
        return subprocess.Popen(self.command("manager", "-r", *extra_args, *configs), cwd=self.root, env=self.env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, start_new_session=True)

    def job_dirs(self, pattern="*"):
        """Job directories under ``work/`` whose ``<module path>/<Class>.<hash>`` matches ``pattern`` (glob)."""
        return sorted(p.parent for p in (self.root / "work").glob(f"**/{pattern}/job.save"))


@pytest.fixture
def sis_setup(tmp_path):
    """A temporary setup directory with a fast settings.py; see :class:`SisSetup`."""
    return SisSetup(tmp_path / "setup")
