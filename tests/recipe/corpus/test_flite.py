"""flite voices in the synthetic corpus: labels from flite's phone timings, silent silence, spoken word order,
byte-identical output whatever the worker count, unchanged job ids without flite, and a clear error without flite."""

import hashlib
import os
import shutil
import subprocess
import types

import numpy
import pytest

from recipe.corpus import corpus_plan, lexicon, utterance
from recipe.corpus.alignment import flite_segments
from recipe.corpus.espeak import data_path
from recipe.corpus.flite import FliteNotInstalledError, parse_phone_durations
from recipe.corpus.synthetic_digits import SyntheticDigitsCorpusJob, generate_corpus
from recipe.corpus.frontend_geometry import frontend_output_frames
from tests.recipe.corpus.rendered_checks import assert_one_frontend_frame_per_label, assert_silence_is_silent


def _install_flite():
    """Install Debian's flite when root and apt-get are there (``apt-get update`` first if the plain install fails)."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return "flite is not installed and installing it needs root and apt-get: run `apt-get install flite`"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "flite"]
    if subprocess.run(install, env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True)
        result = subprocess.run(install, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            return f"`apt-get install flite` failed: {result.stderr.strip()[-200:]}"
    return None if shutil.which("flite") else "apt-get installed flite but no `flite` program is on the PATH"


@pytest.fixture(scope="module")
def flite_installed():
    if shutil.which("flite") is None:
        reason = _install_flite()
        if reason:
            pytest.skip(reason)


@pytest.fixture(scope="module")
def specs(flite_installed):
    _, specs = corpus_plan.plan_corpus(
        16, 5, {"train": 0.8, "dev": 0.1, "test": 0.1}, {"train": 6, "dev": 1, "test": 1}, (1, 7), (0.9, 1.1),
        (10.0, 40.0), ("white", "pink", "brown"), (0.1, 0.5), data_path(), flite_fraction=1.0)
    return specs


@pytest.fixture(scope="module")
def rendered(specs):
    return [utterance.render_utterance(spec, "word") for spec in specs]


def test_every_speaker_of_a_full_flite_corpus_uses_a_flite_voice(specs):
    assert all(spec["engine"] == "flite" for spec in specs)
    assert len({spec["flite_voice"] for spec in specs}) > 1


def test_audio_length_gives_one_frontend_frame_per_label(rendered):
    assert_one_frontend_frame_per_label(rendered)


def test_silence_frames_have_near_zero_clean_energy(rendered):
    for result in rendered:
        energy, speech = assert_silence_is_silent(result)
        # speech frames are not silent: the labels cover the spoken part, not flite's pauses
        assert numpy.median(energy[speech]) > 1e-3 * energy[speech].mean()


def test_word_labels_follow_the_spoken_words(specs, rendered):
    collapse = lambda seq: [w for i, w in enumerate(seq) if i == 0 or seq[i - 1] != w]  # noqa: E731
    for spec, result in zip(specs, rendered):
        speech = [lexicon.WORD_LABELS[int(k)] for k in result["classes"] if k]
        assert collapse(speech) == collapse(spec["words"])


def test_phone_labels_follow_flite_phones(specs):
    result = utterance.render_utterance(dict(specs[0], words=["seven", "two"]), "phone")
    phones = [lexicon.PHONE_LABELS[int(k)] for k in result["classes"] if k]
    assert [p for i, p in enumerate(phones) if i == 0 or phones[i - 1] != p] == ["S", "EH", "V", "AH", "N", "T", "UW"]
    assert frontend_output_frames(len(result["audio"])) == len(result["classes"])


def test_flite_phones_are_assigned_to_words_or_rejected_by_name():
    phones = parse_phone_durations("pau:0.100 t:0.150 uw:0.300 ow:0.400 pau:0.600", 16000)
    segments = flite_segments(8000, phones, ["two", "oh"], "slt")
    assert [(s.start, s.end, s.word, s.phone) for s in segments] == [
        (0, 1600, None, None), (1600, 2400, "two", "T"), (2400, 4800, "two", "UW"), (4800, 6400, "oh", "OW"),
        (6400, 8000, None, None)]
    with pytest.raises(ValueError, match="FLITE_PRONUNCIATIONS"):
        flite_segments(8000, phones, ["two", "two"], "slt")


TINY = dict(num_utterances=12, seed=7, unit="word", split_fractions={"train": 0.6, "dev": 0.2, "test": 0.2},
            speakers_per_split={"train": 3, "dev": 2, "test": 2}, digits=(1, 4), speed_range=(0.9, 1.1),
            snr_db_range=(10.0, 40.0), noise_colors=("white", "pink", "brown"), silence_s_range=(0.1, 0.3),
            flite_fraction=0.5)


def _generate(folder, workers):
    os.makedirs(folder)
    splits = corpus_plan.SPLITS
    generate_corpus(types.SimpleNamespace(workers=workers, **TINY), {s: f"{folder}/{s}.hdf" for s in splits},
                    {s: f"{folder}/{s}.txt" for s in splits}, f"{folder}/labels.json", f"{folder}/summary.json")
    return {name: hashlib.sha256(open(f"{folder}/{name}", "rb").read()).hexdigest() for name in os.listdir(folder)}


def test_mixed_corpus_is_byte_identical_with_any_worker_count(flite_installed, tmp_path):
    import json

    one, two = _generate(tmp_path / "one", 1), _generate(tmp_path / "two", 2)
    assert len(one) == 8 and one == two
    speakers = json.loads((tmp_path / "one/summary.json").read_text())["splits"]["train"]["speakers"]
    engines = sorted(s.get("engine", "espeak") for s in speakers.values())
    assert engines == ["espeak", "flite", "flite"]  # round(0.5 * 3) of the train speakers


def test_flite_fraction_zero_keeps_the_job_id_and_a_share_changes_it(flite_installed):
    base = SyntheticDigitsCorpusJob(num_utterances=30, seed=7)
    assert SyntheticDigitsCorpusJob(num_utterances=30, seed=7, flite_fraction=0.0).job_id() == base.job_id()
    assert SyntheticDigitsCorpusJob(num_utterances=30, seed=7, flite_fraction=0.25).job_id() != base.job_id()


def test_flite_fraction_out_of_range_names_the_parameter():
    with pytest.raises(ValueError, match="flite_fraction"):
        SyntheticDigitsCorpusJob(num_utterances=30, seed=11, flite_fraction=1.5)


def test_without_flite_a_flite_corpus_fails_at_once_naming_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no flite program anywhere
    with pytest.raises(FliteNotInstalledError, match=r"apt-get install flite"):
        SyntheticDigitsCorpusJob(num_utterances=30, seed=12, flite_fraction=0.5)
    outputs = {s: str(tmp_path / f"{s}.hdf") for s in corpus_plan.SPLITS}
    with pytest.raises(FliteNotInstalledError, match=r"apt-get install flite"):
        generate_corpus(types.SimpleNamespace(workers=1, **TINY), outputs, {}, str(tmp_path / "labels.json"),
                        str(tmp_path / "summary.json"))
    assert sorted(os.listdir(tmp_path)) == []
    assert SyntheticDigitsCorpusJob(num_utterances=30, seed=12).job_id()  # flite_fraction=0.0 needs no flite
