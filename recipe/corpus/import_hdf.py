"""Bring a user's own corpus in: existing RETURNN HDF files with raw audio and frame alignments."""

import os

from recipe.atomic_output import symlink_atomically, write_json_atomically
from recipe.corrupt_input import reading
from recipe.file_path import path_string
from recipe.input_digest import check_unchanged, file_digests
from recipe.sis_api import Job, Task


class ImportHdfCorpusJob(Job):
    """Checks a user's RETURNN HDF corpus and exposes it with the outputs of the synthetic corpus job.

    ``hdf``: {"train", "dev", "test": tk.Path} HDF files with ``inputs`` = 16 kHz raw samples (dim 1) and frame-rate
    targets ``classes``; every sequence must have exactly ``frontend_output_frames(num_samples)`` frames
    (audio = 160 * frames + 320 samples). ``labels``: the class names (index = class id), ``silence_index``: the
    silence class, ``unit``: what a class is; ``transcripts``: optional {split: tk.Path} (``<seq_tag> <word> ...``).

    Hashed: all arguments, the HDF and transcript files by their paths (the Sisyphus convention), or with
    ``content_hash=True`` by their contents (sha256; a file regenerated at the same path then gives a new job id instead
    of reusing stale results, and the job refuses to run when a file changed after the graph was built;
    ``recipe/input_digest.py``). Outputs: ``out_hdf`` and ``out_transcripts`` (links to the
    inputs), ``out_labels`` JSON {"unit", "labels", "silence_index"}, ``out_summary`` JSON (sequences, hours,
    label histogram per split). Fails on the first bad sequence, naming its tag and both lengths. Finished when all
    outputs exist.
    """

    __sis_hash_exclude__ = {"content_hash": False}

    def __init__(self, hdf, labels, silence_index=0, unit="word", transcripts=None, sample_rate=16000,
                 content_hash=False):
        self.hdf, self.labels, self.silence_index, self.unit = dict(hdf), list(labels), silence_index, unit
        self.transcripts, self.sample_rate = dict(transcripts or {}), sample_rate
        if not self.hdf:
            raise ValueError("ImportHdfCorpusJob needs hdf={split: tk.Path(...)} with at least one split")
        if not 0 <= silence_index < len(self.labels):
            raise ValueError(f"silence_index={silence_index} is outside labels (0..{len(self.labels) - 1})")
        unknown = sorted(set(self.transcripts) - set(self.hdf))
        if unknown:
            raise ValueError(f"transcripts for splits {unknown} that have no hdf; give the same split names")
        self.content_hash = content_hash
        self.input_digests = file_digests(self.external_files(self.hdf, self.transcripts)) if content_hash else None
        self.out_hdf = {split: self.output_path(f"{split}.hdf") for split in self.hdf}
        self.out_transcripts = {split: self.output_path(f"{split}.transcripts.txt") for split in self.transcripts}
        self.out_labels = self.output_path("labels.json")
        self.out_summary = self.output_path("summary.json")

    @staticmethod
    def external_files(hdf, transcripts):
        """{"hdf/<split>" or "transcripts/<split>": Path} of the input files."""
        files = {f"hdf/{split}": path for split, path in dict(hdf).items()}
        files.update({f"transcripts/{split}": path for split, path in dict(transcripts or {}).items()})
        return files

    @classmethod
    def hash(cls, parsed_args):
        if parsed_args.get("content_hash"):
            files = cls.external_files(parsed_args["hdf"], parsed_args.get("transcripts"))
            parsed_args = dict(parsed_args, content_hash=file_digests(files))
        return super().hash(parsed_args)

    def tasks(self):
        yield Task("run", mini_task=True)

    def run(self):
        if self.content_hash:
            check_unchanged(self, self.external_files(self.hdf, self.transcripts), self.input_digests)
        import_corpus(self.hdf, self.labels, self.silence_index, self.unit, self.transcripts, self.sample_rate,
                      {s: p.get_path() for s, p in self.out_hdf.items()},
                      {s: p.get_path() for s, p in self.out_transcripts.items()},
                      self.out_labels.get_path(), self.out_summary.get_path())


def import_corpus(hdf, labels, silence_index, unit, transcripts, sample_rate, hdf_out, transcripts_out,
                  labels_out, summary_out):
    """Check every split's HDF (lengths, class ids), then link inputs and write labels and summary."""
    import h5py
    import numpy

    from recipe.corpus.hdf_corpus import check_frame_lengths

    summary = {"sample_rate": sample_rate, "unit": unit, "splits": {}}
    for split, path in sorted(hdf.items()):
        path = path_string(path)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"corpus split {split!r}: {path} does not exist")
        lengths = check_frame_lengths(path)
        with reading(path, OSError), h5py.File(path, "r") as f:
            classes = f["targets/data/classes"][...]
        if classes.size and (classes.min() < 0 or classes.max() >= len(labels)):
            raise ValueError(f"{path}: classes range {classes.min()}..{classes.max()} but {len(labels)} labels "
                             f"were given; pass the full label list")
        histogram = numpy.bincount(classes.astype(numpy.int64).ravel(), minlength=len(labels))
        summary["splits"][split] = {
            "utterances": len(lengths), "hours": round(sum(n for _, n, _ in lengths) / sample_rate / 3600.0, 4),
            "frames": int(histogram.sum()),
            "label_histogram": {label: int(n) for label, n in zip(labels, histogram)},
        }
    for split, path in hdf.items():
        symlink_atomically(path_string(path), hdf_out[split])
    for split, path in transcripts.items():
        symlink_atomically(path_string(path), transcripts_out[split])
    write_json_atomically(labels_out, {"unit": unit, "labels": list(labels), "silence_index": silence_index},
                          sort_keys=True)
    write_json_atomically(summary_out, summary, sort_keys=True)
