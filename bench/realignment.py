"""Figure: frame agreement of alignments made from transcripts only with the synthetic corpus' exact alignments.

The corpus_audio profile's graph on the demo corpus, exported to 22.05 kHz WAV + Kaldi text without alignments:
flat start, then per round a brief CNN-DNN training and a forced realignment (config/realignment.py). Runs
``sis manager`` in a temporary setup directory and prints, after the flat start and after each round, the share of
frames whose label equals the exact label (train split, and all splits); the last line is
``frame agreement after realignment: NN.N %`` (all splits, last round).

Usage: .venv/bin/python bench/realignment.py [num_utterances=400] [rounds=3] [epochs_per_round=profile's] [setup_dir]
       [--experiment] [--corpus-seed=N]

With ``--experiment`` the whole transfer experiment (config/transfer.py, the corpus_audio profile with the sizes
above) then runs on the realigned corpus in the same setup (the rounds are cached) and its results table is printed.
``--corpus-seed=N`` draws another demo corpus (the profile's ``corpus["seed"]``, default 1): other utterances,
speakers and noise, to check a figure is not one corpus' luck.
"""

import os
import subprocess
import sys
import tempfile
import textwrap
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from recipe.corpus.corpus_plan import SPLITS  # noqa: E402
from recipe.corpus.hdf_corpus import iterate_sequences  # noqa: E402

CONFIG = """\
from config import transfer
from recipe.sis_api import tk
from setups import profiles


def py():
    profile = profiles.get_profile("corpus_audio")
    profile["corpus"]["num_utterances"] = {num_utterances}
    profile["corpus"]["seed"] = {corpus_seed}
    profile["corpus_audio"]["realignment"].update(rounds={rounds}{epochs})
    if {experiment}:
        transfer.build(profile)
    else:
        tk.register_output("bench/train.hdf", transfer.corpus_for(profile).out_hdf["train"])
"""


def agreement(reference_hdf, aligned_hdf):
    """(equal frames, frames) of two corpus HDFs with the same sequences."""
    import numpy

    reference = {tag: streams["classes"] for tag, streams in iterate_sequences(reference_hdf, ("classes",))}
    equal = total = 0
    for tag, streams in iterate_sequences(aligned_hdf, ("classes",)):
        equal += int(numpy.count_nonzero(streams["classes"] == reference[tag]))
        total += len(reference[tag])
    return equal, total


def run_manager(root, config):
    env = dict(os.environ, SISLITE_FORCE="1", PYTHONPATH=REPO, DISABLE_CUDA="1", CUDA_VISIBLE_DEVICES="",
               PYTHONUNBUFFERED="1")
    start = time.time()
    result = subprocess.run([sys.executable, "-m", "sislite", "manager", "-r", config], cwd=root, env=env,
                            stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if result.returncode != 0:
        print((result.stdout + result.stderr)[-6000:])
        raise SystemExit(f"sis manager failed (exit {result.returncode}); setup in {root}")
    print(f"{config}: graph finished in {time.time() - start:.0f} s wall", flush=True)


def main():
    options = [a for a in sys.argv[1:] if a.startswith("--")]
    arguments = [a for a in sys.argv[1:] if not a.startswith("--")]
    unknown = [o for o in options if o != "--experiment" and not o.startswith("--corpus-seed=")]
    if unknown:
        raise SystemExit(f"bench/realignment.py: unknown option {unknown[0]!r}; use --experiment or --corpus-seed=N")
    corpus_seed = int(next((o.split("=", 1)[1] for o in options if o.startswith("--corpus-seed=")), 1))
    num_utterances = int(arguments[0]) if len(arguments) > 0 else 400
    rounds = int(arguments[1]) if len(arguments) > 1 else 3
    epochs = int(arguments[2]) if len(arguments) > 2 and arguments[2] != "-" else None
    root = arguments[3] if len(arguments) > 3 else tempfile.mkdtemp(prefix="bench_realignment.")
    os.makedirs(os.path.join(root, "config"), exist_ok=True)
    for name in ("recipe", "setups", "settings.py"):  # the setup's own settings: local engine, short waits
        if not os.path.exists(os.path.join(root, name)):
            os.symlink(os.path.join(REPO, name), os.path.join(root, name))
    for name in ("__init__.py", "transfer.py", "realignment.py"):
        target = os.path.join(root, "config", name)
        if not os.path.exists(target):
            os.symlink(os.path.join(REPO, "config", name), target)
    for name, experiment in (("bench_realignment", False), ("bench_experiment", True)):
        with open(os.path.join(root, "config", f"{name}.py"), "w") as file:
            file.write(CONFIG.format(num_utterances=num_utterances, rounds=rounds,
                                     epochs="" if epochs is None else f", num_epochs={epochs}",
                                     experiment=experiment, corpus_seed=corpus_seed))
    print(f"{num_utterances} utterances (corpus seed {corpus_seed}), {rounds} rounds, epochs "
          f"{epochs or 'of the profile'}; setup in {root}", flush=True)
    run_manager(root, "config/bench_realignment.py")
    exact = os.path.join(root, "alias", "corpus", "synthetic_digits", "output")
    stages = [("flat start", os.path.join(root, "alias", "corpus", "audio_import", "output"))]
    stages += [(f"round {n}", os.path.join(root, "alias", "corpus", f"realigned_round_{n}", "output"))
               for n in range(1, rounds + 1)]
    overall = None
    for name, directory in stages:
        counts = {split: agreement(os.path.join(exact, f"{split}.hdf"), os.path.join(directory, f"{split}.hdf"))
                  for split in SPLITS}
        equal, total = (sum(counts[s][i] for s in SPLITS) for i in (0, 1))
        overall = 100.0 * equal / total
        print(f"{name}: frame agreement {100.0 * counts['train'][0] / counts['train'][1]:.1f} % (train), "
              f"{overall:.1f} % (all splits, {total} frames)", flush=True)
    if "--experiment" in options:
        run_manager(root, "config/bench_experiment.py")
        with open(os.path.join(root, "output", "report", "results.md")) as file:
            print(file.read())
    print(f"frame agreement after realignment: {overall:.1f} %")


if __name__ == "__main__":
    main()
