"""Module constants that define a job's outputs, and the version that stands for them in the job's hash.

Job ids hash a job's arguments, not the code that runs it. Some module constants decide the output as much as an
argument does (e.g. ``recipe.corpus.generation.CHUNK_SIZE`` shapes the audio). A job class names them in
``OUTPUT_CONSTANTS`` (``"module:NAME"`` strings); when one of them changes, the class's ``__sis_version__`` (the
Sisyphus convention: ``None`` is the first version, hashed as nothing; then 2, 3, ...) must be raised, which gives
every job of the class a new id. ``tests/recipe/test_output_constants.py`` records a fingerprint of the constants
next to each class's version and fails when one changes without the other.
"""

import hashlib
import importlib


def constant_values(job_class):
    """``{"module:NAME": value}`` of the constants ``job_class.OUTPUT_CONSTANTS`` names."""
    values = {}
    for reference in getattr(job_class, "OUTPUT_CONSTANTS", ()):
        module_name, _, name = reference.partition(":")
        module = importlib.import_module(module_name)
        if not hasattr(module, name):
            raise AttributeError(f"{job_class.__qualname__}.OUTPUT_CONSTANTS names {reference!r}, but {module_name} "
                                 f"has no {name}; update OUTPUT_CONSTANTS in {job_class.__module__}")
        values[reference] = getattr(module, name)
    return values


def fingerprint(job_class):
    """A short digest of the values of ``job_class``'s output constants (sorted sets, so it is stable)."""
    text = "\n".join(f"{reference}={_stable_repr(value)}" for reference, value in
                     sorted(constant_values(job_class).items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _stable_repr(value):
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(sorted(_stable_repr(item) for item in value)) + "}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_stable_repr(k)}: {_stable_repr(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return type(value).__name__ + "(" + ", ".join(_stable_repr(item) for item in value) + ")"
    return repr(value)
