"""The parts of RWTH Sisyphus' API that used to give silently wrong results, and what RWTH-style recipes use:
``Job.sh`` (output, return codes, ``set -ueo pipefail``), assigning ``gs.WORK_DIR``, ``from sisyphus import *`` with
``setup_path(__package__)``, reflected operators on delayed values, and an async config run by ``sis manager``."""

import os
import subprocess

import pytest

import sislite
from sislite import global_settings as gs
from sislite.delayed_ops import Delayed, DelayedJoin
from sislite.job import Job, created_jobs
from sislite.tools import extract_paths, try_get


class Shell(Job):
    def __init__(self, word):
        self.word = word


@pytest.fixture
def shell_job():
    job = Shell("hello")
    yield job
    created_jobs().pop(job.job_id(), None)


def test_job_sh_returns_the_output_with_capture_output(shell_job):
    assert shell_job.sh("echo {word}", True) == "hello\n"
    assert shell_job.sh("echo {word} {x}", capture_output=True, x=1) == "hello 1\n"
    assert shell_job.sh("true") is None


def test_except_return_codes_add_to_zero(shell_job):
    assert shell_job.sh("exit 0", except_return_codes=(141,)) is None
    assert shell_job.sh("exit 141", except_return_codes=(141,)) is None
    with pytest.raises(subprocess.CalledProcessError):
        shell_job.sh("exit 3", except_return_codes=(141,))


def test_shell_commands_run_with_set_ueo_pipefail(shell_job):
    with pytest.raises(subprocess.CalledProcessError):
        shell_job.sh("false | true")
    with pytest.raises(subprocess.CalledProcessError):
        shell_job.sh("echo $UNSET_VARIABLE_OF_THIS_TEST")
    assert shell_job.sh("false | true", pipefail=False) is None


def test_assigning_gs_work_dir_moves_job_directories(shell_job, monkeypatch):
    monkeypatch.setattr(gs, "WORK_DIR", "elsewhere")
    assert shell_job._sis_path() == os.path.join("elsewhere", shell_job.job_id())
    assert shell_job.work_path().startswith(os.path.join(os.getcwd(), "elsewhere", ""))


def test_reflected_operators_and_join():
    value = Delayed(3)
    assert (2 - value).get() == -1 and (7 // value).get() == 2 and (2 ** value).get() == 8
    assert (9 / value).get() == 3 and ("%d" % 1 + Delayed("x")).get() == "1x"
    assert DelayedJoin([Delayed("a"), "b"], ",").get() == "a,b" and try_get(value) == 3


def test_extract_paths_finds_paths_in_objects():
    path = sislite.tk.Path("some/file")
    holder = sislite.tk.Object()
    holder.inputs = {"x": [path]}
    assert extract_paths(holder) == {path}


def test_star_import_gives_rwth_names():
    sislite.install_as_sisyphus()
    namespace = {}
    exec("from sisyphus import *", namespace)
    assert {"Job", "Task", "Path", "gs", "tk", "setup_path"} <= set(namespace)
    assert namespace["gs"] is gs and namespace["tk"].gs is gs


RWTH_STYLE_CONFIG = '''
from sisyphus import *
from testjobs.steps import Count

rel = setup_path(__package__)


async def py():
    first = Count(rel("start.txt"), 2)
    await tk.async_run(first.out)
    value = int(open(first.out.get_path()).read())  # known only once the job ran
    second, third = Count(first.out, value), Count(first.out, value + 1)
    await tk.async_gather(tk.async_run(second.out), tk.async_run(third.out))
    tk.register_output("third.txt", third.out)
'''

STEP_JOBS = '''
from sisyphus import Job, Task


class Count(Job):
    def __init__(self, start, add):
        self.start = start
        self.add = add
        self.out = self.output_path("n.txt")

    def tasks(self):
        yield Task("run", mini_task=True)

    def run(self):
        with open(self.out.get_path(), "w") as f:
            f.write(str(int(open(self.start.get_path()).read()) + self.add))
'''


def test_rwth_style_async_config_runs_to_the_end(sis_setup):
    sis_setup.write("testjobs/steps.py", STEP_JOBS)
    config = sis_setup.write_config(RWTH_STYLE_CONFIG)
    (sis_setup.root / "config" / "start.txt").write_text("1")
    settings = sis_setup.root / "settings.py"
    settings.write_text(settings.read_text() + "MANAGER_POLL_INTERVAL = 120\n")  # resuming must not wait for a poll
    result = sis_setup.run_manager(config, timeout=300)
    assert result.returncode == 0, result.output
    assert (sis_setup.root / "output" / "third.txt").read_text() == "7"  # 1 + 2 = 3; 3 + 4 = 7
    assert len(sis_setup.job_dirs("Count.*")) == 3


def test_tk_run_runs_the_jobs_behind_a_path_from_a_script(sis_setup):
    sis_setup.write("testjobs/steps.py", STEP_JOBS)
    (sis_setup.root / "start.txt").write_text("4")
    script = sis_setup.write("script.py", '''
        import sislite
        sislite.install_as_sisyphus()
        from sisyphus import tk
        from testjobs.steps import Count

        job = Count(Count(tk.Path("start.txt"), 1).out, 2)
        tk.run(job.out, quiet=True)
        print("result", open(job.out.get_path()).read())
    ''')
    result = subprocess.run([sis_setup.python, str(script)], cwd=sis_setup.root, env=sis_setup.env,
                            capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "result 7" in result.stdout
