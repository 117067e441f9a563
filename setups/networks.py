"""The mission's two RETURNN networks as data: the raw-waveform CNN-DNN baseline and the BLSTM target.

The dicts are exactly the ones the user wrote (layer names, classes, options); only sizes that the user left as a
parameter (``rnnLayerNodes``) or that a profile shrinks for a laptop are arguments, with the user's values as
defaults. ``batch_independent=True`` swaps in the variant whose outputs do not depend on how sequences are batched: the
pad layer pads each sequence at its own end (``handle_dynamic_dims``) and, in the baseline, a ``seq_len_mask`` layer
zeroes the frames past each sequence's end before the window layer reads them. As written, the pad goes to the end
of the padded batch and the window sees other sequences' padding, so scores move slightly with the batching.

``fast_formulation=True`` writes the same function in the layers TensorFlow's CPU kernels run fast (1.2-1.6 times
the baseline's training frames/s on a CPU, README "Training speed", bench/training_throughput.py): conv_2 as a 1-D
convolution over conv_1's 64 channels (``filter_size (40,)``, weights ``[40, 64, 128]``) instead of a 2-D convolution
over an added feature axis (``input_add_feature_dim``, weights ``[40, 64, 1, 128]``), whose gradients dominate a
training step; and in the baseline window_1 + flatten_window + lin_1 as one convolution of width ``window`` (weights
``[17, 128, 512]`` plus bias instead of ``[2176, 512]``), whose strided-slice gradient is slow. Other parameter shapes
(and so another random initialization and other job ids): a network of one formulation does not load the other's
checkpoints, but both networks of a profile share its formulation, so the front-end transfer works in either.

Front-end geometry (frames per input length, the corpus' padding rule): ``recipe/corpus/frontend_geometry.py``,
which the corpus recipes use; its constants are the sizes of the layers written here (tests/setups checks that).
"""

import copy

FRONTEND_LAYERS = ("conv_1", "pad_conv_1_time_dim", "conv_2", "flatten_conv")
"""Layers from the input to the 128-dim front-end output, shared by both networks (conv_1 .. flatten_conv)."""

TRANSFERRED_LAYERS = ("conv_1", "conv_2")
"""The layers whose trained variables are carried from the baseline into the BLSTM."""

def frontend(batch_independent=False, conv_1_channels=64, conv_2_channels=128, fast_formulation=False):
    """conv_1 .. flatten_conv as the user wrote them (or in the fast formulation); reads from the network input
    ("data")."""
    layers = {
        "conv_1": {"class": "conv", "filter_size": (400,), "activation": "abs", "padding": "valid", "strides": 10,
                   "n_out": conv_1_channels},
        "pad_conv_1_time_dim": {"class": "pad", "axes": "time", "padding": 20, "from": ["conv_1"]},
        "conv_2": {"class": "conv", "input_add_feature_dim": True, "filter_size": (40, conv_1_channels),
                   "activation": "abs", "padding": "valid", "strides": 16, "n_out": conv_2_channels,
                   "from": ["pad_conv_1_time_dim"]},
        "flatten_conv": {"class": "merge_dims", "axes": "except_time", "n_out": conv_2_channels, "from": ["conv_2"]},
    }
    if fast_formulation:
        # The same sum over 40 frames x 64 channels, as a 1-D convolution over the channels.
        layers["conv_2"] = {"class": "conv", "filter_size": (40,), "activation": "abs", "padding": "valid",
                            "strides": 16, "n_out": conv_2_channels, "from": ["pad_conv_1_time_dim"]}
    if batch_independent:
        # Pad each sequence at its own end, not at the end of the padded batch.
        layers["pad_conv_1_time_dim"]["handle_dynamic_dims"] = True
    return layers


def baseline_network(batch_independent=False, conv_1_channels=64, conv_2_channels=128, window=17, lin_dim=512,
                     ff_dim=2000, fast_formulation=False):
    """The CNN-DNN baseline (frame-wise CE on ``classes``)."""
    net = frontend(batch_independent, conv_1_channels, conv_2_channels, fast_formulation)
    window_input = "flatten_conv"
    if batch_independent:
        # Zero the frames past each sequence's end so the window does not see another sequence's padding.
        net["mask_conv"] = {"class": "seq_len_mask", "mask_value": 0.0, "from": ["flatten_conv"]}
        window_input = "mask_conv"
    if fast_formulation:
        # window_1 + flatten_window + lin_1 (with its bias) as one convolution over `window` frames.
        net["lin_1"] = {"class": "conv", "filter_size": (window,), "padding": "same", "with_bias": True,
                        "activation": None, "n_out": lin_dim, "from": [window_input]}
    else:
        net.update({
            "window_1": {"class": "window", "window_size": window, "from": [window_input]},
            "flatten_window": {"class": "merge_dims", "axes": "except_time", "from": ["window_1"]},
            "lin_1": {"class": "linear", "activation": None, "n_out": lin_dim, "from": ["flatten_window"]},
        })
    net.update({
        "ff_2": {"class": "linear", "activation": "relu", "n_out": ff_dim, "from": ["lin_1"]},
        "output": {"class": "softmax", "loss": "ce", "from": ["ff_2"]},
    })
    return net


def blstm_network(rnn_layer_nodes=512, batch_independent=False, conv_1_channels=64, conv_2_channels=128,
                  lin_dim=512, ff_dim=2000, lstm_unit="lstmp", fast_formulation=False):
    """The BLSTM target: the same front-end, one bidirectional LSTM layer (RETURNN rec ``unit``: the user's
    ``lstmp`` unless ``lstm_unit`` says otherwise), then lin_1, ff_2..ff_4, output."""
    net = frontend(batch_independent, conv_1_channels, conv_2_channels, fast_formulation)
    net.update({
        "lstm1_fw": {"class": "rec", "unit": lstm_unit, "n_out": rnn_layer_nodes, "direction": 1,
                     "from": ["flatten_conv"]},
        "lstm1_bw": {"class": "rec", "unit": lstm_unit, "n_out": rnn_layer_nodes, "direction": -1,
                     "from": ["flatten_conv"]},
        "lin_1": {"class": "linear", "activation": None, "n_out": lin_dim, "from": ["lstm1_fw", "lstm1_bw"]},
        "ff_2": {"class": "linear", "activation": "relu", "n_out": ff_dim, "from": ["lin_1"]},
        "ff_3": {"class": "linear", "activation": "relu", "n_out": ff_dim, "from": ["ff_2"]},
        "ff_4": {"class": "linear", "activation": "relu", "n_out": ff_dim, "from": ["ff_3"]},
        "output": {"class": "softmax", "loss": "ce", "from": ["ff_4"]},
    })
    return net


def copy_network(net):
    """A deep copy, so callers can edit a network without touching another experiment's dict."""
    return copy.deepcopy(net)
