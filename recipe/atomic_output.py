"""Putting job outputs in place atomically: every file is written under a temporary name in its final directory and
renamed to its final name only when complete, so a crash never leaves a partial file under the final name.

Temporary names are hidden, start with ``.tmp.`` and keep the final name's extension (``.tmp.<stem>.<random><ext>``),
so writers that pick the format from the extension (matplotlib, numpy, h5py) work unchanged. Paths may be strings,
``os.PathLike`` or anything with ``get_path()`` (a ``tk.Path``). Files created here get mode 0644.
"""

import contextlib
import json
import os
import secrets
import shutil

from recipe.file_path import path_string


def temporary_sibling(path):
    """A fresh, not yet existing temporary name in the directory of ``path``, ending in its extension. The caller
    renames it into place (``move_into_place``) or uses :func:`writing_atomically`, which does both."""
    directory, name = os.path.split(os.path.abspath(path_string(path)))
    stem, extension = os.path.splitext(name)
    return os.path.join(directory, f".tmp.{stem}.{secrets.token_hex(4)}{extension}")


def _remove_if_present(path):
    if os.path.lexists(path):
        os.unlink(path)


def _rename_into_place(temporary, path):
    """``os.replace(temporary, path)``; ``temporary`` is removed if that fails."""
    try:
        os.replace(temporary, path)
    except BaseException:
        _remove_if_present(temporary)
        raise


@contextlib.contextmanager
def writing_atomically(path):
    """Context manager yielding a temporary name beside ``path`` for a writer that needs a file name; when the block
    ends without error the file gets mode 0644 and is renamed to ``path``, on error it is removed."""
    path = path_string(path)
    temporary = temporary_sibling(path)
    try:
        yield temporary
        if not os.path.isfile(temporary):
            raise FileNotFoundError(f"nothing was written to {temporary} (the temporary name of {path})")
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        _remove_if_present(temporary)
        raise


def write_atomically(path, data):
    """Write ``data`` (``str`` as UTF-8, or ``bytes``) to ``path``, flushed to disk before the rename."""
    binary = isinstance(data, (bytes, bytearray))
    with writing_atomically(path) as temporary:
        with open(temporary, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8"})) as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())


def write_json_atomically(path, data, indent=1, sort_keys=False):
    """Write ``data`` as JSON (``indent``, ``sort_keys`` as in ``json.dump``) plus a final newline to ``path``."""
    write_atomically(path, json.dumps(data, indent=indent, sort_keys=sort_keys) + "\n")


def copy_atomically(source, target):
    """Copy the file ``source`` to ``target``."""
    with writing_atomically(target) as temporary:
        shutil.copyfile(path_string(source), temporary)


def link_or_copy_atomically(source, target):
    """Hard-link ``source`` to ``target`` (copy where a link is impossible, e.g. across file systems), replacing
    ``target``. A hard link shares the source's file mode, which is left as it is."""
    source, target = path_string(source), path_string(target)
    temporary = temporary_sibling(target)
    try:
        os.link(source, temporary)
    except OSError:
        copy_atomically(source, target)
        return
    _rename_into_place(temporary, target)


def symlink_atomically(source, link):
    """Make ``link`` a symbolic link to the absolute path of ``source``, replacing ``link``."""
    link = path_string(link)
    temporary = temporary_sibling(link)
    os.symlink(os.path.abspath(path_string(source)), temporary)
    _rename_into_place(temporary, link)


def move_into_place(source, target):
    """Move a finished file (e.g. one RETURNN wrote in the job's ``work/``) to ``target``: a rename, or on another
    file system an atomic copy followed by removing ``source``."""
    source, target = path_string(source), path_string(target)
    try:
        os.replace(source, target)
    except OSError:  # another file system
        copy_atomically(source, target)
        os.unlink(source)
