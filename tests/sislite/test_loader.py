"""Config strings as RWTH Sisyphus reads them (SPEC 1.3)."""

import os
import subprocess
import sys

import pytest

from sislite.loader import parse_config_name


@pytest.mark.parametrize("text, expected", [
    ("config/transfer.py", ("config.transfer", "py", ())),
    ("config/x.main", ("config.x", "main", ())),
    ("config.x.main", ("config.x", "main", ())),
    ("config/y.run_with(1, 'a', 2.5)", ("config.y", "run_with", (1, "a", 2.5))),
    ("config/y.run_with()", ("config.y", "run_with", ())),
    ("recipe/probe/jobs.py", ("probe.jobs", "py", ())),
])
def test_config_strings(text, expected):
    assert parse_config_name(text) == expected


def test_bad_config_strings_fail_with_a_clear_message():
    with pytest.raises(SystemExit, match="names no function"):
        parse_config_name("transfer")
    with pytest.raises(SystemExit, match="not a Python identifier"):
        parse_config_name("config/my-plan.py")


def sis_manager(setup_dir, *configs):
    """``sis manager CONFIG...`` (no -r) in ``setup_dir``: (exit status, stderr + stdout)."""
    env = {**os.environ, "SISLITE_FORCE": "1"}
    result = subprocess.run([sys.executable, "-m", "sislite", "manager", *configs], cwd=setup_dir, env=env,
                            capture_output=True, text=True, timeout=300)
    return result.returncode, result.stderr + result.stdout


@pytest.fixture
def setup_dir(tmp_path):
    """A setup directory with config/plan.py (registers one output) and an empty settings.py."""
    (tmp_path / "config").mkdir()
    (tmp_path / "settings.py").write_text("")
    (tmp_path / "config" / "plan.py").write_text(
        "from sislite import tk\n\ndef run():\n    tk.register_output('x', tk.Path('/dev/null'))\n\n"
        "def py():\n    run()\n")
    return tmp_path


def test_an_absolute_config_path_inside_the_setup_works(setup_dir):
    status, out = sis_manager(setup_dir, str(setup_dir / "config" / "plan.py"))
    assert status == 0, out
    assert "not a Python identifier" not in out


def test_an_absolute_config_path_of_another_setup_says_where_to_run_sis(setup_dir, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    status, out = sis_manager(elsewhere, str(setup_dir / "config" / "plan.py"))
    assert status != 0
    assert f"outside the setup directory {elsewhere}" in out
    assert f"cd {setup_dir} && sis manager config/plan.py" in out


def test_a_missing_config_in_the_setup_names_the_file_and_the_configs_there(setup_dir):
    status, out = sis_manager(setup_dir, "config/nosuch.py")
    assert status != 0
    assert "config/nosuch.py does not exist" in out and "configs there: config/plan.py" in out
    assert "run sis from the setup directory" not in out
    assert "did you mean config/plan.py?" in sis_manager(setup_dir, "config/plam.py")[1]


def test_a_config_run_outside_any_setup_says_so(tmp_path):
    status, out = sis_manager(tmp_path, "config/plan.py")
    assert status != 0 and "run sis from the setup directory" in out


def test_a_mistyped_extension_points_at_the_py_file(setup_dir):
    status, out = sis_manager(setup_dir, "config/plan.pyy")
    assert status != 0
    assert "did you mean config/plan.py?" in out and "has no function 'pyy'" in out


def test_a_mistyped_function_names_the_closest_one(setup_dir):
    status, out = sis_manager(setup_dir, "config/plan.rnu")
    assert status != 0 and "has no function 'rnu' (did you mean run?)" in out
