"""Statistics of the experiment report: spread over seeds, confidence intervals and paired significance tests over
utterances (numpy and scipy.stats; no Sisyphus).

Every rate the report shows is a ratio of sums over utterances: WER = word errors / reference words, FER = frame
errors / frames, CE = summed frame cross entropy / frames. An utterance is a ``(numerator, denominator)`` pair; a
system with several seeds is the per-utterance mean of its seeds' numerators (the denominators are the references,
equal for every seed), whose ratio is exactly the mean of the seeds' rates. Confidence intervals resample utterances
(percentile bootstrap, ``scipy.stats.bootstrap``); the paired test between two systems is approximate randomisation
over utterances (``scipy.stats.permutation_test`` with ``permutation_type="samples"``: each utterance's two results
swap systems at random) of the difference of the rates. Both use a fixed random generator: the same inputs give the
same numbers.
"""

import math

CONFIDENCE = 0.95
RESAMPLES = 9999
RANDOM_SEED = 20240601
SIGNIFICANCE_LEVEL = 0.05
BATCH = 500
"""Resamples computed at once (bounds the memory on large test sets: BATCH x utterances values)."""


def mean_and_std(values):
    """(mean, sample standard deviation with ddof=1) of the known ``values`` (None skipped); std is None with fewer
    than two values, both are None with none."""
    known = [float(value) for value in values if value is not None]
    if not known:
        return None, None
    mean = sum(known) / len(known)
    if len(known) < 2:
        return mean, None
    return mean, math.sqrt(sum((value - mean) ** 2 for value in known) / (len(known) - 1))


def utterance_matrix(runs, what):
    """``(tags, numerators, denominators)`` from one ``{tag: (numerator, denominator)}`` dict per seed:
    numerators as an array (seeds x utterances), denominators (utterances). Every seed must have scored the same
    utterances with the same denominators (``what`` names the system and measure in the error)."""
    import numpy

    if not runs:
        raise ValueError(f"{what}: no per-utterance results")
    tags = sorted(runs[0])
    for position, run in enumerate(runs[1:], start=2):
        if sorted(run) != tags:
            differing = sorted(set(run) ^ set(tags))
            raise ValueError(f"{what}: seed #{position} scored other utterances than seed #1 (e.g. "
                             f"{differing[:3]}); evaluate every seed on the same corpus split")
    denominators = numpy.array([runs[0][tag][1] for tag in tags], dtype=float)
    for position, run in enumerate(runs[1:], start=2):
        if not numpy.allclose([run[tag][1] for tag in tags], denominators):
            raise ValueError(f"{what}: seed #{position} has other reference lengths than seed #1; evaluate every "
                             "seed against the same references")
    numerators = numpy.array([[run[tag][0] for tag in tags] for run in runs], dtype=float)
    return tags, numerators, denominators


def ratio(numerators, denominators):
    """sum(numerators) / sum(denominators) (the rate over all utterances)."""
    return float(numerators.sum() / denominators.sum())


def _ratio_statistic(numerators, denominators, axis=-1):
    return numerators.sum(axis=axis) / denominators.sum(axis=axis)


def bootstrap_interval(numerators, denominators, confidence=CONFIDENCE, resamples=RESAMPLES):
    """(low, high): percentile-bootstrap confidence interval of ``ratio(numerators, denominators)``, resampling
    utterances (numerator and denominator of an utterance together); None with fewer than two utterances."""
    import numpy
    from scipy import stats

    if len(denominators) < 2:
        return None
    if numpy.all(numerators == numerators[0]) and numpy.all(denominators == denominators[0]):
        value = ratio(numerators, denominators)
        return value, value  # every resample is the same sample
    result = stats.bootstrap((numerators, denominators), _ratio_statistic, paired=True, vectorized=True,
                             confidence_level=confidence, n_resamples=resamples, method="percentile",
                             batch=BATCH, rng=numpy.random.default_rng(RANDOM_SEED))
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def paired_test(numerators, reference_numerators, denominators, confidence=CONFIDENCE, resamples=RESAMPLES):
    """Compare a system with a reference on the same utterances (numerators per utterance of each, shared
    denominators): ``{"value", "reference_value", "difference" (value - reference_value), "ci" ([low, high] of the
    difference, paired bootstrap over utterances), "p_value" (two-sided, approximate randomisation over
    utterances)}``. Identical systems give p = 1; with fewer than two utterances there is nothing to resample, and
    "ci" and "p_value" are None."""
    import numpy
    from scipy import stats

    total = float(denominators.sum())
    differences = numerators - reference_numerators

    def difference(system, reference, axis=-1):
        return (system.sum(axis=axis) - reference.sum(axis=axis)) / total

    if numpy.all(differences == 0):
        p_value = 1.0
    elif len(denominators) < 2:
        p_value = None
    else:
        p_value = float(stats.permutation_test(
            (numerators, reference_numerators), difference, permutation_type="samples", vectorized=True,
            n_resamples=resamples, alternative="two-sided", batch=BATCH,
            rng=numpy.random.default_rng(RANDOM_SEED)).pvalue)
    return {"value": ratio(numerators, denominators), "reference_value": ratio(reference_numerators, denominators),
            "difference": float(differences.sum() / total),
            "ci": bootstrap_interval(differences, denominators, confidence, resamples),
            "p_value": None if p_value is None else min(1.0, p_value)}


def format_p_value(p_value):
    """``< 0.001`` or the value with 3 decimals; ``-`` when unknown."""
    if p_value is None:
        return "-"
    return "< 0.001" if p_value < 0.001 else f"{p_value:.3f}"


def describe_comparison(system, reference, dataset, measure, result, percent=True):
    """One plain-language line, e.g. ``blstm_transfer_frozen vs blstm_scratch, test WER: 13.98 % vs 45.70 %,
    -31.72 points (95 % CI -35.10 to -28.30), p < 0.001: significant at the 5 % level``."""
    scale, unit, points = (100.0, " %", " points") if percent else (1.0, "", "")
    value, reference_value = scale * result["value"], scale * result["reference_value"]
    digits = 2 if percent else 3
    text = (f"{system} vs {reference}, {dataset} {measure}: {value:.{digits}f}{unit} vs "
            f"{reference_value:.{digits}f}{unit}, {scale * result['difference']:+.{digits}f}{points}")
    if result["ci"] is not None:
        low, high = (scale * bound for bound in result["ci"])
        text += f" ({100 * CONFIDENCE:.0f} % CI {low:+.{digits}f} to {high:+.{digits}f})"
    if result["p_value"] is None:
        return f"{text}: not testable (fewer than two utterances)"
    p_text = format_p_value(result["p_value"])
    text += f", p {p_text}" if p_text.startswith("<") else f", p = {p_text}"
    significant = result["p_value"] < SIGNIFICANCE_LEVEL
    verdict = "significant" if significant else "not significant"
    return f"{text}: {verdict} at the {100 * SIGNIFICANCE_LEVEL:.0f} % level"
