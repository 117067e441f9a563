"""recipe/corrupt_input.py: a broken input is named with the job that made it and the command that remakes it; the
HDF readers and the manifest reader use it. (Checkpoints: tests/recipe/transfer/test_extraction.py; the whole
remake in a real graph: tests/recipe/test_corrupt_input_graph.py.)"""

import json
import os

import pytest

from recipe.corrupt_input import CorruptInputError, corrupt_input_error, making_job, reading

JOB = "work/corpus/synthetic_digits/SyntheticDigitsCorpusJob.Ab3dEfGhIjKl"


def test_the_job_of_an_output_file_is_found_from_its_path(tmp_path):
    assert making_job(tmp_path / JOB / "output" / "dev.hdf") == (str(tmp_path), JOB)
    assert making_job(tmp_path / "data" / "dev.hdf") is None
    assert making_job(tmp_path / JOB / "work" / "partial.hdf") is None  # not an output


def test_the_message_names_file_job_and_remake_command(tmp_path):
    message = str(corrupt_input_error(tmp_path / JOB / "output" / "dev.hdf", "OSError: truncated file"))
    assert message.startswith(f"corrupt or truncated input {tmp_path}/{JOB}/output/dev.hdf: OSError: truncated")
    assert f"made by job {JOB} (in {tmp_path})" in message
    assert message.endswith(f"mv {JOB} {JOB}.corrupt && sis manager -r -co CONFIG (your config, e.g. "
                            "config/transfer.py)")
    own = str(corrupt_input_error(tmp_path / "mine.hdf", "bad"))
    assert "No job of this setup made it: replace the file" in own


def truncated_hdf(directory):
    from returnn.datasets.hdf import SimpleHDFWriter
    import numpy as np

    directory.mkdir(parents=True)
    path = directory / "dev.hdf"
    writer = SimpleHDFWriter(str(path), dim=3, ndim=2)
    writer.insert_batch(np.zeros((1, 50, 3), "float32"), seq_len=[50], seq_tag=["a"])
    writer.close()
    os.truncate(path, os.path.getsize(path) // 2)
    return path


def test_a_truncated_hdf_is_named_by_the_readers(tmp_path):
    from recipe.corpus.hdf_corpus import read_sequence_lengths
    from recipe.scoring.returnn_hdf import read_hdf_sequences

    path = truncated_hdf(tmp_path / JOB / "output")
    for read in (read_hdf_sequences, read_sequence_lengths):
        with pytest.raises(CorruptInputError) as error:
            read(str(path))
        assert error.value.path == str(path) and error.value.job_dir == JOB
        assert "truncated" in str(error.value)


def test_a_missing_file_stays_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        with reading(tmp_path / "nothing.json", OSError, ValueError):
            open(tmp_path / "nothing.json")


def test_a_cut_manifest_is_named(tmp_path):
    from recipe.transfer.extraction import read_manifest

    directory = tmp_path / "work/transfer/extraction/ExtractLayerVariablesJob.Zz9yXx8wVv7u/output"
    directory.mkdir(parents=True)
    (directory / "manifest.json").write_text(json.dumps({"format": 1, "variables": []})[:10])
    with pytest.raises(CorruptInputError, match="ExtractLayerVariablesJob.Zz9yXx8wVv7u.corrupt"):
        read_manifest(directory / "manifest.json")
