"""The corpus part of the plan for a user's own speech (profile key ``corpus_audio``, see setups/profiles.py):

import audio + transcripts (ImportAudioCorpusJob); with CTM/TextGrid alignments that is the corpus. Without, the
import makes a flat start and every round trains the CNN-DNN briefly on the current alignment (from the previous
round's model, at ``warm_start_learning_rate``), forwards every split with the epoch of the lowest dev CE against
the current alignment (``checkpoint: "best_dev_score"``, GetBestCheckpointJob; or ``"last"``), which the next round
also starts from, and realigns it to the transcripts (RealignCorpusJob): each round is a job, cached like every
other. With ``"data": None`` the synthetic demo corpus is exported to 22.05 kHz WAV + Kaldi ``text`` (no alignments) and
imported from there, so the profile runs anywhere.
"""

from recipe.sis_api import tk
from recipe.corpus.corpus_export import ExportCorpusAudioJob
from recipe.corpus.import_audio import ImportAudioCorpusJob, audio_labels
from recipe.corpus.lexicon import labels_for_unit
from recipe.corpus.realignment import RealignCorpusJob
from recipe.corpus.synthetic_digits import SyntheticDigitsCorpusJob
from recipe.returnn.config import ReturnnConfig
from recipe.returnn.datasets import hdf_dataset
from recipe.returnn.forward import ReturnnForwardJob
from recipe.returnn.training import GetBestCheckpointJob
from setups import networks


def import_arguments(profile):
    """ImportAudioCorpusJob's arguments: the profile's ``corpus_audio["import"]``, the demo export for
    ``data=None``, and the labels (read from the transcripts now, so the networks know their output size)."""
    arguments = dict(profile["corpus_audio"]["import"])
    if arguments.get("data") is None:
        synthetic = SyntheticDigitsCorpusJob(**profile["corpus"])
        synthetic.add_alias("corpus/synthetic_digits")
        export = ExportCorpusAudioJob(synthetic.out_hdf, synthetic.out_transcripts, synthetic.out_labels,
                                      sample_rate=22050)
        export.add_alias("corpus/synthetic_exported")
        arguments.update(data=export.out_data, layout="kaldi")
        if arguments.get("alignment_format"):
            arguments["alignments"] = export.out_ctm if arguments["alignment_format"] == "ctm" else export.out_textgrid
        arguments.setdefault("labels", list(labels_for_unit(profile["corpus"]["unit"])))
    if arguments.get("labels") is None:
        key = repr(sorted(arguments.items()))
        if key not in _LABELS_READ:
            _LABELS_READ[key] = audio_labels(arguments)
        arguments["labels"] = _LABELS_READ[key]
    return arguments


_LABELS_READ = {}
"""Labels read from a corpus' listings, by the import arguments (the graph asks more than once)."""


def num_classes(profile):
    """Output size of the networks for a ``corpus_audio`` profile."""
    return len(import_arguments(profile)["labels"])


def audio_corpus(profile, settings_for, train, rqmt_arguments):
    """The corpus job the experiment trains on: the import, or its last realignment round. From
    config/transfer.py: ``settings_for(corpus, hyper)`` (a RETURNN config's settings without the network),
    ``train(name, config, hyper, profile)`` (a training job) and ``rqmt_arguments(profile, kind)``."""
    arguments = import_arguments(profile)
    corpus = ImportAudioCorpusJob(**arguments)
    corpus.add_alias("corpus/audio_import")
    tk.register_output("corpus_audio/import_alignment.png", corpus.out_plot)
    tk.register_output("corpus_audio/import_problems.json", corpus.out_problems)
    if arguments.get("alignments") is not None:
        return corpus
    hyper = profile["corpus_audio"]["realignment"]
    network = networks.baseline_network(profile["batch_independent"], **hyper["network"])
    checkpoint = None
    epochs = hyper["num_epochs"]
    for round_number in range(1, hyper["rounds"] + 1):
        round_hyper = {**hyper, "num_epochs": epochs[min(round_number, len(epochs)) - 1]
                       if isinstance(epochs, (list, tuple)) else epochs}
        if checkpoint is not None and hyper.get("warm_start"):
            round_hyper["learning_rate"] = hyper["warm_start_learning_rate"]
        settings = {**settings_for(corpus, round_hyper), "network": network}
        if checkpoint is not None and hyper.get("warm_start"):
            # RETURNN applies init_for_train preloading in a fresh training only, so a resumed round keeps its own.
            settings["preload_from_files"] = {"previous_round": {"filename": checkpoint, "init_for_train": True}}
        returnn_config = ReturnnConfig(settings)
        training = train(f"alignment_round_{round_number}", returnn_config, round_hyper, profile)
        checkpoint = training.out_checkpoints[round_hyper["num_epochs"]]
        if hyper["checkpoint"] == "best_dev_score":
            best = GetBestCheckpointJob(training.out_model_dir, training.out_learning_rates, key="dev_score",
                                        max_epoch=round_hyper["num_epochs"])
            best.add_alias(f"checkpoint/alignment_round_{round_number}")
            checkpoint = best.out_checkpoint
        posteriors = {}
        for split, hdf in corpus.out_hdf.items():
            forward = ReturnnForwardJob(checkpoint, returnn_config, hdf_dataset(hdf), device=profile["device"],
                                        **rqmt_arguments(profile, "eval"))
            posteriors[split] = forward.out_hdf
        corpus = RealignCorpusJob(corpus.out_hdf, corpus.out_units, corpus.out_transcripts, corpus.out_labels,
                                  posteriors, prior_scale=hyper["prior_scale"], min_frames=hyper["min_frames"],
                                  previous_weight=hyper["previous_weight"])
        corpus.add_alias(f"corpus/realigned_round_{round_number}")
        tk.register_output(f"corpus_audio/round_{round_number}_alignment.png", corpus.out_plot)
        tk.register_output(f"corpus_audio/round_{round_number}_statistics.json", corpus.out_statistics)
    return corpus
