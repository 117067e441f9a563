"""sislite.batch_tasks: task-id runs and array specs shared by the Slurm, Grid Engine and LSF engines."""

import os

from sislite.batch_tasks import _hardlink_or_symlink, arithmetic_runs, expand_array_spec


def test_task_ids_are_grouped_into_arithmetic_runs():
    assert arithmetic_runs([1, 2, 3, 5, 7, 9, 10]) == [(1, 3, 1), (5, 9, 2), (10, 10, 1)]
    assert arithmetic_runs([4]) == [(4, 4, 1)]
    assert arithmetic_runs([3, 1, 2]) == [(1, 3, 1)]


def test_array_specs_expand_to_task_ids():
    assert expand_array_spec("1-3") == [1, 2, 3]
    assert expand_array_spec("[1-9:4%2]") == [1, 5, 9]
    assert expand_array_spec("1,4") == [1, 4]


def test_log_link_is_a_hard_link_on_the_same_file_system(tmp_path):
    source = tmp_path / "engine.log"
    source.write_text("log\n")
    _hardlink_or_symlink(str(source), str(tmp_path / "log.run.1"))
    assert os.path.samefile(source, tmp_path / "log.run.1")
