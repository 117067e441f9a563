"""ReturnnConfig: what is hashed, how the file reads, what becomes a job input, and clear errors."""

import importlib.util
import runpy

import pytest

from recipe.returnn.checkpoint import Checkpoint
from recipe.returnn.config import CodeWrapper, ReturnnConfig
from recipe.sis_api import tk
from sislite.tools import sis_hash
from sislite.job import find_paths


def get_network(epoch, **kwargs):
    return {"output": {"class": "softmax", "loss": "ce", "n_out": epoch}}


def _load_function(tmp_path, module_name, body):
    """A function named get_network from its own module file, with the given body."""
    path = tmp_path / f"{module_name}.py"
    path.write_text(f"def get_network(epoch, **kwargs):\n    {body}\n")
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.get_network


def test_post_config_is_not_hashed_and_config_is():
    base = ReturnnConfig({"learning_rate": 0.01}, {"device": "cpu", "num_epochs": 3, "log_verbosity": 5})
    other_post = ReturnnConfig({"learning_rate": 0.01}, {"device": "gpu", "num_epochs": 30})
    other_lr = ReturnnConfig({"learning_rate": 0.02}, {"device": "cpu"})
    assert sis_hash(base) == sis_hash(other_post)
    assert sis_hash(base) != sis_hash(other_lr)


def test_functions_and_prolog_hashed_by_source(tmp_path):
    first = _load_function(tmp_path, "versions_a", "return {'n': 1}")
    same_source_elsewhere = _load_function(tmp_path, "versions_b", "return {'n': 1}")
    edited = _load_function(tmp_path, "versions_c", "return {'n': 2}")

    def hashed(function, prolog=None):
        return sis_hash(ReturnnConfig({"get_network": function}, python_prolog=prolog))

    assert hashed(first) == hashed(same_source_elsewhere)
    assert hashed(first) != hashed(edited)
    assert hashed(first, prolog="import os") != hashed(first, prolog="import sys")
    assert hashed(first, prolog=edited) != hashed(first, prolog=first)


def test_written_config_is_readable_python_with_paths_and_functions(tmp_path):
    checkpoint = Checkpoint(tk.Path(str(tmp_path / "models" / "epoch.003.index")))
    config = ReturnnConfig(
        {"use_tensorflow": True, "get_network": get_network, "train": {"files": [tk.Path(str(tmp_path / "a.hdf"))]},
         "preload_from_files": {"base": {"filename": checkpoint, "init_for_train": True}},
         "activation": CodeWrapper("max")},
        {"device": "cpu", "num_epochs": 4}, python_prolog="import os", python_epilog="EPILOG_RAN = True")
    target = tmp_path / "returnn.config"
    config.write(target)
    text = target.read_text()
    assert text.startswith("#!rnn.py")
    assert "def get_network(epoch, **kwargs):" in text
    assert "# --- settings that do not change the result (not hashed) ---" in text
    assert not list(tmp_path.glob(".tmp.*")), "temporary file left behind"
    namespace = runpy.run_path(str(target))
    assert namespace["train"] == {"files": [str(tmp_path / "a.hdf")]}
    assert namespace["preload_from_files"]["base"]["filename"] == str(tmp_path / "models" / "epoch.003")
    assert namespace["get_network"](7)["output"]["n_out"] == 7
    assert namespace["activation"] is max
    assert namespace["num_epochs"] == 4 and namespace["EPILOG_RAN"] is True


def test_network_is_written_one_layer_per_line(tmp_path):
    network = {f"layer_{i}": {"class": "linear", "n_out": 512, "activation": "relu", "from": ["data"]}
               for i in range(5)}
    text = ReturnnConfig({"network": network}).serialize()
    assert "network = {\n    'layer_0': {'class': 'linear'" in text


def test_paths_and_checkpoints_inside_the_config_are_found_as_inputs(tmp_path):
    data = tk.Path("corpus/train.hdf")
    checkpoint = Checkpoint(tk.Path("models/epoch.001.index"))
    config = ReturnnConfig({"train": {"files": [data]},
                            "network": {"front": {"class": "subnetwork", "load_on_init": checkpoint}}},
                           {"model_hint": tk.Path("elsewhere")})
    found = {path.path for path in find_paths(config)}
    assert found == {"corpus/train.hdf", "models/epoch.001.index", "elsewhere"}
    assert sis_hash(checkpoint) == sis_hash(tk.Path("models/epoch.001.index"))


@pytest.mark.parametrize("config, post_config, message", [
    ({"device": "gpu"}, None, "move them to post_config"),
    ({"num_epochs": 1}, {"num_epochs": 2}, "in both config and post_config"),
    ({"bad key": 1}, None, "not a Python identifier"),
    ({"fn": lambda epoch: epoch}, None, "lambda"),
    ({"obj": object()}, None, r"config\['obj'\].*cannot be written"),
    ([("a", 1)], None, "must be a dict"),
])
def test_bad_configs_fail_fast_naming_the_culprit(config, post_config, message):
    with pytest.raises((TypeError, ValueError), match=message):
        ReturnnConfig(config, post_config)
