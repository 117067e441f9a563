"""The status page of ``sis manager --http [HOST:]PORT``: a read-only web view of the running graph, served from a
thread of the manager with the standard library only (no CDN, no JavaScript: the pages reload themselves).

Pages:
  ``/``                      the jobs by state, the registered outputs (and the text of the first ``report*``
                             output ending in ``.md`` once it exists) and the dependency graph (an SVG, each box
                             a link to its job)
  ``/job/<job id>``          one job: state, ``info()``, its parameters (the ``info`` file), resource use
                             (``usage.<task>.<id>``), learning curve (the job's ``learning_curve()`` hook, below,
                             and its image outputs) and the tail of every task log
  ``/file/<job id>/<path>``  a file inside a job directory of the graph (logs, outputs); anything whose real path is
                             outside those directories is refused with 403, unknown jobs and missing files with 404
  ``/status.json``           the state of every job, for scripts

It binds to 127.0.0.1 unless a host is given and only answers GET and HEAD.

A job may define ``learning_curve()`` (a sislite extension RWTH Sisyphus ignores): ``{series name: {epoch: value}}``
or None; its series are drawn on the job's page.
"""

import html
import json
import mimetypes
import os
import socket
import threading
import time
import urllib.parse
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sislite import global_constants as gc

REFRESH_SECONDS = 10
LOG_TAIL_LINES = 60
LOG_TAIL_BYTES = 64 * 1024
STATE_ORDER = (gc.STATE_RUNNING, gc.STATE_ERROR_JOB, gc.STATE_RETRY_ERROR, gc.STATE_QUEUE_ERROR,
               gc.STATE_INTERRUPTED_NOT_RESUMABLE, gc.STATE_INTERRUPTED_RESUMABLE, gc.STATE_QUEUE,
               gc.STATE_RUNNABLE, gc.STATE_UNKNOWN, gc.STATE_HOLD, gc.STATE_WAITING, gc.STATE_FINISHED_JOB)
STATE_COLORS = {gc.STATE_RUNNING: "#b7e36b", gc.STATE_FINISHED_JOB: "#7cc47c", gc.STATE_ERROR_JOB: "#f07070",
                gc.STATE_RETRY_ERROR: "#f07070", gc.STATE_QUEUE_ERROR: "#f07070",
                gc.STATE_INTERRUPTED_NOT_RESUMABLE: "#f07070", gc.STATE_INTERRUPTED_RESUMABLE: "#f5b461",
                gc.STATE_QUEUE: "#8db8e0", gc.STATE_RUNNABLE: "#8db8e0", gc.STATE_WAITING: "#eee08a",
                gc.STATE_HOLD: "#cccccc", gc.STATE_UNKNOWN: "#cccccc"}
CSS = """
body { font-family: DejaVu Sans, sans-serif; margin: 1em 2em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.4em; } h3 { font-size: 1em; }
table { border-collapse: collapse; } td, th { padding: 3px 8px; border-bottom: 1px solid #ddd; text-align: left;
  vertical-align: top; font-size: 0.9em; }
.state { padding: 1px 6px; border-radius: 3px; white-space: nowrap; }
pre { background: #f6f6f6; padding: 6px; overflow-x: auto; font-size: 0.8em; max-height: 40em; }
.muted { color: #777; } .graph { overflow: auto; border: 1px solid #ddd; }
a { color: #1a4f8b; text-decoration: none; } a:hover { text-decoration: underline; }
"""
SERVED_AS_IS = ("image/", "application/pdf", "text/html", "application/json", "application/gzip")
"""File types served with their own content type (the report's HTML, plots); any other file as plain text."""
CONTENT_SECURITY_POLICY = "default-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'none'"


class StatusPage:
    """Builds the pages from the manager's ``jobs`` ({id: job}), ``states`` ({id: (state, task, ids)}) and
    ``targets`` (registered outputs); reads them, never changes them."""

    def __init__(self, manager, base_dir):
        self.manager = manager
        self.base_dir = base_dir

    # ---- the manager's view ---------------------------------------------------------------------------------------
    def snapshot(self):
        jobs = dict(self.manager.jobs)
        states = dict(self.manager.states)
        return jobs, {job_id: states.get(job_id, (gc.STATE_UNKNOWN, None, None)) for job_id in jobs}

    def job_dir(self, job):
        return os.path.realpath(os.path.join(self.base_dir, job._sis_path()))

    def resolve_file(self, rest):
        """The real path of ``<job id>/<relative path>`` (job ids contain slashes: the known id that ``rest`` starts
        with) inside that job's directory, or an HTTP status why not."""
        jobs, _ = self.snapshot()
        job_id = max((i for i in jobs if rest.startswith(i + "/")), key=len, default=None)
        if job_id is None:
            return HTTPStatus.NOT_FOUND
        job, relative = jobs[job_id], rest[len(job_id) + 1:]
        if not relative:
            return HTTPStatus.NOT_FOUND
        if "\x00" in relative or os.path.isabs(relative):
            return HTTPStatus.FORBIDDEN
        path = os.path.realpath(os.path.join(self.job_dir(job), relative))
        roots = {self.job_dir(other) for other in jobs.values()}
        if not any(path.startswith(root + os.sep) for root in roots):
            return HTTPStatus.FORBIDDEN
        if not os.path.isfile(path):
            return HTTPStatus.NOT_FOUND
        return path

    # ---- pages ----------------------------------------------------------------------------------------------------
    def index(self):
        jobs, states = self.snapshot()
        counts = {}
        for state, _, _ in states.values():
            counts[state] = counts.get(state, 0) + 1
        summary = " ".join(f"{_badge(state)} {counts[state]}" for state in _ordered(counts))
        body = [f"<h1>sis manager: {html.escape(self.base_dir)}</h1>",
                f"<p>{summary or 'no jobs yet'} <span class='muted'>&middot; {len(jobs)} jobs &middot; "
                f"{time.strftime('%Y-%m-%d %H:%M:%S')} &middot; reloads every {REFRESH_SECONDS} s</span></p>",
                "<h2>Jobs</h2>", self._job_table(jobs, states),
                "<h2>Outputs</h2>", self._outputs(),
                "<h2>Dependency graph</h2>", f"<div class='graph'>{dependency_graph_svg(jobs, states)}</div>"]
        return _page("sis manager", body)

    def _job_table(self, jobs, states):
        rows = ["<table id='jobs'><tr><th>state</th><th>job</th><th>alias / name</th><th>task</th><th>progress</th>"
                "</tr>"]
        order = {state: i for i, state in enumerate(STATE_ORDER)}
        for job_id in sorted(jobs, key=lambda j: (order.get(states[j][0], len(order)), j)):
            job = jobs[job_id]
            state, task, _ = states[job_id]
            info = _job_info(job) if state == gc.STATE_RUNNING else None
            rows.append(f"<tr class='job' data-state='{html.escape(state)}'><td>{_badge(state)}</td>"
                        f"<td><a href='/job/{_quote(job_id)}'>{html.escape(job_id)}</a></td>"
                        f"<td>{html.escape(_label(job))}</td><td>{html.escape(task.name() if task else '')}</td>"
                        f"<td>{html.escape(info or '')}</td></tr>")
        rows.append("</table>")
        return "\n".join(rows)

    def _outputs(self):
        jobs, states = self.snapshot()
        rows = ["<table id='outputs'><tr><th>output</th><th>state</th><th>file</th></tr>"]
        report = None
        for target in list(getattr(self.manager, "targets", [])):
            path = getattr(target, "path", None)
            creator = getattr(path, "creator", None)
            name = html.escape(getattr(target, "name", repr(target)))
            done = _safe(target.is_done, False)
            link = ""
            if done and creator is not None and creator._sis_id() in jobs:
                relative = os.path.relpath(os.path.realpath(path.get_path()), self.job_dir(creator))
                link = f"<a href='/file/{_quote(creator._sis_id())}/{_quote(relative)}'>{html.escape(relative)}</a>"
                if report is None and getattr(target, "name", "").startswith("report") and relative.endswith(".md"):
                    report = _read_text(path.get_path())
            rows.append(f"<tr><td>{name}</td><td>{'done' if done else 'pending'}</td><td>{link}</td></tr>")
        rows.append("</table>")
        if report:  # the experiment's report (a registered output report*.md), once it exists
            rows.append(f"<h2>Report</h2><pre id='report'>{html.escape(report)}</pre>")
        return "\n".join(rows)

    def job_page(self, job_id):
        jobs, states = self.snapshot()
        job = jobs.get(job_id)
        if job is None:
            return None
        state, task, per_id = states[job_id]
        directory = self.job_dir(job)
        body = [f"<p><a href='/'>&larr; all jobs</a></p><h1>{html.escape(job_id)}</h1>",
                f"<p>{_badge(state)} {html.escape(task.name() if task else '')} "
                f"<span class='muted'>{html.escape(_label(job))} &middot; {html.escape(directory)}</span></p>"]
        info = _job_info(job)
        if info:
            body.append(f"<p id='info'>{html.escape(info)}</p>")
        if per_id:
            body.append("<p>" + ", ".join(f"id {i}: {html.escape(s)}" for i, s in sorted(per_id.items())) + "</p>")
        inputs = sorted({p.creator._sis_id() for p in job._sis_inputs if p.creator is not None})
        if inputs:
            body.append("<h2>Depends on</h2><ul>" + "".join(
                f"<li><a href='/job/{_quote(i)}'>{html.escape(i)}</a></li>" for i in inputs) + "</ul>")
        names = _safe(lambda: sorted(os.listdir(directory)), [])
        parameters = _read_text(os.path.join(directory, gc.JOB_INFO))
        if parameters:
            body.append(f"<h2>Parameters</h2><pre id='parameters'>{html.escape(parameters)}</pre>")
        usage = [name for name in names if name.startswith(gc.STATE_USAGE + ".")]
        if usage:
            body.append("<h2>Resource use</h2>")
            body += [f"<h3>{html.escape(name)}</h3><pre>{html.escape(_read_text(os.path.join(directory, name)))}"
                     f"</pre>" for name in usage]
        curve = _safe(getattr(job, "learning_curve", lambda: None), None)
        images = [name for name in _safe(lambda: sorted(os.listdir(os.path.join(directory, gc.JOB_OUTPUT))), [])
                  if name.lower().endswith((".png", ".svg"))]
        if curve or images:
            body.append("<h2>Learning curve</h2>")
            if curve:
                body.append(learning_curve_svg(curve))
            body += [f"<p><img alt='{html.escape(name)}' style='max-width: 100%' src='/file/{_quote(job_id)}/"
                     f"{gc.JOB_OUTPUT}/{_quote(name)}'></p>" for name in images]
        logs = [name for name in names if name.startswith(gc.JOB_LOG + ".") and os.path.isfile(
            os.path.join(directory, name))]
        body.append("<h2>Logs</h2>")
        if not logs:
            body.append("<p class='muted'>no task log yet</p>")
        for name in logs:
            tail = _tail(os.path.join(directory, name), LOG_TAIL_LINES)
            body.append(f"<h3><a href='/file/{_quote(job_id)}/{_quote(name)}'>{html.escape(name)}</a> "
                        f"<span class='muted'>(last {LOG_TAIL_LINES} lines)</span></h3>"
                        f"<pre class='log' data-log='{html.escape(name)}'>{html.escape(tail)}</pre>")
        files = [name for name in names if os.path.isfile(os.path.join(directory, name))]
        outputs = _safe(lambda: sorted(os.listdir(os.path.join(directory, gc.JOB_OUTPUT))), [])
        body.append("<h2>Files</h2><p>" + " ".join(
            f"<a href='/file/{_quote(job_id)}/{_quote(name)}'>{html.escape(name)}</a>"
            for name in files + [f"{gc.JOB_OUTPUT}/{n}" for n in outputs]) + "</p>")
        return _page(job_id, body)

    def status_json(self):
        jobs, states = self.snapshot()
        return json.dumps({"base_dir": self.base_dir, "time": time.time(), "jobs": {
            job_id: {"state": state, "task": task.name() if task else None, "aliases": jobs[job_id].get_aliases(),
                     "info": _job_info(jobs[job_id]) if state == gc.STATE_RUNNING else None}
            for job_id, (state, task, _) in states.items()}}, indent=1, sort_keys=True)


class _Handler(BaseHTTPRequestHandler):
    page: StatusPage = None  # set on the subclass made by start()
    server_version = "sislite-status"

    def do_HEAD(self):  # noqa: N802 (http.server's naming)
        self._answer(head_only=True)

    def do_GET(self):  # noqa: N802
        self._answer(head_only=False)

    def log_message(self, format, *args):  # noqa: A002 - keep the manager's output free of request lines
        pass

    def _answer(self, head_only):
        path = urllib.parse.urlsplit(self.path).path
        try:
            if path in ("/", "/index.html"):
                return self._send(HTTPStatus.OK, "text/html; charset=utf-8", self.page.index(), head_only)
            if path == "/status.json":
                return self._send(HTTPStatus.OK, "application/json", self.page.status_json(), head_only)
            if path.startswith("/job/"):
                content = self.page.job_page(urllib.parse.unquote(path[len("/job/"):]))
                if content is not None:
                    return self._send(HTTPStatus.OK, "text/html; charset=utf-8", content, head_only)
                return self._error(HTTPStatus.NOT_FOUND, head_only)
            if path.startswith("/file/"):
                return self._file(urllib.parse.unquote(path[len("/file/"):]), head_only)
            return self._error(HTTPStatus.NOT_FOUND, head_only)
        except (BrokenPipeError, ConnectionResetError):
            return None

    def _file(self, rest, head_only):
        resolved = self.page.resolve_file(rest)
        if not isinstance(resolved, str):
            return self._error(resolved, head_only)
        kind, _ = mimetypes.guess_type(resolved)
        if kind is None or not kind.startswith(SERVED_AS_IS):
            kind = "text/plain; charset=utf-8"  # logs, configs, job.save, ...: shown, never run by the browser
        with open(resolved, "rb") as file:
            return self._send(HTTPStatus.OK, kind, file.read(), head_only)

    def _error(self, status, head_only):
        text = f"{status.value} {status.phrase}"
        return self._send(status, "text/html; charset=utf-8", _page(text, [f"<h1>{text}</h1>"]), head_only)

    def _send(self, status, content_type, content, head_only):
        data = content.encode("utf-8") if isinstance(content, str) else content
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if not head_only:
            self.wfile.write(data)


def parse_address(text):
    """``PORT`` or ``HOST:PORT`` (``[::1]:PORT`` for IPv6) -> (host, port); host defaults to 127.0.0.1."""
    host, port = "127.0.0.1", str(text).strip()
    if ":" in port:
        host, port = port.rsplit(":", 1)
        host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"--http {text!r}: give a port (0-65535) or HOST:PORT, e.g. --http 8080 or "
                         f"--http 127.0.0.1:8080")
    return host, int(port)


def start(manager, address, base_dir=None):
    """Serve the status page of ``manager`` on ``address`` (see :func:`parse_address`) from a daemon thread;
    returns the server (``server.server_address`` is the bound address, ``server.shutdown()`` stops it)."""
    host, port = parse_address(address)
    handler = type("StatusHandler", (_Handler,), {"page": StatusPage(manager, base_dir or gc.BASE_DIR)})
    if ":" in host:
        server_class = type("IPv6Server", (ThreadingHTTPServer,), {"address_family": socket.AF_INET6})
    else:
        server_class = ThreadingHTTPServer
    server = server_class((host, port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="sislite-http", daemon=True).start()
    return server


def url_of(server):
    host, port = server.server_address[:2]
    return f"http://{'[' + host + ']' if ':' in host else host}:{port}/"


# ---- drawing --------------------------------------------------------------------------------------------------------
def dependency_graph_svg(jobs, states):
    """The graph as an SVG: one column per depth (inputs left of the jobs that use them), boxes coloured by state."""
    depth = {}
    for job_id, job in jobs.items():  # jobs come dependencies first (sislite.graph.jobs_for_targets)
        parents = [p.creator._sis_id() for p in job._sis_inputs if p.creator is not None]
        depth[job_id] = 1 + max((depth.get(p, 0) for p in parents if p in jobs), default=-1)
    columns = {}
    for job_id in sorted(jobs, key=lambda j: (depth[j], _label(jobs[j]))):
        columns.setdefault(depth[job_id], []).append(job_id)
    box_w, box_h, gap_x, gap_y = 210, 30, 60, 12
    position = {job_id: (col * (box_w + gap_x) + 10, row * (box_h + gap_y) + 10)
                for col, ids in columns.items() for row, job_id in enumerate(ids)}
    width = (max(columns, default=0) + 1) * (box_w + gap_x) + 10
    height = max((len(ids) for ids in columns.values()), default=1) * (box_h + gap_y) + 20
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' id='graph' width='{width}' height='{height}' "
             f"font-family='DejaVu Sans, sans-serif' font-size='12'>"]
    for job_id, job in jobs.items():
        x, y = position[job_id]
        for p in job._sis_inputs:
            parent = p.creator._sis_id() if p.creator is not None else None
            if parent in position:
                px, py = position[parent]
                parts.append(f"<line x1='{px + box_w}' y1='{py + box_h / 2}' x2='{x}' y2='{y + box_h / 2}' "
                             f"stroke='#999' stroke-width='1'/>")
    for job_id, job in jobs.items():
        x, y = position[job_id]
        state = states[job_id][0]
        label = _label(job)
        short = label if len(label) <= 32 else label[:30] + "..."
        parts.append(f"<a href='/job/{_quote(job_id)}'><title>{html.escape(job_id)}: {html.escape(state)}</title>"
                     f"<rect x='{x}' y='{y}' width='{box_w}' height='{box_h}' rx='4' "
                     f"fill='{STATE_COLORS.get(state, '#fff')}' stroke='#555'/>"
                     f"<text x='{x + 6}' y='{y + 19}'>{html.escape(short)}</text></a>")
    parts.append("</svg>")
    return "".join(parts)


def learning_curve_svg(curve, width=640, height=260):
    """Lines of ``{series: {epoch: value}}`` over the epochs, with the value range on the left axis."""
    series = {name: sorted((int(e), float(v)) for e, v in points.items() if v == v and abs(float(v)) != float("inf"))
              for name, points in curve.items()}
    series = {name: points for name, points in series.items() if points}
    if not series:
        return "<p class='muted'>no epochs yet</p>"
    epochs = [e for points in series.values() for e, _ in points]
    values = [v for points in series.values() for _, v in points]
    e0, e1, v0, v1 = min(epochs), max(max(epochs), min(epochs) + 1), min(values), max(values)
    v1 = v1 if v1 > v0 else v0 + 1
    left, right, top, bottom = 60, 150, 10, 30

    def xy(epoch, value):
        return (left + (epoch - e0) / (e1 - e0) * (width - left - right),
                top + (v1 - value) / (v1 - v0) * (height - top - bottom))

    colors = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b")
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' class='curve' width='{width}' height='{height}' "
             f"font-family='DejaVu Sans, sans-serif' font-size='11'>",
             f"<rect x='{left}' y='{top}' width='{width - left - right}' height='{height - top - bottom}' "
             f"fill='none' stroke='#aaa'/>",
             f"<text x='4' y='{top + 10}'>{v1:.3g}</text><text x='4' y='{height - bottom}'>{v0:.3g}</text>",
             f"<text x='{left}' y='{height - 8}'>epoch {e0}</text>"
             f"<text x='{width - right - 50}' y='{height - 8}'>epoch {max(epochs)}</text>"]
    for index, (name, points) in enumerate(sorted(series.items())):
        color = colors[index % len(colors)]
        coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(e, v) for e, v in points))
        parts.append(f"<polyline fill='none' stroke='{color}' stroke-width='2' points='{coords}'/>")
        parts += [f"<circle cx='{x:.1f}' cy='{y:.1f}' r='2.5' fill='{color}'/>" for x, y in
                  (xy(e, v) for e, v in points)]
        parts.append(f"<text x='{width - right + 8}' y='{top + 14 + 16 * index}' fill='{color}'>"
                     f"{html.escape(name)}</text>")
    parts.append("</svg>")
    return "".join(parts)


# ---- small pieces ---------------------------------------------------------------------------------------------------
def _page(title, body):
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<meta http-equiv='refresh' content='{REFRESH_SECONDS}'><style>{CSS}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def _badge(state):
    return (f"<span class='state' style='background: {STATE_COLORS.get(state, '#fff')}'>"
            f"{html.escape(state)}</span>")


def _ordered(counts):
    return [s for s in STATE_ORDER if s in counts] + sorted(s for s in counts if s not in STATE_ORDER)


def _label(job):
    aliases = job.get_aliases()
    return aliases[0] if aliases else (job.get_vis_name() or job._sis_id().rsplit("/", 1)[-1])


def _job_info(job):
    text = _safe(job.info, None)
    return None if text is None else str(text)


def _safe(function, default):
    """A job's own hook (info(), learning_curve()) or a directory listing must not break the page."""
    try:
        return function()
    except Exception:  # noqa: BLE001
        return default


def _quote(text):
    return urllib.parse.quote(text, safe="/")


def _read_text(path, limit=LOG_TAIL_BYTES):
    try:
        with open(path, "rb") as file:
            return file.read(limit).decode("utf-8", errors="replace")
    except OSError:
        return ""


def _tail(path, lines):
    try:
        with open(path, "rb") as file:
            file.seek(0, os.SEEK_END)
            file.seek(max(0, file.tell() - LOG_TAIL_BYTES))
            text = file.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])
