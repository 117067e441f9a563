"""A tiny raw-waveform task for the RETURNN job tests: HDF files with random-ish audio whose frame labels are
learnable (each 10 ms frame is a tone whose pitch encodes the label), and the mission's baseline network shrunk to a
few units, so a training epoch takes a fraction of a second."""

import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
NUM_CLASSES = 12


def write_tiny_hdf(filename, num_seqs, seed, split):
    """RETURNN HDF as the corpus contract: ``data`` 16 kHz float32 dim 1, ``classes`` int32 per 10 ms frame."""
    import numpy as np
    from returnn.datasets.hdf import SimpleHDFWriter

    from recipe.corpus.frontend_geometry import frontend_output_frames, samples_for_frames

    rng = np.random.default_rng(seed)
    writer = SimpleHDFWriter(filename, dim=1, ndim=2, extra_type={"classes": (NUM_CLASSES, 1, "int32")})
    for index in range(num_seqs):
        frames = int(rng.integers(20, 40))
        samples = samples_for_frames(frames)
        assert frontend_output_frames(samples) == frames
        labels = rng.integers(0, NUM_CLASSES, size=frames).astype("int32")
        freq = np.concatenate([np.full(160, 200.0), np.repeat(200.0 + 100.0 * labels, 160), np.full(160, 200.0)])
        audio = 0.5 * np.sin(2 * np.pi * freq * np.arange(samples) / 16000.0)
        writer.insert_batch(audio.astype("float32")[None, :, None], seq_len=[samples],
                            seq_tag=[f"{split}/utt{index}"], extra={"classes": labels[None, :]})
    writer.close()


def write_tiny_corpus(directory):
    os.makedirs(directory, exist_ok=True)
    for split, num_seqs, seed in (("train", 8, 1), ("dev", 4, 2), ("test", 3, 3)):
        write_tiny_hdf(os.path.join(directory, f"{split}.hdf"), num_seqs, seed, split)


def tiny_network(**sizes):
    from setups.networks import baseline_network

    options = dict(conv_1_channels=4, conv_2_channels=8, window=3, lin_dim=16, ff_dim=16, batch_independent=True)
    options.update(sizes)
    return baseline_network(**options)


def hdf_dataset(path):
    from recipe.returnn.datasets import hdf_dataset as returnn_hdf_dataset

    return returnn_hdf_dataset(path)


def tiny_config(corpus_dir, network=None, post_config=None, **settings):
    """A ReturnnConfig training the tiny network on the tiny corpus; ``corpus_dir`` holds train/dev/test.hdf and
    is referenced through tk.Paths (relative paths stay relative, so the hash does not depend on the location)."""
    from recipe.returnn.config import ReturnnConfig
    from recipe.sis_api import tk

    config = {
        "use_tensorflow": True,
        "extern_data": {"data": {"dim": 1}, "classes": {"dim": NUM_CLASSES, "sparse": True}},
        "train": hdf_dataset(tk.Path(os.path.join(corpus_dir, "train.hdf"))),
        "dev": hdf_dataset(tk.Path(os.path.join(corpus_dir, "dev.hdf"))),
        "network": network if network is not None else tiny_network(),
        "batch_size": 20000,
        "max_seqs": 4,
        "learning_rate": 0.01,
        "optimizer": {"class": "adam"},
    }
    config.update(settings)
    return ReturnnConfig(config, post_config)


def run_task(job, task_name, stdout=None):
    """Set up the job directory and run one task in this process with cwd = work/ (as a worker does)."""
    import contextlib

    from sislite import global_constants

    previous = os.getcwd()
    os.chdir(global_constants.BASE_DIR)  # job directories are relative to the setup directory
    job._sis_setup_directory()
    os.chdir(job.work_path())
    try:
        with contextlib.redirect_stdout(stdout or sys.stdout):
            getattr(job, task_name)()
    finally:
        os.chdir(previous)


def run_all_tasks(job, stdout=None):
    """Run every task in order and write its ``finished.<task>.1`` marker, as the worker does."""
    for task in job.tasks():
        run_task(job, task.name(), stdout)
        open(os.path.join(job._sis_path(abspath=True), f"finished.{task.name()}.1"), "w").close()
