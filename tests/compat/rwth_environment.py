"""Isolated Python environments with RWTH Sisyphus and this project installed (by pip, in a chosen order), and
small setup directories that run config/transfer.py on a tiny profile.

An environment is a fresh virtualenv that reuses the packages of the running interpreter (RETURNN, TensorFlow, ...)
through a ``.pth`` file, so nothing is downloaded; pip installs the two packages into it with ``--no-deps``. Which
``bin/sis`` it ends with depends on the order, as for a user: the package installed last owns it. RWTH Sisyphus is
installed without its ``ipython``/``flask`` dependencies, so its runs get ``SIS_USE_VERBOSE_TRACEBACK=False`` (the
only place the manager needs IPython; ``flask`` is only for ``--http``).
"""

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

TINY_CONFIG = '''\
"""config/transfer.py on a tiny profile: a few utterances, one-epoch trainings of small networks, one transfer
variant (tests/compat)."""

from config import transfer
from setups import profiles


def py():
    profile = profiles.get_profile("demo")
    profile["corpus"].update(num_utterances=16, speakers_per_split={"train": 2, "dev": 1, "test": 1}, digits=(1, 3))
    small = {"conv_1_channels": 4, "conv_2_channels": 8, "lin_dim": 8, "ff_dim": 8}
    profile["baseline"].update(num_epochs=1, network={**small, "window": 3})
    profile["blstm"].update(num_epochs=1, network={**small, "rnn_layer_nodes": 4})
    profile["transfer"]["variants"] = ("frozen",)
    profile["rqmt"] = {"train": {"cpu": 1, "mem": 1, "time": 1}, "eval": {"cpu": 1, "mem": 1, "time": 1}}
    transfer.build(profile)
'''


class Environment:
    """A virtualenv at ``root`` with ``packages`` pip-installed in that order (see the module docstring)."""

    def __init__(self, root, packages):
        self.root = Path(root)
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(self.root)], check=True)
        version = f"python{sys.version_info.major}.{sys.version_info.minor}"
        site_packages = self.root / "lib" / version / "site-packages"
        reused = [p for p in sys.path if p.rstrip("/").endswith("site-packages") and os.path.isdir(p)]
        (site_packages / "zz_reused_packages.pth").write_text("\n".join(reused) + "\n")
        for package in packages:
            editable = ["-e"] if Path(package) == REPO else []
            subprocess.run([sys.executable, "-m", "pip", "--python", str(self.python), "install", "-q", "--no-deps",
                            "--no-build-isolation", "--no-index", "--ignore-installed", *editable, str(package)],
                           check=True, capture_output=True, text=True)

    @property
    def python(self):
        return self.root / "bin" / "python"

    @property
    def sis(self):
        return self.root / "bin" / "sis"

    def sis_owner(self):
        """"sisyphus" or "sislite": whose ``main`` the ``bin/sis`` script starts."""
        text = self.sis.read_text()
        return "sislite" if "sislite.__main__" in text else "sisyphus" if "sisyphus.__main__" in text else text


def copy_rwth_source(source, target):
    """A writable copy of an RWTH Sisyphus checkout (pip builds in the source tree)."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".git", "docs", "build", "*.egg-info"))
    return Path(target)


def run_environment(environment=None):
    """The environment variables of a run: one thread per task, no GPU, no inherited Sisyphus settings."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("SIS_") and k not in ("SISLITE_FORCE", "PYTHONPATH", "VIRTUAL_ENV")}
    env.update({"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "1",
                "TF_NUM_INTEROP_THREADS": "1", "DISABLE_CUDA": "1", "CUDA_VISIBLE_DEVICES": "",
                "PYTHONUNBUFFERED": "1", "SIS_USE_VERBOSE_TRACEBACK": "False"})
    if environment is not None:
        env["PATH"] = f"{environment.root / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}"
    return env


def make_setup(root):
    """A setup directory as a user has it: recipe/, setups/, config/ and settings.py of this project (unchanged),
    config/tiny.py, and an empty work/."""
    root = Path(root)
    (root / "config").mkdir(parents=True)
    for name in ("recipe", "setups"):
        (root / name).symlink_to(REPO / name)
    for entry in (REPO / "config").iterdir():
        if entry.name != "__pycache__":
            (root / "config" / entry.name).symlink_to(entry)
    (root / "config" / "tiny.py").write_text(textwrap.dedent(TINY_CONFIG))
    shutil.copy(REPO / "settings.py", root / "settings.py")
    (root / "work").mkdir()
    return root


def copy_setup(setup, target):
    """A copy of a finished setup directory (links stay links: the job directories' input/ links keep pointing into
    the original)."""
    shutil.copytree(setup, target, symlinks=True)
    return Path(target)


def start(command, setup, env):
    """Start ``command`` in ``setup`` with stdin closed, its output going to ``setup/../manager.log``; returns the
    Popen. :func:`finish` waits for it."""
    log = open(Path(setup).parent / "manager.log", "w")
    process = subprocess.Popen([str(c) for c in command], cwd=setup, env=env, stdin=subprocess.DEVNULL, stdout=log,
                               stderr=subprocess.STDOUT, text=True)
    process.log = log
    return process


def finish(process, timeout=1800):
    """Wait for a :func:`start` ed process; returns it with ``returncode`` and ``output`` (its log)."""
    try:
        process.wait(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.log.close()
    process.output = Path(process.log.name).read_text()
    return process


def run(command, setup, env, answers=None, timeout=1800):
    """Run ``command`` (a list) in ``setup``, stdin closed or reading ``answers`` (text); returns the
    CompletedProcess (+ ``.output``)."""
    stdin = {"input": answers} if answers is not None else {"stdin": subprocess.DEVNULL}
    result = subprocess.run([str(c) for c in command], cwd=setup, env=env, capture_output=True, text=True,
                            timeout=timeout, **stdin)
    result.output = result.stdout + result.stderr
    return result


def job_ids(setup):
    """The job ids (``<module path>/<Class>.<hash>``) under ``setup/work``."""
    work = Path(setup) / "work"
    return sorted(str(p.parent.relative_to(work)) for p in work.glob("**/job.save"))


def output_files(setup):
    """Relative paths of the files under ``setup/output`` (through its links)."""
    output = Path(setup) / "output"
    return sorted(os.path.relpath(os.path.join(folder, name), output)
                  for folder, _, names in os.walk(output, followlinks=True) for name in names)


def work_snapshot(setup):
    """{relative path: (size, mtime)} of every file in the job directories under ``setup/work`` (not the engines'
    own files beside them, such as sislite's manager lock)."""
    work = Path(setup) / "work"
    return {str(p.relative_to(work)): (p.lstat().st_size, p.lstat().st_mtime_ns)
            for job in job_ids(setup) for p in (work / job).rglob("*") if p.is_file() or p.is_symlink()}
