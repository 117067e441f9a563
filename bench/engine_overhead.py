"""sislite overhead figures (prints them; not a test).

1. A chain of N trivial jobs run by `sis manager -r` with the local engine: wall time, per-hop overhead
   (wall time minus the manager's start-up, divided by N), and the wall time of a rerun of the finished chain.
2. A graph of M jobs, all finished: construction + hashing, state check, and the wall time of `sis manager -r`
   on it (start-up, config import, state check, output links).

    .venv/bin/python bench/engine_overhead.py [--chain 20] [--graph 10000]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SETTINGS = """
WAIT_PERIOD_JOB_FS_SYNC = 0
WAIT_PERIOD_JOB_CLEANUP = 0
WAIT_PERIOD_MTIME_OF_INPUTS = 0
SKIP_IS_FINISHED_TIMEOUT = True
CLEANUP_ENVIRONMENT = False
def engine():
    from sisyphus.localengine import LocalEngine
    return LocalEngine(cpus=2, gpus=0)
"""

JOBS = '''
from sisyphus import Job, Task


class Step(Job):
    def __init__(self, previous, index):
        self.previous = previous
        self.index = index
        self.out = self.output_path("out.txt")

    def tasks(self):
        yield Task("run")

    def run(self):
        text = open(self.previous.get_path()).read() if self.previous is not None else ""
        with open(self.out.get_path(), "w") as f:
            f.write(text + str(self.index) + "\\n")


class Node(Job):
    def __init__(self, inputs, index):
        self.inputs = inputs
        self.index = index
        self.out = self.output_path("out.txt")

    def tasks(self):
        yield Task("run")

    def run(self):
        pass
'''

CHAIN_CONFIG = """
from sisyphus import tk
from benchjobs.jobs import Step
previous = None
for i in range({n}):
    previous = Step(previous.out if previous is not None else None, i)
tk.register_output("chain.txt", previous.out)
"""

GRAPH_CONFIG = """
from sisyphus import tk
from benchjobs.jobs import Node
nodes = []
for i in range({m}):
    inputs = [nodes[i - 1].out] if i else []
    if i >= 2:
        inputs.append(nodes[i // 2].out)
    nodes.append(Node(inputs, i))
for i in range(0, {m}, 1000):
    tk.register_output(f"node{{i}}.txt", nodes[i].out)
tk.register_output("last.txt", nodes[-1].out)
"""

GRAPH_TIMING = """
import os, sys, time
sys.path.insert(0, os.getcwd())
import sislite
sislite.install_as_sisyphus()
t0 = time.perf_counter()
from sislite import toolkit
from sislite.loader import load_config
load_config("config/graph.py")
t1 = time.perf_counter()
from sislite import global_settings as gs
from sislite.manager import Manager
manager = Manager(gs.engine(), toolkit.registered_outputs(), link=False)
states = manager.update_states()
t2 = time.perf_counter()
assert all(s == "finished" for s, _, _ in states.values()), set(s for s, _, _ in states.values())
print(f"{len(states)} {t1 - t0:.3f} {t2 - t1:.3f}")
"""

MARK_FINISHED = """
import os, sys
sys.path.insert(0, os.getcwd())
import sislite
sislite.install_as_sisyphus()
from sislite.loader import load_config
from sislite.job import created_jobs
load_config("config/graph.py")
for job in created_jobs().values():
    os.makedirs(job._sis_path("output"), exist_ok=True)
    open(job._sis_path("output/out.txt"), "w").close()
    open(job._sis_path("finished"), "w").close()
print(len(created_jobs()))
"""


def make_setup(root):
    os.makedirs(os.path.join(root, "config"))
    os.makedirs(os.path.join(root, "benchjobs"))
    for package in ("config", "benchjobs"):
        open(os.path.join(root, package, "__init__.py"), "w").close()
    with open(os.path.join(root, "settings.py"), "w") as f:
        f.write(SETTINGS)
    with open(os.path.join(root, "benchjobs", "jobs.py"), "w") as f:
        f.write(JOBS)


def env():
    environment = dict(os.environ, SISLITE_FORCE="1", PYTHONPATH=REPO, OMP_NUM_THREADS="1")
    environment.pop("PYTHONDONTWRITEBYTECODE", None)  # measure with byte-code caches, as a normal install has
    return environment


def sis(root, *args):
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "sislite", *args], cwd=root, env=env(), capture_output=True,
                            text=True, stdin=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"sis {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return wall


def bench_chain(n):
    with tempfile.TemporaryDirectory() as root:
        make_setup(root)
        with open(os.path.join(root, "config", "chain.py"), "w") as f:
            f.write(textwrap.dedent(CHAIN_CONFIG.format(n=n)))
        with open(os.path.join(root, "config", "empty.py"), "w") as f:
            f.write("from sisyphus import tk\n")
        startup = min(sis(root, "manager", "-r", "config/empty.py") for _ in range(3))
        wall = sis(root, "manager", "-r", "config/chain.py")
        rerun = sis(root, "manager", "-r", "config/chain.py")
        lines = open(os.path.join(root, "output", "chain.txt")).read().split()
        assert lines == [str(i) for i in range(n)], lines
    print(f"chain of {n} trivial jobs: {wall:.2f} s wall; per hop {(wall - startup) / n * 1000:.0f} ms "
          f"(manager start-up {startup:.2f} s); rerun of the finished chain: {rerun:.2f} s")


def bench_graph(m):
    with tempfile.TemporaryDirectory() as root:
        make_setup(root)
        with open(os.path.join(root, "config", "graph.py"), "w") as f:
            f.write(textwrap.dedent(GRAPH_CONFIG.format(m=m)))
        subprocess.run([sys.executable, "-c", MARK_FINISHED], cwd=root, env=env(), check=True, capture_output=True)
        out = subprocess.run([sys.executable, "-c", GRAPH_TIMING], cwd=root, env=env(), check=True,
                             capture_output=True, text=True).stdout.split()
        jobs, build, check = int(out[0]), float(out[1]), float(out[2])
        wall = sis(root, "manager", "-r", "config/graph.py")
    print(f"all-finished graph of {jobs} jobs: construction + hashing {build:.2f} s, state check {check:.2f} s, "
          f"total {build + check:.2f} s; `sis manager -r` on it: {wall:.2f} s wall")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chain", type=int, default=20)
    parser.add_argument("--graph", type=int, default=10000)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, load average {os.getloadavg()[0]:.1f}")
    bench_chain(args.chain)
    bench_graph(args.graph)


if __name__ == "__main__":
    main()
