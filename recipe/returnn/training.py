"""``ReturnnTrainingJob`` (train a RETURNN TF model) and ``GetBestCheckpointJob`` (pick an epoch by a score)."""

import os
import re

from recipe.file_path import path_string
from recipe.job_environment import with_hashed_versions
from recipe.returnn.checkpoint import Checkpoint
from recipe.returnn.config import ReturnnConfig
from recipe.returnn.launcher import session_post_config, task_rqmt
from recipe.returnn.progress import PROGRESS_LOG, describe_training, progress_log_settings, read_progress
from recipe.sis_api import Job, Task

__all__ = ["ReturnnTrainingJob", "GetBestCheckpointJob", "Checkpoint", "check_tensorflow_backend"]

JOB_ARGUMENT_KEYS = ("num_epochs", "save_interval", "device", "log_verbosity", "model", "log", "load")
"""RETURNN settings the training job sets itself (from its arguments or its directory)."""

CHECKPOINT_INDEX = re.compile(r"^epoch\.(\d+)\.index$")


def check_tensorflow_backend(returnn_config, job_name):
    """Raise unless the config selects RETURNN's TF net-dict backend (the jobs handle TF checkpoints)."""
    if returnn_config.get("use_tensorflow") is True or returnn_config.get("backend") == "tensorflow-net-dict":
        return
    raise ValueError(f"{job_name}: the ReturnnConfig must select the TF net-dict backend: add "
                     f"'use_tensorflow': True (found backend={returnn_config.get('backend')!r})")


def _job_dir_of(output_path):
    """The job directory of an output path ``<job>/output/<name>``."""
    path = output_path.get_path()
    while os.path.basename(os.path.dirname(path)) != "output":
        path = os.path.dirname(path)
    return os.path.dirname(os.path.dirname(path))


class ReturnnTrainingJob(Job):
    """Train a RETURNN (TensorFlow) model from a :class:`ReturnnConfig`.

    Hashed: the ReturnnConfig's hashed part plus the job's defaults (``task='train'``, ``target='classes'``,
    ``learning_rate_file``). Not hashed: ``num_epochs``, ``save_interval``, ``keep_epochs``, ``device``,
    ``log_verbosity``, every rqmt (TensorFlow's thread pools follow ``cpu_rqmt``: ``tf_session_opts`` in the config
    as run) and ``returnn_python_exe``, so the same training has one id on CPU and GPU machines
    and raising ``num_epochs`` continues the same job directory from its last checkpoint. ``hashed_versions``
    ({name: version}, opt-in, :func:`recipe.job_environment.pinned_versions`) is hashed when given (None: not hashed,
    ids as without it); the tasks then refuse to run under other versions.

    Outputs: ``out_returnn_config_file`` (the config as run, runnable by hand), ``out_model_dir``,
    ``out_checkpoints`` ({epoch: Checkpoint}, each available as soon as its files exist), ``out_learning_rates``
    (copied when training ends), ``out_plot_se`` (PNG of train/dev score and error per epoch),
    ``out_peak_memory`` (JSON: peak RSS and GPU memory of RETURNN, the maximum over the runs of a resumed training;
    see :mod:`recipe.returnn.peak_memory`).

    Finished when the tasks create_files, run (resumable: a killed run continues from its last checkpoint) and plot
    are done and the checkpoint of ``num_epochs`` exists. With a raised ``num_epochs`` a finished job reopens: the
    markers of run and plot are removed (create_files stays done; run rewrites the config), so the manager sees run
    as interrupted_resumable and resumes it in the same directory (the task-state rule sislite shares with RWTH
    Sisyphus; not once the job was cleaned up into ``finished.tar.gz``).
    """

    def __init__(self, returnn_config, *, log_verbosity=3, device="cpu", num_epochs=1, save_interval=1,
                 keep_epochs=None, time_rqmt=4, mem_rqmt=4, cpu_rqmt=2, returnn_python_exe=None,
                 hashed_versions=None):
        self.returnn_config = self.final_config(returnn_config)
        self.hashed_versions = hashed_versions
        if not isinstance(num_epochs, int) or num_epochs < 1:
            raise ValueError(f"ReturnnTrainingJob(num_epochs={num_epochs!r}): must be a positive int")
        if not isinstance(save_interval, int) or save_interval < 1:
            raise ValueError(f"ReturnnTrainingJob(save_interval={save_interval!r}): must be a positive int")
        self.log_verbosity = log_verbosity
        self.device = device
        self.num_epochs = num_epochs
        self.save_interval = save_interval
        if keep_epochs is not None and "cleanup_old_models" in self.returnn_config:
            raise ValueError("ReturnnTrainingJob: give keep_epochs or 'cleanup_old_models' in the config, not both")
        self.keep_epochs = None if keep_epochs is None else sorted(set(keep_epochs))
        self.returnn_python_exe = returnn_python_exe
        self.rqmt = task_rqmt("ReturnnTrainingJob", device, cpu_rqmt, mem_rqmt, time_rqmt)

        self.out_returnn_config_file = self.output_path("returnn.config")
        self.out_learning_rates = self.output_path("learning_rates")
        self.out_model_dir = self.output_path("models", directory=True)
        self.out_plot_se = self.output_path("score_and_error.png")
        self.out_peak_memory = self.output_path("peak_memory.json")
        self.out_checkpoints = {epoch: self.checkpoint_of_epoch(epoch) for epoch in self.checkpoint_epochs()}

    CHECKPOINT_FILE = CHECKPOINT_INDEX
    """The file name (regular expression, epoch as group 1) of an epoch's checkpoint marker in the model directory."""

    def checkpoint_of_epoch(self, epoch):
        """The output Checkpoint of ``epoch`` (the TF ``models/epoch.NNN.index``)."""
        return Checkpoint(self.output_path(f"models/epoch.{epoch:03d}.index"))

    @staticmethod
    def check_backend(returnn_config):
        """Raise unless the config selects the backend this job trains (TF net-dict)."""
        check_tensorflow_backend(returnn_config, "ReturnnTrainingJob")

    def backend_post_config(self):
        """The backend's unhashed run settings: TF's thread pools and GPU memory options (``tf_session_opts``)."""
        return session_post_config(self.returnn_config, self.rqmt["cpu"], self.device)

    @classmethod
    def final_config(cls, returnn_config):
        """The hashed training config: the user's config with the job's defaults; rejects settings the job owns."""
        if not isinstance(returnn_config, ReturnnConfig):
            raise TypeError(f"ReturnnTrainingJob needs a recipe.returnn.config.ReturnnConfig, got "
                            f"{type(returnn_config).__name__}")
        owned = sorted(key for key in JOB_ARGUMENT_KEYS if key in returnn_config)
        if owned:
            raise ValueError(f"ReturnnTrainingJob: {owned} must not be in the ReturnnConfig; pass them as job "
                             f"arguments (num_epochs=..., device=..., log_verbosity=...) or drop them")
        cls.check_backend(returnn_config)
        defaults = {"task": "train", "target": "classes", "learning_rate_file": "learning_rates"}
        if returnn_config.get("task", "train") != "train":
            raise ValueError(f"ReturnnTrainingJob: config task={returnn_config.get('task')!r}; use 'train' or drop it")
        missing = {key: value for key, value in defaults.items() if key not in returnn_config}
        return returnn_config.updated(config=missing)

    @classmethod
    def hash(cls, parsed_args):
        return super().hash(with_hashed_versions({"returnn_config": cls.final_config(parsed_args["returnn_config"])},
                                                 parsed_args))

    def checkpoint_epochs(self):
        """Epochs whose checkpoints are outputs: every save_interval-th, the last one, filtered by keep_epochs."""
        epochs = set(range(self.save_interval, self.num_epochs, self.save_interval)) | {self.num_epochs}
        if self.keep_epochs is not None:
            epochs = {epoch for epoch in epochs if epoch in self.keep_epochs} | {self.num_epochs}
        return sorted(epochs)

    def run_config(self):
        """The config as run: the hashed config plus device, num_epochs, model path, thread and log settings (stdout at
        ``log_verbosity``, ``work/returnn.progress.log`` at 5 for :meth:`info`)."""
        post = {"device": self.device, "num_epochs": self.num_epochs, "save_interval": self.save_interval,
                "model": os.path.join(self.out_model_dir.get_path(), "epoch"),
                **progress_log_settings(self.log_verbosity),
                **self.backend_post_config()}
        if self.keep_epochs is not None:
            post["cleanup_old_models"] = {"keep": sorted(set(self.keep_epochs) | {self.num_epochs})}
        return self.returnn_config.updated(post_config=post)

    def tasks(self):
        yield Task("create_files", resume="create_files", mini_task=True)  # idempotent: safe to rerun
        yield Task("run", resume="run", rqmt=self.rqmt)
        yield Task("plot", resume="plot", mini_task=True)

    # --- tasks ---
    def create_files(self):
        self.run_config().write(self.out_returnn_config_file,
                                header_comment=f"Sisyphus job: {_job_dir_of(self.out_returnn_config_file)}")

    def run(self):
        from recipe.returnn.launcher import run_returnn
        from recipe.returnn.peak_memory import record_peak_memory
        from recipe.atomic_output import copy_atomically

        self.create_files()  # rewritten on every start: num_epochs may have been raised since
        peak = run_returnn(self.out_returnn_config_file.get_path(), python_exe=self.returnn_python_exe,
                           cpu_threads=self.rqmt["cpu"], device=self.device)
        record_peak_memory(self.out_peak_memory.get_path(), peak)
        missing = [epoch for epoch in self.checkpoint_epochs() if not self.out_checkpoints[epoch].exists()]
        if missing:
            raise RuntimeError(f"RETURNN exited successfully but the checkpoints of epochs {missing} are missing in "
                               f"{self.out_model_dir.get_path()}; check 'cleanup_old_models' in the config")
        copy_atomically("learning_rates", self.out_learning_rates.get_path())

    def plot(self):
        from recipe.returnn.learning_curve import plot_learning_curve
        from recipe.returnn.learning_rates import read_learning_rates

        plot_learning_curve(read_learning_rates(self.out_learning_rates), self.out_plot_se.get_path())

    # --- Sisyphus hooks ---
    def last_checkpoint_epoch(self):
        """The highest epoch with a checkpoint (index file) in the model directory (0 if none)."""
        try:
            names = os.listdir(self.out_model_dir.get_path())
        except OSError:
            return 0
        epochs = [int(match.group(1)) for match in map(self.CHECKPOINT_FILE.match, names) if match]
        return max(epochs, default=0)

    def path_available(self, path):
        markers = {checkpoint.marker_path.get_path(): checkpoint for checkpoint in self.out_checkpoints.values()}
        checkpoint = markers.get(path_string(path))
        if checkpoint is not None:
            return checkpoint.exists()
        return super().path_available(path)

    def info(self):
        """``ep 2/5`` (epochs with a checkpoint); while RETURNN runs also the epoch in training, its progress, the
        frames per second and the ETA of the whole training (from ``work/returnn.progress.log``, see
        :mod:`recipe.returnn.progress`): ``ep 2/5, epoch 3 42%, 51.2k frames/s, ETA 3m10s``."""
        progress = read_progress(os.path.join(self.work_path(), PROGRESS_LOG))
        train = self.returnn_config.get("train")
        partition = train.get("partition_epoch", 1) if isinstance(train, dict) else 1
        if progress is not None and progress.kind == "train" and isinstance(partition, int) and partition > 1:
            progress.frames = progress.frames and progress.frames // partition  # RETURNN prints the whole dataset's frames; an epoch sees 1/partition
        return describe_training(progress, self.last_checkpoint_epoch(), self.num_epochs,
                                 self._recent_epoch_seconds())

    def _recent_epoch_seconds(self):
        """Mean train time of the last (up to 3) epochs RETURNN recorded in ``work/learning_rates``; None if none."""
        from recipe.returnn.learning_rates import read_learning_rates

        try:
            epochs = read_learning_rates(os.path.join(self.work_path(), "learning_rates"))
        except (OSError, ValueError):
            return None
        seconds = [data["scores"].get(":meta:epoch_train_time_secs") for data in epochs.values()]
        seconds = [value for value in seconds if value][-3:]
        return sum(seconds) / len(seconds) if seconds else None

    def learning_curve(self):
        """The scores per epoch (``{"dev_score": {1: 2.3, ...}, ...}``) for the status page of ``sis manager
        --http``: from RETURNN's ``work/learning_rates`` while it trains, else from ``out_learning_rates``; None
        before the first epoch."""
        from recipe.returnn.learning_rates import read_learning_rates

        for path in (os.path.join(self.work_path(), "learning_rates"), self.out_learning_rates.get_path()):
            try:
                epochs = read_learning_rates(path)
            except (OSError, ValueError):
                continue
            curves = {}
            for epoch, data in epochs.items():
                for key, value in data["scores"].items():
                    if not key.startswith(":"):  # RETURNN's :meta: entries
                        curves.setdefault(key, {})[epoch] = value
            return curves or None
        return None

    def completed_fraction(self):
        """Epochs with a checkpoint / num_epochs: the manager counts resubmissions without progress only, so
        continuing with a raised num_epochs (or after kills between epochs) never runs into retry_error."""
        return min(1.0, self.last_checkpoint_epoch() / self.num_epochs)

    def _sis_finished(self):
        """Finished as every job, and with the checkpoint of ``num_epochs`` (or archived): a pure query, so a job
        whose ``num_epochs`` was raised after it finished is not finished (``update`` then reopens it)."""
        if not super()._sis_finished():
            return False
        if self._extended_after_finishing():
            if hasattr(self, "_sis_is_finished"):
                self._sis_is_finished = False
            return False
        return True

    def _extended_after_finishing(self):
        job_dir = _job_dir_of(self.out_returnn_config_file)
        return not os.path.exists(os.path.join(job_dir, "finished.tar.gz")) and \
            self.last_checkpoint_epoch() < self.num_epochs

    def update(self):
        """Called by the manager (sislite and RWTH Sisyphus) when it decides what to run, once the inputs are
        available: if ``num_epochs`` was raised after the training finished, reopen the job so it continues from its
        last epoch. run and plot are resumable, so with their markers gone (their logs stay) the manager sees the job
        as interrupted_resumable and resubmits run with a freshly written job.save. create_files keeps its marker: run
        rewrites the config, and reopening a task without resume= would leave the job interrupted_not_resumable."""
        job_dir = _job_dir_of(self.out_returnn_config_file)
        if not os.path.isfile(os.path.join(job_dir, "finished")) or not self._extended_after_finishing():
            return
        for name in os.listdir(job_dir):
            if name == "finished" or name.startswith(("finished.run.", "finished.plot.")):
                os.unlink(os.path.join(job_dir, name))


class GetBestCheckpointJob(Job):
    """The checkpoint of the epoch with the lowest (``index=0``) or n-th lowest (``index=-1``: highest) value of
    ``key`` (e.g. ``"dev_score"``) in a training's ``learning_rates``; with ``max_epoch`` only epochs up to it count
    (and the training must have reached it), so the choice stays the same when the training runs on. RETURNN can
    ``load`` the output checkpoint for eval and forward: its ``.meta`` is a symbolic link to the chosen epoch's, which
    is where RETURNN reads the epoch from.

    Hashed: all arguments (``max_epoch`` only when given, so jobs from before it existed keep their ids).
    Outputs: ``out_epoch`` (Variable, the epoch) and ``out_checkpoint`` (Checkpoint:
    ``output/model/checkpoint.{index,data-00000-of-00001}`` hard links to that epoch's files, ``checkpoint.meta`` a
    symbolic link). Finished when both are written (a mini task).
    """

    __sis_hash_exclude__ = {"max_epoch": None}

    def __init__(self, model_dir, learning_rates, key="dev_score", index=0, max_epoch=None):
        if max_epoch is not None and (not isinstance(max_epoch, int) or max_epoch < 1):
            raise ValueError(f"GetBestCheckpointJob(max_epoch={max_epoch!r}): must be a positive int or None")
        self.model_dir = model_dir
        self.learning_rates = learning_rates
        self.key = key
        self.index = index
        self.max_epoch = max_epoch
        self.out_epoch = self.output_var("epoch")
        self.out_model_dir = self.output_path("model", directory=True)
        self.out_checkpoint = self.output_checkpoint()

    CHECKPOINT_SUFFIXES = (".data-00000-of-00001", ".index")
    """The files of an epoch's checkpoint, linked in this order (the last one marks the checkpoint complete)."""

    def output_checkpoint(self):
        """The output Checkpoint (TF: ``model/checkpoint.index``)."""
        return Checkpoint(self.output_path("model/checkpoint.index"))

    def output_prefix(self):
        """Where the chosen epoch's files go, without their suffixes (TF: the checkpoint prefix)."""
        return self.out_checkpoint.ckpt_path

    def tasks(self):
        yield Task("run", mini_task=True)

    def run(self):
        from recipe.returnn.learning_rates import epochs_with_score, read_learning_rates
        from recipe.atomic_output import link_or_copy_atomically, symlink_atomically

        scores = read_learning_rates(self.learning_rates)
        if not scores:
            raise ValueError(f"{self.learning_rates}: no epochs in the learning_rates file")
        last_keys = sorted(scores[max(scores)]["scores"])
        if self.key not in last_keys:
            raise KeyError(f"score key {self.key!r} is not in the last epoch of {self.learning_rates}; available: "
                           f"{[key for key in last_keys if not key.startswith(':')]}")
        scored = epochs_with_score(scores, self.key)
        if self.max_epoch is not None and max(scored, default=0) < self.max_epoch:
            raise ValueError(f"{self.learning_rates} ends at epoch {max(scored, default=0)}, but "
                             f"max_epoch={self.max_epoch}; train for at least max_epoch epochs")
        model_dir = self.model_dir.get_path()
        candidates = [epoch for epoch in scored
                      if os.path.exists(os.path.join(model_dir, f"epoch.{epoch:03d}{self.CHECKPOINT_SUFFIXES[-1]}"))
                      and (self.max_epoch is None or epoch <= self.max_epoch)]
        if not candidates:
            raise FileNotFoundError(f"no checkpoint in {model_dir} for any epoch with a {self.key!r} score"
                                    + ("" if self.max_epoch is None else f" up to epoch {self.max_epoch}"))
        best = sorted(candidates, key=lambda epoch: scores[epoch]["scores"][self.key])[self.index]
        source = os.path.join(model_dir, f"epoch.{best:03d}")
        target = self.output_prefix()
        if os.path.exists(source + ".meta"):  # RETURNN reads a checkpoint's epoch from where its .meta link points
            symlink_atomically(source + ".meta", target + ".meta")
        for suffix in self.CHECKPOINT_SUFFIXES:  # the last one marks the checkpoint complete
            if os.path.exists(source + suffix):
                link_or_copy_atomically(source + suffix, target + suffix)
        self.out_epoch.set(best)
