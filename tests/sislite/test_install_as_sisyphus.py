"""install_as_sisyphus(): `sisyphus` and its submodules are sislite's modules (same objects), in a fresh process."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

CHECK = """
import sys
import sislite
sislite.install_as_sisyphus()
import sisyphus
from sisyphus import Job, tk
import sisyphus.localengine, sisyphus.engine, sisyphus.global_settings
import sislite.localengine
assert sisyphus is sislite and Job is sislite.Job and tk is sislite.tk
assert sisyphus.localengine is sislite.localengine
assert sislite.localengine.__spec__.name == "sislite.localengine"
from sisyphus.simple_linux_utility_for_resource_management_engine import SimpleLinuxUtilityForResourceManagementEngine
print("ok")
"""


def test_sisyphus_modules_are_sislite_modules(tmp_path):
    result = subprocess.run([sys.executable, "-c", CHECK], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                            env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert result.stdout.strip() == "ok", result.stderr
