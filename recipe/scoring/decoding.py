"""Jobs that turn RETURNN frame posteriors into word strings: alignment statistics (priors, durations) and decoding.

Module-level imports stay light (no numpy/h5py): the manager imports this module on every run.
"""

import json

from recipe.file_path import path_string
from recipe.sis_api import Job, Task

SEARCH_METHODS = ("viterbi", "greedy")
GREEDY_PARAMETERS = ("smoothing_window", "min_frames")
VITERBI_PARAMETERS = ("statistics", "prior_scale", "duration_scale", "word_penalty", "min_frames", "max_frames")


class EstimateAlignmentStatisticsJob(Job):
    """Label priors and per-word durations from frame alignments (e.g. the corpus' training HDF, stream ``classes``).

    Hashes: ``alignment_hdf``, ``labels``, ``transcripts``, ``alignment_key``. With ``transcripts`` (the training
    split's transcript file) runs that hold several repeated words ("four four") are left out of the durations.
    Output: ``out_statistics``, JSON as described in :mod:`recipe.scoring.alignment_statistics`.
    Finished when ``out_statistics`` exists (written atomically).
    """

    __sis_version__ = None
    """Raise (to 2, 3, ...) when a constant in OUTPUT_CONSTANTS changes (see recipe/output_constants.py)."""
    OUTPUT_CONSTANTS = ("recipe.scoring.alignment_statistics:MIN_LOG_SIGMA",)

    def __init__(self, alignment_hdf, labels, transcripts=None, alignment_key="classes"):
        self.alignment_hdf = alignment_hdf
        self.labels = labels
        self.transcripts = transcripts
        self.alignment_key = alignment_key
        self.out_statistics = self.output_path("statistics.json")

    def tasks(self):
        yield Task("run", mini_task=True, rqmt={"cpu": 1, "mem": 2, "time": 1})

    def run(self):
        from recipe.scoring.alignment_statistics import alignment_statistics
        from recipe.atomic_output import write_atomically
        from recipe.scoring.returnn_hdf import read_hdf_sequences
        from recipe.scoring.transcripts import read_transcripts, read_word_labels

        labels, silence_index = read_word_labels(self.labels)
        alignments = read_hdf_sequences(self.alignment_hdf, self.alignment_key)
        transcripts = read_transcripts(self.transcripts) if self.transcripts is not None else None
        statistics = alignment_statistics(alignments, labels, silence_index, transcripts)
        write_atomically(self.out_statistics, json.dumps(statistics, indent=1) + "\n")


class DecodeWordsJob(Job):
    """Decodes RETURNN forward posteriors (HDF, stream ``inputs`` [frames, labels] per sequence) to word strings.

    ``method="viterbi"``: word-loop Viterbi search with optional silence, word durations and priors
    (:func:`recipe.scoring.word_search.viterbi_segments`). ``statistics``: an ``out_statistics`` Path of
    :class:`EstimateAlignmentStatisticsJob` (priors and durations from training alignments), ``"posteriors"``
    (priors = average posterior of the decoded set, no durations) or None (no priors, uniform durations).
    ``min_frames``/``max_frames`` override the duration limits taken from the statistics.
    ``method="greedy"``: smoothing over ``smoothing_window`` frames, best label per frame, runs collapsed, runs
    shorter than ``min_frames`` and silence dropped (repeated words without a pause merge into one).

    Hashes: ``posterior_hdf``, ``labels``, ``method`` and the parameters that method uses (the other method's
    parameters are left out). Outputs: ``out_hypotheses`` (transcript file ``<seq_tag> <word> ...``, tags in
    posterior order) and ``out_segments`` (JSON ``{seq_tag: [[word, first_frame, num_frames], ...]}``).
    Finished when both exist (each written atomically, segments last).
    """

    __sis_version__ = None
    """Raise (to 2, 3, ...) when a constant in OUTPUT_CONSTANTS changes (see recipe/output_constants.py)."""
    OUTPUT_CONSTANTS = ("recipe.scoring.word_search:LOG_ZERO",)

    def __init__(self, posterior_hdf, labels, method="viterbi", statistics=None, prior_scale=0.0,
                 duration_scale=2.0, word_penalty=0.0, min_frames=None, max_frames=None, smoothing_window=5):
        if method not in SEARCH_METHODS:
            raise ValueError(f"DecodeWordsJob: method {method!r} is unknown; use one of {SEARCH_METHODS}")
        if smoothing_window < 1 or smoothing_window % 2 == 0:
            raise ValueError(f"DecodeWordsJob: smoothing_window={smoothing_window}; use an odd number >= 1")
        if isinstance(statistics, str) and statistics != "posteriors":
            raise ValueError(f"DecodeWordsJob: statistics={statistics!r}; give EstimateAlignmentStatisticsJob's "
                             "out_statistics Path, 'posteriors' or None")
        if prior_scale and statistics is None:
            raise ValueError("DecodeWordsJob: prior_scale is set but statistics is None; pass the training "
                             "statistics (out_statistics) or statistics='posteriors'")
        for name, value in (("min_frames", min_frames), ("max_frames", max_frames)):
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(f"DecodeWordsJob: {name}={value!r}; use a positive int or None")
        self.posterior_hdf = posterior_hdf
        self.labels = labels
        self.method = method
        self.statistics = statistics
        self.prior_scale = prior_scale
        self.duration_scale = duration_scale
        self.word_penalty = word_penalty
        self.min_frames = min_frames
        self.max_frames = max_frames
        self.smoothing_window = smoothing_window
        self.out_hypotheses = self.output_path("hypotheses.txt")
        self.out_segments = self.output_path("segments.json")

    @classmethod
    def hash(cls, parsed_args):
        used = GREEDY_PARAMETERS if parsed_args["method"] == "greedy" else VITERBI_PARAMETERS
        ignored = (set(GREEDY_PARAMETERS) | set(VITERBI_PARAMETERS)) - set(used)
        return super().hash({key: value for key, value in parsed_args.items() if key not in ignored})

    def tasks(self):
        yield Task("run", rqmt={"cpu": 1, "mem": 2, "time": 1})

    def run(self):
        from recipe.atomic_output import write_atomically
        from recipe.scoring.returnn_hdf import read_hdf_sequences
        from recipe.scoring.transcripts import format_transcripts, read_word_labels

        labels, silence_index = read_word_labels(self.labels)
        posteriors = read_hdf_sequences(self.posterior_hdf, "inputs")
        for tag, values in posteriors.items():
            if values.ndim != 2 or values.shape[1] != len(labels):
                raise ValueError(f"{self.posterior_hdf}: sequence {tag} has posteriors of shape {values.shape}, "
                                 f"but {self.labels} has {len(labels)} labels; forward the model trained on "
                                 "these labels")
        search = self._search(labels, silence_index, posteriors)
        segments = {tag: search(values) for tag, values in posteriors.items()}
        hypotheses = {tag: [labels[label] for label, _, _ in found] for tag, found in segments.items()}
        write_atomically(self.out_hypotheses, format_transcripts(hypotheses))
        readable = {tag: [[labels[label], start, length] for label, start, length in found]
                    for tag, found in segments.items()}
        write_atomically(self.out_segments, json.dumps(readable, indent=0) + "\n")

    def _search(self, labels, silence_index, posteriors):
        """A function posteriors [frames, labels] -> [(label, first_frame, num_frames)] for the chosen method."""
        from recipe.scoring import alignment_statistics as estimates
        from recipe.scoring import word_search

        if self.method == "greedy":
            return lambda values: word_search.greedy_segments(values, silence_index, self.smoothing_window,
                                                              self.min_frames or 1)
        if self.statistics is None:
            statistics = None
        elif self.statistics == "posteriors":
            statistics = estimates.posterior_statistics(posteriors.values(), labels, silence_index)
        else:
            path = path_string(self.statistics)
            with open(path, encoding="utf-8") as file:
                statistics = json.load(file)
        durations = estimates.duration_model(statistics, labels, silence_index, self.min_frames, self.max_frames)
        log_priors = None if statistics is None else estimates.log_priors(statistics)
        return lambda values: word_search.viterbi_segments(
            word_search.to_log(values), silence_index, durations, log_priors=log_priors,
            prior_scale=self.prior_scale, duration_scale=self.duration_scale, word_penalty=self.word_penalty)[0]
