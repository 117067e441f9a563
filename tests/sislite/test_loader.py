"""Config strings as RWTH Sisyphus reads them (SPEC 1.3)."""

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
