"""Putting files into a job's ``output/`` atomically (temporary name in the same directory, then rename), so a crash
never leaves a partial output under its final name."""

import json
import os
import shutil
import tempfile


def _temporary_beside(target):
    fd, tmp = tempfile.mkstemp(prefix=".tmp." + os.path.basename(target) + ".", dir=os.path.dirname(target) or ".")
    os.close(fd)
    return tmp


def copy_atomically(source, target):
    """Copy ``source`` to ``target`` (temporary copy + rename)."""
    tmp = _temporary_beside(target)
    try:
        shutil.copyfile(source, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def link_or_copy_atomically(source, target):
    """Hard-link ``source`` to ``target`` (copy across file systems), replacing ``target`` atomically."""
    tmp = _temporary_beside(target)
    os.unlink(tmp)
    try:
        try:
            os.link(source, tmp)
        except OSError:
            shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def move_into_place(source, target):
    """Move a finished file (e.g. RETURNN's HDF output written in ``work/``) to ``target``."""
    try:
        os.replace(source, target)
    except OSError:  # another file system
        copy_atomically(source, target)
        os.unlink(source)


def write_json_atomically(data, target):
    """Write ``data`` as indented JSON to ``target`` (temporary file + rename)."""
    tmp = _temporary_beside(target)
    try:
        with open(tmp, "w") as file:
            json.dump(data, file, indent=2, sort_keys=True)
            file.write("\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
