"""Picking RETURNN's most informative error line from recorded outputs (returnn_logs/: real RETURNN 1.2026 / TF 2.21
runs of the tiny setup, long middle parts of negative_label.log left out; in truncated_*.log the temporary setup
directory is replaced by /setup and the HDF file named as a corpus job's output), hints, and the message of
ReturnnError."""

from pathlib import Path

import pytest

from recipe.returnn.error_hints import hint_for, returnn_layer_classes
from recipe.returnn.error_line import MAX_CHARS, ErrorLineFinder, find_error_line, shorten
from recipe.returnn.launcher import ReturnnError

LOGS = Path(__file__).parent / "returnn_logs"


def _lines(name):
    return (LOGS / name).read_text().splitlines()


def test_tf_step_error_beats_the_generic_rethrow_and_the_shutdown_line():
    lines = _lines("negative_label.log")
    assert lines[-1].startswith("Trainer not finalized, quitting.")
    assert "InvalidArgumentError: Graph execution error:" in lines
    error_line = find_error_line(lines)
    assert error_line.startswith("InvalidArgumentError: Received a label value of -1 which is outside the valid "
                                 "range of [0, 12).")
    assert len(error_line) <= MAX_CHARS and error_line.endswith(" ...")  # TF lists every label: cut


@pytest.mark.parametrize("log, expected", [
    ("layer_not_found.log", "LayerNotFound: layer 'no_such_layer' not found in <TFNetwork"),  # no 'Error' suffix
    ("nan_loss.log", "Exception: Inf/nan score in step 0."),  # before the 'Trainer not finalized' line
    ("missing_data.log", "FileNotFoundError: [Errno 2] Unable to synchronously open file (unable to open file: "
                         "name = '/nonexistent/train.hdf'"),
    ("classes_dim_mismatch.log", "AssertionError: key 'classes' dim mismatch."),
    ("unknown_layer_class.log", "Exception: unknown layer class 'lineer'"),
    ("truncated_checkpoint.log", "IndexError: Read less bytes than requested"),
    ("truncated_hdf.log", "OSError: Unable to synchronously open file (truncated file: eof = 68176"),
])
def test_recorded_failures(log, expected):
    assert find_error_line(_lines(log)).startswith(expected)


def test_traceback_noise_is_not_taken_for_the_error():
    lines = ["Traceback (most recent call last):", '  File "x.py", line 1, in f', "    locals:",
             "      ValueError: inside a locals dump", "KeyError: 'train'", "Hostname: node1",
             "TensorFlow: 2.21.0", "Trainer not finalized, quitting. (pid 7)"]
    assert find_error_line(lines) == "KeyError: 'train'"


def test_without_an_exception_line_the_last_non_empty_line_is_used():
    assert find_error_line(["starting", "Killed by the OOM killer", "", "  "]) == "Killed by the OOM killer"
    assert find_error_line([]) == "no output"


def test_a_vague_exception_line_is_used_only_without_a_better_one():
    assert find_error_line(["InvalidArgumentError: Graph execution error:", "", "Detected at node 'x'",
                            "quitting"]) == "InvalidArgumentError: Graph execution error:"
    assert find_error_line(["Traceback (most recent call last):", '  File "x.py", line 1', "KeyboardInterrupt",
                            "Exception: real cause", "RuntimeError:"]) == "Exception: real cause"


def test_shorten():
    assert shorten("  short  ") == "short"
    cut = shorten("x" * 1000, max_chars=50)
    assert len(cut) == 50 and cut.endswith(" ...")


def test_returnn_error_message_starts_and_ends_with_the_error_line():
    error = ReturnnError(1, "/job/output/returnn.config", "LayerNotFound: layer 'x' not found",
                         ["line 1", "LayerNotFound: layer 'x' not found", "Trainer not finalized, quitting."])
    message = str(error).splitlines()
    assert message[0] == ("RETURNN failed (exit code 1) running /job/output/returnn.config: LayerNotFound: layer 'x' "
                          "not found")
    assert "Trainer not finalized, quitting." in message
    assert message[-1] == "--- RETURNN's error: LayerNotFound: layer 'x' not found"


def _finder(name):
    finder = ErrorLineFinder()
    for line in _lines(name):
        finder.feed(line)
    return finder


def test_an_unknown_layer_class_names_the_layer_the_closest_class_and_the_file():
    finder = _finder("unknown_layer_class.log")  # ff_2 has "class": "lineer"
    assert finder.layer_name() == "ff_2"
    hint = hint_for(finder.error_line(), finder.layer_name())
    assert hint == ("layer 'ff_2' of the network has \"class\": 'lineer', which RETURNN does not know (did you mean "
                    "'linear'?); fix the network dict (here: setups/networks.py)")


def test_a_nan_loss_hints_at_learning_rate_and_gradient_clipping():
    finder = _finder("nan_loss.log")
    hint = hint_for(finder.error_line(), finder.layer_name())
    assert "lower the learning rate" in hint and "gradient_clip_global_norm" in hint


def test_a_truncated_checkpoint_names_it_its_training_and_the_remake_command():
    finder = _finder("truncated_checkpoint.log")  # ReturnnEvalJob on a checkpoint whose .data file lost its half
    hint = hint_for(finder.error_line(), finder.layer_name(), finder.files())
    training = "work/returnn/training/ReturnnTrainingJob.t6epWbdKVIE8"
    assert hint.startswith(f"corrupt or truncated input /setup/{training}/output/models/epoch.001: IndexError")
    assert f"It was made by job {training}" in hint
    assert f"mv {training} {training}.corrupt && sis manager -r -co CONFIG" in hint


def test_a_truncated_hdf_file_names_it_and_its_job():
    finder = _finder("truncated_hdf.log")
    hint = hint_for(finder.error_line(), finder.layer_name(), finder.files())
    corpus = "work/corpus/synthetic_digits/SyntheticDigitsCorpusJob.Ab3dEfGhIjKl"
    assert hint.startswith(f"corrupt or truncated input /setup/{corpus}/output/dev.hdf: OSError")
    assert f"mv {corpus} {corpus}.corrupt" in hint


@pytest.mark.parametrize("log", ["negative_label.log", "missing_data.log", "layer_not_found.log"])
def test_other_errors_get_no_hint(log):
    finder = _finder(log)
    assert hint_for(finder.error_line(), finder.layer_name(), finder.files()) is None


def test_the_layer_classes_come_from_the_installed_returnn():
    classes = returnn_layer_classes()
    assert {"linear", "conv", "rec", "softmax", "subnetwork"} <= set(classes)
