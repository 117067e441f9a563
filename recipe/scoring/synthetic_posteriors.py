"""Synthetic connected-digit alignments and noisy frame posteriors made from them, with known word strings.

For tests and benchmarks of the decoders: shaped like the demo corpus (contract 4: 12 word labels, silence = 0,
10 ms frames, digits lasting ~0.35 s, optional pauses, repeated digits often spoken without a pause).
"""

import numpy as np

WORD_LABELS = ["<sil>", "oh", "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def random_utterance(rng, max_words=7, repeat_probability=0.2, pause_probability=0.5, word_median_frames=35,
                     word_log_sigma=0.25, labels=WORD_LABELS):
    """(word label indices, frame alignment) of one utterance; repeated words get no pause between them."""
    num_words = int(rng.integers(1, max_words + 1))
    words = []
    for _ in range(num_words):
        if words and rng.random() < repeat_probability:
            words.append(words[-1])
        else:
            words.append(int(rng.integers(1, len(labels))))
    frames = [0] * int(rng.integers(10, 50))
    for position, word in enumerate(words):
        if position and words[position - 1] != word and rng.random() < pause_probability:
            frames += [0] * int(rng.integers(3, 25))
        duration = max(8, int(round(word_median_frames * np.exp(word_log_sigma * rng.standard_normal()))))
        frames += [word] * duration
    frames += [0] * int(rng.integers(10, 50))
    return words, np.asarray(frames, dtype=np.int32)


def noisy_posteriors(rng, alignment, num_labels=len(WORD_LABELS), strength=4.0, noise=1.5, blur=3, correlation=4):
    """Posteriors [frames, labels] whose best label mostly follows ``alignment``: a blurred one-hot of the
    alignment scaled by ``strength`` plus time-correlated Gaussian noise, through a softmax."""
    num_frames = len(alignment)
    one_hot = np.eye(num_labels)[alignment]
    if blur > 0:
        kernel = np.ones(2 * blur + 1) / (2 * blur + 1)
        one_hot = np.stack([np.convolve(one_hot[:, c], kernel, mode="same") for c in range(num_labels)], axis=1)
    disturbance = rng.standard_normal((num_frames + 2 * correlation, num_labels))
    if correlation > 0:
        kernel = np.ones(2 * correlation + 1) / np.sqrt(2 * correlation + 1)
        disturbance = np.stack([np.convolve(disturbance[:, c], kernel, mode="valid") for c in range(num_labels)],
                               axis=1)
    logits = strength * one_hot + noise * disturbance[:num_frames]
    logits -= logits.max(axis=1, keepdims=True)
    probabilities = np.exp(logits)
    return (probabilities / probabilities.sum(axis=1, keepdims=True)).astype(np.float32)


def synthetic_set(seed, num_utterances, split="dev", **posterior_options):
    """{tag: (words as strings, alignment, posteriors)} for ``num_utterances`` utterances tagged ``<split>/utt-N``."""
    rng = np.random.default_rng(seed)
    result = {}
    for index in range(num_utterances):
        words, alignment = random_utterance(rng)
        result[f"{split}/utt-{index:04d}"] = ([WORD_LABELS[w] for w in words], alignment,
                                              noisy_posteriors(rng, alignment, **posterior_options))
    return result
