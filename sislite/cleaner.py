"""``tk.cleaner`` (RWTH names): find and remove job directories of ``work/`` that the current graph does not use
(``cleanup_unused``) or whose keep value is too low (``cleanup_keep_value``). Every removal lists the directories and
asks first; ``mode="dryrun"`` only lists, ``mode="move"`` renames to ``<dir>.cleanup``."""

import logging
import os
import shutil

DIR_IN_GRAPH = 1
"""A directory above job directories of the graph (e.g. ``work/recipe``)."""
JOB_IN_GRAPH = 2


def list_all_graph_directories():
    """``{directory: DIR_IN_GRAPH or JOB_IN_GRAPH}`` for every job directory of the graph and the directories
    above it inside ``gs.WORK_DIR``."""
    from sislite import global_settings as gs
    from sislite.graph import graph

    directories = {}
    for job in graph.jobs():
        path = job._sis_path()
        directories[path] = JOB_IN_GRAPH
        parent = os.path.dirname(path)
        while parent and parent != gs.WORK_DIR and parent not in directories:
            directories[parent] = DIR_IN_GRAPH
            parent = os.path.dirname(parent)
    return directories


def extract_keep_values_from_graph():
    """``{job directory: keep value}`` of every job of the graph."""
    from sislite.graph import graph

    return {job._sis_path(): job.keep_value() for job in graph.jobs()}


def find_too_low_keep_value(job_dirs, min_keep_value, filter_removed_jobs=None):
    """Job directories (existing) with a keep value below ``min_keep_value``."""
    return {path for path, value in job_dirs.items() if value < min_keep_value and os.path.isdir(path)
            and (filter_removed_jobs is None or any(f in path for f in filter_removed_jobs))}


def search_for_unused(job_dirs, current=None, verbose=True, filter_unused=None):
    """Directories below ``current`` (default ``gs.WORK_DIR``) that are not in ``job_dirs``."""
    from sislite import global_settings as gs

    current = gs.WORK_DIR if current is None else current
    unused = set()
    for name in os.listdir(current):
        path = os.path.join(current, name)
        status = job_dirs.get(path)
        if status is None and not name.startswith(".") and (
                filter_unused is None or any(f in path for f in filter_unused)):
            unused.add(path)
        elif status == DIR_IN_GRAPH:
            unused |= search_for_unused(job_dirs, path, verbose, filter_unused)
    if verbose:
        logging.info("%d unused directories in %s", len(unused), current)
    return unused


def remove_directories(dirs, message, move_postfix=".cleanup", mode="remove", force=False, filter_printed=None):
    """List ``dirs`` under ``message`` and remove (or move, with ``mode="move"``) them after asking (``force``:
    without asking); ``mode="dryrun"`` only lists."""
    if mode not in ("remove", "move", "dryrun"):
        raise ValueError(f"remove_directories(mode={mode!r}): use remove, move or dryrun")
    dirs = sorted(str(d) for d in dirs)
    print(message)
    for path in dirs:
        if filter_printed is None or any(f in path for f in filter_printed):
            print(" ", path)
    if mode == "dryrun" or not dirs:
        return dirs
    if not force and input(f"{len(dirs)} directories: {mode} them? (y/N): ").strip() != "y":
        print("Abort")
        return []
    for path in dirs:
        if mode == "move":
            os.rename(path, path + move_postfix)
        elif os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)
    return dirs


def cleanup_unused(load_from="", job_dirs=None, mode="remove", filter_unused=None, filter_printed=None):
    """Remove every directory of ``work/`` that the current graph does not use."""
    if not job_dirs:
        job_dirs = _load(load_from) if load_from else list_all_graph_directories()
    return remove_directories(search_for_unused(job_dirs, filter_unused=filter_unused), "Not used in graph",
                              mode=mode, filter_printed=filter_printed)


def cleanup_keep_value(min_keep_value, load_from="", mode="remove", filter_removed_jobs=None, filter_printed=None):
    """Remove the job directories of the graph whose keep value is below ``min_keep_value``."""
    if min_keep_value <= 0:
        raise ValueError("cleanup_keep_value: min_keep_value must be larger than 0")
    job_dirs = _load(load_from) if load_from else extract_keep_values_from_graph()
    return remove_directories(find_too_low_keep_value(job_dirs, min_keep_value, filter_removed_jobs),
                              "Remove jobs with lower keep value than min", mode=mode, filter_printed=filter_printed)


def save_used_paths(outfile, job_dirs=None):
    """Write ``job_dirs`` (default: the graph's directories) to ``outfile``, one ``path value`` per line."""
    job_dirs = list_all_graph_directories() if job_dirs is None else job_dirs
    with open(outfile, "w") as f:
        for path, value in sorted(job_dirs.items()):
            f.write(f"{path} {value}\n")


def _load(infile):
    with open(infile) as f:
        return {path: int(value) for path, value in (line.rsplit(" ", 1) for line in f if line.strip())}


load_used_paths = _load
