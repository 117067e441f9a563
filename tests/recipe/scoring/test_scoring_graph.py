"""Statistics -> decoding -> WER -> report as a real graph under `sis manager` (sislite, local engine)."""

import json

from recipe.scoring.synthetic_posteriors import WORD_LABELS, synthetic_set
from recipe.scoring.transcripts import format_transcripts

CONFIG = """
from recipe.sis_api import tk
from recipe.report.report import ExperimentReportJob
from recipe.scoring.decoding import DecodeWordsJob, EstimateAlignmentStatisticsJob
from recipe.scoring.scoring import ScoreWerJob

labels = tk.Path("data/labels.json")
statistics = EstimateAlignmentStatisticsJob(tk.Path("data/train.hdf"), labels, tk.Path("data/train.txt"))
wers = {}
for method in ("viterbi", "greedy"):
    decoding = DecodeWordsJob(tk.Path("data/forward.hdf"), labels, method=method,
                              statistics=statistics.out_statistics if method == "viterbi" else None)
    wers[method] = ScoreWerJob(decoding.out_hypotheses, tk.Path("data/dev.txt"))
    tk.register_output(f"wer_{method}.json", wers[method].out_wer)
report = ExperimentReportJob([{"name": method, "wer": {"dev": job.out_wer}, "scores": tk.Path("data/scores.json"),
                               "learning_rates": tk.Path("data/learning_rates")} for method, job in wers.items()],
                             datasets=("dev",), title="Decoders")
tk.register_output("report.md", report.out_markdown)
tk.register_output("report.json", report.out_json)
"""


def _write_inputs(root):
    from returnn.datasets.hdf import SimpleHDFWriter

    data = root / "data"
    data.mkdir()
    (data / "labels.json").write_text(json.dumps({"unit": "word", "labels": WORD_LABELS, "silence_index": 0}))
    train, dev = synthetic_set(1, 40, "train"), synthetic_set(2, 10, "dev")
    writer = SimpleHDFWriter(str(data / "train.hdf"), dim=1, ndim=2, extra_type={"classes": (12, 1, "int32")})
    for tag, (_, alignment, _) in train.items():
        writer.insert_batch(alignment[None, :, None].astype("float32"), seq_len=[len(alignment)], seq_tag=[tag],
                            extra={"classes": alignment[None]})
    writer.close()
    writer = SimpleHDFWriter(str(data / "forward.hdf"), dim=12, ndim=2)
    for tag, (_, _, posteriors) in dev.items():
        writer.insert_batch(posteriors[None], seq_len=[len(posteriors)], seq_tag=[tag])
    writer.close()
    (data / "train.txt").write_text(format_transcripts({t: w for t, (w, _, _) in train.items()}))
    (data / "dev.txt").write_text(format_transcripts({t: w for t, (w, _, _) in dev.items()}))
    (data / "scores.json").write_text(json.dumps({"dev": {"ce": 0.5, "fer": 0.1, "frames": 100}}))
    (data / "learning_rates").write_text("{1: EpochData(learningRate=0.001, error={'dev_score': 0.5, "
                                         "'dev_error': 0.1})}\n")


def test_scoring_graph_runs_and_a_rerun_changes_nothing(sis_setup):
    _write_inputs(sis_setup.root)
    config = sis_setup.write_config(CONFIG)
    result = sis_setup.run_manager(config, timeout=240)
    assert result.returncode == 0, result.output[-3000:]
    viterbi = json.loads((sis_setup.root / "output/wer_viterbi.json").read_text())
    greedy = json.loads((sis_setup.root / "output/wer_greedy.json").read_text())
    assert viterbi["num_sentences"] == 10 and viterbi["wer"] <= greedy["wer"]
    report = json.loads((sis_setup.root / "output/report.json").read_text())
    assert [row["experiment"] for row in report["rows"]] == ["viterbi", "greedy"]
    assert report["rows"][0]["dev_wer"] == viterbi["wer"] and report["rows"][0]["epochs"] == 1
    assert "| viterbi |" in (sis_setup.root / "output/report.md").read_text()
    finished = {path: path.stat().st_mtime for path in (sis_setup.root / "work").glob("**/output/*")}
    again = sis_setup.run_manager(config, timeout=60)
    assert again.returncode == 0, again.output[-3000:]
    assert {path: path.stat().st_mtime for path in (sis_setup.root / "work").glob("**/output/*")} == finished
