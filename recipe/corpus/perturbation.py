"""Signal-level corpus perturbations: resampling (rate change and speed perturbation) and coloured noise."""

NOISE_COLORS = ("white", "pink", "brown")


def resample(signal, ratio):
    """Band-limited resampling by FFT: ``round(len(signal) * ratio)`` output samples (ratio < 1 shortens).

    Resampling 22050 Hz to 16 kHz uses ``ratio = 16000 / 22050``; speed perturbation by factor ``s`` (faster for
    ``s > 1``) divides the ratio by ``s``, changing tempo and pitch together like sox ``speed``. The signal should
    start and end in silence (the FFT treats it as periodic).
    """
    import numpy

    signal = numpy.asarray(signal, dtype=numpy.float64)
    num_in = len(signal)
    num_out = int(round(num_in * ratio))
    spectrum = numpy.fft.rfft(signal)
    bins_out = num_out // 2 + 1
    if bins_out <= len(spectrum):
        spectrum = spectrum[:bins_out].copy()
        if num_out % 2 == 0 and num_out < num_in:
            spectrum[-1] = spectrum[-1].real  # Nyquist bin of the shorter signal must be real
    else:
        spectrum = numpy.concatenate([spectrum, numpy.zeros(bins_out - len(spectrum), dtype=spectrum.dtype)])
    return numpy.fft.irfft(spectrum, n=num_out) * (num_out / num_in)


def colored_noise(rng, num_samples, color):
    """Unit-power Gaussian noise: white (flat), pink (1/f power) or brown (1/f^2 power)."""
    import numpy

    if color not in NOISE_COLORS:
        raise ValueError(f"unknown noise colour {color!r}: use one of {NOISE_COLORS}")
    noise = rng.standard_normal(num_samples)
    if color != "white":
        spectrum = numpy.fft.rfft(noise)
        frequencies = numpy.arange(len(spectrum), dtype=numpy.float64)
        frequencies[0] = 1.0
        exponent = 0.5 if color == "pink" else 1.0
        spectrum /= frequencies ** exponent
        spectrum[0] = 0.0
        noise = numpy.fft.irfft(spectrum, n=num_samples)
    power = float(numpy.mean(noise ** 2))
    return noise / numpy.sqrt(power) if power > 0 else noise


def add_noise(signal, rng, color, snr_db, speech_power):
    """``signal`` plus ``color`` noise at ``snr_db`` below ``speech_power`` (mean square of the speech samples)."""
    import numpy

    noise = colored_noise(rng, len(signal), color)
    return signal + noise * numpy.sqrt(speech_power / 10.0 ** (snr_db / 10.0))
