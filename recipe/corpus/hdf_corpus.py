"""RETURNN HDF corpus files: raw 16 kHz samples (``data``, dim 1) plus frame ``classes``.

Written with ``returnn.datasets.hdf.SimpleHDFWriter`` (readable by RETURNN's ``HDFDataset``) to a temporary name and
renamed into place; read back with h5py for length checks against the CNN front-end formula.
"""

from recipe.atomic_output import writing_atomically
from recipe.corrupt_input import reading
from recipe.file_path import path_string


class CorpusLengthError(ValueError):
    """A sequence whose number of label frames does not match what the front-end makes of its samples."""


def write_corpus_hdf(path, sequences, labels):
    """Write ``sequences`` (iterable of ``(tag, samples float32 [T], classes int32 [F])``) to ``path``; returns the
    number of sequences. ``labels`` (the class names) sets the ``classes`` dimension."""
    import numpy
    from returnn.datasets.hdf import SimpleHDFWriter

    count = 0
    with writing_atomically(path) as partial:
        writer = SimpleHDFWriter(partial, dim=1, ndim=2, extra_type={"classes": (len(labels), 1, "int32")},
                                 extra_labels={"classes": list(labels)})
        try:
            for tag, samples, classes in sequences:
                samples = numpy.asarray(samples, dtype=numpy.float32).reshape(1, -1, 1)
                classes = numpy.asarray(classes, dtype=numpy.int32).reshape(1, -1)
                writer.insert_batch(samples, seq_len=[samples.shape[1]], seq_tag=[tag], extra={"classes": classes})
                count += 1
        finally:
            writer.close()
    return count


def read_sequence_lengths(path, target_key="classes"):
    """``[(tag, num_samples, num_frames)]`` of a RETURNN HDF file, without loading the audio."""
    import h5py

    with reading(path, OSError), h5py.File(path, "r") as f:
        if "inputs" not in f or "seqLengths" not in f or "seqTags" not in f:
            raise ValueError(f"{path} is not a RETURNN HDF file (needs inputs, seqLengths, seqTags)")
        input_dim = f["inputs"].shape[1] if len(f["inputs"].shape) > 1 else 1
        if input_dim != 1:
            raise ValueError(f"{path}: inputs have dim {input_dim}; the raw-waveform front-end needs dim 1 "
                             f"(one 16 kHz sample per time step)")
        targets = sorted(f["targets/data"].keys()) if "targets/data" in f else []
        if target_key not in targets:
            raise ValueError(f"{path} has no frame targets {target_key!r} (has {targets}); write the frame "
                             f"alignment as targets/data/{target_key}")
        column = 1 + targets.index(target_key)
        lengths = f["seqLengths"][...]
        tags = [t.decode() if isinstance(t, bytes) else str(t) for t in f["seqTags"][...]]
        return [(tag, int(row[0]), int(row[column])) for tag, row in zip(tags, lengths)]


def check_frame_lengths(path, target_key="classes"):
    """Raise :class:`CorpusLengthError` naming the first sequence whose frame count is not
    ``frontend_output_frames(num_samples)``; returns the lengths when all match."""
    from recipe.corpus.frontend_geometry import frontend_output_frames, samples_for_frames

    lengths = read_sequence_lengths(path, target_key)
    for tag, num_samples, num_frames in lengths:
        expected = frontend_output_frames(num_samples)
        if expected != num_frames:
            raise CorpusLengthError(
                f"{path}: sequence {tag!r} has {num_samples} samples and {num_frames} {target_key} frames, but the "
                f"CNN front-end gives {expected} frames for {num_samples} samples; pad the audio to "
                f"160 * frames + 320 = {samples_for_frames(num_frames)} samples (160 on each side)")
    return lengths


def iterate_sequences(path, keys=("inputs", "classes")):
    """Yield ``(tag, {key: array})`` for every sequence of a RETURNN HDF file, one sequence in memory at a time.
    ``"inputs"`` is the main stream (samples, or a forward job's posteriors); other keys are ``targets/data``
    streams."""
    import h5py
    import numpy

    path = path_string(path)
    with h5py.File(path, "r") as f:
        tags = [t.decode() if isinstance(t, bytes) else str(t) for t in f["seqTags"][...]]
        lengths = numpy.asarray(f["seqLengths"][...])
        if lengths.ndim == 1:
            lengths = lengths[:, None]
        streams = sorted(f["targets/data"].keys()) if "targets/data" in f else []
        sources = {}
        for key in keys:
            if key == "inputs":
                sources[key] = (f["inputs"], 0)
            elif key in streams:
                sources[key] = (f["targets/data"][key], 1 + streams.index(key))
            else:
                raise KeyError(f"{path} has no stream {key!r}; it has inputs and {streams}")
        offsets = {key: numpy.concatenate([[0], numpy.cumsum(lengths[:, column])])
                   for key, (_, column) in sources.items()}
        for index, tag in enumerate(tags):
            yield tag, {key: numpy.asarray(data[offsets[key][index]:offsets[key][index + 1]])
                        for key, (data, _) in sources.items()}


class SequencesByTag:
    """Random access to the main stream (``inputs``) of a RETURNN HDF file by sequence tag, one sequence read at a
    time (a forward job's output need not be in the corpus' order). Use as a context manager."""

    def __init__(self, path):
        self.path = path_string(path)

    def __enter__(self):
        import h5py
        import numpy

        self.file = h5py.File(self.path, "r")
        tags = [t.decode() if isinstance(t, bytes) else str(t) for t in self.file["seqTags"][...]]
        lengths = numpy.asarray(self.file["seqLengths"][...])
        lengths = lengths[:, 0] if lengths.ndim > 1 else lengths
        offsets = numpy.concatenate([[0], numpy.cumsum(lengths)])
        self.spans = {tag: (int(offsets[i]), int(offsets[i + 1])) for i, tag in enumerate(tags)}
        return self

    def __exit__(self, *exc):
        self.file.close()

    def __getitem__(self, tag):
        if tag not in self.spans:
            raise KeyError(f"{self.path} has no sequence {tag!r}; forward the same corpus split")
        start, end = self.spans[tag]
        return self.file["inputs"][start:end]
