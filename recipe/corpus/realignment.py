"""One round of realignment: forced Viterbi alignment of a corpus to its transcripts with a model's posteriors."""

import json

from recipe.atomic_output import copy_atomically, symlink_atomically, write_json_atomically
from recipe.sis_api import Job, Task


class RealignCorpusJob(Job):
    """Realigns every split of a corpus HDF with frame posteriors of a model trained on its current labels: the
    best path through the transcript's units with optional silence between them
    (:func:`recipe.corpus.forced_alignment.force_align`), scored with ``log p(label|x) - prior_scale *
    log p(label)`` (priors: the model's mean posterior over the frames of ``prior_split``, the usual estimate for
    hybrid models; dividing by it takes back the share of silence a model drifts to when it learns weak word
    frames as silence), each unit at least ``min_frames`` frames. ``previous_weight`` adds that much to the score
    of a frame's current label: the alignment moves only where the model is sure enough, which keeps an early, weak
    model from undoing what the flat start got right (0: the model alone).

    ``hdf``, ``units``, ``transcripts``: {split: Path} of a corpus job (``ImportAudioCorpusJob`` or a previous
    round); ``labels``: its labels JSON; ``posteriors``: {split: Path} RETURNN forward HDF of the same splits (one
    posterior row per frame). Hashed: all arguments. Outputs: those of the corpus job (``out_hdf`` with the new
    ``classes`` and the same audio, ``out_transcripts``, ``out_units``, ``out_labels``, ``out_summary``) plus
    ``out_statistics`` JSON (per split: label shares, durations, share of frames changed against the input
    alignment, mean score) and ``out_plot`` PNG (one utterance, new and previous alignment). Streams one utterance
    at a time. Finished when all outputs exist (each written atomically).
    """

    __sis_version__ = 2
    """2: the priors are the mean posterior (1: the label shares of the current alignment)."""

    def __init__(self, hdf, units, transcripts, labels, posteriors, prior_scale=0.0, min_frames=3,
                 optional_silence=True, prior_split="train", plot_tag=None, previous_weight=0.0):
        if set(posteriors) != set(hdf):
            raise ValueError(f"RealignCorpusJob: posteriors for {sorted(posteriors)} but the corpus has {sorted(hdf)}; "
                             "forward every split")
        if not isinstance(min_frames, int) or min_frames < 1:
            raise ValueError(f"RealignCorpusJob: min_frames={min_frames!r}; use an int >= 1")
        self.hdf, self.units, self.transcripts, self.labels = dict(hdf), dict(units), dict(transcripts), labels
        self.posteriors, self.prior_scale, self.min_frames = dict(posteriors), prior_scale, min_frames
        self.optional_silence, self.prior_split, self.plot_tag = optional_silence, prior_split, plot_tag
        self.previous_weight = previous_weight
        self.out_hdf = {split: self.output_path(f"{split}.hdf") for split in self.hdf}
        self.out_transcripts = {split: self.output_path(f"{split}.transcripts.txt") for split in self.transcripts}
        self.out_units = {split: self.output_path(f"{split}.units.txt") for split in self.units}
        self.out_labels = self.output_path("labels.json")
        self.out_summary = self.output_path("summary.json")
        self.out_statistics = self.output_path("alignment_statistics.json")
        self.out_plot = self.output_path("alignment.png")

    def tasks(self):
        yield Task("run", rqmt={"cpu": 1, "mem": 2, "time": 2})

    def run(self):
        with open(self.labels.get_path(), encoding="utf-8") as file:
            description = json.load(file)
        statistics = realign_corpus(
            {s: p.get_path() for s, p in self.hdf.items()}, {s: p.get_path() for s, p in self.units.items()},
            description["labels"], description.get("silence_index", 0),
            {s: p.get_path() for s, p in self.posteriors.items()}, {s: p.get_path() for s, p in self.out_hdf.items()},
            self.out_plot.get_path(), self.prior_scale, self.min_frames, self.optional_silence, self.prior_split,
            self.plot_tag, self.previous_weight)
        for split, path in self.transcripts.items():
            symlink_atomically(path.get_path(), self.out_transcripts[split].get_path())
        for split, path in self.units.items():
            symlink_atomically(path.get_path(), self.out_units[split].get_path())
        copy_atomically(self.labels.get_path(), self.out_labels.get_path())
        write_json_atomically(self.out_statistics, statistics, sort_keys=True)
        write_json_atomically(self.out_summary, {"unit": description.get("unit"), "alignment": "realigned",
                                                 "splits": {s: {"utterances": v["utterances"], "frames": v["frames"]}
                                                            for s, v in statistics.items()}}, sort_keys=True)


def posterior_priors(posteriors_path, num_labels):
    """log mean posterior over all frames of a RETURNN forward HDF (``inputs`` [frames, num_labels]), read in
    chunks; floored at 1e-6."""
    import h5py
    import numpy

    with h5py.File(posteriors_path, "r") as f:
        data = f["inputs"]
        if data.shape[-1] != num_labels:
            raise ValueError(f"{posteriors_path}: posteriors of {data.shape[-1]} labels, the corpus has {num_labels}")
        total = numpy.zeros(num_labels, dtype=numpy.float64)
        for start in range(0, len(data), 100000):
            total += numpy.asarray(data[start:start + 100000], dtype=numpy.float64).sum(axis=0)
    return numpy.log(numpy.maximum(total / max(len(data), 1), 1e-6))


def realign_corpus(hdf, units, labels, silence_index, posteriors, hdf_out, plot_path, prior_scale=0.0,
                   min_frames=3, optional_silence=True, prior_split="train", plot_tag=None, previous_weight=0.0):
    """Realign every split (see :class:`RealignCorpusJob`); returns the statistics {split: dict}."""
    import numpy

    from recipe.corpus.alignment_report import AlignmentStatistics, plot_alignment
    from recipe.corpus.forced_alignment import force_align, hybrid_scores
    from recipe.corpus.hdf_corpus import SequencesByTag, iterate_sequences, write_corpus_hdf
    from recipe.scoring.transcripts import read_transcripts

    log_priors = posterior_priors(posteriors.get(prior_split, next(iter(posteriors.values()))), len(labels))
    index = {label: i for i, label in enumerate(labels)}
    results, plotted = {}, False
    for split in hdf:
        unit_sequences = read_transcripts(units[split])
        statistics = AlignmentStatistics(labels, silence_index)
        total_score = [0.0, 0]

        def sequences(posterior_by_tag):
            nonlocal plotted
            for number, (tag, streams) in enumerate(iterate_sequences(hdf[split]), 1):
                values = posterior_by_tag[tag]
                if len(values) != len(streams["classes"]):
                    raise ValueError(f"{posteriors[split]}: sequence {tag!r} has {len(values)} posterior frames, "
                                     f"but {hdf[split]} has {len(streams['classes'])} label frames; forward this "
                                     "corpus split with the network trained on it")
                if tag not in unit_sequences:
                    raise KeyError(f"{units[split]} has no transcript for {tag!r}; use the corpus' units file")
                unit_labels = [index[unit] for unit in unit_sequences[tag]]
                scores = hybrid_scores(values, log_priors, prior_scale)
                if previous_weight:
                    scores[numpy.arange(len(scores)), streams["classes"]] += previous_weight
                classes, score = force_align(scores, unit_labels, silence_index, min_frames, optional_silence)
                statistics.add(classes, previous=streams["classes"])
                total_score[0] += score
                total_score[1] += len(classes)
                if not plotted and (plot_tag is None or plot_tag == tag):
                    plot_alignment(plot_path, tag, streams["inputs"].reshape(-1), labels, classes,
                                   previous=streams["classes"], title="realigned")
                    plotted = True
                yield tag, streams["inputs"].reshape(-1), classes
                if number % 100 == 0:
                    print(f"realign {split}: {number} utterances", flush=True)

        with SequencesByTag(posteriors[split]) as posterior_by_tag:
            write_corpus_hdf(hdf_out[split], sequences(posterior_by_tag), labels)
        results[split] = {**statistics.as_dict(), "mean_frame_score": round(total_score[0] / max(total_score[1], 1), 4)}
        print(f"realign {split}: {results[split]['utterances']} utterances, "
              f"{100 * results[split].get('changed_share', 0):.1f} % of frames changed", flush=True)
    if not plotted:
        raise ValueError(f"plot_tag {plot_tag!r} is not in the corpus; give an existing sequence tag or None")
    return results
