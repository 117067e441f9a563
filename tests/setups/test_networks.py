"""The mission's networks as data: exact layer dicts, with the sizes recipe/corpus/frontend_geometry.py assumes."""

from recipe.corpus.frontend_geometry import CONV_1_FILTER, CONV_1_STRIDE, CONV_1_TIME_PAD, CONV_2_FILTER, CONV_2_STRIDE
from setups import networks


def test_the_layers_have_the_sizes_the_corpus_geometry_assumes():
    layers = networks.frontend()
    assert (layers["conv_1"]["filter_size"], layers["conv_1"]["strides"]) == ((CONV_1_FILTER,), CONV_1_STRIDE)
    assert layers["pad_conv_1_time_dim"]["padding"] == CONV_1_TIME_PAD
    assert (layers["conv_2"]["filter_size"][0], layers["conv_2"]["strides"]) == (CONV_2_FILTER, CONV_2_STRIDE)


def test_baseline_is_the_users_dict():
    net = networks.baseline_network()
    assert net["conv_1"] == {"class": "conv", "filter_size": (400,), "activation": "abs", "padding": "valid",
                             "strides": 10, "n_out": 64}
    assert net["conv_2"]["filter_size"] == (40, 64) and net["conv_2"]["strides"] == 16
    assert net["window_1"] == {"class": "window", "window_size": 17, "from": ["flatten_conv"]}
    assert net["output"] == {"class": "softmax", "loss": "ce", "from": ["ff_2"]}
    assert "mask_conv" not in net and "handle_dynamic_dims" not in net["pad_conv_1_time_dim"]


def test_blstm_shares_the_frontend_and_reads_flatten_conv():
    base, blstm = networks.baseline_network(), networks.blstm_network(rnn_layer_nodes=512)
    for name in networks.FRONTEND_LAYERS:
        assert blstm[name] == base[name]
    assert blstm["lstm1_fw"]["from"] == ["flatten_conv"] and blstm["lstm1_bw"]["direction"] == -1
    assert blstm["lin_1"]["from"] == ["lstm1_fw", "lstm1_bw"] and blstm["output"]["from"] == ["ff_4"]


def test_batch_independent_variant_masks_and_pads_per_sequence():
    net = networks.baseline_network(batch_independent=True)
    assert net["pad_conv_1_time_dim"]["handle_dynamic_dims"] is True
    assert net["mask_conv"]["class"] == "seq_len_mask" and net["window_1"]["from"] == ["mask_conv"]
    assert networks.blstm_network(batch_independent=True)["pad_conv_1_time_dim"]["handle_dynamic_dims"] is True


FORMULATIONS_AGREE = r'''
import json, sys
import numpy as np
import tensorflow as tf
from returnn.config import Config
from returnn.tf.network import TFNetwork
from setups import networks

tf1 = tf.compat.v1
tf1.disable_eager_execution()
sizes = dict(conv_1_channels=4, conv_2_channels=8, window=3, lin_dim=16, ff_dim=16, batch_independent=True)
audio = np.random.default_rng(1).standard_normal((2, 160 * 30 + 320, 1)).astype("float32")
lengths = np.array([160 * 30 + 320, 160 * 20 + 320], dtype="int32")
audio[1, lengths[1]:] = 0.0


def run(fast, weights=None):
    config = Config({"extern_data": {"data": {"dim": 1}, "classes": {"dim": 12, "sparse": True}}})
    with tf1.Graph().as_default(), tf1.Session() as session:
        net = TFNetwork(config=config, train_flag=False)
        net.construct_from_dict(networks.baseline_network(fast_formulation=fast, **sizes))
        session.run(tf1.global_variables_initializer())
        params = {v.op.name: v for v in tf1.global_variables()}
        for name, value in (weights or {}).items():
            params[name].load(value.reshape(params[name].shape.as_list()), session)
        data = net.extern_data.data["data"]
        output = session.run(net.get_default_output_layer().output.placeholder,
                             {data.placeholder: audio, data.size_placeholder[0]: lengths})
        return output, {name: session.run(v) for name, v in params.items()}


written, weights = run(False)
weights["lin_1/bias"] = weights.pop("lin_1/b")
fast, fast_weights = run(True, weights)
shapes = {name: list(value.shape) for name, value in fast_weights.items()}
print(json.dumps({"max_difference": float(np.abs(written - fast).max()), "scale": float(np.abs(written).max()),
                  "shapes": shapes, "names_equal": sorted(weights) == sorted(fast_weights)}))
'''


def test_fast_formulation_computes_the_same_function_with_reshaped_weights():
    import json
    import os
    import subprocess
    import sys

    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {**os.environ, "DISABLE_CUDA": "1", "CUDA_VISIBLE_DEVICES": "", "TF_CPP_MIN_LOG_LEVEL": "2",
           "PYTHONPATH": repo}
    result = subprocess.run([sys.executable, "-c", FORMULATIONS_AGREE], cwd=repo, env=env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["names_equal"]
    assert found["shapes"]["conv_2/W"] == [40, 4, 8] and found["shapes"]["lin_1/W"] == [3, 8, 16]
    assert found["max_difference"] <= 1e-5 * max(1.0, found["scale"])


def test_fast_formulation_keeps_the_layer_names_the_transfer_needs():
    for fast_network in (networks.baseline_network(fast_formulation=True),
                         networks.blstm_network(fast_formulation=True)):
        assert set(networks.FRONTEND_LAYERS) <= set(fast_network)
        assert "input_add_feature_dim" not in fast_network["conv_2"]
    assert "window_1" not in networks.baseline_network(fast_formulation=True)
    assert networks.baseline_network(fast_formulation=False) == networks.baseline_network()
