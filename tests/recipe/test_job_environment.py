"""Every recipe job records the environment that ran it in its directory; the report shows it per experiment."""

import json
import subprocess

from recipe.job_environment import RECORD_FILE, environment_record, read_environment_records

CONFIG = """
from recipe.sis_api import tk
from recipe.report.report import ExperimentReportJob
from recipe.scoring.scoring import ScoreWerJob

wer = ScoreWerJob(tk.Path("data/hyp.txt"), tk.Path("data/ref.txt"))
report = ExperimentReportJob([{"name": "digits", "wer": {"dev": wer.out_wer}}], datasets=("dev",))
tk.register_output("report.json", report.out_json)
tk.register_output("report.md", report.out_markdown)
"""


def test_each_job_directory_holds_its_environment_and_the_report_shows_it(sis_setup):
    sis_setup.write("data/ref.txt", "dev/a one two\ndev/b three\n")
    sis_setup.write("data/hyp.txt", "dev/a one two\ndev/b four\n")
    result = sis_setup.run_manager(sis_setup.write_config(CONFIG), timeout=240)
    assert result.returncode == 0, result.output[-3000:]
    job_dirs = [path for path in sis_setup.job_dirs() if "input" not in path.parts[-3:]]  # not input/ links
    assert len(job_dirs) == 2
    installed = environment_record("run")
    for job_dir in job_dirs:
        (record,) = read_environment_records(job_dir)
        assert record["task"] == "run"
        assert record["python"] == installed["python"] and record["packages"] == installed["packages"]
        assert {"returnn", "numpy", "h5py"} <= set(record["packages"])
        assert any(name.startswith("tensorflow") for name in record["packages"])
        assert set(record["libraries"]) == {"espeak-ng", "flite"} and record["libraries"]["espeak-ng"]
        assert record["setup"]["commit"] == installed["setup"]["commit"]
        assert record["setup"]["dirty"] in (True, False)
        assert record["host"] and "gpus" in record["device"]
    report = json.loads((sis_setup.root / "output/report.json").read_text())
    (row,) = report["environment"]
    assert row["experiment"] == "digits" and row["numpy"] == installed["packages"]["numpy"]
    assert row["commit"].startswith(installed["setup"]["commit"][:12])
    markdown = (sis_setup.root / "output/report.md").read_text()
    assert "## Environment" in markdown and installed["packages"]["returnn"] in markdown


def test_the_record_names_the_setup_commit_and_whether_it_was_dirty(tmp_path):
    from recipe.job_environment import setup_revision

    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "a.txt").write_text("1")
    git("add", "a.txt")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one")
    clean = setup_revision(str(tmp_path))
    assert len(clean["commit"]) == 40 and clean["dirty"] is False
    (tmp_path / "a.txt").write_text("2")
    assert setup_revision(str(tmp_path)) == {"commit": clean["commit"], "dirty": True}
    assert setup_revision(str(tmp_path / "missing")) == {"commit": None, "dirty": None}
    assert read_environment_records(tmp_path) == [] and RECORD_FILE == "environment.jsonl"
