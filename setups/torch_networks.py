"""The mission's two networks as RETURNN PyTorch-backend models (plain ``torch.nn`` modules, as RETURNN documents for
``backend = "torch"``): the raw-waveform CNN-DNN baseline and the BLSTM with the same conv front-end.

They compute what setups/networks.py's TF net dicts compute (same layer names, sizes, strides, activations):

* ``Frontend``: conv_1 (400 samples, stride 10, 64 filters, no bias, ``abs``), conv_1's frames past each sequence's
  end zeroed, 20 zero frames padded on each side (``pad_conv_1_time_dim``), conv_2 (40 frames x 64 channels, stride
  16, 128 filters, no bias, ``abs``) as a 1-D convolution over conv_1's channels: the TF 2-D convolution over an
  added feature axis (``input_add_feature_dim``, weights ``[40, 64, 1, 128]``) and the fast formulation's 1-D one
  (``[40, 64, 128]``) are both this sum, so either TF baseline converts into it (recipe/transfer/torch_conversion.py).
  Every sequence is padded at its own end: the TF networks' ``batch_independent`` variant.
* ``BaselineModel``: front-end, window_1 + flatten_window + lin_1 as one convolution of width ``window`` (the same
  function as the TF window + linear layers), ff_2 (relu), output.
* ``BlstmModel``: front-end, one bidirectional LSTM layer (``torch.nn.LSTM``: the TF ``lstmp`` unit without
  projection is this LSTM), lin_1 on both directions, ff_2..ff_4 (relu), output. ``frozen_frontend=True`` keeps the
  front-end's parameters fixed (no gradient, RETURNN's optimizer skips them).

Parameter names (what a converted TF front-end must fill): ``frontend.conv_1.weight`` ``[64, 1, 400]`` and
``frontend.conv_2.weight`` ``[128, 64, 40]``.

In a RETURNN config: ``get_model = get_baseline_model`` or ``get_blstm_model`` with the constructor's keyword
arguments in the config setting ``model_options``, ``train_step`` (frame-wise CE, marked as loss ``ce``, and the
frame error as ``fer``; RETURNN's learning_rates file then has ``dev_loss_ce`` / ``dev_loss_fer``) and
``forward_step`` (the output posteriors as ``output``).
"""

import torch

from recipe.corpus.frontend_geometry import CONV_1_FILTER, CONV_1_STRIDE, CONV_1_TIME_PAD, CONV_2_FILTER, CONV_2_STRIDE


class Frontend(torch.nn.Module):
    """conv_1 .. flatten_conv: raw audio ``[B, T]`` with lengths ``[B]`` -> ``([B, T2, conv_2_channels], [B])``."""

    def __init__(self, conv_1_channels=64, conv_2_channels=128):
        super().__init__()
        self.conv_1 = torch.nn.Conv1d(1, conv_1_channels, CONV_1_FILTER, stride=CONV_1_STRIDE, bias=False)
        self.conv_2 = torch.nn.Conv1d(conv_1_channels, conv_2_channels, CONV_2_FILTER, stride=CONV_2_STRIDE,
                                      bias=False)

    def forward(self, audio, lengths):
        conv_1 = torch.abs(self.conv_1(audio.unsqueeze(1)))
        conv_1_lengths = torch.div(lengths - CONV_1_FILTER, CONV_1_STRIDE, rounding_mode="floor") + 1
        valid = torch.arange(conv_1.shape[2], device=conv_1.device)[None, :] < conv_1_lengths[:, None]
        padded = torch.nn.functional.pad(conv_1 * valid[:, None, :], (CONV_1_TIME_PAD, CONV_1_TIME_PAD))
        conv_2 = torch.abs(self.conv_2(padded))
        conv_2_lengths = torch.div(conv_1_lengths + 2 * CONV_1_TIME_PAD - CONV_2_FILTER, CONV_2_STRIDE,
                                   rounding_mode="floor") + 1
        return conv_2.transpose(1, 2), conv_2_lengths


class BaselineModel(torch.nn.Module):
    """The CNN-DNN baseline: ``(audio [B, T], lengths [B])`` -> logits ``[B, T2, num_classes]``."""

    def __init__(self, num_classes, conv_1_channels=64, conv_2_channels=128, window=17, lin_dim=512, ff_dim=2000):
        super().__init__()
        self.frontend = Frontend(conv_1_channels, conv_2_channels)
        self.lin_1 = torch.nn.Conv1d(conv_2_channels, lin_dim, window, padding=window // 2)
        self.ff_2 = torch.nn.Linear(lin_dim, ff_dim)
        self.output = torch.nn.Linear(ff_dim, num_classes)

    def forward(self, audio, lengths):
        frames, frame_lengths = self.frontend(audio, lengths)
        valid = torch.arange(frames.shape[1], device=frames.device)[None, :] < frame_lengths[:, None]
        lin_1 = self.lin_1((frames * valid[:, :, None]).transpose(1, 2)).transpose(1, 2)
        return self.output(torch.relu(self.ff_2(lin_1))), frame_lengths


class BlstmModel(torch.nn.Module):
    """The BLSTM target: ``(audio [B, T], lengths [B])`` -> logits ``[B, T2, num_classes]``."""

    def __init__(self, num_classes, rnn_layer_nodes=512, conv_1_channels=64, conv_2_channels=128, lin_dim=512,
                 ff_dim=2000, frozen_frontend=False):
        super().__init__()
        self.frontend = Frontend(conv_1_channels, conv_2_channels)
        if frozen_frontend:
            self.frontend.requires_grad_(False)
        self.lstm1 = torch.nn.LSTM(conv_2_channels, rnn_layer_nodes, batch_first=True, bidirectional=True)
        self.lin_1 = torch.nn.Linear(2 * rnn_layer_nodes, lin_dim)
        self.ff_2 = torch.nn.Linear(lin_dim, ff_dim)
        self.ff_3 = torch.nn.Linear(ff_dim, ff_dim)
        self.ff_4 = torch.nn.Linear(ff_dim, ff_dim)
        self.output = torch.nn.Linear(ff_dim, num_classes)

    def forward(self, audio, lengths):
        frames, frame_lengths = self.frontend(audio, lengths)
        packed = torch.nn.utils.rnn.pack_padded_sequence(frames, frame_lengths.cpu(), batch_first=True,
                                                         enforce_sorted=False)
        lstm, _ = self.lstm1(packed)
        lstm, _ = torch.nn.utils.rnn.pad_packed_sequence(lstm, batch_first=True, total_length=frames.shape[1])
        hidden = self.lin_1(lstm)
        for layer in (self.ff_2, self.ff_3, self.ff_4):
            hidden = torch.relu(layer(hidden))
        return self.output(hidden), frame_lengths


def get_baseline_model(*, epoch, step, **_kwargs):
    """RETURNN's ``get_model``: the baseline with the config's ``model_options``."""
    from returnn.config import get_global_config

    return BaselineModel(**get_global_config().typed_value("model_options"))


def get_blstm_model(*, epoch, step, **_kwargs):
    """RETURNN's ``get_model``: the BLSTM with the config's ``model_options``."""
    from returnn.config import get_global_config

    return BlstmModel(**get_global_config().typed_value("model_options"))


def _logits_and_targets(model, extern_data):
    """The model's logits of the batch, cut to the label frames, with the labels and their lengths."""
    audio = extern_data["data"].raw_tensor[:, :, 0]
    audio_lengths = extern_data["data"].dims[1].dyn_size_ext.raw_tensor.to(audio.device)
    targets = extern_data["classes"].raw_tensor.long()
    target_lengths = extern_data["classes"].dims[1].dyn_size_ext.raw_tensor
    logits, _ = model(audio, audio_lengths)
    if logits.shape[1] < targets.shape[1]:
        raise ValueError(f"the model gives {logits.shape[1]} frames for {targets.shape[1]} label frames; the audio "
                         f"must be 160 samples per label frame plus 320 (recipe/corpus/frontend_geometry.py)")
    return logits[:, :targets.shape[1]], targets, target_lengths


def train_step(*, model, extern_data, **_kwargs):
    """RETURNN's ``train_step`` (also its dev evaluation): frame-wise CE as loss ``ce``, frame error as ``fer``."""
    import returnn.frontend as rf

    logits, targets, target_lengths = _logits_and_targets(model, extern_data)
    packed_logits = torch.nn.utils.rnn.pack_padded_sequence(logits, target_lengths, batch_first=True,
                                                            enforce_sorted=False)
    packed_targets = torch.nn.utils.rnn.pack_padded_sequence(targets, target_lengths, batch_first=True,
                                                             enforce_sorted=False)
    ce = torch.nn.functional.cross_entropy(packed_logits.data, packed_targets.data, reduction="none")
    rf.get_run_ctx().mark_as_loss(name="ce", loss=ce)
    errors = (packed_logits.data.argmax(dim=-1) != packed_targets.data).float()
    rf.get_run_ctx().mark_as_loss(name="fer", loss=errors, as_error=True)


def forward_step(*, model, extern_data, **_kwargs):
    """RETURNN's ``forward_step``: the output posteriors ``[B, T, num_classes]`` (softmax), over the label frames,
    as output ``output``."""
    import returnn.frontend as rf
    from returnn.tensor import Dim

    logits, _, _ = _logits_and_targets(model, extern_data)
    batch_dim, time_dim = extern_data["classes"].dims[:2]
    classes_dim = Dim(logits.shape[-1], name="posteriors")
    rf.get_run_ctx().mark_as_output(torch.softmax(logits, dim=-1), "output", dims=[batch_dim, time_dim, classes_dim])


TRANSFERRED_PARAMETERS = {"frontend.conv_1": "conv_1", "frontend.conv_2": "conv_2"}
"""Where the PyTorch BLSTM's front-end comes from: torch module <- TF layer of the baseline (a transfer spec,
recipe/transfer/transfer_spec.py)."""

BLSTM_SIZES = ("rnn_layer_nodes", "conv_1_channels", "conv_2_channels", "lin_dim", "ff_dim")
"""The keys of a profile's ``blstm.network`` that the PyTorch BLSTM takes (``lstm_unit`` is a TF rec unit: the
PyTorch LSTM is ``torch.nn.LSTM``)."""


def blstm_options(network_sizes, num_classes):
    """``model_options`` of the PyTorch BLSTM for a profile's ``blstm.network`` sizes."""
    return {"num_classes": num_classes, **{key: network_sizes[key] for key in BLSTM_SIZES if key in network_sizes}}


def parameter_shapes(model):
    """``{parameter name: shape}`` of a model (what a converted checkpoint must match)."""
    return {name: list(value.shape) for name, value in model.state_dict().items()}


def blstm_parameter_shapes(**options):
    """:func:`parameter_shapes` of ``BlstmModel(**options)``, built on torch's meta device (no memory, no init)."""
    with torch.device("meta"):
        return parameter_shapes(BlstmModel(**options))
