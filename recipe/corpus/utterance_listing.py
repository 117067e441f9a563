"""The utterances of a user's corpus before any audio is read: where the audio is, who speaks, what is said.

Readers (:mod:`recipe.corpus.kaldi_data_dir`, :mod:`recipe.corpus.plain_layout`) produce
:class:`ListedUtterance` records; :func:`pair_audio_with_transcripts` matches audio and transcripts by utterance id
and reports an utterance without transcript (or a transcript without audio) with the line that lists it.
"""

from recipe.corpus.input_problems import CorpusInputError
from recipe.text_fields import numbered_fields


class ListedUtterance:
    """One utterance: ``source`` (audio path or Kaldi pipe command), ``start``/``end`` seconds (None: whole file),
    ``speaker``, ``words`` (the transcript), ``where_audio``/``where_text`` (``file:line`` of the listings)."""

    __slots__ = ("utt_id", "source", "start", "end", "speaker", "words", "where_audio", "where_text")

    def __init__(self, utt_id, source, start, end, speaker, words, where_audio, where_text):
        self.utt_id, self.source, self.start, self.end, self.speaker = utt_id, source, start, end, speaker
        self.words, self.where_audio, self.where_text = list(words), where_audio, where_text

    def as_dict(self):
        return {name: getattr(self, name) for name in self.__slots__}

    @classmethod
    def from_dict(cls, values):
        return cls(**values)


def read_table(path, min_fields, what):
    """``[(line_number, fields)]`` of a whitespace-separated listing, skipping empty lines; a line with fewer than
    ``min_fields`` fields is an error naming ``path:line``."""
    rows = []
    for number, fields in numbered_fields(path):
        if len(fields) < min_fields:
            raise CorpusInputError(f"{path}:{number}", f"{what} line has {len(fields)} field(s), needs at least "
                                   f"{min_fields}", f"write it as described for {what}")
        rows.append((number, fields))
    return rows


def read_transcript_lines(path):
    """{utt_id: (words, "path:line")} of a Kaldi-style ``text`` file (``<utt_id> <word> ...``)."""
    transcripts = {}
    for number, fields in numbered_fields(path):
        if fields[0] in transcripts:
            raise CorpusInputError(f"{path}:{number}", f"utterance {fields[0]!r} has a second transcript (first "
                                   f"at line {transcripts[fields[0]][1].rsplit(':', 1)[1]})",
                                   "keep one line per utterance")
        transcripts[fields[0]] = (fields[1:], f"{path}:{number}")
    return transcripts


def pair_audio_with_transcripts(audio, transcripts, problems):
    """:class:`ListedUtterance` list from ``audio`` {utt_id: dict(source, start, end, speaker, where_audio)} and
    ``transcripts`` {utt_id: (words, where_text)}, in audio order. An utterance missing on either side, or with an
    empty transcript, is reported to ``problems`` (a :class:`~recipe.corpus.input_problems.ProblemLog`)."""
    listed = []
    for utt_id, entry in audio.items():
        if utt_id not in transcripts:
            problems.report(CorpusInputError(entry["where_audio"], "utterance has audio but no transcript",
                                             "add its transcript line", utt_id))
            continue
        words, where_text = transcripts[utt_id]
        if not words:
            problems.report(CorpusInputError(where_text, "transcript is empty", "add the words or remove the "
                                             "utterance", utt_id))
            continue
        listed.append(ListedUtterance(utt_id, entry["source"], entry["start"], entry["end"], entry["speaker"], words,
                                      entry["where_audio"], where_text))
    for utt_id, (_, where_text) in transcripts.items():
        if utt_id not in audio:
            problems.report(CorpusInputError(where_text, "utterance has a transcript but no audio",
                                             "add its audio (wav.scp/segments or the audio file) or remove the line",
                                             utt_id))
    return listed
