"""The TF baseline's conv_1/conv_2 converted into the PyTorch BLSTM's front-end (recipe/transfer/torch_conversion.py):
the torch front-end gives RETURNN's TF front-end outputs on the demo corpus' audio (max abs diff <= 1e-5), for both
TF formulations of conv_2; and the conversion's errors name the culprit."""

import numpy as np
import pytest

from recipe.returnn.config import ReturnnConfig
from recipe.returnn.datasets import hdf_dataset
from recipe.scoring.returnn_hdf import read_hdf_sequences
from recipe.transfer.torch_conversion import (ConvertTfToTorchJob, TorchConversionError, convert_checkpoints,
                                              read_tf_variables, torch_layout)
from recipe.transfer.transfer_spec import parse_transfer
from setups.networks import baseline_network
from tests.recipe.transfer.transfer_setup import EXTERN_DATA, base_settings, run_returnn

FRONTEND_SPEC = {"frontend.conv_1": "conv_1", "frontend.conv_2": "conv_2"}
TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def demo_audio(tmp_path_factory):
    """The demo corpus' generator (synthetic connected digits, the demo profile's settings but 10 utterances): the
    path of its test split HDF."""
    from recipe.corpus.corpus_plan import SPLITS
    from recipe.corpus.synthetic_digits import SyntheticDigitsCorpusJob, generate_corpus

    folder = tmp_path_factory.mktemp("demo_corpus")
    generate_corpus(SyntheticDigitsCorpusJob(num_utterances=10, seed=1, unit="word", workers=1),
                    {split: str(folder / f"{split}.hdf") for split in SPLITS},
                    {split: str(folder / f"{split}.txt") for split in SPLITS}, str(folder / "labels.json"),
                    str(folder / "summary.json"))
    return folder / "train.hdf"


def _trained_baseline(tiny_data, directory, fast_formulation):
    """A baseline with the user's front-end sizes (64/128 filters) trained for one epoch: its checkpoint prefix."""
    network = baseline_network(batch_independent=True, window=3, lin_dim=16, ff_dim=16,
                               fast_formulation=fast_formulation)
    config = ReturnnConfig(dict(base_settings(tiny_data), network=network),
                           {"model": str(directory / "epoch"), "num_epochs": 1, "log_verbosity": 3, "device": "cpu"})
    config.write(directory / "train.config")
    run_returnn(directory / "train.config")
    return directory / "epoch.001", network


def _tf_frontend_outputs(prefix, network, audio_hdf, directory):
    """flatten_conv's outputs ({tag: [frames, 128]}) of RETURNN's TF forward of ``audio_hdf``."""
    config = ReturnnConfig({"use_tensorflow": True, "task": "forward", "network": network, "extern_data": EXTERN_DATA,
                            "load": str(prefix), "eval": hdf_dataset(str(audio_hdf)), "forward_batch_size": 400000,
                            "max_seqs": 4, "forward_output_layer": "flatten_conv"},
                           {"output_file": str(directory / "frontend.hdf"), "log_verbosity": 3, "device": "cpu"})
    config.write(directory / "forward.config")
    run_returnn(directory / "forward.config")
    return read_hdf_sequences(directory / "frontend.hdf")


def _torch_frontend_outputs(state, audio_hdf):
    """The torch BLSTM's front-end with the converted parameters, on every sequence of ``audio_hdf`` (one batch)."""
    import torch

    from setups.torch_networks import BlstmModel

    model = BlstmModel(num_classes=12, rnn_layer_nodes=4, lin_dim=8, ff_dim=8)
    missing, unexpected = model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()}, strict=False)
    assert not unexpected and not [name for name in missing if name.startswith("frontend.")]
    audio = read_hdf_sequences(audio_hdf)
    tags = list(audio)
    lengths = torch.tensor([len(audio[tag]) for tag in tags])
    batch = torch.zeros(len(tags), int(lengths.max()))
    for index, tag in enumerate(tags):
        batch[index, :lengths[index]] = torch.from_numpy(audio[tag][:, 0])
    with torch.no_grad():
        frames, frame_lengths = model.frontend(batch, lengths)
    return {tag: frames[index, :frame_lengths[index]].numpy() for index, tag in enumerate(tags)}


@pytest.mark.parametrize("fast_formulation", [False, True], ids=["conv_2_2d", "conv_2_1d"])
def test_converted_frontend_gives_the_tf_frontend_outputs_on_demo_audio(fast_formulation, tiny_data, demo_audio,
                                                                        tmp_path):
    from setups.torch_networks import BlstmModel, parameter_shapes

    prefix, network = _trained_baseline(tiny_data, tmp_path, fast_formulation)
    variables = read_tf_variables(str(prefix))
    assert variables["conv_2/W"].shape == ((40, 64, 128) if fast_formulation else (40, 64, 1, 128))
    shapes = parameter_shapes(BlstmModel(num_classes=12, rnn_layer_nodes=4, lin_dim=8, ff_dim=8))
    state, rows = convert_checkpoints({"": variables}, parse_transfer(FRONTEND_SPEC), shapes)
    assert sorted(state) == ["frontend.conv_1.weight", "frontend.conv_2.weight"]
    assert {row["target"]: row["status"] for row in rows}["lstm1.weight_ih_l0"] == "fresh"
    assert [row for row in rows if row["status"] == "transferred"][0] == {
        "target": "frontend.conv_1.weight", "source": "conv_1/W", "tf_shape": [400, 1, 64], "shape": [64, 1, 400],
        "status": "transferred"}

    tf_outputs = _tf_frontend_outputs(prefix, network, demo_audio, tmp_path)
    torch_outputs = _torch_frontend_outputs(state, demo_audio)
    assert sorted(tf_outputs) == sorted(torch_outputs) and len(tf_outputs) >= 5
    max_diff = 0.0
    for tag, tf_frames in tf_outputs.items():
        assert torch_outputs[tag].shape == tf_frames.shape, tag
        max_diff = max(max_diff, float(np.abs(torch_outputs[tag] - tf_frames).max()))
    scale = max(float(np.abs(frames).max()) for frames in tf_outputs.values())
    print(f"max abs diff TF vs torch front-end: {max_diff:.3g} (outputs up to {scale:.3g})")
    assert scale > 1e-2 and max_diff <= TOLERANCE


def test_layouts_of_dense_conv_and_added_axis_conv():
    rng = np.random.RandomState(0)
    conv = rng.randn(40, 64, 128).astype("float32")
    assert torch_layout(conv, [128, 64, 40])[5, 7, 11] == conv[11, 7, 5]
    added_axis = conv[:, :, None, :]
    assert np.array_equal(torch_layout(added_axis, [128, 64, 40]), torch_layout(conv, [128, 64, 40]))
    assert torch_layout(added_axis, [128, 1, 40, 64])[5, 0, 11, 7] == conv[11, 7, 5]
    dense = rng.randn(3, 5)
    assert np.array_equal(torch_layout(dense, [5, 3]), dense.T)
    with pytest.raises(TorchConversionError, match=r"TF shape \[40, 64, 128\] \(torch layout \[128, 64, 40\]\) does "
                                                   r"not fit the torch parameter's shape \[128, 32, 40\]"):
        torch_layout(conv, [128, 32, 40])


def _variables():
    return {"": {"conv_1/W": np.zeros((400, 1, 8), "float32"), "conv_2/W": np.zeros((40, 8, 1, 16), "float32"),
                 "global_step": np.zeros((), "int64")}}


SHAPES = {"frontend.conv_1.weight": [8, 1, 400], "frontend.conv_2.weight": [16, 8, 40], "output.weight": [12, 16]}


def test_conversion_errors_name_the_culprit():
    with pytest.raises(TorchConversionError, match=r"frontend.conv_1 <- conv_3: 'conv_3' is not a variable or "
                                                   r"layer of the checkpoint \(closest: \['conv_2', 'conv_1'"):
        convert_checkpoints(_variables(), parse_transfer({"frontend.conv_1": "conv_3"}), SHAPES)
    with pytest.raises(TorchConversionError, match=r"target layer 'frontend.conv1' .* is not in the PyTorch model "
                                                   r"\(closest: \['frontend.conv_1'"):
        convert_checkpoints(_variables(), parse_transfer({"frontend.conv1": "conv_1"}), SHAPES)
    with pytest.raises(TorchConversionError, match=r"conv_1/W -> frontend.conv_2.weight: TF shape \[400, 1, 8\] "
                                                   r"\(torch layout \[8, 1, 400\]\) does not fit the torch "
                                                   r"parameter's shape \[16, 8, 40\]"):
        convert_checkpoints(_variables(), parse_transfer({"frontend.conv_2": "conv_1"}), SHAPES)
    with pytest.raises(TorchConversionError, match=r"torch parameter 'frontend.conv_1.weight' is mapped twice"):
        convert_checkpoints(_variables(), parse_transfer({"frontend.conv_1": "conv_1",
                                                          "frontend.conv_1.weight": "conv_2/W"}), SHAPES)


def test_exclude_leaves_a_parameter_fresh_by_mapping_and_one_line():
    for spec in (parse_transfer(FRONTEND_SPEC, exclude=("conv_2/W",)),
                 parse_transfer("conv_1,conv_2:frontend.conv_1,frontend.conv_2:conv_2/W")):
        state, rows = convert_checkpoints(_variables(), spec, SHAPES)
        assert sorted(state) == ["frontend.conv_1.weight"]
        assert [(row["target"], row["source"], row["status"]) for row in rows] == [
            ("frontend.conv_1.weight", "conv_1/W", "transferred"), ("frontend.conv_2.weight", "conv_2/W", "fresh"),
            ("output.weight", None, "fresh")]


def test_job_hash_follows_the_spec_not_its_written_form():
    from recipe.returnn.checkpoint import Checkpoint
    from recipe.sis_api import tk

    checkpoint = Checkpoint(tk.Path("/somewhere/epoch.004.index"))
    by_mapping = ConvertTfToTorchJob(checkpoint, SHAPES, FRONTEND_SPEC, exclude=("conv_2/W",))
    by_line = ConvertTfToTorchJob(checkpoint, SHAPES, "conv_1,conv_2:frontend.conv_1,frontend.conv_2:conv_2/W")
    assert by_mapping.job_id() == by_line.job_id()
    assert ConvertTfToTorchJob(checkpoint, SHAPES, FRONTEND_SPEC).job_id() != by_mapping.job_id()
    with pytest.raises(TorchConversionError, match=r"reads from checkpoint\(s\) \['other'\]"):
        ConvertTfToTorchJob(checkpoint, SHAPES, "other@conv_1:frontend.conv_1")
    with pytest.raises(TorchConversionError, match=r"target layer 'frontend.conv1' .* is not in the PyTorch model"):
        ConvertTfToTorchJob(checkpoint, SHAPES, {"frontend.conv1": "conv_1"})  # at once, not when it runs
