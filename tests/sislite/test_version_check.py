"""sislite/version_check.py: finished jobs made by other Python/package versions are listed once, nothing else."""

import json
import platform

from sislite.version_check import RECORD_FILE, made_by_other_versions, warning_text


def _job(tmp_path, name, *records):
    job_dir = tmp_path / name
    job_dir.mkdir()
    (job_dir / RECORD_FILE).write_text("".join(json.dumps(record) + "\n" for record in records) + "not json\n")
    return str(job_dir)


def test_jobs_of_other_versions_are_listed_with_recorded_and_installed_versions(tmp_path):
    import numpy

    now = {"python": platform.python_version(), "packages": {"numpy": numpy.__version__}}
    same = _job(tmp_path, "same", now)
    older = _job(tmp_path, "older", {"python": "3.9.1", "packages": {"numpy": "1.0.0", "gone-pkg": "2"}})
    resumed = _job(tmp_path, "resumed", now, {**now, "packages": {"numpy": "1.0.0"}})
    unrecorded = str(tmp_path / "unrecorded")
    found = made_by_other_versions([same, older, resumed, unrecorded])
    assert [job_dir for job_dir, _ in found] == [older, resumed]
    differences = dict(found)[older]
    assert differences["python"] == (["3.9.1"], platform.python_version())
    assert differences["gone-pkg"] == (["2"], "not installed")
    assert dict(found)[resumed] == {"numpy": ([numpy.__version__, "1.0.0"], numpy.__version__)}
    text = warning_text(found)
    assert text.count("\n") == 2 and "2 finished job(s) were made by other versions" in text
    assert f"numpy 1.0.0 (installed: {numpy.__version__})" in text and "not rerun" in text
    assert warning_text([]) == ""

