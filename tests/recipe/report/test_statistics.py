"""recipe/report/statistics.py on constructed data whose answers are known."""

import numpy
import pytest

from recipe.report import statistics


def test_mean_and_std_over_seeds():
    assert statistics.mean_and_std([1.0, 2.0, 3.0]) == (2.0, 1.0)
    assert statistics.mean_and_std([0.25]) == (0.25, None)
    assert statistics.mean_and_std([None, None]) == (None, None)
    assert statistics.mean_and_std([0.1, None, 0.3]) == (pytest.approx(0.2), pytest.approx(0.1 * 2 ** 0.5))


def test_identical_systems_give_p_1_and_a_zero_difference():
    rng = numpy.random.default_rng(1)
    words = rng.integers(1, 8, size=100).astype(float)
    errors = rng.binomial(words.astype(int), 0.3).astype(float)
    result = statistics.paired_test(errors, errors.copy(), words)
    assert result["p_value"] == 1.0 and result["difference"] == 0.0 and result["ci"] == (0.0, 0.0)
    assert result["value"] == result["reference_value"] == pytest.approx(errors.sum() / words.sum())


def test_errors_moved_between_utterances_are_no_difference():
    # Same total errors, shuffled among utterances: the observed difference is 0, which every resample reaches.
    words = numpy.full(60, 4.0)
    system = numpy.tile([2.0, 0.0], 30)
    reference = numpy.tile([0.0, 2.0], 30)
    result = statistics.paired_test(system, reference, words)
    assert result["difference"] == 0.0 and result["p_value"] == pytest.approx(1.0)


def test_a_clearly_better_system_gives_a_small_p_value():
    rng = numpy.random.default_rng(2)
    words = rng.integers(2, 8, size=100).astype(float)
    better = rng.binomial(words.astype(int), 0.1).astype(float)
    worse = rng.binomial(words.astype(int), 0.4).astype(float)
    result = statistics.paired_test(better, worse, words)
    assert result["p_value"] < 0.01
    assert result["p_value"] >= 1 / (statistics.RESAMPLES + 1)  # a randomisation test never says 0
    low, high = result["ci"]
    assert low < result["difference"] < high < 0
    assert result["difference"] == pytest.approx((better.sum() - worse.sum()) / words.sum())


def test_one_utterance_gives_no_interval_and_no_p_value():
    result = statistics.paired_test(numpy.array([3.0]), numpy.array([1.0]), numpy.array([5.0]))
    assert result["ci"] is None and result["p_value"] is None and result["difference"] == pytest.approx(0.4)
    line = statistics.describe_comparison("a", "b", "dev", "WER", result)
    assert line.endswith("not testable (fewer than two utterances)"), line


def test_a_small_difference_on_few_utterances_is_not_significant():
    words = numpy.full(20, 5.0)
    reference = numpy.full(20, 1.0)
    system = reference.copy()
    system[0] = 0.0  # one word error fewer in 100 words
    result = statistics.paired_test(system, reference, words)
    assert result["p_value"] > 0.5


def test_bootstrap_interval_matches_the_binomial_interval():
    # 400 utterances of one word, 80 wrong: WER 20 %, normal-approximation 95 % interval 20 ± 3.9 points.
    errors = numpy.zeros(400)
    errors[:80] = 1.0
    words = numpy.ones(400)
    low, high = statistics.bootstrap_interval(errors, words)
    half_width = 1.96 * (0.2 * 0.8 / 400) ** 0.5
    assert low == pytest.approx(0.2 - half_width, abs=0.01) and high == pytest.approx(0.2 + half_width, abs=0.01)
    assert statistics.bootstrap_interval(numpy.full(5, 1.0), numpy.full(5, 4.0)) == (0.25, 0.25)
    assert statistics.bootstrap_interval(numpy.array([1.0]), numpy.array([3.0])) is None


def test_the_numbers_do_not_change_between_calls():
    rng = numpy.random.default_rng(3)
    words = rng.integers(1, 8, size=50).astype(float)
    a, b = (rng.binomial(words.astype(int), rate).astype(float) for rate in (0.2, 0.25))
    assert statistics.paired_test(a, b, words) == statistics.paired_test(a, b, words)


def test_utterance_matrix_checks_that_the_seeds_scored_the_same_utterances():
    tags, numerators, denominators = statistics.utterance_matrix(
        [{"b": (1, 4), "a": (0, 2)}, {"a": (2, 2), "b": (3, 4)}], "x")
    assert tags == ["a", "b"] and numerators.tolist() == [[0, 1], [2, 3]] and denominators.tolist() == [2, 4]
    with pytest.raises(ValueError, match="seed #2 scored other utterances.*same corpus split"):
        statistics.utterance_matrix([{"a": (0, 2)}, {"c": (0, 2)}], "x")
    with pytest.raises(ValueError, match="seed #2 has other reference lengths"):
        statistics.utterance_matrix([{"a": (0, 2)}, {"a": (0, 3)}], "x")


def test_plain_language_lines():
    result = {"value": 0.1398, "reference_value": 0.4570, "difference": -0.3172, "ci": (-0.35, -0.28),
              "p_value": 0.0002}
    line = statistics.describe_comparison("frozen", "scratch", "test", "WER", result)
    assert line == ("frozen vs scratch, test WER: 13.98 % vs 45.70 %, -31.72 points (95 % CI -35.00 to -28.00), "
                    "p < 0.001: significant at the 5 % level")
    ce = statistics.describe_comparison("a", "b", "dev", "CE", {**result, "p_value": 0.25}, percent=False)
    assert ce.endswith("-0.317 (95 % CI -0.350 to -0.280), p = 0.250: not significant at the 5 % level")
    assert statistics.format_p_value(None) == "-" and statistics.format_p_value(0.04567) == "0.046"
