"""The corpus job in a real graph: `sis manager` runs it, and a rerun finds it finished."""

import json


def test_tiny_corpus_job_runs_in_a_graph(sis_setup):
    config = sis_setup.write_config('''
from recipe.sis_api import tk
from recipe.corpus import SyntheticDigitsCorpusJob

corpus = SyntheticDigitsCorpusJob(num_utterances=12, seed=3, speakers_per_split={"train": 2, "dev": 1, "test": 1},
                                  digits=(1, 3), workers=2)
tk.register_output("corpus/labels.json", corpus.out_labels)
tk.register_output("corpus/summary.json", corpus.out_summary)
for split, path in corpus.out_hdf.items():
    tk.register_output(f"corpus/{split}.hdf", path)
''')
    result = sis_setup.run_manager(config, timeout=180)
    assert result.returncode == 0, result.output
    output = sis_setup.root / "output/corpus"
    assert all((output / f"{split}.hdf").exists() for split in ("train", "dev", "test"))
    assert json.loads((output / "summary.json").read_text())["splits"]["train"]["utterances"] == 10
    (job_dir,) = sis_setup.job_dirs("SyntheticDigitsCorpusJob.*")
    assert "recipe.corpus: rendered 12/12 utterances" in (job_dir / "log.run.1").read_text()  # what info() shows
    again = sis_setup.run_manager(config, timeout=60)
    assert again.returncode == 0, again.output
