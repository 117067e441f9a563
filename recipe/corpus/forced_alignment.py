"""Forced alignment: the best frame labelling of an utterance that follows its transcript (numpy Viterbi).

The transcript's units (words or phones, as label indices) become a left-to-right chain of states: each unit has
``min_frames`` states in a row (so it lasts at least that long), the last with a self-loop; an optional silence
state (self-loop, may be skipped) sits before the first unit, between units and after the last. Frame scores are
hybrid scaled likelihoods ``log p(label | x) - prior_scale * log p(label)``; transitions cost nothing.
"""

import numpy as np

LOG_ZERO = -1e30


def state_chain(unit_labels, silence_index, min_frames, optional_silence=True):
    """``(labels, self_loop, skippable)`` arrays of the chain's states (see module doc)."""
    labels, loops, skippable = [], [], []

    def silence():
        if optional_silence:
            labels.append(silence_index), loops.append(True), skippable.append(True)

    silence()
    for unit in unit_labels:
        for position in range(min_frames):
            labels.append(unit), loops.append(position == min_frames - 1), skippable.append(False)
        silence()
    return np.asarray(labels, dtype=np.int64), np.asarray(loops), np.asarray(skippable)


def force_align(log_scores, unit_labels, silence_index, min_frames=3, optional_silence=True):
    """``(frame_labels int32 [T], score)`` for ``log_scores`` [T, labels]. When the utterance is too short for
    ``min_frames`` per unit, fewer are used (down to 1); ``ValueError`` if it has fewer frames than units."""
    log_scores = np.asarray(log_scores, dtype=np.float64)
    num_frames = len(log_scores)
    if num_frames < len(unit_labels):
        raise ValueError(f"{num_frames} frames cannot hold the transcript's {len(unit_labels)} units")
    min_frames = max(1, min(min_frames, num_frames // max(1, len(unit_labels))))
    labels, loops, skippable = state_chain(unit_labels, silence_index, min_frames, optional_silence)
    num_states = len(labels)
    emissions = log_scores[:, labels]  # [T, S]
    score = np.full(num_states, LOG_ZERO)
    score[0] = emissions[0, 0]
    if skippable[0] and num_states > 1:
        score[1] = emissions[0, 1]
    back = np.zeros((num_frames, num_states), dtype=np.int8)  # 0: stay, 1: from s-1, 2: from s-2 (skip)
    can_skip = np.zeros(num_states, dtype=bool)
    can_skip[2:] = skippable[1:-1]
    for t in range(1, num_frames):
        stay = np.where(loops, score, LOG_ZERO)
        advance = np.concatenate([[LOG_ZERO], score[:-1]])
        skip = np.where(can_skip, np.concatenate([[LOG_ZERO, LOG_ZERO], score[:-2]]), LOG_ZERO)
        candidates = np.stack([stay, advance, skip])
        choice = np.argmax(candidates, axis=0)
        score = candidates[choice, np.arange(num_states)] + emissions[t]
        back[t] = choice
    last = num_states - 1
    if skippable[-1] and num_states > 1 and score[last - 1] > score[last]:
        last -= 1
    best = float(score[last])
    states = np.empty(num_frames, dtype=np.int64)
    for t in range(num_frames - 1, -1, -1):
        states[t] = last
        last -= int(back[t, last])
    return labels[states].astype(np.int32), best


def hybrid_scores(posteriors, log_priors=None, prior_scale=0.0, floor=1e-10):
    """``log p(label | x) - prior_scale * log p(label)`` for posteriors [T, labels]."""
    scores = np.log(np.maximum(np.asarray(posteriors, dtype=np.float64), floor))
    if prior_scale and log_priors is not None:
        scores = scores - prior_scale * np.asarray(log_priors, dtype=np.float64)
    return scores
