"""One manager per setup directory: an exclusive ``flock`` on ``work/.sislite_manager.lock`` (RWTH Sisyphus has no
such lock; two RWTH managers on one setup submit every job twice)."""

import fcntl
import os
import time

from sislite import global_constants as gc


class ManagerLockedError(RuntimeError):
    """Another manager holds the lock of this setup directory."""


class ManagerLock:
    """An exclusive lock on ``<work_dir>/.sislite_manager.lock``; the file names the holder's pid."""

    def __init__(self, work_dir):
        os.makedirs(work_dir, exist_ok=True)
        self.path = os.path.join(work_dir, gc.MANAGER_LOCK)
        self.file = None

    def acquire(self):
        self.file = open(self.path, "a+")
        try:
            fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.file.seek(0)
            holder = self.file.read().strip() or "unknown pid"
            self.file.close()
            raise ManagerLockedError(
                f"another sis manager is already running on this setup directory ({gc.BASE_DIR}): {holder}. "
                f"Wait for it to end or stop it (kill <pid>); starting a second one would submit every job twice.")
        self.file.seek(0)
        self.file.truncate()
        self.file.write(f"pid {os.getpid()}, started {time.ctime()}\n")
        self.file.flush()

    def release(self):
        if self.file:
            fcntl.flock(self.file, fcntl.LOCK_UN)
            self.file.close()
            self.file = None
