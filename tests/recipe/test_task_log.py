"""recipe/task_log.py: the end of a log a task is still writing, and the corpus job's info() built on it."""

from recipe.task_log import last_line_starting_with, read_head, read_tail


def test_tail_starts_at_a_whole_line(tmp_path):
    log = tmp_path / "log.run.1"
    log.write_text("".join(f"line {i}\n" for i in range(1000)))
    tail = read_tail(log, 100)
    assert tail.splitlines()[0].startswith("line ") and tail.endswith("line 999\n")
    assert len(tail) <= 100 and read_head(log, 7) == "line 0\n"


def test_last_line_with_a_prefix(tmp_path):
    log = tmp_path / "log.run.1"
    log.write_text("recipe.corpus: rendered 50/200 utterances\nother\nrecipe.corpus: rendered 100/200 utterances\nx\n")
    assert last_line_starting_with(log, "recipe.corpus: rendered ") == "100/200 utterances"
    assert last_line_starting_with(log, "nothing: ") is None
    assert last_line_starting_with(tmp_path / "missing", "x") is None


def test_corpus_job_info_reads_its_task_log(tmp_path, monkeypatch):
    from sislite import global_constants

    from recipe.corpus.synthetic_digits import PROGRESS_PREFIX, SyntheticDigitsCorpusJob

    monkeypatch.setattr(global_constants, "BASE_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    job = SyntheticDigitsCorpusJob(num_utterances=30, seed=11)
    assert job.info() is None
    log = tmp_path / job._sis_path("log.run.1")
    log.parent.mkdir(parents=True)
    log.write_text(f"sislite worker: ...\n{PROGRESS_PREFIX}100/1000 utterances\n")
    assert job.info() == "100/1000 utterances"
