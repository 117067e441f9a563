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
    """{"<experiment>/seed_<seed>": job id} of the training jobs feeding the report."""
    return {f"{row['name']}/seed_{run['seed']}": run["learning_rates"].creator.job_id()
            for row in report.experiments for run in row["runs"]}


def ancestors(job):
    """Every job upstream of ``job``."""
    found, todo = {}, [job]
    while todo:
        for path in todo.pop()._sis_inputs:
            creator = getattr(path, "creator", None)
            if creator is not None and creator.job_id() not in found:
                found[creator.job_id()] = creator
                todo.append(creator)
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


def test_the_plan_has_five_experiments_with_every_seed_and_registers_the_report():
    report = build()
    assert [row["name"] for row in report.experiments] == [
        "baseline_cnn_dnn", "blstm_scratch", "blstm_scratch_equal_budget", "blstm_transfer_frozen",
        "blstm_transfer_finetuned"]
    seeds = profiles.get_profile("demo")["seeds"]
    assert len(seeds) >= 2 and len(profiles.get_profile("full")["seeds"]) >= 3
    assert all([run["seed"] for run in row["runs"]] == list(seeds) for row in report.experiments)
    assert all(set(run["wer"]) == set(run["per_utterance"]) == {"dev", "test"}
               for row in report.experiments for run in row["runs"])
    assert report.datasets == ("dev", "test")
    assert report.comparisons == (
        ("blstm_transfer_frozen", "blstm_scratch"), ("blstm_transfer_frozen", "blstm_scratch_equal_budget"),
        ("blstm_transfer_finetuned", "blstm_scratch"), ("blstm_transfer_finetuned", "blstm_scratch_equal_budget"))


def test_every_seed_is_its_own_training_and_transfers_from_its_own_baseline():
    report = build()
    ids = trainings(report)
    seeds = profiles.get_profile("demo")["seeds"]
    for name in ("baseline_cnn_dnn", "blstm_scratch", "blstm_transfer_frozen", "blstm_transfer_finetuned"):
        assert len({ids[f"{name}/seed_{seed}"] for seed in seeds}) == len(seeds)
    rows = {row["name"]: row for row in report.experiments}
    for position, seed in enumerate(seeds):
        transfer_training = rows["blstm_transfer_frozen"]["runs"][position]["learning_rates"].creator
        assert transfer_training.returnn_config.get("random_seed") == seed
        upstream_trainings = {job_id for job_id in ancestors(transfer_training) if "ReturnnTrainingJob" in job_id}
        assert upstream_trainings == {ids[f"baseline_cnn_dnn/seed_{seed}"]}


def test_the_equal_budget_control_is_the_scratch_training_evaluated_later():
    report = build()
    rows = {row["name"]: row for row in report.experiments}
    profile = profiles.get_profile("demo")
    budget = profile["baseline"]["num_epochs"] + profile["blstm"]["num_epochs"]
    for scratch, control in zip(rows["blstm_scratch"]["runs"], rows["blstm_scratch_equal_budget"]["runs"]):
        training = scratch["learning_rates"].creator
        assert control["learning_rates"].creator is training and training.num_epochs == budget
        assert (scratch["epochs"], control["epochs"]) == (profile["blstm"]["num_epochs"], budget)
        chosen = {run["chosen_epoch"].creator.max_epoch for run in (scratch, control)}
        assert chosen == {profile["blstm"]["num_epochs"], budget}
    without = build(equal_budget_control=False)
    assert "blstm_scratch_equal_budget" not in [row["name"] for row in without.experiments]
    assert all("equal_budget" not in reference for _, reference in without.comparisons)


def test_the_last_checkpoint_is_selectable():
    report = build(checkpoint="last")
    for row in report.experiments:
        for run in row["runs"]:
            assert run["chosen_epoch"] == run["epochs"]
            assert run["checkpoint"].index_path.creator is run["learning_rates"].creator


def test_seeds_must_be_distinct_positive_ints():
    from recipe.profile_check import ProfileError

    for seeds in ((1, 1), (0, 1), (), ("1",)):
        with pytest.raises(ProfileError, match="seeds"):
            build(seeds=seeds)


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
    for seed in profiles.get_profile("demo")["seeds"]:
        assert longer[f"baseline_cnn_dnn/seed_{seed}"] == base[f"baseline_cnn_dnn/seed_{seed}"]
        assert longer[f"blstm_scratch/seed_{seed}"] == base[f"blstm_scratch/seed_{seed}"]
        # The transferred BLSTMs start from a checkpoint chosen among other baseline epochs: other experiments.
        assert longer[f"blstm_transfer_frozen/seed_{seed}"] != base[f"blstm_transfer_frozen/seed_{seed}"]


def test_transfer_method_moves_only_the_transferred_trainings():
    base = trainings(build())
    other = trainings(build(transfer__method="preload_from_files"))
    for key in base:
        assert (other[key] == base[key]) == key.startswith(("baseline_cnn_dnn/", "blstm_scratch")), key


def test_variants_select_frozen_or_finetuned():
    report = build(transfer__variants=("finetuned",))
    assert [row["name"] for row in report.experiments][-1] == "blstm_transfer_finetuned"
    assert "blstm_transfer_frozen" not in [row["name"] for row in report.experiments]


def test_a_network_change_moves_the_trainings_that_use_it():
    base = trainings(build())
    wider = trainings(build(blstm__network={"rnn_layer_nodes": 256, "lin_dim": 256, "ff_dim": 256}))
    for key in base:
        assert (wider[key] == base[key]) == key.startswith("baseline_cnn_dnn/"), key


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


def test_another_seed_adds_trainings_and_keeps_those_of_the_others():
    base = trainings(build(seeds=(1, 2)))
    more = trainings(build(seeds=(1, 2, 7)))
    assert {key: more[key] for key in base} == base
    assert sorted(set(more) - set(base)) == sorted(f"{name}/seed_7" for name in {key.split("/")[0] for key in base})


def test_transfer_spec_one_line_in_the_profile():
    base = trainings(build())
    assert trainings(build(transfer__spec="conv_1,conv_2")) == base  # the same-name spec: the very same jobs
    preload = trainings(build(transfer__method="preload_from_files"))
    excluded = trainings(build(transfer__method="preload_from_files", transfer__spec="conv_1,conv_2::conv_2/W"))
    for name in base:
        if name.startswith(("baseline_cnn_dnn", "blstm_scratch")):
            assert excluded[name] == base[name], name
        elif name.startswith("blstm_transfer"):
            assert excluded[name] != preload[name], name
    with pytest.raises(ValueError, match=r"load_on_init: conv_2 \(class 'conv'\) lie\(s\) inside the subnetwork"):
        build(transfer__spec="conv_1,conv_2::conv_2/W")


def test_pytorch_blstm_rows_come_beside_the_tf_rows_and_keep_their_ids():
    from recipe.returnn.torch_training import ReturnnTorchTrainingJob
    from recipe.transfer.torch_conversion import ConvertTfToTorchJob

    base = trainings(build())
    report = build(pytorch_blstm=("scratch", "frozen", "finetuned"))
    with_torch = trainings(report)
    assert {key: with_torch[key] for key in base} == base  # the TF rows are the very same jobs
    assert [row["name"] for row in report.experiments][-3:] == [
        "blstm_torch_scratch", "blstm_torch_transfer_frozen", "blstm_torch_transfer_finetuned"]
    assert ("blstm_torch_transfer_frozen", "blstm_torch_scratch") in report.comparisons
    assert ("blstm_torch_transfer_finetuned", "blstm_scratch") in report.comparisons
    rows = {row["name"]: row for row in report.experiments}
    for name in ("blstm_torch_scratch", "blstm_torch_transfer_frozen", "blstm_torch_transfer_finetuned"):
        for run, baseline_run in zip(rows[name]["runs"], rows["baseline_cnn_dnn"]["runs"]):
            training = run["learning_rates"].creator
            assert isinstance(training, ReturnnTorchTrainingJob)
            options = training.returnn_config.get("model_options")
            assert options["frozen_frontend"] == (name == "blstm_torch_transfer_frozen")
            conversions = [job for job in ancestors(training).values() if isinstance(job, ConvertTfToTorchJob)]
            if name == "blstm_torch_scratch":
                assert not conversions and "preload_from_files" not in training.returnn_config
            else:  # the front-end of the same seed's evaluated baseline checkpoint
                assert [job.checkpoint for job in conversions] == [baseline_run["checkpoint"]]
    torch_ids = [job_id for key, job_id in with_torch.items() if key.startswith("blstm_torch")]
    assert len(set(torch_ids)) == len(torch_ids) == 6
    assert profiles.get_profile("demo_pytorch")["pytorch_blstm"] == ("scratch", "frozen", "finetuned")


@pytest.mark.parametrize("name, plain", [("demo_fast", "demo"), ("full_fast", "full")])
def test_fast_profiles_are_the_fast_formulations_of_their_profile_with_other_trainings(name, plain):
    fast, plain_profile = profiles.get_profile(name), profiles.get_profile(plain)
    assert fast["fast_formulation"] and not plain_profile["fast_formulation"]
    fast_ids, plain_ids = trainings(transfer.build(fast)), trainings(transfer.build(plain_profile))
    assert fast_ids.keys() == plain_ids.keys()
    assert not set(fast_ids.values()) & set(plain_ids.values())
