"""setups/profile_schema.py: every profile key checked before any job is built; the schema matches what its keys
feed (job arguments, network functions, RETURNN options RETURNN really reads)."""

import inspect
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from recipe.corpus.import_hdf import ImportHdfCorpusJob
from recipe.corpus.synthetic_digits import SyntheticDigitsCorpusJob
from recipe.profile_check import ProfileError, Section, returnn_keys, schema_table
from recipe.returnn.launcher import task_rqmt
from recipe.scoring.decoding import DecodeWordsJob
from setups import networks, profile_schema, profiles

REPO = Path(__file__).resolve().parents[2]
SCHEMA = profile_schema.SCHEMA


def demo(**edits):
    """The demo profile with ``edits`` applied: ``{"training.batch_sise": 5}`` sets, ``{"x.y": DELETE}`` removes."""
    profile = profiles.get_profile("demo")
    for dotted, value in edits.items():
        *parents, key = dotted.split(".")
        target = profile
        for parent in parents:
            target = target[parent]
        if value is DELETE:
            del target[key]
        else:
            target[key] = value
    return profile


DELETE = object()


def problems_of(profile):
    with pytest.raises(ProfileError) as caught:
        profiles.check(profile)
    return str(caught.value)


@pytest.mark.parametrize("name", sorted(profiles.PROFILES))
def test_every_shipped_profile_passes(name):
    assert profiles.get_profile(name)["name"] == name


def test_a_typo_in_a_returnn_option_names_key_profile_closest_key_and_file():
    profile = demo(**{"training.batch_sise": 160000, "training.batch_size": DELETE})
    message = problems_of(profile)
    assert "unknown key training.batch_sise: did you mean training.batch_size" in message
    assert "profile 'demo'" in message
    assert str(REPO / "setups" / "profiles.py") in message
    assert "missing key training.batch_size" not in message  # one line for the typo, not two


def test_an_extra_key_is_refused_even_when_the_real_key_is_there():
    message = problems_of(demo(**{"baseline.learning_rat": 0.1}))
    assert "unknown key baseline.learning_rat: did you mean baseline.learning_rate" in message


def test_a_missing_key_names_it_and_what_it_is_not_a_bare_key_error():
    message = problems_of(demo(**{"blstm.learning_rate": DELETE}))
    assert "missing key blstm.learning_rate" in message and "a number from" in message


def test_a_key_in_the_wrong_section_points_at_the_right_one():
    message = problems_of(demo(num_epoch=3))
    assert ("unknown key num_epoch: did you mean baseline.num_epochs or blstm.num_epochs or "
            "corpus_audio.realignment.num_epochs") in message


@pytest.mark.parametrize("edit, expected", [
    ({"training.batch_size": "160000"}, "training.batch_size = '160000' is a string; expected an int >= 1"),
    ({"baseline.num_epochs": 0}, "baseline.num_epochs = 0 is out of range"),
    ({"blstm.learning_rate": 50.0}, "blstm.learning_rate = 50.0 is out of range"),
    ({"device": "cuda"}, "device = 'cuda': 'cuda' is not allowed"),
    ({"transfer.variants": ("frozen", "finetune")}, "did you mean 'finetuned'?"),
    ({"batch_independent": 1}, "batch_independent = 1 is an int; expected True/False"),
    ({"rqmt.train.mem": -4}, "rqmt.train.mem = -4 is out of range"),
    ({"training": [1]}, "training = [1]; expected a dict"),
])
def test_wrong_types_and_ranges_are_named(edit, expected):
    assert expected in problems_of(demo(**edit))


def test_all_problems_are_reported_at_once():
    message = problems_of(demo(**{"training.batch_sise": 1, "device": "tpu", "blstm.num_epochs": DELETE}))
    assert "has 3 problem(s)" in message


def test_build_checks_the_profile_before_any_job_exists(monkeypatch):
    from config import transfer

    def no_job(*args, **kwargs):
        raise AssertionError("a job was built before the profile was checked")

    monkeypatch.setattr(transfer, "corpus_for", no_job)
    with pytest.raises(ProfileError, match="training.batch_sise"):
        transfer.build(demo(**{"training.batch_sise": 1}))


def test_sis_manager_stops_at_a_profile_typo_before_any_job_directory(tmp_path):
    """The user's case: a typo in setups/profiles.py; ``sis manager`` exits non-zero naming it, nothing is built."""
    for name in ("recipe", "config"):
        (tmp_path / name).symlink_to(REPO / name)
    shutil.copytree(REPO / "setups", tmp_path / "setups", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "settings.py", tmp_path / "settings.py")
    profile_file = tmp_path / "setups" / "profiles.py"
    text = profile_file.read_text()
    assert text.index('"batch_size": ') < text.index("FULL = ")
    profile_file.write_text(text.replace('"batch_size": ', '"batch_sise": ', 1))  # in the demo profile
    env = {**os.environ, "SISLITE_FORCE": "1"}
    result = subprocess.run([sys.executable, "-m", "sislite", "manager", "-r", "config/transfer.py"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode != 0
    assert "unknown key training.batch_sise: did you mean training.batch_size" in result.stderr
    assert str(profile_file) in result.stderr
    assert not list(tmp_path.glob("work/*/*")), "a job directory was made"


def returnn_source_texts():
    """The installed RETURNN's sources that the TF backend uses (torch/jax backends left out)."""
    import returnn

    root = Path(returnn.__file__).parent
    for path in root.rglob("*.py"):
        if not {"torch", "jax"} & set(path.relative_to(root).parts):
            yield path.read_text(errors="replace")


def returnn_reads(option, texts):
    """True if RETURNN reads ``option`` from its config (``config.int("max_seqs", ...)``, ``config.typed_value(...)``,
    ``config.typed_dict.get(...)``, ``config.has(...)``...)."""
    pattern = re.compile(r"config\.(?:typed_dict\.)?[a-z_]+\(\s*[\"']" + re.escape(option) + r"[\"']")
    return any(pattern.search(text) for text in texts)


def test_every_returnn_option_of_the_schema_is_one_returnn_reads():
    texts = list(returnn_source_texts())
    options = returnn_keys(SCHEMA)
    assert "training.batch_size" in options and "baseline.learning_rate" in options
    unread = [option for option in options if not returnn_reads(option.rsplit(".", 1)[-1], texts)]
    assert unread == [], f"not options the installed RETURNN reads: {unread}"
    assert not returnn_reads("batch_sise", texts)  # the check can fail


def test_everything_in_training_is_a_returnn_option():
    """config/transfer.py hands profile["training"] to RETURNN as it is, so each of its keys must be one."""
    assert all(spec.returnn for spec in SCHEMA["training"].keys.values())


def parameters(function, leave_out=()):
    return {name for name in inspect.signature(function).parameters if name not in ("self", *leave_out)}


@pytest.mark.parametrize("section, function, leave_out", [
    ("corpus", SyntheticDigitsCorpusJob.__init__, ("hashed_versions",)),  # from the top-level hashed_versions
    ("corpus_hdf", ImportHdfCorpusJob.__init__, ()),
    ("decoding", DecodeWordsJob.__init__, ("posterior_hdf", "labels", "statistics")),
    ("baseline.network", networks.baseline_network, ("batch_independent", "fast_formulation")),
    ("blstm.network", networks.blstm_network, ("batch_independent", "fast_formulation")),
    ("rqmt.train", task_rqmt, ("job_name", "device")),
])
def test_sections_passed_as_arguments_have_exactly_the_arguments(section, function, leave_out):
    spec = SCHEMA
    for part in section.split("."):
        spec = spec[part] if isinstance(spec, dict) else spec.keys[part]
    assert isinstance(spec, Section)
    assert set(spec.keys) == parameters(function, leave_out)


def test_the_schema_table_lists_every_key():
    table = "\n".join(schema_table(SCHEMA))
    assert "| `training.batch_size` | an int >= 1 | yes |" in table
    assert "RETURNN option" in table
    out = subprocess.run([sys.executable, "-m", "setups.profile_schema"], cwd=REPO, capture_output=True, text=True,
                         check=True).stdout
    assert "`blstm.network.rnn_layer_nodes`" in out
