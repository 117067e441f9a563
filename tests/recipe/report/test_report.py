"""ExperimentReportJob and the results table renderers (task run directly, inputs written by hand)."""

import json
import os

import pytest

from recipe.report.learning_curves import curve, score_key
from recipe.report.report import ExperimentReportJob, recorded_run_time
from recipe.report.results_table import format_value, print_results_table, render_markdown, table_columns
from recipe.sis_api import tk

LEARNING_RATES = """{1: EpochData(learningRate=np.float32(0.001), error={'dev_error': 0.40, 'dev_score': 1.9,
 'train_error': 0.5, 'train_score': 2.1}),
 2: EpochData(learningRate=0.001, error={'dev_error': 0.20, 'dev_score': 0.9, 'train_error': 0.25,
 'train_score': 1.0}),
 3: EpochData(learningRate=0.001, error={})}
"""


def fake_training_dir(root, name, used_hours=None):
    """<root>/work/<name>/output/learning_rates (+ usage.run.1), shaped like a finished training job."""
    job_dir = root / "work" / name
    (job_dir / "output").mkdir(parents=True)
    (job_dir / "output" / "learning_rates").write_text(LEARNING_RATES)
    if used_hours is not None:
        (job_dir / "usage.run.1").write_text(repr({"used_time": used_hours, "max": {"rss": 0.1}}))
    return tk.Path(str(job_dir / "output" / "learning_rates"))


def write_json(path, value):
    path.write_text(json.dumps(value))
    return tk.Path(str(path))


@pytest.fixture
def experiments(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    scores = write_json(tmp_path / "scores.json", {"dev": {"ce": 0.91, "fer": 0.2, "frames": 900},
                                                    "test": {"ce": 1.01, "fer": 0.25, "frames": 800}})
    wer = {"dev": write_json(tmp_path / "wer_dev.json", {"wer": 0.125}),
           "test": write_json(tmp_path / "wer_test.json", {"wer": 0.5})}
    return [
        {"name": "baseline", "learning_rates": fake_training_dir(tmp_path, "baseline", used_hours=0.5),
         "scores": scores, "wer": wer, "num_params": 1234567, "settings": {"front-end": "conv"}},
        {"name": "blstm | scratch", "learning_rates": fake_training_dir(tmp_path, "scratch"), "epochs": 7,
         "training_time": 65.0},
        {"name": "nothing yet"},
    ]


def make_output_dirs(job):
    os.makedirs(os.path.dirname(job.out_json.get_path()), exist_ok=True)


def test_report_table_rows_outputs_and_text(experiments, capsys):
    job = ExperimentReportJob(experiments, title="Transfer")
    make_output_dirs(job)
    job.run()
    report = json.load(open(job.out_json.get_path()))
    baseline, scratch, empty = report["rows"]
    assert baseline["epochs"] == 2 and baseline["dev_fer"] == 0.2 and baseline["test_ce"] == 1.01
    assert baseline["dev_wer"] == 0.125 and baseline["training_time"] == pytest.approx(1800.0)
    assert scratch["epochs"] == 7 and scratch["training_time"] == 65.0 and scratch["dev_fer"] is None
    assert empty["epochs"] is None and empty["job_id"] is None
    markdown = open(job.out_markdown.get_path()).read()
    assert "| baseline |" in markdown and "12.50 %" in markdown and "1.23M" in markdown
    assert "blstm \\| scratch" in markdown and "0:01:05" in markdown and "learning_curves.png" in markdown
    assert '<td data-sort="0.2">20.00 %</td>' in open(job.out_html.get_path()).read()
    with open(job.out_plot.get_path(), "rb") as file:
        assert file.read(8) == b"\x89PNG\r\n\x1a\n"
    print_results_table(job.out_json)
    printed = capsys.readouterr().out
    assert printed.splitlines()[0] == "Transfer" and "dev WER" in printed and "blstm | scratch" in printed


def test_job_id_comes_from_the_training_job():
    from recipe.sis_api import Job

    class FakeTraining(Job):
        def __init__(self, seed):
            self.out_learning_rates = self.output_path("learning_rates")

    training = FakeTraining(seed=3)
    job = ExperimentReportJob([{"name": "a", "learning_rates": training.out_learning_rates}])
    assert job.job_ids == [[training.job_id()]]


def test_bad_experiment_lists_fail_fast():
    with pytest.raises(ValueError, match="unknown keys"):
        ExperimentReportJob([{"name": "a", "wers": {}}])
    with pytest.raises(ValueError, match="name"):
        ExperimentReportJob([{"scores": None}])
    with pytest.raises(ValueError, match="more than once"):
        ExperimentReportJob([{"name": "a"}, {"name": "a"}])


def test_a_dataset_twice_in_the_scores_is_an_error_and_leaves_no_outputs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = write_json(tmp_path / "a.json", {"dev": {"ce": 1.0, "fer": 0.1, "frames": 1}})
    second = write_json(tmp_path / "b.json", {"dev": {"ce": 2.0, "fer": 0.2, "frames": 1}})
    job = ExperimentReportJob([{"name": "x", "scores": [first, second]}])
    make_output_dirs(job)
    with pytest.raises(ValueError, match="two scores files"):
        job.run()
    assert not os.path.exists(job.out_json.get_path()) and not os.path.exists(job.out_markdown.get_path())


def test_inputs_are_the_paths_inside_the_experiments(experiments):
    job = ExperimentReportJob(experiments)
    hashed_differently = ExperimentReportJob(experiments[:1])
    assert job.job_id() != hashed_differently.job_id()
    assert ExperimentReportJob(experiments, datasets=("dev",)).job_id() != job.job_id()


def test_formatting_and_helpers(tmp_path):
    assert format_value("dev_fer", 0.0512) == "5.12 %" and format_value("test_ce", 1.23456) == "1.235"
    assert format_value("num_params", 950) == "950" and format_value("num_params", 12345) == "12.3k"
    assert format_value("training_time", 3725) == "1:02:05" and format_value("dev_wer", None) == "-"
    assert [key for key, _ in table_columns(["dev"])][:7] == ["experiment", "seeds", "epochs", "chosen_epochs",
                                                              "dev_fer", "dev_fer_ci", "dev_ce"]
    assert recorded_run_time(str(tmp_path / "not_an_output_dir" / "x")) is None
    parsed = {1: {"learning_rate": 0.1, "scores": {"dev_score_output": 2.0}}, 2: {"learning_rate": 0.1, "scores": {}}}
    assert score_key(parsed, "dev", "score") == "dev_score_output" and curve(parsed, "dev", "score") == ([1], [2.0])
    report = {"title": "t", "columns": [["experiment", "experiment"]], "rows": [{"experiment": "a"}]}
    assert render_markdown(report).startswith("# t\n\n| experiment |")


def test_parameters_are_counted_from_a_tf_checkpoint(tmp_path):
    import tensorflow as tf

    from recipe.report.report import count_checkpoint_parameters
    from recipe.returnn.checkpoint import Checkpoint

    graph = tf.Graph()
    with graph.as_default():
        tf.compat.v1.get_variable("conv_1/W", shape=[400, 1, 4])
        tf.compat.v1.get_variable("output/b", shape=[12])
        tf.compat.v1.train.get_or_create_global_step()
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session(graph=graph) as session:
            session.run(tf.compat.v1.global_variables_initializer())
            saver.save(session, str(tmp_path / "epoch.001"), write_meta_graph=False)
    index = tk.Path(str(tmp_path / "epoch.001.index"))
    assert count_checkpoint_parameters(Checkpoint(index)) == 400 * 4 + 12
    assert count_checkpoint_parameters(index) == 400 * 4 + 12


def test_parameters_are_counted_from_a_pytorch_checkpoint(tmp_path):
    import torch

    from recipe.report.report import count_checkpoint_parameters
    from recipe.returnn.checkpoint import PtCheckpoint

    torch.save({"model": {"frontend.conv_1.weight": torch.zeros(4, 1, 400), "output.bias": torch.zeros(12)},
                "epoch": 2, "step": 10}, tmp_path / "epoch.002.pt")
    assert count_checkpoint_parameters(PtCheckpoint(tk.Path(str(tmp_path / "epoch.002.pt")))) == 400 * 4 + 12


def seed_run(root, name, seed, error_rate, epoch):
    """The files of one seed's run of a system with the given per-word error rate on 60 dev utterances of 5
    words (frame results: 100 frames each, FER = error rate, CE = 2 * error rate); error counts vary per seed."""
    rng = __import__("random").Random(seed * 1000 + int(1000 * error_rate))
    utterances, sequences = [], []
    for index in range(60):
        errors = min(5, max(0, round(5 * error_rate + rng.choice((-1, 0, 0, 1)))))
        utterances.append({"tag": f"dev/u{index}", "errors": errors, "substitutions": errors, "deletions": 0,
                           "insertions": 0, "hits": 5 - errors})
        sequences.append({"tag": f"dev/u{index}", "frames": 100, "fer": errors / 5, "ce": 2 * errors / 5})
    total_errors = sum(record["errors"] for record in utterances)
    prefix = root / f"{name}.{seed}"
    return {"seed": seed, "learning_rates": fake_training_dir(root, f"{name}.{seed}"), "chosen_epoch": epoch,
            "scores": write_json(prefix.with_suffix(".scores.json"), {"dev": {
                "fer": total_errors / 300, "ce": 2 * total_errors / 300, "frames": 6000}}),
            "per_sequence": write_json(prefix.with_suffix(".per_sequence.json"), {"dev": sequences}),
            "wer": {"dev": write_json(prefix.with_suffix(".wer.json"), {"wer": total_errors / 300})},
            "per_utterance": {"dev": write_json(prefix.with_suffix(".per_utterance.json"), utterances)}}


def test_seeds_give_mean_std_intervals_and_paired_tests(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    scratch = [seed_run(tmp_path, "scratch", seed, 0.5, 2) for seed in (1, 2)]
    experiments = [{"name": "scratch", "runs": scratch},
                   {"name": "transfer", "runs": [seed_run(tmp_path, "transfer", seed, 0.1, 3) for seed in (1, 2)],
                    "settings": "frozen"},
                   {"name": "same_as_scratch", "runs": [{**run, "learning_rates": None} for run in scratch]}]
    job = ExperimentReportJob(experiments, datasets=("dev",), title="Seeds",
                              comparisons=[("transfer", "scratch"), ("same_as_scratch", "scratch")])
    make_output_dirs(job)
    job.run()
    report = json.load(open(job.out_json.get_path()))
    scratch_row, transfer_row, same_row = report["rows"]
    seed_wers = [run["dev_wer"] for run in scratch_row["runs"]]
    assert scratch_row["dev_wer"] == pytest.approx(sum(seed_wers) / 2)
    assert scratch_row["dev_wer_std"] == pytest.approx(abs(seed_wers[0] - seed_wers[1]) / 2 ** 0.5)
    assert [run["seed"] for run in scratch_row["runs"]] == [1, 2] and scratch_row["chosen_epochs"] == [2, 2]
    low, high = transfer_row["dev_wer_ci"]
    assert low < transfer_row["dev_wer"] < high
    assert transfer_row["dev_ce"] == pytest.approx(2 * transfer_row["dev_fer"])
    assert transfer_row["p_scratch"] < 0.01 and same_row["p_scratch"] == 1.0 and "p_scratch" not in scratch_row
    lines = [c["text"] for c in report["comparisons"] if c["measure"] == "wer"]
    assert lines[0].startswith("transfer vs scratch, dev WER:") and "significant at the 5 % level" in lines[0]
    assert lines[1].startswith("same_as_scratch vs scratch, dev WER:") and "p = 1.000: not significant" in lines[1]
    assert {c["measure"] for c in report["comparisons"]} == {"fer", "ce", "wer"}

    markdown = open(job.out_markdown.get_path()).read()
    assert "| epoch used |" in markdown and "| 3, 3 |" in markdown and "p vs scratch (dev WER)" in markdown
    assert f"{100 * scratch_row['dev_wer']:.2f} ± {100 * scratch_row['dev_wer_std']:.2f} %" in markdown
    assert "## Comparisons" in markdown and lines[0] in markdown
    page = open(job.out_html.get_path()).read()
    assert '<table class="sortable">' in page and "addEventListener(\"click\"" in page
    assert f'data-sort="{transfer_row["dev_wer"]!r}"' in page
    with open(job.out_plot.get_path(), "rb") as file:
        assert file.read(8) == b"\x89PNG\r\n\x1a\n"


def test_comparisons_must_name_experiments():
    with pytest.raises(ValueError, match="comparison.*unknown: \\['scratch'\\]"):
        ExperimentReportJob([{"name": "a"}], comparisons=[("a", "scratch")])
    with pytest.raises(ValueError, match="inside each run, not beside it"):
        ExperimentReportJob([{"name": "a", "runs": [{"seed": 1}], "seed": 2}])
    with pytest.raises(ValueError, match="run #0: unknown keys \\['wers'\\]"):
        ExperimentReportJob([{"name": "a", "runs": [{"wers": {}}]}])
    with pytest.raises(ValueError, match="significance"):
        ExperimentReportJob([{"name": "a"}], significance=("test", "wer"), datasets=("dev",))


def test_comparisons_keep_the_id_of_a_report_without_them(experiments):
    assert ExperimentReportJob(experiments).job_id() == ExperimentReportJob(experiments, comparisons=()).job_id()
    assert ExperimentReportJob(experiments, comparisons=[("baseline", "nothing yet")]).job_id() != \
        ExperimentReportJob(experiments).job_id()


def test_peak_memory_recorded_by_the_training_is_a_column(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    recorded = fake_training_dir(tmp_path, "recorded")
    (tmp_path / "work" / "recorded" / "output" / "peak_memory.json").write_text(
        json.dumps({"peak_rss_gb": 1.234, "peak_gpu_memory_gb": None, "runs": 2}))
    job = ExperimentReportJob([{"name": "recorded", "learning_rates": recorded},
                               {"name": "older", "learning_rates": fake_training_dir(tmp_path, "older")}])
    make_output_dirs(job)
    job.run()
    rows = json.load(open(job.out_json.get_path()))["rows"]
    assert rows[0]["peak_memory"] == {"peak_rss_gb": 1.234, "peak_gpu_memory_gb": None}
    assert rows[1]["peak_memory"] is None  # trained before peaks were recorded
    markdown = open(job.out_markdown.get_path()).read()
    assert "| peak memory |" in markdown and "1.23 GB RSS" in markdown
    assert format_value("peak_memory", {"peak_rss_gb": 2.0, "peak_gpu_memory_gb": 10.5}) == "2.00 GB RSS, 10.50 GB GPU"
