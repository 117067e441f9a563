"""Writing job outputs atomically: to a temporary name in the same directory, then renamed into place, so a crash
never leaves a half-written file under the final name."""

import os
import tempfile


def write_atomically(path, data):
    """Write ``data`` (str or bytes) to ``path`` (str or anything with ``get_path()``) via temp file + rename."""
    path = path.get_path() if hasattr(path, "get_path") else os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    mode = "wb" if isinstance(data, (bytes, bytearray)) else "w"
    handle, temporary = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def temporary_sibling(path):
    """A temporary file name next to ``path`` for writers that need a file name (matplotlib, h5py); rename it
    with ``os.replace`` when done."""
    path = path.get_path() if hasattr(path, "get_path") else os.fspath(path)
    directory, name = os.path.split(os.path.abspath(path))
    stem, extension = os.path.splitext(name)
    return os.path.join(directory, f".{stem}.partial{extension}")
