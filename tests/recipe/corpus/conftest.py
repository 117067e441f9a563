"""Fixtures of the corpus tests."""

import pytest

from tests.recipe.corpus.audio_corpus_fixtures import TinyCorpus


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory):
    """A 24-utterance synthetic corpus with exact labels (see :class:`TinyCorpus`)."""
    return TinyCorpus(tmp_path_factory.mktemp("tiny_corpus"))
