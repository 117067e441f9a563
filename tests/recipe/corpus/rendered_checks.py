"""Checks shared by the espeak and flite utterance tests: front-end lengths and silent labelled silence."""

import numpy

from recipe.corpus.frontend_geometry import frontend_output_frames


def assert_one_frontend_frame_per_label(rendered):
    for result in rendered:
        num_frames = len(result["classes"])
        assert len(result["audio"]) == 160 * num_frames + 320 == len(result["clean"])
        assert frontend_output_frames(len(result["audio"])) == num_frames


def frame_energies(result):
    """(per-frame energy of the clean signal, mask of silence frames whose neighbours are silence too: a boundary
    frame straddles the onset)."""
    labels, num_frames = result["classes"], len(result["classes"])
    energy = (result["clean"][160:160 + 160 * num_frames].astype(numpy.float64).reshape(num_frames, 160) ** 2
              ).mean(axis=1)
    interior = (labels == 0) & (numpy.r_[0, labels[:-1]] == 0) & (numpy.r_[labels[1:], 0] == 0)
    return energy, interior


def assert_silence_is_silent(result):
    energy, interior = frame_energies(result)
    speech = result["classes"] > 0
    assert interior.sum() > 10
    assert energy[interior].max() < 1e-4 * energy[speech].mean()
    return energy, speech
