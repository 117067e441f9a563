"""Export a corpus HDF (audio + frame labels + transcripts) to what other toolkits use: audio files at any sample
rate, a Kaldi data directory (``wav.scp``, ``text``, ``utt2spk``), a CTM and one Praat TextGrid per utterance.

Word times come from the frame labels: a run of frames ``a .. b-1`` of one word spans ``(160 a + 160) / 16000`` to
``(160 b + 160) / 16000`` s (the frame geometry of :mod:`recipe.corpus.import_audio`), so importing the export gives
the same frame labels. A run holding several repeated words ("four four") is split evenly between them.
"""

import os

from recipe.atomic_output import write_atomically, writing_atomically
from recipe.sis_api import Job, Task


def word_tokens(classes, words, labels, silence_index=0):
    """``[(first_frame, end_frame, word)]`` of ``classes`` (frame labels) for the transcript ``words``."""
    import numpy

    classes = numpy.asarray(classes)
    edges = numpy.concatenate([[0], numpy.flatnonzero(numpy.diff(classes)) + 1, [len(classes)]])
    runs = [(int(classes[a]), int(a), int(b)) for a, b in zip(edges[:-1], edges[1:]) if classes[a] != silence_index]
    groups = []
    for word in words:
        if groups and groups[-1][0] == word:
            groups[-1][1] += 1
        else:
            groups.append([word, 1])
    tokens, position = [], 0
    for word, count in groups:
        label = labels.index(word)
        mine = []
        while position < len(runs) and runs[position][0] == label:
            mine.append(runs[position])
            position += 1
        if not mine or len(mine) > count:
            raise ValueError(f"frame labels do not fit the transcript {' '.join(words)!r} at {word!r}")
        shares = [1] * len(mine)
        for _ in range(count - len(mine)):
            longest = max(range(len(mine)), key=lambda i: (mine[i][2] - mine[i][1]) / shares[i])
            shares[longest] += 1
        for (_, start, end), share in zip(mine, shares):
            bounds = numpy.linspace(start, end, share + 1).round().astype(int)
            tokens.extend((int(a), int(b), word) for a, b in zip(bounds[:-1], bounds[1:]))
    if position != len(runs):
        raise ValueError(f"frame labels hold more words than the transcript {' '.join(words)!r}")
    return tokens


def frame_time(frame):
    return (160 * frame + 160) / 16000.0


def export_split(hdf_path, transcripts_path, labels, out_dir, sample_rate=22050, ctm_decimals=2):
    """Write ``out_dir/{audio/<utt>.wav, data/{wav.scp,text,utt2spk}, alignment.ctm, textgrid/<utt>.TextGrid}``
    for one split; see :func:`export_split_to`."""
    return export_split_to(hdf_path, transcripts_path, labels, os.path.join(out_dir, "audio"),
                           os.path.join(out_dir, "data"), os.path.join(out_dir, "alignment.ctm"),
                           os.path.join(out_dir, "textgrid"), sample_rate, ctm_decimals)


def export_split_to(hdf_path, transcripts_path, labels, audio_dir, data_dir, ctm_path, textgrid_dir,
                    sample_rate=22050, ctm_decimals=2):
    """Export one split: 16-bit WAV files at ``sample_rate`` in ``audio_dir``, a Kaldi data directory
    (``wav.scp`` with absolute paths, ``text``, ``utt2spk``) in ``data_dir``, a CTM (times with ``ctm_decimals``
    decimals, as Kaldi writes them) and one TextGrid per utterance (tier ``words``). Utterance ids are the sequence
    tags without ``<split>/``, speakers the part before the last ``-``. Returns the number of utterances."""
    import soundfile

    from recipe.corpus.audio_file import resample
    from recipe.corpus.ctm import format_ctm
    from recipe.corpus.hdf_corpus import iterate_sequences
    from recipe.corpus.textgrid_alignment import write_textgrid
    from recipe.scoring.transcripts import read_transcripts

    transcripts = read_transcripts(transcripts_path)
    for folder in (audio_dir, data_dir, textgrid_dir):
        os.makedirs(folder, exist_ok=True)
    scp, text, utt2spk, ctm = [], [], [], {}
    for tag, streams in iterate_sequences(hdf_path):
        utt_id = tag.split("/", 1)[-1]
        samples = streams["inputs"].reshape(-1)
        audio_path = os.path.join(audio_dir, f"{utt_id}.wav")
        with writing_atomically(audio_path) as partial:
            soundfile.write(partial, resample(samples, 16000, sample_rate), sample_rate, subtype="PCM_16",
                            format="WAV")
        words = transcripts[tag]
        tokens = [(frame_time(a), frame_time(b), word) for a, b, word in
                  word_tokens(streams["classes"].reshape(-1), words, labels)]
        scp.append(f"{utt_id} {os.path.abspath(audio_path)}\n")
        text.append(f"{utt_id} {' '.join(words)}\n")
        utt2spk.append(f"{utt_id} {utt_id.rsplit('-', 1)[0]}\n")
        ctm[utt_id] = tokens
        with writing_atomically(os.path.join(textgrid_dir, f"{utt_id}.TextGrid")) as partial:
            write_textgrid(partial, len(samples) / 16000.0, {"words": tokens})
    write_atomically(os.path.join(data_dir, "wav.scp"), "".join(scp))
    write_atomically(os.path.join(data_dir, "text"), "".join(text))
    write_atomically(os.path.join(data_dir, "utt2spk"), "".join(utt2spk))
    write_atomically(ctm_path, format_ctm(ctm, ctm_decimals))
    return len(scp)


class ExportCorpusAudioJob(Job):
    """Exports a corpus job's HDF splits to audio files + Kaldi data directory + CTM + TextGrids (see
    :func:`export_split_to`), e.g. the synthetic demo corpus as a stand-in for a user's own recordings.

    Hashed: ``hdf``, ``transcripts``, ``labels`` (the corpus job's outputs), ``sample_rate``, ``ctm_decimals``.
    Outputs per split: ``out_audio`` (folder of WAV files), ``out_data`` (Kaldi data directory), ``out_ctm``,
    ``out_textgrid`` (folder). Finished when the job's task has run (every file is written atomically).
    """

    def __init__(self, hdf, transcripts, labels, sample_rate=22050, ctm_decimals=2):
        self.hdf, self.transcripts, self.labels = dict(hdf), dict(transcripts), labels
        self.sample_rate, self.ctm_decimals = sample_rate, ctm_decimals
        self.out_audio = {s: self.output_path(f"{s}.audio", directory=True) for s in self.hdf}
        self.out_data = {s: self.output_path(f"{s}.data", directory=True) for s in self.hdf}
        self.out_textgrid = {s: self.output_path(f"{s}.textgrid", directory=True) for s in self.hdf}
        self.out_ctm = {s: self.output_path(f"{s}.ctm") for s in self.hdf}

    def tasks(self):
        yield Task("run", rqmt={"cpu": 1, "mem": 2, "time": 1})

    def run(self):
        import json

        with open(self.labels.get_path(), encoding="utf-8") as file:
            labels = json.load(file)["labels"]
        for split, hdf in self.hdf.items():
            export_split_to(hdf.get_path(), self.transcripts[split].get_path(), labels,
                            self.out_audio[split].get_path(), self.out_data[split].get_path(),
                            self.out_ctm[split].get_path(), self.out_textgrid[split].get_path(),
                            self.sample_rate, self.ctm_decimals)
