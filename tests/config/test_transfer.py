"""config/transfer.py: the graph it builds, and which profile changes move which job ids (no job runs here)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from config import transfer
from setups import profiles

REPO = str(Path(__file__).resolve().parents[2])


def trainings(report):
    """{alias: job id} of the training jobs feeding the report."""
    found = {}
    for row in report.experiments:
        job = row["learning_rates"].creator
        found[row["name"]] = job.job_id()
    return found


def build(**changes):
    profile = profiles.get_profile("demo")
    for path, value in changes.items():
        *parents, key = path.split("__")
        target = profile
        for parent in parents:
            target = target[parent]
        target[key] = value
    return transfer.build(profile)


def test_the_plan_has_four_experiments_and_registers_the_report():
    report = build()
    assert [row["name"] for row in report.experiments] == [
        "baseline_cnn_dnn", "blstm_scratch", "blstm_transfer_frozen", "blstm_transfer_finetuned"]
    assert all(set(row["wer"]) == {"dev", "test"} for row in report.experiments)
    assert report.datasets == ("dev", "test")


@pytest.mark.parametrize("change", [
    {"device": "gpu"},
    {"rqmt": {"train": {"cpu": 8, "mem": 32, "time": 100}, "eval": {"cpu": 4, "mem": 8, "time": 3}}},
])
def test_device_and_resources_do_not_move_any_training(change):
    assert trainings(build(**change)) == trainings(build())


def trainings_in_new_process(**changes):
    """As ``trainings(build(**changes))``, in a fresh process: within one process a job with a known id is the
    first-created object (Sisyphus' singleton rule), which keeps the first num_epochs."""
    code = ("import json, sys; sys.path[:0] = ['tests/config']; import test_transfer as t; "
            f"print(json.dumps(t.trainings(t.build(**{changes!r}))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"SISLITE_FORCE": "1", "PATH": "/usr/bin:/bin"}, cwd=REPO)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_num_epochs_does_not_move_the_training_itself():
    base = trainings_in_new_process()
    longer = trainings_in_new_process(baseline__num_epochs=9, blstm__num_epochs=5)
    assert longer["baseline_cnn_dnn"] == base["baseline_cnn_dnn"]
    assert longer["blstm_scratch"] == base["blstm_scratch"]
    # The transferred BLSTMs start from another baseline epoch, so they are other experiments.
    assert longer["blstm_transfer_frozen"] != base["blstm_transfer_frozen"]


def test_transfer_method_moves_only_the_transferred_trainings():
    base = trainings(build())
    other = trainings(build(transfer__method="preload_from_files"))
    assert other["baseline_cnn_dnn"] == base["baseline_cnn_dnn"] and other["blstm_scratch"] == base["blstm_scratch"]
    assert other["blstm_transfer_frozen"] != base["blstm_transfer_frozen"]
    assert other["blstm_transfer_finetuned"] != base["blstm_transfer_finetuned"]


def test_variants_select_frozen_or_finetuned():
    report = build(transfer__variants=("finetuned",))
    assert [row["name"] for row in report.experiments][-1] == "blstm_transfer_finetuned"
    assert "blstm_transfer_frozen" not in [row["name"] for row in report.experiments]


def test_a_network_change_moves_the_trainings_that_use_it():
    base = trainings(build())
    wider = trainings(build(blstm__network={"rnn_layer_nodes": 256, "lin_dim": 256, "ff_dim": 256}))
    assert wider["baseline_cnn_dnn"] == base["baseline_cnn_dnn"]
    assert all(wider[name] != base[name] for name in base if name.startswith("blstm"))


def test_unknown_profile_or_method_fails_with_the_choices():
    with pytest.raises(ValueError, match="choose one of"):
        profiles.get_profile("laptop")
    with pytest.raises(ValueError, match="load_on_init"):
        profile = profiles.get_profile("demo")
        profile["transfer"]["method"] = "subnet"
        profiles.PROFILES["typo"] = profile
        try:
            profiles.get_profile("typo")
        finally:
            del profiles.PROFILES["typo"]


def test_building_the_graph_imports_no_heavy_library():
    code = ("import sys; from config import transfer; transfer.run('full'); "
            "heavy = sorted(m for m in ('tensorflow', 'returnn', 'numpy', 'h5py', 'matplotlib') if m in sys.modules); "
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"SISLITE_FORCE": "1", "PATH": "/usr/bin:/bin"}, cwd=REPO)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout + out.stderr


def test_a_wrong_transferred_layer_name_points_at_setups_networks(monkeypatch):
    from recipe.transfer.validation import TransferMismatchError
    from setups import networks

    monkeypatch.setattr(networks, "TRANSFERRED_LAYERS", ("conv_1", "conv2"))
    with pytest.raises(TransferMismatchError) as error:
        build()
    message = str(error.value)
    assert "['conv2'] are not in baseline_network (did you mean 'conv2' -> 'conv_2'?)" in message
    assert "setups/networks.py (TRANSFERRED_LAYERS, baseline_network)" in message
