"""Extraction of conv_1/conv_2 from a trained baseline: slim checkpoint, npz and manifest hold the same values."""

import json
import os

import numpy as np
import pytest

from recipe.transfer.extraction import ExtractLayerVariablesJob, extract_layer_variables, read_manifest
from tests.recipe.transfer.transfer_setup import read_vars


def test_slim_checkpoint_npz_and_manifest_hold_exactly_the_layer_variables(trained_baseline, extracted):
    prefix, manifest = extracted
    source, slim = read_vars(trained_baseline), read_vars(prefix)
    assert sorted(slim) == ["conv_1/W", "conv_2/W", "global_step"]
    assert int(slim["global_step"]) == 0
    npz = np.load(prefix.parent / "frontend.npz")
    for name in ("conv_1/W", "conv_2/W"):
        assert np.array_equal(slim[name], source[name]) and slim[name].dtype == source[name].dtype
        assert np.array_equal(npz[name], source[name])
    assert sorted(npz.files) == ["conv_1/W", "conv_2/W"]
    assert (prefix.parent / "frontend.meta").exists()
    on_disk = read_manifest(prefix.parent / "manifest.json")
    assert on_disk == json.loads(json.dumps(manifest))
    assert [(v["name"], v["shape"], v["dtype"]) for v in on_disk["variables"]] == [
        ("conv_1/W", [400, 1, 8], "float32"), ("conv_2/W", [40, 8, 1, 16], "float32")]
    assert on_disk["source_checkpoint"] == str(trained_baseline)


def test_new_prefix_renames_the_variables(trained_baseline, tmp_path):
    manifest = extract_layer_variables(str(trained_baseline), ["conv_1"], str(tmp_path / "f"), str(tmp_path / "f.npz"),
                                       str(tmp_path / "m.json"), new_prefix="conv_layers/")
    assert sorted(read_vars(tmp_path / "f")) == ["conv_layers/conv_1/W", "global_step"]
    assert manifest["variables"][0]["source_name"] == "conv_1/W"


def test_unknown_layer_fails_with_the_available_layers_and_writes_nothing(trained_baseline, tmp_path):
    with pytest.raises(ValueError) as error:
        extract_layer_variables(str(trained_baseline), ["conv_1", "conv_3"], str(tmp_path / "f"),
                                str(tmp_path / "f.npz"), str(tmp_path / "m.json"))
    message = str(error.value)
    assert "['conv_3']" in message and "'conv_2', 'ff_2', 'lin_1', 'output'" in message
    assert list(tmp_path.iterdir()) == []


def test_job_outputs_and_bad_arguments():
    from recipe.returnn.checkpoint import Checkpoint
    from recipe.sis_api import tk

    checkpoint = Checkpoint(tk.Path("/somewhere/models/epoch.003.index"))
    job = ExtractLayerVariablesJob(checkpoint)
    assert job.layers == ("conv_1", "conv_2")
    assert job.out_checkpoint.ckpt_path.endswith("frontend")
    assert job.out_manifest.get_path().endswith("manifest.json") and job.out_npz.get_path().endswith("frontend.npz")
    with pytest.raises(TypeError, match="list of layer names"):
        ExtractLayerVariablesJob(checkpoint, layers="conv_1")
    with pytest.raises(ValueError, match="must end with '/'"):
        ExtractLayerVariablesJob(checkpoint, new_prefix="conv_layers")


@pytest.mark.parametrize("damage", ["half_data", "half_index", "no_data"])
def test_a_broken_checkpoint_names_itself_its_training_and_the_remake_command(trained_baseline, tmp_path, damage):
    import shutil

    from recipe.corrupt_input import CorruptInputError

    training = "work/returnn/training/ReturnnTrainingJob.t6epWbdKVIE8"
    models = tmp_path / training / "output" / "models"
    models.mkdir(parents=True)
    for suffix in (".index", ".data-00000-of-00001", ".meta"):
        shutil.copy(f"{trained_baseline}{suffix}", models / f"epoch.001{suffix}")
    prefix = models / "epoch.001"
    if damage == "no_data":
        os.remove(f"{prefix}.data-00000-of-00001")
    else:
        damaged = f"{prefix}.{'data-00000-of-00001' if damage == 'half_data' else 'index'}"
        os.truncate(damaged, os.path.getsize(damaged) // 2)
    with pytest.raises(CorruptInputError) as error:
        extract_layer_variables(str(prefix), ["conv_1", "conv_2"], str(tmp_path / "f"), str(tmp_path / "f.npz"),
                                str(tmp_path / "m.json"))
    message = str(error.value)
    assert message.startswith(f"corrupt or truncated input {prefix}: TensorFlow cannot read this checkpoint")
    assert f"made by job {training}" in message and f"mv {training} {training}.corrupt" in message
    assert not (tmp_path / "m.json").exists()
