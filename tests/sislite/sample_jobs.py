"""Small jobs used by the sislite end-to-end tests (copied into a temporary setup as ``testjobs/jobs.py``)."""

import os
import subprocess
import sys
import time

from sisyphus import Job, Task


class Write(Job):
    """Fan-out source: one task with ``parts`` ids, each writing one part; id 1 also writes ``out``."""

    def __init__(self, text, parts=1):
        self.text = text
        self.parts = parts
        self.out = self.output_path("out.txt")
        self.out_parts = self.output_path("parts", directory=True)

    def tasks(self):
        yield Task("run", args=range(1, self.parts + 1))

    def run(self, part):
        with open(os.path.join(self.out_parts.get_path(), f"{part}.txt"), "w") as f:
            f.write(f"{self.text}{part}")
        if part == 1:
            with open(self.out.get_path(), "w") as f:
                f.write(self.text)


class Concat(Job):
    """Fan-in: concatenates its inputs (``write`` then ``finish``, two tasks run one after another)."""

    def __init__(self, inputs, sep=""):
        self.inputs = inputs
        self.sep = sep
        self.out = self.output_path("out.txt")
        self.out_count = self.output_var("count")

    def tasks(self):
        yield Task("write", mini_task=True)
        yield Task("finish")

    def write(self):
        with open("partial.txt", "w") as f:
            f.write(self.sep.join(open(p.get_path()).read() for p in self.inputs))

    def finish(self):
        os.replace("partial.txt", self.out.get_path())
        self.out_count.set(len(self.inputs))


class Resumable(Job):
    """First run: marks ``work/started`` and sleeps (to be killed); a resumed run writes the output."""

    def __init__(self, name):
        self.name = name
        self.out = self.output_path("out.txt")

    def tasks(self):
        yield Task("run", resume="resume")

    def run(self):
        with open("started", "w") as f:
            f.write(str(os.getpid()))
        time.sleep(120)

    def resume(self):
        with open(self.out.get_path(), "w") as f:
            f.write("resumed after " + open("started").read())

    def info(self):
        return "step 1/2"


class Flaky(Job):
    """Fails while the file ``flag`` exists; ``tries`` as given."""

    def __init__(self, flag, tries=1):
        self.flag = flag
        self.tries = tries
        self.out = self.output_path("out.txt")

    def tasks(self):
        yield Task("run", tries=self.tries)

    def run(self):
        if os.path.exists(self.flag):
            if self.tries > 1:
                os.remove(self.flag)
            raise RuntimeError(f"deliberate failure because {self.flag} exists")
        with open(self.out.get_path(), "w") as f:
            f.write("ok")


class Sleeper(Job):
    """Sleeps ``seconds``; ``time_h`` is its time limit in hours. ``oom``: a subprocess fills more than the task's
    0.1 GB and is SIGKILLed (as an engine that enforces memory would); ``killed``: a small subprocess is SIGKILLed
    (a ``kill -9``)."""

    def __init__(self, seconds, time_h=1.0, oom=False, killed=False):
        self.seconds = seconds
        self.time_h = time_h
        self.oom = oom
        self.killed = killed
        self.out = self.output_path("out.txt")

    def tasks(self):
        yield Task("run", rqmt={"cpu": 1, "mem": 0.1 if self.oom else 0.5, "time": self.time_h})

    def run(self):
        if self.oom or self.killed:
            fill = "data = b'x' * (200 * 1024 ** 2); " if self.oom else ""
            subprocess.run([sys.executable, "-c", fill + "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"],
                           check=True)
        time.sleep(self.seconds)
        with open(self.out.get_path(), "w") as f:
            f.write("slept")


class Extendable(Job):
    """Its hash ignores ``steps``; raising ``steps`` reopens the finished job (like a training whose num_epochs
    was raised): ``_sis_finished`` says it is not finished, ``update`` (called by the manager when it decides what
    to run) removes the stale markers and the resumed task continues."""

    def __init__(self, name, steps=1):
        self.name = name
        self.steps = steps
        self.out = self.output_path("steps.txt")

    @classmethod
    def hash(cls, parsed_args):
        return super().hash({k: v for k, v in parsed_args.items() if k != "steps"})

    def tasks(self):
        yield Task("run", resume="run")

    def _done_steps(self):
        path = self.out.get_path()
        return int(open(path).read()) if os.path.exists(path) else 0

    def run(self):
        with open("history.txt", "a") as f:
            f.write(f"from {self._done_steps()} to {self.steps}\n")
        with open(self.out.get_path() + ".tmp", "w") as f:
            f.write(str(self.steps))
        os.replace(self.out.get_path() + ".tmp", self.out.get_path())

    def _sis_finished(self):
        if not super()._sis_finished():
            return False
        if self._done_steps() >= self.steps:
            return True
        self._sis_is_finished = False
        return False

    def update(self):
        if self._done_steps() >= self.steps:
            return
        for marker in ("finished", "finished.run.1"):
            path = os.path.join(self._sis_path(), marker)
            if os.path.exists(path):
                os.remove(path)


class Unloadable(Job):
    """Its pickled form cannot be loaded (as after a recipe change that breaks job.save)."""

    def __init__(self):
        self.out = self.output_path("out.txt")

    def tasks(self):
        yield Task("run")

    def run(self):
        pass

    def __setstate__(self, state):
        raise RuntimeError("job.save cannot be loaded on purpose")


class Dynamic(Job):
    """Its inputs depend on another job's result: ``update()`` reads ``count`` (a Variable) once it is available
    and adds that many Write jobs as inputs."""

    def __init__(self, count):
        self.count = count
        self.parts = []
        self.out = self.output_path("out.txt")

    def update(self):
        if not self.parts:
            self.parts = [Write(f"p{i}").out for i in range(self.count.get())]
            for part in self.parts:
                self.add_input(part)

    def tasks(self):
        yield Task("run")

    def run(self):
        with open(self.out.get_path(), "w") as f:
            f.write("+".join(open(p.get_path()).read() for p in self.parts))
