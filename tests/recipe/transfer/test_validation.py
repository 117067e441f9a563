"""Validation before training: shapes from a RETURNN graph build compared with the manifest, all problems at once."""

import pytest

from recipe.transfer.extraction import extract_layer_variables
from recipe.transfer.transfer_config import build_transfer_config
from recipe.transfer.validation import TransferMismatchError, ValidateTransferJob, check_layer_names, check_transfer
from tests.recipe.transfer.transfer_setup import EXTERN_DATA, tiny_blstm


def test_matching_front_end_passes_with_its_shapes(extracted):
    _, manifest = extracted
    shapes = check_transfer(tiny_blstm(), ["conv_1", "conv_2"], EXTERN_DATA, manifest)
    assert shapes == {"conv_1/W": [400, 1, 8], "conv_2/W": [40, 8, 1, 16]}


def test_shape_mismatch_lists_every_variable_with_both_shapes(extracted):
    _, manifest = extracted
    with pytest.raises(TransferMismatchError) as error:
        check_transfer(tiny_blstm(conv_1_channels=4), ["conv_1", "conv_2"], EXTERN_DATA, manifest)
    message = str(error.value)
    assert "conv_1/W: target shape [400, 1, 4] != checkpoint shape [400, 1, 8]" in message
    assert "conv_2/W: target shape [40, 4, 1, 16] != checkpoint shape [40, 8, 1, 16]" in message


def test_missing_layer_in_the_target_is_named(extracted):
    _, manifest = extracted
    network = tiny_blstm()
    del network["conv_2"]
    network["flatten_conv"]["from"] = ["pad_conv_1_time_dim"]
    with pytest.raises(TransferMismatchError, match=r"\['conv_2'\] are not in the target network"):
        check_transfer(network, ["conv_1", "conv_2"], EXTERN_DATA, manifest)
    with pytest.raises(TransferMismatchError, match=r"\['conv_2'\] are not in the target network"):
        ValidateTransferJob(network, checkpoint=None, manifest=None, extern_data=EXTERN_DATA)


def test_every_entry_point_checks_layer_names_alike():
    network = tiny_blstm()
    entry_points = {
        "check_layer_names": lambda layers: check_layer_names(network, layers, "check_layer_names"),
        "build_transfer_config": lambda layers: build_transfer_config({}, network, "/x/ckpt.index", layers=layers),
        "ValidateTransferJob": lambda layers: ValidateTransferJob(network, None, None, EXTERN_DATA, layers=layers),
    }
    for caller, call in entry_points.items():
        for bad in ("conv_1", []):
            with pytest.raises(TypeError, match=rf"{caller}\(layers=\.\.\.\) needs a non-empty list"):
                call(bad)
        with pytest.raises(TransferMismatchError, match=r"\['conv_9'\] are not in the target network .*fix `layers`"):
            call(["conv_1", "conv_9"])


def test_checkpoint_with_a_same_named_layer_of_another_role_is_refused(trained_baseline, tmp_path):
    # lin_1 exists in both networks but reads the window in the baseline and the LSTMs in the BLSTM.
    manifest = extract_layer_variables(str(trained_baseline), ["conv_1", "conv_2", "lin_1"], str(tmp_path / "f"),
                                       str(tmp_path / "f.npz"), str(tmp_path / "m.json"))
    with pytest.raises(TransferMismatchError) as error:
        check_transfer(tiny_blstm(), ["conv_1", "conv_2"], EXTERN_DATA, manifest)
    assert "also holds layer(s) ['lin_1']" in str(error.value)
