"""Fork server for the local engine: one long-lived ``sis worker --standby`` process with Python and sislite
already loaded forks a fresh worker for each task, so a task starts in milliseconds instead of paying the
interpreter start-up. Each forked worker starts a new session (its own process group, as a spawned one).

Protocol: the engine writes one JSON line ``{"token", "argv", "env"}`` per task to the server's stdin; the server
answers on its stdout with ``pid <token> <pid>``, ``done <token>`` (written by the worker once its finished/error
marker exists) and ``exit <token> <status>`` (negative: killed by that signal). End of stdin ends the server;
running workers go on.
"""

import json
import os
import select
import signal
import subprocess
import sys
import threading
import time


# ---- server side (inside ``sis worker --standby``) ---------------------------------------------------------------
def serve(run_command):
    """Run the fork server on stdin/stdout until stdin ends; returns the exit status. Each forked worker calls
    ``run_command(argv)`` (the ``sis`` command line, given by the caller so this module stays below the CLI); the
    caller imports what the workers need before calling this, so each fork finds it loaded."""
    report_fd = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 1)
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake_write)
    children = {}
    buffer = b""
    while True:
        ready, _, _ = select.select([0, wake_read], [], [])
        if wake_read in ready:
            os.read(wake_read, 4096)
        _reap(children, report_fd)
        if 0 in ready:
            data = os.read(0, 65536)
            if not data:
                return 0
            buffer += data
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                if line.strip():
                    request = json.loads(line)
                    pid = _fork_worker(request, report_fd, devnull, (wake_read, wake_write), run_command)
                    children[pid] = request["token"]
                    _report(report_fd, f"pid {request['token']} {pid}")


def _reap(children, report_fd):
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        token = children.pop(pid, None)
        if token is not None:
            code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
            _report(report_fd, f"exit {token} {code}")


def _report(fd, line):
    os.write(fd, (line + "\n").encode())


def _fork_worker(request, report_fd, devnull, wake_fds, run_command):
    pid = os.fork()
    if pid:
        return pid
    status = 1
    try:
        os.setsid()
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for fd in wake_fds:
            os.close(fd)
        os.dup2(devnull, 0)
        os.dup2(devnull, 1)  # stderr stays the server's until the worker redirects to its log
        os.environ.update(request["env"])
        os.environ["SISLITE_DONE_FD"] = str(report_fd)
        os.environ["SISLITE_DONE_TOKEN"] = request["token"]
        status = run_command(request["argv"])
    except SystemExit as exit_request:
        status = exit_request.code if isinstance(exit_request.code, int) else 1
    except BaseException:  # noqa: B902 - report anything and leave with an error status
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(status or 0)


# ---- engine side -------------------------------------------------------------------------------------------------
class ForkedProcess:
    """A worker forked by the server; ``wait``/``poll``/``pid`` like ``subprocess.Popen``."""

    def __init__(self, token):
        self.token = token
        self.pid = None
        self.returncode = None
        self.args = None
        self._started = threading.Event()
        self._exited = threading.Event()

    def wait(self, timeout=None):
        if not self._exited.wait(timeout):
            raise subprocess.TimeoutExpired(self.args, timeout)
        return self.returncode

    def poll(self):
        return self.returncode

    def wait_started(self, timeout):
        return self._started.wait(timeout)


class ForkServer:
    """Engine side: starts the server (``prefix + ["worker", "--standby"]``) and forwards worker launches."""

    def __init__(self, prefix, on_done):
        self.prefix = tuple(prefix)
        self.on_done = on_done
        self.process = subprocess.Popen(list(prefix) + ["worker", "--standby"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
        self.children = {}
        self.lock = threading.Lock()
        self.counter = 0
        threading.Thread(target=self._read_reports, daemon=True).start()

    def alive(self):
        return self.process.poll() is None

    def launch(self, argv, env):
        """Fork a worker running ``sis <argv>`` with ``env`` added; returns its :class:`ForkedProcess`."""
        with self.lock:
            self.counter += 1
            token = f"{os.getpid()}-{self.counter}"
            child = self.children[token] = ForkedProcess(token)
        child.args = list(argv)
        request = json.dumps({"token": token, "argv": list(argv), "env": env}) + "\n"
        self.process.stdin.write(request.encode())
        self.process.stdin.flush()
        return child

    def _read_reports(self):
        for raw in self.process.stdout:
            parts = raw.decode().split()
            if len(parts) != 3 and parts[:1] != ["done"]:
                continue
            child = self.children.get(parts[1]) if len(parts) > 1 else None
            if child is None:
                continue
            if parts[0] == "pid":
                child.pid = int(parts[2])
                child._started.set()
            elif parts[0] == "done":
                self.on_done()
            elif parts[0] == "exit":
                child.returncode = int(parts[2])
                with self.lock:
                    self.children.pop(child.token, None)
                child._exited.set()
        # The server is gone: workers it forked still run in their own sessions; follow them by pid.
        with self.lock:
            orphans = list(self.children.values())
            self.children.clear()
        for child in orphans:
            threading.Thread(target=_follow_orphan, args=(child,), daemon=True).start()

    def close(self):
        try:
            self.process.stdin.close()
        except OSError:
            pass


def _follow_orphan(child):
    if not child.wait_started(5):
        child.returncode = -1
        child._exited.set()
        return
    while os.path.exists(f"/proc/{child.pid}"):
        try:
            with open(f"/proc/{child.pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                    break
        except OSError:
            break
        time.sleep(0.2)
    child.returncode = -1
    child._exited.set()
