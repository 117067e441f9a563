"""The demo corpus job: synthetic connected-digit speech with exact frame alignments, generated offline."""

from recipe.atomic_output import write_atomically, write_json_atomically
from recipe.sis_api import Job, Task
from recipe.task_log import last_line_starting_with

from recipe.corpus import corpus_plan, lexicon


PROGRESS_PREFIX = "recipe.corpus: rendered "
"""The progress lines the generation prints to the task log (``recipe.corpus: rendered 200/1000 utterances``)."""
PROGRESS_EVERY = 50


class SyntheticDigitsCorpusJob(Job):
    """Synthesises ``num_utterances`` connected-digit utterances (``digits`` = (min, max) words each) with espeak-ng
    (pip-only ``espeakng-loader``) and random speakers, speed perturbation, leading/trailing silence and
    white/pink/brown noise; labels come from the synthesizer's own phoneme events. ``flite_fraction`` (share of each
    split's speakers, 0.0 .. 1.0) speak with one of flite's 16 kHz voices instead (Debian package ``flite``; labels
    from ``flite -psdur`` phone end times); with ``flite_fraction > 0`` and no ``flite`` program the job fails at
    construction and again before writing anything, naming ``apt-get install flite``.

    Hashed: every parameter except ``workers``; ``flite_fraction`` only when not 0.0 (so jobs from before it
    existed keep their ids); ``hashed_versions`` ({name: version}, opt-in, e.g. espeak-ng's; see
    recipe/job_environment.py) only when given, and the job then refuses to run under other versions. Output is
    byte-identical for the same parameters, whatever the number of workers.

    Outputs: ``out_hdf`` {"train", "dev", "test": Path} RETURNN HDF (``data``: 16 kHz float32 samples, dim 1;
    ``classes``: int32 per 10 ms frame, exactly ``frontend_output_frames(num_samples)`` frames: the audio is
    ``160 * frames + 320`` samples), sequence tags ``<split>/<speaker>-<index>``; ``out_transcripts`` {split: Path}
    (``<seq_tag> <word> ...`` per line); ``out_labels`` JSON {"unit", "labels", "silence_index"};
    ``out_summary`` JSON (hours, speakers, label histogram per split). Speakers are disjoint across splits.

    Finished when all outputs exist (each is written under a temporary name and renamed).
    """

    __sis_hash_exclude__ = {"flite_fraction": 0.0, "hashed_versions": None}
    __sis_version__ = None
    """Raise (to 2, 3, ...) when a constant in OUTPUT_CONSTANTS changes: the audio or labels change with it."""
    OUTPUT_CONSTANTS = (
        "recipe.corpus.generation:CHUNK_SIZE", "recipe.corpus.corpus_plan:SPLITS",
        "recipe.corpus.lexicon:DIGIT_WORDS", "recipe.corpus.lexicon:SILENCE", "recipe.corpus.lexicon:PHONE_LABELS",
        "recipe.corpus.lexicon:ESPEAK_TO_ARPABET", "recipe.corpus.lexicon:FLITE_PRONUNCIATIONS",
        "recipe.corpus.lexicon:FLITE_PAUSE", "recipe.corpus.lexicon:STOP_PHONEMES", "recipe.corpus.speakers:ACCENTS",
        "recipe.corpus.speakers:_KINDS", "recipe.corpus.perturbation:NOISE_COLORS",
        "recipe.corpus.utterance:SAMPLE_RATE", "recipe.corpus.utterance:FLITE_FADE_SECONDS",
        "recipe.corpus.flite:FLITE_VOICES", "recipe.corpus.alignment:SAMPLES_PER_FRAME",
        "recipe.corpus.alignment:MAX_CLOSURE_SECONDS")
    """Module constants that define the outputs (see recipe/output_constants.py)."""

    def __init__(self, num_utterances=2000, seed=1, unit="word", split_fractions=None, speakers_per_split=None,
                 digits=(1, 7), speed_range=(0.9, 1.1), snr_db_range=(10.0, 40.0),
                 noise_colors=("white", "pink", "brown"), silence_s_range=(0.1, 0.5), workers=2, flite_fraction=0.0,
                 hashed_versions=None):
        self.num_utterances, self.seed, self.unit = num_utterances, seed, unit
        self.split_fractions = split_fractions or {"train": 0.8, "dev": 0.1, "test": 0.1}
        self.speakers_per_split = speakers_per_split or {"train": 24, "dev": 4, "test": 4}
        self.digits, self.speed_range, self.snr_db_range = tuple(digits), tuple(speed_range), tuple(snr_db_range)
        self.noise_colors, self.silence_s_range = tuple(noise_colors), tuple(silence_s_range)
        self.workers, self.flite_fraction, self.hashed_versions = workers, flite_fraction, hashed_versions
        lexicon.labels_for_unit(unit)
        corpus_plan.check_parameters(num_utterances, self.split_fractions, self.speakers_per_split, self.digits,
                                     self.speed_range, self.snr_db_range, self.noise_colors, self.silence_s_range,
                                     flite_fraction)
        _check_flite_available(flite_fraction)
        self.out_hdf = {split: self.output_path(f"{split}.hdf") for split in corpus_plan.SPLITS}
        self.out_transcripts = {split: self.output_path(f"{split}.transcripts.txt") for split in corpus_plan.SPLITS}
        self.out_labels = self.output_path("labels.json")
        self.out_summary = self.output_path("summary.json")
        self.rqmt = {"cpu": workers, "mem": 2, "time": 1}

    @classmethod
    def hash(cls, parsed_args):
        parsed_args = {key: value for key, value in parsed_args.items() if key != "workers"}
        return super().hash(parsed_args)

    def tasks(self):
        yield Task("run", rqmt=self.rqmt)

    def info(self):
        """While it runs: ``200/1000 utterances`` (the last progress line of its task log)."""
        return last_line_starting_with(self._sis_path("log.run.1"), PROGRESS_PREFIX)

    def run(self):
        generate_corpus(self, {split: p.get_path() for split, p in self.out_hdf.items()},
                        {split: p.get_path() for split, p in self.out_transcripts.items()},
                        self.out_labels.get_path(), self.out_summary.get_path())


def generate_corpus(params, hdf_paths, transcript_paths, labels_path, summary_path):
    """Generate the corpus described by ``params`` (a :class:`SyntheticDigitsCorpusJob` or an object with the same
    attributes) into the given files. Usable without Sisyphus."""
    import numpy

    from recipe.corpus.espeak import data_path
    from recipe.corpus.generation import render_in_order
    from recipe.corpus.hdf_corpus import write_corpus_hdf
    from recipe.corpus.utterance import SAMPLE_RATE

    labels = lexicon.labels_for_unit(params.unit)
    flite_fraction = getattr(params, "flite_fraction", 0.0)
    _check_flite_available(flite_fraction)
    speakers, specs = corpus_plan.plan_corpus(
        params.num_utterances, params.seed, params.split_fractions, params.speakers_per_split, params.digits,
        params.speed_range, params.snr_db_range, params.noise_colors, params.silence_s_range, data_path(),
        flite_fraction)
    rendered = render_in_order(specs, params.unit, params.workers)
    summary = {"sample_rate": SAMPLE_RATE, "unit": params.unit, "splits": {}}
    rendered_count = [0]
    for split in corpus_plan.SPLITS:
        split_specs = [s for s in specs if s["split"] == split]
        transcript, histogram, stats = [], numpy.zeros(len(labels), dtype=numpy.int64), {"samples": 0}

        def sequences():
            for _ in split_specs:
                spec, result = next(rendered)
                transcript.append(f"{spec['tag']} {' '.join(spec['words'])}\n")
                histogram[:] += numpy.bincount(result["classes"], minlength=len(labels))
                stats["samples"] += len(result["audio"])
                rendered_count[0] += 1
                if rendered_count[0] % PROGRESS_EVERY == 0 or rendered_count[0] == len(specs):
                    print(f"{PROGRESS_PREFIX}{rendered_count[0]}/{len(specs)} utterances", flush=True)
                yield spec["tag"], result["audio"], result["classes"]

        count = write_corpus_hdf(hdf_paths[split], sequences(), labels)
        write_atomically(transcript_paths[split], "".join(transcript))
        summary["splits"][split] = {
            "utterances": count, "hours": round(stats["samples"] / SAMPLE_RATE / 3600.0, 4),
            "frames": int(histogram.sum()),
            "speakers": {s.speaker_id: {k: v for k, v in s.as_dict().items() if k != "speaker_id"}
                         for s in speakers[split]},
            "label_histogram": {label: int(n) for label, n in zip(labels, histogram)},
        }
    summary["hours"] = round(sum(s["hours"] for s in summary["splits"].values()), 4)
    write_json_atomically(labels_path, {"unit": params.unit, "labels": list(labels), "silence_index": 0})
    write_json_atomically(summary_path, summary, sort_keys=True)


def _check_flite_available(flite_fraction):
    if flite_fraction and flite_fraction > 0:
        from recipe.corpus.flite import check_installed

        check_installed(f"SyntheticDigitsCorpusJob(flite_fraction={flite_fraction!r})")
