"""Praat TextGrid alignments (Montreal Forced Aligner output), read and written with ``praatio``.

One TextGrid per utterance, named ``<utterance>.TextGrid`` anywhere under the alignment folder (MFA writes
``<speaker>/<utterance>.TextGrid``). The tier ``words`` holds words, ``phones`` phones (MFA's names); a TextGrid
with other tier names uses its first interval tier for words. Empty intervals and ``sil``/``sp`` are silence.
"""

import os

from recipe.corpus.input_problems import CorpusInputError
from recipe.corpus.timed_alignment import TimedToken

WORD_TIER, PHONE_TIER = "words", "phones"


def find_textgrids(directory):
    """{utterance: path} of the ``.TextGrid`` files under ``directory``."""
    if not os.path.isdir(directory):
        raise CorpusInputError(directory, "TextGrid folder does not exist", "fix the alignment path")
    found = {}
    for root, _, names in sorted(os.walk(directory)):
        for name in sorted(names):
            stem, extension = os.path.splitext(name)
            if extension.lower() == ".textgrid":
                found[stem] = os.path.join(root, name)
    return found


def read_textgrid(path, level="word"):
    """[TimedToken] of the word (``level="word"``) or phone tier of one TextGrid file; ``where`` names the file
    and the interval's number in the tier."""
    from praatio import textgrid

    try:
        grid = textgrid.openTextgrid(path, includeEmptyIntervals=True)
    except Exception as error:  # praatio raises several types for a malformed file
        raise CorpusInputError(path, f"TextGrid cannot be read ({type(error).__name__}: {error})",
                               "write it with Praat or the Montreal Forced Aligner") from None
    names = grid.tierNames
    wanted = WORD_TIER if level == "word" else PHONE_TIER
    if wanted in names:
        tier = grid.getTier(wanted)
    elif level == "word" and names:
        tier = grid.getTier(names[0])
    else:
        raise CorpusInputError(path, f"TextGrid has no {wanted!r} tier (tiers: {list(names)})",
                               f"add a {wanted!r} interval tier")
    return [TimedToken(start, end, label.strip(), f"{path}:{tier.name}[{index}]")
            for index, (start, end, label) in enumerate(tier.entries, 1)]


def write_textgrid(path, duration, tiers):
    """Write a TextGrid with interval tiers {name: [(start_s, end_s, label)]} (silence left out)."""
    from praatio import textgrid
    from praatio.utilities.constants import Interval

    grid = textgrid.Textgrid()
    for name, entries in tiers.items():
        grid.addTier(textgrid.IntervalTier(name, [Interval(s, e, label) for s, e, label in entries], 0.0, duration))
    grid.save(path, format="long_textgrid", includeBlankSpaces=True)
