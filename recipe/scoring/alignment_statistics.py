"""Label priors and word durations estimated from frame alignments or frame posteriors (numpy only).

The statistics are a JSON-able dict, the format of ``EstimateAlignmentStatisticsJob.out_statistics``::

    {"labels": [...], "silence_index": 0, "frames": N, "source": "alignment"|"posteriors",
     "priors": [p per label],
     "durations": {label: {"runs", "min", "p05", "median", "p95", "max", "log_mu", "log_sigma"}}}

Durations are lengths of runs of one label in the alignments. A repeated word without silence between ("four
four") is one run of twice the length. With the transcripts at hand, only runs known to hold exactly one word are
used ("merged_runs" counts the others); without them every run counts, and ``log_mu``/``log_sigma`` are estimated
robustly (median and scaled median absolute deviation of the log run length), which limits, but does not remove,
the pull of merged runs towards longer words.
"""

import numpy as np

from recipe.scoring.word_search import DurationModel, label_runs

MIN_LOG_SIGMA = 0.05


def alignment_statistics(alignments, labels, silence_index, transcripts=None):
    """Statistics (see module doc) from ``alignments`` {seq_tag: int array of frame labels}; ``transcripts``
    {seq_tag: [words]} (optional) tells which runs hold more than one word."""
    counts = np.zeros(len(labels), dtype=np.int64)
    run_lengths = {index: [] for index in range(len(labels))}
    merged_runs = mismatched = 0
    for tag, frame_labels in alignments.items():
        frame_labels = np.asarray(frame_labels).reshape(-1)
        if len(frame_labels) and (frame_labels.min() < 0 or frame_labels.max() >= len(labels)):
            raise ValueError(f"alignment of {tag} has label {int(frame_labels.max())} (or negative) but the label "
                             f"list has {len(labels)} entries; use the labels file that belongs to this corpus")
        counts += np.bincount(frame_labels.astype(np.int64), minlength=len(labels))
        runs = label_runs(frame_labels)
        words_per_run = None
        if transcripts is not None:
            if tag not in transcripts:
                raise KeyError(f"sequence {tag!r} has an alignment but no transcript; pass the transcripts of the "
                               "same corpus split as the alignments")
            words_per_run = _words_per_run(runs, transcripts[tag], labels, silence_index)
            mismatched += words_per_run is None
        for position, (label, _, length) in enumerate(runs):
            if label != silence_index and transcripts is not None:
                if words_per_run is None or words_per_run[position] != 1:
                    merged_runs += words_per_run is not None
                    continue
            run_lengths[label].append(length)
    total = int(counts.sum())
    if total == 0:
        raise ValueError("alignments hold no frames; cannot estimate priors or durations")
    return {
        "labels": list(labels), "silence_index": silence_index, "frames": total, "source": "alignment",
        "priors": (counts / total).tolist(), "merged_runs": merged_runs, "mismatched_transcripts": mismatched,
        "durations": {labels[index]: _duration_summary(lengths) for index, lengths in run_lengths.items()},
    }


def _words_per_run(runs, words, labels, silence_index):
    """Number of words in each run (0 for silence; 1 or more for a word), or None if the alignment does not fit
    the transcript. Consecutive equal words spread over fewer runs than words: those runs get the count
    ``words / runs`` rounded up (> 1 marks them as merged)."""
    index_of = {label: index for index, label in enumerate(labels)}
    word_groups = []  # [(label, number of consecutive equal words)]
    for word in words:
        if word not in index_of:
            return None
        if word_groups and word_groups[-1][0] == index_of[word]:
            word_groups[-1][1] += 1
        else:
            word_groups.append([index_of[word], 1])
    run_groups = []  # [(label, [run positions])], runs of one word separated only by silence
    for position, (label, _, _) in enumerate(runs):
        if label == silence_index:
            continue
        if run_groups and run_groups[-1][0] == label:
            run_groups[-1][1].append(position)
        else:
            run_groups.append((label, [position]))
    if [label for label, _ in run_groups] != [label for label, _ in word_groups]:
        return None
    counts = [0] * len(runs)
    for (_, positions), (_, number_of_words) in zip(run_groups, word_groups):
        if number_of_words < len(positions):
            return None
        for position in positions:
            counts[position] = 1 if number_of_words == len(positions) else -(-number_of_words // len(positions))
    return counts


def posterior_statistics(posterior_sequences, labels, silence_index):
    """Priors as the average posterior over all frames of ``posterior_sequences`` (arrays [frames, labels]);
    no durations (alignments are needed for those)."""
    total = np.zeros(len(labels))
    frames = 0
    for posteriors in posterior_sequences:
        posteriors = np.asarray(posteriors, dtype=np.float64)
        if posteriors.ndim != 2 or posteriors.shape[1] != len(labels):
            raise ValueError(f"posteriors of shape {posteriors.shape} do not match {len(labels)} labels")
        total += posteriors.sum(axis=0)
        frames += len(posteriors)
    if frames == 0:
        raise ValueError("posteriors hold no frames; cannot estimate priors")
    return {"labels": list(labels), "silence_index": silence_index, "frames": frames, "source": "posteriors",
            "priors": (total / total.sum()).tolist(), "durations": {}}


def _duration_summary(lengths):
    if not lengths:
        return {"runs": 0}
    lengths = np.asarray(lengths, dtype=np.float64)
    logs = np.log(lengths)
    median_log = float(np.median(logs))
    spread = 1.4826 * float(np.median(np.abs(logs - median_log)))
    return {"runs": int(len(lengths)), "min": int(lengths.min()), "p05": float(np.percentile(lengths, 5)),
            "median": float(np.median(lengths)), "p95": float(np.percentile(lengths, 95)),
            "max": int(lengths.max()), "log_mu": median_log, "log_sigma": max(spread, MIN_LOG_SIGMA)}


def log_priors(statistics, floor=1e-8):
    """log of the priors in ``statistics``, floored (a label never seen must not get -inf)."""
    return np.log(np.maximum(np.asarray(statistics["priors"], dtype=np.float64), floor))


def duration_model(statistics, labels, silence_index, min_frames=None, max_frames=None, min_fraction=0.5,
                   max_factor=3.0):
    """A :class:`DurationModel` for ``labels``: log-normal durations from ``statistics`` when it has them.

    Limits not given explicitly come from the statistics: ``min_frames`` = ``min_fraction`` x the 5th percentile
    of the label's runs (at least 1), ``max_frames`` = ``max_factor`` x its 95th percentile (None if unknown).
    Without statistics: ``min_frames`` (default 1), ``max_frames`` (default None) and uniform durations.
    """
    durations = (statistics or {}).get("durations") or {}
    if statistics is not None and list(statistics.get("labels", labels)) != list(labels):
        raise ValueError(f"statistics are for labels {statistics.get('labels')}, the posteriors for {list(labels)}; "
                         "estimate the statistics on the same label set")
    lows, highs, shapes = [], [], []
    for index, name in enumerate(labels):
        summary = durations.get(name) or {}
        have = index != silence_index and summary.get("runs", 0) > 0
        low = min_frames if min_frames is not None else (
            max(1, int(min_fraction * summary["p05"])) if have else 1)
        high = max_frames if max_frames is not None else (
            int(np.ceil(max_factor * summary["p95"])) if have else None)
        lows.append(low)
        highs.append(None if high is None else max(high, low))
        shapes.append((summary["log_mu"], summary["log_sigma"]) if have else (0.0, 1.0))
    use_shapes = any(d.get("runs", 0) > 0 for i, d in enumerate(durations.get(n) or {} for n in labels)
                     if i != silence_index)
    return DurationModel(len(labels), min_frames=lows, max_frames=highs, log_normal=shapes if use_shapes else None)
