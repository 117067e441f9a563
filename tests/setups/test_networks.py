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
