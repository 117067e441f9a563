"""Content digests of external input files, for jobs that opt in to hashing inputs by content instead of by path.

Sisyphus hashes a ``tk.Path`` by its path: regenerating a file at the same path keeps every job id, and finished jobs
are silently reused with the old contents. A job that takes ``content_hash=True`` puts :func:`file_digests` of its
external files into its hash instead (a changed file gives new job ids, so nothing stale is reused) and checks them
again before it runs (:func:`check_unchanged`). Files made by other jobs are left out: their creator's id covers
them. Digests are cached per process by (path, size, mtime), so a graph is read once per manager start.
"""

import hashlib
import os

from recipe.file_path import path_string

_CACHE = {}


def file_digest(path):
    """``sha256:<hex>`` of the file at ``path``; fails naming the file when it does not exist."""
    path = path_string(path)
    try:
        stat = os.stat(path)
    except OSError as error:
        raise FileNotFoundError(f"content_hash=True needs {path} to exist when the graph is built ({error}); create "
                                f"it first, or leave content_hash off to hash it by path") from None
    key = (os.path.abspath(path), stat.st_size, stat.st_mtime_ns)
    if key not in _CACHE:
        digest = hashlib.sha256()
        with open(path, "rb") as file:
            for block in iter(lambda: file.read(1 << 22), b""):
                digest.update(block)
        _CACHE[key] = "sha256:" + digest.hexdigest()
    return _CACHE[key]


def file_digests(paths):
    """``{key: digest}`` of the external files in ``paths`` ({key: Path or str}); job outputs are left out."""
    return {key: file_digest(path) for key, path in sorted(paths.items())
            if getattr(path, "creator", None) is None}


def check_unchanged(job, paths, digests):
    """Fail when a file in ``paths`` no longer has the digest the job's id was made with."""
    changed = sorted(key for key, digest in file_digests(paths).items() if digests.get(key) != digest)
    if changed:
        raise RuntimeError(f"{job}: input file(s) {', '.join(path_string(paths[key]) for key in changed)} changed "
                           f"after the graph was built; run the manager again so the job gets the id of the new "
                           f"contents (the old results are kept under the old id)")
