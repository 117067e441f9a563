"""conv_1 of the trained tiny baseline into a target layer called ``frontend_conv``, with conv_2's variable
excluded (left fresh), by mapping and by the one-line form, through extraction, validation and each loading method
with real RETURNN.

Both forms give the same spec, so the same slim checkpoint (checked bit for bit) and, per method, the same RETURNN
config (checked by hash in test_transfer_spec.py); each method trains once.
"""

import numpy as np
import pytest

from recipe.returnn.checkpoint import Checkpoint
from recipe.transfer.extraction import extract_layer_variables
from recipe.transfer.transfer_config import METHODS, build_transfer_config, transferred_variable_name
from recipe.transfer.transfer_spec import parse_transfer
from recipe.transfer.validation import TransferMismatchError, check_transfer, target_param_shapes, transfer_table
from tests.recipe.transfer.transfer_setup import (EXTERN_DATA, base_settings, read_vars, renamed_blstm, run_returnn,
                                                   tiny_blstm)

MAPPING = {"frontend_conv": "conv_1", "conv_2": "conv_2"}
ONE_LINE = "conv_1,conv_2:frontend_conv,conv_2:conv_2/W"


@pytest.fixture(scope="module")
def renamed(trained_baseline, tmp_path_factory):
    """``{form: (slim checkpoint prefix, manifest)}`` for the mapping and the one-line form."""
    found = {}
    for form, spec in (("mapping", parse_transfer(MAPPING, exclude=("conv_2/W",))),
                       ("one_line", parse_transfer(ONE_LINE))):
        directory = tmp_path_factory.mktemp(f"renamed_{form}")
        manifest = extract_layer_variables(str(trained_baseline), None, str(directory / "frontend"),
                                           str(directory / "frontend.npz"), str(directory / "manifest.json"),
                                           spec=spec)
        found[form] = (directory / "frontend", manifest)
    return found


def test_both_forms_extract_conv_1_as_frontend_conv_and_leave_conv_2_out(trained_baseline, renamed):
    baseline = read_vars(trained_baseline)
    contents = {}
    for form, (prefix, manifest) in renamed.items():
        slim = read_vars(prefix)
        assert sorted(slim) == ["frontend_conv/W", "global_step"], form
        assert slim["frontend_conv/W"].tobytes() == baseline["conv_1/W"].tobytes()
        assert [(v["name"], v["source_name"]) for v in manifest["variables"]] == [("frontend_conv/W", "conv_1/W")]
        assert [(v["name"], v["source_name"]) for v in manifest["excluded"]] == [("conv_2/W", "conv_2/W")]
        contents[form] = {name: value.tobytes() for name, value in slim.items()}
    assert contents["mapping"] == contents["one_line"]


def test_validation_accounts_for_every_variable(renamed):
    _, manifest = renamed["one_line"]
    spec = parse_transfer(ONE_LINE)
    shapes = check_transfer(renamed_blstm(), None, EXTERN_DATA, manifest, spec=spec)
    assert transfer_table(shapes, manifest, frozen=True) == [
        {"target": "conv_2/W", "source": "conv_2/W", "shape": [40, 8, 1, 16], "status": "fresh"},
        {"target": "frontend_conv/W", "source": "conv_1/W", "shape": [400, 1, 8], "status": "frozen"}]
    network_shapes = target_param_shapes(renamed_blstm(), list(renamed_blstm()), EXTERN_DATA)
    whole = transfer_table(shapes, manifest, frozen=True, network_shapes=network_shapes)
    assert sorted(row["target"] for row in whole) == sorted(network_shapes)  # every variable of the network
    assert {row["target"]: row["status"] for row in whole}["lstm1_fw/rec/lstm_cell/kernel"] == "fresh"
    assert [row for row in whole if row["status"] != "fresh"] == [
        {"target": "frontend_conv/W", "source": "conv_1/W", "shape": [400, 1, 8], "status": "frozen"}]
    with pytest.raises(TransferMismatchError, match=r"target layer 'frontend_conv' .* is not in the target network"):
        check_transfer(tiny_blstm(), None, EXTERN_DATA, manifest, spec=spec)
    check_transfer(renamed_blstm(), None, EXTERN_DATA, manifest, spec=spec, method="load_on_init")
    check_transfer(renamed_blstm(), None, EXTERN_DATA, manifest, spec=spec, method="custom_param_importer")
    unmapped = dict(manifest, excluded=[])  # conv_2/W neither transferred nor deliberately fresh
    with pytest.raises(TransferMismatchError, match=r"conv_2/W: the target needs shape \[40, 8, 1, 16\], the "
                                                    r"checkpoint has no such variable"):
        check_transfer(renamed_blstm(), None, EXTERN_DATA, unmapped, spec=spec)


@pytest.mark.parametrize("method_name", METHODS)
def test_each_method_loads_frontend_conv_from_conv_1_and_leaves_conv_2_fresh(method_name, tiny_data,
                                                                            trained_baseline, renamed, tmp_path):
    prefix, _ = renamed["one_line"]
    config = build_transfer_config(
        base_settings(tiny_data), renamed_blstm(), Checkpoint(str(prefix) + ".index"), method=method_name,
        frozen=True, transfer=ONE_LINE,
        post_config={"model": str(tmp_path / "epoch"), "num_epochs": 1, "log_verbosity": 3, "device": "cpu"})
    config.write(tmp_path / "returnn.config")
    run_returnn(tmp_path / "returnn.config")
    baseline, trained = read_vars(trained_baseline), read_vars(tmp_path / "epoch.001")
    frontend_conv = trained[transferred_variable_name("frontend_conv/W", method_name)]
    assert frontend_conv.tobytes() == baseline["conv_1/W"].tobytes()
    # load_on_init wraps only the layers without excludes (frontend_conv) into its subnetwork; conv_2 stays outside.
    conv_2 = trained["conv_2/W"]
    assert conv_2.shape == baseline["conv_2/W"].shape and not np.array_equal(conv_2, baseline["conv_2/W"])
    assert not np.array_equal(trained["ff_2/W"], baseline["ff_2/W"])


def test_several_checkpoints_by_name(trained_baseline, tmp_path):
    spec = parse_transfer("a@conv_1:frontend_conv b@conv_2")
    manifest = extract_layer_variables({"a": str(trained_baseline), "b": str(trained_baseline)}, None,
                                       str(tmp_path / "f"), str(tmp_path / "f.npz"), str(tmp_path / "m.json"),
                                       spec=spec)
    assert sorted(read_vars(tmp_path / "f")) == ["conv_2/W", "frontend_conv/W", "global_step"]
    assert [(v["name"], v["source_checkpoint"], v["source_name"]) for v in manifest["variables"]] == [
        ("conv_2/W", "b", "conv_2/W"), ("frontend_conv/W", "a", "conv_1/W")]
    assert manifest["source_checkpoint"] == {"a": str(trained_baseline), "b": str(trained_baseline)}
    assert transfer_table({"frontend_conv/W": [400, 1, 8]}, manifest)[1]["source"] == "a@conv_1/W"


def test_initializer_loads_into_layers_inside_a_subnetwork(tiny_data, trained_baseline, tmp_path):
    """conv_1/conv_2 into the layers conv_1/conv_2 of a subnetwork layer ``conv_layers`` with the initializer method,
    conv_2's W excluded (fresh)."""
    from recipe.transfer.transfer_config import wrap_in_subnetwork

    network = wrap_in_subnetwork(tiny_blstm(), ["conv_1", "conv_2"])
    spec = parse_transfer({"conv_layers/conv_1": "conv_1", "conv_layers/conv_2": "conv_2"}, exclude=("conv_2/W",))
    manifest = extract_layer_variables(str(trained_baseline), None, str(tmp_path / "f"), str(tmp_path / "f.npz"),
                                       str(tmp_path / "m.json"), spec=spec)
    shapes = check_transfer(network, None, EXTERN_DATA, manifest, spec=spec)
    assert [row["status"] for row in transfer_table(shapes, manifest, frozen=True)] == ["frozen", "fresh"]
    config = build_transfer_config(
        base_settings(tiny_data), network, Checkpoint(str(tmp_path / "f") + ".index"), method="initializer",
        frozen=False, transfer={"conv_layers/conv_1": "conv_1", "conv_layers/conv_2": "conv_2"},
        exclude=("conv_2/W",),
        post_config={"model": str(tmp_path / "epoch"), "num_epochs": 1, "log_verbosity": 3, "device": "cpu"})
    inner = config.config["network"]["conv_layers"]["subnetwork"]
    assert inner["conv_1"]["forward_weights_init"] == "load_tf_checkpoint_initializer('conv_layers/conv_1/W')"
    assert "forward_weights_init" not in inner["conv_2"]
    config.write(tmp_path / "returnn.config")
    run_returnn(tmp_path / "returnn.config", "++learning_rates", "[0.0]")
    baseline, trained = read_vars(trained_baseline), read_vars(tmp_path / "epoch.001")
    assert trained["conv_layers/conv_1/W"].tobytes() == baseline["conv_1/W"].tobytes()
    assert not np.array_equal(trained["conv_layers/conv_2/W"], baseline["conv_2/W"])
    with pytest.raises(TransferMismatchError, match=r"'conv_9' is not a layer of conv_layers \(layers: \['conv_1'"):
        build_transfer_config(base_settings(tiny_data), network, Checkpoint(str(tmp_path / "f") + ".index"),
                              method="initializer", transfer={"conv_layers/conv_9": "conv_1"})
