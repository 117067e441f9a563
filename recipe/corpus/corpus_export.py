"""Export a corpus HDF (audio + frame labels + transcripts) to what other toolkits use: audio files at any sample
rate, a Kaldi data directory (``wav.scp``, ``text``, ``utt2spk``), a CTM and one Praat TextGrid per utterance.

Word times come from the frame labels: a run of frames ``a .. b-1`` of one word spans ``(160 a + 160) / 16000`` to
``(160 b + 160) / 16000`` s (the frame geometry of :mod:`recipe.corpus.import_audio`), so importing the export gives
the same frame labels. A run holding several repeated words ("four four") is split evenly between them.
"""

import os

from recipe.atomic_output import write_atomically


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
    """Write ``out_dir/{audio/<utt>.wav, data/wav.scp, data/text, data/utt2spk, alignment.ctm,
    textgrid/<utt>.TextGrid}`` for one split; utterance ids are the sequence tags without ``<split>/``, speakers
    the part before the last ``-``. Returns the number of utterances."""
    import soundfile

    from recipe.corpus.audio_file import resample
    from recipe.corpus.ctm import format_ctm
    from recipe.corpus.hdf_corpus import iterate_sequences
    from recipe.corpus.textgrid_alignment import write_textgrid
    from recipe.scoring.transcripts import read_transcripts

    transcripts = read_transcripts(transcripts_path)
    for folder in ("audio", "data", "textgrid"):
        os.makedirs(os.path.join(out_dir, folder), exist_ok=True)
    scp, text, utt2spk, ctm = [], [], [], {}
    for tag, streams in iterate_sequences(hdf_path):
        utt_id = tag.split("/", 1)[-1]
        samples = streams["inputs"].reshape(-1)
        audio_path = os.path.join(out_dir, "audio", f"{utt_id}.wav")
        soundfile.write(audio_path, resample(samples, 16000, sample_rate), sample_rate, subtype="PCM_16")
        words = transcripts[tag]
        tokens = [(frame_time(a), frame_time(b), word) for a, b, word in
                  word_tokens(streams["classes"].reshape(-1), words, labels)]
        scp.append(f"{utt_id} {os.path.abspath(audio_path)}\n")
        text.append(f"{utt_id} {' '.join(words)}\n")
        utt2spk.append(f"{utt_id} {utt_id.rsplit('-', 1)[0]}\n")
        ctm[utt_id] = tokens
        write_textgrid(os.path.join(out_dir, "textgrid", f"{utt_id}.TextGrid"), len(samples) / 16000.0,
                       {"words": tokens})
    write_atomically(os.path.join(out_dir, "data", "wav.scp"), "".join(scp))
    write_atomically(os.path.join(out_dir, "data", "text"), "".join(text))
    write_atomically(os.path.join(out_dir, "data", "utt2spk"), "".join(utt2spk))
    write_atomically(os.path.join(out_dir, "alignment.ctm"), format_ctm(ctm, ctm_decimals))
    return len(scp)
