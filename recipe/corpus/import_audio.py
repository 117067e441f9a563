"""Bring your own speech: audio files with transcripts (and CTM/TextGrid alignments, or none) to the corpus HDF.

Frame geometry (the same as the synthetic corpus): the audio, resampled to 16 kHz, has ``N`` samples; the utterance
gets ``F = frontend_output_frames(N)`` frames and its audio is cut or zero-padded to ``160 F + 320`` samples, so the
CNN front-end yields exactly ``F`` frames; frame ``f`` is centred on sample ``160 f + 240`` (time
``(160 f + 240) / 16000`` s of the file). The synthetic corpus exported to audio files imports to its own labels.
"""

import os

from recipe.atomic_output import write_atomically, write_json_atomically
from recipe.file_path import path_string
from recipe.sis_api import Job, Task

from recipe.corpus.input_problems import CorpusInputError, ProblemLog

LAYOUTS = ("kaldi", "plain")
ALIGNMENT_FORMATS = ("ctm", "textgrid")
UNITS = ("word", "phone")
SILENCE = "<sil>"


class ImportAudioCorpusJob(Job):
    """Imports a user's speech corpus: audio + transcripts, with CTM/TextGrid alignments or (``alignments=None``) a
    flat start from the transcripts (see :mod:`recipe.corpus.flat_start`; realign it with
    :class:`recipe.corpus.realignment.RealignCorpusJob`).

    ``data``: {split: path} of Kaldi data directories (``layout="kaldi"``: ``wav.scp``, ``text``, optional
    ``segments``, ``utt2spk``) or audio folders (``layout="plain"``, transcripts from ``transcripts``: {split: path}
    of a Kaldi-style text file or an ``.stm``, or None for a ``.txt``/``.lab`` beside each audio file); or one path,
    then the splits are drawn by speaker with ``split_fractions`` and ``seed``. ``alignments``: like ``data`` (one
    CTM file or TextGrid folder per split, or one for all), ``alignment_format`` "ctm" or "textgrid".
    ``unit``: "word" (labels: silence + the words) or "phone" (silence + the lexicon's phones; ``lexicon``: a
    lexicon file or "cmudict"). ``labels``: the label inventory (index 0 silence); default: derived from the
    transcripts (words, sorted) or the lexicon (phones). ``channel``: "mix" or a channel index; ``level_dbfs``:
    RMS level to normalise each utterance to (None: unchanged). ``skip_bad``: drop bad utterances (missing or
    unreadable audio, no transcript, unknown word, alignment past the end / overlapping / not the transcript,
    empty or clipped audio) instead of failing on the first; they are listed in ``out_problems``.
    ``flat_start_threshold`` and ``flat_start_pause_frames``: the flat start's speech threshold and shortest pause
    (:func:`recipe.corpus.flat_start.flat_start_labels`).

    Hashed: every argument except ``workers``. Outputs (as :class:`SyntheticDigitsCorpusJob`): ``out_hdf``
    {split: Path}, ``out_transcripts`` {split: Path} (``<split>/<utterance> <word> ...``), ``out_labels`` JSON,
    ``out_summary`` JSON; plus ``out_units`` {split: Path} (the transcript in label units), ``out_problems`` JSON
    (count and list of skipped utterances), ``out_statistics`` JSON and ``out_plot`` PNG (the alignment imported or
    made by the flat start, one utterance). Streams utterances through ``workers`` processes and prints progress.
    Finished when all outputs exist (each written atomically).
    """

    __sis_version__ = 2
    """Raise (to 3, 4, ...) when a constant in OUTPUT_CONSTANTS changes: the audio or labels change with it (2: the
    flat start finds speech by the per-band signal-to-noise measure instead of the frame energy)."""
    OUTPUT_CONSTANTS = (
        "recipe.corpus.import_audio:SILENCE", "recipe.corpus.audio_file:TARGET_RATE",
        "recipe.corpus.audio_file:CLIP_LEVEL", "recipe.corpus.timed_alignment:SILENCE_TOKENS",
        "recipe.corpus.timed_alignment:END_TOLERANCE_S", "recipe.corpus.timed_alignment:FRAME_SHIFT",
        "recipe.corpus.timed_alignment:FIRST_CENTRE", "recipe.corpus.flat_start:FRAME_SHIFT",
        "recipe.corpus.flat_start:FIRST_FRAME_START", "recipe.corpus.flat_start:SPEECH_BANDS",
        "recipe.corpus.flat_start:SPECTRUM_WINDOW", "recipe.corpus.flat_start:FFT_SIZE",
        "recipe.corpus.plain_layout:AUDIO_EXTENSIONS",
        "recipe.corpus.plain_layout:TEXT_EXTENSIONS", "recipe.corpus.textgrid_alignment:WORD_TIER",
        "recipe.corpus.textgrid_alignment:PHONE_TIER",
    )

    def __init__(self, data, layout="kaldi", transcripts=None, alignments=None, alignment_format=None, unit="word",
                 labels=None, lexicon=None, channel="mix", level_dbfs=None, split_fractions=None, seed=1,
                 skip_bad=False, max_clipped_fraction=0.001, flat_start_threshold=0.2, flat_start_pause_frames=5,
                 workers=2):
        check_arguments(data, layout, transcripts, alignments, alignment_format, unit, labels, lexicon, channel,
                        split_fractions)
        self.data, self.layout, self.transcripts = data, layout, transcripts
        self.alignments, self.alignment_format = alignments, alignment_format
        self.unit, self.labels, self.lexicon, self.channel, self.level_dbfs = unit, labels, lexicon, channel, level_dbfs
        self.split_fractions = split_fractions or ({"train": 0.8, "dev": 0.1, "test": 0.1}
                                                   if not isinstance(data, dict) else None)
        self.seed, self.skip_bad, self.max_clipped_fraction = seed, skip_bad, max_clipped_fraction
        self.flat_start_threshold, self.flat_start_pause_frames = flat_start_threshold, flat_start_pause_frames
        self.workers = workers
        splits = list(data) if isinstance(data, dict) else list(self.split_fractions)
        self.out_hdf = {split: self.output_path(f"{split}.hdf") for split in splits}
        self.out_transcripts = {split: self.output_path(f"{split}.transcripts.txt") for split in splits}
        self.out_units = {split: self.output_path(f"{split}.units.txt") for split in splits}
        self.out_labels = self.output_path("labels.json")
        self.out_summary = self.output_path("summary.json")
        self.out_problems = self.output_path("problems.json")
        self.out_statistics = self.output_path("alignment_statistics.json")
        self.out_plot = self.output_path("alignment.png")
        self.rqmt = {"cpu": workers, "mem": 2, "time": 4}

    @classmethod
    def hash(cls, parsed_args):
        return super().hash({key: value for key, value in parsed_args.items() if key != "workers"})

    def tasks(self):
        yield Task("run", rqmt=self.rqmt)

    def run(self):
        def paths(outputs):
            return {split: p.get_path() for split, p in outputs.items()}

        import_audio_corpus(self, {"hdf": paths(self.out_hdf), "transcripts": paths(self.out_transcripts),
                                   "units": paths(self.out_units), "labels": self.out_labels.get_path(),
                                   "summary": self.out_summary.get_path(), "problems": self.out_problems.get_path(),
                                   "statistics": self.out_statistics.get_path(), "plot": self.out_plot.get_path()})


def check_arguments(data, layout, transcripts, alignments, alignment_format, unit, labels, lexicon, channel,
                    split_fractions):
    """Fail at graph construction on arguments that cannot work, naming the argument and the fix."""
    name = "ImportAudioCorpusJob"
    if layout not in LAYOUTS:
        raise ValueError(f"{name}: layout={layout!r}; use one of {LAYOUTS}")
    if unit not in UNITS:
        raise ValueError(f"{name}: unit={unit!r}; use one of {UNITS}")
    if unit == "phone" and lexicon is None:
        raise ValueError(f"{name}: unit='phone' needs lexicon= (a lexicon file or 'cmudict')")
    if alignments is not None and alignment_format not in ALIGNMENT_FORMATS:
        raise ValueError(f"{name}: alignments are given, so alignment_format must be one of {ALIGNMENT_FORMATS}, "
                         f"not {alignment_format!r}")
    if channel != "mix" and not (isinstance(channel, int) and channel >= 0):
        raise ValueError(f"{name}: channel={channel!r}; use 'mix' or a channel index (0, 1, ...)")
    if labels is not None and (not labels or labels[0] != SILENCE):
        raise ValueError(f"{name}: labels must start with the silence label {SILENCE!r}")
    if isinstance(data, dict):
        if split_fractions is not None:
            raise ValueError(f"{name}: data gives the splits, so split_fractions must be None")
        for what, value in (("transcripts", transcripts), ("alignments", alignments)):
            if isinstance(value, dict) and set(value) != set(data):
                raise ValueError(f"{name}: {what} has splits {sorted(value)} but data has {sorted(data)}")
    else:
        for what, value in (("transcripts", transcripts), ("alignments", alignments)):
            if isinstance(value, dict):
                raise ValueError(f"{name}: data is one path (splits drawn by speaker), so {what} must be one path too")
        if split_fractions is not None and (not split_fractions or any(v <= 0 for v in split_fractions.values())):
            raise ValueError(f"{name}: split_fractions={split_fractions!r}; give each split a share > 0")


def _path(value):
    return None if value is None else path_string(value)


def _per_split(value, split):
    return _path(value[split] if isinstance(value, dict) else value)


def list_utterances(params, problems):
    """{split: [ListedUtterance]}: read every listing, then draw the splits by speaker if ``data`` is one path."""
    from recipe.corpus.kaldi_data_dir import read_kaldi_data_dir
    from recipe.corpus.plain_layout import read_plain_layout

    def read(directory, transcripts):
        if params.layout == "kaldi":
            return read_kaldi_data_dir(directory, problems)
        return read_plain_layout(directory, transcripts, problems)

    if isinstance(params.data, dict):
        return {split: read(_path(path), _per_split(params.transcripts, split)) for split, path in params.data.items()}
    return split_by_speaker(read(_path(params.data), _path(params.transcripts)), params.split_fractions, params.seed)


def split_by_speaker(utterances, split_fractions, seed):
    """{split: utterances}: speakers shuffled with ``seed`` and dealt to the splits by ``split_fractions`` of the
    speakers (at least one speaker each; the first split takes the rest)."""
    import numpy

    speakers = sorted({u.speaker for u in utterances})
    if len(speakers) < len(split_fractions):
        raise CorpusInputError("utt2spk", f"{len(speakers)} speaker(s) cannot be drawn into {len(split_fractions)} "
                               "splits", "give the splits yourself (data={split: path}) or more speakers")
    order = [speakers[i] for i in numpy.random.default_rng(seed).permutation(len(speakers))]
    total = sum(split_fractions.values())
    names = list(split_fractions)
    counts = {name: max(1, int(round(len(speakers) * split_fractions[name] / total))) for name in names[1:]}
    counts[names[0]] = len(speakers) - sum(counts.values())
    if counts[names[0]] < 1:
        raise CorpusInputError("utt2spk", f"{len(speakers)} speakers are too few for split_fractions "
                               f"{split_fractions}", "give the splits yourself or fewer splits")
    owner, position = {}, 0
    for name in names:
        for speaker in order[position:position + counts[name]]:
            owner[speaker] = name
        position += counts[name]
    return {name: [u for u in utterances if owner[u.speaker] == name] for name in names}


def label_inventory(params, listed, lexicon):
    """The labels (index 0 silence): ``params.labels``, or silence + sorted words / the lexicon's phones."""
    if params.labels is not None:
        return list(params.labels)
    if params.unit == "phone":
        return [SILENCE] + lexicon.phone_set()
    return [SILENCE] + sorted({word for utterances in listed.values() for u in utterances for word in u.words})


def audio_labels(arguments):
    """The labels an :class:`ImportAudioCorpusJob` with these keyword ``arguments`` derives (see
    :func:`label_inventory`), read from its listings now (bad utterances are left out, not reported), so a graph
    can size its networks before the import runs."""
    from types import SimpleNamespace

    from recipe.corpus.pronunciation_lexicon import PronunciationLexicon

    defaults = {"layout": "kaldi", "transcripts": None, "split_fractions": None, "seed": 1, "unit": "word",
                "lexicon": None, "labels": None}
    params = SimpleNamespace(**{**defaults, **arguments})
    if params.labels is not None:
        return list(params.labels)
    if not isinstance(params.data, dict) and params.split_fractions is None:
        params.split_fractions = {"train": 0.8, "dev": 0.1, "test": 0.1}
    lexicon = PronunciationLexicon.load(_path(params.lexicon)) if params.lexicon is not None else None
    return label_inventory(params, list_utterances(params, ProblemLog(skip_bad=True)), lexicon)


_WORKER = {}
"""What every worker process needs (set before the pool forks; read-only there)."""


def _load_alignments(params, split):
    from recipe.corpus.ctm import read_ctm
    from recipe.corpus.textgrid_alignment import find_textgrids

    path = _per_split(params.alignments, split)
    if path is None:
        return None
    if not os.path.exists(path):
        raise CorpusInputError(path, "alignment file or folder does not exist", "fix the alignments path")
    return read_ctm(path) if params.alignment_format == "ctm" else find_textgrids(path)


def prepare_utterance(entry):
    """Read, check, resample and label one utterance (a ListedUtterance as dict), in a worker process. Returns
    ``("ok", tag, audio, classes, words, units)`` or ``("bad", problem record)``."""
    import numpy

    from recipe.corpus import audio_file, flat_start, timed_alignment
    from recipe.corpus.utterance_listing import ListedUtterance
    from recipe.corpus.frontend_geometry import frontend_output_frames, samples_for_frames

    context = _WORKER
    utterance = ListedUtterance.from_dict(entry)
    tag = f"{context['split']}/{utterance.utt_id}"
    try:
        units = utterance.words
        if context["lexicon"] is not None and context["unit"] == "phone":
            units = context["lexicon"].phones(utterance.words, utterance.where_text, utterance.utt_id)
        unknown = [unit for unit in units if unit not in context["label_index"]]
        if unknown:
            raise CorpusInputError(utterance.where_text, f"{context['unit']} {unknown[0]!r} is not in the labels",
                                   "add it to labels= or fix the transcript", utterance.utt_id)
        samples, rate, clipped = audio_file.read_audio(utterance.source, utterance.where_audio, utterance.start,
                                                       utterance.end, context["channel"])
        audio_file.check_audio(samples, rate, clipped, utterance.where_audio, utterance.source, utterance.utt_id,
                               context["max_clipped_fraction"])
        duration = len(samples) / rate
        samples = audio_file.normalize_level(audio_file.resample(samples, rate), context["level_dbfs"])
        num_frames = frontend_output_frames(len(samples))
        audio = numpy.zeros(samples_for_frames(num_frames), dtype=numpy.float32)
        audio[:min(len(audio), len(samples))] = samples[:len(audio)]
        unit_labels = [context["label_index"][unit] for unit in units]
        alignments = context["alignments"]
        if alignments is None:
            classes = flat_start.flat_start_labels(audio, num_frames, unit_labels, context["flat_start_threshold"],
                                                   context["flat_start_pause_frames"])
        else:
            tokens = _tokens_of(utterance, alignments, context)
            timed_alignment.check_tokens(tokens, duration, units, utterance.utt_id)
            classes = timed_alignment.frame_labels(tokens, num_frames, context["label_index"])
    except CorpusInputError as error:
        return ("bad", error.as_record() if error.utterance else {**error.as_record(), "utterance": utterance.utt_id})
    return ("ok", tag, audio, classes, utterance.words, units)


def _tokens_of(utterance, alignments, context):
    """The utterance's timed tokens (phones without stress digits or position suffixes for unit "phone")."""
    from recipe.corpus.pronunciation_lexicon import plain_phone
    from recipe.corpus.textgrid_alignment import read_textgrid

    if utterance.utt_id not in alignments:
        raise CorpusInputError(utterance.where_audio, f"utterance has no alignment in {context['alignment_path']}",
                               "add it, or import without alignments (flat start)", utterance.utt_id)
    if context["alignment_format"] == "textgrid":
        tokens = read_textgrid(alignments[utterance.utt_id], context["unit"])
    else:
        tokens = alignments[utterance.utt_id]
    if context["unit"] == "phone":
        for token in tokens:
            token.token = None if token.token is None else plain_phone(token.token)
    return tokens


def import_audio_corpus(params, outputs):
    """Run the import described by ``params`` (an :class:`ImportAudioCorpusJob` or an object with its attributes)
    into ``outputs`` {"hdf", "transcripts", "units": {split: path}, "labels", "summary", "problems", "statistics",
    "plot": path}. Usable without Sisyphus."""
    import multiprocessing

    from recipe.corpus.alignment_report import AlignmentStatistics, plot_alignment
    from recipe.corpus.hdf_corpus import write_corpus_hdf
    from recipe.corpus.pronunciation_lexicon import PronunciationLexicon

    problems = ProblemLog(params.skip_bad)
    listed = list_utterances(params, problems)
    lexicon = PronunciationLexicon.load(_path(params.lexicon)) if params.lexicon is not None else None
    labels = label_inventory(params, listed, lexicon)
    statistics = AlignmentStatistics(labels)
    summary = {"sample_rate": 16000, "unit": params.unit,
               "alignment": params.alignment_format or "flat_start", "splits": {}}
    plotted = False
    for split, utterances in listed.items():
        alignments = _load_alignments(params, split)
        _WORKER.clear()
        _WORKER.update(split=split, unit=params.unit, lexicon=lexicon, label_index={l: i for i, l in enumerate(labels)},
                       channel=params.channel, level_dbfs=params.level_dbfs,
                       max_clipped_fraction=params.max_clipped_fraction, alignments=alignments,
                       alignment_format=params.alignment_format,
                       alignment_path=_per_split(params.alignments, split),
                       flat_start_threshold=params.flat_start_threshold,
                       flat_start_pause_frames=params.flat_start_pause_frames)
        entries = [u.as_dict() for u in utterances]
        transcript_lines, unit_lines, stats = [], [], {"samples": 0, "skipped": 0}
        workers = max(1, int(getattr(params, "workers", 1)))
        pool = multiprocessing.get_context("fork").Pool(workers) if workers > 1 and len(entries) > 1 else None
        results = pool.imap(prepare_utterance, entries, chunksize=4) if pool else map(prepare_utterance, entries)
        step = max(1, len(entries) // 20)

        def sequences():
            nonlocal plotted
            for number, result in enumerate(results, 1):
                if number % step == 0 or number == len(entries):
                    print(f"import {split}: {number}/{len(entries)} utterances ({100 * number // len(entries)} %), "
                          f"{stats['skipped']} skipped", flush=True)
                if result[0] == "bad":
                    problems.report(CorpusInputError(result[1]["where"], result[1]["problem"], result[1]["fix"],
                                                     result[1]["utterance"]))
                    stats["skipped"] += 1
                    continue
                _, tag, audio, classes, words, units = result
                transcript_lines.append(f"{tag} {' '.join(words)}\n")
                unit_lines.append(f"{tag} {' '.join(units)}\n")
                stats["samples"] += len(audio)
                statistics.add(classes)
                if not plotted:
                    plot_alignment(outputs["plot"], tag, audio, labels, classes,
                                   title=f"imported ({summary['alignment']})")
                    plotted = True
                yield tag, audio, classes

        try:
            count = write_corpus_hdf(outputs["hdf"][split], sequences(), labels)
        finally:
            if pool:
                pool.terminate()
        if count == 0:
            raise CorpusInputError(_per_split(params.data, split) if isinstance(params.data, dict) else params.data,
                                   f"split {split!r} has no usable utterance", "see problems above / fix the input")
        write_atomically(outputs["transcripts"][split], "".join(transcript_lines))
        write_atomically(outputs["units"][split], "".join(unit_lines))
        summary["splits"][split] = {"utterances": count, "skipped": stats["skipped"],
                                    "hours": round(stats["samples"] / 16000 / 3600.0, 4),
                                    "speakers": len({u.speaker for u in utterances})}
    if not plotted:
        raise CorpusInputError(str(params.data), "no utterance could be imported", "fix the input")
    summary["hours"] = round(sum(s["hours"] for s in summary["splits"].values()), 4)
    write_json_atomically(outputs["problems"], problems.summary())
    write_json_atomically(outputs["statistics"], statistics.as_dict())
    write_json_atomically(outputs["labels"], {"unit": params.unit, "labels": labels, "silence_index": 0})
    write_json_atomically(outputs["summary"], summary, sort_keys=True)
    if problems.records:
        print(f"import: {len(problems.records)} bad utterance(s) skipped, listed in {outputs['problems']}")
