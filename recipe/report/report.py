"""``ExperimentReportJob``: the results table (Markdown, HTML, JSON) and learning curves of a set of experiments,
each trained with one or more seeds, with confidence intervals and paired significance tests over utterances."""

import json
import os

from recipe.file_path import path_string
from recipe.sis_api import Job, Task, tk

RUN_KEYS = {
    "seed": "the run's seed (shown)",
    "learning_rates": "the training's out_learning_rates (epochs, curves, training time)",
    "scores": "ReturnnEvalJob.out_scores, or a list of them ({dataset: {ce, fer, frames}})",
    "per_sequence": "ReturnnEvalJob.out_per_sequence, or a list of them (per-utterance FER and CE)",
    "wer": "{dataset: ScoreWerJob.out_wer}",
    "per_utterance": "{dataset: ScoreWerJob.out_per_utterance} (per-utterance word errors)",
    "checkpoint": "Checkpoint (or its .index Path) whose variables are counted as parameters",
    "num_params": "number of parameters, instead of counting a checkpoint",
    "epochs": "epochs trained (int or Variable), instead of the last epoch in learning_rates",
    "chosen_epoch": "the evaluated epoch (int or Variable, e.g. GetBestCheckpointJob.out_epoch)",
    "training_time": "seconds (number, Variable or Path to a file holding the number), instead of the usage files",
    "job_id": "shown job id, instead of the id of the job that made learning_rates (or the scores)",
}
EXPERIMENT_KEYS = {
    "name": "row label (required)",
    "settings": "dict (or str) of the experiment's settings, shown as text",
    "runs": "list of dicts with the keys of RUN_KEYS, one per seed; without it the experiment is its only run",
    **RUN_KEYS,
}
MEASURES = ("fer", "ce", "wer")
"""What the table shows per dataset: frame error rate, cross entropy (RETURNN eval), word error rate."""


def runs_of(experiment):
    """The experiment's runs: its ``runs`` list, or the experiment itself as the only run."""
    return experiment["runs"] if "runs" in experiment else [experiment]


class ExperimentReportJob(Job):
    """One row per experiment: seeds, epochs trained, the epoch each seed was evaluated at, FER, CE and WER per
    dataset as mean ± standard deviation over the seeds, 95 % confidence intervals (bootstrap over utterances, of
    the seed-averaged system), for every ``comparisons`` pair ``(system, reference)`` the p-value of a paired test
    over utterances (approximate randomisation; see :mod:`recipe.report.statistics`), parameters, training time,
    settings, job ids; a plain-language line per comparison; one PNG with the learning curves (mean over seeds, band:
    range over seeds).

    ``experiments``: list of dicts with the keys of ``EXPERIMENT_KEYS`` (only ``name`` is required), each either one
    run or a ``runs`` list of per-seed dicts with the keys of ``RUN_KEYS``; every Path in them is an input, so the
    report runs once all results exist. Intervals and tests need the per-utterance results (``per_sequence``,
    ``per_utterance``); without them those cells stay empty. Training time, when not given, is the run time the
    worker recorded for the training job (``used_time`` in the ``usage.run.*`` files of the job directory holding
    ``learning_rates``); peak memory is what the training recorded beside it (``peak_memory.json``; the largest
    over the seeds). ``significance``: the (dataset, measure) whose p-values and intervals the table shows (all
    of them are in the JSON); default the last dataset's WER. The "Environment" section shows, per experiment, the
    versions, setup commit, host and device recorded in the job directory of its first run
    (:mod:`recipe.report.environment_table`).
    Hashes: ``experiments``, ``datasets``, ``title``, ``comparisons`` and ``significance`` (the last two only when
    given, so reports from before them keep their ids). Outputs: ``out_json`` (see
    :mod:`recipe.report.results_table`; per-seed numbers under each row's ``runs``), ``out_markdown``,
    ``out_html`` (table sortable by clicking a column header), ``out_plot`` (learning_curves.png). Finished when all
    four exist (each written atomically, ``out_json`` last).
    """

    __sis_hash_exclude__ = {"comparisons": (), "significance": None}

    def __init__(self, experiments, datasets=("dev", "test"), title="Results", comparisons=(), significance=None):
        names = []
        for position, experiment in enumerate(experiments):
            if not isinstance(experiment, dict) or "name" not in experiment:
                raise ValueError(f"ExperimentReportJob: experiment #{position} must be a dict with at least a "
                                 f"'name'; the keys are {sorted(EXPERIMENT_KEYS)}")
            _check_keys(experiment)
            names.append(experiment["name"])
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"ExperimentReportJob: experiment names {duplicates} appear more than once; "
                             "give every experiment its own name")
        self.experiments = experiments
        self.datasets = tuple(datasets)
        self.title = title
        self.comparisons = tuple(tuple(pair) for pair in comparisons)
        for pair in self.comparisons:
            unknown = [name for name in pair if name not in names]
            if len(pair) != 2 or unknown:
                raise ValueError(f"ExperimentReportJob: comparison {pair!r} must be a pair (system, reference) of "
                                 f"experiment names; unknown: {unknown}; the experiments are {names}")
        self.significance = None if significance is None else tuple(significance)
        if self.significance is not None and (len(self.significance) != 2 or self.significance[0] not in
                                              self.datasets or self.significance[1] not in MEASURES):
            raise ValueError(f"ExperimentReportJob(significance={significance!r}): give (dataset, measure) with a "
                             f"dataset of {list(self.datasets)} and a measure of {list(MEASURES)}")
        self.job_ids = [[run.get("job_id") or _creator_id(run) for run in runs_of(experiment)]
                        for experiment in experiments]
        self.out_json = self.output_path("results.json")
        self.out_markdown = self.output_path("results.md")
        self.out_html = self.output_path("results.html")
        self.out_plot = self.output_path("learning_curves.png")

    def tasks(self):
        yield Task("run", mini_task=True, rqmt={"cpu": 1, "mem": 2, "time": 1})

    def run(self):
        from recipe.atomic_output import write_atomically
        from recipe.report.learning_curves import plot_learning_curves
        from recipe.report.results_table import render_html, render_markdown, table_columns
        from recipe.report.statistics import CONFIDENCE, RESAMPLES
        from recipe.returnn.learning_rates import read_learning_rates

        significance = self.significance or (self.datasets[-1], "wer")
        rows, curves, utterances, plotted, environments = [], {}, {}, set(), []
        for experiment, job_ids in zip(self.experiments, self.job_ids):
            runs = runs_of(experiment)
            learning_rates = [read_learning_rates(run["learning_rates"]) if run.get("learning_rates") is not None
                              else None for run in runs]
            sources = tuple(path_string(run["learning_rates"]) for run in runs if run.get("learning_rates"))
            if sources and sources not in plotted:  # a training shared by two rows is drawn once
                plotted.add(sources)
                curves[experiment["name"]] = [curve for curve in learning_rates if curve is not None]
            per_seed = [self._run_row(experiment["name"], run, job_id, curve)
                        for run, job_id, curve in zip(runs, job_ids, learning_rates)]
            utterances[experiment["name"]] = {
                (dataset, measure): _utterance_results(runs, dataset, measure, experiment["name"])
                for dataset in self.datasets for measure in MEASURES}
            rows.append(self._row(experiment, per_seed, utterances[experiment["name"]]))
            environments.append({"experiment": experiment["name"], **_environment(runs[0])})
        comparisons = self._compare(rows, utterances)
        plot_learning_curves(curves, self.out_plot, title=f"{self.title}: learning curves")
        seeds = sorted({len(row["runs"]) for row in rows})
        notes = ["FER: frame error rate, CE: frame-averaged cross entropy (RETURNN eval); WER: word error rate of "
                 "the decoded posteriors",
                 f"values: mean ± standard deviation over the seeds ({'/'.join(map(str, seeds))} per experiment); "
                 "'epoch used': the evaluated checkpoint of each seed",
                 f"{100 * CONFIDENCE:.0f} % CI: percentile bootstrap over utterances of the seed-averaged system; "
                 "p: two-sided paired approximate randomisation test over utterances of the seed-averaged systems "
                 f"({RESAMPLES} resamples) against the named reference"]
        report = {"title": self.title, "datasets": list(self.datasets), "significance": list(significance),
                  "columns": [list(column) for column in table_columns(
                      self.datasets, [reference for _, reference in self.comparisons], significance)],
                  "rows": rows, "comparisons": comparisons,
                  "notes": notes, "plot": os.path.basename(self.out_plot.get_path()), "environment": environments}
        write_atomically(self.out_markdown, render_markdown(report))
        write_atomically(self.out_html, render_html(report))
        write_atomically(self.out_json, json.dumps(report, indent=1) + "\n")

    def _run_row(self, name, run, job_id, learning_rates):
        """The per-seed numbers of one run."""
        row = {"seed": run.get("seed"), "job_id": job_id, "epochs": _number(run.get("epochs")),
               "chosen_epoch": _number(run.get("chosen_epoch"))}
        if row["epochs"] is None and learning_rates:
            scored = [epoch for epoch, data in learning_rates.items() if data["scores"]]
            row["epochs"] = max(scored) if scored else None
        scores = _merged_scores(run.get("scores"), name)
        wer = run.get("wer") or {}
        for key in ("wer", "per_utterance"):
            unknown = sorted(set(run.get(key) or {}) - set(self.datasets))
            if unknown:
                raise ValueError(f"experiment {name!r}: {key} for datasets {unknown}, but the report shows "
                                 f"{list(self.datasets)}; add them to datasets= or drop them")
        for dataset in self.datasets:
            row[f"{dataset}_fer"] = scores.get(dataset, {}).get("fer")
            row[f"{dataset}_ce"] = scores.get(dataset, {}).get("ce")
            row[f"{dataset}_wer"] = _read_json(wer[dataset])["wer"] if dataset in wer else None
        row["num_params"] = _number(run.get("num_params"))
        if row["num_params"] is None and run.get("checkpoint") is not None:
            row["num_params"] = count_checkpoint_parameters(run["checkpoint"])
        row["training_time"] = _number(run.get("training_time"))
        if row["training_time"] is None and run.get("learning_rates") is not None:
            row["training_time"] = recorded_run_time(path_string(run["learning_rates"]))
        row["peak_memory"] = None
        if run.get("learning_rates") is not None:
            row["peak_memory"] = recorded_peak_memory(path_string(run["learning_rates"]))
        return row

    def _row(self, experiment, per_seed, utterances):
        """The table row: means and standard deviations over the seeds, intervals over utterances."""
        from recipe.report.statistics import bootstrap_interval, mean_and_std, ratio

        row = {"experiment": experiment["name"], "seeds": [run["seed"] for run in per_seed],
               "epochs": _single_or_list([run["epochs"] for run in per_seed]),
               "chosen_epochs": [run["chosen_epoch"] for run in per_seed]}
        for dataset in self.datasets:
            for measure in MEASURES:
                key = f"{dataset}_{measure}"
                row[key], row[f"{key}_std"] = mean_and_std([run[key] for run in per_seed])
                matrix = utterances[(dataset, measure)]
                if matrix is None:
                    row[f"{key}_ci"] = None
                    continue
                _tags, numerators, denominators = matrix
                seed_mean = numerators.mean(axis=0)
                if row[key] is None:
                    row[key] = ratio(seed_mean, denominators)
                interval = bootstrap_interval(seed_mean, denominators)
                row[f"{key}_ci"] = None if interval is None else list(interval)
        row["num_params"] = per_seed[0]["num_params"]
        row["training_time"] = mean_and_std([run["training_time"] for run in per_seed])[0]
        row["peak_memory"] = largest_peak_memory([run["peak_memory"] for run in per_seed])
        settings = experiment.get("settings")
        row["settings"] = settings if isinstance(settings, (dict, type(None))) else str(settings)
        row["job_ids"] = [run["job_id"] for run in per_seed]
        row["job_id"] = row["job_ids"][0]
        row["runs"] = per_seed
        return row

    def _compare(self, rows, utterances):
        """Paired tests of every comparison on every dataset and measure with per-utterance results; adds the
        table's p-values to the system's row and returns the comparison records."""
        import numpy

        from recipe.report.statistics import describe_comparison, paired_test

        significance = self.significance or (self.datasets[-1], "wer")
        by_name = {row["experiment"]: row for row in rows}
        records = []
        for system, reference in self.comparisons:
            by_name[system][f"p_{reference}"] = None
            for dataset in self.datasets:
                for measure in MEASURES:
                    ours, theirs = utterances[system][(dataset, measure)], utterances[reference][(dataset, measure)]
                    if ours is None or theirs is None:
                        continue
                    if ours[0] != theirs[0] or not numpy.allclose(ours[2], theirs[2]):
                        raise ValueError(f"{system} and {reference} were scored on different {dataset} utterances "
                                         f"or references ({measure}); evaluate both on the same corpus split")
                    result = paired_test(ours[1].mean(axis=0), theirs[1].mean(axis=0), ours[2])
                    text = describe_comparison(system, reference, dataset, measure.upper(), result,
                                               percent=measure != "ce")
                    records.append({"system": system, "reference": reference, "dataset": dataset,
                                    "measure": measure, **result, "ci": None if result["ci"] is None
                                    else list(result["ci"]), "text": text})
                    if (dataset, measure) == significance:
                        by_name[system][f"p_{reference}"] = result["p_value"]
        return records


def _check_keys(experiment):
    name = experiment["name"]
    unknown = sorted(set(experiment) - set(EXPERIMENT_KEYS))
    if unknown:
        raise ValueError(f"ExperimentReportJob: experiment {name!r} has unknown keys {unknown}; use "
                         f"{sorted(EXPERIMENT_KEYS)}")
    if "runs" not in experiment:
        return
    beside = sorted(set(experiment) & set(RUN_KEYS))
    if beside or not isinstance(experiment["runs"], (list, tuple)) or not experiment["runs"]:
        raise ValueError(f"ExperimentReportJob: experiment {name!r}: give a non-empty 'runs' list with the per-seed "
                         f"keys inside each run, not beside it (found {beside} beside 'runs')")
    for position, run in enumerate(experiment["runs"]):
        unknown = sorted(set(run) - set(RUN_KEYS)) if isinstance(run, dict) else ["(not a dict)"]
        if unknown:
            raise ValueError(f"ExperimentReportJob: experiment {name!r}, run #{position}: unknown keys {unknown}; "
                             f"use {sorted(RUN_KEYS)}")


def _single_or_list(values):
    return values[0] if len(set(values)) == 1 else values


def _utterance_results(runs, dataset, measure, name):
    """``statistics.utterance_matrix`` of the runs' per-utterance ``measure`` on ``dataset``, or None when a run
    lacks them."""
    from recipe.report.statistics import utterance_matrix

    per_run = []
    for run in runs:
        if measure == "wer":
            source = (run.get("per_utterance") or {}).get(dataset)
            if source is None:
                return None
            per_run.append({record["tag"]: (record["errors"], record["substitutions"] + record["deletions"]
                                            + record["hits"]) for record in _read_json(source)})
        else:
            records = _merged_per_sequence(run.get("per_sequence"), name).get(dataset)
            if records is None:
                return None
            per_run.append({record["tag"]: (record[measure] * record["frames"], record["frames"])
                            for record in records})
    return utterance_matrix(per_run, f"experiment {name!r}, {dataset} {measure.upper()}")


def _creator_id(run):
    """Id of the job that made the run's learning_rates (else its first scores file), if known."""
    candidates = [run.get("learning_rates")]
    scores = run.get("scores")
    candidates += list(scores) if isinstance(scores, (list, tuple)) else [scores]
    for path in candidates:
        creator = getattr(path, "creator", None)
        if creator is not None and hasattr(creator, "job_id"):
            return creator.job_id()
    return None


def _environment(run):
    """What made the run's training (the job holding learning_rates, else its first scores or WER file)."""
    from recipe.report.environment_table import environment_summary, job_dir_of

    scores = run.get("scores")
    candidates = [run.get("learning_rates")] + list(scores if isinstance(scores, (list, tuple)) else [scores])
    for path in candidates + list((run.get("wer") or {}).values()):
        if path is not None:
            return environment_summary(job_dir_of(path_string(path)))
    return environment_summary(None)


def _read_json(path):
    with open(path_string(path), encoding="utf-8") as file:
        return json.load(file)


def _number(value):
    """A number from a number, a Variable (``.get()``) or a Path to a text file; None stays None."""
    if value is None or isinstance(value, (int, float)):
        return value
    if isinstance(value, tk.Variable):
        return value.get()
    with open(path_string(value), encoding="utf-8") as file:
        text = file.read().strip()
    return int(text) if text.lstrip("-").isdigit() else float(text)


def _merged_scores(scores, name):
    """{dataset: {ce, fer, frames}} from one or several eval ``out_scores`` files."""
    return _merged_by_dataset(scores, name, "scores")


def _merged_per_sequence(per_sequence, name):
    """{dataset: [{tag, frames, ce, fer}]} from one or several eval ``out_per_sequence`` files."""
    return _merged_by_dataset(per_sequence, name, "per-sequence")


def _merged_by_dataset(files, name, what):
    if files is None:
        return {}
    merged = {}
    for path in files if isinstance(files, (list, tuple)) else [files]:
        for dataset, values in _read_json(path).items():
            if dataset in merged:
                raise ValueError(f"experiment {name!r}: dataset {dataset!r} is in two {what} files; "
                                 f"give each dataset's {what} results once")
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


def largest_peak_memory(records):
    """The largest peak RSS and GPU memory over several runs' records (None where no run recorded one)."""
    records = [record for record in records if record]
    if not records:
        return None
    return {key: max((record[key] for record in records if record.get(key) is not None), default=None)
            for key in ("peak_rss_gb", "peak_gpu_memory_gb")}


def recorded_peak_memory(output_file):
    """The peak memory ReturnnTrainingJob recorded beside its output ``output_file`` (``peak_memory.json`` in the
    same output directory: peak RSS and GPU memory in GB), or None if not recorded."""
    from recipe.returnn.peak_memory import read_peak_memory

    record = read_peak_memory(os.path.join(os.path.dirname(os.path.abspath(output_file)), "peak_memory.json"))
    if record is None:
        return None
    return {key: record.get(key) for key in ("peak_rss_gb", "peak_gpu_memory_gb")}


def count_checkpoint_parameters(checkpoint):
    """Number of values in a TF checkpoint's model variables (without ``global_step`` and optimizer slots), or in a
    PyTorch-backend checkpoint's model state (a ``.pt`` file: RETURNN keeps the optimizer state in ``.opt.pt``)."""
    if path_string(getattr(checkpoint, "marker_path", checkpoint)).endswith(".pt"):
        import torch

        state = torch.load(path_string(checkpoint.marker_path), map_location="cpu", weights_only=True)
        return int(sum(value.numel() for value in state.get("model", state).values()))
    import tensorflow as tf

    index = checkpoint.index_path if hasattr(checkpoint, "index_path") else checkpoint
    prefix = path_string(index)
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
