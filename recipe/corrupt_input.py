"""A corrupt or truncated input file, named at the job that reads it: which file, which job made it, and the command
that has that job remade.

Readers wrap the code that parses an input in :func:`reading` with the exception types that mean "this file is
broken" for that format (h5py's ``OSError``, TF's ``IndexError: Read less bytes than requested`` ...); such an
error becomes a :class:`CorruptInputError` whose message ends with the fix. A file under another job's
``work/<module>/<Class>.<hash>/output/`` was made by that job, which is finished (its output looked complete), so
clearing the reader's error alone would fail the same way again: the command moves the maker's directory aside (it
is kept, as ``<dir>.corrupt``) and reruns the manager with ``-co``, which remakes the maker and then reruns the
reader. A file of no job is the user's own and must be replaced by hand.
"""

import contextlib
import os
import re

JOB_OUTPUT = re.compile(r"^(?P<base>.*?)/(?P<job>work/(?:[^/]+/)*[A-Za-z_]\w*\.[A-Za-z0-9_-]{8,})/output/")
"""``<setup>/work/<module path>/<Class>.<hash>/output/...``: the setup directory and the job directory."""


class CorruptInputError(RuntimeError):
    """An input file that cannot be read as its format; ``path`` is the file, ``job_dir`` the job that made it (or
    None)."""

    def __init__(self, path, problem, job_dir=None, message=None):
        self.path, self.problem, self.job_dir = path, problem, job_dir
        super().__init__(message or f"{path}: {problem}")


def making_job(path):
    """``(setup directory, job directory relative to it)`` of the job whose output ``path`` is, or ``None``."""
    found = JOB_OUTPUT.match(os.path.abspath(os.fspath(path)))
    return (found.group("base"), found.group("job")) if found else None


def remake_command(job_dir):
    """The shell command (run in the setup directory) that has the job ``job_dir`` made again."""
    return f"mv {job_dir} {job_dir}.corrupt && sis manager -r -co CONFIG (your config, e.g. config/transfer.py)"


def corrupt_input_error(path, problem):
    """A :class:`CorruptInputError` for ``path`` whose message names the file, its job and the fix."""
    path = os.path.abspath(os.fspath(path))
    maker = making_job(path)
    if maker is None:
        return CorruptInputError(path, problem, None, (
            f"corrupt or truncated input {path}: {problem}. No job of this setup made it: replace the file by a "
            f"good copy, then clear this error with sis manager -r -co CONFIG"))
    setup_dir, job_dir = maker
    return CorruptInputError(path, problem, job_dir, (
        f"corrupt or truncated input {path}: {problem}. It was made by job {job_dir} (in {setup_dir}), which counts "
        f"as finished; clearing only this job's error would fail the same way. Have that job remade, in "
        f"{setup_dir}: {remake_command(job_dir)}"))


@contextlib.contextmanager
def reading(path, *errors, describe=None):
    """Turn ``errors`` raised inside the block into :class:`CorruptInputError` for ``path`` (a missing file is left
    as it is: that is not corruption). ``describe(error)`` may give the problem text (default: the error)."""
    try:
        yield
    except CorruptInputError:
        raise
    except errors as error:
        if not os.path.exists(os.fspath(path)):
            raise
        problem = describe(error) if describe else f"{type(error).__name__}: {str(error).strip()}"
        raise corrupt_input_error(path, problem.splitlines()[0] if problem else type(error).__name__) from error
