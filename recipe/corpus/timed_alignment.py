"""Time-stamped alignments (from CTM or TextGrid) as frame labels, checked against audio length and transcript.

A :class:`TimedToken` is a word or phone with start and end in seconds of the utterance's audio file (``token`` None
for silence). Frame ``f`` of an imported utterance is centred on sample ``160 f + 240`` of the 16 kHz audio (see
:mod:`recipe.corpus.import_audio`), so its label is the token whose ``[start, end)`` holds that sample; frames in
no token are silence. Times are turned into samples by rounding, so CTM times with 2 decimals give the same frames.
"""

from recipe.corpus.input_problems import CorpusInputError

SILENCE_TOKENS = frozenset({"", "sil", "sp", "<eps>", "<sil>", "SIL", "!SIL"})
"""Tokens that mark silence in CTM and TextGrid files (Kaldi, Montreal Forced Aligner)."""

END_TOLERANCE_S = 0.01
"""An alignment may end up to one frame past the audio's end (rounding); more is an error."""

FRAME_SHIFT, FIRST_CENTRE = 160, 240


class TimedToken:
    __slots__ = ("start", "end", "token", "where")

    def __init__(self, start, end, token, where):
        self.start, self.end, self.where = float(start), float(end), str(where)
        self.token = None if token in SILENCE_TOKENS else token

    def __repr__(self):
        return f"TimedToken({self.start}, {self.end}, {self.token!r})"


def check_tokens(tokens, duration, expected, utterance):
    """Raise :class:`CorpusInputError` naming the token's line when tokens overlap, run backwards, end past
    ``duration`` (seconds) or, without silence, differ from ``expected`` (the transcript's words or phones)."""
    previous = None
    for token in tokens:
        if token.end < token.start:
            raise CorpusInputError(token.where, f"{token.token or 'silence'} ends ({token.end:.3f} s) before it "
                                   f"starts ({token.start:.3f} s)", "fix the alignment", utterance)
        if previous is not None and token.start < previous.end - 1e-6:
            raise CorpusInputError(token.where, f"{token.token or 'silence'} at {token.start:.3f} s overlaps "
                                   f"{previous.token or 'silence'} ending at {previous.end:.3f} s ({previous.where})",
                                   "fix the alignment so tokens do not overlap", utterance)
        if token.end > duration + END_TOLERANCE_S:
            raise CorpusInputError(token.where, f"{token.token or 'silence'} ends at {token.end:.3f} s, past the "
                                   f"audio's end at {duration:.3f} s", "align against the same audio file",
                                   utterance)
        previous = token
    spoken = [token.token for token in tokens if token.token is not None]
    if spoken != list(expected):
        where = tokens[0].where if tokens else "alignment"
        raise CorpusInputError(where, f"alignment says {' '.join(spoken)!r} but the transcript is "
                               f"{' '.join(expected)!r}", "align the same transcript", utterance)


def frame_labels(tokens, num_frames, label_index, sample_rate=16000):
    """int32 [num_frames]: ``label_index[token]`` of the token holding each frame's centre, 0 (silence) elsewhere."""
    import numpy

    labels = numpy.zeros(num_frames, dtype=numpy.int32)
    centres = numpy.arange(num_frames) * FRAME_SHIFT + FIRST_CENTRE
    for token in tokens:
        if token.token is None:
            continue
        start, end = int(round(token.start * sample_rate)), int(round(token.end * sample_rate))
        labels[(centres >= start) & (centres < end)] = label_index[token.token]
    return labels
