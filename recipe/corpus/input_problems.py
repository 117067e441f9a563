"""Bad input in a user's corpus: one error type that names the file and line, and the skip-or-fail policy.

Every reader of a user's files (audio, Kaldi data directories, STM, CTM, TextGrid, lexicon) reports a problem as
:class:`CorpusInputError` with ``where`` = ``"<file>:<line>"`` (or just the file), what is wrong and how to fix it.
:class:`ProblemLog` either raises it at once (the default) or, with ``skip_bad=True``, records it and lets the
import drop that utterance; the import job writes the records (count and list) to its ``out_problems``.
"""


class CorpusInputError(ValueError):
    """A problem with one input file or utterance; ``where`` is ``"<file>:<line>"`` or a file name."""

    def __init__(self, where, problem, fix, utterance=None):
        self.where, self.problem, self.fix, self.utterance = str(where), problem, fix, utterance
        subject = f" (utterance {utterance})" if utterance else ""
        super().__init__(f"{self.where}{subject}: {problem}; {fix}")

    def as_record(self):
        return {"utterance": self.utterance, "where": self.where, "problem": self.problem, "fix": self.fix}


class ProblemLog:
    """Raise each :class:`CorpusInputError` (``skip_bad=False``) or collect it (``skip_bad=True``)."""

    SKIP_HINT = "or set skip_bad=True in the import to drop such utterances (they are listed in problems.json)"

    def __init__(self, skip_bad=False):
        self.skip_bad = skip_bad
        self.records = []

    def report(self, error):
        """Record ``error`` when skipping bad utterances, raise it otherwise."""
        if not self.skip_bad:
            raise CorpusInputError(error.where, error.problem, f"{error.fix}, {self.SKIP_HINT}", error.utterance)
        self.records.append(error.as_record())

    def summary(self):
        """JSON-able ``{"skip_bad", "count", "problems": [...]}``."""
        return {"skip_bad": self.skip_bad, "count": len(self.records), "problems": list(self.records)}
