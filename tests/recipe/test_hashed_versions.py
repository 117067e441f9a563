"""The opt-in ``hashed_versions``: off it changes no id; on it moves exactly the jobs of its kind, and a task refuses to
run where the hashed versions are not installed."""

import pytest

from config import transfer
from recipe.job_environment import check_pinned_versions, installed_version, pinned_versions
from setups import profiles


def _ids(**hashed):
    profile = profiles.get_profile("demo")
    if hashed:
        profile["hashed_versions"] = hashed
    report = transfer.build(profile)
    ids = {}

    def walk(job):
        if job is not None and job.job_id() not in ids.values():
            ids[job.job_id()] = job.job_id()
            for path in job._sis_inputs:
                walk(path.creator)

    walk(report)
    return set(ids)


def _by_class(ids, name):
    return {job_id for job_id in ids if f"/{name}." in job_id}


def test_off_keeps_every_id_on_moves_the_jobs_of_its_kind():
    off = _ids()
    assert off == _ids(returnn=(), corpus=())
    returnn_pinned = _ids(returnn=("returnn", "tensorflow-cpu"))
    for name in ("ReturnnTrainingJob", "ReturnnEvalJob", "ReturnnForwardJob"):
        assert _by_class(off, name) and not _by_class(off, name) & _by_class(returnn_pinned, name), name
    assert _by_class(off, "SyntheticDigitsCorpusJob") == _by_class(returnn_pinned, "SyntheticDigitsCorpusJob")
    corpus_pinned = _ids(corpus=("espeak-ng",))
    assert _by_class(off, "SyntheticDigitsCorpusJob") != _by_class(corpus_pinned, "SyntheticDigitsCorpusJob")


def test_another_version_gives_another_id():
    from recipe.corpus.synthetic_digits import SyntheticDigitsCorpusJob

    ids = {SyntheticDigitsCorpusJob(num_utterances=30, hashed_versions={"espeak-ng": version}).job_id()
           for version in ("1.51", "1.52.0")}
    assert len(ids) == 2


def test_unknown_names_and_kinds_fail_naming_the_profile():
    with pytest.raises(ValueError, match=r"hashed_versions\['returnn'\].*'no-such-package', which is not installed"):
        _ids(returnn=("no-such-package",))
    with pytest.raises(ValueError, match=r"unknown kinds \['training'\]"):
        _ids(training=("returnn",))


def test_a_task_refuses_to_run_under_other_versions_than_its_id_names():
    pinned = pinned_versions(("numpy", "python"), "test")
    assert pinned == {"numpy": installed_version("numpy"), "python": installed_version("python")}
    check_pinned_versions("SomeJob", pinned)
    check_pinned_versions("SomeJob", None)
    with pytest.raises(RuntimeError, match=r"SomeJob: its job id includes versions .*numpy 0\.1 in the hash"):
        check_pinned_versions("SomeJob", {"numpy": "0.1"})
