"""Fixtures of the RWTH Sisyphus compatibility tests: the checkout (``RWTH_SISYPHUS_SRC``), the two install orders,
and one run of the tiny graph under each engine, shared by the module's tests (they are the expensive part)."""

import os
import sys
from pathlib import Path

import pytest

from tests.compat.rwth_environment import (REPO, Environment, copy_rwth_source, finish, make_setup, run_environment,
                                          start)


@pytest.fixture(scope="session")
def rwth_source(tmp_path_factory):
    """A writable copy of the RWTH Sisyphus checkout named by RWTH_SISYPHUS_SRC (skipped when it is unset)."""
    source = os.environ.get("RWTH_SISYPHUS_SRC")
    if not source:
        pytest.skip("RWTH_SISYPHUS_SRC is unset: set it to an RWTH Sisyphus checkout (the directory with sisyphus/, "
                    "tests/, example/; .ci/run unpacks ../shared/reference/rwth-sisyphus-*.tar.gz and sets it)")
    if not (Path(source) / "sisyphus" / "manager.py").is_file():
        pytest.fail(f"RWTH_SISYPHUS_SRC={source} is not an RWTH Sisyphus checkout (no sisyphus/manager.py)")
    return copy_rwth_source(source, tmp_path_factory.mktemp("rwth") / "rwth-sisyphus")


@pytest.fixture(scope="session")
def rwth_last(tmp_path_factory, rwth_source):
    """The project installed first, RWTH Sisyphus last: ``bin/sis`` is RWTH's."""
    return Environment(tmp_path_factory.mktemp("env") / "rwth_last", [REPO, rwth_source])


@pytest.fixture(scope="session")
def project_last(tmp_path_factory, rwth_source):
    """RWTH Sisyphus installed first, the project last: ``bin/sis`` is ours and hands over."""
    return Environment(tmp_path_factory.mktemp("env") / "project_last", [rwth_source, REPO])


class Run:
    """A setup directory after one manager run of config/tiny.py."""

    def __init__(self, setup, result):
        self.setup, self.result = Path(setup), result


@pytest.fixture(scope="session")
def full_runs(request, tmp_path_factory, rwth_source):
    """The tiny graph run to the end by sislite and by RWTH Sisyphus' own ``sis`` (no hand-over), both at once: each
    leaves cores idle on its serial stretches (corpus, baseline, extraction)."""
    sislite_setup = make_setup(tmp_path_factory.mktemp("sislite") / "setup")
    sislite = start([sys.executable, "-m", "sislite", "manager", "-r", "config/tiny.py"], sislite_setup,
                    dict(run_environment(), SISLITE_FORCE="1"))
    try:
        rwth_last = request.getfixturevalue("rwth_last")
        rwth_setup = make_setup(tmp_path_factory.mktemp("rwth") / "setup")
        rwth = start([rwth_last.sis, "manager", "-r", "config/tiny.py"], rwth_setup, run_environment(rwth_last))
    except BaseException:
        sislite.kill()
        finish(sislite)
        raise
    return {"sislite": Run(sislite_setup, finish(sislite)), "rwth": Run(rwth_setup, finish(rwth))}


@pytest.fixture(scope="session")
def sislite_run(full_runs):
    return full_runs["sislite"]


@pytest.fixture(scope="session")
def rwth_run(full_runs):
    return full_runs["rwth"]

