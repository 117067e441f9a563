"""Replacing a file or link atomically: the new version is created under a temporary name beside the final one and
renamed over it, so readers (the manager, workers on other hosts) see the old or the new version, never a partial
one. The one mechanism behind every file sislite rewrites (job.save, info, Variables, usage files, reports, links).

sislite keeps its own helper instead of ``recipe/atomic_output.py``: the engine must not import the recipes it runs.
"""

import itertools
import os

_counter = itertools.count()


def replace_atomically(path, create):
    """Call ``create(temporary)`` to make the new version under a temporary name beside ``path``, then rename it to
    ``path``; the temporary is removed if anything fails."""
    temporary = f"{path}.tmp.{os.getpid()}.{next(_counter)}"
    try:
        create(temporary)
        os.replace(temporary, path)
    except BaseException:
        if os.path.lexists(temporary):
            os.unlink(temporary)
        raise


def write_atomically(path, data):
    """Write ``data`` (``bytes``, or ``str`` as UTF-8) to ``path`` atomically."""
    def create(temporary):
        if isinstance(data, bytes):
            with open(temporary, "wb") as f:
                f.write(data)
        else:
            with open(temporary, "w", encoding="utf-8") as f:
                f.write(data)

    replace_atomically(path, create)


def symlink_atomically(destination, link):
    """Point the symlink ``link`` at ``destination`` (creating or replacing it) atomically."""
    replace_atomically(link, lambda temporary: os.symlink(destination, temporary))
