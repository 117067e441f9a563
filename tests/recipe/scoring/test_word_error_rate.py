"""WER counting (jiwer), per-utterance alignment, transcripts files and RETURNN HDF reading."""

import numpy as np
import pytest

from recipe.scoring.returnn_hdf import read_hdf_sequences
from recipe.scoring.transcripts import format_transcripts, read_transcripts, read_word_labels
from recipe.scoring.word_error_rate import format_per_utterance, score_transcripts


def test_counts_match_a_hand_alignment():
    summary, per_utterance = score_transcripts(
        {"a": "one two three".split(), "b": ["four"], "c": ["five"]},
        {"a": "one too three four".split(), "b": [], "c": ["five"]})
    assert (summary["substitutions"], summary["deletions"], summary["insertions"], summary["hits"]) == (1, 1, 1, 3)
    assert summary["num_words"] == 5 and summary["wer"] == pytest.approx(0.6)
    assert summary["sentence_errors"] == 2 and summary["ser"] == pytest.approx(2 / 3)
    assert per_utterance[0]["aligned_reference"] == "one TWO three ****"
    assert per_utterance[0]["aligned_hypothesis"] == "one TOO three FOUR"
    assert "REF: FOUR" in format_per_utterance(summary, per_utterance)


def test_missing_or_extra_hypotheses():
    with pytest.raises(KeyError, match="no hypothesis"):
        score_transcripts({"a": ["one"]}, {})
    with pytest.raises(KeyError, match="no reference"):
        score_transcripts({"a": ["one"]}, {"a": ["one"], "z": ["two"]})
    summary, _ = score_transcripts({"a": ["one", "two"]}, {}, allow_missing=True)
    assert summary["deletions"] == 2 and summary["wer"] == 1.0


def test_transcript_round_trip_and_duplicates(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text(format_transcripts({"dev/a": ["one", "two"], "dev/b": []}))
    assert read_transcripts(path) == {"dev/a": ["one", "two"], "dev/b": []}
    path.write_text("dev/a one\ndev/a two\n")
    with pytest.raises(ValueError, match="appears twice"):
        read_transcripts(path)


def test_labels_must_be_words(tmp_path):
    path = tmp_path / "labels.json"
    path.write_text('{"unit": "word", "labels": ["<sil>", "oh"], "silence_index": 0}')
    assert read_word_labels(path) == (["<sil>", "oh"], 0)
    path.write_text('{"unit": "phone", "labels": ["sil", "ow"], "silence_index": 0}')
    with pytest.raises(ValueError, match="word labels"):
        read_word_labels(path)


def test_reads_streams_written_by_returnn(tmp_path):
    from returnn.datasets.hdf import SimpleHDFWriter

    path = str(tmp_path / "data.hdf")
    writer = SimpleHDFWriter(path, dim=3, ndim=2, extra_type={"classes": (3, 1, "int32")})
    first, second = np.random.rand(1, 4, 3).astype("float32"), np.random.rand(1, 2, 3).astype("float32")
    writer.insert_batch(first, seq_len=[4], seq_tag=["dev/a"], extra={"classes": np.array([[0, 1, 1, 2]], "int32")})
    writer.insert_batch(second, seq_len=[2], seq_tag=["dev/b"], extra={"classes": np.array([[2, 0]], "int32")})
    writer.close()
    posteriors = read_hdf_sequences(path)
    assert list(posteriors) == ["dev/a", "dev/b"] and np.allclose(posteriors["dev/b"], second[0])
    assert read_hdf_sequences(path, "classes")["dev/a"].tolist() == [0, 1, 1, 2]
    with pytest.raises(KeyError, match="no stream"):
        read_hdf_sequences(path, "nope")
