"""Every transfer method with real RETURNN on tiny data: bit-exact initialisation, frozen stays frozen, a resumed
fine-tuning keeps its own front-end, and evaluation uses the fine-tuned weights.

"Killed after epoch 1 and resumed": the first run stops after epoch 1 (its checkpoint written, as a kill after the
epoch would leave it), the second run of the same config continues at epoch 2. Epoch 2 has learning rate 0, so its
front-end equals the one it started from bit for bit: epoch 1's if the resume kept the fine-tuned values, the
baseline's if the transfer reloaded them.
"""

import numpy as np
import pytest

from recipe.returnn.checkpoint import Checkpoint
from recipe.returnn.learning_rates import read_learning_rates
from recipe.transfer.transfer_config import METHODS, build_transfer_config, transferred_variable_name
from tests.recipe.transfer.transfer_setup import base_settings, dev_score, read_vars, run_returnn, tiny_blstm

FRONTEND_VARIABLES = ("conv_1/W", "conv_2/W")


def write_config(directory, method, frozen, data_dir, checkpoint_prefix, learning_rates, num_epochs):
    directory.mkdir(parents=True, exist_ok=True)
    config = build_transfer_config(
        base_settings(data_dir, learning_rates), tiny_blstm(), Checkpoint(str(checkpoint_prefix) + ".index"),
        method=method, frozen=frozen,
        post_config={"model": str(directory / "epoch"), "num_epochs": num_epochs, "log_verbosity": 3,
                     "device": "cpu"})
    config.write(directory / "returnn.config")
    return directory / "returnn.config"


def frontend(prefix, method):
    values = read_vars(prefix)
    return {name: values[transferred_variable_name(name, method)] for name in FRONTEND_VARIABLES}




@pytest.mark.parametrize("method_name", METHODS)
def test_frozen_front_end_starts_from_the_extracted_values_and_stays_bit_identical(method_name, tiny_data,
                                                                                   trained_baseline, extracted,
                                                                                   tmp_path):
    slim_prefix, _ = extracted
    config = write_config(tmp_path, method_name, True, tiny_data, slim_prefix, [0.01], num_epochs=1)
    run_returnn(config)
    slim, trained = read_vars(slim_prefix), read_vars(tmp_path / "epoch.001")
    for name, value in frontend(tmp_path / "epoch.001", method_name).items():
        assert value.tobytes() == slim[name].tobytes(), name
    # ff_2 has the same shape in both networks but another role: it must not come from the baseline.
    assert trained["ff_2/W"].shape == read_vars(trained_baseline)["ff_2/W"].shape
    assert not np.array_equal(trained["ff_2/W"], read_vars(trained_baseline)["ff_2/W"])


@pytest.mark.parametrize("method_name", METHODS)
def test_fine_tuned_front_end_survives_resume_and_is_used_in_evaluation(method_name, tiny_data, extracted,
                                                                        tmp_path):
    slim_prefix, _ = extracted
    slim = read_vars(slim_prefix)
    # Epoch 1 fine-tunes (lr 0.01), epoch 2 has lr 0 (see the module docstring).
    config = write_config(tmp_path, method_name, False, tiny_data, slim_prefix, [0.01, 0.0], num_epochs=1)
    run_returnn(config)
    epoch_1 = frontend(tmp_path / "epoch.001", method_name)
    for name in FRONTEND_VARIABLES:
        assert epoch_1[name].shape == slim[name].shape
        assert not np.array_equal(epoch_1[name], slim[name]), f"{name} was not fine-tuned"

    config = write_config(tmp_path, method_name, False, tiny_data, slim_prefix, [0.01, 0.0], num_epochs=2)
    resumed_output = run_returnn(config)
    assert "start training at epoch 2" in resumed_output
    epoch_2 = frontend(tmp_path / "epoch.002", method_name)
    for name in FRONTEND_VARIABLES:
        assert epoch_2[name].tobytes() == epoch_1[name].tobytes(), f"{name}: resume lost the fine-tuned values"

    # Evaluating epoch 1 must give the dev score RETURNN computed with the fine-tuned model right after epoch 1.
    scores = read_learning_rates(str(tmp_path / "learning_rates"))
    eval_output = run_returnn(config, "++task", "eval", "++load", str(tmp_path / "epoch.001"),
                              "++learning_rate_file", str(tmp_path / "eval_learning_rates"))
    score, _ = dev_score(eval_output)
    assert score == pytest.approx(scores[1]["scores"]["dev_score"], rel=1e-5)
