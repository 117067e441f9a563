"""Hyper-parameters of the transfer experiment, one profile per kind of machine.

``demo`` (the default) runs the whole graph on a 2-core laptop-sized CPU machine in minutes: a small synthetic
corpus, the user's front-end sizes (so the transferred conv_1/conv_2 variables are the real thing) and smaller dense
and LSTM layers. ``full`` is the user's setup for a GPU cluster: the networks exactly as written, rnnLayerNodes 512.
``corpus_audio`` trains on audio files with transcripts, ``demo_pytorch`` adds BLSTMs on RETURNN's PyTorch backend,
``demo_fast`` / ``full_fast`` are demo / full with the networks in the formulations a CPU trains fastest.

Select with ``TRANSFER_PROFILE=full sis manager config/transfer.py`` or ``sis manager "config/transfer.run('full')"``.
Edit values here, not in job code: every value that changes a result changes the job hashes that depend on it;
``device``, ``rqmt`` and ``num_epochs`` do not (raising ``num_epochs`` continues the same trainings).
Every key, its type, range and meaning: setups/profile_schema.py (``python -m setups.profile_schema`` prints the
table). A profile is checked against it before any job is built; an unknown or missing key stops at once.
"""

import copy
import difflib
import os

from recipe.profile_check import check_profile
from setups import profile_schema

DEMO = {
    # Synthetic connected-digit corpus (recipe/corpus); replace by "corpus_hdf" to bring your own.
    "corpus": {"num_utterances": 600, "seed": 1, "unit": "word"},
    # To use an existing RETURNN HDF corpus instead (recipe/corpus/import_hdf.py), e.g.
    # {"hdf": {"train": tk.Path("/data/train.hdf"), "dev": ..., "test": ...}, "labels": ["<sil>", "oh", ...],
    #  "silence_index": 0, "transcripts": {"train": tk.Path(...), "dev": ..., "test": ...}}
    "corpus_hdf": None,
    # Your own speech (audio + transcripts, optional CTM/TextGrid): see the corpus_audio profile below.
    "corpus_audio": None,
    # True: the variant of both networks whose outputs do not depend on batching (setups/networks.py).
    "batch_independent": False,
    "baseline": {
        "network": {"window": 17, "lin_dim": 256, "ff_dim": 512},
        "num_epochs": 4,
        "learning_rate": 1e-3,
    },
    "blstm": {
        "network": {"rnn_layer_nodes": 64, "lin_dim": 256, "ff_dim": 256},
        "num_epochs": 2,
        "learning_rate": 1e-3,
    },
    # One parameter each: the loading method, and which of frozen / fine-tuned to train.
    "transfer": {"method": "load_on_init", "variants": ("frozen", "finetuned")},
    # BLSTMs also on RETURNN's PyTorch backend: any of "scratch", "frozen", "finetuned" (the last two with the TF
    # baseline's front-end converted); () here, see the demo_pytorch profile below.
    "pytorch_blstm": (),
    # Batches of 5 s of audio: twice the updates per epoch of 10 s batches for about the same computation.
    "training": {"batch_size": 80000, "max_seqs": 32, "optimizer": {"class": "adam"}},
    # Seeds (RETURNN's random_seed, positive ints): every experiment trains once per seed, the transferred
    # front-ends come from the baseline of the same seed; the report shows mean ± std over them.
    "seeds": (1, 2),
    # The evaluated checkpoint of every training: "best_dev_score" (lowest dev CE, chosen by GetBestCheckpointJob)
    # or "last".
    "checkpoint": "best_dev_score",
    # Also evaluate the BLSTM from scratch after baseline + BLSTM epochs (the transferred front-end saw as many).
    "equal_budget_control": True,
    # Word-loop Viterbi with word durations from the training alignments (recipe/scoring/decoding.py).
    "decoding": {"method": "viterbi"},
    "device": "cpu",
    # One core per training: these small RETURNN trainings keep about one core busy whatever the thread count, so
    # on 2 cores two of them run side by side.
    "rqmt": {"train": {"cpu": 1, "mem": 3, "time": 2}, "eval": {"cpu": 1, "mem": 2, "time": 1}},
}

FULL = copy.deepcopy(DEMO)
FULL.update({
    "corpus": {"num_utterances": 20000, "seed": 1, "unit": "word"},
    "baseline": {"network": {}, "num_epochs": 20, "learning_rate": 1e-3},
    "blstm": {"network": {"rnn_layer_nodes": 512}, "num_epochs": 20, "learning_rate": 1e-3},
    "training": {"batch_size": 160000, "max_seqs": 32, "optimizer": {"class": "adam"}},
    "seeds": (1, 2, 3),
    "device": "gpu",
    "rqmt": {"train": {"cpu": 4, "mem": 16, "time": 48}, "eval": {"cpu": 2, "mem": 8, "time": 4}},
})

CORPUS_AUDIO = copy.deepcopy(DEMO)
CORPUS_AUDIO["corpus_audio"] = {
    # ImportAudioCorpusJob's arguments (recipe/corpus/import_audio.py). "data": {"train": tk.Path("data/train"),
    # "dev": ..., "test": ...} (Kaldi data directories; layout "plain": audio folders + "transcripts"), or one
    # path with "split_fractions" to draw the splits by speaker. None: the demo corpus exported to 22.05 kHz WAV +
    # Kaldi text, so the profile runs anywhere. "alignments" + "alignment_format" ("ctm"/"textgrid"): use them
    # instead of realigning; "unit": "phone" with "lexicon" (a file or "cmudict"); "skip_bad": True drops bad
    # utterances (listed in output/corpus_audio/import_problems.json) instead of failing on the first;
    # "flat_start_pause_frames": quiet runs this long (frames) inside the speech region are silence in the flat start.
    "import": {"data": None, "layout": "kaldi", "alignments": None, "alignment_format": None, "unit": "word",
               "skip_bad": False, "flat_start_pause_frames": 5},
    # Transcripts only: flat start, then per round a brief CNN-DNN training and a forced realignment.
    # "num_epochs": one number, or one per round; each round after the first starts from the previous round's
    # model ("warm_start", then at "warm_start_learning_rate"); "training" adds RETURNN options to the profile's "training" for these trainings;
    # "checkpoint": the epoch that realigns ("best_dev_score" or "last"); "prior_scale" (the posteriors are divided
    # by the mean posterior to this power), "min_frames" (per word or phone) and "previous_weight" (bonus for
    # keeping a frame's label) shape the forced alignment.
    "realignment": {"rounds": 3, "num_epochs": (10, 4, 4), "learning_rate": 1e-3, "warm_start": True,
                    "warm_start_learning_rate": 5e-4,
                    "network": {"window": 17, "lin_dim": 256, "ff_dim": 512}, "training": {},
                    "checkpoint": "best_dev_score", "prior_scale": 0.5, "min_frames": 3, "previous_weight": 1.0},
}

DEMO_PYTORCH = copy.deepcopy(DEMO)
# The demo, and the BLSTM also on RETURNN's PyTorch backend: from scratch and with the TF baseline's front-end
# converted into it (frozen / fine-tuned); the report shows these rows beside the TF ones.
DEMO_PYTORCH["pytorch_blstm"] = ("scratch", "frozen", "finetuned")

# The networks in the formulations a CPU trains fastest (README "Training speed": at least 90 % of plain TF/Keras'
# frames/s for both networks), one switch: conv_2 as a 1-D convolution and window_1 + lin_1 as one convolution
# (the same functions as the user's layers) and, at full size, TF's LSTM cell instead of the user's lstmp
# (NativeLstm2). Other parameter shapes, another network for the BLSTM, so other job ids than demo / full.
DEMO_FAST = copy.deepcopy(DEMO)
DEMO_FAST["fast_formulation"] = True
FULL_FAST = copy.deepcopy(FULL)
FULL_FAST["fast_formulation"] = True
FULL_FAST["blstm"]["network"]["lstm_unit"] = "standardlstm"

PROFILES = {"demo": DEMO, "full": FULL, "corpus_audio": CORPUS_AUDIO, "demo_pytorch": DEMO_PYTORCH,
            "demo_fast": DEMO_FAST, "full_fast": FULL_FAST}


def check(profile):
    """``profile`` checked against setups/profile_schema.py, defaults filled in (in place); raises
    ``recipe.profile_check.ProfileError`` naming each unknown, missing or out-of-range key, and
    :func:`profile_schema.check_seeds`' error for bad seeds."""
    checked = check_profile(profile, profile_schema.SCHEMA, profile.get("name", "<unnamed>"), __file__,
                            profile_schema.__file__)
    profile_schema.check_seeds(checked["seeds"], checked.get("name", "<unnamed>"), __file__)
    return checked


def get_profile(name=None):
    """A checked copy of the named profile (default: ``$TRANSFER_PROFILE`` or ``demo``)."""
    name = name or os.environ.get("TRANSFER_PROFILE", "demo")
    if name not in PROFILES:
        close = difflib.get_close_matches(name, PROFILES, n=1)
        raise ValueError(f"unknown profile {name!r} (from TRANSFER_PROFILE or the config call)"
                         + (f" (did you mean {close[0]!r}?)" if close else "")
                         + f"; choose one of {sorted(PROFILES)} or add it to PROFILES in {__file__}")
    profile = copy.deepcopy(PROFILES[name])
    profile["name"] = name
    return check(profile)
