"""RWTH Sisyphus' own unit tests (``tests/*_unittest.py`` of its source) run against sislite posing as ``sisyphus``:
each file must pass as it passes against RWTH Sisyphus. The RWTH source is read from ``$RWTH_SISYPHUS_SRC`` (the
directory with ``sisyphus/``, ``tests/``, ``example/``; ``.ci/run`` unpacks it); without it these tests skip.

Each file runs with pytest in the source's root (here a copy of its ``tests/`` directory; pytest also collects the
plain test functions that ``unittest`` skips) in a fresh interpreter whose ``sisyphus`` is sislite: only sislite is importable there (no RWTH
Sisyphus, no project packages such as ``recipe`` that would shadow the test's own ``recipe.task``).
"""

import glob
import os
import shutil
import subprocess
import sys

import pytest

import sislite

RWTH_SRC = os.environ.get("RWTH_SISYPHUS_SRC")
SISLITE_DIR = os.path.dirname(os.path.abspath(sislite.__file__))

BOOT = """
import os, sys
sys.path.insert(0, os.getcwd())
import sislite
sislite.install_as_sisyphus()
import pytest
sys.exit(pytest.main(["-v", "-p", "no:cacheprovider", "-o", "addopts=", sys.argv[1]]))
"""


def _test_files():
    if not RWTH_SRC:
        return []
    return sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(RWTH_SRC, "tests", "*_unittest.py")))


needs_rwth = pytest.mark.skipif(not RWTH_SRC, reason="RWTH_SISYPHUS_SRC is not set (the unpacked RWTH Sisyphus "
                                                     "source; .ci/run sets it)")


@pytest.fixture(scope="module")
def rwth_copy(tmp_path_factory):
    """A writable copy of RWTH's ``tests/`` (its tests write beside themselves) and a directory with only sislite."""
    root = tmp_path_factory.mktemp("rwth")
    shutil.copytree(os.path.join(RWTH_SRC, "tests"), root / "tests")
    lib = tmp_path_factory.mktemp("lib")
    os.symlink(SISLITE_DIR, lib / "sislite")
    return root, lib


def run_rwth_test_file(root, lib, name):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIS_", "PYTHON"))}
    env.update(PYTHONPATH=str(lib), SISLITE_FORCE="1", PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run([sys.executable, "-c", BOOT, f"tests/{name}.py"], cwd=root, env=env, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=600)


@needs_rwth
def test_rwth_test_files_are_found():
    assert len(_test_files()) >= 9, f"expected RWTH's tests/*_unittest.py in {RWTH_SRC}/tests"


@needs_rwth
@pytest.mark.parametrize("name", _test_files() or ["(none)"])
def test_rwth_unit_test_file_passes_against_sislite(rwth_copy, name):
    root, lib = rwth_copy
    result = run_rwth_test_file(root, lib, name)
    assert result.returncode == 0, f"RWTH's tests/{name}.py against sislite:\n{result.stdout[-6000:]}"
