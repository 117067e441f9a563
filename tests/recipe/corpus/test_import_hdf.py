"""A user's own HDF corpus: accepted when lengths match the front-end, rejected naming the bad sequence."""

import json

import numpy
import pytest

from recipe.corpus.hdf_corpus import CorpusLengthError, check_frame_lengths, write_corpus_hdf
from recipe.corpus.import_hdf import ImportHdfCorpusJob, import_corpus
from recipe.corpus.lexicon import WORD_LABELS
from recipe.sis_api import tk
from recipe.corpus.frontend_geometry import samples_for_frames


def _write(path, frame_counts, bad_tag=None):
    sequences = []
    for i, frames in enumerate(frame_counts):
        tag = f"train/utt{i}"
        samples = numpy.zeros(samples_for_frames(frames) + (160 if tag == bad_tag else 0), dtype=numpy.float32)
        sequences.append((tag, samples, numpy.arange(frames, dtype=numpy.int32) % len(WORD_LABELS)))
    write_corpus_hdf(str(path), sequences, WORD_LABELS)
    return str(path)


def test_consistent_corpus_is_imported(tmp_path):
    good = _write(tmp_path / "train.hdf", [5, 17, 40])
    (tmp_path / "train.txt").write_text("train/utt0 one\ntrain/utt1 two\ntrain/utt2 three\n")
    outputs = {name: str(tmp_path / name) for name in ("out.hdf", "out.txt", "labels.json", "summary.json")}
    import_corpus({"train": good}, WORD_LABELS, 0, "word", {"train": str(tmp_path / "train.txt")}, 16000,
                  {"train": outputs["out.hdf"]}, {"train": outputs["out.txt"]}, outputs["labels.json"],
                  outputs["summary.json"])
    assert [n for _, _, n in check_frame_lengths(outputs["out.hdf"])] == [5, 17, 40]
    assert json.loads(open(outputs["labels.json"]).read())["labels"] == list(WORD_LABELS)
    assert json.loads(open(outputs["summary.json"]).read())["splits"]["train"]["frames"] == 62


def test_bad_sequence_fails_with_its_tag_and_both_lengths(tmp_path):
    bad = _write(tmp_path / "train.hdf", [5, 17, 40], bad_tag="train/utt1")
    outputs = tmp_path / "out.hdf"
    with pytest.raises(CorpusLengthError, match=r"'train/utt1' has 3200 samples and 17 classes frames.* gives 18"):
        import_corpus({"train": bad}, WORD_LABELS, 0, "word", {}, 16000, {"train": str(outputs)}, {},
                      str(tmp_path / "labels.json"), str(tmp_path / "summary.json"))
    assert not outputs.exists() and not (tmp_path / "labels.json").exists()


def test_class_ids_beyond_the_labels_are_rejected(tmp_path):
    good = _write(tmp_path / "train.hdf", [30])
    with pytest.raises(ValueError, match="classes range 0..11 but 3 labels"):
        import_corpus({"train": good}, ["<sil>", "a", "b"], 0, "word", {}, 16000, {"train": str(tmp_path / "o")},
                      {}, str(tmp_path / "l.json"), str(tmp_path / "s.json"))


def test_job_checks_its_arguments_and_hashes_the_inputs(tmp_path):
    job = ImportHdfCorpusJob({"train": tk.Path(str(tmp_path / "a.hdf"))}, WORD_LABELS)
    assert set(job.out_hdf) == {"train"} and job.out_transcripts == {}
    other = ImportHdfCorpusJob({"train": tk.Path(str(tmp_path / "b.hdf"))}, WORD_LABELS)
    assert other.job_id() != job.job_id()
    with pytest.raises(ValueError, match="silence_index"):
        ImportHdfCorpusJob({"train": tk.Path("a.hdf")}, WORD_LABELS, silence_index=12)


def test_content_hash_gives_a_regenerated_file_a_new_id_and_refuses_a_stale_run(tmp_path):
    path = _write(tmp_path / "train.hdf", [5, 17])

    def job(**kwargs):
        return ImportHdfCorpusJob({"train": tk.Path(path)}, WORD_LABELS, **kwargs)

    by_path, by_content = job().job_id(), job(content_hash=True)
    assert job(content_hash=False).job_id() == by_path != by_content.job_id()
    _write(tmp_path / "train.hdf", [5, 18])  # regenerated at the same path
    assert job().job_id() == by_path
    assert job(content_hash=True).job_id() != by_content.job_id()
    with pytest.raises(RuntimeError, match=r"train.hdf changed after the graph was built; run the manager again"):
        by_content.run()


def test_content_hash_needs_the_file_to_exist(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"content_hash=True needs .*missing.hdf to exist"):
        ImportHdfCorpusJob({"train": tk.Path(str(tmp_path / "missing.hdf"))}, WORD_LABELS, content_hash=True)
