"""Priors and word durations from alignments and posteriors."""

import numpy as np
import pytest

from recipe.scoring.alignment_statistics import (alignment_statistics, duration_model, log_priors,
                                                 posterior_statistics)

LABELS = ["<sil>", "one", "two"]


def test_priors_are_frame_frequencies():
    statistics = alignment_statistics({"a": [0, 0, 1, 1, 1, 0], "b": [2, 2]}, LABELS, 0)
    assert statistics["frames"] == 8
    assert np.allclose(statistics["priors"], [3 / 8, 3 / 8, 2 / 8])
    assert statistics["durations"]["one"]["runs"] == 1 and statistics["durations"]["one"]["median"] == 3


def test_transcripts_keep_merged_repeats_out_of_the_durations():
    alignments = {"a": [0] + [1] * 10 + [0, 0] + [1] * 10 + [0], "b": [0] + [1] * 20 + [0] + [2] * 10}
    transcripts = {"a": ["one", "one"], "b": ["one", "one", "two"]}
    statistics = alignment_statistics(alignments, LABELS, 0, transcripts)
    assert statistics["durations"]["one"]["runs"] == 2 and statistics["durations"]["one"]["max"] == 10
    assert statistics["merged_runs"] == 1 and statistics["mismatched_transcripts"] == 0
    without = alignment_statistics(alignments, LABELS, 0)
    assert without["durations"]["one"]["max"] == 20


def test_a_transcript_that_does_not_fit_is_counted_not_trusted():
    statistics = alignment_statistics({"a": [0, 1, 1, 0]}, LABELS, 0, {"a": ["two"]})
    assert statistics["mismatched_transcripts"] == 1 and statistics["durations"]["one"]["runs"] == 0


def test_bad_alignments_fail_with_a_clear_message():
    with pytest.raises(ValueError, match="labels file"):
        alignment_statistics({"a": [0, 5]}, LABELS, 0)
    with pytest.raises(KeyError, match="no transcript"):
        alignment_statistics({"a": [0, 1]}, LABELS, 0, {})


def test_posterior_priors_are_average_posteriors():
    statistics = posterior_statistics([np.array([[0.5, 0.5, 0.0], [0.5, 0.0, 0.5]])], LABELS, 0)
    assert np.allclose(statistics["priors"], [0.5, 0.25, 0.25])
    assert np.isfinite(log_priors({"priors": [0.0, 1.0, 0.0]})).all()


def test_duration_model_limits_from_statistics_or_overrides():
    runs = {"a": [0] + [1] * 20 + [0] + [2] * 30 + [0], "b": [1] * 40 + [0]}
    statistics = alignment_statistics(runs, LABELS, 0)
    model = duration_model(statistics, LABELS, 0)
    assert model.min_frames[1] >= 10 and model.max_frames[1] >= 40 and model.log_normal is not None
    fixed = duration_model(statistics, LABELS, 0, min_frames=3, max_frames=50)
    assert fixed.min_frames == [3, 3, 3] and fixed.max_frames == [50, 50, 50]
    plain = duration_model(None, LABELS, 0)
    assert plain.log_normal is None and plain.min_frames == [1, 1, 1]
    with pytest.raises(ValueError, match="same label set"):
        duration_model({"labels": ["x"], "durations": {}}, LABELS, 0)
