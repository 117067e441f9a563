"""How many frames the raw-waveform CNN front-end (conv_1 .. flatten_conv, shared by both networks) produces for an
utterance, and how long the corpus makes each utterance so that it gives exactly one frame per 10 ms label.

For ``T`` input samples, conv_1 (filter 400, stride 10, valid) gives ``T1 = (T - 400) // 10 + 1`` frames and conv_2
(filter 40, stride 16, after padding conv_1's output by 20 frames on each side) gives ``T1 // 16 + 1`` frames. The
corpus recipes check and build their audio with these rules; ``setups/networks.py`` writes its layers with these
sizes (tests/setups checks that). Recipes never import ``setups/``: it is one experiment's data.
"""

CONV_1_FILTER, CONV_1_STRIDE, CONV_2_FILTER, CONV_2_STRIDE, CONV_1_TIME_PAD = 400, 10, 40, 16, 20


def frontend_output_frames(num_samples):
    """Number of frames the front-end produces for ``num_samples`` input samples (0 if too short)."""
    if num_samples < CONV_1_FILTER:
        return 0
    conv_1_frames = (num_samples - CONV_1_FILTER) // CONV_1_STRIDE + 1
    return (conv_1_frames + 2 * CONV_1_TIME_PAD - CONV_2_FILTER) // CONV_2_STRIDE + 1


def samples_for_frames(num_frames):
    """Audio length (samples) whose front-end output has exactly ``num_frames`` frames: 160 per frame plus 160
    samples of padding on each side (the corpus pads every utterance this way)."""
    return 160 * num_frames + 320
