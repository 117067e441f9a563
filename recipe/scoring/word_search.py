"""Turning frame posteriors of word labels into word sequences (numpy only, no Sisyphus, no RETURNN).

Two searches over frame-labelled words (one label per word, one for silence):

* :func:`greedy_words`: smooth the posteriors over time, take the best label per frame, collapse runs, drop runs
  shorter than a minimum duration as noise and drop silence. Repeated words without silence between them ("four four")
  collapse into one word.
* :func:`viterbi_words`: a Viterbi search over a word loop. A word is a segment of ``d`` frames with
  ``min_frames <= d <= max_frames``; silence between words is optional (any number of frames); any word may follow
  any word, itself included, so "four four" without silence is found when the duration model makes one long
  "four" less likely than two normal ones. Frame scores are hybrid scaled likelihoods
  ``log p(label | x) - prior_scale * log p(label)``; every word segment adds
  ``duration_scale * log p_word(d) + word_penalty``.
"""

import math

import numpy as np

LOG_ZERO = -1e30


class DurationModel:
    """Per-label word durations in frames: hard limits plus optional log-probabilities.

    ``min_frames``/``max_frames``: one int for all labels or a sequence indexed by label. ``log_normal``: None
    (uniform between the limits) or a sequence indexed by label of ``(mu, sigma)`` of the log duration (entries
    for silence are ignored); the probability of ``d`` frames is the log-normal mass between ``d - 0.5`` and
    ``d + 0.5``.
    """

    def __init__(self, num_labels, min_frames=1, max_frames=None, log_normal=None):
        self.num_labels = num_labels
        self.min_frames = _per_label(min_frames, num_labels, "min_frames")
        self.max_frames = _per_label(max_frames, num_labels, "max_frames")
        for label, (low, high) in enumerate(zip(self.min_frames, self.max_frames)):
            if low is None or low < 1:
                raise ValueError(f"DurationModel: min_frames of label {label} is {low!r}; it must be an int >= 1")
            if high is not None and high < low:
                raise ValueError(f"DurationModel: label {label} has max_frames {high} < min_frames {low}; "
                                 "raise max_frames or lower min_frames")
        if log_normal is not None and len(log_normal) != num_labels:
            raise ValueError(f"DurationModel: log_normal has {len(log_normal)} entries for {num_labels} labels; "
                             "give one (mu, sigma) per label")
        self.log_normal = log_normal

    def log_probs(self, labels, longest):
        """Array [len(labels), longest + 1]: log p(d) for d = 0..longest (LOG_ZERO outside the limits)."""
        table = np.full((len(labels), longest + 1), LOG_ZERO)
        for row, label in enumerate(labels):
            low = self.min_frames[label]
            high = longest if self.max_frames[label] is None else min(longest, self.max_frames[label])
            if low > high:
                continue
            durations = np.arange(low, high + 1)
            if self.log_normal is None:
                table[row, low:high + 1] = 0.0
            else:
                mu, sigma = self.log_normal[label]
                table[row, low:high + 1] = _log_normal_mass(durations, mu, sigma)
        return table


def _per_label(value, num_labels, name):
    if value is None or isinstance(value, (int, np.integer)):
        return [None if value is None else int(value)] * num_labels
    values = list(value)
    if len(values) != num_labels:
        raise ValueError(f"DurationModel: {name} has {len(values)} entries for {num_labels} labels; "
                         "give one int or one value per label")
    return [None if v is None else int(v) for v in values]


def _log_normal_mass(durations, mu, sigma):
    """log P(d - 0.5 < D < d + 0.5) for a log-normal D, floored so it never is -inf."""
    sigma = max(float(sigma), 1e-3)
    erf = np.vectorize(math.erf)
    upper = (np.log(durations + 0.5) - mu) / (sigma * math.sqrt(2.0))
    lower = (np.log(np.maximum(durations - 0.5, 1e-6)) - mu) / (sigma * math.sqrt(2.0))
    mass = 0.5 * (erf(upper) - erf(lower))
    # Far in the tails the difference underflows; fall back to the density there.
    density = -np.log(durations * sigma * math.sqrt(2 * math.pi)) - (np.log(durations) - mu) ** 2 / (2 * sigma ** 2)
    return np.where(mass > 1e-300, np.log(np.maximum(mass, 1e-300)), density)


def _check_posteriors(log_posteriors, silence_index):
    log_posteriors = np.asarray(log_posteriors, dtype=np.float64)
    if log_posteriors.ndim != 2:
        raise ValueError(f"posteriors must be [frames, labels], got shape {log_posteriors.shape}")
    if not 0 <= silence_index < log_posteriors.shape[1]:
        raise ValueError(f"silence_index {silence_index} is outside the {log_posteriors.shape[1]} labels")
    return log_posteriors


def to_log(posteriors, floor=1e-10):
    """Log of probabilities, floored so zeros do not give -inf."""
    return np.log(np.maximum(np.asarray(posteriors, dtype=np.float64), floor))


def smooth(posteriors, window):
    """Moving average over ``window`` frames (odd, >= 1), edges averaged over the frames that exist."""
    posteriors = np.asarray(posteriors, dtype=np.float64)
    if window < 1 or window % 2 == 0:
        raise ValueError(f"smoothing window must be an odd number of frames >= 1, got {window}")
    if window == 1 or len(posteriors) == 0:
        return posteriors
    half = window // 2
    padded = np.concatenate([np.zeros((half + 1, posteriors.shape[1])), posteriors,
                             np.zeros((half, posteriors.shape[1]))])
    cumulative = np.cumsum(padded, axis=0)
    sums = cumulative[window:] - cumulative[:-window]
    counts = np.convolve(np.ones(len(posteriors)), np.ones(window), mode="same")[:, None]
    return sums / counts


def label_runs(frame_labels):
    """[(label, start, length), ...] for consecutive equal labels."""
    runs = []
    for index, label in enumerate(frame_labels):
        label = int(label)
        if runs and runs[-1][0] == label:
            runs[-1][2] += 1
        else:
            runs.append([label, index, 1])
    return [tuple(run) for run in runs]


def greedy_segments(posteriors, silence_index, smoothing_window=1, min_frames=1):
    """Word segments ``[(label, first_frame, num_frames)]`` of ``posteriors`` [frames, labels] (probabilities):
    smooth, best label per frame, collapse runs, drop runs (silence too) shorter than ``min_frames`` as noise,
    merge equal neighbours left behind, then drop silence. "four <pause> four" stays two words when the pause
    lasts at least ``min_frames``."""
    _check_posteriors(posteriors, silence_index)
    best = np.argmax(smooth(posteriors, smoothing_window), axis=1)
    kept = []
    for label, start, length in label_runs(best):
        if length < min_frames:
            continue
        if kept and kept[-1][0] == label:
            kept[-1] = (label, kept[-1][1], start + length - kept[-1][1])
        else:
            kept.append((label, start, length))
    return [segment for segment in kept if segment[0] != silence_index]


def greedy_words(posteriors, silence_index, smoothing_window=1, min_frames=1):
    """Label indices of the words found by :func:`greedy_segments`."""
    return [label for label, _, _ in greedy_segments(posteriors, silence_index, smoothing_window, min_frames)]


def viterbi_segments(log_posteriors, silence_index, durations, log_priors=None, prior_scale=0.0,
                     duration_scale=1.0, word_penalty=0.0):
    """Best segmentation of ``log_posteriors`` [frames, labels] into silence frames and word segments.

    Returns ``(segments, score)`` with segments ``[(label, start, length), ...]`` for the words only.
    """
    log_posteriors = _check_posteriors(log_posteriors, silence_index)
    num_frames, num_labels = log_posteriors.shape
    if durations.num_labels != num_labels:
        raise ValueError(f"duration model is for {durations.num_labels} labels, posteriors have {num_labels}")
    frame_scores = log_posteriors.copy()
    if prior_scale:
        if log_priors is None:
            raise ValueError("prior_scale is set but no priors were given")
        log_priors = np.asarray(log_priors, dtype=np.float64)
        if log_priors.shape != (num_labels,):
            raise ValueError(f"priors have shape {log_priors.shape}, expected ({num_labels},)")
        frame_scores -= prior_scale * log_priors
    if num_frames == 0:
        return [], 0.0
    words = [label for label in range(num_labels) if label != silence_index]
    longest = num_frames
    maxima = [durations.max_frames[w] for w in words]
    if all(m is not None for m in maxima):
        longest = min(num_frames, max(maxima))
    segment_costs = duration_scale * durations.log_probs(words, longest) + word_penalty  # [W, longest+1]
    segment_costs[durations.log_probs(words, longest) <= LOG_ZERO / 2] = LOG_ZERO

    word_scores = frame_scores[:, words]
    cumulative = np.concatenate([np.zeros((1, len(words))), np.cumsum(word_scores, axis=0)])  # [T+1, W]
    best = np.full(num_frames + 1, LOG_ZERO)
    best[0] = 0.0
    back_label = np.full(num_frames + 1, -1)  # -1: silence frame
    back_length = np.ones(num_frames + 1, dtype=np.int64)
    for end in range(1, num_frames + 1):
        score = best[end - 1] + frame_scores[end - 1, silence_index]
        label, length = -1, 1
        reach = min(longest, end)
        lengths = np.arange(1, reach + 1)
        starts = end - lengths
        candidates = (best[starts][None, :] + (cumulative[end][:, None] - cumulative[starts].T)
                      + segment_costs[:, 1:reach + 1])  # [W, reach]
        # Scan longest segments first, so ties (e.g. uniform durations, no penalty) give fewer, longer words.
        flat = int(np.argmax(candidates[:, ::-1]))
        word_row, reversed_index = divmod(flat, reach)
        length_index = reach - 1 - reversed_index
        if candidates[word_row, length_index] > score:
            score, label, length = candidates[word_row, length_index], words[word_row], length_index + 1
        best[end], back_label[end], back_length[end] = score, label, length
    segments = []
    end = num_frames
    while end > 0:
        length = int(back_length[end])
        if back_label[end] >= 0:
            segments.append((int(back_label[end]), end - length, length))
        end -= length
    segments.reverse()
    return segments, float(best[num_frames])


def viterbi_words(log_posteriors, silence_index, durations, **options):
    """Label indices of the words of the best word-loop path (see :func:`viterbi_segments` for options)."""
    segments, _ = viterbi_segments(log_posteriors, silence_index, durations, **options)
    return [label for label, _, _ in segments]
