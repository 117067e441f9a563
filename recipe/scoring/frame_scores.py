"""``FrameScoresJob``: cross-entropy and frame error rate per sequence from forwarded posteriors and the corpus'
frame labels, for models RETURNN cannot evaluate per sequence itself (its PyTorch backend); the outputs have
ReturnnEvalJob's format, so the report reads both alike."""

from recipe.returnn.evaluation import sum_per_seq_scores
from recipe.sis_api import Job, Task

MIN_PROBABILITY = 1e-30
"""Posteriors below this count as this in the CE (a float32 softmax can round a probability to 0)."""


def frame_scores(posteriors, classes, source):
    """``[{"tag", "frames", "ce", "fer"}]`` (per sequence, CE and FER per frame) of ``posteriors`` ``{tag: [frames,
    classes]}`` against ``classes`` ``{tag: [frames]}``; ValueError naming ``source`` for a missing sequence or a
    frame count that differs."""
    import numpy as np

    records = []
    for tag, probabilities in posteriors.items():
        if tag not in classes:
            raise ValueError(f"{source}: sequence {tag!r} of the posteriors is not in the reference labels")
        labels = np.asarray(classes[tag]).reshape(-1).astype(int)
        if len(labels) != len(probabilities):
            raise ValueError(f"{source}: {tag!r} has {len(probabilities)} posterior frames but {len(labels)} labels")
        target = np.maximum(probabilities[np.arange(len(labels)), labels], MIN_PROBABILITY)
        records.append({"tag": tag, "frames": int(len(labels)), "ce": float(-np.log(target).mean()),
                        "fer": float((probabilities.argmax(axis=-1) != labels).mean())})
    return records


class FrameScoresJob(Job):
    """CE and FER of forwarded posteriors per dataset.

    ``posteriors``: ``{name: posteriors HDF}`` (ReturnnForwardJob / ReturnnTorchForwardJob ``out_hdf``);
    ``references``: ``{name: corpus HDF}`` with the frame labels in its ``classes`` stream. Hashed: both.
    Outputs: ``out_scores`` (``{name: {"ce", "fer", "frames"}}``, frame-weighted) and ``out_per_sequence``
    (``{name: [{"tag", "frames", "ce", "fer"}]}``), ReturnnEvalJob's formats. Finished when both are written
    (``out_scores`` last).
    """

    def __init__(self, posteriors, references):
        if not isinstance(posteriors, dict) or sorted(posteriors) != sorted(references):
            raise ValueError(f"FrameScoresJob: posteriors and references need the same dataset names, got "
                             f"{sorted(posteriors)} and {sorted(references)}")
        self.posteriors = posteriors
        self.references = references
        self.out_scores = self.output_path("scores.json")
        self.out_per_sequence = self.output_path("per_sequence.json")

    def tasks(self):
        yield Task("run", mini_task=True)

    def run(self):
        from recipe.atomic_output import write_json_atomically
        from recipe.scoring.returnn_hdf import read_hdf_sequences

        scores, per_sequence = {}, {}
        for name in sorted(self.posteriors):
            source = f"{self.posteriors[name]} vs {self.references[name]}"
            per_sequence[name] = frame_scores(read_hdf_sequences(self.posteriors[name]),
                                              read_hdf_sequences(self.references[name], "classes"), source)
            scores[name] = sum_per_seq_scores(per_sequence[name], source)
            print(f"recipe.scoring: {name}: {scores[name]}", flush=True)
        write_json_atomically(self.out_per_sequence, per_sequence, indent=None, sort_keys=True)
        write_json_atomically(self.out_scores, scores, indent=2, sort_keys=True)
