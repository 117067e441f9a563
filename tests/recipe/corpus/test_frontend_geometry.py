"""recipe/corpus/frontend_geometry.py: the front-end's frames per input length and the corpus' padding rule."""

from recipe.corpus.frontend_geometry import frontend_output_frames, samples_for_frames


def test_frontend_formula_matches_layer_geometry():
    for num_samples in range(400, 20000, 37):
        conv_1 = (num_samples - 400) // 10 + 1
        conv_2 = (conv_1 + 40 - 40) // 16 + 1
        assert frontend_output_frames(num_samples) == conv_2


def test_padding_rule_gives_one_frame_per_label():
    for frames in range(1, 500):
        assert frontend_output_frames(samples_for_frames(frames)) == frames
    assert frontend_output_frames(399) == 0
