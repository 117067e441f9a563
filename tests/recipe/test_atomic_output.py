"""recipe.atomic_output: outputs appear complete under their final name or not at all, and no temporary is left."""

import json
import os
import stat

import pytest

from recipe import atomic_output
from recipe.atomic_output import (copy_atomically, link_or_copy_atomically, move_into_place, symlink_atomically,
                                  temporary_sibling, write_atomically, write_json_atomically, writing_atomically)


class FakeTkPath:
    def __init__(self, path):
        self.path = str(path)

    def get_path(self):
        return self.path


def leftovers(directory):
    return sorted(name for name in os.listdir(directory) if name.startswith(".tmp."))


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_write_text_bytes_and_tk_path(tmp_path):
    write_atomically(tmp_path / "a.txt", "hällo\n")
    write_atomically(FakeTkPath(tmp_path / "b.bin"), b"\x00\x01")
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "hällo\n"
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert mode(tmp_path / "a.txt") == 0o644
    assert leftovers(tmp_path) == []


def test_write_replaces_existing_file(tmp_path):
    (tmp_path / "a.txt").write_text("old")
    write_atomically(tmp_path / "a.txt", "new")
    assert (tmp_path / "a.txt").read_text() == "new"


def test_write_json_format(tmp_path):
    write_json_atomically(tmp_path / "d.json", {"b": 1, "a": [2]})
    assert (tmp_path / "d.json").read_text() == json.dumps({"b": 1, "a": [2]}, indent=1) + "\n"
    write_json_atomically(tmp_path / "s.json", {"b": 1, "a": 2}, indent=2, sort_keys=True)
    assert (tmp_path / "s.json").read_text() == '{\n  "a": 2,\n  "b": 1\n}\n'


def test_failed_write_keeps_old_file_and_leaves_no_temporary(tmp_path):
    (tmp_path / "out.txt").write_text("finished before")
    with pytest.raises(RuntimeError, match="writer crashed"):
        with writing_atomically(tmp_path / "out.txt") as temporary:
            with open(temporary, "w") as file:
                file.write("half")
            raise RuntimeError("writer crashed")
    assert (tmp_path / "out.txt").read_text() == "finished before"
    assert leftovers(tmp_path) == []


def test_unserialisable_json_leaves_nothing(tmp_path):
    with pytest.raises(TypeError):
        write_json_atomically(tmp_path / "x.json", {"a": object()})
    assert os.listdir(tmp_path) == []


def test_writer_that_writes_nothing_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing was written"):
        with writing_atomically(tmp_path / "plot.png"):
            pass
    assert os.listdir(tmp_path) == []


def test_temporary_sibling_is_hidden_beside_with_same_extension(tmp_path):
    name = temporary_sibling(tmp_path / "output.hdf")
    assert os.path.dirname(name) == str(tmp_path)
    assert os.path.basename(name).startswith(".tmp.output.") and name.endswith(".hdf")
    assert not os.path.exists(name)
    assert name != temporary_sibling(tmp_path / "output.hdf")


def test_copy(tmp_path):
    (tmp_path / "src").write_bytes(b"data")
    os.chmod(tmp_path / "src", 0o600)
    copy_atomically(tmp_path / "src", tmp_path / "dst")
    assert (tmp_path / "dst").read_bytes() == b"data"
    assert mode(tmp_path / "dst") == 0o644
    assert leftovers(tmp_path) == []


def test_copy_of_missing_source_names_it_and_leaves_target(tmp_path):
    (tmp_path / "dst").write_text("kept")
    with pytest.raises(FileNotFoundError, match="missing"):
        copy_atomically(tmp_path / "missing", tmp_path / "dst")
    assert (tmp_path / "dst").read_text() == "kept"
    assert leftovers(tmp_path) == []


def test_hard_link_replaces_target(tmp_path):
    (tmp_path / "src").write_text("x")
    (tmp_path / "dst").write_text("old")
    link_or_copy_atomically(tmp_path / "src", tmp_path / "dst")
    assert os.path.samefile(tmp_path / "src", tmp_path / "dst")
    assert leftovers(tmp_path) == []


def test_link_falls_back_to_copy(tmp_path, monkeypatch):
    def no_link(source, target):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(atomic_output.os, "link", no_link)
    (tmp_path / "src").write_text("x")
    link_or_copy_atomically(tmp_path / "src", tmp_path / "dst")
    assert (tmp_path / "dst").read_text() == "x"
    assert not os.path.samefile(tmp_path / "src", tmp_path / "dst")
    assert leftovers(tmp_path) == []


def test_symlink_points_to_absolute_source_and_replaces(tmp_path, monkeypatch):
    (tmp_path / "src").write_text("x")
    (tmp_path / "link").write_text("old")
    monkeypatch.chdir(tmp_path)
    symlink_atomically("src", tmp_path / "link")
    assert os.readlink(tmp_path / "link") == str(tmp_path / "src")
    assert leftovers(tmp_path) == []


def test_move_into_place(tmp_path):
    (tmp_path / "work.hdf").write_text("x")
    move_into_place(tmp_path / "work.hdf", tmp_path / "out.hdf")
    assert (tmp_path / "out.hdf").read_text() == "x" and not (tmp_path / "work.hdf").exists()


def test_move_across_file_systems_copies_then_removes_source(tmp_path, monkeypatch):
    real_replace = os.replace

    def replace(source, target):
        if str(source).endswith("work.hdf"):
            raise OSError(18, "Invalid cross-device link")
        real_replace(source, target)

    monkeypatch.setattr(atomic_output.os, "replace", replace)
    (tmp_path / "work.hdf").write_text("x")
    move_into_place(tmp_path / "work.hdf", tmp_path / "out.hdf")
    assert (tmp_path / "out.hdf").read_text() == "x" and not (tmp_path / "work.hdf").exists()
    assert leftovers(tmp_path) == []
