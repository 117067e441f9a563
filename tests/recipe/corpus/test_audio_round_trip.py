"""Done-when: the synthetic corpus exported to 22.05 kHz WAV + Kaldi text + CTM (and TextGrid), imported again,
gives HDF whose labels equal the originals and whose audio equals them within resampling error."""

import json
from types import SimpleNamespace

import numpy
import pytest

from recipe.corpus.audio_file import resample
from recipe.corpus.corpus_export import export_split
from recipe.corpus.corpus_plan import SPLITS
from recipe.corpus.hdf_corpus import check_frame_lengths, iterate_sequences
from recipe.corpus.import_audio import import_audio_corpus
from recipe.corpus.lexicon import WORD_LABELS
from tests.recipe.corpus.audio_corpus_fixtures import import_outputs


def import_params(**changes):
    params = dict(data=None, layout="kaldi", transcripts=None, alignments=None, alignment_format=None, unit="word",
                  labels=list(WORD_LABELS), lexicon=None, channel="mix", level_dbfs=None, split_fractions=None,
                  seed=1, skip_bad=False, max_clipped_fraction=0.001, flat_start_threshold=0.2,
                  flat_start_pause_frames=5, workers=2)
    params.update(changes)
    return SimpleNamespace(**params)


@pytest.fixture(scope="module")
def exported(tiny_corpus, tmp_path_factory):
    root = tmp_path_factory.mktemp("exported")
    for split in SPLITS:
        export_split(tiny_corpus.hdf[split], tiny_corpus.transcripts[split], list(WORD_LABELS), str(root / split),
                     sample_rate=22050)
    return root


def assert_same_corpus(original, imported, transcripts_original, transcripts_imported):
    originals = dict(iterate_sequences(original))
    copies = dict(iterate_sequences(imported))
    assert list(copies) == list(originals)
    for tag, streams in originals.items():
        assert numpy.array_equal(copies[tag]["classes"], streams["classes"]), tag
        signal, copy = streams["inputs"].reshape(-1), copies[tag]["inputs"].reshape(-1)
        # The resampling error: the same round trip 16 -> 22.05 -> 16 kHz without the WAV file in between.
        reference = resample(resample(signal, 16000, 22050), 22050, 16000)[:len(signal)]
        assert numpy.max(numpy.abs(copy - reference)) < 2e-4, f"{tag}: more than resampling + 16-bit error"
        snr_db = 10 * numpy.log10(numpy.sum(signal ** 2) / numpy.sum((copy - signal) ** 2))
        assert snr_db > 20, f"{tag}: audio after 16 -> 22.05 -> 16 kHz differs at {snr_db:.1f} dB SNR"
    assert open(transcripts_imported).read() == open(transcripts_original).read()


@pytest.mark.parametrize("alignment_format", ["ctm", "textgrid"])
def test_exported_corpus_imports_to_its_own_labels(tiny_corpus, exported, tmp_path, alignment_format):
    alignments = {s: str(exported / s / ("alignment.ctm" if alignment_format == "ctm" else "textgrid"))
                  for s in SPLITS}
    outputs = import_outputs(tmp_path)
    import_audio_corpus(import_params(data={s: str(exported / s / "data") for s in SPLITS}, alignments=alignments,
                                      alignment_format=alignment_format), outputs)
    for split in SPLITS:
        assert_same_corpus(tiny_corpus.hdf[split], outputs["hdf"][split], tiny_corpus.transcripts[split],
                           outputs["transcripts"][split])
        check_frame_lengths(outputs["hdf"][split])
    assert json.load(open(outputs["labels"]))["labels"] == list(WORD_LABELS)
    assert json.load(open(outputs["problems"]))["count"] == 0
