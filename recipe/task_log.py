"""Reading the end of a log a task is still writing (cheap enough for ``info()``, which the manager calls on every
pass): RETURNN's progress log, a task's ``log.<task>.<id>``."""

import os


def read_tail(path, size):
    """The last ``size`` bytes of ``path`` as text, starting at a whole line; raises OSError if it is unreadable."""
    with open(path, "rb") as file:
        file.seek(0, os.SEEK_END)
        length = file.tell()
        file.seek(max(0, length - size))
        data = file.read(size)
    text = data.decode("utf-8", errors="replace")
    if length > size:  # drop the partial first line
        text = text.split("\n", 1)[-1]
    return text


def read_head(path, size):
    """The first ``size`` bytes of ``path`` as text; raises OSError if it is unreadable."""
    with open(path, "rb") as file:
        return file.read(size).decode("utf-8", errors="replace")


def last_line_starting_with(path, prefix, size=16 * 1024):
    """The rest of the last line among the final ``size`` bytes of ``path`` that starts with ``prefix``; None if
    there is none or the file is missing."""
    try:
        lines = read_tail(path, size).splitlines()
    except OSError:
        return None
    return next((line[len(prefix):].strip() for line in reversed(lines) if line.startswith(prefix)), None)
