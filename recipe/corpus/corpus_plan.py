"""The deterministic plan of a synthetic corpus: speakers per split (disjoint) and every utterance's spec.

All randomness is drawn here from ``seed``; the plan depends on nothing else, so the same parameters give the same
corpus byte for byte.
"""

from recipe.corpus import lexicon, perturbation, speakers as speakers_module

SPLITS = ("train", "dev", "test")


def check_parameters(num_utterances, split_fractions, speakers_per_split, digits, speed_range, snr_db_range,
                     noise_colors, silence_s_range, flite_fraction=0.0):
    """Fail fast, naming the parameter and the fix."""
    if isinstance(flite_fraction, bool) or not isinstance(flite_fraction, (int, float)) \
            or not 0.0 <= flite_fraction <= 1.0:
        raise ValueError(f"flite_fraction={flite_fraction!r}: need the share of speakers with a flite voice, "
                         f"0.0 .. 1.0")
    if not isinstance(num_utterances, int) or num_utterances < len(SPLITS):
        raise ValueError(f"num_utterances={num_utterances!r}: need an int >= {len(SPLITS)} (one per split)")
    for name, value in (("split_fractions", split_fractions), ("speakers_per_split", speakers_per_split)):
        if sorted(value) != sorted(SPLITS):
            raise ValueError(f"{name}={value!r}: give exactly the splits {SPLITS}")
    if any(f <= 0 for f in split_fractions.values()):
        raise ValueError(f"split_fractions={split_fractions!r}: every split needs a positive fraction")
    if any(not isinstance(n, int) or n < 1 for n in speakers_per_split.values()):
        raise ValueError(f"speakers_per_split={speakers_per_split!r}: every split needs at least one speaker")
    if not (1 <= digits[0] <= digits[1]):
        raise ValueError(f"digits={digits!r}: need (min, max) with 1 <= min <= max")
    if not (0.5 <= speed_range[0] <= speed_range[1] <= 2.0):
        raise ValueError(f"speed_range={speed_range!r}: need (low, high) within 0.5 .. 2.0")
    if snr_db_range[0] > snr_db_range[1]:
        raise ValueError(f"snr_db_range={snr_db_range!r}: need (low, high)")
    if not noise_colors or any(c not in perturbation.NOISE_COLORS for c in noise_colors):
        raise ValueError(f"noise_colors={noise_colors!r}: choose from {perturbation.NOISE_COLORS}")
    if not (0 <= silence_s_range[0] <= silence_s_range[1]):
        raise ValueError(f"silence_s_range={silence_s_range!r}: need (low, high) seconds, low >= 0")


def split_counts(num_utterances, split_fractions):
    """Utterances per split: proportional to the fractions, at least one each, summing to ``num_utterances``."""
    total = float(sum(split_fractions.values()))
    counts = {s: max(1, int(num_utterances * split_fractions[s] / total)) for s in SPLITS}
    counts["train"] += num_utterances - sum(counts.values())
    return counts


def plan_corpus(num_utterances, seed, split_fractions, speakers_per_split, digits, speed_range, snr_db_range,
                noise_colors, silence_s_range, data_path, flite_fraction=0.0):
    """``(speakers, specs)``: ``{split: [Speaker]}`` and the list of utterance specs (dicts), split by split.

    With ``flite_fraction > 0`` that share of each split's speakers speaks with a flite voice; their voices come
    from a random stream of their own, so every other draw (and every espeak-ng utterance) stays as without flite.
    """
    import numpy

    check_parameters(num_utterances, split_fractions, speakers_per_split, digits, speed_range, snr_db_range,
                     noise_colors, silence_s_range, flite_fraction)
    seed_sequence = numpy.random.SeedSequence([int(seed), 0xD161])
    speaker_seed, utterance_seed = seed_sequence.spawn(2)
    speaker_rng = numpy.random.default_rng(speaker_seed)
    rng = numpy.random.default_rng(utterance_seed)
    flite_rng = numpy.random.default_rng(numpy.random.SeedSequence([int(seed), 0xF117E]))
    counts = split_counts(num_utterances, split_fractions)
    speakers, specs = {}, []
    for split in SPLITS:
        speakers[split] = speakers_module.draw_speakers(speaker_rng, speakers_per_split[split], f"{split}-spk")
        if flite_fraction > 0:
            speakers_module.assign_flite_voices(flite_rng, speakers[split], flite_fraction)
        voices = {s.speaker_id: s.voice_definition(data_path) for s in speakers[split]}
        for index in range(counts[split]):
            speaker = speakers[split][index % len(speakers[split])]
            words = [lexicon.DIGIT_WORDS[int(i)]
                     for i in rng.integers(len(lexicon.DIGIT_WORDS), size=int(rng.integers(digits[0], digits[1] + 1)))]
            utterance_id = f"{speaker.speaker_id}-{index:05d}"
            specs.append({
                "tag": f"{split}/{utterance_id}", "split": split, "speaker_id": speaker.speaker_id,
                "accent": speaker.accent, "voice": voices[speaker.speaker_id], "words": words,
                "words_per_minute": int(round(speaker.words_per_minute * rng.uniform(0.9, 1.1))),
                "word_gap": int(rng.choice([0, 0, 0, 1, 2, 4, 8])),
                "speed": round(float(rng.uniform(*speed_range)), 4),
                "lead_s": round(float(rng.uniform(*silence_s_range)), 3),
                "trail_s": round(float(rng.uniform(*silence_s_range)), 3),
                "peak": round(float(rng.uniform(0.3, 0.9)), 3),
                "noise_color": noise_colors[int(rng.integers(len(noise_colors)))],
                "snr_db": round(float(rng.uniform(*snr_db_range)), 2),
                "noise_seed": int(rng.integers(2 ** 63 - 1)),
            })
            if speaker.flite_voice is not None:
                # flite's speaking rate: its default duration scaled like espeak-ng's 175 words per minute default
                specs[-1].update(engine="flite", flite_voice=speaker.flite_voice,
                                 duration_stretch=round(175.0 / specs[-1]["words_per_minute"], 4))
    return speakers, specs
