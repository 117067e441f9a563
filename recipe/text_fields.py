"""Reading whitespace-separated text files line by line (Kaldi listings, transcripts, CTM, STM): one helper, so
every reader skips blank and comment lines the same way and can name ``file:line`` in its errors."""


def numbered_fields(path, comment_prefix=None):
    """Yields ``(line_number, fields)`` of each line of the UTF-8 file ``path`` with at least one field; lines that
    start with ``comment_prefix`` (e.g. ``";;"``) are skipped. Numbers count from 1, blank lines included."""
    with open(path, encoding="utf-8") as file:
        for number, line in enumerate(file, 1):
            if comment_prefix is not None and line.startswith(comment_prefix):
                continue
            fields = line.split()
            if fields:
                yield number, fields
