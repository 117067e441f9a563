"""A plain corpus layout: a folder of audio files (``.wav``, ``.flac``, ``.ogg``, searched recursively; the file name
without extension is the utterance id) plus transcripts as

- one Kaldi-style file (``<utterance> <word> ...`` per line),
- an STM file (``<file> <channel> <speaker> <start> <end> [<label>] <word> ...``, ``;;`` comments; each line is one
  utterance ``<file>-<NNNN>`` cut from ``<file>``), or
- none: a ``<utterance>.txt`` or ``<utterance>.lab`` beside each audio file.

The speaker is the STM's, else the name of the audio file's folder.
"""

import os

from recipe.corpus.input_problems import CorpusInputError
from recipe.corpus.utterance_listing import pair_audio_with_transcripts, read_transcript_lines
from recipe.text_fields import numbered_fields

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg")
TEXT_EXTENSIONS = (".txt", ".lab")


def find_audio_files(audio_dir):
    """{utt_id: path} of the audio files under ``audio_dir``; two files with one name are an error."""
    if not os.path.isdir(audio_dir):
        raise CorpusInputError(audio_dir, "audio folder does not exist", "fix the audio_dir path")
    found = {}
    for root, _, names in sorted(os.walk(audio_dir)):
        for name in sorted(names):
            stem, extension = os.path.splitext(name)
            if extension.lower() in AUDIO_EXTENSIONS:
                path = os.path.join(root, name)
                if stem in found:
                    raise CorpusInputError(path, f"utterance id {stem!r} is also {found[stem]}",
                                           "give every audio file a unique name")
                found[stem] = path
    if not found:
        raise CorpusInputError(audio_dir, f"holds no audio files ({', '.join(AUDIO_EXTENSIONS)})",
                               "point audio_dir at the folder with the audio")
    return found


def read_stm(path, files):
    """``(audio, transcripts)`` as :func:`pair_audio_with_transcripts` takes them, from an STM file; ``files``:
    {file name: audio path}."""
    audio, transcripts, counts = {}, {}, {}
    for number, fields in numbered_fields(path, comment_prefix=";;"):
        where = f"{path}:{number}"
        if len(fields) < 5:
            raise CorpusInputError(where, f"STM line has {len(fields)} fields, needs at least 5",
                                   "write '<file> <channel> <speaker> <start> <end> [<label>] words'")
        try:
            start, end = float(fields[3]), float(fields[4])
        except ValueError:
            raise CorpusInputError(where, f"start/end {fields[3]!r} {fields[4]!r} are not numbers",
                                   "write seconds") from None
        words = fields[5:]
        if words and words[0].startswith("<") and words[0].endswith(">"):
            words = words[1:]
        counts[fields[0]] = counts.get(fields[0], 0) + 1
        utt_id = f"{fields[0]}-{counts[fields[0]]:04d}"
        transcripts[utt_id] = (words, where)
        if fields[0] not in files:
            raise CorpusInputError(where, f"STM names audio {fields[0]!r}, which is not in the audio folder",
                                   "add the audio file or fix the STM")
        audio[utt_id] = {"source": files[fields[0]], "start": start, "end": end, "where_audio": where,
                         "speaker": fields[2]}
    return audio, transcripts


def read_plain_layout(audio_dir, transcripts, problems):
    """:class:`~recipe.corpus.utterance_listing.ListedUtterance` list of ``audio_dir`` with ``transcripts`` (a
    Kaldi-style text file, an ``.stm`` file, or None for per-file ``.txt``/``.lab``)."""
    files = find_audio_files(audio_dir)
    if transcripts is not None and str(transcripts).lower().endswith(".stm"):
        audio, texts = read_stm(str(transcripts), files)
        return pair_audio_with_transcripts(audio, texts, problems)
    audio = {utt_id: {"source": path, "start": None, "end": None, "where_audio": path,
                      "speaker": os.path.basename(os.path.dirname(path))} for utt_id, path in files.items()}
    if transcripts is not None:
        return pair_audio_with_transcripts(audio, read_transcript_lines(str(transcripts)), problems)
    texts = {}
    for utt_id, path in files.items():
        for extension in TEXT_EXTENSIONS:
            text_path = os.path.splitext(path)[0] + extension
            if os.path.isfile(text_path):
                with open(text_path, encoding="utf-8") as file:
                    texts[utt_id] = (file.read().split(), f"{text_path}:1")
                break
    return pair_audio_with_transcripts(audio, texts, problems)
