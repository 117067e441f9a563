"""Job and Path rules beyond the vectors: what is and is not hashed, singleton, inputs found in nested objects,
job.save contents, Variables, register_output checks."""

import gzip
import os
import pickle

import pytest

from sislite import Job, Task, tk
from sislite.delayed_ops import Delayed
from sislite.hash import short_hash, sis_hash_helper


class Holder:
    """A config-like object holding paths (as ReturnnConfig does)."""

    def __init__(self, **values):
        self.values = values


class Consumer(Job):
    __sis_hash_exclude__ = {"verbosity": 0}

    def __init__(self, data, verbosity=0, rqmt=None):
        self.data = data
        self.verbosity = verbosity
        self.rqmt = rqmt
        self.out = self.output_path("out.txt")
        self.out_dir = self.output_path("dir", directory=True)
        self.out_value = self.output_var("value")

    def tasks(self):
        yield Task("run", rqmt=self.rqmt or {})

    def run(self):
        pass


class RqmtFree(Consumer):
    @classmethod
    def hash(cls, parsed_args):
        return super().hash({k: v for k, v in parsed_args.items() if k != "rqmt"})


def test_same_arguments_give_the_same_object_and_unhashed_ones_are_ignored():
    first = RqmtFree("a", rqmt={"cpu": 1})
    assert RqmtFree("a", rqmt={"cpu": 4}) is first  # rqmt not hashed: the first instance wins
    assert RqmtFree(data="a", verbosity=0) is first  # excluded default
    assert RqmtFree("a", verbosity=2) is not first  # a non-default value is hashed
    assert RqmtFree("b") is not first
    module_path, hash_part = first._sis_id().rsplit("/RqmtFree.", 1)
    assert module_path == RqmtFree.__module__.replace(".", "/") and len(hash_part) == 12


def test_relative_path_hash_does_not_depend_on_the_working_directory(tmp_path):
    path_hash = short_hash(tk.Path("data/input.txt"))
    previous = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert short_hash(tk.Path("data/input.txt")) == path_hash
    finally:
        os.chdir(previous)
    assert short_hash(tk.Path("/abs/elsewhere/input.txt", hash_overwrite="data/input.txt")) == path_hash
    assert short_hash(tk.Path("data/other.txt")) != path_hash
    assert short_hash(tk.Path("data/input.txt", cached=True, tags={"x"})) == path_hash


def test_setup_path_is_independent_of_the_setup_location():
    path = tk.setup_path("sislite")("hash.py")
    assert path.get_path().endswith("sislite/hash.py") and os.path.isabs(path.get_path())
    assert sis_hash_helper(path) == b"(Path, (tuple, (NoneType), (str, 'sislite/hash.py')))"


def test_delayed_and_job_arguments_hash_as_documented():
    assert sis_hash_helper(Delayed([1, 2])) == sis_hash_helper([1, 2])
    job = Consumer("x")
    assert sis_hash_helper(job) == job._sis_id().encode()
    assert sis_hash_helper(tk.Variable("a/b")) == sis_hash_helper(tk.Path("a/b")) == \
        b"(Path, (tuple, (NoneType), (str, 'a/b')))"


def test_inputs_are_found_in_nested_objects():
    producer = Consumer("produce")
    plain = tk.Path("data/plain.txt")
    consumer = Consumer(Holder(files=[producer.out], nested={"p": (plain,)}))
    assert consumer.inputs() == {producer.out, plain}
    assert producer.out not in Consumer("produce").inputs()


def test_job_save_holds_absolute_paths_without_creators(tmp_path):
    previous = os.getcwd()
    producer = Consumer("saved")
    consumer = Consumer([producer.out], verbosity=3)
    os.chdir(tmp_path)
    try:
        from sislite import global_constants

        base = global_constants.BASE_DIR
        global_constants.BASE_DIR = str(tmp_path)
        try:
            consumer._sis_setup_directory()
            job_dir = tmp_path / consumer._sis_path()
            loaded = pickle.loads(gzip.decompress((job_dir / "job.save").read_bytes()))
        finally:
            global_constants.BASE_DIR = base
    finally:
        os.chdir(previous)
    [path] = loaded.data
    assert path.creator is None and os.path.isabs(path.path) and path.path.endswith("/output/out.txt")
    assert (job_dir / "output" / "dir").is_dir()
    assert "PARAMETER: verbosity: 3" in (job_dir / "info").read_text()
    assert os.path.islink(job_dir / "input" / producer._sis_id().replace("/", "_"))


def test_variable_round_trip(tmp_path):
    var = tk.Variable(str(tmp_path / "v"))
    assert not var.is_set()
    with pytest.raises(ValueError, match="not set"):
        var.get()
    var.set({"wer": 12.5})
    assert var.get() == {"wer": 12.5}
    assert [p.name for p in tmp_path.iterdir()] == ["v"]  # no temporary file left
    assert tk.Variable(str(tmp_path / "w"), backup=7).get() == 7


def test_register_output_rejects_non_sisyphus_paths():
    import pathlib

    with pytest.raises(TypeError, match="tk.Path"):
        tk.register_output("x", pathlib.Path("x"))
    with pytest.raises(ValueError, match="relative path"):
        tk.register_output("../x", tk.Path("x"))


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_a_corrupt_job_save_names_the_file_and_how_it_is_written_again(tmp_path, damage):
    from sislite.job import CorruptJobSaveError, load_job

    good = gzip.compress(pickle.dumps({"a": list(range(1000))}))
    data = {"truncated": good[:len(good) // 2], "garbage": b"not gzip at all", "empty": b""}[damage]
    (tmp_path / "job.save").write_bytes(data)
    with pytest.raises(CorruptJobSaveError) as error:
        load_job(str(tmp_path))
    assert f"corrupt or truncated {tmp_path}/job.save" in str(error.value)
    assert "sis manager -r -co" in str(error.value)
