"""build_transfer_config without running RETURNN: one parameter picks the method, one frozen/fine-tuned; hashes."""

import pytest

from recipe.returnn.checkpoint import Checkpoint
from recipe.returnn.config import sis_hash_helper
from recipe.sis_api import tk
from recipe.transfer.transfer_config import METHODS, build_transfer_config, wrap_in_subnetwork
from setups.networks import FRONTEND_LAYERS
from tests.recipe.transfer.transfer_setup import EXTERN_DATA, tiny_blstm

SETTINGS = {"use_tensorflow": True, "extern_data": EXTERN_DATA, "learning_rate": 0.01}


def checkpoint(path="/a/validated/frontend.index"):
    return Checkpoint(tk.Path(path))


def test_method_and_frozen_each_change_the_hash_and_the_checkpoint_location_does_not_matter_beyond_its_path():
    hashes = {(method, frozen): sis_hash_helper(build_transfer_config(SETTINGS, tiny_blstm(), checkpoint(),
                                                                      method=method, frozen=frozen))
              for method in METHODS for frozen in (True, False)}
    assert len(set(hashes.values())) == 2 * len(METHODS)
    again = build_transfer_config(SETTINGS, tiny_blstm(), checkpoint(), method="initializer", frozen=True)
    assert sis_hash_helper(again) == hashes[("initializer", True)]
    other = build_transfer_config(SETTINGS, tiny_blstm(), checkpoint("/b/frontend.index"), method="initializer",
                                  frozen=True)
    assert sis_hash_helper(other) != hashes[("initializer", True)]


def test_frozen_marks_the_transferred_layers_untrainable():
    flat = build_transfer_config(SETTINGS, tiny_blstm(), checkpoint(), method="preload_from_files", frozen=True)
    assert flat.config["network"]["conv_1"]["trainable"] is False and "trainable" not in flat.config["network"]["lin_1"]
    assert flat.config["preload_from_files"]["transfer"]["init_for_train"] is True
    wrapped = build_transfer_config(SETTINGS, tiny_blstm(), checkpoint(), method="load_on_init", frozen=True)
    assert wrapped.config["network"]["conv_layers"]["trainable"] is False
    assert "load_on_init" not in wrapped.config["network"]["conv_layers"]  # added at run time, from scratch only
    assert "def get_network(epoch" in wrapped.serialize()


def test_subnetwork_holds_the_front_end_and_its_reader_reads_the_subnetwork():
    net = wrap_in_subnetwork(tiny_blstm(), ["conv_1", "conv_2"], subnetwork_layers=FRONTEND_LAYERS)
    assert list(net["conv_layers"]["subnetwork"]) == list(FRONTEND_LAYERS) + ["output"]
    assert net["conv_layers"]["subnetwork"]["output"] == {"class": "copy", "from": "flatten_conv"}
    assert net["lstm1_fw"]["from"] == ["conv_layers"] and net["lstm1_bw"]["from"] == ["conv_layers"]
    assert "conv_1" not in net


def test_bad_arguments_fail_with_the_fix():
    with pytest.raises(ValueError, match="unknown transfer method 'load'"):
        build_transfer_config(SETTINGS, tiny_blstm(), checkpoint(), method="load")
    with pytest.raises(ValueError, match=r"config already sets \['network'\]"):
        build_transfer_config(dict(SETTINGS, network={}), tiny_blstm(), checkpoint())
    with pytest.raises(ValueError, match=r"\['conv_9'\] are not in the target network"):
        build_transfer_config(SETTINGS, tiny_blstm(), checkpoint(), method="initializer", layers=["conv_9"])
    with pytest.raises(TypeError, match="frozen must be True or False"):
        build_transfer_config(SETTINGS, tiny_blstm(), checkpoint(), frozen="yes")


def test_docstring_and_comment_edits_in_returnn_code_keep_the_hash_a_code_edit_does_not(tmp_path, monkeypatch):
    import importlib.util

    from recipe.returnn.config import ReturnnConfig as Config
    from recipe.transfer import returnn_code
    from sislite.tools import sis_hash

    source = open(returnn_code.__file__).read()

    def epilog_hash(text, name):
        path = tmp_path / f"{name}.py"
        path.write_text(text)
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        functions = [module.transfer_starts_from_scratch, module.get_network, module.load_tf_checkpoint_initializer,
                     module.REGISTER_INITIALIZER]
        return sis_hash(Config({"transfer_method": "initializer"}, python_epilog=functions))

    original = epilog_hash(source, "code_original")
    documented = source.replace('"""True when this RETURNN process trains', '"""Reworded: true when it trains')
    documented = documented.replace("    net = copy.deepcopy(network)\n",
                                    "    # work on a copy\n    net = copy.deepcopy(network)  # never the original\n")
    assert documented != source
    assert epilog_hash(documented, "code_documented") == original
    edited = source.replace('if var_name == "global_step":', 'if var_name in ("global_step",):')
    assert edited != source and epilog_hash(edited, "code_edited") != original
