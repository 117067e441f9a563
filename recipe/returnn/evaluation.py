"""``ReturnnEvalJob``: cross-entropy and frame error rate of a checkpoint per dataset, from RETURNN's own ``eval``."""

import os

from recipe.job_environment import with_hashed_versions
from recipe.returnn.checkpoint import Checkpoint
from recipe.returnn.config import ReturnnConfig
from recipe.returnn.launcher import session_post_config, task_rqmt
from recipe.returnn.progress import PROGRESS_LOG, describe_pass, progress_log_settings, read_progress
from recipe.returnn.training import check_tensorflow_backend
from recipe.sis_api import Job, Task

DATASET_KEYS = ("train", "dev", "eval", "eval_datasets", "forward_data", "search_data")
RUN_KEYS = ("task", "load", "model", "learning_rate_file", "num_epochs", "import_model_train_epoch1",
            "preload_from_files")


def eval_config(returnn_config, model_checkpoint, dataset, loss_name):
    """The hashed RETURNN config that evaluates ``model_checkpoint`` on one dataset (``eval``), writing per-sequence
    length, score and error: the model config without its datasets, training and preload settings."""
    base = returnn_config.without(*DATASET_KEYS, *RUN_KEYS, "cleanup_old_models")
    return base.updated(config={"task": "eval", "load": model_checkpoint, "eval": dataset, "loss_name": loss_name,
                                "output_per_seq_format": ["seq_tag", "seq_len", "score", "error"]})


def read_per_seq_file(filename):
    """RETURNN's per-sequence eval file (``tag;length;score;error``, score and error normalised per frame) as
    ``[{"tag": str, "frames": int, "ce": float, "fer": float}]`` in file order."""
    records = []
    with open(filename) as file:
        for line in file:
            if not line.strip():
                continue
            tag, length, score, error = line.strip().rsplit(";", 3)
            records.append({"tag": tag, "frames": int(length), "ce": float(score), "fer": float(error)})
    return records


def sum_per_seq_scores(records, source):
    """``{"ce": float, "fer": float, "frames": int}`` (frame-weighted averages) of :func:`read_per_seq_file`'s
    records; ``source`` names the file in the error for an empty dataset."""
    frames = sum(record["frames"] for record in records)
    if not frames:
        raise ValueError(f"{source}: RETURNN evaluated no frames (empty dataset?)")
    return {"ce": sum(record["ce"] * record["frames"] for record in records) / frames,
            "fer": sum(record["fer"] * record["frames"] for record in records) / frames, "frames": int(frames)}


class ReturnnEvalJob(Job):
    """Evaluate a TF checkpoint with RETURNN's ``task = "eval"`` on each dataset of ``eval_datasets``
    (``{name: RETURNN dataset dict}``).

    Hashed: ``model_checkpoint``, ``returnn_config`` (its hashed part; its own datasets and training settings are
    dropped), ``eval_datasets`` and ``loss_name``. Not hashed: device, log_verbosity, rqmt, returnn_python_exe;
    ``hashed_versions`` only when given (opt-in, as in ReturnnTrainingJob).
    Outputs: ``out_scores`` = JSON ``{name: {"ce": float, "fer": float, "frames": int}}`` (frame-weighted cross-entropy
    and frame error rate of the ``loss_name`` loss); ``out_per_sequence`` = JSON ``{name: [{"tag", "frames", "ce",
    "fer"}]}`` (per sequence, CE and FER per frame of that sequence: what confidence intervals and paired tests over
    utterances need). Finished when both are written (``out_scores`` last), after all datasets ran.
    """

    def __init__(self, model_checkpoint, returnn_config, eval_datasets, *, loss_name="output", log_verbosity=3,
                 device="cpu", time_rqmt=1, mem_rqmt=2, cpu_rqmt=1, returnn_python_exe=None,
                 hashed_versions=None):
        self.check_arguments(model_checkpoint, returnn_config, eval_datasets)
        self.model_checkpoint = model_checkpoint
        self.returnn_config = returnn_config
        self.eval_datasets = eval_datasets
        self.loss_name = loss_name
        self.log_verbosity = log_verbosity
        self.device = device
        self.returnn_python_exe = returnn_python_exe
        self.hashed_versions = hashed_versions
        self.rqmt = task_rqmt("ReturnnEvalJob", device, cpu_rqmt, mem_rqmt, time_rqmt)
        self.out_scores = self.output_path("scores.json")
        self.out_per_sequence = self.output_path("per_sequence.json")

    @staticmethod
    def check_arguments(model_checkpoint, returnn_config, eval_datasets):
        if not isinstance(model_checkpoint, Checkpoint):
            raise TypeError(f"ReturnnEvalJob needs a Checkpoint (e.g. training.out_checkpoints[N]), got "
                            f"{type(model_checkpoint).__name__}")
        if not isinstance(returnn_config, ReturnnConfig):
            raise TypeError(f"ReturnnEvalJob needs a ReturnnConfig, got {type(returnn_config).__name__}")
        check_tensorflow_backend(returnn_config, "ReturnnEvalJob")
        if not isinstance(eval_datasets, dict) or not eval_datasets:
            raise ValueError("ReturnnEvalJob(eval_datasets=...) must be a non-empty dict {name: dataset dict}")
        for name in eval_datasets:
            if not isinstance(name, str) or not name.replace("-", "_").isidentifier():
                raise ValueError(f"ReturnnEvalJob: dataset name {name!r} must be a simple name like 'dev'")

    @classmethod
    def hash(cls, parsed_args):
        hashed = {key: parsed_args[key] for key in ("model_checkpoint", "returnn_config", "eval_datasets", "loss_name")}
        return super().hash(with_hashed_versions(hashed, parsed_args))

    def tasks(self):
        yield Task("run", resume="run", rqmt=self.rqmt)

    def info(self):
        """While it runs: the dataset being evaluated and RETURNN's progress on it, ``dev (1/2): 'eval' eval 17/40
        seqs (42%), ETA 12s`` (RETURNN calls every dataset of this job 'eval'); just ``dev (1/2)`` until RETURNN's
        first step on it; None once every dataset is evaluated."""
        names = sorted(self.eval_datasets)
        work = self.work_path()
        done = [name for name in names if os.path.exists(os.path.join(work, f"eval.{name}.per_seq.txt"))]
        if len(done) == len(names):
            return None
        progress = read_progress(os.path.join(work, PROGRESS_LOG))
        current = names[len(done)]
        position = f"{current} ({len(done) + 1}/{len(names)})"
        return position if progress is None or progress.finished else f"{position}: {describe_pass(progress)}"

    def run(self):
        from recipe.returnn.launcher import run_returnn
        from recipe.atomic_output import write_json_atomically

        scores, per_sequence = {}, {}
        for name, dataset in sorted(self.eval_datasets.items()):
            per_seq_file = os.path.abspath(f"eval.{name}.per_seq.txt")
            config = eval_config(self.returnn_config, self.model_checkpoint, dataset, self.loss_name)
            config = config.updated(post_config={"device": self.device, **progress_log_settings(self.log_verbosity),
                                                 "eval_output_file_per_seq": per_seq_file,
                                                 **session_post_config(config, self.rqmt["cpu"], self.device)})
            config_file = os.path.abspath(f"eval.{name}.config")
            config.write(config_file, header_comment=f"evaluation of {self.model_checkpoint} on {name!r}")
            run_returnn(config_file, python_exe=self.returnn_python_exe, cpu_threads=self.rqmt["cpu"],
                        device=self.device)
            per_sequence[name] = read_per_seq_file(per_seq_file)
            scores[name] = sum_per_seq_scores(per_sequence[name], per_seq_file)
            print(f"recipe.returnn: {name}: {scores[name]}", flush=True)
        write_json_atomically(self.out_per_sequence, per_sequence, indent=None, sort_keys=True)
        write_json_atomically(self.out_scores, scores, indent=2, sort_keys=True)
