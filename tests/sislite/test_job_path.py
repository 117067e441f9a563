"""sislite.job_path.Variable: the files it writes are the ones RWTH Sisyphus writes and reads (gzip-compressed
pickles, ``repr`` text with ``nan``/``inf``), and it reads what RWTH Sisyphus and older sislite versions wrote."""

import gzip
import math
import pickle

from sislite.job_path import Variable


def test_a_pickled_variable_is_a_gzip_compressed_pickle(tmp_path):
    var = Variable(str(tmp_path / "value.pkl"), pickle=True)
    var.set({"wer": 12.5, "tokens": ["oh", "one"]})
    with gzip.open(tmp_path / "value.pkl", "rb") as f:  # how RWTH Sisyphus reads it
        assert pickle.load(f) == {"wer": 12.5, "tokens": ["oh", "one"]}
    assert var.get() == {"wer": 12.5, "tokens": ["oh", "one"]}


def test_a_plain_pickle_of_an_older_work_dir_still_reads(tmp_path):
    (tmp_path / "old.pkl").write_bytes(pickle.dumps([1, 2, 3]))
    assert Variable(str(tmp_path / "old.pkl"), pickle=True).get() == [1, 2, 3]


def test_non_finite_floats_read_back_as_floats(tmp_path):
    var = Variable(str(tmp_path / "score"))
    var.set({"dev": float("nan"), "test": float("-inf"), "train": 0.25})
    assert (tmp_path / "score").read_text() == "{'dev': nan, 'test': -inf, 'train': 0.25}\n"  # RWTH's format
    value = var.get()
    assert math.isnan(value["dev"]) and value["test"] == -math.inf and value["train"] == 0.25
