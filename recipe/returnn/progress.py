"""Progress of a running RETURNN process, read from its progress log (what the jobs' ``info()`` shows in
``sis manager`` and on its status page).

The RETURNN jobs give the config they run a second log target, :data:`PROGRESS_LOG` in the job's ``work/``
directory, at verbosity 5 (:func:`progress_log_settings`), while stdout (the task log) keeps the job's
``log_verbosity``. At verbosity 5 RETURNN writes one line per step of every pass over a dataset::

    train epoch 3, step 41, cost:output 0.35, ..., elapsed 0:01:10, exp. remaining 0:02:01, complete 36.50%
    epoch 3 'dev' eval, step 1, ..., elapsed 0:00:04, exp. remaining 0:00:04, complete 50.00%

(RETURNN's PyTorch backend: ``ep 3 train, step 41, ce 0.35, ...`` and ``ep 3 dev eval, step 1, ...``), and at its
start the size of its datasets (``  HDFDataset, sequences: 200, frames: 1018240`` below ``Train data:``).
Only the file's tail (and, for the dataset sizes, its head) is read, so calling this on every manager pass is cheap
even for a long training. Frames are RETURNN's frames of the ``data`` input: samples for a raw-waveform model.
"""

import re
from dataclasses import dataclass
from typing import Optional

from recipe.task_log import read_head, read_tail

PROGRESS_LOG = "returnn.progress.log"
"""Name of the progress log in the job's ``work/`` directory (RETURNN runs with ``work/`` as its cwd)."""

TAIL_BYTES = 64 * 1024
HEAD_BYTES = 64 * 1024

STEP_LINE = re.compile(r"^(?P<prefix>.+?), step (?P<step>\d+), .*elapsed (?P<elapsed>[\d:.]+), "
                       r"exp\. remaining (?P<remaining>[\d:.]+), complete (?P<complete>[\d.]+)%")
FINISHED_LINE = re.compile(r"^(?P<prefix>.+?), finished after (?P<steps>\d+) steps, (?P<elapsed>[\d:.]+) elapsed")
PASS_PREFIX = re.compile(r"^(?:pre)?train epoch (?P<train_epoch>\d+)$|^epoch (?P<epoch>\d+) '(?P<dataset>[^']+)' "
                         r"(?P<kind>eval)$|^epoch (?P<other_epoch>\d+) (?P<other>forward|search|analyze)$"
                         # RETURNN's PyTorch backend: "ep 3 train", "ep 3 dev eval", "ep 3 <dataset> forward"
                         r"|^ep (?P<torch_train_epoch>\d+) train$|^ep (?P<torch_epoch>\d+) (?P<torch_dataset>\S+) "
                         r"(?P<torch_kind>eval)$|^ep (?P<torch_other_epoch>\d+) \S+ (?P<torch_other>forward)$")
DATA_HEADER = re.compile(r"^(?P<name>Train|Dev|Eval) data:$")
DATA_SIZE = re.compile(r"^  \w+, sequences: (?P<seqs>\d+|unknown)(?:, frames: (?P<frames>\d+|unknown))?")
STARTUP = "RETURNN starting up"


def progress_log_settings(log_verbosity):
    """The post_config entries that add the progress log beside stdout (which keeps ``log_verbosity``). RETURNN
    appends to the file, so a resumed training continues it."""
    return {"log": [f"./{PROGRESS_LOG}"], "log_verbosity": [5, log_verbosity]}


@dataclass
class PassProgress:
    """The latest pass of RETURNN over a dataset, as its progress log shows it."""

    kind: str  # "train", "eval", "forward", "search" or "analyze"
    epoch: Optional[int]
    dataset: str  # "train", the eval dataset's name ("dev"), or "data" for forward/search
    step: int
    complete: float  # fraction of the pass done, 0 .. 1
    elapsed: float  # seconds since the pass started
    remaining: Optional[float]  # RETURNN's estimate of the seconds left in this pass; None once finished
    finished: bool
    seqs: Optional[int] = None  # sequences of the pass's dataset, if RETURNN printed them
    frames: Optional[int] = None

    def frames_per_second(self):
        """Frames of the dataset processed per second so far; None if unknown or too early to tell."""
        if not self.frames or self.elapsed < 1:
            return None
        return self.frames * self.complete / self.elapsed

    def seqs_done(self):
        return None if self.seqs is None else min(self.seqs, int(round(self.seqs * self.complete)))


def parse_duration(text):
    """Seconds of RETURNN's ``h:mm:ss`` (optionally ``.ffff``) durations; hours may exceed 24."""
    seconds = 0.0
    for part in text.split(":"):
        seconds = seconds * 60 + float(part)
    return seconds


def dataset_sizes(lines):
    """``{"train": (seqs, frames), "dev": ..., "eval": ...}`` from the dataset blocks RETURNN prints at its start
    (the last start among ``lines``); counts RETURNN calls unknown are None."""
    start = max((i for i, line in enumerate(lines) if line.startswith(STARTUP)), default=0)
    sizes, current = {}, None
    for line in lines[start:]:
        header = DATA_HEADER.match(line)
        if header:
            current = header.group("name").lower()
            continue
        size = DATA_SIZE.match(line) if current else None
        if size:
            sizes.setdefault(current, tuple(None if value in (None, "unknown") else int(value)
                                            for value in size.group("seqs", "frames")))
            current = None
    return sizes


def _pass_of(prefix):
    match = PASS_PREFIX.match(prefix)
    if not match:
        return None
    if match.group("train_epoch") or match.group("torch_train_epoch"):
        return "train", int(match.group("train_epoch") or match.group("torch_train_epoch")), "train"
    if match.group("kind") or match.group("torch_kind"):
        return "eval", int(match.group("epoch") or match.group("torch_epoch")), \
            match.group("dataset") or match.group("torch_dataset")
    if match.group("torch_other"):
        return match.group("torch_other"), int(match.group("torch_other_epoch")), "data"
    return match.group("other"), int(match.group("other_epoch")), "data"


def latest_pass(lines, sizes=None):
    """The :class:`PassProgress` of the last step or finish line among ``lines``; None if there is none."""
    for line in reversed(lines):
        step, finished = STEP_LINE.match(line), None
        if not step:
            finished = FINISHED_LINE.match(line)
            if not finished:
                continue
        match = step or finished
        described = _pass_of(match.group("prefix"))
        if described is None:
            continue
        kind, epoch, dataset = described
        size_key = dataset if kind in ("train", "eval") else "eval"  # RETURNN prints train, dev and eval data
        seqs, frames = (sizes or {}).get(size_key, (None, None))
        if step:
            return PassProgress(kind, epoch, dataset, int(step.group("step")), float(step.group("complete")) / 100,
                                parse_duration(step.group("elapsed")), parse_duration(step.group("remaining")),
                                False, seqs, frames)
        return PassProgress(kind, epoch, dataset, int(finished.group("steps")), 1.0,
                            parse_duration(finished.group("elapsed")), None, True, seqs, frames)
    return None


def read_progress(path):
    """The latest :class:`PassProgress` in the progress log ``path``; None if the file does not exist (yet) or shows
    no step. Dataset sizes come from the last RETURNN start in the tail, else from the file's head."""
    try:
        tail = read_tail(path, TAIL_BYTES).splitlines()
        sizes = dataset_sizes(tail) if any(line.startswith(STARTUP) for line in tail) else \
            dataset_sizes(read_head(path, HEAD_BYTES).splitlines())
    except OSError:
        return None
    return latest_pass(tail, sizes)


def format_duration(seconds):
    """``1h02m``, ``3m10s``, ``42s``."""
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


def format_rate(frames_per_second):
    for factor, unit in ((1e6, "M"), (1e3, "k")):
        if frames_per_second >= factor:
            return f"{frames_per_second / factor:.1f}{unit} frames/s"
    return f"{frames_per_second:.0f} frames/s"


def training_eta(progress, num_epochs, previous_epoch_seconds=None):
    """Seconds until epoch ``num_epochs`` is trained (dev evaluation between epochs is not counted); None when too
    early to tell. The current epoch's length is extrapolated from its train pass so far, blended with
    ``previous_epoch_seconds`` (the length of earlier epochs, if known) by the fraction done: early in an epoch the
    earlier epochs count most, late in it the measured pace."""
    if progress is None or progress.kind != "train":
        return None
    done = 1.0 if progress.finished else progress.complete
    if previous_epoch_seconds:
        epoch_seconds = progress.elapsed + (1 - done) * previous_epoch_seconds
    elif done > 0 and progress.elapsed >= 1:
        epoch_seconds = progress.elapsed / done
    else:
        return None
    return max(0.0, epoch_seconds - progress.elapsed) + max(0, num_epochs - progress.epoch) * epoch_seconds


def describe_training(progress, checkpoint_epoch, num_epochs, previous_epoch_seconds=None):
    """What the manager shows for a training: ``ep 2/5, epoch 3 42%, 51.2k frames/s, ETA 3m10s`` (the first part
    counts epochs with a checkpoint; the rest appears once the progress log shows the epoch). See
    :func:`training_eta` for ``previous_epoch_seconds``."""
    parts = [f"ep {checkpoint_epoch}/{num_epochs}"]
    if progress is None or progress.finished or checkpoint_epoch >= num_epochs or progress.epoch is None:
        return parts[0]
    if progress.kind == "train":
        parts.append(f"epoch {progress.epoch} {progress.complete:.0%}")
        rate = progress.frames_per_second()
        if rate:
            parts.append(format_rate(rate))
        eta = training_eta(progress, num_epochs, previous_epoch_seconds)
        if eta is not None:
            parts.append(f"ETA {format_duration(eta)}")
    else:
        parts.append(f"epoch {progress.epoch} {describe_pass(progress)}")
    return ", ".join(parts)


def describe_pass(progress):
    """A pass of an evaluation or forward run: ``'dev' eval 17/40 seqs (42%), ETA 12s``."""
    label = f"{progress.dataset!r} {progress.kind}" if progress.kind == "eval" else progress.kind
    done = progress.seqs_done()
    amount = f"{done}/{progress.seqs} seqs ({progress.complete:.0%})" if done is not None else \
        f"{progress.complete:.0%}"
    text = f"{label} {amount}"
    if progress.remaining is not None and progress.elapsed >= 1:
        text += f", ETA {format_duration(progress.remaining)}"
    return text
