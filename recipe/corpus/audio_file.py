"""Reading a user's audio: WAV/FLAC/OGG (soundfile), Kaldi pipe commands, channel choice or mix-down, resampling to
16 kHz (soxr), optional level normalisation, and the checks for empty, too short and clipped audio."""

import io
import subprocess

from recipe.corpus.input_problems import CorpusInputError

TARGET_RATE = 16000
CLIP_LEVEL = 0.999
"""A sample at or above this magnitude (full scale 1.0) counts as clipped."""


def read_audio(source, where, start=None, end=None, channel="mix"):
    """``(samples float64 [N], sample_rate, num_clipped)`` of ``source`` (a file path, or a Kaldi ``wav.scp``
    command ending in ``|``) from ``start`` to ``end`` seconds (None: whole file). ``channel``: "mix" (average of
    all channels) or a 0-based channel index. ``where`` names the listing line for errors."""
    import numpy
    import soundfile

    import os

    target = source
    if not source.rstrip().endswith("|") and not os.path.isfile(source):
        raise CorpusInputError(where, f"audio file {source} does not exist", "fix the path or add the file")
    if source.rstrip().endswith("|"):
        command = source.rstrip()[:-1]
        result = subprocess.run(command, shell=True, capture_output=True)
        if result.returncode != 0:
            raise CorpusInputError(where, f"audio command {command!r} failed (exit {result.returncode}): "
                                          f"{result.stderr.decode(errors='replace').strip()[-300:]}",
                                   "fix the command or convert the audio to files")
        target = io.BytesIO(result.stdout)
    try:
        info = soundfile.info(target)
        if hasattr(target, "seek"):
            target.seek(0)
        first = 0 if start is None else int(round(start * info.samplerate))
        last = None if end is None or end < 0 else int(round(end * info.samplerate))
        data, rate = soundfile.read(target, start=first, stop=last, dtype="float64", always_2d=True)
    except (RuntimeError, soundfile.LibsndfileError, OSError) as error:
        raise CorpusInputError(where, f"audio {source} cannot be read ({error})",
                               "convert it to WAV, FLAC or OGG") from None
    if channel == "mix":
        samples = data.mean(axis=1)
    elif isinstance(channel, int) and 0 <= channel < data.shape[1]:
        samples = data[:, channel]
    else:
        raise CorpusInputError(where, f"channel {channel!r} requested but {source} has {data.shape[1]} channel(s)",
                               "set channel='mix' or a channel index that exists")
    num_clipped = int(numpy.count_nonzero(numpy.abs(data) >= CLIP_LEVEL))
    return samples, rate, num_clipped


def resample(samples, rate, target_rate=TARGET_RATE):
    """``samples`` at ``rate`` Hz resampled to ``target_rate`` with soxr (high quality); unchanged if equal."""
    import numpy
    import soxr

    if rate == target_rate:
        return numpy.asarray(samples, dtype=numpy.float64)
    return soxr.resample(numpy.asarray(samples, dtype=numpy.float64), rate, target_rate, quality="HQ")


def normalize_level(samples, level_dbfs):
    """``samples`` scaled so their RMS is ``level_dbfs`` dB below full scale (None: unchanged)."""
    import numpy

    if level_dbfs is None:
        return samples
    rms = float(numpy.sqrt(numpy.mean(numpy.square(samples)))) if len(samples) else 0.0
    return samples if rms == 0.0 else samples * (10.0 ** (level_dbfs / 20.0) / rms)


def check_audio(samples, rate, num_clipped, where, source, utterance, max_clipped_fraction):
    """Raise :class:`CorpusInputError` for empty, all-zero, too short (< 30 ms) or clipped audio (more than
    ``max_clipped_fraction`` of the samples at full scale)."""
    import numpy

    if len(samples) == 0:
        raise CorpusInputError(where, f"audio {source} is empty (0 samples)", "remove the utterance or fix the file",
                               utterance)
    if not numpy.any(samples):
        raise CorpusInputError(where, f"audio {source} holds only digital silence", "remove the utterance or fix "
                               "the file", utterance)
    if len(samples) < 0.03 * rate:
        raise CorpusInputError(where, f"audio {source} is {len(samples) / rate * 1000:.0f} ms long, too short for "
                               "one 10 ms frame of the front-end (needs 30 ms)", "remove the utterance", utterance)
    if num_clipped > max_clipped_fraction * len(samples):
        raise CorpusInputError(where, f"audio {source} is clipped: {num_clipped} of {len(samples)} samples at full "
                               f"scale (allowed: {max_clipped_fraction:.2%})", "re-record or lower the gain before "
                               "export, or raise max_clipped_fraction", utterance)
