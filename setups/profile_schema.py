"""Every key a profile of setups/profiles.py may hold: its type, range and what it does (the reference for users).

Each profile is checked against :data:`SCHEMA` before any job is built (``setups.profiles.get_profile`` and
``config/transfer.py``'s ``build``): an unknown, missing, mistyped or out-of-range key stops ``sis manager`` at once
with the profile's name, the closest valid key and the file to edit. A table of all keys:
``python -m setups.profile_schema``.

Adding a key is one line in the right section below, e.g.
``"seeds": Key(tuple, "training seeds, one training per seed", default=(1,)),`` and then ``profile["seeds"]`` in the
plan. ``default=`` is filled in when a profile leaves the key out (so existing profiles keep working: choose a
default that keeps today's job ids); ``optional=True`` leaves it out (the job's or RETURNN's own default applies);
neither: every profile must set it. ``returnn=True`` marks a key handed to RETURNN unchanged as the config option of
that name; tests/setups/test_profile_schema.py checks that RETURNN reads every such option.
"""

from recipe.corpus.import_audio import ALIGNMENT_FORMATS, LAYOUTS as AUDIO_LAYOUTS, UNITS as AUDIO_UNITS
from recipe.corpus.lexicon import UNITS
from recipe.profile_check import Key, ProfileError, Section, schema_table
from recipe.scoring.decoding import SEARCH_METHODS
from recipe.sis_api import tk
from recipe.transfer.transfer_config import METHODS as TRANSFER_METHODS

TRANSFER_VARIANTS = ("frozen", "finetuned")
PYTORCH_BLSTM_VARIANTS = ("scratch",) + TRANSFER_VARIANTS
CHECKPOINT_CHOICES = ("best_dev_score", "last")
DEVICES = ("cpu", "gpu")


def network_sizes(doc, **keys):
    """The ``network`` section of a training: keyword arguments of its function in setups/networks.py."""
    return Section(f"sizes of {doc} (keyword arguments of its function in setups/networks.py; left out: the user's "
                   "sizes)", keys)


def trained_model(network):
    """The section of one trained model: its network sizes, epochs and learning rate."""
    return Section("one trained model", {
        "network": network,
        "num_epochs": Key(int, "epochs to train (not hashed: raising it continues the same training)", min=1),
        "learning_rate": Key(float, "RETURNN's learning_rate of this training; lower it when the loss turns NaN/inf",
                             min=1e-9, max=10.0, returnn=True),
    })


def task_resources(doc):
    """Resource requests of one kind of task (never hashed)."""
    return Section(doc, {
        "cpu": Key(int, "cores (also RETURNN's thread count)", min=1),
        "mem": Key(float, "memory in GB", min=0.1),
        "time": Key(float, "time limit in hours", min=0.01),
    })


SCHEMA = {
    "name": Key(str, "the profile's name (set by get_profile)", optional=True),
    "corpus": Section("the synthetic connected-digit corpus: arguments of SyntheticDigitsCorpusJob "
                      "(recipe/corpus/synthetic_digits.py); used when corpus_hdf is None", {
        "num_utterances": Key(int, "utterances over train, dev and test", min=10),
        "seed": Key(int, "random seed of the corpus", min=0),
        "unit": Key(str, "label unit of the frame targets", choices=tuple(UNITS)),
        "split_fractions": Key(dict, "fraction of utterances per split, e.g. {'train': 0.8, 'dev': 0.1, "
                                     "'test': 0.1}", optional=True),
        "speakers_per_split": Key(dict, "number of voices per split, e.g. {'train': 24, 'dev': 4, 'test': 4}",
                                  optional=True),
        "digits": Key(tuple, "(fewest, most) digits per utterance", optional=True),
        "speed_range": Key(tuple, "(slowest, fastest) speaking-rate factor", optional=True),
        "snr_db_range": Key(tuple, "(lowest, highest) signal-to-noise ratio in dB", optional=True),
        "noise_colors": Key(tuple, "noise kinds mixed in", choices=("white", "pink", "brown"), optional=True),
        "silence_s_range": Key(tuple, "(shortest, longest) silence between words in seconds", optional=True),
        "workers": Key(int, "processes generating audio (not hashed)", min=1, optional=True),
        "flite_fraction": Key(float, "fraction of utterances spoken by flite voices (needs apt-get install flite)",
                              min=0.0, max=1.0, optional=True),
    }),
    "corpus_hdf": Section("your own RETURNN HDF corpus instead of the synthetic one: arguments of "
                          "ImportHdfCorpusJob (recipe/corpus/import_hdf.py); None: the synthetic corpus", {
        "hdf": Key(dict, "{split: tk.Path(...)} of HDF files with raw 16 kHz samples and frame-wise classes"),
        "labels": Key(tuple, "the label names, index = class id"),
        "silence_index": Key(int, "class id of silence", min=0, optional=True),
        "unit": Key(str, "label unit", choices=tuple(UNITS), optional=True),
        "transcripts": Key(dict, "{split: tk.Path(...)} of word transcripts (for WER)", optional=True),
        "sample_rate": Key(int, "samples per second of the audio", min=1, optional=True),
        "content_hash": Key(bool, "hash the files by their contents (sha256), not their paths: a file regenerated "
                                  "at the same path gets new job ids instead of stale results", optional=True),
    }, nullable=True),
    "batch_independent": Key(bool, "the variant of both networks whose outputs do not depend on batching "
                                   "(setups/networks.py)"),
    "fast_formulation": Key(bool, "both networks written in the layers TF runs fast on a CPU: conv_2 as a 1-D "
                                  "convolution, the baseline's window_1 + lin_1 as one convolution; the same "
                                  "function with other parameter shapes, so other job ids (setups/networks.py)",
                            default=False),
    "baseline": trained_model(network_sizes("the CNN-DNN baseline", **{
        "conv_1_channels": Key(int, "conv_1 filters", min=1, optional=True),
        "conv_2_channels": Key(int, "conv_2 filters", min=1, optional=True),
        "window": Key(int, "frames in window_1", min=1, optional=True),
        "lin_dim": Key(int, "units of lin_1", min=1, optional=True),
        "ff_dim": Key(int, "units of ff_2", min=1, optional=True),
    })),
    "blstm": trained_model(network_sizes("the BLSTM", **{
        "rnn_layer_nodes": Key(int, "units per LSTM direction (the user's rnnLayerNodes)", min=1, optional=True),
        "conv_1_channels": Key(int, "conv_1 filters (must match the baseline's)", min=1, optional=True),
        "conv_2_channels": Key(int, "conv_2 filters (must match the baseline's)", min=1, optional=True),
        "lin_dim": Key(int, "units of lin_1", min=1, optional=True),
        "ff_dim": Key(int, "units of ff_2 .. ff_4", min=1, optional=True),
        "lstm_unit": Key(str, "RETURNN rec unit of the LSTMs", optional=True),
    })),
    "transfer": Section("how the BLSTM gets the baseline's conv_1/conv_2 (recipe/transfer/transfer_config.py)", {
        "method": Key(str, "the loading method", choices=TRANSFER_METHODS),
        "variants": Key(tuple, "which transferred BLSTMs to train", choices=TRANSFER_VARIANTS),
        "spec": Key(str, "which layers, e.g. 'conv_1,conv_2::conv_2/W' (recipe/transfer/transfer_spec.py)", optional=True),
    }),
    "pytorch_blstm": Key(tuple, "BLSTMs also trained on RETURNN's PyTorch backend (setups/torch_networks.py, needs "
                                "requirements-torch.txt): 'scratch', and/or the TF baseline's front-end converted "
                                "into it (ConvertTfToTorchJob) 'frozen' / 'finetuned'; evaluated like the TF rows, "
                                "shown beside them in the report; (): none", choices=PYTORCH_BLSTM_VARIANTS,
                         default=()),
    "training": Section("RETURNN options of every training, passed to RETURNN as they are", {
        "batch_size": Key(int, "frames (here: audio samples) per batch", min=1, returnn=True),
        "max_seqs": Key(int, "sequences per batch at most", min=1, optional=True, returnn=True),
        "max_seq_length": Key((int, dict), "longer sequences are skipped in training", optional=True,
                              returnn=True),
        "optimizer": Key(dict, "e.g. {'class': 'adam'}", returnn=True),
        "gradient_clip": Key(float, "clip each gradient value to +-this (0: off); helps against NaN/inf losses",
                             min=0.0, optional=True, returnn=True),
        "gradient_clip_global_norm": Key(float, "clip the global gradient norm to this (0: off); helps against "
                                                "NaN/inf losses", min=0.0, optional=True, returnn=True),
        "gradient_noise": Key(float, "stddev of Gaussian noise added to gradients (0: off)", min=0.0,
                              optional=True, returnn=True),
        "accum_grad_multiple_step": Key(int, "accumulate gradients over this many batches", min=1, optional=True,
                                        returnn=True),
    }),
    "seeds": Key(tuple, "RETURNN's random_seed of every training, distinct ints >= 1: each experiment trains once "
                        "per seed, the transferred front-ends come from the same seed's baseline, the report shows "
                        "mean ± std over the seeds", default=(1, 2)),
    "checkpoint": Key(str, "the evaluated checkpoint of every training: the lowest dev CE (GetBestCheckpointJob) or "
                           "the last one", choices=CHECKPOINT_CHOICES, default="best_dev_score"),
    "equal_budget_control": Key(bool, "also evaluate the BLSTM from scratch after baseline + BLSTM epochs (as many "
                                      "as the transferred front-end saw)", default=True),
    "decoding": Section("word decoding of the posteriors: arguments of DecodeWordsJob (recipe/scoring/decoding.py)", {
        "method": Key(str, "search", choices=SEARCH_METHODS),
        "prior_scale": Key(float, "weight of the label prior subtracted from the log posteriors", min=0.0,
                           optional=True),
        "duration_scale": Key(float, "weight of the word-duration model (viterbi)", min=0.0, optional=True),
        "word_penalty": Key(float, "log-score added per word (viterbi)", optional=True),
        "min_frames": Key(int, "shortest word in frames", min=1, optional=True, nullable=True),
        "max_frames": Key(int, "longest word in frames (viterbi)", min=1, optional=True, nullable=True),
        "smoothing_window": Key(int, "odd median-filter width over frame labels (greedy)", min=1, optional=True),
    }),
    "device": Key(str, "where RETURNN runs (not hashed)", choices=DEVICES),
    "hashed_versions": Key(dict, "opt-in: names whose installed versions become part of job ids, per kind of job: "
                                 "{'returnn': ('returnn', 'tensorflow-cpu'), 'corpus': ('espeak-ng',)} (names: "
                                 "'python', 'espeak-ng', 'flite' or a pip distribution; recipe/job_environment.py); "
                                 "{}: none, ids as without it", default={}),
    "rqmt": Section("resource requests (never hashed)", {
        "train": task_resources("of each training task"),
        "eval": task_resources("of each evaluation and forward task"),
    }),
    "corpus_audio": Section("your own speech (audio + transcripts, optional CTM/TextGrid alignments) instead of the "
                            "synthetic corpus (config/realignment.py); None: not used", {
        "import": Section("arguments of ImportAudioCorpusJob (recipe/corpus/import_audio.py)", {
            "data": Key((dict, str, tk.Path), "{split: path} of Kaldi data directories (or audio folders), or one "
                                              "path whose splits are drawn by speaker; None: the demo corpus "
                                              "exported to 22.05 kHz WAV", nullable=True),
            "layout": Key(str, "'kaldi' (wav.scp, text, segments, utt2spk) or 'plain' (audio folder + "
                               "transcripts)", choices=AUDIO_LAYOUTS, optional=True),
            "transcripts": Key((dict, str, tk.Path), "layout 'plain': Kaldi-style text file or .stm per split "
                                                     "(None: .txt/.lab beside each audio file)",
                               optional=True, nullable=True),
            "alignments": Key((dict, str, tk.Path), "CTM file or TextGrid folder (per split); None: flat start "
                                                    "and realignment", optional=True, nullable=True),
            "alignment_format": Key(str, "format of the alignments", choices=ALIGNMENT_FORMATS, optional=True,
                                    nullable=True),
            "unit": Key(str, "label unit", choices=AUDIO_UNITS, optional=True),
            "labels": Key(tuple, "label names, index 0 '<sil>'; None: read from the transcripts / lexicon",
                          optional=True, nullable=True),
            "lexicon": Key((str, tk.Path), "unit 'phone': a lexicon file or 'cmudict'", optional=True,
                           nullable=True),
            "channel": Key((str, int), "'mix' (average of the channels) or a channel index", optional=True),
            "level_dbfs": Key(float, "RMS level in dB full scale each utterance is normalised to (None: unchanged)",
                              max=0.0, optional=True, nullable=True),
            "split_fractions": Key(dict, "share of speakers per split when data is one path", optional=True,
                                   nullable=True),
            "seed": Key(int, "seed of the speaker split", min=0, optional=True),
            "skip_bad": Key(bool, "drop bad utterances (listed in import_problems.json) instead of failing",
                            optional=True),
            "max_clipped_fraction": Key(float, "share of full-scale samples above which audio counts as clipped",
                                        min=0.0, max=1.0, optional=True),
            "flat_start_threshold": Key(float, "speech/silence threshold of the flat start's per-band SNR "
                                               "measure (0 = noise floor, 1 = loudest frames)", min=0.0, max=1.0,
                                        optional=True),
            "flat_start_pause_frames": Key(int, "quiet runs of at least this many frames inside the speech region are "
                                                "pauses in the flat start (0: none)", min=0, optional=True),
            "workers": Key(int, "processes reading audio (not hashed)", min=1, optional=True),
        }),
        "realignment": Section("transcripts only: rounds of brief CNN-DNN training + forced realignment", {
            "rounds": Key(int, "realignment rounds after the flat start", min=0),
            "num_epochs": Key((int, tuple), "epochs of each round's training, or one number per round (not "
                                            "hashed)"),
            "learning_rate": Key(float, "RETURNN's learning_rate of each round's training", min=1e-9, max=10.0,
                                 returnn=True),
            "warm_start": Key(bool, "start each round's training from the previous round's model"),
            "warm_start_learning_rate": Key(float, "learning_rate of the warm-started rounds", min=1e-9, max=10.0),
            "network": network_sizes("the rounds' CNN-DNN", **{
                "window": Key(int, "frames in window_1", min=1, optional=True),
                "lin_dim": Key(int, "units of lin_1", min=1, optional=True),
                "ff_dim": Key(int, "units of ff_2", min=1, optional=True),
            }),
            "training": Section("RETURNN options of the rounds' trainings on top of the profile's training", {
                "batch_size": Key(int, "audio samples per batch", min=1, optional=True, returnn=True),
                "max_seqs": Key(int, "sequences per batch at most", min=1, optional=True, returnn=True),
            }),
            "checkpoint": Key(str, "epoch of each round that realigns: \"best_dev_score\" or \"last\"",
                              choices=("best_dev_score", "last")),
            "prior_scale": Key(float, "weight of the label prior in the forced alignment's scores", min=0.0),
            "min_frames": Key(int, "shortest word (or phone) in frames", min=1),
            "previous_weight": Key(float, "score bonus for keeping a frame's current label (0: the model alone)",
                                   min=0.0),
        }),
    }, nullable=True),
}
"""The keys of a profile; see the module docstring for how to add one."""



def check_seeds(seeds, profile_name, profile_file):
    """Raise ``ProfileError`` unless ``seeds`` are distinct ints >= 1 (RETURNN treats random_seed 0 as no seed)."""
    if not seeds or len(set(seeds)) != len(seeds) or \
            any(isinstance(seed, bool) or not isinstance(seed, int) or seed < 1 for seed in seeds):
        raise ProfileError(f"profile {profile_name!r}: seeds = {seeds!r}: give distinct ints >= 1, e.g. (1, 2) "
                           f"(RETURNN treats random_seed 0 as no seed); edit {profile_file}")


if __name__ == "__main__":
    print("\n".join(schema_table(SCHEMA)))
