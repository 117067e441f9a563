"""Frame labels from the synthesizer's own phoneme events.

Each phoneme runs from its event's start sample to the next event's start. Quirks handled: stops (``t``, ``k``) are
reported at the burst, so their start moves back over the exact-zero closure before it; pause phonemes (``_``...)
and everything before the first phoneme are silence; the linking glide ``;`` belongs to the word it is reported
with. flite's phones (see :func:`flite_segments`) come with end times and need none of these fixes. A frame's label is
the label at its centre sample (frames are 160 samples = 10 ms at 16 kHz).
"""

from recipe.corpus import lexicon

SAMPLES_PER_FRAME = 160
MAX_CLOSURE_SECONDS = 0.15


class Segment:
    """A labelled span ``[start, end)`` in samples; ``word`` and ``phone`` are None for silence."""
    __slots__ = ("start", "end", "word", "phone")

    def __init__(self, start, end, word, phone):
        self.start, self.end, self.word, self.phone = start, end, word, phone

    def __repr__(self):
        return f"Segment({self.start}, {self.end}, {self.word!r}, {self.phone!r})"


def word_char_positions(words):
    """1-based character position of each word in ``" ".join(words)`` (what espeak-ng reports)."""
    positions, position = [], 1
    for word in words:
        positions.append(position)
        position += len(word) + 1
    return positions


def phoneme_segments(samples, phonemes, words, accent, sample_rate):
    """Segments (in the synthesizer's sample domain) for ``phonemes`` of the text ``" ".join(words)``."""
    positions = word_char_positions(words)
    events = sorted(phonemes, key=lambda e: e.start)
    segments = []
    for index, event in enumerate(events):
        end = events[index + 1].start if index + 1 < len(events) else len(samples)
        if end <= event.start:
            continue
        if lexicon.is_pause(event.name):
            segments.append(Segment(event.start, end, None, None))
            continue
        word_index = max(i for i, p in enumerate(positions) if p <= max(event.text_position, 1))
        start = event.start
        previous = segments[-1] if segments else None
        if lexicon.strip_stress(event.name) in lexicon.STOP_PHONEMES and previous is not None \
                and previous.word is not None:
            limit = max(previous.start + 1, start - int(MAX_CLOSURE_SECONDS * sample_rate))
            while start > limit and samples[start - 1] == 0:
                start -= 1
            previous.end = start
        segments.append(Segment(start, end, words[word_index], lexicon.arpabet(event.name, accent)))
    return segments


def flite_segments(num_samples, phones, words, voice):
    """Segments for flite's ``[(phone, end_sample)]`` of the text ``" ".join(words)``: each phone runs from the
    previous phone's end to its own (clipped to ``num_samples``), ``pau`` is silence, and the phones are assigned to
    the words through :data:`lexicon.FLITE_PRONUNCIATIONS`; a clear error if flite spoke anything else."""
    spoken = [name for name, _ in phones if name != lexicon.FLITE_PAUSE]
    expected = [phone for word in words for phone in lexicon.FLITE_PRONUNCIATIONS[word]]
    if spoken != expected:
        raise ValueError(f"flite voice {voice} spoke {spoken} for {' '.join(words)!r}, expected {expected}: update "
                         f"recipe/corpus/lexicon.py FLITE_PRONUNCIATIONS")
    owners = [word for word in words for _ in lexicon.FLITE_PRONUNCIATIONS[word]]
    segments, start, spoken_index = [], 0, 0
    for name, end in phones:
        end = min(end, num_samples)
        if name == lexicon.FLITE_PAUSE:
            if end > start:
                segments.append(Segment(start, end, None, None))
        else:
            if end > start:
                segments.append(Segment(start, end, owners[spoken_index], lexicon.flite_arpabet(name)))
            spoken_index += 1
        start = max(start, end)
    return segments


def scale_segments(segments, ratio, offset):
    """Segments moved into a resampled (``ratio``) and shifted (``offset`` samples) signal."""
    return [Segment(int(round(s.start * ratio)) + offset, int(round(s.end * ratio)) + offset, s.word, s.phone)
            for s in segments]


def frame_labels(segments, num_frames, unit):
    """int32 label per frame: the label of the segment holding sample ``160 * f + 80``; silence elsewhere."""
    import numpy

    inventory = lexicon.labels_for_unit(unit)
    labels = numpy.zeros(num_frames, dtype=numpy.int32)
    centres = numpy.arange(num_frames) * SAMPLES_PER_FRAME + SAMPLES_PER_FRAME // 2
    for segment in segments:
        if segment.word is None:
            continue
        name = segment.word if unit == "word" else segment.phone
        inside = (centres >= segment.start) & (centres < segment.end)
        labels[inside] = inventory.index(name)
    return labels
