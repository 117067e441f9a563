"""Blocks (RWTH names): named groups of the graph for display (``with tk.block("name"):``, ``@tk.block()``,
``tk.sub_block``, ``tk.set_root_block``). sislite keeps the block tree (``all_root_blocks``) but shows no block view;
blocks never change job ids."""

import functools

active_blocks = set()
all_root_blocks = []


class Block:
    """A named group; ``children`` are sub-blocks (and jobs added with ``add_job``)."""

    def __init__(self, name, parents=None):
        self.name = name
        self.children = []
        self.parents = set() if parents is None else parents

    def sub_block(self, name):
        child = Block(name, {self})
        self.children.append(child)
        return child

    def add_job(self, job):
        self.children.append(job)

    def add_block(self, block):
        self.children.append(block)

    def __enter__(self):
        """``with some_block:`` makes this block the active one again."""
        global active_blocks
        self._previous = getattr(self, "_previous", []) + [active_blocks]
        active_blocks = {self}
        return self

    def __exit__(self, *exc_info):
        global active_blocks
        active_blocks = self._previous.pop()

    def __repr__(self):
        return f"<Block {self.name}>"


def _attach(new_block):
    for parent in active_blocks:
        if parent not in new_block.parents:
            parent.add_block(new_block)
            new_block.parents.add(parent)


def set_root_block(name):
    """Make the root block ``name`` (created once) the active one."""
    global active_blocks
    for root in all_root_blocks:
        if root.name == name:
            active_blocks = {root}
            return root
    root = Block(name)
    all_root_blocks.append(root)
    active_blocks = {root}
    return root


def sub_block(name):
    """A new block below the active ones."""
    new_block = Block(name)
    _attach(new_block)
    return new_block


class block:  # noqa: N801 - RWTH name
    """``with block("name"):`` groups what is created inside; ``@block()`` / ``@block("name", cache=True)`` does so
    for each call of a function (``cache=True``: one result per argument hash)."""

    def __init__(self, name=None, cache=False):
        self.name = name
        self.cache = cache
        self._previous = []

    def __enter__(self):
        global active_blocks
        if self.name is None:
            raise ValueError("with block(name): the block needs a name")
        new_block = Block(self.name)
        _attach(new_block)
        self._previous.append(active_blocks)
        active_blocks = {new_block}
        return new_block

    def __exit__(self, *exc_info):
        global active_blocks
        active_blocks = self._previous.pop()

    def __call__(self, function):
        name = self.name or function.__name__
        results = {}

        @functools.wraps(function)
        def wrapped(*args, **kwargs):
            key = None
            if self.cache:
                from sislite.tools import sis_hash

                key = sis_hash((args, kwargs))
                if key in results:
                    return results[key]
            with block(name):
                result = function(*args, **kwargs)
            if self.cache:
                results[key] = result
            return result

        return wrapped
