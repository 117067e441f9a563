"""``Checkpoint``: a TF checkpoint written by RETURNN, named by its ``.index`` file (as in i6_core); ``PtCheckpoint``:
a checkpoint of RETURNN's PyTorch backend, one ``.pt`` file."""

import os

from recipe.file_path import path_string


class Checkpoint:
    """A TensorFlow checkpoint ``<prefix>.index`` / ``.data-00000-of-00001`` / ``.meta``.

    Hashes exactly like its index Path, so passing a Checkpoint or its index Path gives the same job id. As a job
    argument or inside a ReturnnConfig its index Path is a job input; in a written RETURNN config it becomes the
    checkpoint prefix (``str(checkpoint)``), which is what RETURNN's ``load``, ``preload_from_files`` and
    ``load_on_init`` expect.
    """

    def __init__(self, index_path):
        path_str = path_string(index_path)
        if not path_str.endswith(".index"):
            raise ValueError(f"Checkpoint needs the checkpoint's .index file, got {path_str!r}; "
                             f"pass e.g. tk.Path('models/epoch.010.index')")
        self.index_path = index_path

    @property
    def marker_path(self):
        """The file whose existence the job that writes it reports (the ``.index`` Path)."""
        return self.index_path

    @property
    def ckpt_path(self):
        """The checkpoint prefix (absolute), e.g. ``/.../models/epoch.010``."""
        return self._index_file()[: -len(".index")]

    def _index_file(self):
        return path_string(self.index_path)

    def exists(self):
        """True once the index file and the data file exist."""
        return os.path.exists(self._index_file()) and os.path.exists(self.ckpt_path + ".data-00000-of-00001")

    def files(self):
        """The checkpoint's files that exist (index, data, meta)."""
        suffixes = (".index", ".data-00000-of-00001", ".meta")
        return [self.ckpt_path + suffix for suffix in suffixes if os.path.exists(self.ckpt_path + suffix)]

    def _sis_hash(self):
        return self.index_path._sis_hash()

    def __fspath__(self):
        return self.ckpt_path

    def __str__(self):
        return self.ckpt_path

    def __repr__(self):
        return f"Checkpoint({self._index_file()!r})"

    def __eq__(self, other):
        return isinstance(other, Checkpoint) and self._index_file() == other._index_file()

    def __hash__(self):
        return hash(self._index_file())


class PtCheckpoint:
    """A checkpoint of RETURNN's PyTorch backend: ``<prefix>.pt`` (``{"model": state dict, "epoch": .., ...}``).

    Hashes exactly like its Path. In a written RETURNN config it is the ``.pt`` file's path (``str(checkpoint)``),
    which is what RETURNN's torch backend reads as ``load`` and ``preload_from_files``' ``filename``.
    """

    def __init__(self, path):
        path_str = path_string(path)
        if not path_str.endswith(".pt"):
            raise ValueError(f"PtCheckpoint needs a .pt file, got {path_str!r}; pass e.g. tk.Path('models/epoch.010.pt')")
        self.path = path

    @property
    def marker_path(self):
        """The ``.pt`` Path (the file whose existence the job that writes it reports)."""
        return self.path

    @property
    def ckpt_path(self):
        """The ``.pt`` file's path (absolute)."""
        return path_string(self.path)

    def exists(self):
        return os.path.exists(self.ckpt_path)

    def files(self):
        return [self.ckpt_path] if self.exists() else []

    def _sis_hash(self):
        return self.path._sis_hash()

    def __fspath__(self):
        return self.ckpt_path

    def __str__(self):
        return self.ckpt_path

    def __repr__(self):
        return f"PtCheckpoint({self.ckpt_path!r})"

    def __eq__(self, other):
        return isinstance(other, PtCheckpoint) and self.ckpt_path == other.ckpt_path

    def __hash__(self):
        return hash(self.ckpt_path)
