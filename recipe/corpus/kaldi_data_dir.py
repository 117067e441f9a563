"""A Kaldi data directory: ``wav.scp`` (``<recording> <path>`` or ``<recording> <command> |``), ``text``
(``<utterance> <word> ...``), optional ``segments`` (``<utterance> <recording> <start> <end>``, end -1 = to the end)
and ``utt2spk`` (``<utterance> <speaker>``; without it each utterance is its own speaker, as in Kaldi)."""

import os

from recipe.corpus.input_problems import CorpusInputError
from recipe.corpus.utterance_listing import pair_audio_with_transcripts, read_table, read_transcript_lines


def read_kaldi_data_dir(directory, problems):
    """:class:`~recipe.corpus.utterance_listing.ListedUtterance` list of ``directory`` (relative audio paths are
    taken relative to it); problems go to ``problems``."""
    for required in ("wav.scp", "text"):
        if not os.path.isfile(os.path.join(directory, required)):
            raise CorpusInputError(directory, f"Kaldi data directory has no {required}",
                                   f"create {os.path.join(directory, required)}")
    recordings = {}
    scp = os.path.join(directory, "wav.scp")
    with open(scp, encoding="utf-8") as file:
        for number, line in enumerate(file, 1):
            fields = line.strip().split(maxsplit=1)
            if not fields:
                continue
            if len(fields) < 2:
                raise CorpusInputError(f"{scp}:{number}", "wav.scp line has no audio path",
                                       "write '<recording> <path>'")
            source = fields[1].strip()
            if not source.endswith("|") and not os.path.isabs(source):
                source = os.path.join(directory, source)
            recordings[fields[0]] = (source, f"{scp}:{number}")
    speakers = {}
    utt2spk = os.path.join(directory, "utt2spk")
    if os.path.isfile(utt2spk):
        speakers = {fields[0]: fields[1] for _, fields in read_table(utt2spk, 2, "utt2spk")}
    audio = {}
    segments = os.path.join(directory, "segments")
    if os.path.isfile(segments):
        for number, fields in read_table(segments, 4, "segments"):
            where = f"{segments}:{number}"
            utt_id, recording = fields[0], fields[1]
            try:
                start, end = float(fields[2]), float(fields[3])
            except ValueError:
                raise CorpusInputError(where, f"start/end {fields[2]!r} {fields[3]!r} are not numbers",
                                       "write seconds, e.g. 0.00 3.25") from None
            if recording not in recordings:
                problems.report(CorpusInputError(where, f"recording {recording!r} is not in {scp}",
                                                 "add it to wav.scp or fix the segment", utt_id))
                continue
            if start < 0 or (end >= 0 and end <= start):
                problems.report(CorpusInputError(where, f"segment {start}..{end} s is empty or negative",
                                                 "fix start and end", utt_id))
                continue
            audio[utt_id] = {"source": recordings[recording][0], "start": start, "end": end, "where_audio": where,
                             "speaker": speakers.get(utt_id, utt_id)}
    else:
        for recording, (source, where) in recordings.items():
            audio[recording] = {"source": source, "start": None, "end": None, "where_audio": where,
                                "speaker": speakers.get(recording, recording)}
    return pair_audio_with_transcripts(audio, read_transcript_lines(os.path.join(directory, "text")), problems)
