"""The setup under real RWTH Sisyphus (RWTH_SISYPHUS_SRC): config/transfer.py on a tiny profile runs to the end under
RWTH's own ``sis`` with the job ids and the report sislite gives; a work/ one engine filled is finished for the other;
the hand-over of our ``sis`` runs tasks in both install orders. One full run per engine (session fixtures), the
rest reruns a few cheap jobs."""

import json
import shutil
import sys

import pytest

from tests.compat.rwth_environment import copy_setup, job_ids, output_files, run, run_environment, work_snapshot

REPORT_FILES = ("results.md", "results.html", "results.json", "learning_curves.png")
RERUN = ("report/report/ExperimentReportJob", "scoring/scoring/ScoreWerJob")
"""Jobs the hand-over tests delete and let RWTH rerun: the report and one WER scoring (quick, no RETURNN)."""


MEASURED = ("training_time", "peak_memory")
"""Report columns that measure a run (wall-clock time, peak RSS) rather than its result: they differ between runs."""


def _without_measurements(record):
    kept = {k: v for k, v in record.items() if k not in MEASURED}
    if "runs" in kept:  # each seed's own numbers
        kept["runs"] = [_without_measurements(run) for run in kept["runs"]]
    return kept


def report_rows_without_timings(setup):
    rows = json.loads((setup / "output" / "report" / "results.json").read_text())["rows"]
    return [_without_measurements(row) for row in rows]


def test_sislite_runs_the_tiny_graph(sislite_run):
    assert sislite_run.result.returncode == 0, sislite_run.result.output[-4000:]
    assert len(job_ids(sislite_run.setup)) > 20


def test_rwth_sisyphus_own_sis_runs_the_graph_with_the_same_job_ids_and_outputs(rwth_last, rwth_run, sislite_run):
    assert rwth_last.sis_owner() == "sisyphus"
    assert "All output calculated" in rwth_run.result.output, rwth_run.result.output[-4000:]
    assert job_ids(rwth_run.setup) == job_ids(sislite_run.setup)
    # sislite exits 0 only when every registered output exists: RWTH made the same ones.
    assert output_files(rwth_run.setup) == output_files(sislite_run.setup)
    assert {f"report/{name}" for name in REPORT_FILES} <= set(output_files(rwth_run.setup))


def test_rwth_sisyphus_gives_the_report_sislite_gives(rwth_run, sislite_run):
    # Every figure but the measured time and memory: the trainings themselves are deterministic on one thread.
    assert report_rows_without_timings(rwth_run.setup) == report_rows_without_timings(sislite_run.setup)


def _rerun_nothing(done, command, env, answers=None):
    before = work_snapshot(done.setup)
    result = run(command, done.setup, env, answers)
    changed = sorted(path for path, stamp in work_snapshot(done.setup).items() if before.get(path) != stamp)
    return result, changed


def test_a_work_dir_sislite_filled_reruns_nothing_under_rwth_sisyphus(rwth_last, sislite_run):
    # With nothing to do, RWTH Sisyphus asks what to show; "c" (cancel) is what a user answers.
    result, changed = _rerun_nothing(sislite_run, [rwth_last.sis, "manager", "-r", "config/tiny.py"],
                                     run_environment(rwth_last), answers="c\n")
    assert "All calculations are done" in result.output, result.output[-4000:]
    assert "Submit to queue" not in result.output
    assert changed == []


def test_a_work_dir_rwth_sisyphus_filled_reruns_nothing_under_sislite(rwth_run):
    result, changed = _rerun_nothing(rwth_run, [sys.executable, "-m", "sislite", "manager", "-r", "config/tiny.py"],
                                     dict(run_environment(), SISLITE_FORCE="1"))
    assert result.returncode == 0, result.output[-4000:]
    assert "running:" not in result.output
    assert changed == []


def _rerun_some_jobs(done, target, command, env):
    """Copy a finished setup, delete the RERUN jobs and run ``command`` there; returns (setup, result, rerun ids)."""
    setup = copy_setup(done.setup, target)
    for link in ("output", "alias"):
        shutil.rmtree(setup / link)
    deleted = [job for job in job_ids(setup) if job.startswith(RERUN[0])]
    deleted.append(next(job for job in job_ids(setup) if job.startswith(RERUN[1])))
    for job in deleted:
        shutil.rmtree(setup / "work" / job)
    return setup, run(command, setup, env), deleted


@pytest.mark.parametrize("order, how", [("project_last", "sis"), ("rwth_last", "python -m sislite")])
def test_the_hand_over_runs_tasks_in_both_install_orders(request, tmp_path, order, how, rwth_run):
    environment = request.getfixturevalue(order)
    if how == "sis":
        assert environment.sis_owner() == "sislite"
        command = [environment.sis, "manager", "-r", "config/tiny.py"]
    else:
        command = [environment.python, "-m", "sislite", "manager", "-r", "config/tiny.py"]
    setup, result, rerun = _rerun_some_jobs(rwth_run, tmp_path / "setup", command, run_environment(environment))
    assert "All output calculated" in result.output, result.output[-4000:]  # RWTH Sisyphus' manager ran
    assert rerun and all((setup / "work" / job / "finished").is_file() for job in rerun), result.output[-4000:]
    for job in rerun:
        log = (setup / "work" / job / "log.run.1").read_text()
        assert "Job finished successfully" in log and "PermissionError" not in log, log[-2000:]
        assert "sislite worker" not in log  # RWTH Sisyphus' worker ran it
    assert job_ids(setup) == job_ids(rwth_run.setup)
    for name in REPORT_FILES:
        assert (setup / "output" / "report" / name).read_bytes() == (
            rwth_run.setup / "output" / "report" / name).read_bytes(), name
