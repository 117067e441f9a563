"""Flat start: a first frame alignment from the transcript alone, for corpora that come without alignments.

The speech region is found from frame energies (10 ms frames at the front-end's frame positions): frames louder than
``threshold`` (default half) of the way from the noise floor (10th percentile of the frame energies, in dB) to the loud end (99th
percentile) are speech, and the region runs from the first to the last such frame. Inside it, the transcript's units
(words or phones) get equal shares of the frames, in order; everything outside is silence.
"""

FRAME_SHIFT, FIRST_FRAME_START = 160, 160


def frame_energies_db(samples, num_frames):
    """Energy in dB of each 10 ms frame ``f`` (samples ``160 f + 160 .. 160 f + 320`` of the padded audio)."""
    import numpy

    frames = numpy.asarray(samples[FIRST_FRAME_START:FIRST_FRAME_START + FRAME_SHIFT * num_frames], dtype=numpy.float64)
    frames = frames.reshape(num_frames, FRAME_SHIFT)
    return 10.0 * numpy.log10(numpy.mean(frames ** 2, axis=1) + 1e-12)


def speech_region(samples, num_frames, threshold=0.5):
    """``(first, last + 1)`` frames of the speech region (the whole utterance if no frame stands out)."""
    import numpy

    energies = frame_energies_db(samples, num_frames)
    floor, loud = numpy.percentile(energies, 10), numpy.percentile(energies, 99)
    if loud - floor < 3.0:
        return 0, num_frames
    speech = numpy.flatnonzero(energies > floor + threshold * (loud - floor))
    return int(speech[0]), int(speech[-1]) + 1


def flat_start_labels(samples, num_frames, unit_labels, threshold=0.5):
    """int32 [num_frames]: ``unit_labels`` (label indices, in order) spread uniformly over the speech region,
    silence (0) outside. A region shorter than the number of units is widened to the whole utterance."""
    import numpy

    first, end = speech_region(samples, num_frames, threshold)
    if end - first < len(unit_labels):
        first, end = 0, num_frames
    labels = numpy.zeros(num_frames, dtype=numpy.int32)
    if not len(unit_labels) or end <= first:
        return labels
    bounds = numpy.linspace(first, end, len(unit_labels) + 1).round().astype(int)
    for label, start, stop in zip(unit_labels, bounds[:-1], bounds[1:]):
        labels[start:stop] = label
    return labels
