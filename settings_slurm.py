# Sisyphus settings for a Slurm cluster: mini tasks run locally, everything else is submitted with sbatch.
#
#   SIS_GLOBAL_SETTINGS_FILE=settings_slurm.py sis manager -r config/transfer.py
#   SIS_GLOBAL_SETTINGS_FILE=settings.py:settings_slurm.py ...   (the default settings, with this engine on top)
#
# RWTH style: this file is executed in the namespace of the global settings module, so it works with RWTH Sisyphus
# (module names and constructors are the same) and with the bundled sislite. A test cluster on this machine:
# `scripts/slurm_cluster.sh start` (root, Debian).

import importlib as _importlib

# The package running this file: "sisyphus" (RWTH Sisyphus) or "sislite" (bundled); both have the same engine modules.
_SIS_PACKAGE = __name__.rpartition(".")[0] or "sislite"

# Packages importable by configs: RWTH Sisyphus' defaults plus setups/ (networks and profiles), which RWTH Sisyphus
# does not find otherwise (it does not put the setup directory on sys.path). Recipes never import setups/.
IMPORT_PATHS = ["config", "recipe", "recipe/", "setups"]

# Requirements of a task that does not give them (cpu cores, mem in GB, time in hours).
SLURM_DEFAULT_RQMT = {"cpu": 1, "mem": 2, "time": 1}
# Extra sbatch options for every submission, e.g. ["-p", "gpu", "--account=myproject"].
SLURM_SBATCH_ARGS = []
# Upper limits for requirements, also for the automatic doubling of mem / time after an out-of-memory or time-limit
# kill (update_engine_rqmt): a request is clamped to these before it is submitted.
ENGINE_RQMT_LIMITS = {"cpu": 32, "gpu": 8, "mem": 256, "time": 168}
# More submissions than this for one task id without progress give retry_error (delete submit_log.<task> to go on).
MAX_SUBMIT_RETRIES = 3


def engine():
    """Mini tasks (``Task(..., mini_task=True)``) run on this machine, all others on Slurm."""
    base = _importlib.import_module(_SIS_PACKAGE + ".engine")
    local = _importlib.import_module(_SIS_PACKAGE + ".localengine")
    slurm = _importlib.import_module(_SIS_PACKAGE + ".simple_linux_utility_for_resource_management_engine")
    return base.EngineSelector(
        engines={
            "short": local.LocalEngine(cpus=1),
            "long": slurm.SimpleLinuxUtilityForResourceManagementEngine(default_rqmt=dict(SLURM_DEFAULT_RQMT)),
        },
        default_engine="long",
    )


def check_engine_limits(rqmt, task):
    """Clamp cpu/gpu/mem/time to ENGINE_RQMT_LIMITS and add SLURM_SBATCH_ARGS."""
    rqmt = dict(rqmt)
    for key, limit in ENGINE_RQMT_LIMITS.items():
        if key in rqmt and rqmt[key] is not None and rqmt[key] > limit:
            rqmt[key] = limit
    if SLURM_SBATCH_ARGS and rqmt.get("engine", "long") != "short" and "sbatch_args" not in rqmt:
        rqmt["sbatch_args"] = list(SLURM_SBATCH_ARGS)
    return rqmt
