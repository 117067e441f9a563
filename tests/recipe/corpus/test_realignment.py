"""Flat start, forced alignment and one realignment round (with posteriors made from the exact labels)."""

import json

import numpy
import pytest

from recipe.corpus.corpus_export import export_split
from recipe.corpus.corpus_plan import SPLITS
from recipe.corpus.flat_start import flat_start_labels, speech_region
from recipe.corpus.forced_alignment import force_align
from recipe.corpus.hdf_corpus import iterate_sequences
from recipe.corpus.import_audio import import_audio_corpus
from recipe.corpus.lexicon import WORD_LABELS
from recipe.corpus.realignment import RealignCorpusJob, posterior_priors, realign_corpus
from recipe.sis_api import tk
from tests.recipe.corpus.audio_corpus_fixtures import import_outputs
from tests.recipe.corpus.test_audio_round_trip import import_params


def test_flat_start_spreads_the_units_over_the_loud_region():
    rng = numpy.random.default_rng(1)
    samples = rng.normal(0, 1e-3, 160 * 100 + 320)
    samples[160 + 160 * 20:160 + 160 * 80] += rng.normal(0, 0.3, 160 * 60)
    # The 25 ms window of the measure sees so abrupt an onset (50 dB in one sample) one frame early.
    assert speech_region(samples, 100) == (19, 81)
    labels = flat_start_labels(samples, 100, [3, 5, 7])
    assert list(labels[:19]) == [0] * 19 and list(labels[81:]) == [0] * 19
    assert list(labels[19:81]) == [3] * 21 + [5] * 20 + [7] * 21


def test_flat_start_finds_a_weak_fricative_under_louder_low_frequency_noise():
    rng = numpy.random.default_rng(2)
    num_frames = 100
    samples = numpy.cumsum(rng.normal(0, 1.0, 160 * num_frames + 320))  # brown noise
    samples = 0.05 * (samples - numpy.convolve(samples, numpy.ones(401) / 401, mode="same")) / 20
    time = numpy.arange(len(samples)) / 16000
    fricative = slice(160 + 160 * 25, 160 + 160 * 40)  # white noise, high-passed: weaker than the brown noise
    samples[fricative] += 0.3 * numpy.diff(rng.normal(0, 0.02, 160 * 15 + 1))
    vowel = slice(160 + 160 * 40, 160 + 160 * 70)
    samples[vowel] += 0.3 * numpy.sin(2 * numpy.pi * 220 * time[vowel])
    first, end = speech_region(samples, num_frames)
    assert 24 <= first <= 26 and 69 <= end <= 71



def test_flat_start_leaves_a_quiet_gap_of_pause_frames_or_more_silent():
    rng = numpy.random.default_rng(1)
    samples = rng.normal(0, 1e-3, 160 * 100 + 320)
    for first, end in ((20, 50), (60, 90)):
        samples[160 + 160 * first:160 + 160 * end] += rng.normal(0, 0.3, 160 * (end - first))
    without = flat_start_labels(samples, 100, [3, 5], pause_frames=0)
    assert 0 not in set(without[52:58])
    labels = flat_start_labels(samples, 100, [3, 5], pause_frames=5)
    assert set(labels[52:58]) == {0}
    assert set(labels[21:49]) == {3} and set(labels[61:89]) == {5}
    # a gap shorter than pause_frames stays inside the units
    assert set(flat_start_labels(samples, 100, [3, 5], pause_frames=20)[52:58]) != {0}

def test_forced_alignment_follows_the_transcript_with_optional_silence():
    truth = numpy.array([0] * 4 + [1] * 6 + [2] * 5 + [0] * 3 + [2] * 4 + [0] * 2)
    posteriors = numpy.full((len(truth), 3), 0.05)
    posteriors[numpy.arange(len(truth)), truth] = 0.9
    # A misleading frame inside the first word must not insert a word the transcript does not have.
    posteriors[6] = [0.05, 0.05, 0.9]
    labels, _ = force_align(numpy.log(posteriors), [1, 2, 2], silence_index=0, min_frames=3)
    assert list(labels) == list(truth)
    with pytest.raises(ValueError, match="cannot hold"):
        force_align(numpy.log(posteriors[:2]), [1, 2, 2], silence_index=0)


def write_posteriors(path, exact_hdf, num_labels, rng):
    """A forward-style HDF: posteriors peaked at the exact labels, with noise."""
    from returnn.datasets.hdf import SimpleHDFWriter

    writer = SimpleHDFWriter(str(path), dim=num_labels, ndim=2)
    for tag, streams in iterate_sequences(exact_hdf, ("classes",)):
        classes = streams["classes"]
        values = rng.uniform(0.0, 0.6, (len(classes), num_labels))
        values[numpy.arange(len(classes)), classes] += 1.0
        values /= values.sum(axis=1, keepdims=True)
        writer.insert_batch(values[None].astype(numpy.float32), seq_len=[len(classes)], seq_tag=[tag])
    writer.close()
    return str(path)


def test_realignment_recovers_the_exact_labels_from_a_flat_start(tiny_corpus, tmp_path):
    for split in SPLITS:
        export_split(tiny_corpus.hdf[split], tiny_corpus.transcripts[split], list(WORD_LABELS),
                     str(tmp_path / "export" / split), sample_rate=22050)
    flat = import_outputs(tmp_path / "flat")
    import_audio_corpus(import_params(data={s: str(tmp_path / "export" / s / "data") for s in SPLITS}), flat)
    rng = numpy.random.default_rng(0)
    posteriors = {s: write_posteriors(tmp_path / f"{s}.posteriors.hdf", tiny_corpus.hdf[s], len(WORD_LABELS), rng)
                  for s in SPLITS}
    realigned = {s: str(tmp_path / f"{s}.realigned.hdf") for s in SPLITS}
    statistics = realign_corpus(flat["hdf"], flat["units"], list(WORD_LABELS), 0, posteriors, realigned,
                                str(tmp_path / "plot.png"))
    for split in SPLITS:
        exact = dict(iterate_sequences(tiny_corpus.hdf[split], ("classes",)))
        before = dict(iterate_sequences(flat["hdf"][split], ("classes",)))
        after = dict(iterate_sequences(realigned[split]))
        frames = sum(len(s["classes"]) for s in exact.values())
        agree_before = sum(numpy.sum(before[t]["classes"] == s["classes"]) for t, s in exact.items()) / frames
        agree_after = sum(numpy.sum(after[t]["classes"] == s["classes"]) for t, s in exact.items()) / frames
        assert agree_after > 0.97 and agree_after > agree_before, (split, agree_before, agree_after)
        assert statistics[split]["changed_share"] > 0
        original_audio = dict(iterate_sequences(flat["hdf"][split], ("inputs",)))
        assert all(numpy.array_equal(after[t]["inputs"], original_audio[t]["inputs"]) for t in exact)
    assert (tmp_path / "plot.png").stat().st_size > 1000
    assert json.loads(open(flat["statistics"]).read())["utterances"] == tiny_corpus.num_utterances


def test_realign_job_hashes_its_inputs_and_checks_the_splits(tmp_path):
    def paths(name):
        return {s: tk.Path(str(tmp_path / f"{name}.{s}")) for s in SPLITS}

    job = RealignCorpusJob(paths("hdf"), paths("units"), paths("text"), tk.Path("labels.json"), paths("post"))
    other = RealignCorpusJob(paths("hdf"), paths("units"), paths("text"), tk.Path("labels.json"), paths("post"),
                             prior_scale=0.5)
    assert job.job_id() != other.job_id() and set(job.out_hdf) == set(SPLITS)
    with pytest.raises(ValueError, match="forward every split"):
        RealignCorpusJob(paths("hdf"), paths("units"), paths("text"), tk.Path("labels.json"),
                         {"train": tk.Path("x")})


def test_previous_weight_keeps_the_current_labels_where_the_model_is_unsure(tiny_corpus, tmp_path):
    from returnn.datasets.hdf import SimpleHDFWriter

    writer = SimpleHDFWriter(str(tmp_path / "flat.hdf"), dim=len(WORD_LABELS), ndim=2)
    for tag, streams in iterate_sequences(tiny_corpus.hdf["dev"], ("classes",)):
        uniform = numpy.full((1, len(streams["classes"]), len(WORD_LABELS)), 1.0 / len(WORD_LABELS), numpy.float32)
        writer.insert_batch(uniform, seq_len=[len(streams["classes"])], seq_tag=[tag])
    writer.close()
    units = tmp_path / "dev.units.txt"
    units.write_text(open(tiny_corpus.transcripts["dev"]).read())
    out = str(tmp_path / "dev.realigned.hdf")
    realign_corpus({"dev": tiny_corpus.hdf["dev"]}, {"dev": str(units)}, list(WORD_LABELS), 0,
                   {"dev": str(tmp_path / "flat.hdf")}, {"dev": out}, str(tmp_path / "plot.png"),
                   min_frames=1, prior_split="dev", previous_weight=1.0)
    kept = dict(iterate_sequences(out, ("classes",)))
    for tag, streams in iterate_sequences(tiny_corpus.hdf["dev"], ("classes",)):
        assert numpy.array_equal(kept[tag]["classes"], streams["classes"]), tag


def test_priors_are_the_mean_posterior_of_the_forwarded_frames(tmp_path):
    from returnn.datasets.hdf import SimpleHDFWriter

    rng = numpy.random.default_rng(3)
    writer = SimpleHDFWriter(str(tmp_path / "post.hdf"), dim=4, ndim=2)
    rows = []
    for number, length in enumerate((7, 12, 5)):
        values = rng.dirichlet(numpy.ones(4), length).astype(numpy.float32)
        rows.append(values)
        writer.insert_batch(values[None], seq_len=[length], seq_tag=[f"train/u{number}"])
    writer.close()
    expected = numpy.log(numpy.concatenate(rows).astype(numpy.float64).mean(axis=0))
    assert numpy.allclose(posterior_priors(str(tmp_path / "post.hdf"), 4), expected, atol=1e-6)
    with pytest.raises(ValueError, match="posteriors of 4 labels, the corpus has 5"):
        posterior_priors(str(tmp_path / "post.hdf"), 5)
