"""Every vector of hash_vectors.json (computed by RWTH Sisyphus) is reproduced bit for bit by sislite."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

VECTORS = "/work/shared/sisyphus/hash_vectors.json"
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def _vector_file():
    for candidate in (os.environ.get("SISLITE_HASH_VECTORS"), os.path.join(HERE, "hash_vectors.json"), VECTORS):
        if candidate and os.path.isfile(candidate):
            return candidate
    pytest.skip("hash_vectors.json not found")


CHECK = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, ".")
    import sislite
    sislite.install_as_sisyphus()
    from sislite.hash import sis_hash_helper, short_hash
    from sislite.job import created_jobs
    data = json.load(open(sys.argv[1]))
    ns = {}
    exec(data["setup_code"], ns)
    failures = []
    for v in data["value_vectors"]:
        obj = eval(v["expr"], ns)
        got = sis_hash_helper(obj)
        if got.hex() != v["helper_bytes_hex"] or short_hash(obj) != v["sis_hash"]:
            failures.append(("value", v["name"], got[:300]))
    import importlib
    for v in data["job_vectors"]:
        module, cls_name = v["class"].rsplit(".", 1)
        cls = getattr(importlib.import_module(module), cls_name)
        args, kwargs = eval(v["args_expr"], ns), eval(v["kwargs_expr"], ns)
        job = cls(*args, **kwargs)
        again = cls(*args, **kwargs)
        parsed = dict(job._sis_kwargs)
        names = v["parsed_arg_names"]
        names = names if isinstance(names, list) else eval(names)
        ok = job._sis_id() == v["job_id"] and again is job and sorted(parsed) == sorted(names)
        if not ok:
            failures.append(("job", v["name"], job._sis_id()))
    print(json.dumps({"failures": [list(map(str, f)) for f in failures],
                      "values": len(data["value_vectors"]), "jobs": len(data["job_vectors"])}))
""")


def test_every_vector_is_reproduced(tmp_path):
    data = json.load(open(_vector_file()))
    for module, source in data["support_modules"].items():
        target = tmp_path.joinpath(*module.split(".")).with_suffix(".py")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source)
    for package in ("recipe", "recipe/vec", "mylib"):
        (tmp_path / package / "__init__.py").touch()
    (tmp_path / "check.py").write_text(CHECK)
    env = dict(os.environ, PYTHONPATH=REPO, SIS_GLOBAL_SETTINGS_FILE="")
    result = subprocess.run([sys.executable, "check.py", _vector_file()], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["failures"] == []
    assert report["values"] == 40 and report["jobs"] == 20
