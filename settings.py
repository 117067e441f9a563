# Sisyphus settings for this setup (RWTH style: executed in the namespace of the global settings module, so the same
# file works with the bundled sislite and with RWTH Sisyphus). Cluster users: see settings_slurm.py.
import os as _os

# Packages importable by configs: RWTH Sisyphus' defaults plus setups/ (networks and profiles), which RWTH Sisyphus
# does not find otherwise (it does not put the setup directory on sys.path). Recipes never import setups/.
IMPORT_PATHS = ["config", "recipe", "recipe/", "setups"]

# Finished markers count at once and inputs need no minimum age: jobs run on this machine's file system.
WAIT_PERIOD_JOB_FS_SYNC = 0
WAIT_PERIOD_JOB_CLEANUP = 0
WAIT_PERIOD_BETWEEN_CHECKS = 1
WAIT_PERIOD_CACHE = 1
WAIT_PERIOD_MTIME_OF_INPUTS = 0
SKIP_IS_FINISHED_TIMEOUT = True
JOB_AUTO_CLEANUP = False
# Workers keep the environment they were started with (the virtualenv, DISABLE_CUDA, thread limits, ...).
CLEANUP_ENVIRONMENT = False
PLOGGING_INTERVAL = 2
PLOGGING_UPDATE_FILE_PERIOD = 10


def _machine_memory_gb():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 1024 ** 2
    except OSError:
        pass
    return 4.0


def _gpu_count():
    if _os.environ.get("DISABLE_CUDA") == "1":
        return 0
    try:
        return len([d for d in _os.listdir("/dev") if d.startswith("nvidia") and d[len("nvidia"):].isdigit()])
    except OSError:
        return 0


def engine():
    """All tasks run on this machine, as many at once as its cores, GPUs and memory allow."""
    from sisyphus.localengine import LocalEngine

    return LocalEngine(cpus=_os.cpu_count() or 1, gpus=_gpu_count(), mem=round(_machine_memory_gb(), 1))
