"""A tiny synthetic corpus (espeak-ng, exact labels) shared by the audio-import tests, generated once per session."""

from recipe.corpus.corpus_plan import SPLITS
from recipe.corpus.synthetic_digits import generate_corpus


class TinyCorpus:
    num_utterances, seed, unit = 24, 3, "word"
    split_fractions = {"train": 0.5, "dev": 0.25, "test": 0.25}
    speakers_per_split = {"train": 2, "dev": 2, "test": 2}
    digits, speed_range, snr_db_range = (1, 4), (0.9, 1.1), (15.0, 40.0)
    noise_colors, silence_s_range, workers = ("white", "pink", "brown"), (0.1, 0.3), 1

    def __init__(self, root):
        self.root = root
        self.hdf = {s: str(root / f"{s}.hdf") for s in SPLITS}
        self.transcripts = {s: str(root / f"{s}.transcripts.txt") for s in SPLITS}
        self.labels_json = str(root / "labels.json")
        generate_corpus(self, self.hdf, self.transcripts, self.labels_json, str(root / "summary.json"))


def import_outputs(root, splits=SPLITS):
    """Output paths for ``import_audio_corpus`` under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    return {"hdf": {s: str(root / f"{s}.hdf") for s in splits},
            "transcripts": {s: str(root / f"{s}.txt") for s in splits},
            "units": {s: str(root / f"{s}.units.txt") for s in splits},
            **{name: str(root / f"{name}.json") for name in ("labels", "summary", "problems", "statistics")},
            "plot": str(root / "alignment.png")}
