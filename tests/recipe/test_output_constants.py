"""Output-defining module constants: changing one without raising the job class's __sis_version__ fails here."""

import importlib
import inspect
import pkgutil

import pytest

import recipe
from recipe.output_constants import constant_values, fingerprint

RECORDED = {
    # job class: (__sis_version__, fingerprint of its OUTPUT_CONSTANTS at that version)
    "recipe.corpus.synthetic_digits.SyntheticDigitsCorpusJob": (None, "f162e444af521e39"),
    "recipe.corpus.import_audio.ImportAudioCorpusJob": (2, "511dc9a32e259e29"),
    "recipe.scoring.decoding.EstimateAlignmentStatisticsJob": (None, "57703c6199c191cc"),
    "recipe.scoring.decoding.DecodeWordsJob": (None, "e647828af5c8c45d"),
    "recipe.transfer.extraction.ExtractLayerVariablesJob": (None, "235dbbfa80fcc545"),
}
"""When a test below fails after you changed a constant on purpose: raise the class's ``__sis_version__`` (None ->
2 -> 3 ...; every job of the class gets a new id, so no stale result is reused) and record the new pair here."""


def _job_classes_with_output_constants():
    found = {}
    for module_info in pkgutil.walk_packages(recipe.__path__, "recipe."):
        module = importlib.import_module(module_info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and "OUTPUT_CONSTANTS" in vars(cls):
                found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return found


CLASSES = _job_classes_with_output_constants()


def test_every_class_with_output_constants_is_recorded():
    assert sorted(CLASSES) == sorted(RECORDED), "record each class with OUTPUT_CONSTANTS in RECORDED (and only those)"


def check_version(name):
    """Fail unless ``name``'s constants still have the recorded fingerprint at the recorded version."""
    cls = CLASSES[name]
    version, recorded = RECORDED[name]
    now = fingerprint(cls)
    module_file = inspect.getsourcefile(cls)
    if cls.__sis_version__ == version:
        assert now == recorded, (
            f"one of the output-defining constants of {cls.__qualname__} ({', '.join(constant_values(cls))}) "
            f"changed but __sis_version__ is still {version!r}: its jobs would keep their ids with other outputs. "
            f"Raise __sis_version__ in {module_file} and record (<new version>, {now!r}) for {name} in RECORDED "
            f"of {__file__}")
    else:
        assert now != recorded, (f"{cls.__qualname__}.__sis_version__ was raised to {cls.__sis_version__!r} but "
                                 f"no output constant changed; keep version {version!r} in {module_file}")
        pytest.fail(f"{cls.__qualname__}.__sis_version__ is {cls.__sis_version__!r}: record "
                    f"({cls.__sis_version__!r}, {now!r}) for {name} in RECORDED of {__file__}")


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_constants_change_only_with_a_version_bump(name):
    check_version(name)


def test_a_changed_corpus_constant_without_a_version_bump_fails(monkeypatch):
    from recipe.corpus import generation

    monkeypatch.setattr(generation, "CHUNK_SIZE", generation.CHUNK_SIZE + 1)
    with pytest.raises(AssertionError, match="Raise __sis_version__ in .*synthetic_digits.py"):
        check_version("recipe.corpus.synthetic_digits.SyntheticDigitsCorpusJob")


def test_a_version_bump_moves_the_job_id():
    from recipe.scoring.decoding import EstimateAlignmentStatisticsJob

    arguments = {"alignment_hdf": "a.hdf", "labels": "labels.json", "transcripts": None, "alignment_key": "classes"}
    unversioned = EstimateAlignmentStatisticsJob.hash(arguments)

    class Bumped(EstimateAlignmentStatisticsJob):
        __sis_version__ = 2

    assert Bumped.hash(arguments) != unversioned
