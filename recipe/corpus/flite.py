"""The ``flite`` command line (Debian package ``flite``): 16 kHz audio plus the end time of every phone.

``flite -psdur`` prints ``phone:end_seconds`` for each segment (``pau`` is a pause). flite runs as a separate
process per utterance, so it keeps no state between utterances and is deterministic.
"""

import shutil

FLITE_VOICES = ("slt", "rms", "awb", "kal16")
"""flite's built-in 16 kHz voices: slt (female), rms and awb (male, both from real recordings), kal16 (male,
diphone). The 8 kHz ``kal`` is left out."""

INSTALL_HINT = "install it with `apt-get install flite` (Debian/Ubuntu package flite)"


class FliteNotInstalledError(RuntimeError):
    """The corpus asks for flite voices but no ``flite`` program is on the PATH."""


def check_installed(reason):
    """Raise :class:`FliteNotInstalledError` naming ``reason`` and the fix when ``flite`` is not on the PATH."""
    if shutil.which("flite") is None:
        raise FliteNotInstalledError(f"{reason} needs the `flite` program, which is not on the PATH: {INSTALL_HINT}, "
                                     f"or set flite_fraction=0.0")


def parse_phone_durations(text, sample_rate):
    """``[(phone, end_sample)]`` from ``flite -psdur`` output (``pau:0.220 w:0.280 ...``)."""
    phones = []
    for item in text.split():
        name, _, end = item.rpartition(":")
        try:
            phones.append((name, int(round(float(end) * sample_rate))))
        except ValueError:
            raise ValueError(f"unexpected flite -psdur output {item!r} in {text!r}") from None
        if not name:
            raise ValueError(f"unexpected flite -psdur output {item!r} in {text!r}")
    return phones


def synthesize(text, voice, duration_stretch=1.0):
    """Speak ``text`` with flite ``voice`` (one of :data:`FLITE_VOICES`), phone durations scaled by
    ``duration_stretch`` (> 1 is slower).

    Returns ``(samples, sample_rate, phones)``: int16 numpy array, its rate, and ``[(phone, end_sample)]``.
    """
    import os
    import subprocess
    import tempfile
    import wave

    import numpy

    if voice not in FLITE_VOICES:
        raise ValueError(f"unknown flite voice {voice!r}: use one of {FLITE_VOICES}")
    check_installed("synthesizing with a flite voice")
    with tempfile.TemporaryDirectory(prefix="flite-") as folder:
        wav_path = os.path.join(folder, "utterance.wav")
        command = ["flite", "-voice", voice, "--setf", f"duration_stretch={float(duration_stretch):.4f}", "-psdur",
                   "-t", text, "-o", wav_path]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0 or not os.path.exists(wav_path):
            raise RuntimeError(f"flite failed (exit {result.returncode}) for {' '.join(command)}: "
                               f"{(result.stderr or result.stdout).strip()[-300:]}")
        with wave.open(wav_path, "rb") as wav:
            if wav.getsampwidth() != 2 or wav.getnchannels() != 1:
                raise RuntimeError(f"flite voice {voice} wrote {wav.getnchannels()} channel(s) of "
                                   f"{8 * wav.getsampwidth()} bit; expected 16 bit mono")
            sample_rate = wav.getframerate()
            samples = numpy.frombuffer(wav.readframes(wav.getnframes()), dtype=numpy.int16).copy()
    return samples, sample_rate, parse_phone_durations(result.stdout, sample_rate)
