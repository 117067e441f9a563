"""Fixtures for the RETURNN job tests: one setup directory per session (each test of this directory runs with
sislite's BASE_DIR and the cwd pointing at it, restored afterwards), the tiny corpus, and one tiny baseline trained
once and shared by the tests that need a trained model."""

import contextlib
import io
import os

import pytest

from tests.recipe.returnn import tiny_setup


@contextlib.contextmanager
def inside_setup(directory):
    """Make ``directory`` the Sisyphus setup directory (sislite's BASE_DIR and the cwd) for a while."""
    from sislite import global_constants

    previous_base, previous_cwd = global_constants.BASE_DIR, os.getcwd()
    global_constants.BASE_DIR = str(directory)
    os.chdir(directory)
    try:
        yield directory
    finally:
        global_constants.BASE_DIR = previous_base
        os.chdir(previous_cwd)


@pytest.fixture(scope="session")
def setup_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("returnn_setup")


@pytest.fixture(autouse=True)
def _in_setup_dir(setup_dir):
    with inside_setup(setup_dir):
        yield


@pytest.fixture(scope="session")
def corpus_dir(setup_dir):
    directory = setup_dir / "corpus"
    tiny_setup.write_tiny_corpus(str(directory))
    return directory


@pytest.fixture(scope="session")
def trained(setup_dir, corpus_dir):
    """A tiny baseline trained for 2 epochs through ReturnnTrainingJob (all tasks run in this process); returns
    (job, text of RETURNN's output)."""
    from recipe.returnn.training import ReturnnTrainingJob

    with inside_setup(setup_dir):
        job = ReturnnTrainingJob(tiny_setup.tiny_config(str(corpus_dir)), num_epochs=2, device="cpu", cpu_rqmt=1)
        log = io.StringIO()
        tiny_setup.run_all_tasks(job, stdout=log)
    return job, log.getvalue()
