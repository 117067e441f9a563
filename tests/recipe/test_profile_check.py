"""recipe/profile_check.py: defaults, optional keys, nullable sections (the schema itself: tests/setups/)."""

import pytest

from recipe.profile_check import Key, ProfileError, Section, check_profile

SCHEMA = {
    "seeds": Key(tuple, "training seeds", default=(1,)),
    "threads": Key(int, "threads", min=1, optional=True),
    "own": Section("own data", {"path": Key(str, "where")}, nullable=True),
}


def check(profile):
    return check_profile(profile, SCHEMA, "p", "profiles.py", "schema.py")


def test_a_default_is_filled_in_an_optional_key_stays_absent():
    assert check({"own": None}) == {"own": None, "seeds": (1,)}


def test_a_nullable_section_is_checked_when_given():
    with pytest.raises(ProfileError, match=r"unknown key own.pth: did you mean own.path"):
        check({"own": {"pth": "x"}})
    assert check({"own": {"path": "x"}, "threads": 2})["threads"] == 2


def test_the_message_names_profile_and_both_files():
    with pytest.raises(ProfileError) as caught:
        check({"own": None, "seed": 3})
    assert "profile 'p'" in str(caught.value) and "profiles.py" in str(caught.value)
    assert "schema.py" in str(caught.value) and "did you mean seeds" in str(caught.value)
