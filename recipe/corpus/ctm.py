"""CTM alignment files (Kaldi ``ctm``): ``<utterance> <channel> <start> <duration> <token> [<confidence>]`` per
line, times in seconds from the start of the utterance's audio. Tokens are words or (a phone CTM) phones."""

from recipe.corpus.input_problems import CorpusInputError
from recipe.corpus.timed_alignment import TimedToken
from recipe.text_fields import numbered_fields


def read_ctm(path):
    """{utterance: [TimedToken]} in time order, each token naming ``path:line``."""
    path = str(path)
    tokens = {}
    for number, fields in numbered_fields(path, comment_prefix=";;"):
        where = f"{path}:{number}"
        if len(fields) < 5:
            raise CorpusInputError(where, f"CTM line has {len(fields)} fields, needs 5 or 6",
                                   "write '<utterance> <channel> <start> <duration> <word> [<confidence>]'")
        try:
            start, duration = float(fields[2]), float(fields[3])
        except ValueError:
            raise CorpusInputError(where, f"start/duration {fields[2]!r} {fields[3]!r} are not numbers",
                                   "write seconds") from None
        if duration < 0:
            raise CorpusInputError(where, f"negative duration {duration}", "fix the CTM", fields[0])
        tokens.setdefault(fields[0], []).append(TimedToken(start, start + duration, fields[4], where))
    for entries in tokens.values():
        entries.sort(key=lambda token: token.start)
    return tokens


def format_ctm(alignments, decimals=2):
    """CTM text for {utterance: [(start_s, end_s, token)]} (silence left out, channel 1)."""
    lines = []
    for utterance, entries in alignments.items():
        for start, end, token in entries:
            lines.append(f"{utterance} 1 {start:.{decimals}f} {end - start:.{decimals}f} {token}\n")
    return "".join(lines)
