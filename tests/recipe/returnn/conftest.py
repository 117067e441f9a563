"""Fixtures for the RETURNN job tests: one setup directory per session (sislite's BASE_DIR points at it), the tiny
corpus, and one tiny baseline trained once and shared by the tests that need a trained model."""

import io
import os

import pytest

from tests.recipe.returnn import tiny_setup


@pytest.fixture(scope="session")
def setup_dir(tmp_path_factory):
    """A Sisyphus setup directory; jobs built in this process put their directories under its work/."""
    from sislite import global_constants

    directory = tmp_path_factory.mktemp("returnn_setup")
    previous = global_constants.BASE_DIR
    global_constants.BASE_DIR = str(directory)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    yield directory
    global_constants.BASE_DIR = previous


@pytest.fixture(scope="session")
def corpus_dir(setup_dir):
    directory = setup_dir / "corpus"
    tiny_setup.write_tiny_corpus(str(directory))
    return directory


@pytest.fixture(scope="session")
def trained(corpus_dir):
    """A tiny baseline trained for 2 epochs through ReturnnTrainingJob (all tasks run in this process); returns
    (job, text of RETURNN's output)."""
    from recipe.returnn.training import ReturnnTrainingJob

    job = ReturnnTrainingJob(tiny_setup.tiny_config(str(corpus_dir)), num_epochs=2, device="cpu", cpu_rqmt=1)
    log = io.StringIO()
    tiny_setup.run_all_tasks(job, stdout=log)
    return job, log.getvalue()
