"""The transfer experiment, as a plan:

1. corpus: synthetic connected digits (or your own RETURNN HDF corpus), raw 16 kHz audio + 10 ms word labels;
2. per seed of the profile (RETURNN's ``random_seed``, so each seed is its own training): the raw-waveform CNN-DNN
   baseline, trained with frame-wise CE;
3. extract conv_1/conv_2 from that seed's evaluated baseline checkpoint, and check them against the BLSTM's front-end;
4. BLSTM from scratch, evaluated after the BLSTM's epochs and, as the equal-budget control, after baseline + BLSTM
   epochs (one training);
5. BLSTM with the same seed's transferred front-end, frozen and fine-tuned;
   every model: the checkpoint with the lowest dev CE (or the last one, ``checkpoint: "last"``), FER and CE on dev
   and test (RETURNN eval), posteriors -> word-loop Viterbi -> WER;
6. with the profile's ``pytorch_blstm`` (off in the demo; ``TRANSFER_PROFILE=demo_pytorch``): the BLSTM on RETURNN's
   PyTorch backend (setups/torch_networks.py), from scratch and/or with the same seed's TF baseline front-end
   converted into it (ConvertTfToTorchJob), frozen / fine-tuned, evaluated like the TF rows (posteriors ->
   FrameScoresJob for CE/FER, Viterbi -> WER);
7. one report: mean ± std over seeds, 95 % confidence intervals and paired tests over utterances of every transfer
   variant against both scratch BLSTMs of its backend (Markdown, sortable HTML, JSON with the per-seed numbers),
   learning curves.

Run: ``sis manager config/transfer.py`` (demo profile) or ``TRANSFER_PROFILE=full sis manager config/transfer.py``,
or ``sis manager "config/transfer.run('full')"``. Sizes and hyper-parameters live in setups/profiles.py.
"""

from recipe.sis_api import tk
from recipe.corpus.import_hdf import ImportHdfCorpusJob
from recipe.corpus.lexicon import labels_for_unit
from recipe.corpus.synthetic_digits import SyntheticDigitsCorpusJob
from recipe.job_environment import pinned_versions
from recipe.report.report import ExperimentReportJob
from recipe.report.results_table import print_results_table
from recipe.returnn.config import ReturnnConfig
from recipe.returnn.datasets import hdf_dataset
from recipe.returnn.evaluation import ReturnnEvalJob
from recipe.returnn.forward import ReturnnForwardJob
from recipe.returnn.torch_forward import ReturnnTorchForwardJob
from recipe.returnn.torch_training import GetBestPtCheckpointJob, ReturnnTorchTrainingJob
from recipe.returnn.training import GetBestCheckpointJob, ReturnnTrainingJob
from recipe.scoring.decoding import DecodeWordsJob, EstimateAlignmentStatisticsJob
from recipe.scoring.frame_scores import FrameScoresJob
from recipe.scoring.scoring import ScoreWerJob
from recipe.transfer.extraction import ExtractLayerVariablesJob
from recipe.transfer.torch_conversion import ConvertTfToTorchJob, preload_converted
from recipe.transfer.transfer_config import build_transfer_config
from recipe.transfer.validation import ValidateTransferJob, check_layer_names
from setups import networks, profiles
from config import realignment

SCORED_SETS = ("dev", "test")


def corpus_for(profile):
    """The corpus job: synthetic digits by default, the user's HDF files when ``corpus_hdf`` is set, the user's
    audio (imported, realigned when it has no alignments: config/realignment.py) when ``corpus_audio`` is set."""
    if profile.get("corpus_audio"):
        return realignment.audio_corpus(profile, lambda corpus, hyper: returnn_settings(profile, corpus, hyper),
                                        train, rqmt_arguments)
    if profile["corpus_hdf"]:
        corpus = ImportHdfCorpusJob(**profile["corpus_hdf"])
        corpus.add_alias("corpus/imported")
    else:
        corpus = SyntheticDigitsCorpusJob(**profile["corpus"], hashed_versions=hashed_versions(profile, "corpus"))
        corpus.add_alias("corpus/synthetic_digits")
    return corpus


def corpus_dataset(corpus, split, train=False):
    return hdf_dataset(corpus.out_hdf[split], **({"seq_ordering": "laplace:.20"} if train else {}))


def returnn_settings(profile, corpus, hyper):
    """Everything of a RETURNN training config except the network: data, batching, optimizer."""
    imported = profile["corpus_hdf"]
    num_classes = len(imported["labels"] if imported else labels_for_unit(profile["corpus"]["unit"]))
    if profile.get("corpus_audio"):
        num_classes = realignment.num_classes(profile)
    return {
        "use_tensorflow": True,
        "extern_data": {"data": {"dim": 1}, "classes": {"dim": num_classes, "sparse": True}},
        "train": corpus_dataset(corpus, "train", train=True),
        "dev": corpus_dataset(corpus, "dev"),
        "learning_rate": hyper["learning_rate"],
        **profile["training"],
        **hyper.get("training", {}),
    }


def hashed_versions(profile, kind):
    """The installed versions the profile's opt-in ``hashed_versions[kind]`` puts into the ids of the ``kind`` jobs
    ("returnn": trainings, evaluations, forwards; "corpus": the synthetic corpus); None (ids unchanged) when unset."""
    unknown = sorted(set(profile["hashed_versions"]) - {"returnn", "corpus"})
    if unknown:
        raise ValueError(f"profile {profile['name']!r}: hashed_versions has unknown kinds {unknown}; use 'returnn' "
                         f"and/or 'corpus' (setups/profiles.py)")
    names = profile["hashed_versions"].get(kind, ())
    where = f"profile {profile['name']!r} hashed_versions[{kind!r}] (setups/profiles.py)"
    return pinned_versions(names, where) if names else None


def rqmt_arguments(profile, kind):
    """The profile's resources for ``kind`` ("train" or "eval") as the jobs' ``cpu_rqmt=``/``mem_rqmt=``/...
    arguments (never hashed)."""
    return {f"{key}_rqmt": value for key, value in profile["rqmt"][kind].items()}


def train(name, returnn_config, hyper, profile, num_epochs=None, job_class=ReturnnTrainingJob):
    """The training job of ``returnn_config`` for ``num_epochs`` (default: ``hyper["num_epochs"]``);
    ``job_class=ReturnnTorchTrainingJob`` for a PyTorch-backend config."""
    job = job_class(returnn_config, num_epochs=num_epochs or hyper["num_epochs"], device=profile["device"],
                    hashed_versions=hashed_versions(profile, "returnn"), **rqmt_arguments(profile, "train"))
    job.add_alias(f"train/{name}")
    tk.register_output(f"{name}/learning_curve.png", job.out_plot_se)
    return job


def chosen_checkpoint(name, training, num_epochs, profile):
    """(checkpoint, epoch) evaluated for a training of ``num_epochs`` epochs: the one with the lowest dev CE
    (``checkpoint: "best_dev_score"``, chosen by GetBestCheckpointJob among epochs 1..num_epochs, for a PyTorch
    training GetBestPtCheckpointJob by its ``dev_loss_ce``) or the last one (``"last"``)."""
    if profile["checkpoint"] == "last":
        return training.out_checkpoints[num_epochs], num_epochs
    torch_backend = isinstance(training, ReturnnTorchTrainingJob)
    best = (GetBestPtCheckpointJob if torch_backend else GetBestCheckpointJob)(
        training.out_model_dir, training.out_learning_rates, key="dev_loss_ce" if torch_backend else "dev_score",
        max_epoch=num_epochs)
    best.add_alias(f"checkpoint/{name}")
    return best.out_checkpoint, best.out_epoch


def evaluate(name, seed, training, num_epochs, returnn_config, corpus, statistics, profile):
    """FER/CE on dev and test, and WER from decoding the posteriors, of the chosen checkpoint of ``training`` after
    ``num_epochs`` epochs; returns the run of the report row (the per-seed numbers). A PyTorch-backend training
    (which RETURNN cannot evaluate per sequence) gets its CE/FER from the forwarded posteriors (FrameScoresJob)."""
    checkpoint, epoch = chosen_checkpoint(name, training, num_epochs, profile)
    arguments = {**rqmt_arguments(profile, "eval"), "hashed_versions": hashed_versions(profile, "returnn")}
    torch_backend = isinstance(training, ReturnnTorchTrainingJob)
    forward_class = ReturnnTorchForwardJob if torch_backend else ReturnnForwardJob
    forwards = {split: forward_class(checkpoint, returnn_config, corpus_dataset(corpus, split),
                                     device=profile["device"], **arguments) for split in SCORED_SETS}
    if torch_backend:
        scores = FrameScoresJob({split: forwards[split].out_hdf for split in SCORED_SETS},
                                {split: corpus.out_hdf[split] for split in SCORED_SETS})
    else:
        eval_sets = {split: corpus_dataset(corpus, split) for split in SCORED_SETS}
        scores = ReturnnEvalJob(checkpoint, returnn_config, eval_sets, device=profile["device"], **arguments)
    scores.add_alias(f"eval/{name}")
    wer, per_utterance = {}, {}
    for split in SCORED_SETS:
        decode = DecodeWordsJob(forwards[split].out_hdf, corpus.out_labels, statistics=statistics,
                                **profile["decoding"])
        score = ScoreWerJob(decode.out_hypotheses, corpus.out_transcripts[split])
        score.add_alias(f"wer/{name}/{split}")
        tk.register_output(f"{name}/wer_{split}.txt", score.out_report)
        wer[split], per_utterance[split] = score.out_wer, score.out_per_utterance
    return {"seed": seed, "learning_rates": training.out_learning_rates, "scores": scores.out_scores,
            "per_sequence": scores.out_per_sequence, "wer": wer, "per_utterance": per_utterance,
            "checkpoint": checkpoint, "epochs": num_epochs, "chosen_epoch": epoch}


TORCH_ROWS = {"scratch": "blstm_torch_scratch", "frozen": "blstm_torch_transfer_frozen",
              "finetuned": "blstm_torch_transfer_finetuned"}
"""The report rows of the profile's ``pytorch_blstm`` choices."""
TORCH_ROW_SETTINGS = {"scratch": "PyTorch backend, from scratch",
                      "frozen": "PyTorch backend, TF baseline front-end converted, frozen",
                      "finetuned": "PyTorch backend, TF baseline front-end converted, fine-tuned"}


def torch_blstm_config(settings, model_options, converted=None):
    """The PyTorch-backend BLSTM's RETURNN config: the TF config's data, batching and optimizer settings, the model
    of setups/torch_networks.py, and ``preload_from_files`` of the ``converted`` front-end (a PtCheckpoint) when
    given."""
    from setups import torch_networks

    config = {key: value for key, value in settings.items() if key != "use_tensorflow"}
    config.update({"backend": "torch", "get_model": torch_networks.get_blstm_model, "model_options": model_options,
                   "train_step": torch_networks.train_step, "forward_step": torch_networks.forward_step})
    if converted is not None:
        config["preload_from_files"] = preload_converted(converted)
    return ReturnnConfig(config)


def pytorch_blstm_runs(profile, seed, settings, torch_rows, baseline_checkpoint, corpus, statistics):
    """{row: run} of one seed's PyTorch-backend BLSTMs (``torch_rows`` {row: "scratch" / "frozen" / "finetuned"}):
    the TF baseline's conv_1/conv_2 (``baseline_checkpoint``) converted into the model's front-end
    (ConvertTfToTorchJob, checked against the model's parameter shapes), each row trained and evaluated like the TF
    rows. Imports torch (for the parameter shapes), so only profiles that use it pay for it."""
    from setups import torch_networks

    options = torch_networks.blstm_options(profile["blstm"]["network"], settings["extern_data"]["classes"]["dim"])
    converted = None
    if set(torch_rows.values()) - {"scratch"}:
        conversion = ConvertTfToTorchJob(baseline_checkpoint, torch_networks.blstm_parameter_shapes(**options),
                                         torch_networks.TRANSFERRED_PARAMETERS)
        conversion.add_alias(f"transfer/convert_to_torch/seed_{seed}")
        tk.register_output(f"transfer/seed_{seed}/torch_conversion.json", conversion.out_table)
        converted = conversion.out_checkpoint
    found = {}
    for row, variant in torch_rows.items():
        returnn_config = torch_blstm_config(settings, dict(options, frozen_frontend=variant == "frozen"),
                                            None if variant == "scratch" else converted)
        name = f"{row}/seed_{seed}"
        training = train(name, returnn_config, profile["blstm"], profile, job_class=ReturnnTorchTrainingJob)
        found[row] = evaluate(name, seed, training, profile["blstm"]["num_epochs"], returnn_config, corpus,
                              statistics, profile)
    return found


def run(profile_name=None):
    """Build the whole graph for one profile of setups/profiles.py (default: $TRANSFER_PROFILE or demo)."""
    return build(profiles.get_profile(profile_name))


def build(profile):
    """Build the whole graph for a profile dict (as returned by ``setups.profiles.get_profile``); returns the
    report job. The profile is checked against setups/profile_schema.py first, before any job is built."""
    profile = profiles.check(profile)
    batch_independent = profile["batch_independent"]
    corpus = corpus_for(profile)
    statistics = EstimateAlignmentStatisticsJob(corpus.out_hdf["train"], corpus.out_labels,
                                                corpus.out_transcripts["train"]).out_statistics
    baseline_epochs, blstm_epochs = profile["baseline"]["num_epochs"], profile["blstm"]["num_epochs"]
    budget = baseline_epochs + blstm_epochs
    method = profile["transfer"]["method"]
    variants = {f"blstm_transfer_{variant}": variant for variant in profile["transfer"]["variants"]}
    control = "blstm_scratch_equal_budget"
    torch_rows = {TORCH_ROWS[variant]: variant for variant in profile["pytorch_blstm"]}
    runs = {"baseline_cnn_dnn": [], "blstm_scratch": [], **({control: []} if profile["equal_budget_control"] else {}),
            **{name: [] for name in variants}, **{name: [] for name in torch_rows}}

    # The transferred layers must exist in both networks before anything is trained.
    fast = profile["fast_formulation"]
    baseline_network = networks.baseline_network(batch_independent, fast_formulation=fast,
                                                 **profile["baseline"]["network"])
    blstm_network = networks.blstm_network(batch_independent=batch_independent, fast_formulation=fast,
                                           **profile["blstm"]["network"])
    for network_name, network in (("baseline_network", baseline_network), ("blstm_network", blstm_network)):
        check_layer_names(network, networks.TRANSFERRED_LAYERS, "config/transfer.py", network_name=network_name,
                          defined_in=f"{networks.__file__} (TRANSFERRED_LAYERS, {network_name})")

    # profile["transfer"]["spec"] (one line, recipe/transfer/transfer_spec.py) replaces the same-name layers.
    what = ({"transfer": profile["transfer"]["spec"]} if profile["transfer"].get("spec")
            else {"layers": networks.TRANSFERRED_LAYERS})
    for seed in profile["seeds"]:
        # 2. The CNN-DNN baseline.
        hyper = profile["baseline"]
        baseline_config = ReturnnConfig({**returnn_settings(profile, corpus, hyper), "random_seed": seed,
                                         "network": baseline_network})
        name = f"baseline_cnn_dnn/seed_{seed}"
        baseline = train(name, baseline_config, hyper, profile)
        runs["baseline_cnn_dnn"].append(
            evaluate(name, seed, baseline, baseline_epochs, baseline_config, corpus, statistics, profile))

        # 3. Its conv_1/conv_2 (from the evaluated checkpoint), checked against the BLSTM's front-end before any
        #    BLSTM of this seed trains.
        hyper = profile["blstm"]
        settings = {**returnn_settings(profile, corpus, hyper), "random_seed": seed}
        extracted = ExtractLayerVariablesJob(runs["baseline_cnn_dnn"][-1]["checkpoint"], **what)
        extracted.add_alias(f"transfer/extract_conv/seed_{seed}")
        validated = ValidateTransferJob(blstm_network, extracted.out_checkpoint, extracted.out_manifest,
                                        settings["extern_data"], **what)
        tk.register_output(f"transfer/seed_{seed}/frontend_manifest.json", extracted.out_manifest)

        # 4. BLSTM from scratch: one training, evaluated after the BLSTM's epochs and (the equal-budget control)
        #    after baseline + BLSTM epochs, as many as the transferred front-end saw in all.
        scratch_config = ReturnnConfig({**settings, "network": blstm_network})
        name = f"blstm_scratch/seed_{seed}"
        scratch = train(name, scratch_config, hyper, profile, num_epochs=budget if control in runs else None)
        runs["blstm_scratch"].append(
            evaluate(name, seed, scratch, blstm_epochs, scratch_config, corpus, statistics, profile))
        if control in runs:
            runs[control].append(evaluate(f"{control}/seed_{seed}", seed, scratch, budget, scratch_config, corpus,
                                          statistics, profile))

        # 5. BLSTM with the transferred front-end of the same seed's baseline (frozen / fine-tuned).
        for row, variant in variants.items():
            returnn_config = build_transfer_config(
                settings, blstm_network, validated.out_checkpoint, method=method, frozen=(variant == "frozen"),
                subnetwork_layers=networks.FRONTEND_LAYERS, **what)
            name = f"{row}/seed_{seed}"
            training = train(name, returnn_config, hyper, profile)
            runs[row].append(evaluate(name, seed, training, blstm_epochs, returnn_config, corpus, statistics,
                                      profile))

        # 6. The BLSTM on RETURNN's PyTorch backend, with this seed's TF baseline front-end converted into it.
        if torch_rows:
            for row, run_of_seed in pytorch_blstm_runs(profile, seed, settings, torch_rows,
                                                       runs["baseline_cnn_dnn"][-1]["checkpoint"], corpus,
                                                       statistics).items():
                runs[row].append(run_of_seed)

    # 7. The report: every transfer variant against both scratch BLSTMs of its backend (and the PyTorch ones against
    #    the TF scratch BLSTM); the manager prints its table once it exists.
    row_settings = {"blstm_scratch": f"first {blstm_epochs} epochs of the {control} training" if control in runs
                    else None,
                    control: f"{baseline_epochs} + {blstm_epochs} epochs: as many as baseline and transfer together",
                    **{row: f"{method}, {variant} front-end" for row, variant in variants.items()},
                    **{row: TORCH_ROW_SETTINGS[variant] for row, variant in torch_rows.items()}}
    experiments = [{"name": name, "runs": seed_runs, **({"settings": row_settings[name]}
                                                       if row_settings.get(name) else {})}
                   for name, seed_runs in runs.items()]
    comparisons = [(row, reference) for row in variants for reference in ("blstm_scratch", control)
                   if reference in runs]
    comparisons += [(row, reference) for row, variant in torch_rows.items() if variant != "scratch"
                    for reference in (TORCH_ROWS["scratch"], "blstm_scratch") if reference in runs]
    report = ExperimentReportJob(experiments, datasets=SCORED_SETS, comparisons=comparisons,
                                 title=f"Front-end transfer ({profile['name']} profile, method {method}, "
                                       f"{len(profile['seeds'])} seeds)")
    report.add_alias("report")
    for output in (report.out_markdown, report.out_html, report.out_plot, report.out_json):
        tk.register_output(f"report/{output.get_path().rsplit('/', 1)[-1]}", output)
    tk.register_callback(print_results_table, report.out_json)
    return report


def py():
    """Entry point of ``sis manager config/transfer.py``."""
    run()
