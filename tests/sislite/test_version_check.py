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



def test_the_manager_lists_finished_jobs_of_other_versions_once_and_reruns_nothing(sis_setup):
    from pathlib import Path

    sis_setup.write("testjobs/jobs.py", (Path(__file__).parent / "sample_jobs.py").read_text())
    config = sis_setup.write_config("""
from recipe.sis_api import tk
from testjobs.jobs import Write, Concat

tk.register_output("both.txt", Concat([Write("x").out, Write("y").out]).out)
""")
    first = sis_setup.run_manager(config)
    assert first.returncode == 0, first.output
    assert "made by other versions" not in first.output
    old_job, old_too = sis_setup.job_dirs("Write.*")
    for job_dir in (old_job, old_too):
        (job_dir / RECORD_FILE).write_text(json.dumps({"python": "3.9.1", "packages": {"numpy": "1.0.0"}}) + "\n")
    outputs = {path: path.stat().st_mtime_ns for path in (sis_setup.root / "work").glob("**/output/*")}
    again = sis_setup.run_manager(config)
    assert again.returncode == 0, again.output
    assert again.output.count("2 finished job(s) were made by other versions") == 1, again.output
    assert old_job.name in again.output and "python 3.9.1 (installed: " in again.output
    assert {path: path.stat().st_mtime_ns for path in outputs} == outputs, "a finished job was rerun"
