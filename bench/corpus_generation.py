"""Figure: wall time to generate the synthetic digit corpus (default 2000 utterances, 2 workers).

Usage: .venv/bin/python bench/corpus_generation.py [num_utterances] [workers]
"""

import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from recipe.corpus.corpus_plan import SPLITS  # noqa: E402
from recipe.corpus.synthetic_digits import generate_corpus  # noqa: E402


class Params:
    num_utterances, seed, unit = 2000, 1, "word"
    split_fractions = {"train": 0.8, "dev": 0.1, "test": 0.1}
    speakers_per_split = {"train": 24, "dev": 4, "test": 4}
    digits, speed_range, snr_db_range = (1, 7), (0.9, 1.1), (10.0, 40.0)
    noise_colors, silence_s_range, workers = ("white", "pink", "brown"), (0.1, 0.5), 2


def main():
    params = Params()
    if len(sys.argv) > 1:
        params.num_utterances = int(sys.argv[1])
    if len(sys.argv) > 2:
        params.workers = int(sys.argv[2])
    with tempfile.TemporaryDirectory() as out:
        start = time.time()
        generate_corpus(params, {s: f"{out}/{s}.hdf" for s in SPLITS}, {s: f"{out}/{s}.txt" for s in SPLITS},
                        f"{out}/labels.json", f"{out}/summary.json")
        seconds = time.time() - start
        with open(f"{out}/summary.json") as f:
            summary = json.load(f)
        megabytes = sum(os.path.getsize(f"{out}/{s}.hdf") for s in SPLITS) / 1e6
    print(f"{params.num_utterances} utterances, {params.workers} workers, {os.cpu_count()} CPUs: {seconds:.1f} s wall, "
          f"{summary['hours']:.2f} h of audio, {megabytes:.0f} MB HDF")


if __name__ == "__main__":
    main()
