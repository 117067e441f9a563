"""``ExperimentReportJob``: the results table (Markdown, HTML, JSON) and learning curves of a set of experiments."""

import json
import os

from recipe.sis_api import Job, Task, tk

EXPERIMENT_KEYS = {
    "name": "row label (required)",
    "learning_rates": "the training's out_learning_rates (epochs, curves, training time)",
    "scores": "ReturnnEvalJob.out_scores, or a list of them ({dataset: {ce, fer, frames}})",
    "wer": "{dataset: ScoreWerJob.out_wer}",
    "checkpoint": "Checkpoint (or its .index Path) whose variables are counted as parameters",
    "num_params": "number of parameters, instead of counting a checkpoint",
    "epochs": "epochs trained (int or Variable), instead of the last epoch in learning_rates",
    "training_time": "seconds (number, Variable or Path to a file holding the number), instead of the usage files",
    "settings": "dict (or str) of the experiment's settings, shown as text",
    "job_id": "shown job id, instead of the id of the job that made learning_rates (or the scores)",
}


class ExperimentReportJob(Job):
    """One row per experiment: experiment, job id, epochs, FER and CE per dataset (from the eval jobs' scores),
    WER per dataset (from ScoreWerJob), parameters, training time, settings; plus one PNG with the learning curves
    of all trainings.

    ``experiments``: list of dicts with the keys of ``EXPERIMENT_KEYS`` (only ``name`` is required); every Path in
    them is an input, so the report runs once all results exist. Training time, when not given, is the run time
    the worker recorded for the training job (``used_time`` in the ``usage.run.*`` files of the job directory
    holding ``learning_rates``). The "Environment" section shows, per experiment, the versions, setup commit, host
    and device recorded in that job directory (:mod:`recipe.report.environment_table`).
    Hashes: ``experiments``, ``datasets``, ``title``. Outputs: ``out_json`` (see
    :mod:`recipe.report.results_table`), ``out_markdown``, ``out_html``, ``out_plot`` (learning_curves.png).
    Finished when all four exist (each written atomically, ``out_json`` last).
    """

    def __init__(self, experiments, datasets=("dev", "test"), title="Results"):
        names = []
        for position, experiment in enumerate(experiments):
            if not isinstance(experiment, dict) or "name" not in experiment:
                raise ValueError(f"ExperimentReportJob: experiment #{position} must be a dict with at least a "
                                 f"'name'; the keys are {sorted(EXPERIMENT_KEYS)}")
            unknown = sorted(set(experiment) - set(EXPERIMENT_KEYS))
            if unknown:
                raise ValueError(f"ExperimentReportJob: experiment {experiment['name']!r} has unknown keys "
                                 f"{unknown}; use {sorted(EXPERIMENT_KEYS)}")
            names.append(experiment["name"])
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"ExperimentReportJob: experiment names {duplicates} appear more than once; "
                             "give every experiment its own name")
        self.experiments = experiments
        self.datasets = tuple(datasets)
        self.title = title
        self.job_ids = [experiment.get("job_id") or _creator_id(experiment) for experiment in experiments]
        self.out_json = self.output_path("results.json")
        self.out_markdown = self.output_path("results.md")
        self.out_html = self.output_path("results.html")
        self.out_plot = self.output_path("learning_curves.png")

    def tasks(self):
        yield Task("run", mini_task=True, rqmt={"cpu": 1, "mem": 2, "time": 1})

    def run(self):
        from recipe.report.learning_curves import plot_learning_curves
        from recipe.report.results_table import render_html, render_markdown, table_columns
        from recipe.returnn.learning_rates import read_learning_rates
        from recipe.atomic_output import write_atomically

        rows, curves, environments = [], {}, []
        for experiment, job_id in zip(self.experiments, self.job_ids):
            learning_rates = None
            if experiment.get("learning_rates") is not None:
                learning_rates = read_learning_rates(experiment["learning_rates"])
                curves[experiment["name"]] = learning_rates
            rows.append(self._row(experiment, job_id, learning_rates))
            environments.append({"experiment": experiment["name"], **_environment(experiment)})
        plot_learning_curves(curves, self.out_plot, title=f"{self.title}: learning curves")
        report = {"title": self.title, "datasets": list(self.datasets),
                  "columns": [list(column) for column in table_columns(self.datasets)], "rows": rows,
                  "notes": ["FER: frame error rate, CE: frame-averaged cross entropy (RETURNN eval); "
                            "WER: word error rate of the decoded posteriors"],
                  "plot": os.path.basename(self.out_plot.get_path()), "environment": environments}
        write_atomically(self.out_markdown, render_markdown(report))
        write_atomically(self.out_html, render_html(report))
        write_atomically(self.out_json, json.dumps(report, indent=1) + "\n")

    def _row(self, experiment, job_id, learning_rates):
        row = {"experiment": experiment["name"], "job_id": job_id}
        row["epochs"] = _number(experiment.get("epochs"))
        if row["epochs"] is None and learning_rates:
            scored = [epoch for epoch, data in learning_rates.items() if data["scores"]]
            row["epochs"] = max(scored) if scored else None
        scores = _merged_scores(experiment.get("scores"), experiment["name"])
        wer = experiment.get("wer") or {}
        unknown = sorted(set(wer) - set(self.datasets))
        if unknown:
            raise ValueError(f"experiment {experiment['name']!r}: WER for datasets {unknown}, but the report "
                             f"shows {list(self.datasets)}; add them to datasets= or drop them")
        for dataset in self.datasets:
            row[f"{dataset}_fer"] = scores.get(dataset, {}).get("fer")
            row[f"{dataset}_ce"] = scores.get(dataset, {}).get("ce")
            row[f"{dataset}_wer"] = _read_json(wer[dataset])["wer"] if dataset in wer else None
        row["num_params"] = _number(experiment.get("num_params"))
        if row["num_params"] is None and experiment.get("checkpoint") is not None:
            row["num_params"] = count_checkpoint_parameters(experiment["checkpoint"])
        row["training_time"] = _number(experiment.get("training_time"))
        if row["training_time"] is None and experiment.get("learning_rates") is not None:
            row["training_time"] = recorded_run_time(_path_string(experiment["learning_rates"]))
        settings = experiment.get("settings")
        row["settings"] = settings if isinstance(settings, (dict, type(None))) else str(settings)
        return row


def _creator_id(experiment):
    """Id of the job that made the experiment's learning_rates (else its first scores file), if known."""
    candidates = [experiment.get("learning_rates")]
    scores = experiment.get("scores")
    candidates += list(scores) if isinstance(scores, (list, tuple)) else [scores]
    for path in candidates:
        creator = getattr(path, "creator", None)
        if creator is not None and hasattr(creator, "job_id"):
            return creator.job_id()
    return None


def _environment(experiment):
    """What made the experiment's training (the job holding learning_rates, else its first scores or WER file)."""
    from recipe.report.environment_table import environment_summary, job_dir_of

    scores = experiment.get("scores")
    candidates = [experiment.get("learning_rates")] + list(scores if isinstance(scores, (list, tuple)) else [scores])
    for path in candidates + list((experiment.get("wer") or {}).values()):
        if path is not None:
            return environment_summary(job_dir_of(_path_string(path)))
    return environment_summary(None)


def _path_string(path):
    return path.get_path() if hasattr(path, "get_path") else os.fspath(path)


def _read_json(path):
    with open(_path_string(path), encoding="utf-8") as file:
        return json.load(file)


def _number(value):
    """A number from a number, a Variable (``.get()``) or a Path to a text file; None stays None."""
    if value is None or isinstance(value, (int, float)):
        return value
    if isinstance(value, tk.Variable):
        return value.get()
    with open(_path_string(value), encoding="utf-8") as file:
        text = file.read().strip()
    return int(text) if text.lstrip("-").isdigit() else float(text)


def _merged_scores(scores, name):
    """{dataset: {ce, fer, frames}} from one or several eval ``out_scores`` files."""
    if scores is None:
        return {}
    merged = {}
    for path in scores if isinstance(scores, (list, tuple)) else [scores]:
        for dataset, values in _read_json(path).items():
            if dataset in merged:
                raise ValueError(f"experiment {name!r}: dataset {dataset!r} is in two scores files; "
                                 "give each dataset's scores once")
            merged[dataset] = values
    return merged


def recorded_run_time(output_file):
    """Seconds the worker recorded for the ``run`` task of the job whose output ``output_file`` is
    (``used_time`` hours in ``<job dir>/usage.run.*``, summed over task ids), or None if not recorded."""
    import ast
    import glob

    output_dir = os.path.dirname(os.path.abspath(output_file))
    if os.path.basename(output_dir) != "output":
        return None
    total, found = 0.0, False
    for usage_file in glob.glob(os.path.join(os.path.dirname(output_dir), "usage.run.*")):
        try:
            with open(usage_file, encoding="utf-8") as file:
                usage = ast.literal_eval(file.read())
            total += float(usage["used_time"]) * 3600.0
            found = True
        except (OSError, ValueError, SyntaxError, KeyError, TypeError):
            continue
    return total if found else None


def count_checkpoint_parameters(checkpoint):
    """Number of values in a TF checkpoint's model variables (without ``global_step`` and optimizer slots)."""
    import tensorflow as tf

    index = checkpoint.index_path if hasattr(checkpoint, "index_path") else checkpoint
    prefix = _path_string(index)
    if prefix.endswith(".index"):
        prefix = prefix[: -len(".index")]
    total = 0
    for name, shape in tf.train.list_variables(prefix):
        if name == "global_step" or "/Adam" in name or name.startswith(("optimizer", "_")):
            continue
        count = 1
        for size in shape:
            count *= size
        total += count
    return total
