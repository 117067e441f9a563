"""Reading sequences from RETURNN HDF files (``SimpleHDFWriter`` layout, also used by RETURNN's forward task):
``inputs`` [sum of frames, dim] with ``seqLengths`` column 0, extra streams under ``targets/data/<key>`` with
column ``1 + sorted(keys).index(key)``, tags in ``seqTags``. A file h5py cannot read raises CorruptInputError
(recipe/corrupt_input.py) naming it, the job that wrote it and how to have it remade."""

from recipe.corrupt_input import corrupt_input_error, reading
from recipe.file_path import path_string


def read_hdf_sequences(path, key="inputs"):
    """{seq_tag: numpy array} for stream ``key`` ("inputs" = the main data, e.g. forward posteriors; or an extra
    stream such as "classes"), in file order."""
    import h5py
    import numpy as np

    path = path_string(path)
    with reading(path, OSError), h5py.File(path, "r") as file:
        tags = [tag.decode("utf-8") if isinstance(tag, bytes) else str(tag) for tag in file["seqTags"][...]]
        lengths = np.asarray(file["seqLengths"][...])
        if lengths.ndim == 1:
            lengths = lengths[:, None]
        if key == "inputs":
            data, column = file["inputs"], 0
        else:
            streams = sorted(file["targets/data"].keys()) if "targets/data" in file else []
            if key not in streams:
                raise KeyError(f"{path} has no stream {key!r}; it has inputs and {streams}")
            data, column = file["targets/data"][key], 1 + streams.index(key)
        values = np.asarray(data[...])
        offsets = np.concatenate([[0], np.cumsum(lengths[:, column])])
        if offsets[-1] != len(values):
            raise corrupt_input_error(path, f"seqLengths of {key!r} add up to {offsets[-1]} frames but the data "
                                            f"has {len(values)}")
        return {tag: values[offsets[i]:offsets[i + 1]] for i, tag in enumerate(tags)}
