"""recipe/file_path.py: a tk.Path, a str and an os.PathLike give their file-system path; anything else fails."""

import pathlib

import pytest

from recipe.file_path import path_string
from recipe.sis_api import tk


def test_path_string_of_tk_path_str_and_pathlike(tmp_path):
    assert path_string(tk.Path(str(tmp_path / "a.txt"))) == str(tmp_path / "a.txt")
    assert path_string("relative/b.txt") == "relative/b.txt"
    assert path_string(pathlib.Path("/x/c.txt")) == "/x/c.txt"


def test_path_string_refuses_what_is_not_a_path():
    with pytest.raises(TypeError):
        path_string(3)
