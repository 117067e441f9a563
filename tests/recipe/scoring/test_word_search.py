"""Decoders on synthetic posteriors made from known alignments (no RETURNN)."""

import numpy as np
import pytest

from recipe.scoring.alignment_statistics import alignment_statistics, duration_model
from recipe.scoring.synthetic_posteriors import WORD_LABELS, synthetic_set
from recipe.scoring.word_search import (DurationModel, greedy_segments, greedy_words, smooth, to_log,
                                        viterbi_segments, viterbi_words)

SIL, FOUR, SEVEN = 0, WORD_LABELS.index("four"), WORD_LABELS.index("seven")


def one_hot_posteriors(alignment, confidence=0.9):
    posteriors = np.full((len(alignment), len(WORD_LABELS)), (1 - confidence) / (len(WORD_LABELS) - 1))
    posteriors[np.arange(len(alignment)), alignment] = confidence
    return posteriors


def alignment_of(*parts):
    return np.concatenate([[label] * length for label, length in parts]).astype(np.int32)


def durations_around(median, sigma=0.2, minimum=10):
    shapes = [(np.log(median), sigma)] * len(WORD_LABELS)
    return DurationModel(len(WORD_LABELS), min_frames=minimum, max_frames=4 * median, log_normal=shapes)


def test_greedy_drops_silence_and_short_bursts():
    alignment = alignment_of((SIL, 10), (FOUR, 30), (SEVEN, 2), (FOUR, 5), (SIL, 10), (SEVEN, 30), (SIL, 10))
    assert greedy_words(one_hot_posteriors(alignment), SIL, min_frames=3) == [FOUR, SEVEN]
    assert greedy_segments(one_hot_posteriors(alignment), SIL, min_frames=3)[0] == (FOUR, 10, 37)


def test_greedy_keeps_repeats_separated_by_a_pause_but_merges_repeats_without_one():
    paused = alignment_of((SIL, 10), (FOUR, 30), (SIL, 8), (FOUR, 30), (SIL, 10))
    assert greedy_words(one_hot_posteriors(paused), SIL, min_frames=3) == [FOUR, FOUR]
    merged = alignment_of((SIL, 10), (FOUR, 60), (SIL, 10))
    assert greedy_words(one_hot_posteriors(merged), SIL, min_frames=3) == [FOUR]


def test_viterbi_splits_a_double_length_run_into_a_repeated_word():
    alignment = alignment_of((SIL, 10), (FOUR, 70), (SIL, 10), (SEVEN, 35), (SIL, 10))
    words = viterbi_words(to_log(one_hot_posteriors(alignment)), SIL, durations_around(35))
    assert words == [FOUR, FOUR, SEVEN]


def test_viterbi_does_not_split_a_normal_word_and_finds_segment_bounds():
    alignment = alignment_of((SIL, 10), (FOUR, 38), (SIL, 10))
    segments, _ = viterbi_segments(to_log(one_hot_posteriors(alignment)), SIL, durations_around(35))
    assert segments == [(FOUR, 10, 38)]


def test_viterbi_word_segments_last_at_least_min_frames():
    alignment = alignment_of((SIL, 20), (SEVEN, 6), (SIL, 20))
    log_posteriors = to_log(one_hot_posteriors(alignment))
    assert viterbi_segments(log_posteriors, SIL, DurationModel(12, min_frames=5))[0] == [(SEVEN, 20, 6)]
    (label, _, length), = viterbi_segments(log_posteriors, SIL, DurationModel(12, min_frames=10))[0]
    assert label == SEVEN and length == 10
    assert viterbi_segments(log_posteriors, SIL, DurationModel(12, min_frames=30))[0] == []


def test_uniform_durations_without_penalty_prefer_fewer_words():
    alignment = alignment_of((SIL, 5), (FOUR, 60), (SIL, 5))
    assert viterbi_words(to_log(one_hot_posteriors(alignment)), SIL, DurationModel(12, min_frames=5)) == [FOUR]


def test_priors_shift_the_balance_between_silence_and_words():
    # Frames where silence is only slightly more probable than "seven": a silence prior well above the word prior
    # turns them into the word once priors are divided out.
    posteriors = np.full((30, len(WORD_LABELS)), 0.01)
    posteriors[:, SIL], posteriors[:, SEVEN] = 0.5, 0.41
    priors = np.full(len(WORD_LABELS), 0.05)
    priors[SIL] = 0.45
    model = DurationModel(len(WORD_LABELS), min_frames=10)
    assert viterbi_words(to_log(posteriors), SIL, model) == []
    assert viterbi_words(to_log(posteriors), SIL, model, log_priors=np.log(priors), prior_scale=1.0) == [SEVEN]


def test_viterbi_beats_greedy_on_noisy_synthetic_data_with_repeats():
    import jiwer

    train = synthetic_set(1, 150, "train")
    statistics = alignment_statistics({tag: a for tag, (_, a, _) in train.items()}, WORD_LABELS, SIL,
                                      {tag: words for tag, (words, _, _) in train.items()})
    model = duration_model(statistics, WORD_LABELS, SIL)
    dev = synthetic_set(2, 40, "dev", noise=1.0)
    references = [" ".join(words) for words, _, _ in dev.values()]
    greedy = [" ".join(WORD_LABELS[w] for w in greedy_words(p, SIL, 5, 5)) for _, _, p in dev.values()]
    viterbi = [" ".join(WORD_LABELS[w] for w in viterbi_words(to_log(p), SIL, model, duration_scale=2.0))
               for _, _, p in dev.values()]
    greedy_wer, viterbi_wer = jiwer.wer(references, greedy), jiwer.wer(references, viterbi)
    assert viterbi_wer < greedy_wer
    assert viterbi_wer < 0.12


def test_smoothing_is_a_centered_moving_average():
    values = np.array([[0.0], [3.0], [0.0], [0.0]])
    assert np.allclose(smooth(values, 3)[:, 0], [1.5, 1.0, 1.0, 0.0])
    with pytest.raises(ValueError, match="odd"):
        smooth(values, 4)


def test_bad_input_names_the_problem():
    with pytest.raises(ValueError, match="silence_index"):
        viterbi_words(np.zeros((5, 3)), 7, DurationModel(3))
    with pytest.raises(ValueError, match="max_frames"):
        DurationModel(3, min_frames=10, max_frames=5)
    with pytest.raises(ValueError, match="priors"):
        viterbi_words(np.zeros((5, 3)), 0, DurationModel(3), prior_scale=1.0)


def test_empty_and_single_frame_inputs():
    assert viterbi_words(np.zeros((0, 12)), SIL, DurationModel(12)) == []
    assert greedy_words(np.zeros((0, 12)), SIL) == []
    assert viterbi_words(to_log(one_hot_posteriors(np.array([SEVEN]))), SIL, DurationModel(12)) == [SEVEN]
