"""What an alignment job reports: statistics over a split's frame labels and a plot of one utterance.

Statistics (JSON): utterances, frames, silence share, label histogram, per-label duration of runs (median, mean
frames) and, when the previous alignment is known, the share of frames whose label changed. The plot shows the
utterance's waveform with its labels (and the previous alignment's, when given) as coloured bands.
"""


class AlignmentStatistics:
    """Accumulates frame labels utterance by utterance (streaming)."""

    def __init__(self, labels, silence_index=0):
        import numpy

        self.labels, self.silence_index = list(labels), silence_index
        self.histogram = numpy.zeros(len(labels), dtype=numpy.int64)
        self.run_lengths = {index: [] for index in range(len(labels))}
        self.utterances = self.changed = self.compared = 0

    def add(self, frame_labels, previous=None):
        import numpy

        frame_labels = numpy.asarray(frame_labels, dtype=numpy.int64)
        self.utterances += 1
        self.histogram += numpy.bincount(frame_labels, minlength=len(self.labels))
        if len(frame_labels):
            edges = numpy.flatnonzero(numpy.diff(frame_labels)) + 1
            starts = numpy.concatenate([[0], edges])
            ends = numpy.concatenate([edges, [len(frame_labels)]])
            for start, end in zip(starts, ends):
                self.run_lengths[int(frame_labels[start])].append(int(end - start))
        if previous is not None:
            self.changed += int(numpy.count_nonzero(numpy.asarray(previous) != frame_labels))
            self.compared += len(frame_labels)

    def as_dict(self):
        import numpy

        frames = int(self.histogram.sum())
        result = {"utterances": self.utterances, "frames": frames,
                  "silence_share": round(float(self.histogram[self.silence_index]) / max(frames, 1), 4),
                  "label_histogram": {label: int(n) for label, n in zip(self.labels, self.histogram)},
                  "durations": {self.labels[index]: {"runs": len(runs), "median_frames": float(numpy.median(runs)),
                                                     "mean_frames": round(float(numpy.mean(runs)), 2)}
                                for index, runs in self.run_lengths.items() if runs}}
        if self.compared:
            result["changed_share"] = round(self.changed / self.compared, 4)
        return result


def plot_alignment(path, tag, samples, labels, frame_labels, previous=None, title=""):
    """PNG of one utterance: waveform, then one band per alignment (new; previous when given)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy

    from recipe.atomic_output import writing_atomically

    rows = [("alignment", frame_labels)] + ([("previous", previous)] if previous is not None else [])
    figure, axes = plt.subplots(1 + len(rows), 1, figsize=(10, 2 + 0.8 * len(rows)), sharex=True,
                                gridspec_kw={"height_ratios": [3] + [1] * len(rows)})
    seconds = numpy.arange(len(samples)) / 16000.0
    axes[0].plot(seconds, samples, linewidth=0.3, color="black")
    axes[0].set_title(f"{title} {tag}".strip(), fontsize=9)
    colours = plt.get_cmap("tab20")
    for axis, (name, values) in zip(axes[1:], rows):
        values = numpy.asarray(values)
        edges = numpy.concatenate([[0], numpy.flatnonzero(numpy.diff(values)) + 1, [len(values)]])
        for start, end in zip(edges[:-1], edges[1:]):
            label = int(values[start])
            left, right = (160 * start + 160) / 16000.0, (160 * end + 160) / 16000.0
            axis.axvspan(left, right, color="white" if label == 0 else colours(label % 20), alpha=0.8)
            if label != 0:
                axis.text((left + right) / 2, 0.5, labels[label], ha="center", va="center", fontsize=7)
        axis.set_yticks([])
        axis.set_ylabel(name, fontsize=8, rotation=0, ha="right")
    axes[-1].set_xlabel("seconds")
    figure.tight_layout()
    with writing_atomically(path) as partial:
        figure.savefig(partial, format="png", dpi=100)
    plt.close(figure)
