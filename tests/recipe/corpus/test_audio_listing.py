"""Reading a user's corpus: Kaldi data directories (segments, utt2spk, pipes), plain layouts (STM, per-file text),
channels and sample rates, speaker splits, phone units from CMUdict and TextGrid phone tiers."""

import json

import numpy
import pytest
import soundfile

from recipe.corpus.hdf_corpus import check_frame_lengths, iterate_sequences
from recipe.corpus.import_audio import ImportAudioCorpusJob, audio_labels, import_audio_corpus, split_by_speaker
from recipe.corpus.input_problems import ProblemLog
from recipe.corpus.kaldi_data_dir import read_kaldi_data_dir
from recipe.corpus.plain_layout import read_plain_layout
from recipe.corpus.textgrid_alignment import write_textgrid
from recipe.corpus.utterance_listing import ListedUtterance
from recipe.sis_api import tk
from tests.recipe.corpus.audio_corpus_fixtures import import_outputs
from tests.recipe.corpus.test_audio_round_trip import import_params


def tone(seconds, rate, channels=1, frequency=440.0):
    t = numpy.arange(int(seconds * rate)) / rate
    mono = 0.3 * numpy.sin(2 * numpy.pi * frequency * t)
    return mono if channels == 1 else numpy.stack([mono * (c + 1) / channels for c in range(channels)], axis=1)


def test_kaldi_segments_utt2spk_and_pipe_commands(tmp_path):
    soundfile.write(tmp_path / "rec1.flac", tone(3.0, 8000), 8000)
    soundfile.write(tmp_path / "rec2.wav", tone(1.0, 48000), 48000)
    (tmp_path / "wav.scp").write_text(f"rec1 rec1.flac\nrec2 cat {tmp_path / 'rec2.wav'} |\n")
    (tmp_path / "segments").write_text("a rec1 0.0 1.0\nb rec1 1.5 -1\nc rec2 0.2 0.8\n")
    (tmp_path / "utt2spk").write_text("a s1\nb s1\nc s2\n")
    (tmp_path / "text").write_text("a one\nb two three\nc four\n")
    listed = read_kaldi_data_dir(str(tmp_path), ProblemLog())
    assert [(u.utt_id, u.speaker, u.start, u.end, u.words) for u in listed] == [
        ("a", "s1", 0.0, 1.0, ["one"]), ("b", "s1", 1.5, -1.0, ["two", "three"]), ("c", "s2", 0.2, 0.8, ["four"])]
    outputs = import_outputs(tmp_path / "out", splits=("train",))
    import_audio_corpus(import_params(data={"train": str(tmp_path)}, labels=None, workers=1), outputs)
    lengths = {tag: samples for tag, samples, _ in check_frame_lengths(outputs["hdf"]["train"])}
    # 1.0 s, 1.5 s and 0.6 s at 16 kHz, cut to whole frames of the front-end.
    assert {tag: round(n / 16000, 1) for tag, n in lengths.items()} == {"train/a": 1.0, "train/b": 1.5,
                                                                         "train/c": 0.6}
    assert json.loads(open(outputs["labels"]).read())["labels"] == ["<sil>", "four", "one", "three", "two"]


def test_plain_layout_with_stm_and_with_text_beside_the_audio(tmp_path):
    (tmp_path / "audio" / "spk1").mkdir(parents=True)
    soundfile.write(tmp_path / "audio" / "spk1" / "talk.ogg", tone(2.0, 16000), 16000, format="OGG")
    (tmp_path / "talk.stm").write_text(";; comment\ntalk 1 alice 0.0 0.9 <o,f0,male> hello world\n"
                                       "talk 1 bob 1.0 1.9 good bye\n")
    listed = read_plain_layout(str(tmp_path / "audio"), str(tmp_path / "talk.stm"), ProblemLog())
    assert [(u.utt_id, u.speaker, u.words) for u in listed] == [("talk-0001", "alice", ["hello", "world"]),
                                                                  ("talk-0002", "bob", ["good", "bye"])]
    (tmp_path / "audio" / "spk1" / "talk.txt").write_text("hello there\n")
    listed = read_plain_layout(str(tmp_path / "audio"), None, ProblemLog())
    assert [(u.utt_id, u.speaker, u.words) for u in listed] == [("talk", "spk1", ["hello", "there"])]


def test_stereo_channel_choice_and_mix_down(tmp_path):
    soundfile.write(tmp_path / "s.wav", tone(1.0, 16000, channels=2), 16000)
    (tmp_path / "wav.scp").write_text(f"s {tmp_path / 's.wav'}\n")
    (tmp_path / "text").write_text("s one\n")
    peaks = {}
    for channel in ("mix", 0, 1):
        outputs = import_outputs(tmp_path / f"out{channel}", splits=("train",))
        import_audio_corpus(import_params(data={"train": str(tmp_path)}, channel=channel, workers=1), outputs)
        (_, streams), = iterate_sequences(outputs["hdf"]["train"])
        peaks[channel] = round(float(numpy.max(numpy.abs(streams["inputs"]))), 2)
    assert peaks == {"mix": 0.23, 0: 0.15, 1: 0.3}  # (0.15 + 0.3) / 2, and each channel
    with pytest.raises(ValueError, match="channel 2 requested but .* has 2 channel"):
        import_audio_corpus(import_params(data={"train": str(tmp_path)}, channel=2, workers=1),
                            import_outputs(tmp_path / "bad", splits=("train",)))


def test_splits_drawn_by_speaker_are_disjoint_and_repeatable():
    utterances = [ListedUtterance(f"u{i}", "x.wav", None, None, f"s{i % 10}", ["one"], "wav.scp", "text")
                  for i in range(40)]
    fractions = {"train": 0.8, "dev": 0.1, "test": 0.1}
    splits = split_by_speaker(utterances, fractions, seed=1)
    speakers = {split: {u.speaker for u in listed} for split, listed in splits.items()}
    assert [len(speakers[s]) for s in ("train", "dev", "test")] == [8, 1, 1]
    assert not (speakers["train"] & speakers["dev"]) and not (speakers["dev"] & speakers["test"])
    assert {s: [u.utt_id for u in v] for s, v in split_by_speaker(utterances, fractions, seed=1).items()} == \
        {s: [u.utt_id for u in v] for s, v in splits.items()}


def test_phone_units_from_cmudict_and_a_textgrid_phone_tier(tmp_path):
    soundfile.write(tmp_path / "u.wav", tone(1.0, 16000), 16000)
    (tmp_path / "wav.scp").write_text(f"u {tmp_path / 'u.wav'}\n")
    (tmp_path / "text").write_text("u two\n")
    (tmp_path / "grids").mkdir()
    write_textgrid(str(tmp_path / "grids" / "u.TextGrid"), 1.0,
                   {"words": [(0.2, 0.6, "two")], "phones": [(0.2, 0.4, "T"), (0.4, 0.6, "UW1")]})
    outputs = import_outputs(tmp_path / "out", splits=("train",))
    import_audio_corpus(import_params(data={"train": str(tmp_path)}, unit="phone", lexicon="cmudict", labels=None,
                                      alignments={"train": str(tmp_path / "grids")}, alignment_format="textgrid",
                                      workers=1), outputs)
    labels = json.loads(open(outputs["labels"]).read())["labels"]
    assert labels[0] == "<sil>" and len(labels) == 40 and "UW" in labels
    (_, streams), = iterate_sequences(outputs["hdf"]["train"], ("classes",))
    named = [labels[i] for i in streams["classes"]]
    # Frame f is centred on (160 f + 240) / 16000 s: frames 19..38 are T (0.2..0.4 s), 39..58 UW.
    assert named[18] == "<sil>" and set(named[19:39]) == {"T"} and set(named[39:59]) == {"UW"}
    assert named[59] == "<sil>"
    assert open(outputs["units"]["train"]).read() == "train/u T UW\n"


def test_job_arguments_are_checked_and_workers_not_hashed(tmp_path):
    data = {"train": tk.Path(str(tmp_path / "train")), "dev": tk.Path(str(tmp_path / "dev"))}
    job = ImportAudioCorpusJob(data, labels=["<sil>", "one"])
    assert set(job.out_hdf) == {"train", "dev"}
    assert ImportAudioCorpusJob(data, labels=["<sil>", "one"], workers=7).job_id() == job.job_id()
    assert ImportAudioCorpusJob(data, labels=["<sil>", "one"], skip_bad=True).job_id() != job.job_id()
    for bad, message in [({"unit": "phone"}, "needs lexicon"), ({"alignments": data}, "alignment_format"),
                         ({"layout": "tar"}, "layout"), ({"labels": ["one"]}, "silence label"),
                         ({"channel": "left"}, "channel")]:
        with pytest.raises(ValueError, match=message):
            ImportAudioCorpusJob(data, **bad)
    single = ImportAudioCorpusJob(tk.Path(str(tmp_path / "all")), labels=["<sil>", "one"])
    assert set(single.out_hdf) == {"train", "dev", "test"}


def test_labels_are_read_from_the_transcripts_for_the_graph(tmp_path):
    soundfile.write(tmp_path / "u.wav", tone(1.0, 16000), 16000)
    (tmp_path / "wav.scp").write_text(f"u {tmp_path / 'u.wav'}\nv {tmp_path / 'u.wav'}\n")
    (tmp_path / "text").write_text("u b a\nv c\n")
    assert audio_labels({"data": {"train": str(tmp_path)}}) == ["<sil>", "a", "b", "c"]
