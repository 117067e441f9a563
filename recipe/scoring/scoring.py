"""``ScoreWerJob``: word error rate of decoded hypotheses against reference transcripts (jiwer)."""

import json

from recipe.sis_api import Job, Task


class ScoreWerJob(Job):
    """Scores a hypothesis transcript file against a reference transcript file (both ``<seq_tag> <word> ...``).

    Hashes: ``hypotheses``, ``references``, ``allow_missing`` (if True a reference without a hypothesis counts as
    all deleted; otherwise it is an error). Outputs: ``out_wer`` (JSON: wer, substitutions, deletions,
    insertions, hits, num_words, num_sentences, sentence_errors, ser), ``out_per_utterance`` (JSON list: tag,
    reference, hypothesis, error counts, aligned REF/HYP), ``out_report`` (text: summary plus aligned REF/HYP per
    utterance, errors in upper case), ``out_wer_percent`` (Variable, WER in %). Finished when all are written
    (each atomically, the Variable last).
    """

    def __init__(self, hypotheses, references, allow_missing=False):
        self.hypotheses = hypotheses
        self.references = references
        self.allow_missing = allow_missing
        self.out_wer = self.output_path("wer.json")
        self.out_per_utterance = self.output_path("per_utterance.json")
        self.out_report = self.output_path("report.txt")
        self.out_wer_percent = self.output_var("wer_percent")

    def tasks(self):
        yield Task("run", mini_task=True, rqmt={"cpu": 1, "mem": 1, "time": 1})

    def run(self):
        from recipe.atomic_output import write_atomically
        from recipe.scoring.transcripts import read_transcripts
        from recipe.scoring.word_error_rate import format_per_utterance, score_transcripts

        references = read_transcripts(self.references)
        hypotheses = read_transcripts(self.hypotheses)
        try:
            summary, per_utterance = score_transcripts(references, hypotheses, self.allow_missing)
        except KeyError as error:
            raise KeyError(f"ScoreWerJob: hypotheses {self.hypotheses} vs references {self.references}: "
                           f"{error.args[0]}") from None
        write_atomically(self.out_per_utterance, json.dumps(per_utterance, indent=1) + "\n")
        write_atomically(self.out_report, format_per_utterance(summary, per_utterance))
        write_atomically(self.out_wer, json.dumps(summary, indent=1) + "\n")
        self.out_wer_percent.set(round(100.0 * summary["wer"], 4))
