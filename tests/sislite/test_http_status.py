"""``sis manager --http``: the status page of a running graph, driven in a real headless Chromium (Debian's package,
installed by scripts/chromium.sh: the tests install it when they run as root and skip with the reason otherwise;
with ``SISLITE_REQUIRE_CHROMIUM=1``, as in CI, they fail instead), and requests outside the job directories refused.

The graph: ``first`` (finishes at once) -> ``gate`` (runs until the test creates its release file) -> ``last``
(waits), so one page shows finished, running and waiting jobs together.
"""

import os
import pathlib
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from sislite.http_server import parse_address

CHROMIUM_SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "scripts" / "chromium.sh"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars"]

GATE_JOBS = '''
import os
import time

from sisyphus import Job, Task


class Note(Job):
    def __init__(self, text, filename="note.txt"):
        self.text = text
        self.out = self.output_path(filename)

    def tasks(self):
        yield Task("run", mini_task=True)

    def run(self):
        text = open(self.text.get_path()).read() if hasattr(self.text, "get_path") else self.text
        with open(self.out.get_path(), "w") as f:
            f.write(text)


class Gate(Job):
    """Runs until ``release`` exists; its log shows that it waits."""

    def __init__(self, note, release):
        self.note = note
        self.release = release
        self.out = self.output_path("passed.txt")

    def tasks(self):
        yield Task("run")

    def run(self):
        print("gate: waiting for the release file", flush=True)
        while not os.path.exists(self.release):
            time.sleep(0.2)
        with open(self.out.get_path(), "w") as f:
            f.write(open(self.note.get_path()).read())

    def info(self):
        return "waiting for the release file"

    def learning_curve(self):
        return {"dev_score": {1: 2.0, 2: 1.5, 3: 1.2}, "train_score": {1: 2.5, 2: 1.4, 3: 1.0}}
'''

GATE_CONFIG = '''
from sisyphus import tk

from testjobs.jobs import Gate, Note


def py():
    note = Note("hello")
    note.add_alias("first")
    gate = Gate(note.out, {release!r})
    gate.add_alias("gate")
    last = Note(gate.out)
    last.add_alias("last")
    tk.register_output("passed.txt", gate.out)
    tk.register_output("last.txt", last.out)
    tk.register_output("report/results.md", Note("| model | WER |", filename="results.md").out)
'''


def _unavailable(reason):
    if os.environ.get("SISLITE_REQUIRE_CHROMIUM") == "1":
        pytest.fail(f"SISLITE_REQUIRE_CHROMIUM=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium():
    """The path of a headless-capable Chromium: scripts/chromium.sh install as root (idempotent), else one that is
    already installed."""
    if os.geteuid() != 0:
        found = subprocess.run([str(CHROMIUM_SCRIPT), "path"], capture_output=True, text=True)
        if found.returncode == 0:
            return found.stdout.strip()
        _unavailable("Chromium is not installed and installing it needs root: sudo scripts/chromium.sh install")
    if not shutil.which("apt-get") and not shutil.which("chromium"):
        _unavailable("Chromium is not installed and apt-get is missing (not Debian)")
    try:
        installed = subprocess.run([str(CHROMIUM_SCRIPT), "install"], capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired:
        _unavailable("scripts/chromium.sh install took longer than 900 s")
    if installed.returncode != 0:
        _unavailable(f"scripts/chromium.sh install failed: {installed.stderr.strip()[-600:]}")
    return installed.stdout.strip().splitlines()[-1]


def _browser(chromium, tmp_path, *args, url):
    profile = tmp_path / f"chromium-profile-{time.monotonic_ns()}"
    profile.mkdir()
    result = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, url],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def _get(url):
    """(status, body) of a GET, without following anything or normalising the path."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", errors="replace")


def _raw_get(host, port, path):
    """Status of a GET whose path is sent exactly as given (urllib would not keep '..' segments either way)."""
    import http.client

    connection = http.client.HTTPConnection(host, port, timeout=30)
    connection.request("GET", path)
    status = connection.getresponse().status
    connection.close()
    return status


def _wait_for(predicate, timeout, what, process):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if process.poll() is not None:
            raise AssertionError(f"the manager ended while waiting for {what}: {process.stdout.read()}")
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _status_page_url(process):
    """The address the manager prints (``sis manager: status page on http://...``)."""
    def url():
        match = re.search(r"status page on (http://\S+)", process.stdout.readline())
        return match.group(1) if match else None

    return _wait_for(url, 300, "the status page's address", process)


def _kill_tree(process):
    import psutil

    try:
        tree = [psutil.Process(process.pid)] + psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        tree = []
    for member in tree:
        try:
            member.kill()
        except psutil.NoSuchProcess:
            pass
    process.wait(timeout=60)


def _job_rows(dom):
    """{alias or name: state} of the job table in a dumped DOM (its first plain cell is the alias / name)."""
    rows = re.findall(r'<tr class="job" data-state="([a-z_]+)">(.*?)</tr>', dom, re.S)
    return {re.findall(r"<td>([^<]*)</td>", cells)[0]: state for state, cells in rows}


@pytest.fixture
def running_graph(sis_setup, tmp_path):
    """The manager with --http on a free port, while ``gate`` runs; yields (base url, setup, process, release)."""
    release = tmp_path / "release"
    sis_setup.write("testjobs/jobs.py", GATE_JOBS)
    config = sis_setup.write_config(GATE_CONFIG.format(release=str(release)))
    process = sis_setup.start_manager(config, extra_args=("--http", "127.0.0.1:0"))
    try:
        base = _status_page_url(process)

        def gate_running():
            status, body = _get(base + "status.json")
            logs = [d / "log.run.1" for d in sis_setup.job_dirs("Gate.*")]
            return status == 200 and '"state": "running"' in body and logs and logs[0].exists() and \
                "gate: waiting" in logs[0].read_text()

        _wait_for(gate_running, 180, "the gate job to run", process)
        yield base, sis_setup, process, release
    finally:
        release.touch()
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_page_in_chromium_shows_jobs_by_state_and_the_log_tail(running_graph, chromium, tmp_path):
    base, sis_setup, process, release = running_graph
    dom = _browser(chromium, tmp_path, "--dump-dom", url=base)
    by_alias = _job_rows(dom)
    assert by_alias.get("first") == "finished" and by_alias.get("gate") == "running", by_alias
    assert by_alias.get("last") == "waiting", by_alias
    assert "waiting for the release file" in dom  # the running job's info()
    assert "<svg" in dom and "id=\"graph\"" in dom  # the dependency graph
    assert "passed.txt" in dom and "last.txt" in dom  # the registered outputs
    assert re.search(r'<pre id="report">\| model \| WER \|</pre>', dom)  # the report, once it exists

    gate_id = re.search(r"href=\"/job/([^\"]*Gate[^\"]*)\"", dom).group(1)
    job_dom = _browser(chromium, tmp_path, "--dump-dom", url=f"{base}job/{gate_id}")
    assert "gate: waiting for the release file" in job_dom  # the log tail
    assert "class=\"curve\"" in job_dom and "dev_score" in job_dom  # the learning curve hook
    assert "PARAMETER:" in job_dom or "ALIAS: gate" in job_dom  # the job's info file

    screenshot = tmp_path / "status.png"
    _browser(chromium, tmp_path, f"--screenshot={screenshot}", "--window-size=1280,900", url=base)
    data = screenshot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000  # a rendered page, not a blank one
    job_screenshot = tmp_path / "job.png"
    _browser(chromium, tmp_path, f"--screenshot={job_screenshot}", "--window-size=1280,1400",
             url=f"{base}job/{gate_id}")
    assert job_screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("SISLITE_SCREENSHOT_DIR"):  # keep them to look at
        for shot in (screenshot, job_screenshot):
            shutil.copy(shot, os.path.join(os.environ["SISLITE_SCREENSHOT_DIR"], shot.name))

    release.touch()
    assert process.wait(timeout=180) == 0
    assert (sis_setup.root / "output" / "last.txt").read_text() == "hello"


def test_requests_outside_the_job_directories_are_refused(running_graph):
    base, sis_setup, process, release = running_graph
    host, port = parse_address(base.split("//", 1)[1].rstrip("/"))
    status, body = _get(base + "status.json")
    gate_id = next(job_id for job_id in re.findall(r"\"([^\"]+Gate\.[^\"]+)\"", body))
    gate_dir = sis_setup.root / "work" / gate_id
    assert _raw_get(host, port, f"/file/{gate_id}/log.run.1") == 200
    secret = sis_setup.root / "settings.py"
    (gate_dir / "output" / "outside").symlink_to(secret)  # a link inside the job directory pointing outside
    for path in (f"/file/{gate_id}/../../../settings.py", f"/file/{gate_id}/%2e%2e/%2e%2e/%2e%2e/settings.py",
                 f"/file/{gate_id}/output/outside", f"/file/{gate_id}//etc/passwd", f"/file/{gate_id}/%2fetc%2fpasswd",
                 "/file/../settings.py", "/file/%2e%2e/settings.py", "/../settings.py", "/etc/passwd",
                 f"/file/{gate_id}/input/../../../../settings.py", "/file/work/settings.py"):
        assert _raw_get(host, port, path) in (403, 404), path
    assert _raw_get(host, port, f"/file/{gate_id}/no-such-file") == 404
    assert _raw_get(host, port, f"/file/{gate_id}/output") == 404  # directories are not listed
    assert _raw_get(host, port, "/job/recipe.NoSuchJob.abc") == 404
    import http.client

    connection = http.client.HTTPConnection(host, port, timeout=30)
    connection.request("POST", "/", body=b"x")
    assert connection.getresponse().status == 501  # read-only: only GET and HEAD
    connection.close()


def test_transfer_config_is_served(sis_setup, chromium, tmp_path):
    """``sis manager -r --http 127.0.0.1:0 config/transfer.py``: the page of the real experiment graph, looked at
    while its first job (the corpus) runs; the manager and its workers are killed afterwards."""
    repo = pathlib.Path(__file__).resolve().parents[2]
    shutil.rmtree(sis_setup.root / "config")
    (sis_setup.root / "config").symlink_to(repo / "config")  # transfer.py imports its sibling modules
    process = sis_setup.start_manager("config/transfer.py", extra_args=("--http", "127.0.0.1:0"))
    try:
        base = _status_page_url(process)
        _wait_for(lambda: '"state": "running"' in _get(base + "status.json")[1], 300, "a running job", process)
        dom = _browser(chromium, tmp_path, "--dump-dom", url=base)
        states = _job_rows(dom)
        assert len(states) >= 20 and "running" in states.values() and "waiting" in states.values(), states
        assert "corpus/synthetic_digits" in states and "train/baseline_cnn_dnn/seed_1" in states, states
        assert "report/results.md" in dom and "id=\"graph\"" in dom
        screenshot = tmp_path / "transfer.png"
        _browser(chromium, tmp_path, f"--screenshot={screenshot}", "--window-size=1400,1000", url=base)
        assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        if os.environ.get("SISLITE_SCREENSHOT_DIR"):
            shutil.copy(screenshot, os.path.join(os.environ["SISLITE_SCREENSHOT_DIR"], screenshot.name))
    finally:
        _kill_tree(process)


def test_address_parsing():
    assert parse_address("8080") == ("127.0.0.1", 8080)
    assert parse_address("0.0.0.0:80") == ("0.0.0.0", 80)
    assert parse_address("[::1]:0") == ("::1", 0)
    with pytest.raises(ValueError, match="--http 'abc'"):
        parse_address("abc")
