"""A path argument as a file-system path string: the one helper every recipe uses for it."""

import os


def path_string(path):
    """The file-system path of ``path``: a ``tk.Path`` (its ``get_path()``), a ``str`` or any ``os.PathLike`` (a
    checkpoint, ``pathlib.Path``); anything else is a TypeError, not its ``str()``."""
    return path.get_path() if hasattr(path, "get_path") else os.fspath(path)
