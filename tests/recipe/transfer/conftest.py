"""Tiny data, a tiny trained baseline and its extracted front-end, shared by the transfer tests (session scope).

Sizes: the front-end keeps the user's filter sizes and strides (400/10, 40/16) with fewer channels (8, 16); the rest
of both networks is 16 units wide (8 LSTM cells). RETURNN runs for real: ``python -m returnn <config>``.
"""

from pathlib import Path

import pytest

from recipe.corpus.frontend_geometry import samples_for_frames
from setups.networks import baseline_network
from tests.recipe.transfer.transfer_setup import (CONV_1_CHANNELS, CONV_2_CHANNELS, N_CLASSES, base_settings,
                                                   run_returnn)


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory):
    """train (8 seqs) and dev (3 seqs) HDFs: random audio of 160*F+320 samples with F frame labels."""
    import numpy as np
    from returnn.datasets.hdf import SimpleHDFWriter

    directory = tmp_path_factory.mktemp("transfer_data")
    rng = np.random.RandomState(42)
    for split, count in (("train", 8), ("dev", 3)):
        writer = SimpleHDFWriter(str(directory / f"{split}.hdf"), dim=1, ndim=2,
                                 extra_type={"classes": (N_CLASSES, 1, "int32")})
        for index in range(count):
            frames = int(rng.randint(15, 30))
            labels = rng.randint(0, N_CLASSES, size=frames).astype("int32")
            audio = (rng.randn(samples_for_frames(frames), 1) * 0.1).astype("float32")
            for frame, label in enumerate(labels):  # a learnable trace of the label in each frame
                audio[160 * (frame + 1):160 * (frame + 2), 0] += 0.05 * label
            writer.insert_batch(audio[None], np.array([len(audio)]), [f"{split}/utt{index}"],
                                extra={"classes": labels[None]})
        writer.close()
    return directory


@pytest.fixture(scope="session")
def trained_baseline(tiny_data, tmp_path_factory):
    """The tiny CNN-DNN baseline after one epoch: the checkpoint prefix (``.../epoch.001``)."""
    from recipe.returnn.config import ReturnnConfig

    directory = tmp_path_factory.mktemp("baseline")
    network = baseline_network(conv_1_channels=CONV_1_CHANNELS, conv_2_channels=CONV_2_CHANNELS, window=3,
                               lin_dim=16, ff_dim=16)
    config = ReturnnConfig(dict(base_settings(tiny_data), network=network),
                           {"model": str(directory / "epoch"), "num_epochs": 1, "log_verbosity": 3,
                            "device": "cpu"})
    config.write(directory / "returnn.config")
    run_returnn(directory / "returnn.config")
    return directory / "epoch.001"


@pytest.fixture(scope="session")
def extracted(trained_baseline, tmp_path_factory):
    """conv_1/conv_2 of the baseline extracted: ``(checkpoint prefix, manifest dict)``."""
    from recipe.transfer.extraction import extract_layer_variables

    directory = tmp_path_factory.mktemp("extracted")
    manifest = extract_layer_variables(str(trained_baseline), ["conv_1", "conv_2"], str(directory / "frontend"),
                                       str(directory / "frontend.npz"), str(directory / "manifest.json"))
    return Path(directory / "frontend"), manifest
