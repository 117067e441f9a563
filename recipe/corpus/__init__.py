"""Corpus jobs: the synthetic connected-digit demo corpus and the import of a user's own RETURNN HDF corpus."""

from recipe.corpus.import_hdf import ImportHdfCorpusJob
from recipe.corpus.synthetic_digits import SyntheticDigitsCorpusJob

__all__ = ["SyntheticDigitsCorpusJob", "ImportHdfCorpusJob"]
