"""LoadSharingFacilityEngine without an LSF cluster (the project has none): rqmt -> bsub options, task ids -> array
ranges (at most 20 per bsub), ``bjobs -w`` output -> task states, the task id from ``$LSB_JOBINDEX``."""

import pytest

from sislite.load_sharing_facility_engine import LoadSharingFacilityEngine, id_ranges, parse_bjobs_wide


def test_rqmt_maps_to_bsub_options():
    engine = LoadSharingFacilityEngine(default_rqmt={"cpu": 1, "mem": 1, "time": 1})
    assert engine.options({"cpu": 4, "mem": 7.5, "time": 2.5, "gpu": 1, "bsub_args": "-q gpu -P speech"}) == [
        "-M", "7680", "-v", "7680", "-a", "gpu", "-n", "4", "-W", "150", "-q", "gpu", "-P", "speech"]
    assert engine.options({"cpu": 1, "mem": 2, "rss": 1.5, "time": 0.001}) == [
        "-M", "2048", "-v", "1536", "-n", "1", "-W", "1"]
    with pytest.raises(NotImplementedError, match="multi_node_slots"):
        engine.options({"cpu": 1, "mem": 1, "time": 1, "multi_node_slots": 2})


def test_task_ids_become_ranges_at_most_20_per_submission():
    assert id_ranges([1, 2, 3, 5, 7, 8]) == ["1-3", "5", "7-8"]
    engine = LoadSharingFacilityEngine()
    commands = engine.bsub_commands("/w/engine", {"cpu": 1, "mem": 1, "time": 1}, "a/b.Job.x.run",
                                    list(range(1, 80, 2)))  # 40 single ids
    assert [len(ids) for ids, _ in commands] == [20, 20]
    ids, argv = commands[0]
    assert argv[:5] == ["bsub", "-J", "a.b.Job.x.run[" + ",".join(str(i) for i in ids) + "]", "-o",
                        "/w/engine/run.%J.%I"]


class _NamedTask:
    def __init__(self, name):
        self._name = name

    def task_name(self):
        return self._name


def test_bjobs_wide_states_per_array_index():
    text = """JOBID   USER    STAT  QUEUE      FROM_HOST   EXEC_HOST   JOB_NAME   SUBMIT_TIME
101     alice   RUN   normal     login1      node7       a.run[2]   Dec  1 21:00
101     alice   PEND  normal     login1                  a.run[3]   Dec  1 21:00
102     alice   EXIT  normal     login1      node3       b.run      Dec  1 21:01
"""
    queue = parse_bjobs_wide(text)
    assert queue == {("a.run", 2): [(101, "RUN")], ("a.run", 3): [(101, "PEND")], ("b.run", 1): [(102, "EXIT")]}
    engine = LoadSharingFacilityEngine()
    engine._queue, engine._queue_time = queue, float("inf")  # a fresh poll result
    assert [engine.task_state(_NamedTask("a.run"), i) for i in (2, 3, 4)] == ["running", "queue", "unknown"]
    assert engine.task_state(_NamedTask("b.run"), 1) == "unknown"  # ended: the worker's markers tell the rest


def test_task_id_from_lsb_jobindex(monkeypatch):
    engine = LoadSharingFacilityEngine()
    monkeypatch.setenv("LSB_JOBINDEX", "7")
    assert engine.get_task_id(None) == 7 and engine.get_task_id(3) == 3
    monkeypatch.setenv("LSB_JOBINDEX", "0")  # not an array job
    assert engine.get_task_id(None) == 1
