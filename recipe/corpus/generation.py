"""Render utterance specs in parallel worker processes, in order.

espeak-ng's output depends on what the same process synthesized before (its wave generator keeps state across
calls, even across espeak_Terminate/espeak_Initialize). So utterances are rendered in fixed chunks of
:data:`CHUNK_SIZE`, each in a fresh forked process that unloads any inherited copy of the library first: the corpus
is byte-identical whatever the number of workers.
"""

CHUNK_SIZE = 50
"""Utterances rendered in one fresh process; part of the output definition (changing it changes the audio)."""


def _render_chunk(job):
    from recipe.corpus.espeak import reset_synthesizer
    from recipe.corpus.utterance import render_utterance

    reset_synthesizer()
    specs, unit = job
    return [(spec, render_utterance(spec, unit)) for spec in specs]


def render_in_order(specs, unit, workers):
    """Yield ``(spec, rendered)`` for every spec, in the order of ``specs``, using ``workers`` processes."""
    import multiprocessing

    chunks = [(specs[i:i + CHUNK_SIZE], unit) for i in range(0, len(specs), CHUNK_SIZE)]
    import recipe.corpus.utterance  # noqa: F401  (imported once here, not in every child)

    context = multiprocessing.get_context("fork")
    with context.Pool(processes=max(1, int(workers)), maxtasksperchild=1) as pool:
        for rendered_chunk in pool.imap(_render_chunk, chunks):
            yield from rendered_chunk
