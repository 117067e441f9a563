"""One synthetic utterance: synthesis, alignment, speed perturbation, silence padding, gain and noise.

Everything random about an utterance is fixed in its spec (see :mod:`recipe.corpus.corpus_plan`), so rendering is
a pure function of the spec, given a fresh synthesizer state (see :mod:`recipe.corpus.generation`).
"""

from recipe.corpus import alignment, perturbation

SAMPLE_RATE = 16000


def render_utterance(spec, unit, synthesizer=None):
    """Render ``spec`` with espeak-ng, or with flite when ``spec["engine"] == "flite"``; returns a dict with

    - ``audio``: float32 noisy samples, ``samples_for_frames(F)`` long (``160 * F + 320``: one 10 ms frame per label
      plus 160 samples of padding on each side, so the CNN front-end yields exactly ``F`` frames),
    - ``clean``: the same without noise, ``classes``: int32 ``[F]`` labels of ``unit``,
    - ``segments``: the labelled spans in samples of the unpadded signal (``audio[160:]``).
    """
    import numpy

    from recipe.corpus.espeak import get_synthesizer
    from recipe.corpus.frontend_geometry import samples_for_frames

    if spec.get("engine", "espeak") == "flite":
        raw, sample_rate, segments = _speak_with_flite(spec)
    else:
        synthesizer = synthesizer or get_synthesizer()
        raw, phonemes = synthesizer.synthesize(" ".join(spec["words"]), spec["voice"], spec["words_per_minute"],
                                               spec["word_gap"], spec["noise_seed"])
        segments = alignment.phoneme_segments(raw, phonemes, spec["words"], spec["accent"], synthesizer.sample_rate)
        sample_rate = synthesizer.sample_rate
    ratio = SAMPLE_RATE / sample_rate / spec["speed"]
    speech = perturbation.resample(raw / 32768.0, ratio)
    peak = float(numpy.max(numpy.abs(speech)))
    if peak > 0:
        speech *= spec["peak"] / peak
    lead, trail = int(round(spec["lead_s"] * SAMPLE_RATE)), int(round(spec["trail_s"] * SAMPLE_RATE))
    num_frames = -(-(lead + len(speech) + trail) // alignment.SAMPLES_PER_FRAME)
    pad = alignment.SAMPLES_PER_FRAME
    clean = numpy.zeros(samples_for_frames(num_frames), dtype=numpy.float64)
    clean[pad + lead:pad + lead + len(speech)] = speech
    segments = alignment.scale_segments(segments, len(speech) / len(raw), lead)
    classes = alignment.frame_labels(segments, num_frames, unit)
    spoken = numpy.concatenate([clean[pad + s.start:pad + s.end] for s in segments if s.word is not None] or [speech])
    speech_power = float(numpy.mean(spoken ** 2)) or 1e-10
    rng = numpy.random.default_rng(spec["noise_seed"])
    audio = perturbation.add_noise(clean, rng, spec["noise_color"], spec["snr_db"], speech_power)
    return {"audio": audio.astype(numpy.float32), "clean": clean.astype(numpy.float32), "classes": classes,
            "segments": segments}


FLITE_FADE_SECONDS = 0.005
"""Raised-cosine fade at both ends of flite's speech (inside the first and last labelled phone)."""


def _speak_with_flite(spec):
    """flite's speech for ``spec`` cut to its first to last spoken phone, as ``(samples, sample_rate, segments)``
    (float samples in int16 scale). flite's leading and trailing ``pau`` carry the recordings' noise floor; the
    utterance gets exact silence instead (``lead_s``/``trail_s``), like espeak-ng's. flite speaks the digits without
    pauses between them: ``word_gap`` applies to espeak-ng only."""
    import numpy

    from recipe.corpus import flite

    samples, sample_rate, phones = flite.synthesize(" ".join(spec["words"]), spec["flite_voice"],
                                                    spec["duration_stretch"])
    segments = alignment.flite_segments(len(samples), phones, spec["words"], spec["flite_voice"])
    spoken = [s for s in segments if s.word is not None]
    first, last = spoken[0].start, spoken[-1].end
    speech = samples[first:last].astype(numpy.float64)
    fade = min(int(FLITE_FADE_SECONDS * sample_rate), len(speech) // 4)
    if fade > 0:
        ramp = 0.5 - 0.5 * numpy.cos(numpy.pi * (numpy.arange(fade) + 0.5) / fade)
        speech[:fade] *= ramp
        speech[-fade:] *= ramp[::-1]
    inside = [alignment.Segment(max(s.start, first) - first, min(s.end, last) - first, s.word, s.phone)
              for s in segments if s.end > first and s.start < last]
    return speech, sample_rate, inside
