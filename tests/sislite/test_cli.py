"""The `sis` command: hand-over to RWTH Sisyphus when it is installed (SISLITE_FORCE=1 keeps sislite), config
strings with arguments, `sis m` alias and `--config`, no run without -r when stdin is not a terminal."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

FAKE_RWTH = {
    "sisyphus/__init__.py": "",
    "sisyphus/job.py": "class JobSingleton(type):\n    pass\n",
    "sisyphus/manager.py": "",
    "sisyphus/__main__.py": "import os, sys\n\n\ndef main():\n    print('RWTH SISYPHUS', sys.argv[1:])\n"
                            "    print('LAUNCHER EXECUTABLE', os.access(sys.argv[0], os.X_OK))\n",
}


def _fake_rwth(tmp_path):
    for name, text in FAKE_RWTH.items():
        (tmp_path / "fake" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "fake" / name).write_text(text)
    return tmp_path / "fake"


def _sis(args, cwd, env):
    return subprocess.run([sys.executable, "-m", "sislite", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=60)


def test_hands_the_command_line_to_rwth_sisyphus_when_installed(tmp_path):
    fake = _fake_rwth(tmp_path)
    env = dict(os.environ, PYTHONPATH=f"{REPO}:{fake}")
    env.pop("SISLITE_FORCE", None)
    result = _sis(["manager", "-r", "config/x.py"], tmp_path, env)
    assert result.returncode == 0, result.stderr
    assert "RWTH SISYPHUS ['manager', '-r', 'config/x.py']" in result.stdout
    # RWTH re-executes sys.argv to start a worker: its first element must be a program, not a .py file.
    assert "LAUNCHER EXECUTABLE True" in result.stdout


def test_sislite_force_keeps_sislite_and_unrelated_sisyphus_is_ignored(tmp_path):
    fake = _fake_rwth(tmp_path)
    env = dict(os.environ, PYTHONPATH=f"{REPO}:{fake}", SISLITE_FORCE="1")
    result = _sis(["manager", "-r", "config/missing.py"], tmp_path, env)
    assert "RWTH SISYPHUS" not in result.stdout
    unrelated = tmp_path / "unrelated"
    (unrelated / "sisyphus").mkdir(parents=True)
    (unrelated / "sisyphus" / "__init__.py").write_text("")  # e.g. the PyPI project named sisyphus
    env = dict(os.environ, PYTHONPATH=f"{REPO}:{unrelated}")
    env.pop("SISLITE_FORCE", None)
    result = _sis(["manager", "-r", "config/missing.py"], tmp_path, env)
    assert "sis: config 'config/missing.py': no config/ or config.py in" in result.stderr + result.stdout


def test_config_arguments_alias_and_dry_run(sis_setup):
    sis_setup.write("testjobs/jobs.py", (Path(__file__).parent / "sample_jobs.py").read_text())
    sis_setup.write_config("""
        from recipe.sis_api import tk
        from testjobs.jobs import Write

        def run_with(text, parts):
            tk.register_output("w.txt", Write(text, parts=parts).out)
    """, name="args")
    dry = subprocess.run(sis_setup.command("m", "config/args.run_with('t', 2)"), cwd=sis_setup.root,
                         env=sis_setup.env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
    assert dry.returncode == 0 and "add -r to run" in dry.stdout and "runnable(1)" in dry.stdout
    assert not (sis_setup.root / "work").exists() or not sis_setup.job_dirs()
    result = subprocess.run(sis_setup.command("--config", "config/args.run_with('t', 2)", "m", "-r"),
                            cwd=sis_setup.root, env=sis_setup.env, capture_output=True, text=True,
                            stdin=subprocess.DEVNULL, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (sis_setup.root / "output/w.txt").read_text() == "t"
    [job_dir] = sis_setup.job_dirs("Write.*")
    assert sorted(p.name for p in (job_dir / "output/parts").iterdir()) == ["1.txt", "2.txt"]


def test_graph_runs_without_sislite_force_when_rwth_sisyphus_is_absent(sis_setup):
    sis_setup.write("testjobs/jobs.py", (Path(__file__).parent / "sample_jobs.py").read_text())
    config = sis_setup.write_config("""
        from recipe.sis_api import tk
        from testjobs.jobs import Write, Concat
        tk.register_output("c.txt", Concat([Write("z", parts=2).out]).out)
    """)
    sis_setup.env.pop("SISLITE_FORCE")
    result = sis_setup.run_manager(config)
    assert result.returncode == 0, result.output
    assert (sis_setup.root / "output/c.txt").read_text() == "z"


def test_console_runs_commands_with_the_graph_loaded(sis_setup):
    sis_setup.write("testjobs/jobs.py", (Path(__file__).parent / "sample_jobs.py").read_text())
    sis_setup.write_config("""
        from recipe.sis_api import tk
        from testjobs.jobs import Write, Concat
        tk.register_output("c.txt", Concat([Write("z").out]).out)
    """)
    commands = ["-c", "print(sorted(j.split('.')[0] for j in jobs))",
                "-c", "print(sorted({s for s, _, _ in manager.update_states().values()}))"]
    result = subprocess.run(sis_setup.command("c", "config/main.py", *commands, "--script"),
                            cwd=sis_setup.root, env=sis_setup.env, capture_output=True, text=True, timeout=60,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    assert "['testjobs/jobs/Concat', 'testjobs/jobs/Write']" in result.stdout
    assert "['runnable', 'waiting']" in result.stdout
