"""DecodeWordsJob, EstimateAlignmentStatisticsJob and ScoreWerJob: hashes and task functions run directly."""

import json
import os

import numpy as np
import pytest

from recipe.scoring.decoding import DecodeWordsJob, EstimateAlignmentStatisticsJob
from recipe.scoring.scoring import ScoreWerJob
from recipe.scoring.synthetic_posteriors import WORD_LABELS, synthetic_set
from recipe.scoring.transcripts import format_transcripts, read_transcripts
from recipe.sis_api import tk


def write_hdf(path, sequences, dim, extra=None):
    """A RETURNN HDF with ``inputs`` = sequences[tag] ([frames, dim]) and optional extra int streams."""
    from returnn.datasets.hdf import SimpleHDFWriter

    writer = SimpleHDFWriter(str(path), dim=dim, ndim=2,
                             extra_type={key: (len(WORD_LABELS), 1, "int32") for key in (extra or {})})
    for tag, values in sequences.items():
        writer.insert_batch(values[None].astype("float32"), seq_len=[len(values)], seq_tag=[tag],
                            extra={key: streams[tag][None].astype("int32") for key, streams in (extra or {}).items()})
    writer.close()
    return tk.Path(str(path))


def make_output_dirs(job):
    for name, value in vars(job).items():
        if name.startswith("out_"):
            os.makedirs(os.path.dirname(value.get_path()), exist_ok=True)


@pytest.fixture
def corpus(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    labels = tmp_path / "labels.json"
    labels.write_text(json.dumps({"unit": "word", "labels": WORD_LABELS, "silence_index": 0}))
    train, dev = synthetic_set(1, 60, "train"), synthetic_set(2, 20, "dev")
    train_hdf = write_hdf(tmp_path / "train.hdf", {t: a[:, None] * 0.0 for t, (_, a, _) in train.items()}, 1,
                          {"classes": {t: a for t, (_, a, _) in train.items()}})
    (tmp_path / "train.txt").write_text(format_transcripts({t: w for t, (w, _, _) in train.items()}))
    (tmp_path / "dev.txt").write_text(format_transcripts({t: w for t, (w, _, _) in dev.items()}))
    posteriors = write_hdf(tmp_path / "forward.hdf", {t: p for t, (_, _, p) in dev.items()}, len(WORD_LABELS))
    return {"labels": tk.Path(str(labels)), "train_hdf": train_hdf, "train_txt": tk.Path(str(tmp_path / "train.txt")),
            "dev_txt": tk.Path(str(tmp_path / "dev.txt")), "posteriors": posteriors}


def test_statistics_decode_and_score_end_to_end(corpus):
    statistics_job = EstimateAlignmentStatisticsJob(corpus["train_hdf"], corpus["labels"], corpus["train_txt"])
    make_output_dirs(statistics_job)
    statistics_job.run()
    statistics = json.load(open(statistics_job.out_statistics.get_path()))
    assert statistics["mismatched_transcripts"] == 0 and statistics["durations"]["four"]["runs"] > 0

    decode_job = DecodeWordsJob(corpus["posteriors"], corpus["labels"], statistics=statistics_job.out_statistics)
    make_output_dirs(decode_job)
    decode_job.run()
    hypotheses = read_transcripts(decode_job.out_hypotheses.get_path())
    assert list(hypotheses) == list(read_transcripts(corpus["dev_txt"].get_path()))
    segments = json.load(open(decode_job.out_segments.get_path()))
    assert all(word == hypotheses[tag][i] for tag, found in segments.items() for i, (word, _, _) in enumerate(found))

    score_job = ScoreWerJob(decode_job.out_hypotheses, corpus["dev_txt"])
    make_output_dirs(score_job)
    score_job.run()
    summary = json.load(open(score_job.out_wer.get_path()))
    assert summary["num_sentences"] == 20 and summary["wer"] < 0.15
    assert score_job.out_wer_percent.get() == pytest.approx(100 * summary["wer"], abs=1e-3)
    per_utterance = json.load(open(score_job.out_per_utterance.get_path()))
    assert {"tag", "reference", "hypothesis", "errors"} <= set(per_utterance[0])
    assert "REF:" in open(score_job.out_report.get_path()).read()


def test_greedy_and_posterior_priors_run(corpus):
    for job in (DecodeWordsJob(corpus["posteriors"], corpus["labels"], method="greedy", min_frames=5),
                DecodeWordsJob(corpus["posteriors"], corpus["labels"], statistics="posteriors", prior_scale=0.3)):
        make_output_dirs(job)
        job.run()
        assert len(read_transcripts(job.out_hypotheses.get_path())) == 20


def test_posteriors_of_the_wrong_size_fail_before_writing_anything(corpus, tmp_path):
    wrong = write_hdf(tmp_path / "wrong.hdf", {"dev/x": np.full((30, 5), 0.2)}, 5)
    job = DecodeWordsJob(wrong, corpus["labels"])
    make_output_dirs(job)
    with pytest.raises(ValueError, match="12 labels"):
        job.run()
    assert not os.path.exists(job.out_hypotheses.get_path())


def test_scoring_unmatched_tags_names_both_files(corpus, tmp_path):
    (tmp_path / "other.txt").write_text("test/utt-1 one\n")
    job = ScoreWerJob(tk.Path(str(tmp_path / "other.txt")), corpus["dev_txt"])
    make_output_dirs(job)
    with pytest.raises(KeyError, match="other.txt"):
        job.run()
    assert not os.path.exists(job.out_wer.get_path())


def test_every_search_parameter_changes_the_hash_and_unused_ones_do_not():
    posteriors, labels, stats = tk.Path("forward.hdf"), tk.Path("labels.json"), tk.Path("stats.json")
    base = DecodeWordsJob(posteriors, labels, statistics=stats)
    for change in ({"prior_scale": 0.5}, {"duration_scale": 1.0}, {"word_penalty": 1.0}, {"min_frames": 3},
                   {"max_frames": 90}, {"statistics": tk.Path("other.json")}, {"statistics": None},
                   {"method": "greedy"}):
        assert DecodeWordsJob(posteriors, labels, **{"statistics": stats, **change}).job_id() != base.job_id(), change
    assert DecodeWordsJob(posteriors, labels, statistics=stats, smoothing_window=9).job_id() == base.job_id()
    greedy = DecodeWordsJob(posteriors, labels, method="greedy")
    assert DecodeWordsJob(posteriors, labels, method="greedy", smoothing_window=9).job_id() != greedy.job_id()
    assert DecodeWordsJob(posteriors, labels, method="greedy", min_frames=4).job_id() != greedy.job_id()
    assert DecodeWordsJob(posteriors, labels, method="greedy", word_penalty=3.0).job_id() == greedy.job_id()
    assert DecodeWordsJob(tk.Path("other.hdf"), labels, statistics=stats).job_id() != base.job_id()


def test_bad_parameters_fail_when_the_graph_is_built():
    posteriors, labels = tk.Path("forward.hdf"), tk.Path("labels.json")
    with pytest.raises(ValueError, match="method"):
        DecodeWordsJob(posteriors, labels, method="beam")
    with pytest.raises(ValueError, match="odd"):
        DecodeWordsJob(posteriors, labels, method="greedy", smoothing_window=4)
    with pytest.raises(ValueError, match="statistics"):
        DecodeWordsJob(posteriors, labels, prior_scale=0.5)
    with pytest.raises(ValueError, match="min_frames"):
        DecodeWordsJob(posteriors, labels, min_frames=0)
