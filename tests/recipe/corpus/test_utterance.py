"""One synthetic utterance: exact front-end lengths, silent silence, labels in the spoken order."""

import numpy
import pytest

from recipe.corpus import corpus_plan, lexicon, utterance
from recipe.corpus.espeak import data_path
from recipe.corpus.frontend_geometry import frontend_output_frames
from tests.recipe.corpus.rendered_checks import assert_one_frontend_frame_per_label, assert_silence_is_silent


@pytest.fixture(scope="module")
def specs():
    _, specs = corpus_plan.plan_corpus(
        24, 5, {"train": 0.8, "dev": 0.1, "test": 0.1}, {"train": 4, "dev": 1, "test": 1}, (1, 7), (0.9, 1.1),
        (10.0, 40.0), ("white", "pink", "brown"), (0.1, 0.5), data_path())
    return specs


@pytest.fixture(scope="module")
def rendered(specs):
    return [utterance.render_utterance(spec, "word") for spec in specs]


def test_audio_length_gives_one_frontend_frame_per_label(rendered):
    assert_one_frontend_frame_per_label(rendered)


def test_silence_frames_have_near_zero_clean_energy(rendered):
    for result in rendered:
        assert_silence_is_silent(result)
        assert (numpy.abs(result["audio"][:160]) > 0).any(), "noise covers the padding too"


def test_word_labels_follow_the_spoken_words(specs, rendered):
    for spec, result in zip(specs, rendered):
        # a repeated word ("four four") may be one run (no pause between) or two (a pause between): compare the
        # label sequence without silence and with repeats collapsed
        speech = [lexicon.WORD_LABELS[int(k)] for k in result["classes"] if k]
        collapse = lambda seq: [w for i, w in enumerate(seq) if i == 0 or seq[i - 1] != w]  # noqa: E731
        assert collapse(speech) == collapse(spec["words"])


def test_phone_labels_use_the_phone_inventory(specs):
    result = utterance.render_utterance(specs[0], "phone")
    assert result["classes"].max() < len(lexicon.PHONE_LABELS) and (result["classes"] > 0).any()
    assert frontend_output_frames(len(result["audio"])) == len(result["classes"])
