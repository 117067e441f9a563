"""Bad input in a user's audio corpus: each case named with file and line; skip_bad drops and lists them."""

import json
import shutil

import numpy
import pytest
import soundfile

from recipe.corpus.corpus_export import export_split
from recipe.corpus.import_audio import import_audio_corpus
from recipe.corpus.input_problems import CorpusInputError
from recipe.corpus.lexicon import WORD_LABELS
from tests.recipe.corpus.audio_corpus_fixtures import import_outputs
from tests.recipe.corpus.test_audio_round_trip import import_params


@pytest.fixture(scope="module")
def exported_train(tiny_corpus, tmp_path_factory):
    root = tmp_path_factory.mktemp("exported_train")
    export_split(tiny_corpus.hdf["train"], tiny_corpus.transcripts["train"], list(WORD_LABELS), str(root),
                 sample_rate=16000)
    return root


@pytest.fixture
def corpus(exported_train, tmp_path):
    """A writable copy: ``data/`` (Kaldi dir), ``audio/``, ``alignment.ctm``; ``lines(name)`` / ``write``."""
    root = tmp_path / "corpus"
    shutil.copytree(exported_train, root)
    scp = [line.split() for line in (root / "data" / "wav.scp").read_text().splitlines()]
    (root / "data" / "wav.scp").write_text("".join(f"{u} {root / 'audio' / (u + '.wav')}\n" for u, _ in scp))
    return root


def run_import(corpus, tmp_path, **changes):
    params = import_params(data={"train": str(corpus / "data")}, workers=1, **changes)
    outputs = import_outputs(tmp_path / "out", splits=("train",))
    import_audio_corpus(params, outputs)
    return outputs


def edit_line(path, number, change):
    lines = path.read_text().splitlines(keepends=True)
    lines[number - 1] = change(lines[number - 1])
    path.write_text("".join(lines))


def utterance(corpus, number):
    return (corpus / "data" / "wav.scp").read_text().splitlines()[number - 1].split()[0]


def test_missing_audio_file_is_named_with_its_wav_scp_line(corpus, tmp_path):
    (corpus / "audio" / f"{utterance(corpus, 2)}.wav").unlink()
    with pytest.raises(CorpusInputError, match=r"wav\.scp:2 .*does not exist.*skip_bad=True"):
        run_import(corpus, tmp_path)


def test_unreadable_audio_is_named(corpus, tmp_path):
    (corpus / "audio" / f"{utterance(corpus, 3)}.wav").write_bytes(b"RIFF not really a wave file")
    with pytest.raises(CorpusInputError, match=r"wav\.scp:3 .*cannot be read"):
        run_import(corpus, tmp_path)


def test_audio_without_transcript_and_transcript_without_audio(corpus, tmp_path):
    text = corpus / "data" / "text"
    edit_line(text, 4, lambda line: "")
    with pytest.raises(CorpusInputError, match=r"wav\.scp:4 .*has audio but no transcript"):
        run_import(corpus, tmp_path)
    text.write_text(text.read_text() + "ghost-00001 one two\n")
    edit_line(corpus / "data" / "wav.scp", 4, lambda line: "")
    with pytest.raises(CorpusInputError, match=r"text:12 \(utterance ghost-00001\): .*transcript but no audio"):
        run_import(corpus, tmp_path)


def test_word_not_in_the_lexicon_is_named_with_its_transcript_line(corpus, tmp_path):
    lexicon = tmp_path / "lexicon.txt"
    lexicon.write_text("".join(f"{w} {' '.join(['AH'] * 2)}\n" for w in WORD_LABELS[1:] if w != "seven"))
    text = (corpus / "data" / "text").read_text().splitlines()
    number = next(i for i, line in enumerate(text, 1) if "seven" in line.split()[1:])
    with pytest.raises(CorpusInputError, match=rf"text:{number} .*word 'seven' is not in the lexicon"):
        run_import(corpus, tmp_path, unit="phone", lexicon=str(lexicon), labels=None)


def test_word_outside_given_labels_is_named(corpus, tmp_path):
    edit_line(corpus / "data" / "text", 5, lambda line: line.rstrip() + " hello\n")
    with pytest.raises(CorpusInputError, match=r"text:5 .*word 'hello' is not in the labels"):
        run_import(corpus, tmp_path)


def ctm_import(corpus, tmp_path):
    return run_import(corpus, tmp_path, alignments={"train": str(corpus / "alignment.ctm")}, alignment_format="ctm")


def test_alignment_past_the_audio_end_is_named_with_its_ctm_line(corpus, tmp_path):
    ctm = corpus / "alignment.ctm"
    last = len(ctm.read_text().splitlines())
    edit_line(ctm, last, lambda line: " ".join(line.split()[:3] + ["9.00"] + line.split()[4:]) + "\n")
    with pytest.raises(CorpusInputError, match=rf"alignment\.ctm:{last} .*past the audio's end"):
        ctm_import(corpus, tmp_path)


def test_overlapping_alignment_is_named_with_its_ctm_line(corpus, tmp_path):
    ctm = corpus / "alignment.ctm"
    lines = ctm.read_text().splitlines()
    number = next(i for i in range(2, len(lines) + 1) if lines[i - 1].split()[0] == lines[i - 2].split()[0])
    previous_end = float(lines[number - 2].split()[2]) + float(lines[number - 2].split()[3])
    edit_line(ctm, number, lambda line: " ".join(line.split()[:2] + [f"{previous_end - 0.05:.2f}"]
                                                 + line.split()[3:]) + "\n")
    with pytest.raises(CorpusInputError, match=rf"alignment\.ctm:{number} .*overlaps"):
        ctm_import(corpus, tmp_path)


def test_alignment_of_another_transcript_is_named(corpus, tmp_path):
    other = "one" if (corpus / "data" / "text").read_text().split()[1] == "nine" else "nine"
    edit_line(corpus / "alignment.ctm", 1, lambda line: " ".join(line.split()[:4] + [other]) + "\n")
    with pytest.raises(CorpusInputError, match=rf"alignment\.ctm:1 .*alignment says '{other}"):
        ctm_import(corpus, tmp_path)


def test_empty_and_clipped_audio_are_named(corpus, tmp_path):
    soundfile.write(corpus / "audio" / f"{utterance(corpus, 6)}.wav", numpy.zeros(0), 16000)
    with pytest.raises(CorpusInputError, match=r"wav\.scp:6 .*is empty"):
        run_import(corpus, tmp_path)
    rng = numpy.random.default_rng(0)
    soundfile.write(corpus / "audio" / f"{utterance(corpus, 6)}.wav", numpy.clip(rng.normal(0, 2, 16000), -1, 1),
                    16000)
    with pytest.raises(CorpusInputError, match=r"wav\.scp:6 .*is clipped"):
        run_import(corpus, tmp_path)


def test_skip_bad_drops_every_bad_utterance_and_lists_them(corpus, tmp_path):
    (corpus / "audio" / f"{utterance(corpus, 2)}.wav").unlink()
    (corpus / "audio" / f"{utterance(corpus, 3)}.wav").write_bytes(b"garbage")
    soundfile.write(corpus / "audio" / f"{utterance(corpus, 6)}.wav", numpy.zeros(0), 16000)
    edit_line(corpus / "data" / "text", 5, lambda line: line.rstrip() + " hello\n")
    outputs = run_import(corpus, tmp_path, skip_bad=True)
    problems = json.loads(open(outputs["problems"]).read())
    assert problems["count"] == 4
    assert sorted(p["where"].rsplit(":", 1)[1] for p in problems["problems"]) == ["2", "3", "5", "6"]
    kept = open(outputs["transcripts"]["train"]).read().splitlines()
    assert len(kept) == 12 - 4
    assert json.loads(open(outputs["summary"]).read())["splits"]["train"]["skipped"] == 4
