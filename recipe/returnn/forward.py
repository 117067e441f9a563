"""``ReturnnForwardJob``: posteriors (the output layer's activations) of a checkpoint on one dataset, to HDF."""

import os

from recipe.job_environment import with_hashed_versions
from recipe.returnn.evaluation import DATASET_KEYS, RUN_KEYS, ReturnnEvalJob
from recipe.returnn.launcher import session_post_config, task_rqmt
from recipe.returnn.progress import PROGRESS_LOG, describe_pass, progress_log_settings, read_progress
from recipe.sis_api import Job, Task


def forward_config(returnn_config, model_checkpoint, dataset, output_layer):
    """The hashed RETURNN config that forwards ``dataset`` through ``model_checkpoint`` (``task = "forward"``)."""
    base = returnn_config.without(*DATASET_KEYS, *RUN_KEYS, "cleanup_old_models")
    settings = {"task": "forward", "load": model_checkpoint, "eval": dataset, "forward_output_layer": output_layer}
    if "forward_batch_size" not in base:
        # Batching can change outputs (padding), so the forward batch size is part of the hashed config.
        settings["forward_batch_size"] = base.get("batch_size", 20000)
    return base.updated(config=settings)


class ReturnnForwardJob(Job):
    """Forward one dataset through a TF checkpoint with RETURNN's ``task = "forward"``.

    Hashed: ``model_checkpoint``, ``returnn_config`` (hashed part, its own datasets dropped), ``dataset`` and
    ``output_layer``. Not hashed: device, log_verbosity, rqmt, returnn_python_exe;
    ``hashed_versions`` only when given (opt-in, as in ReturnnTrainingJob).
    Output: ``out_hdf`` (``output.hdf``, RETURNN's forward format: ``inputs`` [sum of frames, dim], ``seqLengths``,
    ``seqTags``) and ``out_returnn_config_file``. Finished when the HDF is moved into ``output/`` after RETURNN
    exited successfully.
    """

    def __init__(self, model_checkpoint, returnn_config, dataset, *, output_layer="output", log_verbosity=3,
                 device="cpu", time_rqmt=1, mem_rqmt=2, cpu_rqmt=1, returnn_python_exe=None,
                 hashed_versions=None):
        if not isinstance(dataset, dict):
            raise TypeError(f"ReturnnForwardJob(dataset=...) must be a RETURNN dataset dict, got "
                            f"{type(dataset).__name__}")
        self.check_model(model_checkpoint, returnn_config)
        self.model_checkpoint = model_checkpoint
        self.returnn_config = returnn_config
        self.dataset = dataset
        self.output_layer = output_layer
        self.log_verbosity = log_verbosity
        self.device = device
        self.returnn_python_exe = returnn_python_exe
        self.hashed_versions = hashed_versions
        self.rqmt = task_rqmt("ReturnnForwardJob", device, cpu_rqmt, mem_rqmt, time_rqmt)
        self.out_returnn_config_file = self.output_path("returnn.config")
        self.out_hdf = self.output_path("output.hdf")

    @staticmethod
    def check_model(model_checkpoint, returnn_config):
        """TypeError/ValueError unless these are a TF Checkpoint and a TF net-dict ReturnnConfig."""
        ReturnnEvalJob.check_arguments(model_checkpoint, returnn_config, {"data": {}})

    def run_config(self, output_file):
        """The config as run: the hashed forward config plus device, log, output file and TF session settings."""
        config = forward_config(self.returnn_config, self.model_checkpoint, self.dataset, self.output_layer)
        return config.updated(post_config={"device": self.device, **progress_log_settings(self.log_verbosity),
                                           "output_file": output_file,
                                           **session_post_config(config, self.rqmt["cpu"], self.device)})

    @classmethod
    def hash(cls, parsed_args):
        hashed = {key: parsed_args[key] for key in ("model_checkpoint", "returnn_config", "dataset", "output_layer")}
        return super().hash(with_hashed_versions(hashed, parsed_args))

    def tasks(self):
        yield Task("run", resume="run", rqmt=self.rqmt)

    def info(self):
        """While RETURNN runs: its progress, ``forward 17/40 seqs (42%), ETA 12s``; None otherwise."""
        progress = read_progress(os.path.join(self.work_path(), PROGRESS_LOG))
        return None if progress is None else describe_pass(progress)

    def run(self):
        from recipe.returnn.launcher import run_returnn
        from recipe.atomic_output import move_into_place

        work_hdf = os.path.abspath("output.hdf.partial")
        if os.path.exists(work_hdf):
            os.unlink(work_hdf)
        config = self.run_config(work_hdf)
        config.write(self.out_returnn_config_file, header_comment=f"forward of {self.model_checkpoint}")
        run_returnn(self.out_returnn_config_file.get_path(), python_exe=self.returnn_python_exe,
                    cpu_threads=self.rqmt["cpu"], device=self.device)
        if not os.path.exists(work_hdf):
            raise RuntimeError(f"RETURNN exited successfully but wrote no {work_hdf}")
        move_into_place(work_hdf, self.out_hdf.get_path())
