"""config/realignment.py: the corpus_audio profile's graph (no job runs here)."""

from config import realignment, transfer
from recipe.corpus.import_audio import ImportAudioCorpusJob
from recipe.corpus.realignment import RealignCorpusJob
from recipe.returnn.training import GetBestCheckpointJob, ReturnnTrainingJob
from setups import profiles


def corpus_job(report):
    """The corpus job the baseline trains on."""
    training = report.experiments[0]["runs"][0]["learning_rates"].creator
    train_file = training.returnn_config.config["train"]["files"][0]
    return train_file.creator


def test_transcripts_only_gives_one_realignment_job_per_round_and_the_five_experiments():
    profile = profiles.get_profile("corpus_audio")
    report = transfer.build(profile)
    assert [row["name"] for row in report.experiments] == [
        "baseline_cnn_dnn", "blstm_scratch", "blstm_scratch_equal_budget", "blstm_transfer_frozen",
        "blstm_transfer_finetuned"]
    corpus, rounds = corpus_job(report), 0
    while isinstance(corpus, RealignCorpusJob):
        rounds += 1
        corpus = next(iter(corpus.hdf.values())).creator
    assert rounds == profile["corpus_audio"]["realignment"]["rounds"]
    assert isinstance(corpus, ImportAudioCorpusJob) and corpus.alignments is None
    assert realignment.num_classes(profile) == 12


def test_with_alignments_the_import_is_the_corpus():
    profile = profiles.get_profile("corpus_audio")
    profile["corpus_audio"]["import"].update(alignment_format="ctm")
    corpus = corpus_job(transfer.build(profile))
    assert isinstance(corpus, ImportAudioCorpusJob) and corpus.alignment_format == "ctm"


def test_more_rounds_keep_the_earlier_rounds():
    profile = profiles.get_profile("corpus_audio")
    first = corpus_job(transfer.build(profile))
    profile["corpus_audio"]["realignment"]["rounds"] += 1
    last = corpus_job(transfer.build(profile))
    assert next(iter(last.hdf.values())).creator.job_id() == first.job_id()


def test_later_rounds_start_from_the_previous_model_at_the_warm_start_learning_rate():
    profile = profiles.get_profile("corpus_audio")
    corpus = corpus_job(transfer.build(profile))
    forward = next(iter(corpus.posteriors.values())).creator
    best = forward.model_checkpoint.index_path.creator
    assert isinstance(best, GetBestCheckpointJob) and best.key == "dev_score"
    training = best.model_dir.creator
    assert best.max_epoch == training.num_epochs
    hyper = profile["corpus_audio"]["realignment"]
    assert training.returnn_config.config["learning_rate"] == hyper["warm_start_learning_rate"]
    preload = training.returnn_config.config["preload_from_files"]["previous_round"]["filename"]
    previous_round = next(iter(corpus.hdf.values())).creator
    previous_forward = next(iter(previous_round.posteriors.values())).creator
    assert preload.index_path.get_path() == previous_forward.model_checkpoint.index_path.get_path()
    assert isinstance(preload.index_path.creator, GetBestCheckpointJob)


def test_with_checkpoint_last_the_rounds_realign_with_their_last_epoch():
    profile = profiles.get_profile("corpus_audio")
    profile["corpus_audio"]["realignment"]["checkpoint"] = "last"
    corpus = corpus_job(transfer.build(profile))
    training = next(iter(corpus.posteriors.values())).creator.model_checkpoint.index_path.creator
    assert isinstance(training, ReturnnTrainingJob)
    assert next(iter(corpus.posteriors.values())).creator.model_checkpoint.index_path.get_path() == \
        training.out_checkpoints[training.num_epochs].index_path.get_path()
