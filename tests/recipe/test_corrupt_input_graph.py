"""A finished job's output gets corrupted before a later job reads it (the issue's truncated baseline checkpoint, with
a JSON file standing in for it): the reader fails naming the file, the maker and the command; that command remakes
the maker and the graph finishes (``-co`` alone does not go round in circles without saying why)."""

import re

JOBS = '''
import json

from recipe.corrupt_input import reading
from recipe.sis_api import Job, Task


class MakeNumbers(Job):
    def __init__(self, count):
        self.count = count
        self.out_numbers = self.output_path("numbers.json")

    def tasks(self):
        yield Task("run", mini_task=True)

    def run(self):
        with open(self.out_numbers.get_path(), "w") as file:
            json.dump(list(range(self.count)), file)


class SumNumbers(Job):
    def __init__(self, numbers):
        self.numbers = numbers
        self.out_sum = self.output_path("sum.txt")

    def tasks(self):
        yield Task("run", mini_task=True)

    def run(self):
        path = self.numbers.get_path()
        with open(path) as file, reading(path, ValueError):
            numbers = json.load(file)
        with open(self.out_sum.get_path(), "w") as file:
            file.write(str(sum(numbers)))
'''


def test_a_corrupt_finished_output_is_remade_with_the_command_the_reader_names(sis_setup):
    sis_setup.write("testjobs/numbers.py", JOBS)
    first = sis_setup.write_config("""
        from recipe.sis_api import tk
        from testjobs.numbers import MakeNumbers
        tk.register_output("numbers.json", MakeNumbers(5).out_numbers)
    """, name="first")
    assert sis_setup.run_manager(first).returncode == 0
    [maker] = sis_setup.job_dirs("MakeNumbers.*")
    numbers = maker / "output" / "numbers.json"
    numbers.write_text(numbers.read_text()[:4])  # truncated after the job finished

    both = sis_setup.write_config("""
        from recipe.sis_api import tk
        from testjobs.numbers import MakeNumbers, SumNumbers
        tk.register_output("sum.txt", SumNumbers(MakeNumbers(5).out_numbers).out_sum)
    """)
    failed = sis_setup.run_manager(both)
    assert failed.returncode != 0
    job_dir = str(maker.relative_to(sis_setup.root))
    assert f"corrupt or truncated input {numbers}" in failed.output
    assert f"It was made by job {job_dir}" in failed.output
    command = re.search(r"in \S+: (mv \S+ \S+) && sis manager -r -co CONFIG", failed.output)
    assert command and command.group(1) == f"mv {job_dir} {job_dir}.corrupt", failed.output

    again = sis_setup.run_manager(both, extra_args=["-co"])  # clearing the reader alone: the same error, named
    assert again.returncode != 0 and f"It was made by job {job_dir}" in again.output

    maker.rename(f"{maker}.corrupt")  # the command the message gave
    remade = sis_setup.run_manager(both, extra_args=["-co"])
    assert remade.returncode == 0, remade.output
    assert (sis_setup.root / "output" / "sum.txt").read_text() == "10"
    assert (maker / "output" / "numbers.json").read_text() == "[0, 1, 2, 3, 4]"
