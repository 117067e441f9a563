"""The demo corpus: byte-identical per seed whatever the worker count, speaker-disjoint splits, contract outputs."""

import hashlib
import json
import os
import types

import h5py
import pytest

from recipe.corpus.corpus_plan import SPLITS
from recipe.corpus.hdf_corpus import check_frame_lengths
from recipe.corpus.synthetic_digits import SyntheticDigitsCorpusJob, generate_corpus

TINY = dict(num_utterances=30, seed=7, unit="word", split_fractions={"train": 0.6, "dev": 0.2, "test": 0.2},
            speakers_per_split={"train": 3, "dev": 2, "test": 2}, digits=(1, 4), speed_range=(0.9, 1.1),
            snr_db_range=(10.0, 40.0), noise_colors=("white", "pink", "brown"), silence_s_range=(0.1, 0.3))


def _generate(folder, workers):
    os.makedirs(folder)
    generate_corpus(types.SimpleNamespace(workers=workers, **TINY), {s: f"{folder}/{s}.hdf" for s in SPLITS},
                    {s: f"{folder}/{s}.txt" for s in SPLITS}, f"{folder}/labels.json", f"{folder}/summary.json")
    return {name: hashlib.sha256(open(f"{folder}/{name}", "rb").read()).hexdigest() for name in os.listdir(folder)}


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    base = tmp_path_factory.mktemp("corpus")
    return base / "one", _generate(base / "one", 1), _generate(base / "two", 2)


def test_same_seed_gives_byte_identical_files_with_any_worker_count(corpora):
    _, one_worker, two_workers = corpora
    assert set(one_worker) == {f"{s}.{e}" for s in SPLITS for e in ("hdf", "txt")} | {"labels.json", "summary.json"}
    assert one_worker == two_workers


def test_splits_are_speaker_disjoint_and_tags_name_the_split(corpora):
    folder = corpora[0]
    speakers = {}
    for split in SPLITS:
        with h5py.File(folder / f"{split}.hdf", "r") as f:
            tags = [t.decode() if isinstance(t, bytes) else t for t in f["seqTags"][...]]
        assert tags and all(t.startswith(split + "/") for t in tags)
        speakers[split] = {t.split("/")[1].rsplit("-", 1)[0] for t in tags}
    assert not (speakers["train"] & speakers["dev"]) and not (speakers["train"] & speakers["test"])
    assert not (speakers["dev"] & speakers["test"])


def test_hdf_lengths_transcripts_labels_and_summary(corpora):
    folder = corpora[0]
    labels = json.loads((folder / "labels.json").read_text())
    assert labels == {"unit": "word", "labels": ["<sil>", "oh", "zero", "one", "two", "three", "four", "five", "six",
                                                 "seven", "eight", "nine"], "silence_index": 0}
    summary = json.loads((folder / "summary.json").read_text())
    assert sum(s["utterances"] for s in summary["splits"].values()) == 30 and summary["hours"] > 0
    for split in SPLITS:
        lengths = check_frame_lengths(str(folder / f"{split}.hdf"))
        lines = (folder / f"{split}.txt").read_text().splitlines()
        assert [line.split()[0] for line in lines] == [tag for tag, _, _ in lengths]
        assert all(1 <= len(line.split()) - 1 <= 4 for line in lines)
        assert set(summary["splits"][split]["speakers"]) == {line.split()[0].split("/")[1].rsplit("-", 1)[0]
                                                            for line in lines}
        with h5py.File(folder / f"{split}.hdf", "r") as f:
            assert f["inputs"].dtype == "float32" and f["inputs"].shape[1] == 1
            assert f["targets/data/classes"].dtype == "int32"
            assert list(f["targets/size"].attrs["classes"]) == [12, 1]


def test_hash_ignores_workers_but_not_seed_or_unit():
    base = SyntheticDigitsCorpusJob(num_utterances=30, seed=7)
    assert SyntheticDigitsCorpusJob(num_utterances=30, seed=7, workers=1).job_id() == base.job_id()
    assert SyntheticDigitsCorpusJob(num_utterances=30, seed=8).job_id() != base.job_id()
    assert SyntheticDigitsCorpusJob(num_utterances=30, seed=7, unit="phone").job_id() != base.job_id()
    assert set(base.out_hdf) == set(SPLITS) and set(base.out_transcripts) == set(SPLITS)


@pytest.mark.parametrize("kwargs, culprit", [
    (dict(unit="syllable"), "unit"), (dict(num_utterances=2), "num_utterances"),
    (dict(speakers_per_split={"train": 2, "dev": 0, "test": 1}), "speakers_per_split"),
    (dict(noise_colors=("blue",)), "noise_colors"), (dict(digits=(3, 1)), "digits"),
])
def test_bad_parameters_fail_fast_naming_the_culprit(kwargs, culprit):
    with pytest.raises(ValueError, match=culprit):
        SyntheticDigitsCorpusJob(**kwargs)
