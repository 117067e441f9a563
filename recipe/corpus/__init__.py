"""Corpus jobs: the synthetic connected-digit demo corpus, the import of a user's own audio (with CTM/TextGrid
alignments, or a flat start and realignment rounds) or RETURNN HDF corpus, and the export of a corpus to audio files."""

from recipe.corpus.corpus_export import ExportCorpusAudioJob
from recipe.corpus.import_audio import ImportAudioCorpusJob
from recipe.corpus.import_hdf import ImportHdfCorpusJob
from recipe.corpus.realignment import RealignCorpusJob
from recipe.corpus.synthetic_digits import SyntheticDigitsCorpusJob

__all__ = ["SyntheticDigitsCorpusJob", "ImportHdfCorpusJob", "ImportAudioCorpusJob", "RealignCorpusJob",
           "ExportCorpusAudioJob"]
