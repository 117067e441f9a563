"""Helpers of the transfer tests: tiny network sizes, RETURNN settings, running RETURNN, reading checkpoints."""

import os
import re
import subprocess
import sys

from recipe.returnn.datasets import hdf_dataset
from setups.networks import blstm_network

CONV_1_CHANNELS, CONV_2_CHANNELS = 8, 16
N_CLASSES = 12
EXTERN_DATA = {"data": {"dim": 1}, "classes": {"dim": N_CLASSES, "sparse": True}}
RETURNN_ENV = dict(os.environ, DISABLE_CUDA="1", OMP_NUM_THREADS="1", TF_NUM_INTEROP_THREADS="1",
                   TF_NUM_INTRAOP_THREADS="1", TF_CPP_MIN_LOG_LEVEL="2")


def tiny_blstm(conv_1_channels=CONV_1_CHANNELS, conv_2_channels=CONV_2_CHANNELS):
    return blstm_network(rnn_layer_nodes=8, conv_1_channels=conv_1_channels, conv_2_channels=conv_2_channels,
                         lin_dim=16, ff_dim=16, lstm_unit="standardlstm")


def base_settings(data_dir, learning_rates=(0.01,)):
    """RETURNN settings besides the network (datasets, optimizer, learning rates per epoch)."""
    return {"use_tensorflow": True, "task": "train",
            "train": hdf_dataset(str(data_dir / "train.hdf")),
            "dev": hdf_dataset(str(data_dir / "dev.hdf")),
            "extern_data": EXTERN_DATA, "batch_size": 20000, "max_seqs": 4, "optimizer": {"class": "adam"},
            "learning_rates": list(learning_rates), "learning_rate_file": "learning_rates"}


def run_returnn(config_path, *args, cwd=None, timeout=300):
    """Run ``python -m returnn <config> [args]``; fail the test with the log tail if RETURNN fails."""
    result = subprocess.run([sys.executable, "-m", "returnn", str(config_path), *args], cwd=cwd or config_path.parent,
                            env=RETURNN_ENV, capture_output=True, text=True, timeout=timeout)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"RETURNN failed ({result.returncode}):\n{output[-4000:]}"
    return output


def dev_score(output):
    """The last ``dev: score X error Y`` (CE, frame error) RETURNN printed."""
    found = re.findall(r"dev: score ([-0-9.e]+) error ([-0-9.e]+)", re.sub(r"\x1b\[[0-9;]*m", "", output))
    assert found, "no dev score in RETURNN's output"
    return tuple(float(value) for value in found[-1])


def read_vars(prefix):
    import tensorflow as tf

    reader = tf.train.load_checkpoint(str(prefix))
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()}


def renamed_blstm():
    """tiny_blstm with conv_1 called ``frontend_conv`` (same place, same sizes)."""
    renamed = {}
    for name, layer in tiny_blstm().items():
        if layer.get("from") == ["conv_1"]:
            layer = dict(layer, **{"from": ["frontend_conv"]})
        renamed["frontend_conv" if name == "conv_1" else name] = layer
    return renamed
