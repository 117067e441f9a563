"""Task ids, argument slices and requirement normalisation (SPEC 2.1, 7.1)."""

from sislite.task import Task, normalise_rqmt


def test_one_id_per_arg_by_default_and_parallel_groups():
    assert Task("run").task_ids() == [1] and Task("run").args_for(1) == [[]]
    task = Task("run", args=range(1, 4))
    assert task.task_ids() == [1, 2, 3]
    assert task.args_for(2) == [[2]]
    grouped = Task("run", args=[(1, "a"), (2, "b"), (3, "c"), (4, "d"), (5, "e"), (6, "f")], parallel=2)
    assert grouped.task_ids() == [1, 2]
    assert grouped.args_for(1) == [(1, "a"), (2, "b"), (3, "c")]


def test_rqmt_units_and_mini_tasks():
    assert normalise_rqmt({"mem": "512M", "time": "1:30:00", "cpu": 2}) == {"mem": 0.5, "time": 1.5, "cpu": 2}
    assert normalise_rqmt({"mem": "2G", "time": 4}) == {"mem": 2.0, "time": 4.0}
    assert Task("run", mini_task=True, rqmt={"cpu": 1}).rqmt() == {"cpu": 1, "engine": "short"}
    assert Task("run", rqmt=lambda: {"mem": 3}).rqmt() == {"mem": 3.0}
    assert Task("run", resume="run").resumable() and not Task("run").resumable()
