"""Synthetic speakers: an English accent plus voice traits (vocal-tract length, pitch, roughness, breathiness,
speaking rate), written as espeak-ng voice files; a share of speakers may speak with a flite voice instead. Stock
espeak-ng variants f2-f5/m2 are avoided: their echo leaks into labelled silence."""

ACCENTS = ("en", "en-US", "en-029", "en-GB-scotland", "en-GB-x-gbclan", "en-GB-x-gbcwmd", "en-GB-x-rp",
           "en-US-nyc")
"""espeak-ng English language files speakers are drawn from."""

# kind: (probability, formant scale range, base pitch range in Hz, pitch spread range in Hz, breath range)
_KINDS = {
    "male": (0.45, (0.92, 1.04), (78, 112), (30, 60), (0, 6)),
    "female": (0.40, (1.08, 1.18), (165, 205), (50, 90), (2, 12)),
    "child": (0.15, (1.18, 1.30), (235, 285), (60, 100), (2, 12)),
}


class Speaker:
    """One synthetic speaker; plain data (picklable, JSON-able through :meth:`as_dict`)."""

    def __init__(self, speaker_id, accent, kind, formant_scale, pitch_base, pitch_spread, roughness, breath,
                 words_per_minute):
        self.speaker_id, self.accent, self.kind = speaker_id, accent, kind
        self.formant_scale, self.pitch_base, self.pitch_spread = formant_scale, pitch_base, pitch_spread
        self.roughness, self.breath, self.words_per_minute = roughness, breath, words_per_minute

    flite_voice = None
    """The flite voice (see :mod:`recipe.corpus.flite`) this speaker speaks with instead of espeak-ng, or None."""

    def as_dict(self):
        """The speaker's traits; a flite speaker has only its id, engine, voice and speaking rate."""
        if self.flite_voice is not None:
            return {"speaker_id": self.speaker_id, "engine": "flite", "flite_voice": self.flite_voice,
                    "words_per_minute": self.words_per_minute}
        return dict(self.__dict__)

    def voice_definition(self, data_path):
        """Text of an espeak-ng voice file: the accent's language file followed by this speaker's traits."""
        from recipe.corpus.espeak import language_file

        with open(language_file(data_path, self.accent)) as f:
            language = f.read()
        gender = "male" if self.kind == "male" else "female"
        lines = [f"gender {gender}", f"pitch {self.pitch_base} {self.pitch_base + self.pitch_spread}",
                 f"roughness {self.roughness}"]
        for formant in range(1, 6):
            lines.append(f"formant {formant} {round(100 * self.formant_scale)} 100 100")
        lines.append("breath " + " ".join([str(self.breath)] * 4 + ["0"] * 4))
        return language.rstrip("\n") + "\n\n" + "\n".join(lines) + "\n"


def draw_speakers(rng, count, id_prefix, accents=ACCENTS):
    """``count`` speakers drawn with numpy Generator ``rng``; ids ``<id_prefix><index:03d>``."""
    kinds = sorted(_KINDS)
    probabilities = [_KINDS[k][0] for k in kinds]
    speakers = []
    for index in range(count):
        kind = kinds[int(rng.choice(len(kinds), p=probabilities))]
        _, formant, pitch, spread, breath = _KINDS[kind]
        speakers.append(Speaker(
            speaker_id=f"{id_prefix}{index:03d}",
            accent=accents[int(rng.integers(len(accents)))],
            kind=kind,
            formant_scale=round(float(rng.uniform(*formant)), 3),
            pitch_base=int(rng.integers(pitch[0], pitch[1] + 1)),
            pitch_spread=int(rng.integers(spread[0], spread[1] + 1)),
            roughness=int(rng.integers(0, 4)),
            breath=int(rng.integers(breath[0], breath[1] + 1)),
            words_per_minute=int(rng.integers(140, 211)),
        ))
    return speakers


def assign_flite_voices(rng, speakers, fraction):
    """Give ``round(fraction * len(speakers))`` of ``speakers``, picked with numpy Generator ``rng``, a flite voice
    drawn from :data:`recipe.corpus.flite.FLITE_VOICES` (sets their ``flite_voice``)."""
    from recipe.corpus.flite import FLITE_VOICES

    count = int(round(fraction * len(speakers)))
    for index in sorted(int(i) for i in rng.permutation(len(speakers))[:count]):
        speakers[index].flite_voice = FLITE_VOICES[int(rng.integers(len(FLITE_VOICES)))]
