"""Transfer specs without running RETURNN: the three written forms, job ids, and the errors naming the culprit."""

import pytest

from recipe.returnn.checkpoint import Checkpoint
from recipe.returnn.config import sis_hash_helper
from recipe.sis_api import tk
from recipe.transfer.extraction import ExtractLayerVariablesJob
from recipe.transfer.transfer_config import METHODS, build_transfer_config
from recipe.transfer.transfer_spec import LayerRule, TransferSpecError, parse_transfer
from recipe.transfer.validation import TransferMismatchError, ValidateTransferJob, transfer_problems
from tests.recipe.transfer.transfer_setup import EXTERN_DATA, renamed_blstm, tiny_blstm

MAPPING = {"frontend_conv": "conv_1", "conv_2": "conv_2"}
ONE_LINE = "conv_1,conv_2:frontend_conv,conv_2:conv_2/W"
SETTINGS = {"use_tensorflow": True, "extern_data": EXTERN_DATA, "learning_rate": 0.01}
VARIABLES = {"": ["conv_1/W", "conv_2/W", "lin_1/W", "lin_1/b", "output/W", "output/b"]}


def checkpoint(path="/a/models/epoch.003.index"):
    return Checkpoint(tk.Path(path))


def test_mapping_and_one_line_form_give_the_same_spec():
    by_mapping = parse_transfer(MAPPING, exclude=("conv_2/W",))
    assert parse_transfer(ONE_LINE) == by_mapping
    assert by_mapping.rules == (LayerRule("frontend_conv", "conv_1"), LayerRule("conv_2", "conv_2"))
    assert not by_mapping.is_plain()
    assert parse_transfer("conv_1,conv_2") == parse_transfer(("conv_1", "conv_2")) == parse_transfer(
        {"conv_1": "conv_1", "conv_2": "conv_2"})
    assert parse_transfer("conv_1,conv_2").is_plain()
    mapped, excluded = by_mapping.map_variables(VARIABLES)
    assert mapped == {"frontend_conv/W": ("", "conv_1/W")} and excluded == {"conv_2/W": ("", "conv_2/W")}


def test_globs_several_checkpoints_and_variables():
    spec = parse_transfer("enc_*:conv_*")  # source "enc_*" read from the checkpoint, into conv_*
    assert spec.map_variables({"": ["enc_1/W", "enc_2/W", "lin/W"]})[0] == {
        "conv_1/W": ("", "enc_1/W"), "conv_2/W": ("", "enc_2/W")}
    spec = parse_transfer("a@conv_1:frontend_conv b@lin_1/W:lin_1/W:b@lin_1/b")
    mapped, excluded = spec.map_variables({"a": ["conv_1/W"], "b": ["lin_1/W", "lin_1/b"]})
    assert mapped == {"frontend_conv/W": ("a", "conv_1/W"), "lin_1/W": ("b", "lin_1/W")} and not excluded
    assert spec.checkpoint_names() == ["a", "b"]
    assert parse_transfer({"conv_*": "conv_*"}).target_layers(tiny_blstm()) == ["conv_1", "conv_2"]


def test_same_name_spec_without_excludes_keeps_every_job_id_and_config_hash():
    plain = ("conv_1", "conv_2")
    for same in ({"conv_1": "conv_1", "conv_2": "conv_2"}, "conv_1,conv_2", "conv_1:conv_1 conv_2"):
        assert ExtractLayerVariablesJob(checkpoint(), transfer=same).job_id() == \
            ExtractLayerVariablesJob(checkpoint(), layers=plain).job_id()
        assert ValidateTransferJob(tiny_blstm(), checkpoint(), tk.Path("/m.json"), EXTERN_DATA,
                                   transfer=same).job_id() == \
            ValidateTransferJob(tiny_blstm(), checkpoint(), tk.Path("/m.json"), EXTERN_DATA, layers=plain).job_id()
        for method in METHODS:
            assert sis_hash_helper(build_transfer_config(SETTINGS, tiny_blstm(), checkpoint(), method=method,
                                                         transfer=same)) == \
                sis_hash_helper(build_transfer_config(SETTINGS, tiny_blstm(), checkpoint(), method=method))
    renamed = ExtractLayerVariablesJob(checkpoint(), transfer=MAPPING)
    assert renamed.job_id() != ExtractLayerVariablesJob(checkpoint()).job_id()
    assert ExtractLayerVariablesJob(checkpoint(), transfer=MAPPING, exclude=("conv_2/W",)).job_id() == \
        ExtractLayerVariablesJob(checkpoint(), transfer=ONE_LINE).job_id() != renamed.job_id()


def test_mapping_and_one_line_form_build_the_same_config_for_every_method():
    for method in METHODS:
        by_mapping = build_transfer_config(SETTINGS, renamed_blstm(), checkpoint(), method=method, transfer=MAPPING,
                                           exclude=("conv_2/W",))
        by_line = build_transfer_config(SETTINGS, renamed_blstm(), checkpoint(), method=method, transfer=ONE_LINE)
        assert sis_hash_helper(by_mapping) == sis_hash_helper(by_line)
        assert by_mapping.config["transfer_layers"] == ["frontend_conv", "conv_2"]


def test_errors_name_the_culprit_and_the_closest_names():
    with pytest.raises(TransferSpecError, match=r"'conv_3' is not a variable or layer of the checkpoint "
                                                r"\(closest: \['conv_2', 'conv_1', 'conv_2/W'\]\); fix the source"):
        parse_transfer({"frontend_conv": "conv_3"}).map_variables(VARIABLES)
    with pytest.raises(TransferSpecError, match=r"target variable 'x/W' is mapped twice: by x/W <- conv_1/W and by "
                                                r"x <- conv_2"):
        parse_transfer({"x/W": "conv_1/W", "x": "conv_2"}).map_variables(VARIABLES)
    with pytest.raises(TransferSpecError, match=r"target\(s\) \['x'\] are mapped twice"):
        parse_transfer("conv_1:x conv_2:x")
    with pytest.raises(TransferMismatchError, match=r"target layer 'frontend_cnv' .* is not in the target network "
                                                    r"\(closest: \['frontend_conv', 'flatten_conv'\]\)"):
        build_transfer_config(SETTINGS, renamed_blstm(), checkpoint(), transfer={"frontend_cnv": "conv_1"})
    with pytest.raises(TransferSpecError, match="SOURCES\\[:TARGETS\\[:EXCLUDES\\]\\]"):
        parse_transfer("a:b:c:d")
    with pytest.raises(TransferSpecError, match="2 source\\(s\\) \\['a', 'b'\\] but 1 target"):
        parse_transfer("a,b:c")
    with pytest.raises(TypeError, match="either layers="):
        ExtractLayerVariablesJob(checkpoint(), layers=("conv_1",), transfer=MAPPING)
    with pytest.raises(ValueError, match=r"reads checkpoints \['a'\]; pass them as checkpoint="):
        ExtractLayerVariablesJob(checkpoint(), transfer="a@conv_1")


def test_problems_shape_dtype_fresh_and_half_transferred_layers():
    manifest = {"variables": [{"name": "frontend_conv/W", "layer": "frontend_conv", "shape": [400, 1, 8],
                               "dtype": "float32"},
                              {"name": "lin_1/W", "layer": "lin_1", "shape": [16, 16], "dtype": "float16"}],
                "excluded": [{"name": "lin_1/b", "source_name": "lin_1/b", "shape": [16]}]}
    target = {"frontend_conv/W": [400, 1, 4], "lin_1/W": [16, 16], "lin_1/b": [16], "conv_2/W": [40, 4, 1, 16]}
    problems = transfer_problems(target, manifest, ["frontend_conv", "lin_1", "conv_2"],
                                 {name: "float32" for name in target}, method="custom_param_importer")
    assert problems == [
        "conv_2/W: the target needs shape [40, 4, 1, 16], the checkpoint has no such variable (map it, or exclude "
        "its source to leave it fresh)",
        "frontend_conv/W: target shape [400, 1, 4] != checkpoint shape [400, 1, 8]",
        "lin_1/W: target dtype float32 != checkpoint dtype float16",
        "layer 'lin_1': custom_param_importer loads whole layers, but only ['lin_1/W'] of ['lin_1/W', 'lin_1/b'] "
        "are transferred; transfer all of them, exclude all of them, or use another method"]


def test_load_on_init_refuses_a_fresh_layer_inside_its_subnetwork():
    with pytest.raises(ValueError, match=r"frontend_conv \(class 'conv'\) lie\(s\) inside the subnetwork"):
        build_transfer_config(SETTINGS, renamed_blstm(), checkpoint(), transfer="conv_2")  # reads frontend_conv
    with pytest.raises(ValueError, match=r": conv_2 \(class 'conv'\) lie\(s\) inside the subnetwork"):
        build_transfer_config(SETTINGS, renamed_blstm(), checkpoint(), transfer=ONE_LINE,
                              subnetwork_layers=("frontend_conv", "pad_conv_1_time_dim", "conv_2", "flatten_conv"))
    net = build_transfer_config(SETTINGS, renamed_blstm(), checkpoint(), transfer=ONE_LINE).config["network"]
    assert list(net["conv_layers"]["subnetwork"]) == ["frontend_conv", "output"] and "conv_2" in net
