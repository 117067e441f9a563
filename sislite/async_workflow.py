"""Async configs (RWTH names): ``async def py():`` configs that ``await tk.async_run(obj)`` (run the jobs behind
every Path in ``obj``, continue once they are available) and ``await tk.async_gather(*awaitables)``.

sislite drives these coroutines itself, without an event loop or polling waits: a config coroutine runs until it
awaits Paths that are not available; its ``AsyncWorkflow`` target then requires those Paths, and the manager resumes
it in the same pass in which the last of them becomes available. Only sislite's awaitables (``async_run``,
``async_gather``, and coroutines awaiting them) can be awaited in such a config.
"""

import traceback

from sislite.graph import OutputTarget, graph
from sislite.tools import extract_paths


class _WaitForPaths:
    """Awaitable: suspends until every Path in ``paths`` is available."""

    def __init__(self, paths):
        self.paths = set(paths)

    def pending(self):
        return {p for p in self.paths if not p.available()}

    def __await__(self):
        while self.pending():
            yield self


async def async_run(obj):
    """Run the jobs behind every Path in ``obj`` and continue when all of them are available."""
    graph.add_target(OutputTarget("async_run", obj))
    await _WaitForPaths(extract_paths(obj))


class _Gather:
    def __init__(self, awaitables):
        self.awaitables = awaitables

    def __await__(self):
        iterators = [aw.__await__() for aw in self.awaitables]
        results = [None] * len(iterators)
        running = set(range(len(iterators)))
        while running:
            waits = []
            for index in sorted(running):
                try:
                    waits.append(_checked(iterators[index].send(None)))
                except StopIteration as stop:
                    results[index] = stop.value
                    running.discard(index)
            if running:
                yield _WaitForPaths(set().union(*(w.pending() for w in waits)))
        return results


async def async_gather(*awaitables):
    """Await the awaitables concurrently (each continues as soon as its own Paths are available); returns their
    results in order."""
    return await _Gather(awaitables)


class async_context:  # noqa: N801 - RWTH name; sislite needs no context switching
    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False


def _checked(yielded):
    if not isinstance(yielded, _WaitForPaths):
        raise TypeError(f"an async config awaited {yielded!r}: sislite runs async configs without an event loop, "
                        "so they may await only tk.async_run, tk.async_gather and coroutines that await those")
    return yielded


class AsyncWorkflow(OutputTarget):
    """The target of one async config: requires the Paths its coroutine waits for; done when the coroutine ends."""

    def __init__(self, coroutine, name):
        self.name = f"async config {name}"
        self.coroutine = coroutine
        self.waiting = None
        self.done = False
        self.failed = None
        self.required = set()
        self.step()

    def step(self):
        """Run the coroutine until it waits for Paths that are not available, or ends."""
        try:
            self.waiting = _checked(self.coroutine.send(None))
            self.required = set(self.waiting.paths)
        except StopIteration:
            self.done, self.waiting, self.required = True, None, set()
        except Exception as error:  # noqa: BLE001 - reported in the manager's summary
            self.failed = f"{type(error).__name__}: {error}\n{traceback.format_exc()}"
            self.waiting, self.required = None, set()

    def is_done(self):
        return self.done

    def update(self):
        """Resume the coroutine once every Path it waits for is available; True if it moved on."""
        if self.done or self.failed or self.waiting is None or self.waiting.pending():
            return False
        self.step()
        return True


def start_async_config(function, args, name):
    """Start the coroutine ``function(*args)`` of an async config as an :class:`AsyncWorkflow` target."""
    workflow = AsyncWorkflow(function(*args), name)
    graph.add_target(workflow)
    return workflow
