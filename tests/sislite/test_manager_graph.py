"""End to end: a graph with fan-out, fan-in and a multi-id task runs with `sis manager -r`; the job directories look
like RWTH Sisyphus's; a rerun of the finished graph does nothing; ids do not depend on where the setup lives."""

import os
import sys
from pathlib import Path

import pytest

JOBS = (Path(__file__).parent / "sample_jobs.py").read_text()

CONFIG = """
from recipe.sis_api import tk
from testjobs.jobs import Write, Concat

source = Write("x", parts=3)                       # one task, three ids
left = Concat([source.out])                         # fan-out from source ...
right = Concat([source.out], sep="-")
both = Concat([left.out, right.out], sep="|")       # ... and fan-in
both.add_alias("demo/both")
tk.register_output("demo/both.txt", both.out)
tk.register_output("demo/count", both.out_count)
"""


def _run_graph(sis_setup):
    sis_setup.write("testjobs/jobs.py", JOBS)
    config = sis_setup.write_config(CONFIG)
    return config, sis_setup.run_manager(config)


@pytest.mark.parametrize("fork_server", [True, False], ids=["fork-server", "spawned-workers"])
def test_graph_runs_end_to_end_with_rwth_layout(sis_setup, fork_server):
    if not fork_server:
        settings = sis_setup.root / "settings.py"
        settings.write_text(settings.read_text().replace("gpus=0,", "gpus=0, standby=False,"))
    config, result = _run_graph(sis_setup)
    assert result.returncode == 0, result.output
    root = sis_setup.root
    assert (root / "output/demo/both.txt").read_text() == "x|x"
    assert (root / "output/demo/count").read_text().strip() == "2"
    assert os.path.islink(root / "alias/demo/both")
    assert "Finished output: demo/both.txt" in (root / "log/finished.log").read_text()
    [source] = sis_setup.job_dirs("Write.*")
    assert sorted((source / "output/parts").iterdir()) == [source / f"output/parts/{i}.txt" for i in (1, 2, 3)]
    for name in ["finished", "info", "job.save", "work", "output", "input", "engine", "submit_log.run"] + [
            f"{kind}.run.{i}" for kind in ("log", "usage", "finished") for i in (1, 2, 3)]:
        assert (source / name).exists(), name
    concats = sis_setup.job_dirs("Concat.*")
    assert len(concats) == 3
    [both] = [d for d in concats if os.path.realpath(root / "alias/demo/both") == str(d)]
    links = sorted(os.listdir(both / "input"))
    assert len(links) == 2 and all(name.startswith("testjobs_jobs_Concat.") for name in links)
    info = (both / "info").read_text()
    assert "PARAMETER: sep: |" in info and "ALIAS: demo/both" in info and "INPUT: " in info
    assert {"finished.write.1", "finished.finish.1"} <= set(os.listdir(both))


def test_rerun_of_finished_graph_does_nothing(sis_setup):
    config, first = _run_graph(sis_setup)
    assert first.returncode == 0, first.output
    before = {p: p.stat().st_mtime_ns for p in (sis_setup.root / "work").rglob("*")
              if p.is_file() and not p.name.startswith(".")}
    second = sis_setup.run_manager(config)
    assert second.returncode == 0, second.output
    assert "All outputs calculated" in second.output
    assert "running" not in second.output and "queue" not in second.output
    after = {p: p.stat().st_mtime_ns for p in (sis_setup.root / "work").rglob("*")
              if p.is_file() and not p.name.startswith(".")}
    assert before == after


def test_job_ids_do_not_depend_on_setup_location_or_python(sis_setup, tmp_path):
    _run_graph(sis_setup)
    other = type(sis_setup)(tmp_path / "elsewhere" / "deeper")
    other.write("testjobs/jobs.py", JOBS)
    other.write_config(CONFIG)
    other.python = str(tmp_path / "another-python")
    os.symlink(sys.executable, other.python)
    ids = {str(d.relative_to(sis_setup.root)) for d in sis_setup.job_dirs()}
    result = other.run_manager("config/main.py")
    assert result.returncode == 0, result.output
    assert {str(d.relative_to(other.root)) for d in other.job_dirs()} == ids


def test_raising_an_unhashed_parameter_reopens_a_job_and_the_worker_sees_it(sis_setup):
    sis_setup.write("testjobs/jobs.py", JOBS)
    config_text = """
        from recipe.sis_api import tk
        from testjobs.jobs import Extendable
        tk.register_output("steps.txt", Extendable("train", steps={steps}).out)
    """
    config = sis_setup.write_config(config_text.format(steps=2))
    first = sis_setup.run_manager(config)
    assert first.returncode == 0, first.output
    [job_dir] = sis_setup.job_dirs("Extendable.*")
    sis_setup.write_config(config_text.format(steps=3))
    second = sis_setup.run_manager(config)
    assert second.returncode == 0, second.output
    assert sis_setup.job_dirs("Extendable.*") == [job_dir]  # same id: steps is not hashed
    assert (sis_setup.root / "output/steps.txt").read_text() == "3"
    assert (job_dir / "work/history.txt").read_text() == "from 0 to 2\nfrom 2 to 3\n"
    assert "RETRY OR CONTINUE TASK" in (job_dir / "log.run.1").read_text()


def test_update_adds_inputs_once_the_current_ones_exist(sis_setup):
    sis_setup.write("testjobs/jobs.py", JOBS)
    config = sis_setup.write_config("""
        from recipe.sis_api import tk
        from testjobs.jobs import Write, Concat, Dynamic
        counter = Concat([Write("a").out, Write("b").out, Write("c").out])   # out_count = 3
        tk.register_output("dynamic.txt", Dynamic(counter.out_count).out)
    """)
    result = sis_setup.run_manager(config)
    assert result.returncode == 0, result.output
    assert (sis_setup.root / "output/dynamic.txt").read_text() == "p0+p1+p2"


def test_callbacks_and_reports_run_once_their_paths_exist(sis_setup):
    sis_setup.write("testjobs/jobs.py", JOBS)
    config = sis_setup.write_config("""
        from recipe.sis_api import tk
        from testjobs.jobs import Write, Concat

        def note(path, suffix):
            with open("callback.txt", "a") as f:
                f.write(open(path.get_path()).read() + suffix + "\\n")

        joined = Concat([Write("r").out, Write("s").out], sep=",")
        tk.register_callback(note, joined.out, suffix="!")
        tk.register_report("report.txt", {"count": joined.out_count}, template="count={count}")
    """)
    result = sis_setup.run_manager(config)
    assert result.returncode == 0, result.output
    assert (sis_setup.root / "callback.txt").read_text() == "r,s!\n"
    assert (sis_setup.root / "output/report.txt").read_text() == "count=2\n"
    again = sis_setup.run_manager(config)
    assert again.returncode == 0, again.output
    assert (sis_setup.root / "callback.txt").read_text() == "r,s!\nr,s!\n"  # once per manager run, as RWTH


def test_failing_callback_is_reported(sis_setup):
    sis_setup.write("testjobs/jobs.py", JOBS)
    config = sis_setup.write_config("""
        from recipe.sis_api import tk
        from testjobs.jobs import Write

        def broken(path):
            raise ValueError("callback broke")

        tk.register_callback(broken, Write("q").out)
    """)
    result = sis_setup.run_manager(config)
    assert result.returncode == 1, result.output
    assert "callback broke" in result.output
