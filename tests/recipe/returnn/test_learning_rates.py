import math

import pytest

from recipe.returnn.learning_rates import epochs_with_score, parse_learning_rates, read_learning_rates

RETURNN_FILE = """{
1: EpochData(learningRate=np.float32(0.001), error={
'dev_error_output': np.float32(0.5),
'dev_score_output': 1.25,
'train_score_output': nan,
}),
2: EpochData(learningRate=0.0005, error={
'dev_error_output': 0.25,
'dev_score_output': np.float64(0.75),
}),
3: EpochData(learningRate=0.0005, error={}),
}
"""


def test_reads_returnn_format_with_numpy_reprs(tmp_path):
    path = tmp_path / "learning_rates"
    path.write_text(RETURNN_FILE)
    data = read_learning_rates(str(path))
    assert list(data) == [1, 2, 3]
    assert data[1]["learning_rate"] == pytest.approx(0.001)
    assert data[2]["scores"] == {"dev_error_output": 0.25, "dev_score_output": 0.75}
    assert math.isnan(data[1]["scores"]["train_score_output"])
    assert data[3]["scores"] == {}
    assert epochs_with_score(data, "train_score_output") == []
    assert epochs_with_score(data, "dev_score_output") == [1, 2]


def test_accepts_new_keyword_and_old_float_format():
    data = parse_learning_rates("{4: EpochData(learning_rate=0.1, error=2.5, meta={'x': 1})}")
    assert data == {4: {"learning_rate": 0.1, "scores": {"score": 2.5}}}


def test_garbage_names_the_file():
    with pytest.raises(ValueError, match="my_file.*RETURNN learning_rates"):
        parse_learning_rates("not a dict (", source="my_file")
